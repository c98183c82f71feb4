#include "daxdev.h"

#include <daxctl/libdaxctl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "promise_worker.h"

namespace dax_native {
namespace {

const char* const kMemoryRoot = "/sys/devices/system/memory";

std::string Str(const char* s) { return s != nullptr ? s : ""; }

// A sysfs attribute's first line; nullopt (errno set) when it cannot be read.
std::optional<std::string> ReadAttr(const std::string& path) {
  FILE* f = fopen(path.c_str(), "re");
  if (f == nullptr) return std::nullopt;
  char buf[256] = {};
  bool ok = fgets(buf, sizeof buf, f) != nullptr;
  int saved = errno;
  fclose(f);
  if (!ok) {
    errno = saved != 0 ? saved : EIO;
    return std::nullopt;
  }
  std::string text(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Writes a sysfs attribute; 0 or the errno of the failed write.
int WriteAttr(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, value.data(), value.size());
  int rc = n == static_cast<ssize_t>(value.size()) ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return rc;
}

std::string BlockState(unsigned long index) { return std::string(kMemoryRoot) + "/memory" + std::to_string(index) + "/state"; }

struct DaxState {
  std::string device;
  bool system_ram = false;
  int online = -1;
  int total = -1;
  int movable = -1;  // -1: not reported (no block online)
};

// One call's libdaxctl context. libdaxctl caches what it enumerated and has no invalidate, so each call (and each
// step after a driver change, which makes libdaxctl re-create its device objects) looks the device up afresh.
class DaxWorker : public PromiseWorker {
 public:
  DaxWorker(Napi::Env env, NdctlContextRef ndctl, std::string device)
      : PromiseWorker(env), ndctl_(std::move(ndctl)), device_(std::move(device)) {}
  ~DaxWorker() override { Drop(); }

 protected:
  virtual void Run() = 0;

  void Execute() override {
    // The ndctl context's lock serialises device changes with namespace changes made through the same addon.
    auto lock = ndctl_->Lock();
    Run();
    if (!failed_) ReadState();
    Drop();
  }

  void Reject(SystemError error) {
    failed_ = true;
    Fail(std::move(error));
  }

  // The device, from a fresh enumeration; nullptr after Fail().
  struct daxctl_dev* Lookup() {
    Drop();
    int rc = daxctl_new(&ctx_);
    if (rc < 0) {
      ctx_ = nullptr;
      Reject(SystemError{-rc, "daxctl_new", "", ""});
      return nullptr;
    }
    daxctl_set_userdata(ctx_, &log_);
    daxctl_set_log_fn(ctx_, &DaxWorker::CaptureLog);
    struct daxctl_region* region;
    struct daxctl_dev* dev;
    std::string names;
    daxctl_region_foreach(ctx_, region) {
      daxctl_dev_foreach(region, dev) {
        if (device_ == daxctl_dev_get_devname(dev)) return dev;
        names += (names.empty() ? "" : ", ") + Str(daxctl_dev_get_devname(dev));
      }
    }
    Reject(SystemError{ENODEV, "daxctl_dev_get_devname", device_,
                     names.empty() ? "this host has no DAX device" : "no such DAX device; devices: " + names});
    return nullptr;
  }

  void Drop() {
    if (ctx_ != nullptr) daxctl_unref(ctx_);
    ctx_ = nullptr;
  }

  bool Check(int rc, const char* fn, const std::string& extra = "") {
    if (rc >= 0) return true;
    std::string detail = log_;
    if (!extra.empty()) detail = detail.empty() ? extra : detail + "; " + extra;
    Reject(SystemError{-rc, fn, device_, detail});
    return false;
  }

  // The memory block indexes of the device, as libdaxctl's memblock_in_dev() counts them: blocks whose first
  // byte lies in the device's range.
  bool Blocks(struct daxctl_dev* dev, struct daxctl_memory* mem, std::vector<unsigned long>* out) {
    unsigned long long start = daxctl_dev_get_resource(dev);
    unsigned long long size = daxctl_dev_get_size(dev);
    unsigned long bs = daxctl_memory_get_block_size(mem);
    if (start == 0 || size == 0 || bs == 0) {
      Reject(SystemError{ENXIO, "daxctl_memory_get_block_size", device_,
                       "cannot tell the memory blocks of " + device_ + " (resource, size or memory block size unknown)"});
      return false;
    }
    for (unsigned long long i = (start + bs - 1) / bs; i <= (start + size - 1) / bs; i++) {
      if (access(BlockState(static_cast<unsigned long>(i)).c_str(), F_OK) == 0) out->push_back(static_cast<unsigned long>(i));
    }
    return true;
  }

  // Offlines every online memory block of the device. When one cannot go offline, the blocks offlined before it
  // go back online in the zone they were in, and the call fails EBUSY naming the block. Returns the count.
  // `offlined` (when given) receives the blocks it took offline, with whether each was movable.
  using Offlined = std::vector<std::pair<unsigned long, bool>>;
  std::optional<int> OfflineAll(struct daxctl_dev* dev, struct daxctl_memory* mem, const std::string& purpose,
                                Offlined* offlined = nullptr) {
    std::vector<unsigned long> blocks;
    if (!Blocks(dev, mem, &blocks)) return std::nullopt;
    Offlined done;  // block, was movable
    for (unsigned long b : blocks) {
      std::optional<std::string> state = ReadAttr(BlockState(b));
      if (!state) {
        Reject(SystemError{errno, "read", BlockState(b), ""});
        return std::nullopt;
      }
      if (*state != "online") continue;
      std::optional<std::string> zone =
          ReadAttr(std::string(kMemoryRoot) + "/memory" + std::to_string(b) + "/valid_zones");
      bool movable = zone && zone->rfind("Movable", 0) == 0;
      int rc = WriteAttr(BlockState(b), "offline");
      if (rc == 0) {
        done.emplace_back(b, movable);
        continue;
      }
      int put_back = 0;
      std::string restored = PutBackOnline(done, &put_back);
      std::string detail = "memory block " + std::to_string(b) + " of " + device_ +
                           " cannot go offline (in use by the kernel); ";
      if (restored.empty()) {
        detail += std::to_string(put_back) + " block(s) offlined before it were put back online, so " + device_ +
                  " is unchanged (" + purpose + " not done)";
      } else {
        detail += "putting back the blocks offlined before it failed for block(s) " + restored + ": " + device_ +
                  " is left partly offline";
      }
      Reject(SystemError{rc, "write", BlockState(b), detail});
      return std::nullopt;
    }
    if (offlined != nullptr) *offlined = done;
    return static_cast<int>(done.size());
  }

  // Onlines `blocks` again in the zone each was in, last first; returns the blocks that refused ("" when none).
  std::string PutBackOnline(const Offlined& blocks, int* put_back) {
    std::string refused;
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
      if (WriteAttr(BlockState(it->first), it->second ? "online_movable" : "online_kernel") == 0) {
        (*put_back)++;
      } else {
        refused += (refused.empty() ? "" : ", ") + std::to_string(it->first);
      }
    }
    return refused;
  }

  void ReadState() {
    struct daxctl_dev* dev = Lookup();
    if (dev == nullptr) return;
    state_.device = device_;
    struct daxctl_memory* mem = daxctl_dev_get_memory(dev);
    state_.system_ram = mem != nullptr;
    if (mem != nullptr) {
      state_.total = daxctl_memory_num_sections(mem);
      state_.online = daxctl_memory_is_online(mem);
      if (state_.online > 0) state_.movable = daxctl_memory_is_movable(mem);
    }
  }

  Napi::Object StateJs(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("device", state_.device);
    o.Set("mode", state_.system_ram ? "system-ram" : "devdax");
    if (state_.online >= 0) o.Set("onlineMemblocks", state_.online);
    if (state_.total >= 0) o.Set("totalMemblocks", state_.total);
    if (state_.movable >= 0) o.Set("movable", Napi::Boolean::New(env, state_.movable == 1));
    return o;
  }

  NdctlContextRef ndctl_;
  std::string device_;
  struct daxctl_ctx* ctx_ = nullptr;
  std::string log_;
  DaxState state_;
  bool failed_ = false;

 private:
  static void CaptureLog(struct daxctl_ctx* ctx, int /*priority*/, const char* /*file*/, int /*line*/, const char* fn,
                         const char* format, va_list args) {
    auto* log = static_cast<std::string*>(daxctl_get_userdata(ctx));
    if (log == nullptr) return;
    char text[512];
    vsnprintf(text, sizeof text, format, args);
    std::string line = std::string(fn) + ": " + text;
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    *log = std::move(line);
  }
};

class ReconfigureWorker : public DaxWorker {
 public:
  ReconfigureWorker(Napi::Env env, NdctlContextRef ndctl, std::string device, bool system_ram, bool online,
                    bool movable)
      : DaxWorker(env, std::move(ndctl), std::move(device)), system_ram_(system_ram), online_(online), movable_(movable) {}

 protected:
  void Run() override { system_ram_ ? ToSystemRam() : ToDevdax(); }

  Napi::Value Result(Napi::Env env) override { return StateJs(env); }

 private:
  // daxctl's reconfig_mode_system_ram().
  void ToSystemRam() {
    struct daxctl_dev* dev = Lookup();
    if (dev == nullptr) return;
    if (daxctl_dev_get_memory(dev) == nullptr) {
      if ((!online_ || movable_) && daxctl_dev_will_auto_online_memory(dev)) {
        Reject(SystemError{EBUSY, "daxctl_dev_will_auto_online_memory", device_,
                         "the kernel policy (" + std::string(kMemoryRoot) +
                             "/auto_online_blocks) will online the memory itself, not " +
                             (online_ ? "in ZONE_MOVABLE" : "leave it offline") + "; nothing was changed"});
        return;
      }
      if (daxctl_dev_is_enabled(dev) && !Check(daxctl_dev_disable(dev), "daxctl_dev_disable")) return;
      if (!Check(daxctl_dev_enable_ram(dev), "daxctl_dev_enable_ram",
                 device_ + " is disabled: it was unbound from device_dax but kmem did not take it")) {
        return;
      }
      dev = Lookup();  // libdaxctl re-created its device objects on enable
      if (dev == nullptr) return;
    }
    if (!online_) return;
    struct daxctl_memory* mem = daxctl_dev_get_memory(dev);
    if (mem == nullptr) {
      Reject(SystemError{ENXIO, "daxctl_dev_get_memory", device_, device_ + " has no memory object after enabling kmem"});
      return;
    }
    int rc = movable_ ? daxctl_memory_online(mem) : daxctl_memory_online_no_movable(mem);
    Check(rc, movable_ ? "daxctl_memory_online" : "daxctl_memory_online_no_movable",
          device_ + " is in system-ram mode but its memory is not all online");
  }

  // daxctl's reconfig_mode_devdax() with --force: offline every block first (blocks put back online
  // when one refuses or kmem keeps the device; the error says when that restore failed), then kmem → device_dax.
  void ToDevdax() {
    struct daxctl_dev* dev = Lookup();
    if (dev == nullptr) return;
    struct daxctl_memory* mem = daxctl_dev_get_memory(dev);
    if (mem != nullptr) {
      Offlined offlined;
      if (!OfflineAll(dev, mem, "the change to devdax", &offlined)) return;
      int rc = daxctl_dev_disable(dev);
      if (rc < 0) {
        // kmem kept the device: online back what was offlined above, so the device is as it was.
        int put_back = 0;
        std::string refused = PutBackOnline(offlined, &put_back);
        Check(rc, "daxctl_dev_disable",
              refused.empty() ? device_ + " stays in system-ram mode; the " + std::to_string(put_back) +
                                    " memory block(s) offlined for the change were put back online"
                              : device_ + " stays in system-ram mode and is left partly offline: putting back online " +
                                    "failed for block(s) " + refused + " (daxctl online-memory " + device_ + ")");
        return;
      }
      dev = Lookup();
      if (dev == nullptr) return;
    }
    if (!daxctl_dev_is_enabled(dev)) {
      Check(daxctl_dev_enable_devdax(dev), "daxctl_dev_enable_devdax", device_ + " is disabled: device_dax did not take it");
    }
  }

  bool system_ram_;
  bool online_;
  bool movable_;
};

class MemoryWorker : public DaxWorker {
 public:
  MemoryWorker(Napi::Env env, NdctlContextRef ndctl, std::string device, bool online, bool movable)
      : DaxWorker(env, std::move(ndctl), std::move(device)), online_(online), movable_(movable) {}

 protected:
  void Run() override {
    struct daxctl_dev* dev = Lookup();
    if (dev == nullptr) return;
    struct daxctl_memory* mem = daxctl_dev_get_memory(dev);
    if (mem == nullptr) {
      Reject(SystemError{ENXIO, "daxctl_dev_get_memory", device_,
                       device_ + " is in devdax mode: memory operations apply to system-ram mode only "
                                 "(reconfigureDaxDevice to system-ram first)"});
      return;
    }
    if (online_) {
      int rc = movable_ ? daxctl_memory_online(mem) : daxctl_memory_online_no_movable(mem);
      if (Check(rc, movable_ ? "daxctl_memory_online" : "daxctl_memory_online_no_movable")) count_ = rc;
    } else if (std::optional<int> n = OfflineAll(dev, mem, "offlining")) {
      count_ = *n;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = StateJs(env);
    o.Set(online_ ? "onlined" : "offlined", count_);
    return o;
  }

 private:
  bool online_;
  bool movable_;
  int count_ = 0;
};

bool ReadDevice(const Napi::CallbackInfo& info, std::string* out) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "device must be a string").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[0].As<Napi::String>().Utf8Value();
  return true;
}

bool Flag(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].ToBoolean().Value(); }

}  // namespace

Napi::Value ReconfigureDaxDevice(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  std::string device;
  if (!ReadDevice(info, &device)) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsString()) {
    Napi::TypeError::New(info.Env(), "mode must be 'system-ram' or 'devdax'").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  bool system_ram = info[1].As<Napi::String>().Utf8Value() == "system-ram";
  return (new ReconfigureWorker(info.Env(), ndctl, device, system_ram, Flag(info, 2), Flag(info, 3)))->Start();
}

Napi::Value OnlineDaxMemory(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  std::string device;
  if (!ReadDevice(info, &device)) return info.Env().Undefined();
  return (new MemoryWorker(info.Env(), ndctl, device, true, Flag(info, 1)))->Start();
}

Napi::Value OfflineDaxMemory(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  std::string device;
  if (!ReadDevice(info, &device)) return info.Env().Undefined();
  return (new MemoryWorker(info.Env(), ndctl, device, false, false))->Start();
}

}  // namespace dax_native
