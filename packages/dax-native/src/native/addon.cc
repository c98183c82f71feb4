// Module registration. Each environment (main thread, each worker thread) gets its own libndctl
// context; the environment's cleanup hook drops its reference, and a worker still running holds
// its own, so the context is unreferenced only after the last user is done.
#include <napi.h>

#include <memory>

#include "context.h"
#include "daxdev.h"
#include "fsmap.h"
#include "fsxattr.h"
#include "health.h"
#include "namespace.h"
#include "recover.h"
#include "statx.h"
#include "watch.h"

#define DAX_NATIVE_STR(x) #x
#define DAX_NATIVE_XSTR(x) DAX_NATIVE_STR(x)

namespace dax_native {
namespace {

struct AddonData {
  NdctlContextRef ndctl = std::make_shared<NdctlContext>();
};

Napi::Value DimmHealthEntry(const Napi::CallbackInfo& info) {
  auto* data = static_cast<AddonData*>(info.Data());
  return DimmHealth(info, data->ndctl);
}

Napi::Value ClearErrorsOnBusEntry(const Napi::CallbackInfo& info) {
  auto* data = static_cast<AddonData*>(info.Data());
  return ClearErrorsOnBus(info, data->ndctl);
}

// Entries that run under the environment's libndctl context lock.
template <Napi::Value (*Call)(const Napi::CallbackInfo&, const NdctlContextRef&)>
Napi::Value WithContext(const Napi::CallbackInfo& info) {
  return Call(info, static_cast<AddonData*>(info.Data())->ndctl);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.AddCleanupHook([data]() { delete data; });

  exports.Set("dimmHealth", Napi::Function::New(env, DimmHealthEntry, "dimmHealth", data));
  exports.Set("getFsxattr", Napi::Function::New(env, GetFsxattr, "getFsxattr"));
  exports.Set("updateFsxattrFlags",
              Napi::Function::New(env, UpdateFsxattrFlags, "updateFsxattrFlags"));
  exports.Set("statxDax", Napi::Function::New(env, StatxDax, "statxDax"));
  exports.Set("getFsmap", Napi::Function::New(env, GetFsmap, "getFsmap"));
  exports.Set("fiemap", Napi::Function::New(env, Fiemap, "fiemap"));
  exports.Set("punchHole", Napi::Function::New(env, PunchHole, "punchHole"));
  exports.Set("writeZeros", Napi::Function::New(env, WriteZeros, "writeZeros"));
  exports.Set("deviceInUse", Napi::Function::New(env, DeviceInUse, "deviceInUse"));
  exports.Set("clearErrorsOnBus",
              Napi::Function::New(env, ClearErrorsOnBusEntry, "clearErrorsOnBus", data));
  // Namespace (libndctl) and device-DAX (libdaxctl) changes.
  exports.Set("createNamespace", Napi::Function::New(env, WithContext<CreateNamespace>, "createNamespace", data));
  exports.Set("reconfigureNamespace",
              Napi::Function::New(env, WithContext<ReconfigureNamespace>, "reconfigureNamespace", data));
  exports.Set("destroyNamespace", Napi::Function::New(env, WithContext<DestroyNamespace>, "destroyNamespace", data));
  exports.Set("reconfigureDaxDevice",
              Napi::Function::New(env, WithContext<ReconfigureDaxDevice>, "reconfigureDaxDevice", data));
  exports.Set("onlineDaxMemory", Napi::Function::New(env, WithContext<OnlineDaxMemory>, "onlineDaxMemory", data));
  exports.Set("offlineDaxMemory", Napi::Function::New(env, WithContext<OfflineDaxMemory>, "offlineDaxMemory", data));
  InitSysfsWatcher(env, exports);

  // The library versions this binary was compiled against (pkg-config at build time).
  Napi::Object versions = Napi::Object::New(env);
  versions.Set("libndctl", DAX_NATIVE_XSTR(DAX_NATIVE_LIBNDCTL_VERSION));
  versions.Set("libdaxctl", DAX_NATIVE_XSTR(DAX_NATIVE_LIBDAXCTL_VERSION));
  versions.Set("napi", NAPI_VERSION);
  exports.Set("compiledAgainst", versions);
  return exports;
}

}  // namespace dax_native

static Napi::Object InitDaxNative(Napi::Env env, Napi::Object exports) {
  return dax_native::Init(env, exports);
}

NODE_API_MODULE(dax_native, InitDaxNative)
