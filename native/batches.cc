#include "batches.h"

#include <torch/cuda.h>

#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchnode {

torch::Tensor InputTransform::apply(const torch::Tensor& batch, const torch::Device& device) const {
  torch::Tensor x = batch.to(device, torch::kFloat32);
  if (flatten && x.dim() > 2) x = x.reshape({x.size(0), -1});
  if (scale != 1.0) x = x.mul(scale);
  if (mean.defined()) x = x.sub(mean);
  if (std.defined()) x = x.div(std);
  return x;
}

void InputTransform::to(const torch::Device& device) {
  if (mean.defined()) mean = mean.to(device, torch::kFloat32).reshape({-1});
  if (std.defined()) std = std.to(device, torch::kFloat32).reshape({-1});
}

InputTransform parseInputTransform(const Napi::Value& value) {
  InputTransform transform;
  if (value.IsUndefined() || value.IsNull()) return transform;
  if (!value.IsObject()) throw ArgumentTypeError("inputTransform must be an object { scale?, mean?, std? }");
  const auto o = value.As<Napi::Object>();
  if (!o.Get("scale").IsUndefined()) transform.scale = requireNumber(o.Get("scale"), "inputTransform.scale");
  if (!o.Get("mean").IsUndefined()) transform.mean = Tensor::From(o.Get("mean"), "inputTransform.mean");
  if (!o.Get("std").IsUndefined()) transform.std = Tensor::From(o.Get("std"), "inputTransform.std");
  if (!o.Get("flatten").IsUndefined()) transform.flatten = requireBool(o.Get("flatten"), "inputTransform.flatten");
  return transform;
}

void checkDataset(const char* op, const torch::Tensor& x, const torch::Tensor* y) {
  if (x.dim() < 1 || x.size(0) == 0) throw UsageError(std::string(op) + ": x must hold at least one sample");
  if (!y) return;
  if (y->scalar_type() != torch::kInt64) {
    throw UsageError(std::string(op) + ": y must be int64 class indices, got " + dtypeName(y->scalar_type()));
  }
  if (y->dim() != 1 || y->size(0) != x.size(0)) {
    throw UsageError(std::string(op) + ": x has " + std::to_string(x.size(0)) + " samples but y has shape [" +
                     std::to_string(y->numel()) + "] (expected [" + std::to_string(x.size(0)) + "])");
  }
}

torch::Device deviceOption(const Napi::Value& value, const torch::Device& fallback) {
  if (value.IsUndefined()) return fallback;
  const std::string name = requireString(value, "device");
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  return parseDevice(name);
}

int64_t positiveIntOption(const Napi::Object& options, const char* key, int64_t fallback) {
  const Napi::Value v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  const int64_t n = requireInt(v, key);
  if (n < 1) throw UsageError(std::string(key) + " must be a positive integer, got " + std::to_string(n));
  return n;
}

}  // namespace torchnode
