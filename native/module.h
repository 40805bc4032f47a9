// Module: a JS handle over a torch::nn module (Linear, ELU, SELU, ReLU, LeakyReLU, Tanh, Sigmoid,
// BatchNorm1d, Dropout, AlphaDropout, or a Sequential of them). A Sequential is held natively, so its
// forward is one native call however deep it is. Children share their parameters with the parent.
#pragma once

#include <napi.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>

#include <functional>
#include <memory>
#include <string>

namespace torchnode {

class Module : public Napi::ObjectWrap<Module> {
 public:
  static Napi::Function Define(Napi::Env env);
  // The module behind a JS argument; TypeError when it is none.
  static Module& FromValue(const Napi::Value& value, const char* what);

  explicit Module(const Napi::CallbackInfo& info);

  const std::string& kind() const { return kind_; }
  torch::nn::Module& module() const { return *module_; }
  torch::Tensor forward(const torch::Tensor& input);
  // A deep copy with its own parameters and buffers (libtorch's clone()).
  std::shared_ptr<torch::nn::Module> cloneModule() const;

 private:
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value IsTraining(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value NamedParameters(const Napi::CallbackInfo& info);
  Napi::Value NamedBuffers(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Kind(const Napi::CallbackInfo& info);

  std::string kind_;
  std::shared_ptr<torch::nn::Module> module_;
  // Leaf modules forward through AnyModule; a Sequential through itself (its forward is a template).
  torch::nn::AnyModule any_;
  torch::nn::Sequential sequential_{nullptr};
};

// Sets the training flag of Dropout/AlphaDropout submodules only: MC Dropout keeps them stochastic
// while BatchNorm stays in eval.
void setDropoutTraining(torch::nn::Module& module, bool training);

}  // namespace torchnode
