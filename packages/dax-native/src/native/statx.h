// statx(2) for the DAX state the kernel actually uses for a file (STATX_ATTR_DAX), which can differ
// from the FS_XFLAG_DAX policy until the inode is evicted, and is never set without DAX media.
#pragma once

#include <napi.h>

namespace dax_native {

// statxDax(path): Promise<RawStatxDax>
Napi::Value StatxDax(const Napi::CallbackInfo& info);

}  // namespace dax_native
