// Optimizer: a JS handle ("NativeOptimizer") that owns one torch::optim::Optimizer — torchnode::NAdam,
// libtorch's Adam or libtorch's SGD — over a list of JS Tensor parameters.
//
//   new NativeOptimizer(kind: 'nadam' | 'adam' | 'sgd', params: NativeTensor[], options: object)
//   step()  zeroGrad()  getLr()  setLr(lr)  kind()  stateDict()  loadStateDict(dict)
//
// State dicts are plain objects name -> Tensor with PyTorch-like names: 'state.<i>.<field>' for parameter i
// (step, exp_avg, ...; absent for a parameter that has not been stepped) and 'param_groups.0.<option>' for
// the hyperparameters (lr, betas, ...), so that loading one resumes training exactly.
#pragma once

#include <napi.h>
#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

namespace torchnode {

class Optimizer : public Napi::ObjectWrap<Optimizer> {
 public:
  static Napi::Function Define(Napi::Env env);
  // The libtorch optimizer behind a JS optimizer handle (the `native` of a TS Optimizer), for C++ code such as
  // the trainer: TypeError when the value is no optimizer handle.
  static torch::optim::Optimizer& FromValue(const Napi::Value& value);
  static bool IsOptimizer(const Napi::Value& value);

  explicit Optimizer(const Napi::CallbackInfo& info);

  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const std::string& kind() const { return kind_; }

 private:
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value ZeroGrad(const Napi::CallbackInfo& info);
  Napi::Value GetLr(const Napi::CallbackInfo& info);
  Napi::Value SetLr(const Napi::CallbackInfo& info);
  Napi::Value Kind(const Napi::CallbackInfo& info);
  Napi::Value StateDict(const Napi::CallbackInfo& info);
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info);

  std::string kind_;
  std::vector<torch::Tensor> params_;  // in the order given, for the indices of 'state.<i>.*'
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace torchnode
