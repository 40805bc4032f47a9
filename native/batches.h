// What the training and inference loops share: turning dataset rows into model inputs, batch by
// batch, so that a uint8 image set never has to sit in memory as float32.
#pragma once

#include <napi.h>
#include <torch/types.h>

#include <utility>

#include "background_thread.h"

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
  // `helper` (optional, must outlive the cutter) is the thread prefetch() cuts on.
  BatchCutter(const torch::Tensor& x, const torch::Tensor& y, const InputTransform& transform, int64_t batchSize,
              const torch::Device& device, BackgroundThread* helper = nullptr);
  ~BatchCutter();
  // The inputs [size, features] and labels [size] of the rows `index` (views of the buffers: use them
  // before the next call).
  std::pair<torch::Tensor, torch::Tensor> cut(const torch::Tensor& index);
  // Starts cutting the rows `next` on a helper thread, into the other set of buffers, while the caller
  // trains on the current batch (the rows of a shuffled dataset come from main memory, a third of a small
  // network's step at batch 128): the cut(next) that follows only waits for it. The batch the last cut()
  // returned stays untouched. A no-op without a helper or where the cut is not buffered.
  void prefetch(const torch::Tensor& next);

 private:
  struct Buffers {
    torch::Tensor rows, input, labels;  // rows: x's dtype; input: float32 [batch, features] (non-float x)
    torch::Tensor x, y;                 // the last cut's views
  };
  void cutInto(Buffers& into, const torch::Tensor& index) const;

  const torch::Tensor& x_;
  const torch::Tensor& y_;
  const InputTransform& transform_;
  torch::Device device_;
  bool buffered_ = false;
  Buffers buffers_[2];
  int current_ = 0;        // buffers_[current_] holds the batch the last cut() returned
  torch::Tensor pending_;  // the rows being cut into buffers_[1 - current_] (undefined: none)
  BackgroundThread* helper_;
};

// Reads { scale?, mean?: Tensor, std?: Tensor, flatten? } (all optional).
InputTransform parseInputTransform(const Napi::Value& value);

// Checks x [N, ...] against y [N] (int64 labels), with errors that name the shapes.
void checkDataset(const char* op, const torch::Tensor& x, const torch::Tensor* y);

// The device named by options.device ('cpu', 'cuda', 'cuda:N', 'auto'); 'auto' picks CUDA when available.
torch::Device deviceOption(const Napi::Value& value, const torch::Device& fallback);

int64_t positiveIntOption(const Napi::Object& options, const char* key, int64_t fallback);

}  // namespace torchnode
