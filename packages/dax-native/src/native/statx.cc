#include "statx.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "path_arg.h"
#include "promise_worker.h"

namespace dax_native {
namespace {

class StatxDaxWorker : public PromiseWorker {
 public:
  StatxDaxWorker(Napi::Env env, std::string path) : PromiseWorker(env), path_(std::move(path)) {}

 protected:
  void Execute() override {
    struct statx stx = {};
    // The attributes word comes back whatever the request mask; ask for nothing else.
    if (statx(AT_FDCWD, path_.c_str(), AT_STATX_SYNC_AS_STAT, 0, &stx) < 0) {
      Fail(SystemError{errno, "statx", path_, ""});
      return;
    }
    dax_ = (stx.stx_attributes & STATX_ATTR_DAX) != 0;
    // A kernel or filesystem that cannot report DAX leaves the bit out of the mask.
    reported_ = (stx.stx_attributes_mask & STATX_ATTR_DAX) != 0;
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("dax", Napi::Boolean::New(env, dax_));
    o.Set("reported", Napi::Boolean::New(env, reported_));
    return o;
  }

 private:
  std::string path_;
  bool dax_ = false;
  bool reported_ = false;
};

}  // namespace

Napi::Value StatxDax(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  return (new StatxDaxWorker(info.Env(), std::move(*path)))->Start();
}

}  // namespace dax_native
