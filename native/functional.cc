// Functions of tensors that are not methods: losses, softmax. Each validates what libtorch would
// otherwise assert on (a label out of range aborts inside the kernel on some builds).
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/loss.h>

#include "addon.h"
#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchnode {

namespace {

void checkLabels(const torch::Tensor& logits, const torch::Tensor& targets) {
  if (logits.dim() != 2) {
    throw UsageError("crossEntropy: logits must be [batch, classes], got " + std::to_string(logits.dim()) + " dims");
  }
  if (targets.scalar_type() != torch::kInt64) {
    throw UsageError("crossEntropy: targets must be int64 class indices, got " + dtypeName(targets.scalar_type()));
  }
  if (targets.dim() != 1 || targets.size(0) != logits.size(0)) {
    throw UsageError("crossEntropy: " + std::to_string(targets.numel()) + " targets for " +
                     std::to_string(logits.size(0)) + " rows of logits");
  }
  const int64_t classes = logits.size(1);
  if (targets.numel() == 0) return;
  const auto bad = (targets < 0).logical_or(targets >= classes).nonzero();
  if (bad.numel() > 0) {
    const int64_t index = bad[0][0].item<int64_t>();
    throw UsageError("crossEntropy: label " + std::to_string(targets[index].item<int64_t>()) + " at index " +
                     std::to_string(index) + " is out of range for " + std::to_string(classes) + " classes");
  }
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "crossEntropy", [&] {
    const torch::Tensor& logits = Tensor::From(info[0], "logits");
    const torch::Tensor& targets = Tensor::From(info[1], "targets");
    checkLabels(logits, targets);
    return Tensor::Wrap(info.Env(), torch::nn::functional::cross_entropy(logits, targets));
  });
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "softmax", [&] {
    return Tensor::Wrap(info.Env(), torch::softmax(Tensor::From(info[0], "input"), requireInt(info[1], "dim")));
  });
}

Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "logSoftmax", [&] {
    return Tensor::Wrap(info.Env(), torch::log_softmax(Tensor::From(info[0], "input"), requireInt(info[1], "dim")));
  });
}

Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "mseLoss", [&] {
    const torch::Tensor& input = Tensor::From(info[0], "input");
    const torch::Tensor& target = Tensor::From(info[1], "target");
    if (input.sizes() != target.sizes()) throw UsageError("mseLoss: input and target shapes differ");
    return Tensor::Wrap(info.Env(), torch::mse_loss(input, target));
  });
}

Napi::Value BinaryCrossEntropyWithLogits(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "binaryCrossEntropyWithLogits", [&] {
    const torch::Tensor& input = Tensor::From(info[0], "input");
    const torch::Tensor& target = Tensor::From(info[1], "target");
    if (input.sizes() != target.sizes())
      throw UsageError("binaryCrossEntropyWithLogits: input and target shapes differ");
    return Tensor::Wrap(info.Env(), torch::binary_cross_entropy_with_logits(input, target));
  });
}

void defineFunctionalExports(Napi::Env env, Napi::Object exports, AddonData&) {
  exports.Set("crossEntropy", Napi::Function::New<CrossEntropy>(env, "crossEntropy"));
  exports.Set("softmax", Napi::Function::New<Softmax>(env, "softmax"));
  exports.Set("logSoftmax", Napi::Function::New<LogSoftmax>(env, "logSoftmax"));
  exports.Set("mseLoss", Napi::Function::New<MseLoss>(env, "mseLoss"));
  exports.Set("binaryCrossEntropyWithLogits",
              Napi::Function::New<BinaryCrossEntropyWithLogits>(env, "binaryCrossEntropyWithLogits"));
}

}  // namespace

TORCHNODE_EXPORTS(functional, defineFunctionalExports);

}  // namespace torchnode
