// BatchNorm1d in training mode on a contiguous float32 batch [rows, channels]: what at::native_batch_norm
// and at::native_batch_norm_backward compute (per-channel sums in float over the rows, in row order, as
// ATen's: the batch means come out the same to the bit; the biased variance for the output, the unbiased
// one for the running variance), written for this layout, where the sums run down contiguous rows of
// channels. On the exercise's [128, 100] batches they take about half of libtorch 1.13's time forward
// and a third backward (7-17 vs 18-34 us, 11-15 vs 24-46 us, side by side). The fused step uses these
// unless exact.
//
// The forward comes in two parts, so that the fused step can share it between its threads: the
// statistics, per channel (any range of channels on its own: a wide layer's channels are split), then
// the affine map, per row (the rows go with the row-wise layers that follow). The backward is per channel
// too. A range of channels gives the same bits as the whole.
#pragma once

#include <torch/types.h>

namespace torchnode {

// What the forward keeps for the step, [channels] float32 each: the batch mean and 1 / sqrt(biased var +
// eps), and the affine map they give, y = x * scale + shift (scale = invstd * weight, shift = bias - mean *
// scale, as ATen computes them).
struct BatchNormRowsState {
  torch::Tensor mean, invstd, scale, shift;
  BatchNormRowsState() = default;
  explicit BatchNormRowsState(int64_t channels);
};

// The batch statistics of channels [begin, end) of x (at least two rows) into `state`, and the running
// statistics of those channels moved by `factor`, as ATen's.
void batchNormRowsStatistics(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             const torch::Tensor& runningMean, const torch::Tensor& runningVar, double factor,
                             double eps, int64_t begin, int64_t end, const BatchNormRowsState& state);

// out = x * scale + shift, for the rows of x (any contiguous block of the batch's rows; out alike).
void batchNormRowsApply(const torch::Tensor& x, const BatchNormRowsState& state, const torch::Tensor& out);

// The gradients of channels [begin, end): d input (skipped when gradInput is undefined), d weight, d bias
// (written into the given tensors, whole-batch [rows, channels] and [channels]).
void batchNormRowsBackward(const torch::Tensor& gradOut, const torch::Tensor& x, const torch::Tensor& weight,
                           const BatchNormRowsState& state, const torch::Tensor& gradInput,
                           const torch::Tensor& gradWeight, const torch::Tensor& gradBias, int64_t begin, int64_t end);

}  // namespace torchnode
