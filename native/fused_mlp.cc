#include "fused_mlp.h"

#include <ATen/ATen.h>
#include <dlfcn.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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
// costs more than the gemm itself. The fused step runs those on one thread and keeps OpenBLAS' own count
// for the large ones (the input layer). OpenBLAS computes a gemm it runs on one thread with other
// kernels than a threaded one, so a gemm in that middle range can differ in its last bits from autograd's
// (about 1e-7 after a few hundred steps); TORCHNODE_BLAS_SPLIT=0 keeps OpenBLAS' count for every gemm,
// and the two engines then agree bit for bit (a test checks it).
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

// m n k from which a gemm gets all of OpenBLAS' threads.
constexpr int64_t kLargeGemm = 4'000'000;

// Every row of the contiguous float32 matrix `out` set to the vector `row`.
void fillRows(const torch::Tensor& out, const torch::Tensor& row) {
  const int64_t width = row.numel();
  const float* source = row.data_ptr<float>();
  float* target = out.data_ptr<float>();
  for (int64_t r = 0, rows = out.size(0); r < rows; r++) {
    std::memcpy(target + r * width, source, width * sizeof(float));
  }
}

bool floatCpu(const torch::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous();
}

}  // namespace

std::unique_ptr<FusedMlp> FusedMlp::build(torch::nn::Module& root, bool isSequential, int64_t features,
                                          int64_t batchSize, std::string* why) {
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
  const char* split = std::getenv("TORCHNODE_BLAS_SPLIT");
  if (openBlas().set && openBlas().get && !(split && std::string(split) == "0")) {
    fused->blasMax_ = fused->blasNow_ = openBlas().get();
    if (fused->blasMax_ <= 1) fused->blasMax_ = fused->blasNow_ = 0;  // nothing to split
    if (const char* large = std::getenv("TORCHNODE_BLAS_LARGE_GEMM")) fused->largeGemm_ = std::atoll(large);
  }
  return fused;
}

void FusedMlp::blasFor(int64_t m, int64_t n, int64_t k) {
  if (blasMax_ == 0) return;
  const int want = m * n * k >= largeGemm_ ? blasMax_ : 1;
  if (want != blasNow_) {
    openBlas().set(want);
    blasNow_ = want;
  }
}

FusedMlp::~FusedMlp() {
  if (blasMax_ > 0 && blasNow_ != blasMax_) openBlas().set(blasMax_);
  if (!profile_ || steps_ == 0) return;
  static const char* names[] = {"linear", "elu", "relu", "batchnorm", "dropout", "alpha_dropout"};
  std::fprintf(stderr, "[torchnode fused profile] ms per step over %lld steps:", static_cast<long long>(steps_));
  for (int k = 0; k < 6; k++) {
    if (forwardMs_[k] + backwardMs_[k] > 0) {
      std::fprintf(stderr, " %s fwd %.3f bwd %.3f;", names[k], forwardMs_[k] / steps_, backwardMs_[k] / steps_);
    }
  }
  std::fprintf(stderr, " loss %.3f\n", lossMs_ / steps_);
}

double FusedMlp::forward(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard noGrad;
  size_ = x.size(0);
  acts_[0] = x;
  auto mark = Clock::now();
  if (profile_) steps_++;
  for (size_t i = 0; i < layers_.size(); i++) {
    Layer& l = layers_[i];
    const torch::Tensor& in = acts_[i];
    torch::Tensor out = l.output.defined() ? l.output.narrow(0, 0, size_) : torch::Tensor();
    switch (l.kind) {
      case Kind::Linear:
        // at::linear on a 2-D input: addmm(bias, input, weight.t()) (mm without a bias).
        blasFor(size_, l.out, l.in);
        if (l.bias.defined()) {
          // at::linear's addmm(bias, input, weight.t()) copies the bias, broadcast, into the result (through a
          // TensorIterator: a quarter of a 100 x 100 layer's time at batch 128), then runs the gemm with
          // beta 1. Filling the rows here and passing the result as addmm's self gives the same gemm call
          // on the same values, so the same bits.
          fillRows(out, l.bias);
          at::addmm_out(out, out, in, l.weight.t());
        } else {
          at::mm_out(out, in, l.weight.t());
        }
        break;
      case Kind::Elu: at::elu_out(out, in, l.alpha, l.scale, 1.0); break;
      case Kind::Relu: at::clamp_min_out(out, in, 0); break;
      case Kind::BatchNorm: {
        // BatchNormImplBase::forward: count the batch, then the momentum (or the cumulative average).
        double factor = l.momentum ? *l.momentum : 0.0;
        l.batchesTracked.add_(1);
        if (!l.momentum) factor = 1.0 / l.batchesTracked.item<double>();
        auto result = at::native_batch_norm(in, l.weight, l.bias, l.runningMean, l.runningVar, true, factor, l.eps);
        out = std::get<0>(result);
        l.saveMean = std::get<1>(result);
        l.saveInvstd = std::get<2>(result);
        break;
      }
      case Kind::Dropout:
      case Kind::AlphaDropout:
        if (l.p == 0) {
          out = in;  // at::dropout with p = 0 returns its input
          break;
        }
        // at::native _dropout_impl on the CPU, op for op (the same draws from the generator).
        l.noise = at::empty_like(in);
        l.noise.bernoulli_(1 - l.p);
        if (l.kind == Kind::AlphaDropout) {
          const double a = 1. / std::sqrt((kAlphaDropoutAlpha * kAlphaDropoutAlpha * l.p + 1) * (1 - l.p));
          const torch::Tensor b = l.noise.add(-1).mul_(kAlphaDropoutAlpha * a).add_(kAlphaDropoutAlpha * a * l.p);
          l.noise.mul_(a);
          at::mul_out(out, in, l.noise);
          out.add_(b);
        } else {
          l.noise.div_(1 - l.p);
          at::mul_out(out, in, l.noise);
        }
        break;
    }
    acts_[i + 1] = out;
    if (profile_) forwardMs_[static_cast<int>(l.kind)] += msSince(mark);
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

void FusedMlp::backward(const std::function<void(torch::Tensor&)>& onGradient) {
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
  const auto gradOf = [](const torch::Tensor& p) -> torch::Tensor& {
    torch::Tensor& grad = p.mutable_grad();
    if (!grad.defined()) grad = torch::zeros_like(p);
    return grad;
  };
  for (size_t k = layers_.size(); k-- > firstWithParams;) {
    Layer& l = layers_[k];
    const bool needInput = k > firstWithParams;
    const torch::Tensor& in = acts_[k];
    switch (l.kind) {
      case Kind::Linear: {
        // addmm's backward: d input = g W, d weight = g^T input, d bias = sum_to(g, [out]).
        blasFor(l.out, l.in, size_);
        at::mm_out(gradOf(l.weight), g.t(), in);
        if (l.bias.defined()) at::sum_out(gradOf(l.bias), g, {0}, false);
        if (needInput) {
          torch::Tensor gIn = grads_[k].narrow(0, 0, size_);
          blasFor(size_, l.in, l.out);
          at::mm_out(gIn, g, l.weight);
          g = gIn;
        }
        break;
      }
      case Kind::Elu:
        if (needInput) at::elu_backward_out(g, g, l.alpha, l.scale, 1.0, /*is_result=*/false, in);
        break;
      case Kind::Relu:
        if (needInput) at::threshold_backward_out(g, g, acts_[k + 1], 0);
        break;
      case Kind::BatchNorm: {
        auto result = at::native_batch_norm_backward(g, in, l.weight, l.runningMean, l.runningVar, l.saveMean,
                                                     l.saveInvstd, true, l.eps, {needInput, true, true});
        gradOf(l.weight).copy_(std::get<1>(result));
        gradOf(l.bias).copy_(std::get<2>(result));
        if (needInput) g = std::get<0>(result);
        break;
      }
      case Kind::Dropout:
      case Kind::AlphaDropout:
        if (needInput && l.p > 0) g.mul_(l.noise);
        break;
    }
    if (onGradient) {
      for (torch::Tensor* p : {&l.weight, &l.bias}) {
        if (p->defined()) onGradient(*p);
      }
    }
    if (profile_) backwardMs_[static_cast<int>(l.kind)] += msSince(mark);
  }
  // Between steps (the optimizer, the validation pass, JS) OpenBLAS has its own thread count back.
  if (blasMax_ > 0 && blasNow_ != blasMax_) {
    openBlas().set(blasMax_);
    blasNow_ = blasMax_;
  }
}

}  // namespace torchnode
