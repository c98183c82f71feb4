// Device-DAX mode changes and memory onlining through libdaxctl, as `daxctl reconfigure-device`,
// `online-memory` and `offline-memory` (ndctl v76 daxctl/device.c) make them. Going back to devdax
// offlines every memory block first; a block the kernel cannot offline makes the call put back what it
// had offlined and reject EBUSY naming the block, so a device is never left half converted silently.
#pragma once

#include <napi.h>

#include "context.h"

namespace dax_native {

// reconfigureDaxDevice(device, mode, online, movable): Promise<RawDaxDeviceState>
Napi::Value ReconfigureDaxDevice(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);
// onlineDaxMemory(device, movable): Promise<RawDaxDeviceState & { count }>
Napi::Value OnlineDaxMemory(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);
// offlineDaxMemory(device): Promise<RawDaxDeviceState & { count }>
Napi::Value OfflineDaxMemory(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);

}  // namespace dax_native
