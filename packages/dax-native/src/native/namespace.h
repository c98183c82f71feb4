// Namespace changes through libndctl, as `ndctl create-namespace`, `create-namespace -f -e` and
// `destroy-namespace -f` (ndctl v76 ndctl/namespace.c) make them: create from the region's seed,
// reconfigure in place (disable safely, zero the info block, set up again), destroy (same, then delete
// the label). A namespace in use is refused (EBUSY from ndctl_namespace_disable_safe), never forced.
#pragma once

#include <napi.h>

#include "context.h"

namespace dax_native {

// createNamespace(region, params): Promise<RawNamespaceChange> (see native.d.ts)
Napi::Value CreateNamespace(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);
// reconfigureNamespace(namespace, params): Promise<RawNamespaceChange>
Napi::Value ReconfigureNamespace(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);
// destroyNamespace(namespace): Promise<{ namespace, freed }>
Napi::Value DestroyNamespace(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl);

}  // namespace dax_native
