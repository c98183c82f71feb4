#include "system_error.h"

#include <uv.h>

#include <cstring>

namespace dax_native {

std::string ErrnoText(int errnum) {
  char buf[256];
  // GNU strerror_r (g++ defines _GNU_SOURCE): returns a pointer that may or may not be buf.
  return std::string(strerror_r(errnum, buf, sizeof buf));
}

Napi::Error SystemError::ToJs(Napi::Env env) const {
  // libuv's error codes are the negated errno values on Linux, so uv_err_name gives Node's code names.
  char code[64];
  uv_err_name_r(-errnum, code, sizeof code);

  char description[256];  // libuv's wording, the one Node's own fs errors use
  uv_strerror_r(-errnum, description, sizeof description);

  std::string message = std::string(code) + ": " + description + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";
  if (!detail.empty()) message += " (" + detail + ")";

  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -errnum));
  error.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) error.Set("path", Napi::String::New(env, path));
  if (!detail.empty()) error.Set("detail", Napi::String::New(env, detail));
  return error;
}

}  // namespace dax_native
