// What the training and inference loops share: turning dataset rows into model inputs, batch by
// batch, so that a uint8 image set never has to sit in memory as float32.
#pragma once

#include <napi.h>
#include <torch/types.h>

namespace torchnode {

// x_batch -> ((float(x_batch) * scale) - mean) / std, flattened to [batch, features].
struct InputTransform {
  double scale = 1.0;
  torch::Tensor mean;  // undefined: none
  torch::Tensor std;   // undefined: none
  bool flatten = true;

  torch::Tensor apply(const torch::Tensor& batch, const torch::Device& device) const;
  void to(const torch::Device& device);
};

// Cuts the batch of rows `index` out of (x, y) and applies the transform, into buffers allocated once (on the
// CPU): the same values as transform.apply(x.index_select(0, index)), without per-batch allocations.
class BatchCutter {
 public:
  BatchCutter(const torch::Tensor& x, const torch::Tensor& y, const InputTransform& transform, int64_t batchSize,
              const torch::Device& device);
  // The inputs [size, features] and labels [size] of the rows `index` (views of the buffers: use them
  // before the next call).
  std::pair<torch::Tensor, torch::Tensor> cut(const torch::Tensor& index);

 private:
  const torch::Tensor& x_;
  const torch::Tensor& y_;
  const InputTransform& transform_;
  torch::Device device_;
  bool buffered_ = false;
  torch::Tensor rows_, input_, labels_;  // rows_: x's dtype; input_: float32 [batch, features]
};

// Reads { scale?, mean?: Tensor, std?: Tensor, flatten? } (all optional).
InputTransform parseInputTransform(const Napi::Value& value);

// Checks x [N, ...] against y [N] (int64 labels), with errors that name the shapes.
void checkDataset(const char* op, const torch::Tensor& x, const torch::Tensor* y);

// The device named by options.device ('cpu', 'cuda', 'cuda:N', 'auto'); 'auto' picks CUDA when available.
torch::Device deviceOption(const Napi::Value& value, const torch::Device& fallback);

int64_t positiveIntOption(const Napi::Object& options, const char* key, int64_t fallback);

}  // namespace torchnode
