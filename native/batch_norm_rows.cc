#include "batch_norm_rows.h"

#include <cmath>
#include <vector>

namespace torchnode {

BatchNormRowsState::BatchNormRowsState(int64_t channels)
    : mean(torch::empty({channels}, torch::kFloat32)),
      invstd(torch::empty({channels}, torch::kFloat32)),
      scale(torch::empty({channels}, torch::kFloat32)),
      shift(torch::empty({channels}, torch::kFloat32)) {}

void batchNormRowsStatistics(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             const torch::Tensor& runningMean, const torch::Tensor& runningVar, double factor,
                             double eps, int64_t begin, int64_t end, const BatchNormRowsState& state) {
  const int64_t rows = x.size(0), channels = x.size(1), width = end - begin;
  const float* in = x.data_ptr<float>() + begin;
  // Per channel, across the rows: each row adds a contiguous vector (the loops vectorize without
  // reassociating any sum).
  std::vector<float> sum(width, 0.0f), squares(width, 0.0f);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    for (int64_t c = 0; c < width; c++) sum[c] += row[c];
  }
  for (int64_t c = 0; c < width; c++) sum[c] /= static_cast<float>(rows);  // now the mean
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    for (int64_t c = 0; c < width; c++) {
      const float d = row[c] - sum[c];
      squares[c] += d * d;
    }
  }
  float* mean = state.mean.data_ptr<float>() + begin;
  float* invstd = state.invstd.data_ptr<float>() + begin;
  float* scale = state.scale.data_ptr<float>() + begin;
  float* shift = state.shift.data_ptr<float>() + begin;
  float* rMean = runningMean.data_ptr<float>() + begin;
  float* rVar = runningVar.data_ptr<float>() + begin;
  const float* w = weight.data_ptr<float>() + begin;
  const float* b = bias.data_ptr<float>() + begin;
  for (int64_t c = 0; c < width; c++) {
    mean[c] = sum[c];
    invstd[c] = static_cast<float>(1.0 / std::sqrt(squares[c] / static_cast<double>(rows) + eps));
    rMean[c] = static_cast<float>(factor * sum[c] + (1 - factor) * rMean[c]);
    rVar[c] = static_cast<float>(factor * squares[c] / static_cast<double>(rows - 1) + (1 - factor) * rVar[c]);
    scale[c] = invstd[c] * w[c];
    shift[c] = b[c] - mean[c] * scale[c];
  }
}

void batchNormRowsApply(const torch::Tensor& x, const BatchNormRowsState& state, const torch::Tensor& out) {
  const int64_t rows = x.size(0), channels = x.size(1);
  const float* in = x.data_ptr<float>();
  const float* scale = state.scale.data_ptr<float>();
  const float* shift = state.shift.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    float* target = o + r * channels;
    for (int64_t c = 0; c < channels; c++) target[c] = row[c] * scale[c] + shift[c];
  }
}

void batchNormRowsBackward(const torch::Tensor& gradOut, const torch::Tensor& x, const torch::Tensor& weight,
                           const BatchNormRowsState& state, const torch::Tensor& gradInput,
                           const torch::Tensor& gradWeight, const torch::Tensor& gradBias, int64_t begin, int64_t end) {
  const int64_t rows = x.size(0), channels = x.size(1), width = end - begin;
  const float* in = x.data_ptr<float>() + begin;
  const float* dy = gradOut.data_ptr<float>() + begin;
  const float* mean = state.mean.data_ptr<float>() + begin;
  const float* invstd = state.invstd.data_ptr<float>() + begin;
  const float* w = weight.data_ptr<float>() + begin;
  std::vector<float> sum(width, 0.0f), dot(width, 0.0f);  // sum dy, sum (x - mean) dy
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    const float* g = dy + r * channels;
    for (int64_t c = 0; c < width; c++) {
      sum[c] += g[c];
      dot[c] += (row[c] - mean[c]) * g[c];
    }
  }
  float* gW = gradWeight.data_ptr<float>() + begin;
  float* gB = gradBias.data_ptr<float>() + begin;
  for (int64_t c = 0; c < width; c++) {
    gW[c] = dot[c] * invstd[c];
    gB[c] = sum[c];
  }
  if (!gradInput.defined()) return;
  // ATen's training-mode formula: dx = (dy - mean(dy) - (x - mean) k) * invstd * w, k = dot invstd^2 / n.
  std::vector<float> k(width), gradMean(width), scale(width);
  for (int64_t c = 0; c < width; c++) {
    k[c] = dot[c] * invstd[c] * invstd[c] / static_cast<float>(rows);
    gradMean[c] = sum[c] / static_cast<float>(rows);
    scale[c] = invstd[c] * w[c];
  }
  float* dx = gradInput.data_ptr<float>() + begin;
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    const float* g = dy + r * channels;
    float* target = dx + r * channels;
    for (int64_t c = 0; c < width; c++) {
      target[c] = (g[c] - gradMean[c] - (row[c] - mean[c]) * k[c]) * scale[c];
    }
  }
}

}  // namespace torchnode
