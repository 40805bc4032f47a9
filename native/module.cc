#include "module.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <sstream>

#include "addon.h"
#include "convert.h"
#include "errors.h"
#include "init.h"
#include "tensor.h"

namespace torchnode {

namespace {

Napi::Value option(const Napi::Object& options, const char* key) {
  return options.Get(key);
}

double numberOption(const Napi::Object& options, const char* key, double fallback) {
  const Napi::Value v = option(options, key);
  return v.IsUndefined() ? fallback : requireNumber(v, key);
}

int64_t intOption(const Napi::Object& options, const char* key) {
  const Napi::Value v = option(options, key);
  const int64_t n = requireInt(v, key);
  if (n < 1) throw UsageError(std::string(key) + " must be a positive integer, got " + std::to_string(n));
  return n;
}

double probabilityOption(const Napi::Object& options, const char* key) {
  const double p = numberOption(options, key, 0.5);
  if (!(p >= 0 && p < 1)) throw UsageError(std::string(key) + " must be in [0, 1), got " + std::to_string(p));
  return p;
}

// An initializer is a name, or { name, a, b } for the parameterized ones.
InitSpec initOption(const Napi::Object& options, const char* key, const char* fallback) {
  const Napi::Value v = option(options, key);
  if (v.IsUndefined()) return {fallback};
  if (v.IsString()) return {v.As<Napi::String>().Utf8Value()};
  if (!v.IsObject()) throw ArgumentTypeError(std::string(key) + " must be an initializer name or object");
  const auto o = v.As<Napi::Object>();
  return {requireString(o.Get("name"), key), numberOption(o, "a", 0), numberOption(o, "b", 0)};
}

template <typename Holder>
void adopt(Holder holder, torch::nn::AnyModule& any, std::shared_ptr<torch::nn::Module>& module) {
  module = holder.ptr();
  any = torch::nn::AnyModule(holder);
}

}  // namespace

Napi::Function Module::Define(Napi::Env env) {
  return DefineClass(env, "NativeModule",
                     {
                         InstanceMethod<&Module::Forward>("forward"),
                         InstanceMethod<&Module::Train>("train"),
                         InstanceMethod<&Module::IsTraining>("isTraining"),
                         InstanceMethod<&Module::To>("to"),
                         InstanceMethod<&Module::NamedParameters>("namedParameters"),
                         InstanceMethod<&Module::NamedBuffers>("namedBuffers"),
                         InstanceMethod<&Module::LoadState>("loadState"),
                         InstanceMethod<&Module::ParameterCount>("parameterCount"),
                         InstanceMethod<&Module::Kind>("kind"),
                     });
}

// new NativeModule(kind, options)
Module::Module(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Module>(info) {
  guard(info.Env(), "Module", [&] {
    kind_ = requireString(info[0], "kind");
    const Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(info.Env());
    namespace nn = torch::nn;
    if (kind_ == "linear") {
      const int64_t in = intOption(options, "inFeatures");
      const int64_t out = intOption(options, "outFeatures");
      const Napi::Value biasValue = option(options, "bias");
      const bool bias = biasValue.IsUndefined() ? true : requireBool(biasValue, "bias");
      nn::Linear linear(nn::LinearOptions(in, out).bias(bias));
      initialize(linear->weight, initOption(options, "kernelInitializer", "torch_default"), in, out);
      if (bias) initialize(linear->bias, initOption(options, "biasInitializer", "torch_default"), in, out);
      adopt(linear, any_, module_);
    } else if (kind_ == "elu") {
      adopt(nn::ELU(nn::ELUOptions().alpha(numberOption(options, "alpha", 1.0))), any_, module_);
    } else if (kind_ == "selu") {
      adopt(nn::SELU(), any_, module_);
    } else if (kind_ == "relu") {
      adopt(nn::ReLU(), any_, module_);
    } else if (kind_ == "leaky_relu") {
      adopt(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(numberOption(options, "negativeSlope", 0.01))), any_,
            module_);
    } else if (kind_ == "tanh") {
      adopt(nn::Tanh(), any_, module_);
    } else if (kind_ == "sigmoid") {
      adopt(nn::Sigmoid(), any_, module_);
    } else if (kind_ == "batchnorm1d") {
      const double eps = numberOption(options, "eps", 1e-5);
      const double momentum = numberOption(options, "momentum", 0.1);
      if (!(eps > 0)) throw UsageError("BatchNorm1d: eps must be > 0, got " + std::to_string(eps));
      if (!(momentum >= 0 && momentum <= 1)) {
        throw UsageError("BatchNorm1d: momentum must be in [0, 1], got " + std::to_string(momentum));
      }
      adopt(nn::BatchNorm1d(nn::BatchNorm1dOptions(intOption(options, "numFeatures")).eps(eps).momentum(momentum)),
            any_, module_);
    } else if (kind_ == "dropout") {
      adopt(nn::Dropout(nn::DropoutOptions(probabilityOption(options, "p"))), any_, module_);
    } else if (kind_ == "alpha_dropout") {
      adopt(nn::AlphaDropout(nn::AlphaDropoutOptions(probabilityOption(options, "p"))), any_, module_);
    } else if (kind_ == "sequential") {
      const Napi::Value children = option(options, "children");
      if (!children.IsArray()) throw ArgumentTypeError("Sequential: children must be an array of modules");
      const auto array = children.As<Napi::Array>();
      sequential_ = nn::Sequential();
      for (uint32_t i = 0; i < array.Length(); i++) {
        Module& child = FromValue(array.Get(i), "Sequential child");
        if (child.kind_ == "sequential") {
          throw UsageError("Sequential: child " + std::to_string(i) + " is a Sequential; pass its layers instead");
        }
        sequential_->push_back(std::to_string(i), child.any_);
      }
      module_ = sequential_.ptr();
    } else {
      throw UsageError("unknown module kind '" + kind_ + "'");
    }
  });
}

Module& Module::FromValue(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addonData(value.Env()).constructor("Module"))) {
    throw ArgumentTypeError(std::string(what) + " must be a Module");
  }
  return *ObjectWrap<Module>::Unwrap(value.As<Napi::Object>());
}

torch::Tensor Module::forward(const torch::Tensor& input) {
  return sequential_ ? sequential_->forward(input) : any_.forward<torch::Tensor>(input);
}

std::shared_ptr<torch::nn::Module> Module::cloneModule() const {
  return module_->clone();
}

Napi::Value Module::Forward(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "forward", [&] {
    const torch::Tensor& input = Tensor::From(info[0], "input");
    try {
      return Tensor::Wrap(info.Env(), forward(input));
    } catch (const c10::Error& e) {
      throw UsageError("forward: input of shape " + shapeText(input.sizes()) + " does not fit this " + kind_ + " (" +
                       describeFailure("libtorch", e) + ")");
    }
  });
}

Napi::Value Module::Train(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "train", [&] {
    module_->train(info[0].IsUndefined() ? true : requireBool(info[0], "mode"));
    return info.Env().Undefined();
  });
}

Napi::Value Module::IsTraining(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), module_->is_training());
}

Napi::Value Module::To(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "to", [&] {
    module_->to(parseDevice(requireString(info[0], "device")));
    return info.Env().Undefined();
  });
}

namespace {

Napi::Array namedTensors(Napi::Env env, const torch::OrderedDict<std::string, torch::Tensor>& items) {
  auto array = Napi::Array::New(env, items.size());
  uint32_t i = 0;
  for (const auto& item : items) {
    auto pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::String::New(env, item.key()));
    pair.Set(1u, Tensor::Wrap(env, item.value()));
    array.Set(i++, pair);
  }
  return array;
}

}  // namespace

Napi::Value Module::NamedParameters(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "namedParameters", [&] { return namedTensors(info.Env(), module_->named_parameters()); });
}

Napi::Value Module::NamedBuffers(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "namedBuffers", [&] { return namedTensors(info.Env(), module_->named_buffers()); });
}

// loadState({ name: Tensor }): every parameter and buffer must be present with its shape; no extras.
Napi::Value Module::LoadState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "loadStateDict", [&] {
    if (!info[0].IsObject()) throw ArgumentTypeError("loadStateDict: the state dict must be an object");
    const auto dict = info[0].As<Napi::Object>();
    auto targets = module_->named_parameters();
    for (const auto& buffer : module_->named_buffers()) targets.insert(buffer.key(), buffer.value());
    const Napi::Array keys = dict.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); i++) {
      const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
      if (!targets.contains(key)) throw UsageError("loadStateDict: unexpected key '" + key + "'");
    }
    std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
    for (const auto& target : targets) {
      const std::string& key = target.key();
      if (!dict.Has(key)) throw UsageError("loadStateDict: missing key '" + key + "'");
      const torch::Tensor& source = Tensor::From(dict.Get(key), key.c_str());
      if (source.sizes() != target.value().sizes()) {
        throw UsageError("loadStateDict: shape mismatch for '" + key + "': the model has " +
                         shapeText(target.value().sizes()) + ", the state dict has " + shapeText(source.sizes()));
      }
      copies.emplace_back(target.value(), source);
    }
    // Validate everything before touching anything: a failed load leaves the model as it was.
    torch::NoGradGuard noGrad;
    for (auto& [target, source] : copies) target.copy_(source);
    return info.Env().Undefined();
  });
}

Napi::Value Module::ParameterCount(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "parameterCount", [&] {
    int64_t count = 0;
    for (const auto& p : module_->parameters()) count += p.numel();
    return Napi::Number::New(info.Env(), static_cast<double>(count));
  });
}

Napi::Value Module::Kind(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kind_);
}

void setDropoutTraining(torch::nn::Module& module, bool training) {
  for (const auto& m : module.modules(/*include_self=*/true)) {
    if (m->as<torch::nn::Dropout>() || m->as<torch::nn::AlphaDropout>()) m->train(training);
  }
}

namespace {

void defineModuleExports(Napi::Env env, Napi::Object exports, AddonData& data) {
  data.constructors["Module"] = Napi::Persistent(Module::Define(env));
  exports.Set("NativeModule", data.constructors["Module"].Value());
}

}  // namespace

TORCHNODE_EXPORTS(module, defineModuleExports);

}  // namespace torchnode
