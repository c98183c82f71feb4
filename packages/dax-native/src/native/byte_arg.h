// A byte offset or length argument of the raw binding: a non-negative integer Number below 2^53 (device and file
// offsets stay far below it). The TypeScript wrappers check first; this only keeps a direct caller of the raw
// binding from passing garbage to a syscall.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>

namespace dax_native {

// The largest integer a JS number holds exactly.
inline constexpr double kMaxSafeInteger = 9007199254740991.0;

inline std::optional<uint64_t> ByteArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return std::nullopt;
  }
  double v = info[index].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > kMaxSafeInteger || v != static_cast<double>(static_cast<uint64_t>(v))) {
    Napi::RangeError::New(info.Env(), std::string(name) + " must be a non-negative integer")
        .ThrowAsJavaScriptException();
    return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

}  // namespace dax_native
