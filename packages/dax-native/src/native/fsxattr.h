// Extended inode flags (struct fsxattr) through FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR: the per-file
// and per-directory FS_XFLAG_DAX policy of ext4 and xfs mounted with dax=inode.
#pragma once

#include <napi.h>

namespace dax_native {

// getFsxattr(path): Promise<RawFsxattr>
Napi::Value GetFsxattr(const Napi::CallbackInfo& info);
// updateFsxattrFlags(path, setMask, clearMask): Promise<RawFsxattr>, the flags after the change
Napi::Value UpdateFsxattrFlags(const Napi::CallbackInfo& info);

}  // namespace dax_native
