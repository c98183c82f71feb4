#include "context.h"

#include <cstdio>

namespace dax_native {

NdctlContext::~NdctlContext() {
  if (ctx_ != nullptr) ndctl_unref(ctx_);
}

int NdctlContext::Open(struct ndctl_ctx** out) {
  if (ctx_ == nullptr) {
    struct ndctl_ctx* created = nullptr;
    int rc = ndctl_new(&created);
    if (rc < 0) return rc;
    ctx_ = created;
    ndctl_set_userdata(ctx_, this);
    // Replaces libndctl's default stderr logging: its messages explain our errors instead.
    ndctl_set_log_fn(ctx_, &NdctlContext::CaptureLog);
  }
  *out = ctx_;
  return 0;
}

void NdctlContext::CaptureLog(struct ndctl_ctx* ctx, int /*priority*/, const char* /*file*/,
                              int /*line*/, const char* fn, const char* format, va_list args) {
  auto* self = static_cast<NdctlContext*>(ndctl_get_userdata(ctx));
  if (self == nullptr) return;
  char text[512];
  vsnprintf(text, sizeof text, format, args);
  std::string line = std::string(fn) + ": " + text;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  // Called only from libndctl calls made under Lock(), so no further locking is needed here.
  self->last_log_ = std::move(line);
}

}  // namespace dax_native
