#include "batches.h"

#include <ATen/ATen.h>
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

BatchCutter::BatchCutter(const torch::Tensor& x, const torch::Tensor& y, const InputTransform& transform,
                         int64_t batchSize, const torch::Device& device, BackgroundThread* helper)
    : x_(x), y_(y), transform_(transform), device_(device), helper_(helper) {
  buffered_ = device.is_cpu() && x.device().is_cpu() && y.device().is_cpu() && x.is_contiguous() &&
              (transform.flatten || x.dim() <= 2);
  if (!buffered_) return;
  std::vector<int64_t> shape = x.sizes().vec();
  shape[0] = std::min(batchSize, x.size(0));
  const int64_t features = x.numel() / std::max<int64_t>(x.size(0), 1);
  for (Buffers& b : buffers_) {
    b.rows = torch::empty(shape, x.options());
    if (x.scalar_type() != torch::kFloat32) b.input = torch::empty({shape[0], features}, torch::kFloat32);
    b.labels = torch::empty({shape[0]}, y.options());
  }
}

BatchCutter::~BatchCutter() {
  if (!pending_.defined()) return;
  try {
    helper_->wait();
  } catch (...) {
    // an unused prefetch's error: nobody asked for that batch
  }
}

void BatchCutter::cutInto(Buffers& into, const torch::Tensor& index) const {
  torch::NoGradGuard noGrad;  // thread-local: the helper thread needs its own
  const int64_t size = index.size(0);
  torch::Tensor rows = into.rows.narrow(0, 0, size);
  at::index_select_out(rows, x_, 0, index);
  into.y = into.labels.narrow(0, 0, size);
  at::index_select_out(into.y, y_, 0, index);
  torch::Tensor x = rows.reshape({size, -1});
  if (into.input.defined()) {
    torch::Tensor converted = into.input.narrow(0, 0, size);
    converted.copy_(x);
    x = converted;
  }
  // The same elementwise ops as apply(), in place (on the rows buffer for float input: a copy already).
  if (transform_.scale != 1.0) x.mul_(transform_.scale);
  if (transform_.mean.defined()) x.sub_(transform_.mean);
  if (transform_.std.defined()) x.div_(transform_.std);
  into.x = x;
}

std::pair<torch::Tensor, torch::Tensor> BatchCutter::cut(const torch::Tensor& index) {
  if (!buffered_) return {transform_.apply(x_.index_select(0, index), device_), y_.index_select(0, index).to(device_)};
  if (pending_.defined()) {
    const torch::Tensor pending = std::exchange(pending_, torch::Tensor());
    helper_->wait();
    if (pending.is_same(index) || (pending.sizes() == index.sizes() && torch::equal(pending, index))) {
      current_ = 1 - current_;
      return {buffers_[current_].x, buffers_[current_].y};
    }
  }
  // Into the buffers the last cut did not return: a caller may still read those (prefetch's promise).
  current_ = 1 - current_;
  cutInto(buffers_[current_], index);
  return {buffers_[current_].x, buffers_[current_].y};
}

void BatchCutter::prefetch(const torch::Tensor& next) {
  if (!buffered_ || !helper_) return;
  if (pending_.defined()) helper_->wait();  // (a prefetch nobody cut: the last one wins)
  pending_ = next;
  Buffers& into = buffers_[1 - current_];
  helper_->post([this, &into, next] { cutInto(into, next); });
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
