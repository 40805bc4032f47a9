// Inference loops (evaluate, predict, MC Dropout), shared by the trainer's validation pass and the
// evaluate/predict/predictMC entry points.
#pragma once

#include <torch/types.h>

#include "batches.h"
#include "module.h"

namespace torchnode {

struct Metrics {
  double loss = 0;
  double accuracy = 0;
};

// Sets a module's mode for a scope and restores the previous one after.
class ModeScope {
 public:
  // mcDropout: eval everywhere but Dropout/AlphaDropout, which stay stochastic.
  ModeScope(torch::nn::Module& module, bool training, bool mcDropout = false);
  ~ModeScope();
  ModeScope(const ModeScope&) = delete;
  ModeScope& operator=(const ModeScope&) = delete;

 private:
  torch::nn::Module& module_;
  bool wasTraining_;
};

// Mean cross-entropy and accuracy over (x, y), in batches, without grad, in the module's current mode.
Metrics evaluateBatches(Module& module, const torch::Tensor& x, const torch::Tensor& y, const InputTransform& transform,
                        int64_t batchSize, const torch::Device& device);

// Softmax probabilities [N, classes] on the CPU.
torch::Tensor predictBatches(Module& module, const torch::Tensor& x, const InputTransform& transform, int64_t batchSize,
                             const torch::Device& device);

struct McPrediction {
  torch::Tensor mean;  // [N, classes]
  torch::Tensor std;   // [N, classes], population std over the samples
};

// `samples` stochastic passes per batch, done as ONE forward of the batch repeated `samples` times.
McPrediction predictMcBatches(Module& module, const torch::Tensor& x, const InputTransform& transform, int64_t samples,
                              int64_t batchSize, const torch::Device& device);

bool hasDropout(torch::nn::Module& module);

}  // namespace torchnode
