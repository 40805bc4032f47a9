#include "init.h"

#include <torch/nn/init.h>

#include <cmath>

#include "errors.h"

namespace torchnode {

namespace {

// The std of a standard normal truncated to [-2, 2]: Keras divides by it so the final std is the target.
constexpr double kTruncatedStdAt2 = 0.87962566103423978;

double normalCdf(double x) {
  return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0)));
}

}  // namespace

void truncatedNormal(const torch::Tensor& tensor, double mean, double std) {
  torch::NoGradGuard noGrad;
  const double low = normalCdf(-2.0);
  const double high = normalCdf(2.0);
  // Uniform on [2*cdf(a) - 1, 2*cdf(b) - 1], then erfinv maps to the truncated standard normal / sqrt(2).
  tensor.uniform_(2 * low - 1, 2 * high - 1);
  tensor.erfinv_();
  tensor.mul_(std * std::sqrt(2.0));
  tensor.add_(mean);
  tensor.clamp_(mean - 2 * std, mean + 2 * std);
}

void initialize(const torch::Tensor& weight, const InitSpec& spec, int64_t fanIn, int64_t fanOut) {
  torch::NoGradGuard noGrad;
  const auto& name = spec.name;
  if (name == "he_normal") {
    truncatedNormal(weight, 0.0, std::sqrt(2.0 / fanIn) / kTruncatedStdAt2);
  } else if (name == "lecun_normal") {
    truncatedNormal(weight, 0.0, std::sqrt(1.0 / fanIn) / kTruncatedStdAt2);
  } else if (name == "glorot_uniform") {
    const double limit = std::sqrt(6.0 / (fanIn + fanOut));
    weight.uniform_(-limit, limit);
  } else if (name == "glorot_normal") {
    truncatedNormal(weight, 0.0, std::sqrt(2.0 / (fanIn + fanOut)) / kTruncatedStdAt2);
  } else if (name == "kaiming_normal") {
    weight.normal_(0.0, std::sqrt(2.0 / fanIn));
  } else if (name == "kaiming_uniform") {
    const double limit = std::sqrt(6.0 / fanIn);
    weight.uniform_(-limit, limit);
  } else if (name == "zeros") {
    weight.zero_();
  } else if (name == "ones") {
    weight.fill_(1.0);
  } else if (name == "constant") {
    weight.fill_(spec.a);
  } else if (name == "normal") {
    weight.normal_(spec.a, spec.b);
  } else if (name == "uniform") {
    weight.uniform_(spec.a, spec.b);
  } else if (name != "torch_default") {
    throw UsageError("unknown initializer '" + name +
                     "' (expected he_normal, lecun_normal, glorot_uniform, glorot_normal, kaiming_normal, "
                     "kaiming_uniform, zeros, ones, torch_default, or { constant | normal | uniform })");
  }
}

}  // namespace torchnode
