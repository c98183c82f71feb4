// The calls that repair media errors (see the kernel's Documentation/filesystems/dax.rst, "Handling Media
// Errors"): punch a hole over a file's bad part, rewrite a block device's bad sectors through the pmem driver
// (which asks the platform to clear the poison), tell whether a block device is held, and send the bus's
// clear-error command for device DAX, which has no block device to write through.
#pragma once

#include <napi.h>

#include "context.h"

namespace dax_native {

// punchHole(path, offset, length, ino?: bigint): Promise<void>
Napi::Value PunchHole(const Napi::CallbackInfo& info);
// writeZeros(devicePath, offset, length): Promise<RawWriteZeros>
Napi::Value WriteZeros(const Napi::CallbackInfo& info);
// deviceInUse(devicePath): Promise<boolean>
Napi::Value DeviceInUse(const Napi::CallbackInfo& info);
// clearErrorsOnBus(bus, address: bigint, length, exact?: boolean): Promise<RawClearErrors>
Napi::Value ClearErrorsOnBus(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);

}  // namespace dax_native
