// The one libndctl context of a JS environment. libndctl is not thread-safe, so every use goes
// through Lock(), which serialises the thread-pool workers that share the context. The context is
// opened lazily by the first worker (so a failing ndctl_new() rejects that call instead of failing
// the module load) and released when the last holder (the environment or a running worker) lets go.
#pragma once

#include <ndctl/libndctl.h>

#include <cstdarg>
#include <memory>
#include <mutex>
#include <string>

namespace dax_native {

class NdctlContext {
 public:
  NdctlContext() = default;
  ~NdctlContext();
  NdctlContext(const NdctlContext&) = delete;
  NdctlContext& operator=(const NdctlContext&) = delete;

  std::unique_lock<std::mutex> Lock() { return std::unique_lock<std::mutex>(mutex_); }

  // With the lock held: the context, creating it on first use. Returns 0 or ndctl_new()'s -errno.
  int Open(struct ndctl_ctx** out);

  // With the lock held: forget the previous log line, so the next one belongs to the next call.
  void ClearLastLog() { last_log_.clear(); }
  const std::string& LastLog() const { return last_log_; }

 private:
  static void CaptureLog(struct ndctl_ctx* ctx, int priority, const char* file, int line,
                         const char* fn, const char* format, va_list args);

  std::mutex mutex_;
  struct ndctl_ctx* ctx_ = nullptr;
  std::string last_log_;
};

using NdctlContextRef = std::shared_ptr<NdctlContext>;

}  // namespace dax_native
