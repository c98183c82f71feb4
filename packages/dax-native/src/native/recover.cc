#include "recover.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <ndctl/libndctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
// The kernel UAPI copy: Debian's <ndctl/ndctl.h> includes a ccan header it does not ship.
#include <linux/ndctl.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "byte_arg.h"
#include "path_arg.h"
#include "promise_worker.h"

namespace dax_native {
namespace {

constexpr uint64_t kSector = 512;
// The zero buffer: large enough that a clean device range goes out in few writes, small enough that a failed
// chunk costs little to retry sector by sector.
constexpr size_t kChunk = 1 << 20;
constexpr size_t kBufferAlign = 4096;

const char* KindOf(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
    default: return "of an unknown file type";
  }
}

// The EINVAL of a call refused because the path is not the `want` type of file (S_IFREG, S_IFBLK).
SystemError NotA(mode_t want, mode_t mode, const char* syscall, const std::string& path) {
  return SystemError{EINVAL, syscall, path, std::string("not ") + KindOf(want) + ": it is " + KindOf(mode)};
}

// stat() the path and check it is the `want` type before any open for writing (an open can have effects): the
// error when it is not, with the path's mode in *mode when asked for (left alone when stat failed).
// With follow false the path itself is looked at (lstat), so a symbolic link is refused as one.
std::optional<SystemError> StatAs(const std::string& path, mode_t want, const char* syscall, mode_t* mode = nullptr,
                                  bool follow = true) {
  struct stat st = {};
  if ((follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) < 0) {
    return SystemError{errno, follow ? "stat" : "lstat", path, ""};
  }
  if (mode != nullptr) *mode = st.st_mode;
  if ((st.st_mode & S_IFMT) != want) return NotA(want, st.st_mode, syscall, path);
  return std::nullopt;
}

std::string Hex(uint64_t v) {
  char text[32];
  snprintf(text, sizeof text, "0x%" PRIx64, v);
  return text;
}

// --- punchHole ---------------------------------------------------------------------------------------------

class PunchHoleWorker : public PromiseWorker {
 public:
  PunchHoleWorker(Napi::Env env, std::string path, uint64_t offset, uint64_t length, std::optional<uint64_t> ino)
      : PromiseWorker(env), path_(std::move(path)), offset_(offset), length_(length), ino_(ino) {}

 protected:
  void Execute() override {
    // lstat first, so a device, FIFO or symbolic link is refused without being opened for writing (an open can
    // have effects).
    if (std::optional<SystemError> error = StatAs(path_, S_IFREG, "fallocate", nullptr, false)) {
      Fail(*error);
      return;
    }
    // No O_CREAT: the file must exist. O_NOFOLLOW: a symbolic link swapped in since the lstat fails (ELOOP)
    // instead of sending the punch elsewhere. O_NONBLOCK so a FIFO swapped in cannot block the open.
    int fd = open(path_.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
      Fail(SystemError{errno, "open", path_, ""});
      return;
    }
    struct stat st = {};
    if (fstat(fd, &st) < 0) {
      Fail(SystemError{errno, "fstat", path_, ""});
    } else if (!S_ISREG(st.st_mode)) {
      Fail(NotA(S_IFREG, st.st_mode, "fallocate", path_));
    } else if (ino_ && static_cast<uint64_t>(st.st_ino) != *ino_) {
      // The plan was made for another file: a path replaced since (restored, renamed over) must not lose data.
      Fail(SystemError{ESTALE, "fstat", path_,
                       "inode changed: expected " + std::to_string(*ino_) + ", found " +
                           std::to_string(static_cast<uint64_t>(st.st_ino))});
    } else if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset_),
                         static_cast<off_t>(length_)) < 0) {
      Fail(SystemError{errno, "fallocate", path_, "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE"});
    } else if (fsync(fd) < 0) {
      Fail(SystemError{errno, "fsync", path_, ""});
    }
    close(fd);
  }

  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::string path_;
  uint64_t offset_;
  uint64_t length_;
  std::optional<uint64_t> ino_;
};

// --- writeZeros --------------------------------------------------------------------------------------------

struct FailedRange {
  uint64_t offset;
  uint64_t length;
  int errnum;
};

class WriteZerosWorker : public PromiseWorker {
 public:
  WriteZerosWorker(Napi::Env env, std::string path, uint64_t offset, uint64_t length)
      : PromiseWorker(env), path_(std::move(path)), offset_(offset), length_(length) {}

 protected:
  void Execute() override {
    if (std::optional<SystemError> error = StatAs(path_, S_IFBLK, "open")) {
      Fail(*error);
      return;
    }
    // O_EXCL on a block device claims it: EBUSY while it is mounted or held by another exclusive opener, so a
    // mounted filesystem never sees its blocks change underneath it. O_DIRECT sends the zeros to the driver
    // (the pmem driver clears poison on writes that cover it); O_SYNC makes each write durable when it returns.
    int fd = open(path_.c_str(), O_WRONLY | O_DIRECT | O_EXCL | O_SYNC | O_CLOEXEC);
    if (fd < 0) {
      Fail(SystemError{errno, "open", path_, ""});
      return;
    }
    Run(fd);
    close(fd);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("written", Napi::Number::New(env, static_cast<double>(written_)));
    o.Set("sectorSize", Napi::Number::New(env, static_cast<double>(sector_size_)));
    Napi::Array failed = Napi::Array::New(env, failed_.size());
    for (size_t i = 0; i < failed_.size(); i++) {
      char code[64];
      uv_err_name_r(-failed_[i].errnum, code, sizeof code);
      Napi::Object f = Napi::Object::New(env);
      f.Set("offset", Napi::Number::New(env, static_cast<double>(failed_[i].offset)));
      f.Set("length", Napi::Number::New(env, static_cast<double>(failed_[i].length)));
      f.Set("code", Napi::String::New(env, code));
      f.Set("errno", Napi::Number::New(env, -failed_[i].errnum));
      failed[i] = f;
    }
    o.Set("failed", failed);
    return o;
  }

 private:
  void Run(int fd) {
    uint64_t device_size = 0;
    int logical = 0;
    if (ioctl(fd, BLKGETSIZE64, &device_size) < 0) {
      Fail(SystemError{errno, "ioctl", path_, "BLKGETSIZE64"});
      return;
    }
    if (ioctl(fd, BLKSSZGET, &logical) < 0) {
      Fail(SystemError{errno, "ioctl", path_, "BLKSSZGET"});
      return;
    }
    // O_DIRECT writes must be whole logical blocks: 512 B on pmem, but a device can have 4 KiB.
    sector_size_ = logical > 0 ? static_cast<uint64_t>(logical) : kSector;
    if (offset_ % sector_size_ != 0 || length_ % sector_size_ != 0) {
      Fail(SystemError{EINVAL, "pwrite", path_,
                       "offset and length must be multiples of the device's " + std::to_string(sector_size_) +
                           "-byte logical block size"});
      return;
    }
    if (offset_ > device_size || length_ > device_size - offset_) {
      Fail(SystemError{EINVAL, "pwrite", path_,
                       "bytes " + std::to_string(offset_) + "-" + std::to_string(offset_ + length_) +
                           " lie beyond the device's " + std::to_string(device_size) + " bytes"});
      return;
    }

    void* raw = nullptr;
    int rc = posix_memalign(&raw, kBufferAlign, kChunk);
    if (rc != 0) {
      Fail(SystemError{rc, "posix_memalign", path_, ""});
      return;
    }
    memset(raw, 0, kChunk);
    const char* zeros = static_cast<const char*>(raw);

    uint64_t at = offset_;
    const uint64_t end = offset_ + length_;
    while (at < end) {
      size_t chunk = static_cast<size_t>(std::min<uint64_t>(kChunk, end - at));
      ssize_t n = pwrite(fd, zeros, chunk, static_cast<off_t>(at));
      if (n > 0 && n % static_cast<ssize_t>(sector_size_) == 0) {
        written_ += static_cast<uint64_t>(n);  // a short write: continue from where it stopped
        at += static_cast<uint64_t>(n);
        continue;
      }
      // The chunk failed somewhere: find exactly which blocks, one by one, and carry on after them.
      for (uint64_t s = at; s < at + chunk; s += sector_size_) {
        ssize_t one = pwrite(fd, zeros, sector_size_, static_cast<off_t>(s));
        if (one == static_cast<ssize_t>(sector_size_)) {
          written_ += sector_size_;
        } else {
          Record(s, one < 0 ? errno : EIO);  // a short write of one block is an I/O failure of that block
        }
      }
      at += chunk;
    }
    free(raw);

    if (fdatasync(fd) < 0) Fail(SystemError{errno, "fdatasync", path_, ""});
  }

  // Adjacent blocks that failed the same way become one entry.
  void Record(uint64_t offset, int errnum) {
    if (!failed_.empty()) {
      FailedRange& last = failed_.back();
      if (last.errnum == errnum && last.offset + last.length == offset) {
        last.length += sector_size_;
        return;
      }
    }
    failed_.push_back({offset, sector_size_, errnum});
  }

  std::string path_;
  uint64_t offset_;
  uint64_t length_;
  uint64_t sector_size_ = kSector;
  uint64_t written_ = 0;
  std::vector<FailedRange> failed_;
};

// --- deviceInUse -------------------------------------------------------------------------------------------

class DeviceInUseWorker : public PromiseWorker {
 public:
  DeviceInUseWorker(Napi::Env env, std::string path) : PromiseWorker(env), path_(std::move(path)) {}

 protected:
  void Execute() override {
    mode_t mode = 0;
    if (std::optional<SystemError> error = StatAs(path_, S_IFBLK, "open", &mode)) {
      if (S_ISCHR(mode)) {
        error->detail = "O_EXCL has no meaning on a character device; look for its openers in /proc/<pid>/fd and maps";
      }
      Fail(*error);
      return;
    }
    // The exclusive open the kernel refuses (EBUSY) while a filesystem, device-mapper, md or another O_EXCL
    // opener holds the device.
    int fd = open(path_.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      in_use_ = false;
    } else if (errno == EBUSY) {
      in_use_ = true;
    } else {
      Fail(SystemError{errno, "open", path_, ""});
    }
  }

  Napi::Value Result(Napi::Env env) override { return Napi::Boolean::New(env, in_use_); }

 private:
  std::string path_;
  bool in_use_ = false;
};

// --- clearErrorsOnBus --------------------------------------------------------------------------------------

class ClearErrorsWorker : public PromiseWorker {
 public:
  ClearErrorsWorker(Napi::Env env, NdctlContextRef ndctl, std::string bus, uint64_t address, uint64_t length,
                    bool exact)
      : PromiseWorker(env),
        ndctl_(std::move(ndctl)),
        bus_name_(std::move(bus)),
        address_(address),
        length_(length),
        exact_(exact) {}

 protected:
  void Execute() override {
    auto lock = ndctl_->Lock();
    struct ndctl_ctx* ctx = nullptr;
    int rc = ndctl_->Open(&ctx);
    if (rc < 0) {
      Fail(SystemError{-rc, "ndctl_new", "", ""});
      return;
    }
    ndctl_invalidate(ctx);  // buses come and go (nfit_test, driver reloads): enumerate afresh
    struct ndctl_bus* bus = nullptr;
    struct ndctl_bus* each;
    std::string names;
    ndctl_bus_foreach(ctx, each) {
      const char* name = ndctl_bus_get_devname(each);
      if (bus_name_ == name) bus = each;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    if (bus == nullptr) {
      Fail(SystemError{ENODEV, "ndctl_bus_get_devname", bus_name_,
                       names.empty() ? "this host has no NVDIMM bus" : "no such bus; buses: " + names});
      return;
    }
    // ndctl_bus_cmd_new_clear_error() also insists on ARS status being supported.
    for (auto [cmd, name] : {std::pair{ND_CMD_CLEAR_ERROR, "clear_error"}, std::pair{ND_CMD_ARS_CAP, "ars_cap"},
                             std::pair{ND_CMD_ARS_STATUS, "ars_status"}}) {
      if (!ndctl_bus_is_cmd_supported(bus, cmd)) {
        detail_ = "bus " + bus_name_ + " does not support " + name;
        if (cmd != ND_CMD_CLEAR_ERROR) detail_ += " (libndctl needs it to send clear_error)";
        return;
      }
    }
    supported_ = true;
    Clear(bus);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("supported", Napi::Boolean::New(env, supported_));
    o.Set("cleared", Napi::Number::New(env, static_cast<double>(cleared_)));
    o.Set("detail", Napi::String::New(env, detail_));
    o.Set("widenRequired", Napi::Boolean::New(env, widen_required_));
    if (supported_) {
      Napi::Object range = Napi::Object::New(env);
      range.Set("address", Napi::BigInt::New(env, aligned_address_));
      range.Set("length", Napi::Number::New(env, static_cast<double>(aligned_length_)));
      range.Set("clearUnit", Napi::Number::New(env, clear_unit_));
      o.Set("range", range);
    }
    return o;
  }

 private:
  // ARS capabilities of [address, address + length): the platform's clear unit comes from its answer.
  struct ndctl_cmd* ArsCap(struct ndctl_bus* bus, uint64_t address, uint64_t length) {
    ndctl_->ClearLastLog();
    struct ndctl_cmd* cap = ndctl_bus_cmd_new_ars_cap(bus, address, length);
    if (cap == nullptr) {
      Fail(SystemError{ENOTTY, "ndctl_bus_cmd_new_ars_cap", bus_name_, ndctl_->LastLog()});
      return nullptr;
    }
    int rc = ndctl_cmd_submit_xlat(cap);
    if (rc < 0) {
      Fail(SystemError{-rc, "ndctl_cmd_submit_xlat", bus_name_, FirmwareDetail("ars_cap", cap)});
      ndctl_cmd_unref(cap);
      return nullptr;
    }
    return cap;
  }

  void Clear(struct ndctl_bus* bus) {
    struct ndctl_cmd* cap = ArsCap(bus, address_, length_);
    if (cap == nullptr) return;
    clear_unit_ = ndctl_cmd_ars_cap_get_clear_unit(cap);
    if (clear_unit_ == 0 || (clear_unit_ & (clear_unit_ - 1)) != 0) {
      Fail(SystemError{ENXIO, "ndctl_cmd_ars_cap_get_clear_unit", bus_name_,
                       "the platform reported clear unit " + std::to_string(clear_unit_) + ", not a power of two"});
      ndctl_cmd_unref(cap);
      return;
    }
    // The platform clears whole units only, and libndctl refuses an unaligned request: widen it to the units
    // that cover it, and ask ARS capabilities again for that range, since the clear must lie within it.
    const uint64_t mask = clear_unit_ - 1;
    aligned_address_ = address_ & ~mask;
    aligned_length_ = ((address_ + length_ + mask) & ~mask) - aligned_address_;
    const bool widened = aligned_address_ != address_ || aligned_length_ != length_;
    if (widened && exact_) {
      // The caller may not clear bytes outside its range (they can hold good data the clear would zero or lose):
      // say what the platform needs and send nothing.
      widen_required_ = true;
      const uint64_t before = address_ - aligned_address_;
      const uint64_t after = aligned_address_ + aligned_length_ - (address_ + length_);
      detail_ = "the platform clears in units of " + std::to_string(clear_unit_) + " B: clearing " + Hex(address_) +
                "+" + std::to_string(length_) + " would also clear " + std::to_string(before) + " B before and " +
                std::to_string(after) + " B after it (" + Hex(aligned_address_) + "+" +
                std::to_string(aligned_length_) + "); nothing was cleared";
      ndctl_cmd_unref(cap);
      return;
    }
    if (widened) {
      ndctl_cmd_unref(cap);
      cap = ArsCap(bus, aligned_address_, aligned_length_);
      if (cap == nullptr) return;
    }

    ndctl_->ClearLastLog();
    struct ndctl_cmd* clear = ndctl_bus_cmd_new_clear_error(aligned_address_, aligned_length_, cap);
    if (clear == nullptr) {
      Fail(SystemError{ENXIO, "ndctl_bus_cmd_new_clear_error", bus_name_, ndctl_->LastLog()});
      ndctl_cmd_unref(cap);
      return;
    }
    int rc = ndctl_cmd_submit_xlat(clear);
    if (rc < 0) {
      Fail(SystemError{-rc, "ndctl_cmd_submit_xlat", bus_name_, FirmwareDetail("clear_error", clear)});
    } else {
      cleared_ = ndctl_cmd_clear_error_get_cleared(clear);
      detail_ = "bus " + bus_name_ + " cleared " + std::to_string(cleared_) + " of " + std::to_string(aligned_length_) +
                " bytes at SPA " + Hex(aligned_address_);
      if (widened) {
        detail_ += " (the request " + Hex(address_) + " +" + std::to_string(length_) +
                   " was widened to whole " + std::to_string(clear_unit_) + "-byte clear units)";
      }
    }
    ndctl_cmd_unref(clear);
    ndctl_cmd_unref(cap);
  }

  std::string FirmwareDetail(const char* command, struct ndctl_cmd* cmd) const {
    std::string text = std::string(command) + " firmware status " + Hex(ndctl_cmd_get_firmware_status(cmd));
    if (!ndctl_->LastLog().empty()) text += "; " + ndctl_->LastLog();
    return text;
  }

  NdctlContextRef ndctl_;
  std::string bus_name_;
  uint64_t address_;
  uint64_t length_;
  bool exact_;
  bool widen_required_ = false;
  bool supported_ = false;
  uint64_t cleared_ = 0;
  std::string detail_;
  unsigned clear_unit_ = 0;
  uint64_t aligned_address_ = 0;
  uint64_t aligned_length_ = 0;
};

}  // namespace

// punchHole(path, offset, length, ino?: bigint)
Napi::Value PunchHole(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return env.Undefined();
  std::optional<uint64_t> offset = ByteArg(info, 1, "offset");
  if (!offset) return env.Undefined();
  std::optional<uint64_t> length = ByteArg(info, 2, "length");
  if (!length) return env.Undefined();
  std::optional<uint64_t> ino;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    bool lossless = false;
    if (!info[3].IsBigInt()) {
      Napi::TypeError::New(env, "ino must be a bigint").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    ino = info[3].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      Napi::RangeError::New(env, "ino must fit in 64 bits unsigned").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  return (new PunchHoleWorker(env, std::move(*path), *offset, *length, ino))->Start();
}

Napi::Value WriteZeros(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  std::optional<uint64_t> offset = ByteArg(info, 1, "offset");
  if (!offset) return info.Env().Undefined();
  std::optional<uint64_t> length = ByteArg(info, 2, "length");
  if (!length) return info.Env().Undefined();
  return (new WriteZerosWorker(info.Env(), std::move(*path), *offset, *length))->Start();
}

Napi::Value DeviceInUse(const Napi::CallbackInfo& info) {
  std::optional<std::string> path = PathArg(info, 0);
  if (!path) return info.Env().Undefined();
  return (new DeviceInUseWorker(info.Env(), std::move(*path)))->Start();
}

Napi::Value ClearErrorsOnBus(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsBigInt()) {
    Napi::TypeError::New(env, "clearErrorsOnBus(bus: string, address: bigint, length: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool lossless = false;
  uint64_t address = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    Napi::RangeError::New(env, "address must fit in 64 bits unsigned").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::optional<uint64_t> length = ByteArg(info, 2, "length");
  if (!length) return env.Undefined();
  const bool exact = info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  std::string bus = info[0].As<Napi::String>().Utf8Value();
  return (new ClearErrorsWorker(env, ndctl, std::move(bus), address, *length, exact))->Start();
}

}  // namespace dax_native
