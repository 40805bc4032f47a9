#include "fused_mlp.h"

#include <ATen/ATen.h>
#include <dlfcn.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace torchnode {

namespace {

// The constants of at::selu (an ELU with these alpha and scale).
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
// at::alpha_dropout's alpha (-SELU_ALPHA * SELU_SCALE).
constexpr double kAlphaDropoutAlpha = 1.7580993408473766;

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point& mark) {
  const auto now = Clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - mark).count();
  mark = now;
  return ms;
}

// OpenBLAS, when it is the BLAS in this process: it threads every sgemm above about 2.6e5 multiply-adds
// (m n k), so that each 100 x 100 layer of a small batch pays a wake-up and a barrier of its threads, which
// costs more than the gemm itself, and its idle worker then spins (sched_yield) beside the step's helper
// thread. With a helper, the fused step runs OpenBLAS on one thread throughout and splits each large gemm
// (the input layer) over its own two threads; without one, it keeps OpenBLAS' own count for the large
// gemms. OpenBLAS computes a gemm it runs on one thread, or a part of a gemm, with other kernels than the
// whole threaded one, so the results differ from autograd's in their last bits; TORCHNODE_FUSED_EXACT=1
// keeps OpenBLAS' count for every gemm and the work on one thread, and the two engines then agree bit for
// bit (a test checks it).
struct OpenBlas {
  using Set = void (*)(int);
  using Get = int (*)();
  Set set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  Get get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
};

const OpenBlas& openBlas() {
  static const OpenBlas blas;
  return blas;
}

// m n k from which a gemm is split over two threads (or gets all of OpenBLAS' threads).
constexpr int64_t kLargeGemm = 4'000'000;
// Multiply-adds from which a run of row-wise layers is split over the two threads (below, the hand-off
// costs more than the half it saves).
constexpr int64_t kSplitRun = 200'000;

// Parameters below kPostUpdate elements (biases) are updated where their gradient was computed; from
// kSplitUpdate (above a 100 x 100 layer), half on each thread.
constexpr int64_t kPostUpdate = 4096;
constexpr int64_t kSplitUpdate = 65536;
// Columns per block of a large layer's backward. OpenBLAS computes the input layer's weight gradient
// (100 x 3072 at batch 128) in blocks of 512 to 3072 columns in the time of the whole; in blocks of rows
// it repacks the input for each and takes up to twice as long.
constexpr int64_t kColumnBlock = 512;
// Elements ([rows, channels]) from which a BatchNorm's statistics and backward are shared between the
// threads, in blocks of kColumnBlock channels (the input BatchNorm(3072) of the exercise's bn network; a
// [128, 100] one costs less than the hand-off).
constexpr int64_t kSplitBatchNorm = 65536;

// How long this thread spins for the helper's last block before it yields (a block takes 0.1-0.5 ms; the
// count of pauses it spun before, 100,000, took 1.6 ms here: beside a helper that lost its core, or shared
// this one, the step then stood still).
constexpr std::chrono::microseconds kBlockSpin{200};

// Counts a block of work as finished when it leaves scope, by return or by exception.
struct Finish {
  std::atomic<int64_t>& count;
  ~Finish() { count.fetch_add(1, std::memory_order_release); }
};

bool envIs(const char* name, const char* value) {
  const char* set = std::getenv(name);
  return set != nullptr && std::string(set) == value;
}

// Every row of the contiguous float32 matrix `out` set to the vector `row`.
void fillRows(const torch::Tensor& out, const torch::Tensor& row) {
  const int64_t width = row.numel();
  const float* source = row.data_ptr<float>();
  float* target = out.data_ptr<float>();
  for (int64_t r = 0, rows = out.size(0); r < rows; r++) {
    std::memcpy(target + r * width, source, width * sizeof(float));
  }
}

// The parameter's .grad, created (zeros) on first use.
torch::Tensor& gradOf(const torch::Tensor& p) {
  torch::Tensor& grad = p.mutable_grad();
  if (!grad.defined()) grad = torch::zeros_like(p);
  return grad;
}

bool floatCpu(const torch::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous();
}

}  // namespace

std::unique_ptr<FusedMlp> FusedMlp::build(torch::nn::Module& root, bool isSequential, int64_t features,
                                          int64_t batchSize, BackgroundThread* helper, std::string* why) {
  std::vector<torch::nn::Module*> modules;
  if (isSequential) {
    for (const auto& child : root.children()) modules.push_back(child.get());
  } else {
    modules.push_back(&root);
  }
  auto fused = std::make_unique<FusedMlp>();
  fused->largeGemm_ = kLargeGemm;
  int64_t width = features;
  const auto fail = [&](const std::string& reason) {
    if (why) *why = reason;
    return nullptr;
  };
  for (size_t i = 0; i < modules.size(); i++) {
    torch::nn::Module* m = modules[i];
    Layer layer;
    layer.module = m;
    layer.in = width;
    if (auto* linear = m->as<torch::nn::Linear>()) {
      layer.kind = Kind::Linear;
      layer.weight = linear->weight;
      layer.bias = linear->bias;
      if (!floatCpu(layer.weight) || (layer.bias.defined() && !floatCpu(layer.bias))) {
        return fail("layer " + std::to_string(i) + " is not a contiguous float32 CPU Linear");
      }
      if (layer.weight.size(1) != width) return fail("layer " + std::to_string(i) + " does not fit its input width");
      if (!layer.weight.requires_grad() || (layer.bias.defined() && !layer.bias.requires_grad())) {
        return fail("layer " + std::to_string(i) + " has a frozen parameter");
      }
      width = layer.weight.size(0);
    } else if (auto* elu = m->as<torch::nn::ELU>()) {
      layer.kind = Kind::Elu;
      layer.alpha = elu->options.alpha();
    } else if (m->as<torch::nn::SELU>()) {
      layer.kind = Kind::Elu;
      layer.alpha = kSeluAlpha;
      layer.scale = kSeluScale;
    } else if (m->as<torch::nn::ReLU>()) {
      layer.kind = Kind::Relu;
    } else if (auto* bn = m->as<torch::nn::BatchNorm1d>()) {
      const auto& o = bn->options;
      if (!o.affine() || !o.track_running_stats()) {
        return fail("layer " + std::to_string(i) + " is a BatchNorm1d without affine or running statistics");
      }
      if (o.num_features() != width) return fail("layer " + std::to_string(i) + " does not fit its input width");
      layer.kind = Kind::BatchNorm;
      layer.rows = BatchNormRowsState(width);
      layer.weight = bn->weight;
      layer.bias = bn->bias;
      layer.runningMean = bn->running_mean;
      layer.runningVar = bn->running_var;
      layer.batchesTracked = bn->num_batches_tracked;
      layer.momentum = o.momentum();
      layer.eps = o.eps();
      if (!floatCpu(layer.weight) || !floatCpu(layer.bias) || !floatCpu(layer.runningMean) ||
          !floatCpu(layer.runningVar)) {
        return fail("layer " + std::to_string(i) + " is not a float32 CPU BatchNorm1d");
      }
      if (!layer.weight.requires_grad() || !layer.bias.requires_grad()) {
        return fail("layer " + std::to_string(i) + " has a frozen parameter");
      }
    } else if (auto* dropout = m->as<torch::nn::Dropout>()) {
      if (dropout->options.inplace()) return fail("layer " + std::to_string(i) + " is an in-place Dropout");
      layer.kind = Kind::Dropout;
      layer.p = dropout->options.p();
    } else if (auto* alpha = m->as<torch::nn::AlphaDropout>()) {
      if (alpha->options.inplace()) return fail("layer " + std::to_string(i) + " is an in-place AlphaDropout");
      layer.kind = Kind::AlphaDropout;
      layer.p = alpha->options.p();
    } else {
      return fail("layer " + std::to_string(i) + " (" + m->name() + ") has no fused step");
    }
    layer.out = width;
    const bool hasBuffer = layer.kind == Kind::Linear || layer.kind == Kind::Elu || layer.kind == Kind::Relu ||
                           layer.kind == Kind::BatchNorm ||
                           ((layer.kind == Kind::Dropout || layer.kind == Kind::AlphaDropout) && layer.p > 0);
    if (hasBuffer) layer.output = torch::empty({batchSize, width}, torch::kFloat32);
    fused->layers_.push_back(std::move(layer));
  }
  if (fused->layers_.empty()) return fail("the model has no layers");
  const size_t n = fused->layers_.size();
  fused->acts_.resize(n + 1);
  fused->grads_.resize(n + 1);
  for (size_t i = 1; i < n; i++) {
    fused->grads_[i] = torch::empty({batchSize, fused->layers_[i].in}, torch::kFloat32);
  }
  fused->one_ = torch::ones({}, torch::kFloat32);
  fused->profile_ = std::getenv("TORCHNODE_PROFILE") != nullptr;
  fused->exact_ = envIs("TORCHNODE_FUSED_EXACT", "1");
  fused->helper_ = helper;
  if (const char* large = std::getenv("TORCHNODE_LARGE_GEMM")) fused->largeGemm_ = std::atoll(large);
  if (openBlas().set && openBlas().get && !fused->exact_) {
    fused->blasMax_ = fused->blasNow_ = openBlas().get();
    if (fused->blasMax_ <= 1) fused->blasMax_ = fused->blasNow_ = 0;  // one thread already
  }
  return fused;
}

void FusedMlp::blasFor(int64_t m, int64_t n, int64_t k) {
  if (blasMax_ == 0) return;
  const int want = !ownThreads() && large(m, n, k) ? blasMax_ : 1;
  if (want != blasNow_) {
    openBlas().set(want);
    blasNow_ = want;
  }
}

// Between steps (the optimizer, the validation pass, JS) OpenBLAS has its own thread count back.
void FusedMlp::restoreBlas() {
  if (blasMax_ > 0 && blasNow_ != blasMax_) {
    openBlas().set(blasMax_);
    blasNow_ = blasMax_;
  }
}

FusedMlp::~FusedMlp() {
  // A step that failed on this thread may have left a job on the helper that reads this object's buffers.
  if (helper_) {
    try {
      helper_->wait();
    } catch (...) {
      // (its error was the step's, already reported)
    }
  }
  restoreBlas();
  if (!profile_ || steps_ == 0) return;
  static const char* names[] = {"linear", "elu", "relu", "batchnorm", "dropout", "alpha_dropout"};
  std::fprintf(stderr, "[torchnode fused profile] ms per step over %lld steps:", static_cast<long long>(steps_));
  for (int k = 0; k < 6; k++) {
    if (forwardMs_[k] + backwardMs_[k] > 0) {
      std::fprintf(stderr, " %s fwd %.3f bwd %.3f;", names[k], forwardMs_[k] / steps_, backwardMs_[k] / steps_);
    }
  }
  std::fprintf(stderr, " loss %.3f; waiting for the helper: forward %.3f, backward %.3f\n", lossMs_ / steps_,
               waitForwardMs_ / steps_, waitBackwardMs_ / steps_);
}

// at::linear on a 2-D input: addmm(bias, input, weight.t()) (mm without a bias).
void FusedMlp::linearForward(const Layer& l, const torch::Tensor& in, const torch::Tensor& out) {
  if (l.bias.defined()) {
    // at::linear's addmm(bias, input, weight.t()) copies the bias, broadcast, into the result (through a
    // TensorIterator: a quarter of a 100 x 100 layer's time at batch 128), then runs the gemm with beta 1.
    // Filling the rows here and passing the result as addmm's self gives the same gemm call on the same
    // values, so the same bits.
    fillRows(out, l.bias);
    torch::Tensor result = out;
    at::addmm_out(result, out, in, l.weight.t());
  } else {
    torch::Tensor result = out;
    at::mm_out(result, in, l.weight.t());
  }
}

void FusedMlp::beginLayer(size_t i) {
  Layer& l = layers_[i];
  const torch::Tensor& in = acts_[i];
  switch (l.kind) {
    case Kind::BatchNorm: return;  // (batchNormForward sets acts_[i + 1])
    case Kind::Dropout:
    case Kind::AlphaDropout:
      if (l.p == 0) {
        acts_[i + 1] = in;  // at::dropout with p = 0 returns its input
        return;
      }
      // at::native _dropout_impl on the CPU, op for op (the same draws from the generator).
      l.noise = at::empty_like(in);
      l.noise.bernoulli_(1 - l.p);
      if (l.kind == Kind::AlphaDropout) {
        const double a = 1. / std::sqrt((kAlphaDropoutAlpha * kAlphaDropoutAlpha * l.p + 1) * (1 - l.p));
        l.shift = l.noise.add(-1).mul_(kAlphaDropoutAlpha * a).add_(kAlphaDropoutAlpha * a * l.p);
        l.noise.mul_(a);
      } else {
        l.noise.div_(1 - l.p);
      }
      break;
    default: break;
  }
  acts_[i + 1] = l.output.narrow(0, 0, size_);
}

void FusedMlp::runRows(size_t i, int64_t from, int64_t rows) {
  const Layer& l = layers_[i];
  const torch::Tensor in = acts_[i].narrow(0, from, rows);
  torch::Tensor out = acts_[i + 1].narrow(0, from, rows);
  switch (l.kind) {
    case Kind::Linear: linearForward(l, in, out); break;
    case Kind::Elu: at::elu_out(out, in, l.alpha, l.scale, 1.0); break;
    case Kind::Relu: at::clamp_min_out(out, in, 0); break;
    case Kind::Dropout:
    case Kind::AlphaDropout:
      if (l.p == 0) break;
      at::mul_out(out, in, l.noise.narrow(0, from, rows));
      if (l.kind == Kind::AlphaDropout) out.add_(l.shift.narrow(0, from, rows));
      break;
    case Kind::BatchNorm:
      if (l.applyRows) batchNormRowsApply(in, l.rows, out);
      break;
  }
}

void FusedMlp::shareBlocks(int64_t blocks, const std::function<void(int64_t)>& block) {
  if (!helper_) {
    for (int64_t b = 0; b < blocks; b++) block(b);
    return;
  }
  auto taken = std::make_shared<std::atomic<int64_t>>(0);
  auto finished = std::make_shared<std::atomic<int64_t>>(0);
  // (a copy of `block` on the helper: after an error here this thread leaves while the helper may still
  // run blocks; what they write belongs to this object, whose destructor waits for the helper)
  const auto work = [taken, finished, blocks, block] {
    torch::NoGradGuard noGradHere;  // thread-local
    for (int64_t b; (b = taken->fetch_add(1)) < blocks;) {
      // (counted as finished when it fails too, so that the wait below ends; the error surfaces from the
      // helper's next wait)
      const Finish finish{*finished};
      block(b);
    }
  };
  helper_->post(work);
  work();
  spinUntil([&finished, blocks] { return finished->load(std::memory_order_acquire) >= blocks; }, kBlockSpin);
}

void FusedMlp::forChannels(int64_t channels, const std::function<void(int64_t, int64_t)>& range) {
  if (!ownThreads() || size_ * channels < kSplitBatchNorm) {
    range(0, channels);
    return;
  }
  const int64_t blocks = std::max<int64_t>(2, (channels + kColumnBlock - 1) / kColumnBlock);
  const int64_t width = (channels + blocks - 1) / blocks;
  shareBlocks(blocks, [range, width, channels](int64_t b) { range(b * width, std::min(channels, (b + 1) * width)); });
}

void FusedMlp::batchNormForward(size_t i) {
  Layer& l = layers_[i];
  // BatchNormImplBase::forward: count the batch, then the momentum (or the cumulative average).
  double factor = l.momentum ? *l.momentum : 0.0;
  l.batchesTracked.add_(1);
  if (!l.momentum) factor = 1.0 / l.batchesTracked.item<double>();
  const torch::Tensor x = acts_[i];
  l.applyRows = rowKernels(x);
  if (l.applyRows) {
    acts_[i + 1] = l.output.narrow(0, 0, size_);
    forChannels(l.in, [x, &l, factor](int64_t begin, int64_t end) {
      batchNormRowsStatistics(x, l.weight, l.bias, l.runningMean, l.runningVar, factor, l.eps, begin, end, l.rows);
    });
  } else {
    auto result = at::native_batch_norm(x, l.weight, l.bias, l.runningMean, l.runningVar, true, factor, l.eps);
    acts_[i + 1] = std::get<0>(result);
    l.saveMean = std::get<1>(result);
    l.saveInvstd = std::get<2>(result);
  }
}

double FusedMlp::forward(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard noGrad;
  size_ = x.size(0);
  acts_[0] = x;
  auto mark = Clock::now();
  if (profile_) steps_++;
  blasFor(size_, layers_[0].out, layers_[0].in);  // (with ownThreads(): one OpenBLAS thread from here on)
  // Runs of layers between BatchNorms' statistics map each input row to its output row alone: with the
  // helper, each half of the batch goes through a run on its own thread (the views and the dropout noise
  // first, in layer order); a BatchNorm's statistics, which mix the rows, are taken in between.
  const int64_t half = size_ / 2;
  for (size_t i = 0; i < layers_.size();) {
    size_t end = i;
    if (layers_[i].kind == Kind::BatchNorm) {
      // Its statistics first (on the whole batch); its affine map then starts the run (row by row).
      batchNormForward(i);
      if (profile_) forwardMs_[static_cast<int>(Kind::BatchNorm)] += msSince(mark);
      end = i + 1;
      if (!layers_[i].applyRows) {
        i = end;
        continue;
      }
    }
    int64_t work = 0;  // multiply-adds of the run's Linears
    for (; end < layers_.size() && layers_[end].kind != Kind::BatchNorm; end++) {
      beginLayer(end);
      if (layers_[end].kind == Kind::Linear) work += size_ * layers_[end].in * layers_[end].out;
    }
    const bool split = ownThreads() && size_ > 1 && work >= kSplitRun;
    if (split) {
      helper_->post([this, i, end, half] {
        torch::NoGradGuard noGradHere;  // thread-local
        for (size_t k = i; k < end; k++) runRows(k, half, size_ - half);
      });
    }
    for (size_t k = i; k < end; k++) {
      if (!split && layers_[k].kind == Kind::Linear) blasFor(size_, layers_[k].out, layers_[k].in);
      runRows(k, 0, split ? half : size_);
      if (profile_) forwardMs_[static_cast<int>(layers_[k].kind)] += msSince(mark);
    }
    if (split) {
      helper_->wait();
      if (profile_) waitForwardMs_ += msSince(mark);
    }
    i = end;
  }
  logits_ = acts_.back();
  // cross_entropy = nll_loss(log_softmax(logits, 1)), mean over the batch.
  y_ = y;
  logSoftmax_ = at::_log_softmax(logits_, 1, false);
  auto loss = at::nll_loss_forward(logSoftmax_, y_, {}, at::Reduction::Mean, -100);
  totalWeight_ = std::get<1>(loss);
  const double value = std::get<0>(loss).item<double>();
  if (profile_) lossMs_ += msSince(mark);
  return value;
}

void FusedMlp::update(torch::Tensor& param, const Updater& updater, int64_t splitAt) {
  const ParameterUpdate u = updater(param);
  if (!u.apply) return;
  const int64_t n = param.numel();
  if (!helper_) {
    u.apply(0, n);
  } else if (splitAt > 0 && u.splittable) {
    helper_->post([u, splitAt, n] { u.apply(splitAt, n); });
    u.apply(0, splitAt);
  } else if (splitAt > 0 || n >= kPostUpdate) {
    helper_->post([u, n] { u.apply(0, n); });
  } else {
    u.apply(0, n);
  }
}

torch::Tensor FusedMlp::linearBackward(size_t k, const torch::Tensor& g, bool needInput, const Updater& updater) {
  // addmm's backward: d input = g W, d weight = g^T input, d bias = sum_to(g, [out]).
  Layer& l = layers_[k];
  const torch::Tensor& in = acts_[k];
  torch::Tensor gWeight = gradOf(l.weight);
  torch::Tensor gBias = l.bias.defined() ? gradOf(l.bias) : torch::Tensor();
  torch::Tensor gIn = needInput ? grads_[k].narrow(0, 0, size_) : torch::Tensor();
  const torch::Tensor& weight = l.weight;
  // The jobs below read g, `in` and the weight: the layers further down neither write those buffers nor
  // this layer's weight (its update is queued after them), and backward() waits for the helper at its end.
  const auto weightRows = [gWeight, g, in](int64_t from, int64_t rows) {
    torch::NoGradGuard noGradHere;  // thread-local
    torch::Tensor out = gWeight.narrow(0, from, rows);
    at::mm_out(out, g.narrow(1, from, rows).t(), in);
  };
  const auto inputRows = [gIn, g, weight](int64_t from, int64_t rows) {
    torch::NoGradGuard noGradHere;
    torch::Tensor out = gIn.narrow(0, from, rows);
    at::mm_out(out, g.narrow(0, from, rows), weight);
  };
  const auto sumBias = [gBias, g] {
    torch::Tensor out = gBias;
    if (out.defined()) at::sum_out(out, g, {0}, false);
  };
  blasFor(l.out, l.in, size_);
  if (ownThreads() && large(l.out, l.in, size_)) {
    // Blocks of kColumnBlock input columns, taken in turn by this thread and the helper (whichever is free:
    // the helper may still be busy with the layers above). A block's weight-gradient columns, its
    // input-gradient columns and its weights' update need no other block, so each runs as soon as its
    // gemm is done, while the block is in cache.
    const ParameterUpdate u = updater(l.weight);
    const bool updateBlocks = u.apply && u.splittable;
    const int64_t width = l.in, outputs = l.out;
    const torch::Tensor gInput = gIn;
    sumBias();
    // The input gradient is whole once every block is.
    shareBlocks((width + kColumnBlock - 1) / kColumnBlock, [=](int64_t b) {
      const int64_t from = b * kColumnBlock, columns = std::min(kColumnBlock, width - from);
      torch::Tensor gW = gWeight.narrow(1, from, columns);
      at::mm_out(gW, g.t(), in.narrow(1, from, columns));
      if (gInput.defined()) {
        torch::Tensor gX = gInput.narrow(1, from, columns);
        at::mm_out(gX, g, weight.narrow(1, from, columns));
      }
      if (updateBlocks) {
        for (int64_t r = 0; r < outputs; r++) u.apply(r * width + from, r * width + from + columns);
      }
    });
    if (u.apply && !u.splittable) helper_->post([u, n = l.weight.numel()] { u.apply(0, n); });
    if (l.bias.defined()) update(l.bias, updater);
  } else if (ownThreads()) {
    // This thread goes on down with the input gradient; the weight gradient (off the critical path) and
    // then the updates run on the helper, in one job (queued after the input gradient, which reads the
    // weight; and one job, as a job may run on either thread: see BackgroundThread::wait).
    if (needInput) inputRows(0, size_);
    const ParameterUpdate weightUpdate = updater(l.weight);
    const ParameterUpdate biasUpdate = l.bias.defined() ? updater(l.bias) : ParameterUpdate{};
    helper_->post(
        [weightRows, sumBias, rows = l.out, weightUpdate, biasUpdate, weights = l.weight.numel(), biases = l.out] {
          weightRows(0, rows);
          sumBias();
          if (weightUpdate.apply) weightUpdate.apply(0, weights);
          if (biasUpdate.apply) biasUpdate.apply(0, biases);
        });
  } else {
    weightRows(0, l.out);
    sumBias();
    if (needInput) {
      blasFor(size_, l.in, l.out);
      inputRows(0, size_);
    }
    const int64_t n = l.weight.numel();
    update(l.weight, updater, n >= kSplitUpdate ? n / 2 : 0);
    if (l.bias.defined()) update(l.bias, updater);
  }
  return needInput ? gIn : g;
}

void FusedMlp::batchNormBackward(size_t k, torch::Tensor& g, bool needInput) {
  Layer& l = layers_[k];
  const torch::Tensor& in = acts_[k];
  if (l.applyRows && g.is_contiguous()) {
    const torch::Tensor gIn = needInput ? grads_[k].narrow(0, 0, size_) : torch::Tensor();
    const torch::Tensor gOut = g, gWeight = gradOf(l.weight), gBias = gradOf(l.bias);
    forChannels(l.in, [gOut, in, gIn, gWeight, gBias, &l](int64_t begin, int64_t end) {
      batchNormRowsBackward(gOut, in, l.weight, l.rows, gIn, gWeight, gBias, begin, end);
    });
    if (needInput) g = gIn;
    return;
  }
  if (l.applyRows) {  // (statistics from the row kernels, in the form ATen's backward takes)
    l.saveMean = l.rows.mean;
    l.saveInvstd = l.rows.invstd;
  }
  auto result = at::native_batch_norm_backward(g, in, l.weight, l.runningMean, l.runningVar, l.saveMean, l.saveInvstd,
                                               true, l.eps, {needInput, true, true});
  gradOf(l.weight).copy_(std::get<1>(result));
  gradOf(l.bias).copy_(std::get<2>(result));
  if (needInput) g = std::get<0>(result);
}

void FusedMlp::backward(const Updater& updater) {
  torch::NoGradGuard noGrad;
  auto mark = Clock::now();
  const auto gLogSoftmax = at::nll_loss_backward(one_, logSoftmax_, y_, {}, at::Reduction::Mean, -100, totalWeight_);
  torch::Tensor g = at::_log_softmax_backward_data(gLogSoftmax, logSoftmax_, 1, torch::kFloat32);
  // Layers before the first one with parameters need no input gradient.
  size_t firstWithParams = layers_.size();
  for (size_t i = 0; i < layers_.size(); i++) {
    if (layers_[i].weight.defined()) {
      firstWithParams = i;
      break;
    }
  }
  const Updater none = [](torch::Tensor&) { return ParameterUpdate{}; };
  const Updater& updateWith = updater ? updater : none;
  for (size_t k = layers_.size(); k-- > firstWithParams;) {
    Layer& l = layers_[k];
    const bool needInput = k > firstWithParams;
    const torch::Tensor& in = acts_[k];
    switch (l.kind) {
      case Kind::Linear: g = linearBackward(k, g, needInput, updateWith); break;
      case Kind::Elu:
        // From the output (y + alpha scale where y <= 0: no exp), as autograd does for an in-place ELU;
        // from the input, as for ELU(), when exact (the two differ in the last bit).
        if (!needInput) break;
        if (exact_ || l.alpha < 0) {
          at::elu_backward_out(g, g, l.alpha, l.scale, 1.0, /*is_result=*/false, in);
        } else {
          at::elu_backward_out(g, g, l.alpha, l.scale, 1.0, /*is_result=*/true, acts_[k + 1]);
        }
        break;
      case Kind::Relu:
        if (needInput) at::threshold_backward_out(g, g, acts_[k + 1], 0);
        break;
      case Kind::BatchNorm:
        batchNormBackward(k, g, needInput);
        update(l.weight, updateWith);
        update(l.bias, updateWith);
        break;
      case Kind::Dropout:
      case Kind::AlphaDropout:
        if (needInput && l.p > 0) g.mul_(l.noise);
        break;
    }
    if (profile_) backwardMs_[static_cast<int>(l.kind)] += msSince(mark);
  }
  if (helper_) helper_->wait();
  if (profile_) waitBackwardMs_ += msSince(mark);
  restoreBlas();
}

}  // namespace torchnode
