// Weight initializers by name. Keras' he_normal and lecun_normal draw from a normal truncated at two
// standard deviations, with the std scaled up by 1/0.87962566103423978 so that the result has the
// target std; libtorch has no truncated normal in C++, so it is written here.
#pragma once

#include <torch/types.h>

#include <string>

namespace torchnode {

struct InitSpec {
  // he_normal | lecun_normal | glorot_uniform | glorot_normal | kaiming_normal | kaiming_uniform | zeros | ones |
  // constant | normal | uniform | torch_default
  std::string name;
  double a = 0;  // constant: value; normal: mean; uniform: low
  double b = 0;  // normal: std; uniform: high
};

// Fills `weight` (a Linear weight [out, in] or a bias [out]) in place, under no-grad.
// fanIn/fanOut are those of the layer the tensor belongs to.
void initialize(const torch::Tensor& weight, const InitSpec& spec, int64_t fanIn, int64_t fanOut);

// In place: samples of N(mean, std) truncated to [mean - 2 std, mean + 2 std], by the inverse CDF.
void truncatedNormal(const torch::Tensor& tensor, double mean, double std);

}  // namespace torchnode
