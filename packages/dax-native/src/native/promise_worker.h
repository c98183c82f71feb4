// Base for every blocking call: Execute() runs on the libuv thread pool and must not touch JS values;
// it records either a result or a SystemError, and the main thread settles the Promise from that.
#pragma once

#include <napi.h>

#include <optional>

#include "system_error.h"

namespace dax_native {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}

  // Queues the worker and hands its Promise to JS. The worker deletes itself once settled.
  Napi::Promise Start() {
    Napi::Promise promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  // Builds the resolved value in the main thread, from what Execute() stored.
  virtual Napi::Value Result(Napi::Env env) = 0;

  void Fail(SystemError error) { error_ = std::move(error); }

 private:
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (error_) {
      deferred_.Reject(error_->ToJs(env).Value());
    } else {
      deferred_.Resolve(Result(env));
    }
  }

  Napi::Promise::Deferred deferred_;
  std::optional<SystemError> error_;
};

}  // namespace dax_native
