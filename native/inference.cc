#include "inference.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/dropout.h>

#include "addon.h"
#include "async_task.h"
#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchnode {

ModeScope::ModeScope(torch::nn::Module& module, bool training, bool mcDropout)
    : module_(module), wasTraining_(module.is_training()) {
  module_.train(training);
  if (mcDropout) setDropoutTraining(module_, true);
}

ModeScope::~ModeScope() {
  module_.train(wasTraining_);
}

bool hasDropout(torch::nn::Module& module) {
  for (const auto& m : module.modules(/*include_self=*/true)) {
    if (m->as<torch::nn::Dropout>() || m->as<torch::nn::AlphaDropout>()) return true;
  }
  return false;
}

Metrics evaluateBatches(Module& module, const torch::Tensor& x, const torch::Tensor& y, const InputTransform& transform,
                        int64_t batchSize, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  const int64_t n = x.size(0);
  double lossSum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batchSize) {
    const int64_t size = std::min(batchSize, n - start);
    const torch::Tensor logits = module.forward(transform.apply(x.narrow(0, start, size), device));
    const torch::Tensor targets = y.narrow(0, start, size).to(device);
    lossSum += torch::nn::functional::cross_entropy(
                   logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                   .item<double>();
    correct += logits.argmax(1).eq(targets).sum().item<int64_t>();
  }
  return {lossSum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
}

torch::Tensor predictBatches(Module& module, const torch::Tensor& x, const InputTransform& transform, int64_t batchSize,
                             const torch::Device& device) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += batchSize) {
    const int64_t size = std::min(batchSize, x.size(0) - start);
    parts.push_back(torch::softmax(module.forward(transform.apply(x.narrow(0, start, size), device)), 1).cpu());
  }
  return torch::cat(parts);
}

namespace {

// [n, ...] -> [samples * n, ...]: the rows repeated as a block, `samples` times.
torch::Tensor repeatRows(const torch::Tensor& t, int64_t samples) {
  std::vector<int64_t> repeats(t.dim(), 1);
  repeats[0] = samples;
  return t.repeat(repeats);
}

}  // namespace

McPrediction predictMcBatches(Module& module, const torch::Tensor& x, const InputTransform& transform, int64_t samples,
                              int64_t batchSize, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  if (!hasDropout(module.module())) {
    // Every pass would be the same: one pass, and a std that is exactly zero.
    torch::Tensor mean = predictBatches(module, x, transform, batchSize, device);
    return {mean, torch::zeros_like(mean)};
  }
  std::vector<torch::Tensor> means;
  std::vector<torch::Tensor> stds;
  // In a Sequential, the layers before the first dropout are deterministic (BatchNorm is in eval): they run
  // once per batch, and only the rest runs on the batch repeated `samples` times.
  torch::nn::SequentialImpl* sequential = module.module().as<torch::nn::Sequential>();
  size_t firstDropout = 0;
  if (sequential) {
    for (; firstDropout < sequential->size(); firstDropout++) {
      const auto child = sequential->ptr(firstDropout);
      if (child->as<torch::nn::Dropout>() || child->as<torch::nn::AlphaDropout>()) break;
    }
  }
  // One forward of batchSize * samples rows per batch: large gemms instead of `samples` small passes.
  for (int64_t start = 0; start < x.size(0); start += batchSize) {
    const int64_t size = std::min(batchSize, x.size(0) - start);
    const torch::Tensor input = transform.apply(x.narrow(0, start, size), device);
    torch::Tensor logits;
    if (sequential) {
      torch::Tensor h = input;
      size_t i = 0;
      for (auto it = sequential->begin(); it != sequential->end(); ++it, ++i) {
        if (i == firstDropout) h = repeatRows(h, samples);
        h = it->forward(h);
      }
      logits = h;
    } else {
      logits = module.forward(repeatRows(input, samples));
    }
    const torch::Tensor probabilities = torch::softmax(logits, 1).view({samples, size, -1});
    means.push_back(probabilities.mean(0).cpu());
    stds.push_back(probabilities.std(0, /*unbiased=*/false).cpu());
  }
  return {torch::cat(means), torch::cat(stds)};
}

namespace {

struct InferenceArgs {
  Module* module;
  torch::Tensor x;
  torch::Tensor y;
  InputTransform transform;
  int64_t batchSize;
  torch::Device device{torch::kCPU};
};

// (module, x, y | undefined, options { batchSize?, inputTransform?, device? })
InferenceArgs parseArgs(const Napi::CallbackInfo& info, const char* op, bool needsLabels) {
  InferenceArgs args;
  args.module = &Module::FromValue(info[0], "model");
  args.x = Tensor::From(info[1], "x");
  if (needsLabels) args.y = Tensor::From(info[2], "y");
  checkDataset(op, args.x, needsLabels ? &args.y : nullptr);
  const Napi::Object options = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(info.Env());
  args.batchSize = positiveIntOption(options, "batchSize", 256);
  args.transform = parseInputTransform(options.Get("inputTransform"));
  args.device = deviceOption(options.Get("device"), torch::Device(torch::kCPU));
  args.transform.to(args.device);
  return args;
}

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "evaluate", [&] {
    auto args = std::make_shared<InferenceArgs>(parseArgs(info, "evaluate", true));
    auto metrics = std::make_shared<Metrics>();
    return AsyncTask::Start(
        info.Env(), "evaluate", {info[0], info[1], info[2]},
        [args, metrics] {
          args->module->module().to(args->device);
          ModeScope mode(args->module->module(), false);
          *metrics = evaluateBatches(*args->module, args->x, args->y, args->transform, args->batchSize, args->device);
        },
        [metrics](Napi::Env env) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("loss", metrics->loss);
          out.Set("accuracy", metrics->accuracy);
          return out;
        });
  });
}

Napi::Value Predict(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "predict", [&] {
    auto args = std::make_shared<InferenceArgs>(parseArgs(info, "predict", false));
    auto result = std::make_shared<torch::Tensor>();
    return AsyncTask::Start(
        info.Env(), "predict", {info[0], info[1]},
        [args, result] {
          args->module->module().to(args->device);
          ModeScope mode(args->module->module(), false);
          *result = predictBatches(*args->module, args->x, args->transform, args->batchSize, args->device);
        },
        [result](Napi::Env env) -> Napi::Value { return Tensor::Wrap(env, *result); });
  });
}

// predictMC(module, x, undefined, { samples, batchSize?, ... })
Napi::Value PredictMC(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "predictMC", [&] {
    auto args = std::make_shared<InferenceArgs>(parseArgs(info, "predictMC", false));
    const Napi::Object options = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(info.Env());
    const int64_t samples = positiveIntOption(options, "samples", 10);
    auto result = std::make_shared<McPrediction>();
    return AsyncTask::Start(
        info.Env(), "predictMC", {info[0], info[1]},
        [args, result, samples] {
          args->module->module().to(args->device);
          ModeScope mode(args->module->module(), false, /*mcDropout=*/true);
          *result = predictMcBatches(*args->module, args->x, args->transform, samples, args->batchSize, args->device);
        },
        [result](Napi::Env env) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("mean", Tensor::Wrap(env, result->mean));
          out.Set("std", Tensor::Wrap(env, result->std));
          return out;
        });
  });
}

void defineInferenceExports(Napi::Env env, Napi::Object exports, AddonData&) {
  exports.Set("evaluate", Napi::Function::New<Evaluate>(env, "evaluate"));
  exports.Set("predict", Napi::Function::New<Predict>(env, "predict"));
  exports.Set("predictMC", Napi::Function::New<PredictMC>(env, "predictMC"));
}

}  // namespace

TORCHNODE_EXPORTS(inference, defineInferenceExports);

}  // namespace torchnode
