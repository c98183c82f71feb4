// Change notification for sysfs attributes (kernfs_notify / sysfs_notify): the kernel raises
// POLLPRI|POLLERR on an open attribute after regionN/badblocks or pmemX/badblocks is revalidated, or
// when an address-range scrub completes. A watcher owns one background thread that poll()s the opened
// attributes and hands each new text to JS through a thread-safe function.
#pragma once

#include <napi.h>

namespace dax_native {

// Registers the SysfsWatcher class (see RawSysfsWatcher in native.d.ts) on exports.
void InitSysfsWatcher(Napi::Env env, Napi::Object exports);

}  // namespace dax_native
