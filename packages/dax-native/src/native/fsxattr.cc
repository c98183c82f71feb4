#include "fsxattr.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "path_arg.h"
#include "promise_worker.h"

namespace dax_native {
namespace {

class FsxattrWorker : public PromiseWorker {
 public:
  FsxattrWorker(Napi::Env env, std::string path, uint32_t set_mask, uint32_t clear_mask, bool update)
      : PromiseWorker(env),
        path_(std::move(path)),
        set_mask_(set_mask),
        clear_mask_(clear_mask),
        update_(update) {}

 protected:
  void Execute() override {
    // Read-only is enough for both ioctls (the kernel checks ownership, not the open mode), and it
    // works on directories. O_NONBLOCK keeps a FIFO from blocking the open.
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      Fail(SystemError{errno, "open", path_, ""});
      return;
    }
    if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx_) < 0) {
      Fail(SystemError{errno, "ioctl", path_, "FS_IOC_FSGETXATTR"});
    } else if (update_) {
      // Read-modify-write of the whole struct, so extsize, projid and other flags are kept.
      fsx_.fsx_xflags = (fsx_.fsx_xflags | set_mask_) & ~clear_mask_;
      if (ioctl(fd, FS_IOC_FSSETXATTR, &fsx_) < 0) {
        Fail(SystemError{errno, "ioctl", path_, "FS_IOC_FSSETXATTR"});
      } else if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx_) < 0) {
        // Report what the filesystem kept, not what we asked for.
        Fail(SystemError{errno, "ioctl", path_, "FS_IOC_FSGETXATTR"});
      }
    }
    close(fd);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("xflags", Napi::Number::New(env, fsx_.fsx_xflags));
    o.Set("extsize", Napi::Number::New(env, fsx_.fsx_extsize));
    o.Set("nextents", Napi::Number::New(env, fsx_.fsx_nextents));
    o.Set("projid", Napi::Number::New(env, fsx_.fsx_projid));
    o.Set("cowextsize", Napi::Number::New(env, fsx_.fsx_cowextsize));
    return o;
  }

 private:
  std::string path_;
  uint32_t set_mask_;
  uint32_t clear_mask_;
  bool update_;
  struct fsxattr fsx_ = {};
};

}  // namespace

Napi::Value GetFsxattr(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  return (new FsxattrWorker(info.Env(), std::move(*path), 0, 0, false))->Start();
}

Napi::Value UpdateFsxattrFlags(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(info.Env(), "setMask and clearMask must be numbers")
        .ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  uint32_t set_mask = info[1].As<Napi::Number>().Uint32Value();
  uint32_t clear_mask = info[2].As<Napi::Number>().Uint32Value();
  return (new FsxattrWorker(info.Env(), std::move(*path), set_mask, clear_mask, true))->Start();
}

}  // namespace dax_native
