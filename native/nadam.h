// NAdam (Adam with Nesterov momentum, Dozat 2016) as a torch::optim::Optimizer, written like libtorch's own
// Adam (options, per-parameter state, save/load) so that C++ code (the trainer) can use it directly:
//
//   torchnode::NAdam optimizer(model->parameters(), torchnode::NAdamOptions(2e-3).weight_decay(1e-4));
//   loss.backward(); optimizer.step(); optimizer.zero_grad();
//
// The rule is PyTorch >= 2.0's (= tf.keras optimizer_v2 Nadam with schedule_decay = momentum_decay):
//   g   += weight_decay * theta                        (L2 penalty on the gradient, as PyTorch)
//   mu_t = b1 (1 - 0.5 * 0.96^(t psi)),  mu_{t+1} likewise,  Pi_t = Pi_{t-1} mu_t   (Pi_0 = 1)
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,    d = sqrt(v / (1 - b2^t)) + eps
//   theta -= lr (1 - mu_t) / (1 - Pi_t) * g / d  +  lr mu_{t+1} / (1 - Pi_t mu_{t+1}) * m / d
// Contiguous CPU float32/float64 parameters are updated in one fused pass over their elements (split over
// threads with at::parallel_for for large tensors), without temporaries; anything else (CUDA, half, strided)
// takes the equivalent in-place tensor operations.
//
// save()/load() use libtorch's optimizer archive (torch::optim::serialize), like libtorch's Adam: load()
// restores the per-parameter state (step, mu_product, moments); the options stay those given to the
// constructor. (The JS state dict of native/optimizer.cc carries the hyperparameters as well.)
#pragma once

#include <torch/arg.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace torchnode {

struct NAdamOptions : public torch::optim::OptimizerCloneableOptions<NAdamOptions> {
  NAdamOptions(double lr = 2e-3);  // NOLINT(google-explicit-constructor): like torch::optim::AdamOptions
  TORCH_ARG(double, lr) = 2e-3;
  typedef std::tuple<double, double> betas_t;
  TORCH_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  TORCH_ARG(double, eps) = 1e-8;
  TORCH_ARG(double, momentum_decay) = 4e-3;
  TORCH_ARG(double, weight_decay) = 0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const NAdamOptions& lhs, const NAdamOptions& rhs);
  ~NAdamOptions() override = default;
  double get_lr() const override;
  void set_lr(const double lr) override;
};

struct NAdamParamState : public torch::optim::OptimizerCloneableParamState<NAdamParamState> {
  TORCH_ARG(int64_t, step) = 0;
  // Pi_t, the product of the momentum schedule so far. Kept in double (PyTorch keeps a float32 tensor).
  TORCH_ARG(double, mu_product) = 1.0;
  TORCH_ARG(torch::Tensor, exp_avg);
  TORCH_ARG(torch::Tensor, exp_avg_sq);

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const NAdamParamState& lhs, const NAdamParamState& rhs);
  ~NAdamParamState() override = default;
};

// The scalars of one parameter's update at step t.
struct NAdamCoefficients {
  double beta1, beta2, weightDecay, eps;
  double invBiasCorrection2;  // 1 / (1 - b2^t)
  double gradScale;           // lr (1 - mu_t) / (1 - Pi_t)
  double momentumScale;       // lr mu_{t+1} / (1 - Pi_t mu_{t+1})
};

// One parameter's update, its state already advanced (NAdam::prepare): what NAdam::apply writes.
struct NAdamUpdate {
  NAdamCoefficients c;
  torch::Tensor param, grad, expAvg, expAvgSq;
  bool fused = false;  // contiguous CPU float32/float64: elementwise, so any split into ranges is exact
};

class NAdam : public torch::optim::Optimizer {
 public:
  explicit NAdam(std::vector<torch::optim::OptimizerParamGroup> param_groups, NAdamOptions defaults = {});
  explicit NAdam(std::vector<torch::Tensor> params, NAdamOptions defaults = {});

  torch::Tensor step(LossClosure closure = nullptr) override;
  // One parameter's share of step(), for callers that know when its gradient is final (the fused training
  // step updates each layer during backward, while its gradient is still in cache). Parameters are
  // independent under this rule, so any order gives step()'s numbers.
  void update(torch::Tensor& param, const NAdamOptions& options);
  // update() in two halves, for a caller that splits the elementwise part over threads: prepare() advances
  // the parameter's state (step, momentum product; call it on one thread at a time), apply() writes the
  // elements [begin, end) (any thread; disjoint ranges may run at once). A non-fused update is written
  // whole by one apply() call, whatever the range.
  NAdamUpdate prepare(torch::Tensor& param, const NAdamOptions& options);
  static void apply(const NAdamUpdate& update, int64_t begin, int64_t end);
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
};

// The key under which torch::optim::Optimizer::state() holds a parameter's state: a std::string of the
// TensorImpl address in libtorch 1.x, the address itself (void*) in later versions. Both spelled here.
using OptimizerStateMap = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;
using OptimizerStateKey = typename OptimizerStateMap::key_type;

template <typename Key = OptimizerStateKey>
Key optimizerStateKey(const torch::Tensor& param) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;  // what c10::guts::to_string(param.unsafeGetTensorImpl()) gives
    out << param.unsafeGetTensorImpl();
    return out.str();
  } else {
    return static_cast<Key>(param.unsafeGetTensorImpl());
  }
}

}  // namespace torchnode
