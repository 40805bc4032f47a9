// Tensor: a JS handle over one torch::Tensor. Its bytes are reported to V8 as external memory so that
// the garbage collector keeps pace with native allocations when users never call dispose().
#pragma once

#include <napi.h>
#include <torch/types.h>

namespace torchnode {

class Tensor : public Napi::ObjectWrap<Tensor> {
 public:
  static Napi::Function Define(Napi::Env env);
  // A new JS handle that owns `value`.
  static Napi::Object Wrap(Napi::Env env, torch::Tensor value);
  // The tensor behind a JS argument: TypeError when it is no Tensor, Error when it has been disposed.
  static const torch::Tensor& From(const Napi::Value& value, const char* what);
  static bool IsTensor(const Napi::Value& value);

  explicit Tensor(const Napi::CallbackInfo& info);
  ~Tensor() override;

  const torch::Tensor& value() const;

 private:
  void reset(torch::Tensor value);

  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Numel(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value ToTypedArray(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Binary(const Napi::CallbackInfo& info);
  Napi::Value Unary(const Napi::CallbackInfo& info);
  Napi::Value Reduce(const Napi::CallbackInfo& info);
  Napi::Value Reshape(const Napi::CallbackInfo& info);
  Napi::Value Narrow(const Napi::CallbackInfo& info);
  Napi::Value Permute(const Napi::CallbackInfo& info);
  Napi::Value IndexSelect(const Napi::CallbackInfo& info);
  Napi::Value Backward(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  torch::Tensor tensor_;
  int64_t reportedBytes_ = 0;
};

}  // namespace torchnode
