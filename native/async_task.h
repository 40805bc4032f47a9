// AsyncTask: runs a piece of libtorch work off the event loop and settles a Promise with its result.
// The work's exceptions become a rejection with the same "op: message" text the error boundary gives.
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "errors.h"

namespace torchnode {

class AsyncTask : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;                    // worker thread: no JS here
  using Result = std::function<Napi::Value(Napi::Env)>;  // main thread, after the work

  // `keepAlive`: JS objects whose native state the work uses (a module, tensors): referenced until done.
  static Napi::Promise Start(Napi::Env env, const char* op, std::vector<Napi::Value> keepAlive, Work work,
                             Result result) {
    auto* task = new AsyncTask(env, op, std::move(keepAlive), std::move(work), std::move(result));
    Napi::Promise promise = task->deferred_.Promise();
    task->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const UsageError& e) {
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(describeFailure(op_.c_str(), e));
    } catch (...) {
      SetError(op_ + ": unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, describeFailure(op_.c_str(), e)).Value());
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  AsyncTask(Napi::Env env, const char* op, std::vector<Napi::Value> keepAlive, Work work, Result result)
      : Napi::AsyncWorker(env, op),
        deferred_(Napi::Promise::Deferred::New(env)),
        op_(op),
        work_(std::move(work)),
        result_(std::move(result)) {
    for (const auto& value : keepAlive) {
      if (value.IsObject()) references_.push_back(Napi::Persistent(value.As<Napi::Object>()));
    }
  }

  Napi::Promise::Deferred deferred_;
  std::string op_;
  Work work_;
  Result result_;
  std::vector<Napi::ObjectReference> references_;
};

}  // namespace torchnode
