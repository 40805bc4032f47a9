#include "batch_norm_rows.h"

#include <cmath>
#include <vector>

namespace torchnode {

void batchNormRowsForward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                          const torch::Tensor& runningMean, const torch::Tensor& runningVar, double factor, double eps,
                          const torch::Tensor& out, torch::Tensor& saveMean, torch::Tensor& saveInvstd) {
  const int64_t rows = x.size(0), channels = x.size(1);
  const float* in = x.data_ptr<float>();
  // Per channel, across the rows: each row adds a contiguous vector (the loops vectorize without
  // reassociating any sum).
  std::vector<float> sum(channels, 0.0f), squares(channels, 0.0f);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    for (int64_t c = 0; c < channels; c++) sum[c] += row[c];
  }
  for (int64_t c = 0; c < channels; c++) sum[c] /= static_cast<float>(rows);  // now the mean
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    for (int64_t c = 0; c < channels; c++) {
      const float d = row[c] - sum[c];
      squares[c] += d * d;
    }
  }
  saveMean = torch::empty({channels}, torch::kFloat32);
  saveInvstd = torch::empty({channels}, torch::kFloat32);
  float* mean = saveMean.data_ptr<float>();
  float* invstd = saveInvstd.data_ptr<float>();
  float* rMean = runningMean.data_ptr<float>();
  float* rVar = runningVar.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const float* b = bias.data_ptr<float>();
  // As ATen: y = x * alpha + beta with alpha = invstd * w, beta = b - mean * alpha.
  std::vector<float> alpha(channels), beta(channels);
  for (int64_t c = 0; c < channels; c++) {
    mean[c] = static_cast<float>(sum[c]);
    invstd[c] = static_cast<float>(1.0 / std::sqrt(squares[c] / static_cast<double>(rows) + eps));
    rMean[c] = static_cast<float>(factor * sum[c] + (1 - factor) * rMean[c]);
    rVar[c] = static_cast<float>(factor * squares[c] / static_cast<double>(rows - 1) + (1 - factor) * rVar[c]);
    alpha[c] = invstd[c] * w[c];
    beta[c] = b[c] - mean[c] * alpha[c];
  }
  float* o = out.data_ptr<float>();
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    float* target = o + r * channels;
    for (int64_t c = 0; c < channels; c++) target[c] = row[c] * alpha[c] + beta[c];
  }
}

void batchNormRowsBackward(const torch::Tensor& gradOut, const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& saveMean, const torch::Tensor& saveInvstd,
                           const torch::Tensor& gradInput, const torch::Tensor& gradWeight,
                           const torch::Tensor& gradBias) {
  const int64_t rows = x.size(0), channels = x.size(1);
  const float* in = x.data_ptr<float>();
  const float* dy = gradOut.data_ptr<float>();
  const float* mean = saveMean.data_ptr<float>();
  const float* invstd = saveInvstd.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  std::vector<float> sum(channels, 0.0f), dot(channels, 0.0f);  // sum dy, sum (x - mean) dy
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    const float* g = dy + r * channels;
    for (int64_t c = 0; c < channels; c++) {
      sum[c] += g[c];
      dot[c] += (row[c] - mean[c]) * g[c];
    }
  }
  float* gW = gradWeight.data_ptr<float>();
  float* gB = gradBias.data_ptr<float>();
  for (int64_t c = 0; c < channels; c++) {
    gW[c] = static_cast<float>(dot[c] * invstd[c]);
    gB[c] = static_cast<float>(sum[c]);
  }
  if (!gradInput.defined()) return;
  // ATen's training-mode formula: dx = (dy - mean(dy) - (x - mean) k) * invstd * w, k = dot invstd^2 / n.
  std::vector<float> k(channels), gradMean(channels), scale(channels);
  for (int64_t c = 0; c < channels; c++) {
    k[c] = static_cast<float>(dot[c]) * invstd[c] * invstd[c] / static_cast<float>(rows);
    gradMean[c] = static_cast<float>(sum[c]) / static_cast<float>(rows);
    scale[c] = invstd[c] * w[c];
  }
  float* dx = gradInput.data_ptr<float>();
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * channels;
    const float* g = dy + r * channels;
    float* target = dx + r * channels;
    for (int64_t c = 0; c < channels; c++) {
      target[c] = (g[c] - gradMean[c] - (row[c] - mean[c]) * k[c]) * scale[c];
    }
  }
}

}  // namespace torchnode
