// The path argument of the file calls. The TypeScript wrappers check types first; this check only
// keeps a direct caller of the raw binding from crashing the process.
#pragma once

#include <napi.h>

#include <optional>
#include <string>

namespace dax_native {

inline std::optional<std::string> PathArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsString()) {
    Napi::TypeError::New(info.Env(), "path must be a string").ThrowAsJavaScriptException();
    return std::nullopt;
  }
  return info[index].As<Napi::String>().Utf8Value();
}

}  // namespace dax_native
