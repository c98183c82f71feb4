#include "fsmap.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/fsmap.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "byte_arg.h"
#include "path_arg.h"
#include "promise_worker.h"

namespace dax_native {
namespace {

// Records asked for per ioctl, and the most one call returns in all: a bad range is a few sectors, so even a
// fragmented reverse map answers in a handful of records; the cap only bounds a caller asking for a whole disk.
constexpr uint32_t kFsmapBatch = 256;
constexpr size_t kFsmapMaxRecords = 1u << 20;
constexpr uint32_t kFiemapBatch = 512;
constexpr size_t kFiemapMaxExtents = 1u << 20;

// The kernel's new_encode_dev(): the format of fmr_device when FMH_OF_DEV_T is set (ext4 and xfs set it).
uint32_t EncodeDev(dev_t dev) {
  uint32_t ma = major(dev), mi = minor(dev);
  return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

struct FsmapRecord {
  uint32_t device;
  uint32_t flags;
  uint64_t physical;
  uint64_t owner;
  uint64_t offset;
  uint64_t length;
};

class GetFsmapWorker : public PromiseWorker {
 public:
  GetFsmapWorker(Napi::Env env, std::string path, uint64_t start, uint64_t end)
      : PromiseWorker(env), path_(std::move(path)), start_(start), end_(end) {}

 protected:
  void Execute() override {
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) {
      Fail(SystemError{errno, "open", path_, ""});
      return;
    }
    struct stat st = {};
    if (fstat(fd, &st) < 0) {
      Fail(SystemError{errno, "fstat", path_, ""});
      close(fd);
      return;
    }
    // The low key's device must be the data device itself: the kernel zeroes the low key of every device
    // numbered above it, so device 0 would restart the query at physical 0. st_dev is the data device for
    // ext4 and xfs (an external log or realtime device gets its own records, after it in the key order).
    data_device_ = EncodeDev(st.st_dev);

    size_t size = fsmap_sizeof(kFsmapBatch);
    std::unique_ptr<fsmap_head, decltype(&free)> head(static_cast<fsmap_head*>(calloc(1, size)), &free);
    if (!head) {
      Fail(SystemError{ENOMEM, "calloc", path_, ""});
      close(fd);
      return;
    }
    head->fmh_count = kFsmapBatch;
    head->fmh_keys[0].fmr_device = data_device_;
    head->fmh_keys[0].fmr_physical = start_;
    // High key: this device up to the range's last byte; owner/offset/flags all ones so every record that
    // starts at or before that byte is included whatever its owner.
    head->fmh_keys[1].fmr_device = data_device_;
    head->fmh_keys[1].fmr_physical = end_ - 1;
    head->fmh_keys[1].fmr_owner = ~0ULL;
    head->fmh_keys[1].fmr_offset = ~0ULL;
    head->fmh_keys[1].fmr_flags = ~0U;

    for (;;) {
      if (ioctl(fd, FS_IOC_GETFSMAP, head.get()) < 0) {
        Fail(SystemError{errno, "ioctl", path_, "FS_IOC_GETFSMAP"});
        break;
      }
      dev_t_format_ = (head->fmh_oflags & FMH_OF_DEV_T) != 0;
      if (head->fmh_entries == 0) break;
      bool last = false;
      for (uint32_t i = 0; i < head->fmh_entries; i++) {
        const struct fsmap& r = head->fmh_recs[i];
        records_.push_back({r.fmr_device, r.fmr_flags, r.fmr_physical, r.fmr_owner, r.fmr_offset, r.fmr_length});
        if (r.fmr_flags & FMR_OF_LAST) last = true;
      }
      if (last) break;
      if (records_.size() >= kFsmapMaxRecords) {
        truncated_ = true;
        break;
      }
      fsmap_advance(head.get());
    }
    close(fd);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("dataDevice", Napi::Number::New(env, data_device_));
    o.Set("devT", Napi::Boolean::New(env, dev_t_format_));
    o.Set("truncated", Napi::Boolean::New(env, truncated_));
    Napi::Array records = Napi::Array::New(env, records_.size());
    for (size_t i = 0; i < records_.size(); i++) {
      const FsmapRecord& r = records_[i];
      Napi::Object rec = Napi::Object::New(env);
      rec.Set("device", Napi::Number::New(env, r.device));
      rec.Set("flags", Napi::Number::New(env, r.flags));
      rec.Set("physical", Napi::Number::New(env, static_cast<double>(r.physical)));
      if (r.flags & FMR_OF_SPECIAL_OWNER) {
        rec.Set("ownerType", Napi::Number::New(env, FMR_OWNER_TYPE(r.owner)));
        rec.Set("ownerCode", Napi::Number::New(env, FMR_OWNER_CODE(r.owner)));
      } else {
        // An inode number; BigInt so that no 64-bit xfs inode number is rounded.
        rec.Set("inode", Napi::BigInt::New(env, static_cast<uint64_t>(r.owner)));
        rec.Set("offset", Napi::Number::New(env, static_cast<double>(r.offset)));
      }
      rec.Set("length", Napi::Number::New(env, static_cast<double>(r.length)));
      records[i] = rec;
    }
    o.Set("records", records);
    return o;
  }

 private:
  std::string path_;
  uint64_t start_;
  uint64_t end_;
  uint32_t data_device_ = 0;
  bool dev_t_format_ = false;
  bool truncated_ = false;
  std::vector<FsmapRecord> records_;
};

struct Extent {
  uint64_t logical;
  uint64_t physical;
  uint64_t length;
  uint32_t flags;
};

class FiemapWorker : public PromiseWorker {
 public:
  FiemapWorker(Napi::Env env, std::string path, uint64_t start, uint64_t end)
      : PromiseWorker(env), path_(std::move(path)), start_(start), end_(end) {}

 protected:
  void Execute() override {
    // O_NOFOLLOW: the walk maps the file itself, never what a symlink points at (possibly another mount).
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
      Fail(SystemError{errno, "open", path_, ""});
      return;
    }
    size_t size = sizeof(struct fiemap) + kFiemapBatch * sizeof(struct fiemap_extent);
    std::unique_ptr<struct fiemap, decltype(&free)> fm(static_cast<struct fiemap*>(calloc(1, size)), &free);
    if (!fm) {
      Fail(SystemError{ENOMEM, "calloc", path_, ""});
      close(fd);
      return;
    }
    uint64_t logical = 0;
    bool sync = true;
    for (;;) {
      memset(fm.get(), 0, size);
      fm->fm_start = logical;
      fm->fm_length = FIEMAP_MAX_OFFSET - logical;
      // Delayed allocations have no physical address until written back: sync once, on the first call.
      fm->fm_flags = sync ? FIEMAP_FLAG_SYNC : 0;
      sync = false;
      fm->fm_extent_count = kFiemapBatch;
      if (ioctl(fd, FS_IOC_FIEMAP, fm.get()) < 0) {
        Fail(SystemError{errno, "ioctl", path_, "FS_IOC_FIEMAP"});
        break;
      }
      if (fm->fm_mapped_extents == 0) break;
      bool last = false;
      for (uint32_t i = 0; i < fm->fm_mapped_extents; i++) {
        const struct fiemap_extent& e = fm->fm_extents[i];
        scanned_++;
        if (e.fe_flags & FIEMAP_EXTENT_LAST) last = true;
        logical = e.fe_logical + e.fe_length;
        bool in_range = e.fe_physical < end_ && e.fe_physical + e.fe_length > start_;
        if (in_range) extents_.push_back({e.fe_logical, e.fe_physical, e.fe_length, e.fe_flags});
      }
      if (last) break;
      if (scanned_ >= kFiemapMaxExtents) {
        truncated_ = true;
        break;
      }
    }
    close(fd);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("scanned", Napi::Number::New(env, static_cast<double>(scanned_)));
    o.Set("truncated", Napi::Boolean::New(env, truncated_));
    Napi::Array extents = Napi::Array::New(env, extents_.size());
    for (size_t i = 0; i < extents_.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("logical", Napi::Number::New(env, static_cast<double>(extents_[i].logical)));
      e.Set("physical", Napi::Number::New(env, static_cast<double>(extents_[i].physical)));
      e.Set("length", Napi::Number::New(env, static_cast<double>(extents_[i].length)));
      e.Set("flags", Napi::Number::New(env, extents_[i].flags));
      extents[i] = e;
    }
    o.Set("extents", extents);
    return o;
  }

 private:
  std::string path_;
  uint64_t start_;
  uint64_t end_;
  uint64_t scanned_ = 0;
  bool truncated_ = false;
  std::vector<Extent> extents_;
};

}  // namespace

Napi::Value GetFsmap(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  std::optional<uint64_t> start = ByteArg(info, 1, "deviceByteStart");
  if (!start) return info.Env().Undefined();
  std::optional<uint64_t> end = ByteArg(info, 2, "deviceByteEnd");
  if (!end) return info.Env().Undefined();
  if (*end <= *start) {
    Napi::RangeError::New(info.Env(), "deviceByteEnd must be greater than deviceByteStart")
        .ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return (new GetFsmapWorker(info.Env(), std::move(*path), *start, *end))->Start();
}

Napi::Value Fiemap(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  uint64_t start = 0, end = UINT64_MAX;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    std::optional<uint64_t> s = ByteArg(info, 1, "deviceByteStart");
    if (!s) return info.Env().Undefined();
    std::optional<uint64_t> e = ByteArg(info, 2, "deviceByteEnd");
    if (!e) return info.Env().Undefined();
    if (*e <= *s) {
      Napi::RangeError::New(info.Env(), "deviceByteEnd must be greater than deviceByteStart")
          .ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    start = *s;
    end = *e;
  }
  return (new FiemapWorker(info.Env(), std::move(*path), start, end))->Start();
}

}  // namespace dax_native
