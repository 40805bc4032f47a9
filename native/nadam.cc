#include "nadam.h"

#include <ATen/Parallel.h>
#include <torch/optim/serialize.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace torchnode {

NAdamOptions::NAdamOptions(double lr) : lr_(lr) {}

bool operator==(const NAdamOptions& lhs, const NAdamOptions& rhs) {
  return lhs.lr() == rhs.lr() && std::get<0>(lhs.betas()) == std::get<0>(rhs.betas()) &&
         std::get<1>(lhs.betas()) == std::get<1>(rhs.betas()) && lhs.eps() == rhs.eps() &&
         lhs.momentum_decay() == rhs.momentum_decay() && lhs.weight_decay() == rhs.weight_decay();
}

void NAdamOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(betas);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(momentum_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
}

void NAdamOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(betas_t, betas);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, momentum_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
}

double NAdamOptions::get_lr() const {
  return lr();
}

void NAdamOptions::set_lr(const double lr) {
  this->lr(lr);
}

bool operator==(const NAdamParamState& lhs, const NAdamParamState& rhs) {
  return lhs.step() == rhs.step() && lhs.mu_product() == rhs.mu_product() &&
         torch::equal(lhs.exp_avg(), rhs.exp_avg()) && torch::equal(lhs.exp_avg_sq(), rhs.exp_avg_sq());
}

void NAdamParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(mu_product);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq);
}

void NAdamParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, mu_product);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_sq);
}

NAdam::NAdam(std::vector<torch::optim::OptimizerParamGroup> param_groups, NAdamOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<NAdamOptions>(defaults)) {
  TORCH_CHECK(defaults.lr() >= 0, "Invalid learning rate: ", defaults.lr());
  TORCH_CHECK(defaults.eps() >= 0, "Invalid epsilon value: ", defaults.eps());
  const auto betas = defaults.betas();
  TORCH_CHECK(0 <= std::get<0>(betas) && std::get<0>(betas) < 1.0,
              "Invalid beta parameter at index 0: ", std::get<0>(betas));
  TORCH_CHECK(0 <= std::get<1>(betas) && std::get<1>(betas) < 1.0,
              "Invalid beta parameter at index 1: ", std::get<1>(betas));
  TORCH_CHECK(defaults.weight_decay() >= 0, "Invalid weight_decay value: ", defaults.weight_decay());
  TORCH_CHECK(defaults.momentum_decay() >= 0, "Invalid momentum_decay value: ", defaults.momentum_decay());
}

NAdam::NAdam(std::vector<torch::Tensor> params, NAdamOptions defaults)
    : NAdam(std::vector<torch::optim::OptimizerParamGroup>{torch::optim::OptimizerParamGroup(std::move(params))},
            std::move(defaults)) {}

namespace {

// The per-step scalars of the rule, computed once per parameter in double.
using Coefficients = NAdamCoefficients;

// SIMD lanes for the fused loop. The compiler does not vectorize std::sqrt by itself here (it keeps the
// errno path unless the whole build has -fno-math-errno), so the loop is written over explicit vectors.
// Vector and scalar code do the same IEEE operations in the same order: the result does not depend on
// where the vector/tail split falls.
template <typename T>
struct ScalarLanes {
  static constexpr int kWidth = 1;
  using V = T;
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V set(T x) { return x; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V sqrt(V a) { return std::sqrt(a); }
};

template <typename T>
struct Lanes : ScalarLanes<T> {};

#if defined(__SSE2__)
template <>
struct Lanes<float> {
  static constexpr int kWidth = 4;
  using V = __m128;
  static V load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, V v) { _mm_storeu_ps(p, v); }
  static V set(float x) { return _mm_set1_ps(x); }
  static V add(V a, V b) { return _mm_add_ps(a, b); }
  static V sub(V a, V b) { return _mm_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm_mul_ps(a, b); }
  static V div(V a, V b) { return _mm_div_ps(a, b); }
  static V sqrt(V a) { return _mm_sqrt_ps(a); }
};
template <>
struct Lanes<double> {
  static constexpr int kWidth = 2;
  using V = __m128d;
  static V load(const double* p) { return _mm_loadu_pd(p); }
  static void store(double* p, V v) { _mm_storeu_pd(p, v); }
  static V set(double x) { return _mm_set1_pd(x); }
  static V add(V a, V b) { return _mm_add_pd(a, b); }
  static V sub(V a, V b) { return _mm_sub_pd(a, b); }
  static V mul(V a, V b) { return _mm_mul_pd(a, b); }
  static V div(V a, V b) { return _mm_div_pd(a, b); }
  static V sqrt(V a) { return _mm_sqrt_pd(a); }
};
#elif defined(__aarch64__) && defined(__ARM_NEON)
template <>
struct Lanes<float> {
  static constexpr int kWidth = 4;
  using V = float32x4_t;
  static V load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static V set(float x) { return vdupq_n_f32(x); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V sub(V a, V b) { return vsubq_f32(a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V div(V a, V b) { return vdivq_f32(a, b); }
  static V sqrt(V a) { return vsqrtq_f32(a); }
};
template <>
struct Lanes<double> {
  static constexpr int kWidth = 2;
  using V = float64x2_t;
  static V load(const double* p) { return vld1q_f64(p); }
  static void store(double* p, V v) { vst1q_f64(p, v); }
  static V set(double x) { return vdupq_n_f64(x); }
  static V add(V a, V b) { return vaddq_f64(a, b); }
  static V sub(V a, V b) { return vsubq_f64(a, b); }
  static V mul(V a, V b) { return vmulq_f64(a, b); }
  static V div(V a, V b) { return vdivq_f64(a, b); }
  static V sqrt(V a) { return vsqrtq_f64(a); }
};
#endif

// One element (or one vector of elements) of the rule; L is Lanes<T>, or ScalarLanes<T> for the tail.
template <typename L, bool kWeightDecay, typename T>
inline void updateAt(T* param, const T* grad, T* expAvg, T* expAvgSq, const typename L::V* k) {
  // k: beta1, 1 - beta1, beta2, 1 - beta2, weight decay, 1 / bias correction 2, eps, grad scale, momentum scale
  using V = typename L::V;
  const V p = L::load(param);
  V g = L::load(grad);
  if (kWeightDecay) g = L::add(g, L::mul(k[4], p));
  const V m = L::add(L::mul(k[0], L::load(expAvg)), L::mul(k[1], g));
  const V v = L::add(L::mul(k[2], L::load(expAvgSq)), L::mul(L::mul(k[3], g), g));
  L::store(expAvg, m);
  L::store(expAvgSq, v);
  const V d = L::add(L::sqrt(L::mul(v, k[5])), k[6]);
  L::store(param, L::sub(p, L::div(L::add(L::mul(k[7], g), L::mul(k[8], m)), d)));
}

template <typename T, bool kWeightDecay>
void fusedRange(T* param, const T* grad, T* expAvg, T* expAvgSq, int64_t begin, int64_t end, const Coefficients& c) {
  const T scalars[9] = {
      static_cast<T>(c.beta1),     static_cast<T>(1 - c.beta1),   static_cast<T>(c.beta2),
      static_cast<T>(1 - c.beta2), static_cast<T>(c.weightDecay), static_cast<T>(c.invBiasCorrection2),
      static_cast<T>(c.eps),       static_cast<T>(c.gradScale),   static_cast<T>(c.momentumScale)};
  using Vec = Lanes<T>;
  int64_t i = begin;
  if constexpr (Vec::kWidth > 1) {
    typename Vec::V k[9];
    for (int j = 0; j < 9; j++) k[j] = Vec::set(scalars[j]);
    for (; i + Vec::kWidth <= end; i += Vec::kWidth) {
      updateAt<Vec, kWeightDecay>(param + i, grad + i, expAvg + i, expAvgSq + i, k);
    }
  }
  for (; i < end; i++) updateAt<ScalarLanes<T>, kWeightDecay>(param + i, grad + i, expAvg + i, expAvgSq + i, scalars);
}

// Elements per thread below which splitting costs more than it saves.
constexpr int64_t kGrainSize = 32768;

template <typename T>
void fusedUpdate(const torch::Tensor& param, const torch::Tensor& grad, const torch::Tensor& expAvg,
                 const torch::Tensor& expAvgSq, const Coefficients& c, int64_t from, int64_t to) {
  T* p = param.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* m = expAvg.data_ptr<T>();
  T* v = expAvgSq.data_ptr<T>();
  const bool weightDecay = c.weightDecay != 0;
  at::parallel_for(from, to, kGrainSize, [&](int64_t begin, int64_t end) {
    if (weightDecay) {
      fusedRange<T, true>(p, g, m, v, begin, end, c);
    } else {
      fusedRange<T, false>(p, g, m, v, begin, end, c);
    }
  });
}

bool canFuse(const torch::Tensor& param, const torch::Tensor& grad, const torch::Tensor& expAvg,
             const torch::Tensor& expAvgSq) {
  const auto type = param.scalar_type();
  if (type != torch::kFloat32 && type != torch::kFloat64) return false;
  for (const torch::Tensor* t : {&param, &grad, &expAvg, &expAvgSq}) {
    if (!t->device().is_cpu() || t->scalar_type() != type || !t->is_contiguous() || t->layout() != torch::kStrided) {
      return false;
    }
  }
  return grad.numel() == param.numel() && expAvg.numel() == param.numel() && expAvgSq.numel() == param.numel();
}

// The same rule as in-place tensor operations (CUDA, half precision, strided layouts).
void tensorUpdate(torch::Tensor& param, torch::Tensor grad, torch::Tensor& expAvg, torch::Tensor& expAvgSq,
                  const Coefficients& c) {
  if (c.weightDecay != 0) grad = grad.add(param, c.weightDecay);
  expAvg.mul_(c.beta1).add_(grad, 1 - c.beta1);
  expAvgSq.mul_(c.beta2).addcmul_(grad, grad, 1 - c.beta2);
  const torch::Tensor denom = expAvgSq.mul(c.invBiasCorrection2).sqrt_().add_(c.eps);
  param.addcdiv_(grad, denom, -c.gradScale);
  param.addcdiv_(expAvg, denom, -c.momentumScale);
}

}  // namespace

torch::Tensor NAdam::step(LossClosure closure) {
  torch::NoGradGuard noGrad;
  torch::Tensor loss = {};
  if (closure != nullptr) {
    at::AutoGradMode enableGrad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const NAdamOptions&>(group.options());
    for (auto& param : group.params()) update(param, options);
  }
  return loss;
}

void NAdam::update(torch::Tensor& param, const NAdamOptions& options) {
  if (!param.grad().defined()) return;
  const NAdamUpdate update = prepare(param, options);
  apply(update, 0, update.fused ? param.numel() : 0);
}

NAdamUpdate NAdam::prepare(torch::Tensor& param, const NAdamOptions& options) {
  const torch::Tensor& grad = param.grad();
  TORCH_CHECK(grad.defined(), "NAdam: the parameter has no gradient");
  TORCH_CHECK(!grad.is_sparse(), "NAdam does not support sparse gradients");
  const double beta1 = std::get<0>(options.betas());
  const double beta2 = std::get<1>(options.betas());
  const auto key = optimizerStateKey(param);
  auto found = state_.find(key);
  if (found == state_.end()) {
    auto fresh = std::make_unique<NAdamParamState>();
    fresh->exp_avg(torch::zeros_like(param, torch::MemoryFormat::Preserve));
    fresh->exp_avg_sq(torch::zeros_like(param, torch::MemoryFormat::Preserve));
    found = state_.emplace(key, std::move(fresh)).first;
  }
  auto& state = static_cast<NAdamParamState&>(*found->second);

  const int64_t t = state.step() + 1;
  state.step(t);
  const double psi = options.momentum_decay();
  const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(t) * psi));
  const double muNext = beta1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(t + 1) * psi));
  const double muProduct = state.mu_product() * mu;
  state.mu_product(muProduct);

  NAdamUpdate u;
  u.c.beta1 = beta1;
  u.c.beta2 = beta2;
  u.c.weightDecay = options.weight_decay();
  u.c.eps = options.eps();
  u.c.invBiasCorrection2 = 1.0 / (1.0 - std::pow(beta2, static_cast<double>(t)));
  u.c.gradScale = options.lr() * (1.0 - mu) / (1.0 - muProduct);
  u.c.momentumScale = options.lr() * muNext / (1.0 - muProduct * muNext);
  u.param = param;
  u.grad = grad;
  u.expAvg = state.exp_avg();
  u.expAvgSq = state.exp_avg_sq();
  u.fused = canFuse(param, grad, u.expAvg, u.expAvgSq);
  return u;
}

void NAdam::apply(const NAdamUpdate& u, int64_t begin, int64_t end) {
  torch::NoGradGuard noGrad;  // thread-local: a helper thread needs its own
  if (!u.fused) {
    torch::Tensor param = u.param, expAvg = u.expAvg, expAvgSq = u.expAvgSq;
    tensorUpdate(param, u.grad, expAvg, expAvgSq, u.c);
  } else if (u.param.scalar_type() == torch::kFloat32) {
    fusedUpdate<float>(u.param, u.grad, u.expAvg, u.expAvgSq, u.c, begin, end);
  } else {
    fusedUpdate<double>(u.param, u.grad, u.expAvg, u.expAvgSq, u.c, begin, end);
  }
}

void NAdam::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<NAdamParamState, NAdamOptions>(archive, *this);
}

void NAdam::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<NAdamParamState, NAdamOptions>(archive, *this);
}

}  // namespace torchnode
