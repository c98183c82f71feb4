// Which owners hold a range of a filesystem's device: the filesystem's own reverse map (FS_IOC_GETFSMAP: xfs
// with rmapbt names inodes and metadata; ext4 names its metadata and free space and calls file data "unknown")
// and the forward map of one file (FS_IOC_FIEMAP), which the caller intersects with the range where the reverse
// map has no answer (ext2/ext4 data, xfs without rmapbt).
#pragma once

#include <napi.h>

namespace dax_native {

// getFsmap(mountPath, deviceByteStart, deviceByteEnd): Promise<RawFsmap>
Napi::Value GetFsmap(const Napi::CallbackInfo& info);
// fiemap(path, deviceByteStart?, deviceByteEnd?): Promise<RawFiemap>
Napi::Value Fiemap(const Napi::CallbackInfo& info);

}  // namespace dax_native
