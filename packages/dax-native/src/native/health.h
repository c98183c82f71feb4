// DIMM SMART health through libndctl, for every DIMM on every bus.
#pragma once

#include <napi.h>

#include "context.h"

namespace dax_native {

// dimmHealth(): Promise<RawDimmHealth[]> (see native.d.ts).
Napi::Value DimmHealth(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);

}  // namespace dax_native
