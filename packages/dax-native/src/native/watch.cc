// The sysfs attribute watcher. kernfs raises POLLPRI|POLLERR on an open attribute once
// kernfs_notify() ran for it after this file's last read, so the classic loop is: open, read (arms),
// poll, lseek(0) + read again (re-arms, and gives the new text). One thread per watcher polls all
// of its attributes plus an eventfd that close() writes to stop it.
//
// Lifetime. The thread never blocks on JS: it queues events with NonBlockingCall (unbounded queue).
// The thread-safe function is unreferenced, so a watcher never keeps node alive. Whoever ends the
// watcher stops and joins the thread first: close() (or the object's destructor) and then releases
// the TSFN; at environment teardown (process exit, a worker terminating) node finalizes the TSFN
// itself, and its finalizer joins the thread before node frees it. The JS object holds a strong
// reference to itself until close(), like fs.watch: dropping the handle does not silently stop it.
#include "watch.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "system_error.h"

namespace dax_native {
namespace {

// sysfs attributes are at most a page; cgroup and other seq_file attributes can be longer. The text
// handed to JS is cut here, which is far above anything daxfleet watches.
constexpr size_t kMaxText = 64 * 1024;

// kernfs wakes pollers on kernfs_notify() but not when the attribute is removed; a poll() entered
// after the removal returns POLLPRI|POLLERR at once. So the thread re-enters poll() this often, which
// bounds how long a vanished attribute (a disabled namespace's pmemX/badblocks) goes unnoticed.
constexpr int kRecheckMs = 1000;

// One event for the main thread: the attribute's new text, or what failed for it.
struct Event {
  std::string path;
  std::string text;
  std::optional<SystemError> error;
};

struct WatchState;
void CallJs(Napi::Env env, Napi::Function on_change, WatchState* state, Event* event);
using Tsfn = Napi::TypedThreadSafeFunction<WatchState, Event, CallJs>;

struct Attribute {
  std::string path;
  int fd = -1;
};

// Shared by the JS object and the TSFN finalizer (whichever lets go last frees it). Every field but
// `attributes` (read-only while the thread runs) and `stop_fd` is used on the main thread only.
struct WatchState {
  std::vector<Attribute> attributes;
  int stop_fd = -1;
  std::thread thread;
  Tsfn tsfn;
  bool tsfn_live = false;  // created, and neither released by us nor finalized by node
  bool closed = false;     // close() ran: events still queued are dropped, not delivered
  Napi::FunctionReference on_error;

  WatchState() = default;
  WatchState(const WatchState&) = delete;
  WatchState& operator=(const WatchState&) = delete;

  ~WatchState() {
    StopThread();
    CloseFds();
  }

  // Wakes the thread and waits for it; it exits at its next poll() return, which is immediate.
  void StopThread() {
    if (!thread.joinable()) return;
    uint64_t one = 1;
    ssize_t written;
    do written = write(stop_fd, &one, sizeof one);
    while (written < 0 && errno == EINTR);
    thread.join();
  }

  void CloseFds() {
    for (Attribute& a : attributes) {
      if (a.fd >= 0) close(a.fd);
      a.fd = -1;
    }
    if (stop_fd >= 0) close(stop_fd);
    stop_fd = -1;
  }
};

// The attribute's text from offset 0 (which re-arms the notification). Returns 0 or an errno.
int ReadText(int fd, std::string* text) {
  if (lseek(fd, 0, SEEK_SET) < 0) return errno;
  text->clear();
  char buf[4096];
  while (text->size() < kMaxText) {
    ssize_t n = read(fd, buf, std::min(sizeof buf, kMaxText - text->size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    text->append(buf, static_cast<size_t>(n));
  }
  return 0;
}

void Run(WatchState* state) {
  std::vector<struct pollfd> fds;
  fds.push_back({state->stop_fd, POLLIN, 0});
  for (const Attribute& a : state->attributes) fds.push_back({a.fd, POLLPRI | POLLERR, 0});

  auto send = [state](Event* event) {
    // napi_closing: the environment is going away and its finalizer is about to join us.
    if (state->tsfn.NonBlockingCall(event) == napi_ok) return true;
    delete event;
    return false;
  };

  for (;;) {
    if (poll(fds.data(), fds.size(), kRecheckMs) < 0) {
      if (errno == EINTR) continue;
      // Not expected (EFAULT, ENOMEM): say so once and stop watching rather than spin.
      send(new Event{"", "", SystemError{errno, "poll", "", ""}});
      return;
    }
    if (fds[0].revents != 0) return;  // close()
    for (size_t i = 1; i < fds.size(); i++) {
      if (fds[i].revents == 0) continue;
      const std::string& path = state->attributes[i - 1].path;
      auto* event = new Event{path, "", std::nullopt};
      int err = (fds[i].revents & POLLNVAL) ? EBADF : ReadText(fds[i].fd, &event->text);
      if (err != 0) {
        event->text.clear();
        event->error = SystemError{err, (fds[i].revents & POLLNVAL) ? "poll" : "read", path, ""};
        // ENODEV: the attribute was removed (device unregistered, namespace disabled, cgroup
        // removed). kernfs keeps reporting POLLPRI|POLLERR for it and every read fails, so it is
        // reported once and dropped (a negative fd is ignored by poll). Other read errors come from
        // the attribute's show(), after kernfs has re-armed: the next poll blocks again.
        if (err == ENODEV || err == EBADF) fds[i].fd = -1;
      }
      if (!send(event)) return;
    }
  }
}

void CallJs(Napi::Env env, Napi::Function on_change, WatchState* state, Event* event) {
  std::unique_ptr<Event> owned(event);
  // Teardown, or queued before close() returned: nobody is listening any more.
  if (static_cast<napi_env>(env) == nullptr || owned == nullptr || state->closed) return;
  Napi::HandleScope scope(env);
  // The TypeScript wrapper passes callbacks that do not throw; a raw caller's exception is left
  // pending and node reports it as uncaught.
  if (owned->error) {
    state->on_error.Call({owned->error->ToJs(env).Value()});
  } else {
    on_change.Call({Napi::String::New(env, owned->path), Napi::String::New(env, owned->text)});
  }
}

class SysfsWatcher : public Napi::ObjectWrap<SysfsWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SysfsWatcher", {InstanceMethod<&SysfsWatcher::Close>("close")});
  }

  // new SysfsWatcher(paths: string[], onChange(path, text), onError(err))
  explicit SysfsWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SysfsWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsFunction() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "SysfsWatcher(paths: string[], onChange: function, onError: function)")
          .ThrowAsJavaScriptException();
      return;
    }
    Napi::Array paths = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < paths.Length(); i++) {
      if (!paths.Get(i).IsString()) {
        Napi::TypeError::New(env, "paths must be strings").ThrowAsJavaScriptException();
        return;
      }
    }

    auto state = std::make_shared<WatchState>();
    Napi::Array initial = Napi::Array::New(env, paths.Length());
    for (uint32_t i = 0; i < paths.Length(); i++) {
      Attribute a{paths.Get(i).As<Napi::String>().Utf8Value(), -1};
      // O_NONBLOCK: never hang the constructor on something that is not an attribute.
      a.fd = open(a.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (a.fd < 0) {
        SystemError{errno, "open", a.path, ""}.ToJs(env).ThrowAsJavaScriptException();
        return;  // ~WatchState closes what was opened so far
      }
      state->attributes.push_back(a);
      struct stat st;
      if (fstat(a.fd, &st) < 0) {
        SystemError{errno, "fstat", a.path, ""}.ToJs(env).ThrowAsJavaScriptException();
        return;
      }
      if (!S_ISREG(st.st_mode)) {
        SystemError{EINVAL, "open", a.path, "not a regular file; sysfs and cgroup attributes are"}
            .ToJs(env)
            .ThrowAsJavaScriptException();
        return;
      }
      std::string text;
      if (int err = ReadText(a.fd, &text); err != 0) {  // the first read arms the notification
        SystemError{err, "read", a.path, ""}.ToJs(env).ThrowAsJavaScriptException();
        return;
      }
      initial.Set(i, Napi::String::New(env, text));
    }
    state->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (state->stop_fd < 0) {
      SystemError{errno, "eventfd", "", ""}.ToJs(env).ThrowAsJavaScriptException();
      return;
    }

    state->on_error = Napi::Persistent(info[2].As<Napi::Function>());
    // Node frees the finalizer's holder, and may free the TSFN, only after the finalizer returns.
    auto* holder = new std::shared_ptr<WatchState>(state);
    state->tsfn = Tsfn::New(
        env, info[1].As<Napi::Function>(), "daxfleet:sysfsWatch", 0 /* unbounded queue */,
        1 /* the watcher thread */, state.get(),
        [](Napi::Env, std::shared_ptr<WatchState>* finalized, WatchState*) {
          (*finalized)->tsfn_live = false;
          (*finalized)->StopThread();
          delete finalized;
        },
        holder);
    if (env.IsExceptionPending()) {  // napi_create_threadsafe_function failed: no finalizer will run
      delete holder;
      return;
    }
    state->tsfn_live = true;
    state->tsfn.Unref(env);
    state->thread = std::thread(Run, state.get());
    // Named before JS gets the watcher: top -H, /proc/PID/task/TID/comm (the tests find it so).
    pthread_setname_np(state->thread.native_handle(), "sysfs-watch");

    info.This().As<Napi::Object>().Set("initial", initial);
    state_ = std::move(state);
    Ref();  // alive until close(), see the header comment
  }

  ~SysfsWatcher() override { Stop(); }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (state_ != nullptr) {
      Stop();
      Unref();
    }
    return info.Env().Undefined();
  }

  // Main thread. Idempotent; safe from inside one of this watcher's own callbacks.
  void Stop() {
    if (state_ == nullptr) return;
    std::shared_ptr<WatchState> state = std::move(state_);
    state->closed = true;
    state->StopThread();
    state->CloseFds();
    if (state->tsfn_live) {
      state->tsfn_live = false;
      // The last thread lets go: node drains the queue (CallJs drops those events) and then runs
      // the finalizer, which drops its holder.
      state->tsfn.Release();
    }
  }

  std::shared_ptr<WatchState> state_;
};

}  // namespace

void InitSysfsWatcher(Napi::Env env, Napi::Object exports) {
  exports.Set("SysfsWatcher", SysfsWatcher::Define(env));
}

}  // namespace dax_native
