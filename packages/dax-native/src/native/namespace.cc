#include "namespace.h"

#include <daxctl/libdaxctl.h>
#include <fcntl.h>
#include <ndctl/libndctl.h>
#include <sys/random.h>
#include <unistd.h>
// The kernel UAPI copy: Debian's <ndctl/ndctl.h> includes a ccan header it does not ship.
#include <linux/ndctl.h>

#include <cerrno>
#include <cstdarg>
#include <cinttypes>
#include <optional>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "promise_worker.h"

namespace dax_native {
namespace {

constexpr uint64_t kSz2M = 2ULL << 20;
constexpr uint64_t kSz16M = 16ULL << 20;
// The syscall name of an argument the region or namespace cannot take: the TS wrapper turns these rejections
// into TypeErrors (bad input, nothing was changed).
constexpr const char* kValidate = "daxfleet_validate";
// ndctl's sector_size "not set" marker for kernels without a namespace sector_size attribute.
constexpr uint64_t kNoSectorSize = UINT_MAX;

// What JS asked for, after the TS wrapper's type checks: 0 / empty means "ndctl's default".
struct NamespaceRequest {
  std::string mode;  // raw | sector | fsdax | devdax
  uint64_t size = 0;
  uint64_t align = 0;
  std::string map;  // mem | dev | ""
  uint64_t sector_size = 0;
  std::optional<std::string> name;
  std::optional<std::string> uuid;
};

// The parameters setup_namespace() applies, as ndctl's validate_namespace_options() resolves them.
struct NamespacePlan {
  enum ndctl_namespace_mode mode = NDCTL_NS_MODE_RAW;
  uint64_t size = 0;
  uint64_t align = 0;
  enum ndctl_pfn_loc loc = NDCTL_PFN_LOC_NONE;
  uint64_t sector_size = 0;
  std::string name;
  unsigned char uuid[16] = {};
};

// What a namespace is after a change, for the JS result.
struct NamespaceOutcome {
  std::string name;
  std::string mode;
  uint64_t size = 0;
  std::string uuid;
  std::string blockdev;
  std::string chardev;
  std::string holder;
};

enum ndctl_namespace_mode ModeOf(const std::string& mode) {
  if (mode == "fsdax") return NDCTL_NS_MODE_FSDAX;
  if (mode == "devdax") return NDCTL_NS_MODE_DEVDAX;
  if (mode == "sector") return NDCTL_NS_MODE_SECTOR;
  return NDCTL_NS_MODE_RAW;
}

bool ParseUuid(const std::string& text, unsigned char out[16]) {
  std::string hex;
  for (char c : text) {
    if (c != '-') hex += c;
  }
  if (hex.size() != 32) return false;
  for (size_t i = 0; i < 16; i++) {
    char byte[3] = {hex[2 * i], hex[2 * i + 1], 0};
    char* end = nullptr;
    out[i] = static_cast<unsigned char>(strtoul(byte, &end, 16));
    if (end != byte + 2) return false;
  }
  return true;
}

// A version 4 (random) uuid, as uuid_generate() makes when /dev/urandom is there.
bool RandomUuid(unsigned char out[16]) {
  if (getrandom(out, 16, 0) != 16) return false;
  out[6] = static_cast<unsigned char>((out[6] & 0x0f) | 0x40);
  out[8] = static_cast<unsigned char>((out[8] & 0x3f) | 0x80);
  return true;
}

std::string FormatUuid(const unsigned char uu[16]) {
  char text[40];
  snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", uu[0], uu[1],
           uu[2], uu[3], uu[4], uu[5], uu[6], uu[7], uu[8], uu[9], uu[10], uu[11], uu[12], uu[13], uu[14], uu[15]);
  return text;
}

std::string Str(const char* s) { return s != nullptr ? s : ""; }

std::string LabelLessAdvice(const std::string& region) {
  return region + " has no namespace labels (label-less): its one namespace spans the whole region and cannot be "
                  "created, resized or deleted. Initialise labels first: ndctl disable-region " +
         region + "; ndctl init-labels -f <its nmem DIMMs>; ndctl enable-region " + region;
}

class NamespaceWorker : public PromiseWorker {
 public:
  NamespaceWorker(Napi::Env env, NdctlContextRef ndctl) : PromiseWorker(env), ndctl_(std::move(ndctl)) {}

 protected:
  ~NamespaceWorker() override {
    if (ctx_ != nullptr) ndctl_unref(ctx_);
  }

  // PromiseWorker::Fail, keeping the error so a later clean-up can say what it left behind (AddToFailure).
  void Fail(SystemError error) {
    failure_ = error;
    PromiseWorker::Fail(std::move(error));
  }

  // Appends a sentence to the error already failed with (what the clean-up after it did or could not do).
  void AddToFailure(const std::string& sentence) {
    if (!failure_) return;
    failure_->detail += (failure_->detail.empty() ? "" : "; ") + sentence;
    PromiseWorker::Fail(*failure_);
  }

  // With the lock held: a context of this call's own. libndctl keeps every object it enumerated with its
  // attributes (a region's nstype, a namespace's seed) and ndctl_invalidate() rescans buses only, so a context
  // shared across calls would not see what another process (ndctl init-labels, say) changed since.
  struct ndctl_ctx* Context() {
    int rc = ndctl_new(&ctx_);
    if (rc < 0) {
      ctx_ = nullptr;
      Fail(SystemError{-rc, "ndctl_new", "", ""});
      return nullptr;
    }
    ndctl_set_userdata(ctx_, &log_);
    ndctl_set_log_fn(ctx_, &NamespaceWorker::CaptureLog);
    return ctx_;
  }

  static void CaptureLog(struct ndctl_ctx* ctx, int /*priority*/, const char* /*file*/, int /*line*/, const char* fn,
                         const char* format, va_list args) {
    auto* log = static_cast<std::string*>(ndctl_get_userdata(ctx));
    if (log == nullptr) return;
    char text[512];
    vsnprintf(text, sizeof text, format, args);
    std::string line = std::string(fn) + ": " + text;
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    *log = std::move(line);
  }

  struct ndctl_region* FindRegion(struct ndctl_ctx* ctx, const std::string& name) {
    struct ndctl_bus* bus;
    struct ndctl_region* region;
    std::string names;
    ndctl_bus_foreach(ctx, bus) {
      ndctl_region_foreach(bus, region) {
        if (name == ndctl_region_get_devname(region)) return region;
        names += (names.empty() ? "" : ", ") + Str(ndctl_region_get_devname(region));
      }
    }
    Fail(SystemError{ENODEV, "ndctl_region_get_devname", name,
                     names.empty() ? "this host has no NVDIMM region" : "no such region; regions: " + names});
    return nullptr;
  }

  struct ndctl_namespace* FindNamespace(struct ndctl_ctx* ctx, const std::string& name, struct ndctl_region** out) {
    struct ndctl_bus* bus;
    struct ndctl_region* region;
    struct ndctl_namespace* ndns;
    std::string names;
    ndctl_bus_foreach(ctx, bus) {
      ndctl_region_foreach(bus, region) {
        ndctl_namespace_foreach(region, ndns) {
          if (name == ndctl_namespace_get_devname(ndns)) {
            *out = region;
            return ndns;
          }
          if (ndctl_namespace_get_size(ndns) > 0) names += (names.empty() ? "" : ", ") + Str(ndctl_namespace_get_devname(ndns));
        }
      }
    }
    Fail(SystemError{ENODEV, "ndctl_namespace_get_devname", name,
                     names.empty() ? "this host has no configured namespace" : "no such namespace; namespaces: " + names});
    return nullptr;
  }

  void Invalid(const std::string& what, const std::string& detail) { Fail(SystemError{EINVAL, kValidate, what, detail}); }

  // ndctl's validate_namespace_options(): the request resolved against the region (and, when reconfiguring,
  // the namespace's current settings). False after Fail().
  bool Resolve(struct ndctl_region* region, struct ndctl_namespace* ndns, const NamespaceRequest& req,
               NamespacePlan* p) {
    const std::string rname = ndctl_region_get_devname(region);
    if (!ndctl_region_is_enabled(region)) {
      Fail(SystemError{ENXIO, "ndctl_region_is_enabled", rname,
                       rname + " is disabled; enable it first (ndctl enable-region " + rname + ")"});
      return false;
    }
    if (ndctl_region_get_ro(region)) {
      Fail(SystemError{EROFS, "ndctl_region_get_ro", rname, rname + " is read-only: its namespaces cannot change"});
      return false;
    }
    const bool label_less = ndctl_region_get_nstype(region) == ND_DEVICE_NAMESPACE_IO;
    if (label_less && ndns == nullptr) {
      Fail(SystemError{EINVAL, "ndctl_namespace_set_size", rname, LabelLessAdvice(rname)});
      return false;
    }

    bool default_size = false;
    if (req.size > 0) {
      p->size = req.size;
    } else if (ndns != nullptr) {
      p->size = ndctl_namespace_get_size(ndns);
    } else {
      default_size = true;
    }
    if (ndns == nullptr) {
      // ndctl's validate_available_capacity(): the largest free extent is what one namespace can take.
      unsigned long long available = ndctl_region_get_max_available_extent(region);
      if (available == ULLONG_MAX) available = ndctl_region_get_available_size(region);
      if (available == 0) {
        Fail(SystemError{ENOSPC, "ndctl_region_get_max_available_extent", rname, rname + " has no free capacity"});
        return false;
      }
      if (p->size > available) {
        Fail(SystemError{ENOSPC, "ndctl_region_get_max_available_extent", rname,
                         "size " + std::to_string(p->size) + " exceeds the largest free extent of " + rname + " (" +
                             std::to_string(available) + ")"});
        return false;
      }
      if (default_size) p->size = available;
    }
    if (label_less && p->size != ndctl_region_get_size(region)) {
      Fail(SystemError{EINVAL, "ndctl_namespace_set_size", rname, LabelLessAdvice(rname)});
      return false;
    }

    if (req.uuid) {
      if (!ParseUuid(*req.uuid, p->uuid)) {
        Invalid(*req.uuid, "uuid must look like 01234567-89ab-cdef-0123-456789abcdef");
        return false;
      }
    } else if (!RandomUuid(p->uuid)) {
      Fail(SystemError{errno, "getrandom", "", ""});
      return false;
    }
    if (req.name) {
      p->name = *req.name;
    } else if (ndns != nullptr) {
      p->name = Str(ndctl_namespace_get_alt_name(ndns));
    }

    p->mode = ModeOf(req.mode);
    if (ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM &&
        (p->mode == NDCTL_NS_MODE_FSDAX || p->mode == NDCTL_NS_MODE_DEVDAX)) {
      Invalid(rname, rname + " is not a pmem region: it does not support " + req.mode + " mode");
      return false;
    }
    struct ndctl_pfn* pfn = nullptr;
    struct ndctl_dax* dax = nullptr;
    if (p->mode == NDCTL_NS_MODE_FSDAX) {
      pfn = ndctl_region_get_pfn_seed(region);
      if (pfn == nullptr) {
        Fail(SystemError{ENODEV, "ndctl_region_get_pfn_seed", rname, "the kernel offers no fsdax (pfn) device on " + rname});
        return false;
      }
    } else if (p->mode == NDCTL_NS_MODE_DEVDAX) {
      dax = ndctl_region_get_dax_seed(region);
      if (dax == nullptr) {
        Fail(SystemError{ENODEV, "ndctl_region_get_dax_seed", rname, "the kernel offers no devdax device on " + rname});
        return false;
      }
    }

    if (req.align > 0) {
      int n = pfn != nullptr ? ndctl_pfn_get_num_alignments(pfn) : ndctl_dax_get_num_alignments(dax);
      std::string supported;
      bool found = false;
      for (int i = 0; i < n; i++) {
        unsigned long a = pfn != nullptr ? ndctl_pfn_get_supported_alignment(pfn, i)
                                         : ndctl_dax_get_supported_alignment(dax, i);
        if (a == req.align) found = true;
        supported += (supported.empty() ? "" : ", ") + std::to_string(a);
      }
      if (!found) {
        Invalid(rname, "align " + std::to_string(req.align) + " is not supported for " + req.mode + " on " + rname +
                           " (supported: " + supported + ")");
        return false;
      }
      p->align = req.align;
    } else {
      if (ndns != nullptr && p->mode == ndctl_namespace_get_mode(ndns)) {
        struct ndctl_pfn* ns_pfn = ndctl_namespace_get_pfn(ndns);
        struct ndctl_dax* ns_dax = ndctl_namespace_get_dax(ndns);
        p->align = ns_pfn != nullptr ? ndctl_pfn_get_align(ns_pfn)
                   : ns_dax != nullptr ? ndctl_dax_get_align(ns_dax)
                                       : static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
      } else if (p->mode == NDCTL_NS_MODE_FSDAX) {
        p->align = ndctl_pfn_has_align(pfn) ? ndctl_pfn_get_align(pfn) : kSz2M;
      } else if (p->mode == NDCTL_NS_MODE_DEVDAX) {
        p->align = ndctl_dax_get_align(dax);
      } else {
        p->align = static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
      }
      // ndctl: a region not aligned to the default (nfit_test's vmalloc memory) falls back to page alignment.
      unsigned long long resource = ndctl_region_get_resource(region);
      if (p->align == 0 || (resource < ULLONG_MAX && (resource & (p->align - 1)) != 0)) {
        p->align = static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
      }
    }

    unsigned long region_align = ndctl_region_get_align(region);
    if (region_align < ULONG_MAX && region_align > 0 && p->size % region_align != 0) {
      Invalid(rname, "size must be a multiple of the region align (" + std::to_string(region_align) + ")");
      return false;
    }
    unsigned int ways = ndctl_region_get_interleave_ways(region);
    if (ways == 0) ways = 1;
    if (p->size % (p->align * ways) != 0) {
      Invalid(rname, "size must be a multiple of align (" + std::to_string(p->align) + ") x interleave ways (" +
                         std::to_string(ways) + ")");
      return false;
    }
    if (p->size < kSz16M && p->mode != NDCTL_NS_MODE_RAW) {
      if (default_size) {
        Fail(SystemError{ENOSPC, "ndctl_region_get_max_available_extent", rname,
                         rname + " has less than 16 MiB free: too little for " + req.mode + " mode"});
      } else {
        Invalid(rname, "size must be at least 16 MiB (16777216) in " + req.mode + " mode");
      }
      return false;
    }

    if (req.sector_size > 0) {
      p->sector_size = req.sector_size;
      std::string supported;
      bool found = false;
      if (p->mode == NDCTL_NS_MODE_SECTOR) {
        struct ndctl_btt* btt = ndctl_region_get_btt_seed(region);
        if (btt == nullptr) {
          Fail(SystemError{ENODEV, "ndctl_region_get_btt_seed", rname, rname + " does not support sector mode"});
          return false;
        }
        for (int i = 0, n = ndctl_btt_get_num_sector_sizes(btt); i < n; i++) {
          unsigned int s = ndctl_btt_get_supported_sector_size(btt, i);
          found = found || s == req.sector_size;
          supported += (supported.empty() ? "" : ", ") + std::to_string(s);
        }
      } else {
        struct ndctl_namespace* seed = ndns != nullptr ? ndns : ndctl_region_get_namespace_seed(region);
        if (seed == nullptr) {
          Fail(SystemError{ENXIO, "ndctl_region_get_namespace_seed", rname, rname + " has no namespace seed"});
          return false;
        }
        for (int i = 0, n = ndctl_namespace_get_num_sector_sizes(seed); i < n; i++) {
          unsigned int s = ndctl_namespace_get_supported_sector_size(seed, i);
          found = found || s == req.sector_size;
          supported += (supported.empty() ? "" : ", ") + std::to_string(s);
        }
      }
      if (!found) {
        Invalid(rname, "sectorSize " + std::to_string(req.sector_size) + " is not supported for " + req.mode +
                           " on " + rname + " (supported: " + supported + ")");
        return false;
      }
    } else if (ndns != nullptr) {
      struct ndctl_btt* btt = ndctl_namespace_get_btt(ndns);
      if (btt != nullptr && p->mode == NDCTL_NS_MODE_SECTOR) {
        p->sector_size = ndctl_btt_get_sector_size(btt);  // still sector mode: carry the size forward
      } else if (p->mode == NDCTL_NS_MODE_SECTOR) {
        p->sector_size = 4096;
      } else {
        p->sector_size = ndctl_namespace_get_sector_size(ndns);
      }
    } else {
      struct ndctl_namespace* seed = ndctl_region_get_namespace_seed(region);
      if (seed == nullptr) {
        Fail(SystemError{ENXIO, "ndctl_region_get_namespace_seed", rname, rname + " has no namespace seed"});
        return false;
      }
      if (p->mode == NDCTL_NS_MODE_SECTOR) {
        p->sector_size = 4096;
      } else {
        p->sector_size = ndctl_namespace_get_num_sector_sizes(seed) == 0 ? kNoSectorSize : 512;
      }
    }

    if (p->mode == NDCTL_NS_MODE_FSDAX || p->mode == NDCTL_NS_MODE_DEVDAX) {
      p->loc = req.map == "mem" ? NDCTL_PFN_LOC_RAM : NDCTL_PFN_LOC_PMEM;
    }
    return true;
  }

  // A libndctl setter's failure, with its last log line.
  bool Check(int rc, const char* fn, const std::string& dev, const std::string& extra = "") {
    if (rc >= 0) return true;
    std::string detail = log_;
    if (!extra.empty()) detail = detail.empty() ? extra : detail + "; " + extra;
    Fail(SystemError{-rc, fn, dev, detail});
    return false;
  }

  // ndctl's setup_namespace(): label, size, sector size, then the btt/pfn/dax personality and enable.
  bool Setup(struct ndctl_region* region, struct ndctl_namespace* ndns, NamespacePlan* p, const std::string& after) {
    const std::string dev = ndctl_namespace_get_devname(ndns);
    if (ndctl_namespace_get_type(ndns) != ND_DEVICE_NAMESPACE_IO) {
      if (!Check(ndctl_namespace_set_uuid(ndns, p->uuid), "ndctl_namespace_set_uuid", dev, after)) return false;
      if (!Check(ndctl_namespace_set_alt_name(ndns, p->name.c_str()), "ndctl_namespace_set_alt_name", dev, after)) {
        return false;
      }
      if (!Check(ndctl_namespace_set_size(ndns, p->size), "ndctl_namespace_set_size", dev, after)) return false;
    }
    if (p->sector_size > 0 && p->sector_size < kNoSectorSize) {
      int i = 0;
      const int n = ndctl_namespace_get_num_sector_sizes(ndns);
      while (i < n && ndctl_namespace_get_supported_sector_size(ndns, i) != static_cast<unsigned int>(p->sector_size)) i++;
      if (i < n) {
        if (!Check(ndctl_namespace_set_sector_size(ndns, static_cast<unsigned int>(p->sector_size)),
                   "ndctl_namespace_set_sector_size", dev, after)) {
          return false;
        }
      } else if (p->mode != NDCTL_NS_MODE_SECTOR && p->sector_size != 512) {
        Invalid(dev, "sectorSize " + std::to_string(p->sector_size) + " is not supported by " + dev);
        return false;
      }
    }

    unsigned char holder_uuid[16];
    if (!RandomUuid(holder_uuid)) {
      Fail(SystemError{errno, "getrandom", "", ""});
      return false;
    }
    // Not error checked by ndctl either: an opportunistic hint to the kernel.
    ndctl_namespace_set_enforce_mode(ndns, p->mode);

    if (p->mode == NDCTL_NS_MODE_FSDAX || p->mode == NDCTL_NS_MODE_DEVDAX) {
      unsigned long long resource = ndctl_namespace_get_resource(ndns);
      if (resource != ULLONG_MAX && (resource & (kSz16M - 1)) != 0) {
        Fail(SystemError{EINVAL, "ndctl_namespace_get_resource", dev,
                         dev + " is misaligned to 16M; adjust the region alignment and retry" + (after.empty() ? "" : "; " + after)});
        return false;
      }
    }
    if (p->mode == NDCTL_NS_MODE_FSDAX) {
      struct ndctl_pfn* pfn = ndctl_region_get_pfn_seed(region);
      if (pfn == nullptr) {
        Fail(SystemError{ENXIO, "ndctl_region_get_pfn_seed", dev, after});
        return false;
      }
      const std::string pdev = ndctl_pfn_get_devname(pfn);
      if (!Check(ndctl_pfn_set_uuid(pfn, holder_uuid), "ndctl_pfn_set_uuid", pdev, after)) return false;
      if (!Check(ndctl_pfn_set_location(pfn, p->loc), "ndctl_pfn_set_location", pdev, after)) return false;
      if (ndctl_pfn_has_align(pfn) && !Check(ndctl_pfn_set_align(pfn, p->align), "ndctl_pfn_set_align", pdev, after)) {
        return false;
      }
      if (!Check(ndctl_pfn_set_namespace(pfn, ndns), "ndctl_pfn_set_namespace", pdev, after)) return false;
      int rc = ndctl_pfn_enable(pfn);
      if (rc < 0) {
        ndctl_pfn_set_namespace(pfn, nullptr);  // ndctl's autorecover
        return Check(rc, "ndctl_pfn_enable", pdev, after);
      }
    } else if (p->mode == NDCTL_NS_MODE_DEVDAX) {
      struct ndctl_dax* dax = ndctl_region_get_dax_seed(region);
      if (dax == nullptr) {
        Fail(SystemError{ENXIO, "ndctl_region_get_dax_seed", dev, after});
        return false;
      }
      const std::string ddev = ndctl_dax_get_devname(dax);
      if (!Check(ndctl_dax_set_uuid(dax, holder_uuid), "ndctl_dax_set_uuid", ddev, after)) return false;
      if (!Check(ndctl_dax_set_location(dax, p->loc), "ndctl_dax_set_location", ddev, after)) return false;
      if (!Check(ndctl_dax_set_align(dax, p->align), "ndctl_dax_set_align", ddev, after)) return false;
      if (!Check(ndctl_dax_set_namespace(dax, ndns), "ndctl_dax_set_namespace", ddev, after)) return false;
      int rc = ndctl_dax_enable(dax);
      if (rc < 0) {
        ndctl_dax_set_namespace(dax, nullptr);
        return Check(rc, "ndctl_dax_enable", ddev, after);
      }
    } else if (p->mode == NDCTL_NS_MODE_SECTOR) {
      struct ndctl_btt* btt = ndctl_region_get_btt_seed(region);
      if (btt == nullptr) {
        Fail(SystemError{ENXIO, "ndctl_region_get_btt_seed", dev, after});
        return false;
      }
      const std::string bdev = ndctl_btt_get_devname(btt);
      if (p->sector_size == kNoSectorSize) p->sector_size = 4096;
      if (!Check(ndctl_btt_set_uuid(btt, holder_uuid), "ndctl_btt_set_uuid", bdev, after)) return false;
      if (!Check(ndctl_btt_set_sector_size(btt, static_cast<unsigned int>(p->sector_size)), "ndctl_btt_set_sector_size",
                 bdev, after)) {
        return false;
      }
      if (!Check(ndctl_btt_set_namespace(btt, ndns), "ndctl_btt_set_namespace", bdev, after)) return false;
      if (!Check(ndctl_btt_enable(btt), "ndctl_btt_enable", bdev, after)) return false;
    } else {
      if (!Check(ndctl_namespace_enable(ndns), "ndctl_namespace_enable", dev, after)) return false;
    }
    return true;
  }

  // ndctl's namespace_prep_reconfig() with --force: disable safely (refused while in use), then zero the info
  // block so the old personality is not found again. False after Fail().
  bool PrepReconfig(struct ndctl_namespace* ndns) {
    const std::string dev = ndctl_namespace_get_devname(ndns);
    struct ndctl_pfn* pfn = ndctl_namespace_get_pfn(ndns);
    struct ndctl_btt* btt = ndctl_namespace_get_btt(ndns);
    struct ndctl_dax* dax = ndctl_namespace_get_dax(ndns);
    std::string user;  // what disable_safe will look at, for the message
    if (pfn != nullptr && ndctl_pfn_is_enabled(pfn)) {
      user = "/dev/" + Str(ndctl_pfn_get_block_device(pfn));
    } else if (btt != nullptr && ndctl_btt_is_enabled(btt)) {
      user = "/dev/" + Str(ndctl_btt_get_block_device(btt));
    } else if (dax != nullptr && ndctl_dax_is_enabled(dax)) {
      // the character device users know (daxctl's name), not the nd bus's dax holder
      struct daxctl_region* dregion = ndctl_dax_get_daxctl_region(dax);
      struct daxctl_dev* ddev = dregion != nullptr ? daxctl_dev_get_first(dregion) : nullptr;
      user = ddev != nullptr ? Str(daxctl_dev_get_devname(ddev)) : Str(ndctl_dax_get_devname(dax));
    } else if (ndctl_namespace_is_enabled(ndns)) {
      user = "/dev/" + Str(ndctl_namespace_get_block_device(ndns));
    }
    int rc = ndctl_namespace_disable_safe(ndns);
    if (rc < 0) {
      std::string detail;
      if (rc == -EBUSY && dax != nullptr && user.rfind("/dev/", 0) != 0) {
        detail = dev + " is in use: " + user + " has memory in system-ram mode; offline it and reconfigure " + user +
                 " to devdax first";
      } else if (rc == -EBUSY) {
        detail = dev + " is in use: " + user + " is mounted or held open exclusively; unmount it or stop its users first";
      } else {
        detail = dev + ": could not claim " + user + " to disable it";
      }
      Fail(SystemError{-rc, "ndctl_namespace_disable_safe", dev, detail});
      return false;
    }
    ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
    return ZeroInfoBlock(ndns);
  }

  // ndctl's zero_info_block(): enable in raw mode, O_EXCL open, zero the first 8 KiB unless they already are.
  bool ZeroInfoBlock(struct ndctl_namespace* ndns) {
    const std::string dev = ndctl_namespace_get_devname(ndns);
    constexpr size_t kInfoSize = 8192;
    ndctl_namespace_set_raw_mode(ndns, 1);
    bool ok = true;
    // As ndctl: a namespace that cannot be enabled raw (no capacity yet) has nothing to zero.
    if (ndctl_namespace_enable(ndns) >= 0) {
      const std::string path = "/dev/" + Str(ndctl_namespace_get_block_device(ndns));
      void* zeros = nullptr;
      void* read_buf = nullptr;
      if (posix_memalign(&zeros, 4096, kInfoSize) != 0 || posix_memalign(&read_buf, 4096, kInfoSize) != 0) {
        Fail(SystemError{ENOMEM, "posix_memalign", dev, ""});
        ok = false;
      } else {
        memset(zeros, 0, kInfoSize);
        int fd = open(path.c_str(), O_RDWR | O_DIRECT | O_EXCL | O_CLOEXEC);
        if (fd < 0) {
          Fail(SystemError{errno, "open", path, "zeroing the info block of " + dev});
          ok = false;
        } else {
          ssize_t n = pread(fd, read_buf, kInfoSize, 0);
          if (n != static_cast<ssize_t>(kInfoSize) || memcmp(zeros, read_buf, kInfoSize) != 0) {
            if (pwrite(fd, zeros, kInfoSize, 0) != static_cast<ssize_t>(kInfoSize)) {
              Fail(SystemError{errno != 0 ? errno : EIO, "pwrite", path, "zeroing the info block of " + dev});
              ok = false;
            } else if (fdatasync(fd) < 0) {
              Fail(SystemError{errno, "fdatasync", path, "zeroing the info block of " + dev});
              ok = false;
            }
          }
          close(fd);
        }
      }
      free(zeros);
      free(read_buf);
    }
    ndctl_namespace_set_raw_mode(ndns, 0);
    ndctl_namespace_disable_invalidate(ndns);
    // Disabled on purpose above, so the failure leaves it so: say it, nothing else was changed after this.
    if (!ok) AddToFailure(dev + " is left disabled (its old info block may remain): plan the change again");
    return ok;
  }

  NamespaceOutcome Describe(struct ndctl_namespace* ndns) {
    NamespaceOutcome o;
    o.name = ndctl_namespace_get_devname(ndns);
    o.size = ndctl_namespace_get_size(ndns);
    unsigned char uu[16] = {};
    ndctl_namespace_get_uuid(ndns, uu);
    static const unsigned char kNull[16] = {};
    if (memcmp(uu, kNull, 16) != 0) o.uuid = FormatUuid(uu);
    struct ndctl_btt* btt = ndctl_namespace_get_btt(ndns);
    struct ndctl_pfn* pfn = ndctl_namespace_get_pfn(ndns);
    struct ndctl_dax* dax = ndctl_namespace_get_dax(ndns);
    if (btt != nullptr && ndctl_btt_is_enabled(btt)) {
      o.mode = "sector";
      o.holder = ndctl_btt_get_devname(btt);
      o.blockdev = Str(ndctl_btt_get_block_device(btt));
    } else if (pfn != nullptr && ndctl_pfn_is_enabled(pfn)) {
      o.mode = "fsdax";
      o.holder = ndctl_pfn_get_devname(pfn);
      o.blockdev = Str(ndctl_pfn_get_block_device(pfn));
    } else if (dax != nullptr && ndctl_dax_is_enabled(dax)) {
      o.mode = "devdax";
      o.holder = ndctl_dax_get_devname(dax);
      struct daxctl_region* dregion = ndctl_dax_get_daxctl_region(dax);
      struct daxctl_dev* ddev = dregion != nullptr ? daxctl_dev_get_first(dregion) : nullptr;
      if (ddev != nullptr) o.chardev = daxctl_dev_get_devname(ddev);
    } else {
      o.mode = "raw";
      if (ndctl_namespace_is_enabled(ndns)) o.blockdev = Str(ndctl_namespace_get_block_device(ndns));
    }
    return o;
  }

  static Napi::Object ToJs(Napi::Env env, const NamespaceOutcome& o) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("namespace", o.name);
    r.Set("mode", o.mode);
    r.Set("size", Napi::Number::New(env, static_cast<double>(o.size)));
    if (!o.uuid.empty()) r.Set("uuid", o.uuid);
    if (!o.blockdev.empty()) r.Set("blockdev", o.blockdev);
    if (!o.chardev.empty()) r.Set("chardev", o.chardev);
    if (!o.holder.empty()) r.Set("holder", o.holder);
    return r;
  }

  NdctlContextRef ndctl_;
  struct ndctl_ctx* ctx_ = nullptr;
  std::string log_;
  std::optional<SystemError> failure_;  // what Fail() was last given
};

// ndctl's region_get_namespace(): the idle namespace0 of the region, else its seed.
struct ndctl_namespace* IdleNamespace(struct ndctl_region* region) {
  struct ndctl_namespace* ndns;
  ndctl_namespace_foreach(region, ndns) {
    if (ndctl_namespace_get_id(ndns) == 0 && ndctl_namespace_is_configuration_idle(ndns)) return ndns;
  }
  return ndctl_region_get_namespace_seed(region);
}

class CreateWorker : public NamespaceWorker {
 public:
  CreateWorker(Napi::Env env, NdctlContextRef ndctl, std::string region, NamespaceRequest req)
      : NamespaceWorker(env, std::move(ndctl)), region_name_(std::move(region)), req_(std::move(req)) {}

 protected:
  void Execute() override {
    auto lock = ndctl_->Lock();
    struct ndctl_ctx* ctx = Context();
    if (ctx == nullptr) return;
    struct ndctl_region* region = FindRegion(ctx, region_name_);
    if (region == nullptr) return;
    NamespacePlan plan;
    if (!Resolve(region, nullptr, req_, &plan)) return;
    struct ndctl_namespace* ndns = IdleNamespace(region);
    if (ndns == nullptr || !ndctl_namespace_is_configuration_idle(ndns)) {
      Fail(SystemError{EAGAIN, "ndctl_region_get_namespace_seed", region_name_,
                       region_name_ + " has no idle namespace seed; retry once its last change has settled"});
      return;
    }
    if (!Setup(region, ndns, &plan, "")) {
      // ndctl's autorecover: give the capacity back.
      ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
      const std::string seed = Str(ndctl_namespace_get_devname(ndns));
      int rc = ndctl_namespace_delete(ndns);
      AddToFailure(rc >= 0 ? "the half-made " + seed + " was deleted: its capacity is free again"
                           : "deleting the half-made " + seed + " failed too (" + ErrnoText(-rc) + "): its space stays " +
                                 "allocated in " + region_name_ + "; destroy " + seed + " to free it");
      return;
    }
    outcome_ = Describe(ndns);
  }

  Napi::Value Result(Napi::Env env) override { return ToJs(env, outcome_); }

 private:
  std::string region_name_;
  NamespaceRequest req_;
  NamespaceOutcome outcome_;
};

class ReconfigureWorker : public NamespaceWorker {
 public:
  ReconfigureWorker(Napi::Env env, NdctlContextRef ndctl, std::string ns, NamespaceRequest req)
      : NamespaceWorker(env, std::move(ndctl)), ns_name_(std::move(ns)), req_(std::move(req)) {}

 protected:
  void Execute() override {
    auto lock = ndctl_->Lock();
    struct ndctl_ctx* ctx = Context();
    if (ctx == nullptr) return;
    struct ndctl_region* region = nullptr;
    struct ndctl_namespace* ndns = FindNamespace(ctx, ns_name_, &region);
    if (ndns == nullptr) return;
    if (ndctl_namespace_get_size(ndns) == 0) {
      Fail(SystemError{ENXIO, "ndctl_namespace_get_size", ns_name_,
                       ns_name_ + " is an unconfigured seed (size 0): create a namespace on its region instead"});
      return;
    }
    NamespacePlan plan;
    if (!Resolve(region, ndns, req_, &plan)) return;
    if (!PrepReconfig(ndns)) return;
    Setup(region, ndns, &plan,
          ns_name_ + " was disabled and its info block zeroed; it is left unconfigured (raw, disabled)");
    outcome_ = Describe(ndns);
  }

  Napi::Value Result(Napi::Env env) override { return ToJs(env, outcome_); }

 private:
  std::string ns_name_;
  NamespaceRequest req_;
  NamespaceOutcome outcome_;
};

class DestroyWorker : public NamespaceWorker {
 public:
  DestroyWorker(Napi::Env env, NdctlContextRef ndctl, std::string ns)
      : NamespaceWorker(env, std::move(ndctl)), ns_name_(std::move(ns)) {}

 protected:
  void Execute() override {
    auto lock = ndctl_->Lock();
    struct ndctl_ctx* ctx = Context();
    if (ctx == nullptr) return;
    struct ndctl_region* region = nullptr;
    struct ndctl_namespace* ndns = FindNamespace(ctx, ns_name_, &region);
    if (ndns == nullptr) return;
    const std::string rname = ndctl_region_get_devname(region);
    if (ndctl_namespace_get_type(ndns) == ND_DEVICE_NAMESPACE_IO) {
      Fail(SystemError{EINVAL, "ndctl_namespace_delete", ns_name_, LabelLessAdvice(rname)});
      return;
    }
    if (ndctl_region_get_ro(region)) {
      Fail(SystemError{EROFS, "ndctl_region_get_ro", ns_name_, rname + " is read-only: its namespaces cannot change"});
      return;
    }
    freed_ = ndctl_namespace_get_size(ndns);
    if (!PrepReconfig(ndns)) return;
    int rc = ndctl_namespace_delete(ndns);  // frees ndns
    if (rc < 0) {
      Fail(SystemError{-rc, "ndctl_namespace_delete", ns_name_,
                       log_.empty() ? ns_name_ + " was disabled and its info block zeroed, but its label "
                                                              "could not be deleted"
                                                 : log_});
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("namespace", ns_name_);
    r.Set("freed", Napi::Number::New(env, static_cast<double>(freed_)));
    return r;
  }

 private:
  std::string ns_name_;
  uint64_t freed_ = 0;
};

bool ReadRequest(const Napi::Env& env, const Napi::Value& value, NamespaceRequest* req) {
  if (!value.IsObject()) {
    Napi::TypeError::New(env, "params must be an object").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object o = value.As<Napi::Object>();
  auto number = [&](const char* key) -> uint64_t {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue()) : 0;
  };
  Napi::Value mode = o.Get("mode");
  if (!mode.IsString()) {
    Napi::TypeError::New(env, "params.mode must be a string").ThrowAsJavaScriptException();
    return false;
  }
  req->mode = mode.As<Napi::String>().Utf8Value();
  req->size = number("size");
  req->align = number("align");
  req->sector_size = number("sectorSize");
  if (o.Get("map").IsString()) req->map = o.Get("map").As<Napi::String>().Utf8Value();
  if (o.Get("name").IsString()) req->name = o.Get("name").As<Napi::String>().Utf8Value();
  if (o.Get("uuid").IsString()) req->uuid = o.Get("uuid").As<Napi::String>().Utf8Value();
  return true;
}

bool ReadName(const Napi::CallbackInfo& info, const char* what, std::string* out) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a string").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[0].As<Napi::String>().Utf8Value();
  return true;
}

}  // namespace

Napi::Value CreateNamespace(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  std::string region;
  NamespaceRequest req;
  if (!ReadName(info, "region", &region) || !ReadRequest(info.Env(), info[1], &req)) return info.Env().Undefined();
  return (new CreateWorker(info.Env(), ndctl, region, std::move(req)))->Start();
}

Napi::Value ReconfigureNamespace(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  std::string ns;
  NamespaceRequest req;
  if (!ReadName(info, "namespace", &ns) || !ReadRequest(info.Env(), info[1], &req)) return info.Env().Undefined();
  return (new ReconfigureWorker(info.Env(), ndctl, ns, std::move(req)))->Start();
}

Napi::Value DestroyNamespace(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  std::string ns;
  if (!ReadName(info, "namespace", &ns)) return info.Env().Undefined();
  return (new DestroyWorker(info.Env(), ndctl, ns))->Start();
}

}  // namespace dax_native
