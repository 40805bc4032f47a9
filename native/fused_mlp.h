// A fused training step for the common case of a CPU Sequential of Linear, ELU, SELU, ReLU, BatchNorm1d,
// Dropout and AlphaDropout layers under cross-entropy: forward and backward run without autograd, into
// buffers allocated once, and the gradients are written straight into each parameter's .grad, so any
// optimizer works unchanged. Every op is the one autograd would run for the same module (addmm, elu,
// native_batch_norm, the dropout noise, log_softmax + nll_loss, and their backward formulas), in the same
// order, so both paths consume the generator identically and give the same numbers (bit for bit when the
// gemms run on the same number of OpenBLAS threads: see blasFor in fused_mlp.cc).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torchnode {

class FusedMlp {
 public:
  // nullptr (and *why) when the module is not one the fused step handles; the caller uses autograd then.
  static std::unique_ptr<FusedMlp> build(torch::nn::Module& root, bool isSequential, int64_t features,
                                         int64_t batchSize, std::string* why);

  // Forward in training mode and the mean cross-entropy. Returns the loss; logits() holds [size, classes].
  double forward(const torch::Tensor& x, const torch::Tensor& y);
  const torch::Tensor& logits() const { return logits_; }
  // OpenBLAS threads used for the large gemms and the small ones (0: not OpenBLAS, or not split).
  int blasLarge() const { return blasMax_; }
  int blasSmall() const { return blasMax_ > 0 ? 1 : 0; }
  // Backward of the last forward: every parameter's .grad is overwritten with its gradient. onGradient, when
  // given, gets each parameter as soon as its gradient is final and the backward no longer reads it (an
  // optimizer can update it there, while its gradient is still in cache).
  void backward(const std::function<void(torch::Tensor&)>& onGradient = nullptr);

  enum class Kind { Linear, Elu, Relu, BatchNorm, Dropout, AlphaDropout };
  struct Layer {
    Kind kind;
    int64_t in = 0, out = 0;
    torch::Tensor weight, bias;  // Linear, BatchNorm
    torch::nn::Module* module = nullptr;
    double alpha = 1, scale = 1;  // ELU/SELU
    double p = 0;                 // dropout
    double eps = 0;               // BatchNorm
    torch::Tensor runningMean, runningVar, batchesTracked;
    c10::optional<double> momentum;
    torch::Tensor output;                       // [batchSize, out] buffer (Linear, activations, dropout)
    torch::Tensor saveMean, saveInvstd, noise;  // per step
  };

 private:
  std::vector<Layer> layers_;
  std::vector<torch::Tensor> acts_;   // acts_[i] is the input of layer i; acts_.back() the logits
  std::vector<torch::Tensor> grads_;  // grads_[i]: buffer for d loss / d acts_[i] (i >= 1)
  torch::Tensor y_, logSoftmax_, totalWeight_, logits_, one_;
  int64_t size_ = 0;
  // OpenBLAS threads per gemm: its own count for the large gemms, one for the small ones (see blasFor).
  void blasFor(int64_t m, int64_t n, int64_t k);
  int blasMax_ = 0, blasNow_ = 0;
  int64_t largeGemm_;  // m n k from which a gemm gets all of OpenBLAS' threads
  // TORCHNODE_PROFILE: milliseconds per layer kind (forward, backward), printed when the step is destroyed.
  bool profile_ = false;
  double forwardMs_[6] = {}, backwardMs_[6] = {}, lossMs_ = 0;
  int64_t steps_ = 0;

 public:
  ~FusedMlp();
};

}  // namespace torchnode
