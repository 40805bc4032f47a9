// A fused training step for the common case of a CPU Sequential of Linear, ELU, SELU, ReLU, BatchNorm1d,
// Dropout and AlphaDropout layers under cross-entropy: forward and backward run without autograd, into
// buffers allocated once, and the gradients are written straight into each parameter's .grad, so any
// optimizer works unchanged. Every op is the one autograd would run for the same module (addmm, elu,
// native_batch_norm, the dropout noise, log_softmax + nll_loss, and their backward formulas), in the same
// order, so both paths consume the generator identically and compute the same function: bit for bit under
// TORCHNODE_FUSED_EXACT=1; by default within rounding, as the step then splits its work over two threads
// (the forward by batch halves between BatchNorms' statistics, a large layer's backward by column blocks, a
// wide BatchNorm by blocks of channels, the small layers' weight gradients and updates beside the
// input-gradient chain), runs OpenBLAS on one thread, and takes the ELU backward from the output (as
// autograd does for an in-place ELU).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "background_thread.h"
#include "batch_norm_rows.h"

namespace torchnode {

// An optimizer's update of one parameter, prepared (its state advanced): apply(begin, end) writes the
// elements [begin, end). When `splittable`, disjoint ranges may run at once on two threads; otherwise one
// call writes the whole parameter, whatever the range.
struct ParameterUpdate {
  std::function<void(int64_t begin, int64_t end)> apply;
  bool splittable = false;
};
// Prepares a parameter's update (called on the thread that runs the backward, one parameter at a time, once
// its .grad tensor exists; the gradient's values may still be in the making: apply() runs only after
// they are written); an empty apply: nothing to update.
using Updater = std::function<ParameterUpdate(torch::Tensor& param)>;

class FusedMlp {
 public:
  // nullptr (and *why) when the module is not one the fused step handles; the caller uses autograd then.
  // `helper` (optional, must outlive the step): the second thread of the step (half of the forward, the
  // small layers' weight gradients and the parameter updates, blocks of the large layers' backward).
  static std::unique_ptr<FusedMlp> build(torch::nn::Module& root, bool isSequential, int64_t features,
                                         int64_t batchSize, BackgroundThread* helper, std::string* why);

  // Forward in training mode and the mean cross-entropy. Returns the loss; logits() holds [size, classes].
  double forward(const torch::Tensor& x, const torch::Tensor& y);
  const torch::Tensor& logits() const { return logits_; }
  // OpenBLAS threads per large gemm and per small one (0: not OpenBLAS, or its own count throughout), and
  // how many threads of the step's own a large gemm is split over (1: none).
  int blasLarge() const { return ownThreads() ? 1 : blasMax_; }
  int blasSmall() const { return blasMax_ > 0 ? 1 : 0; }
  int largeGemmSplit() const { return ownThreads() ? 2 : 1; }
  // Backward of the last forward: every parameter's .grad is overwritten with its gradient. `updater`, when
  // given, is called with each parameter as soon as its gradient is final and the backward no longer reads
  // the parameter, and its update runs there (while the gradient is still in cache; on the helper, or split
  // with it, when there is one). Returns once every gradient and update is written.
  void backward(const Updater& updater = nullptr);

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
    torch::Tensor output;                       // [batchSize, out] buffer (Linear, BatchNorm, activations, dropout)
    torch::Tensor saveMean, saveInvstd, noise;  // per step (BatchNorm on ATen's kernels, dropout)
    torch::Tensor shift;                        // AlphaDropout: what is added after the noise, per step
    BatchNormRowsState rows;                    // BatchNorm on batch_norm_rows.h's kernels
    bool applyRows = false;  // this step's BatchNorm: statistics taken, the affine map runs in runRows
  };

 private:
  std::vector<Layer> layers_;
  std::vector<torch::Tensor> acts_;   // acts_[i] is the input of layer i; acts_.back() the logits
  std::vector<torch::Tensor> grads_;  // grads_[i]: buffer for d loss / d acts_[i] (i >= 1)
  torch::Tensor y_, logSoftmax_, totalWeight_, logits_, one_;
  int64_t size_ = 0;
  BackgroundThread* helper_ = nullptr;
  // TORCHNODE_FUSED_EXACT=1: autograd's kernels throughout (each gemm on OpenBLAS' own thread count, none
  // on the helper; the ELU backward from the input), so that the two engines agree bit for bit.
  bool exact_ = false;
  // The large gemms split over this thread and the helper, each half on one OpenBLAS thread.
  bool ownThreads() const { return helper_ != nullptr && !exact_; }
  // OpenBLAS threads per gemm: one, or its own count for a large gemm the step does not split (blasFor).
  void blasFor(int64_t m, int64_t n, int64_t k);
  void restoreBlas();
  int blasMax_ = 0, blasNow_ = 0;
  int64_t largeGemm_;  // m n k from which a gemm is large
  bool large(int64_t m, int64_t n, int64_t k) const { return m * n * k >= largeGemm_; }

  // BatchNorm on batch_norm_rows.h's kernels (not exact; a [rows >= 2, channels] float batch).
  bool rowKernels(const torch::Tensor& x) const {
    return !exact_ && x.dim() == 2 && x.size(0) > 1 && x.is_contiguous();
  }
  // Sets acts_[i + 1] to layer i's output for this batch and, for dropout, draws its noise.
  void beginLayer(size_t i);
  // Layer i on the rows [from, from + rows) of the batch, after beginLayer(i) (a BatchNorm: its affine
  // map, after its statistics).
  void runRows(size_t i, int64_t from, int64_t rows);
  // The batch statistics of BatchNorm i; with the row kernels, the affine map is left to runRows
  // (applyRows), else the whole output is set here.
  void batchNormForward(size_t i);
  void batchNormBackward(size_t i, torch::Tensor& g, bool needInput);
  // Runs block(0) ... block(blocks - 1), each once, on this thread and the helper (whichever is free takes
  // the next), and returns when all have finished (not waiting for the helper's other jobs). Without the
  // helper, all run here.
  void shareBlocks(int64_t blocks, const std::function<void(int64_t)>& block);
  // range(begin, end) over all of a BatchNorm's channels: in blocks shared with the helper when the batch
  // is large (kSplitBatchNorm), else at once here.
  void forChannels(int64_t channels, const std::function<void(int64_t, int64_t)>& range);
  void linearForward(const Layer& l, const torch::Tensor& in, const torch::Tensor& out);
  // d weight, d bias and (needInput) d input of Linear layer k; returns the gradient for the layer below.
  torch::Tensor linearBackward(size_t k, const torch::Tensor& g, bool needInput, const Updater& updater);
  // Runs `param`'s update (its gradient written) here or, when large, on the helper, or split at element
  // splitAt (> 0: [splitAt, end) on the helper).
  void update(torch::Tensor& param, const Updater& updater, int64_t splitAt = 0);
  // TORCHNODE_PROFILE: milliseconds per layer kind (forward, backward), printed when the step is destroyed.
  bool profile_ = false;
  double forwardMs_[6] = {}, backwardMs_[6] = {}, lossMs_ = 0, waitForwardMs_ = 0, waitBackwardMs_ = 0;
  int64_t steps_ = 0;

 public:
  ~FusedMlp();
};

}  // namespace torchnode
