#include "optimizer.h"

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "addon.h"
#include "convert.h"
#include "errors.h"
#include "nadam.h"
#include "tensor.h"

namespace torchnode {

namespace {

// The shortest text that reads back as x (0.1, not 0.10000000000000001).
std::string numberText(double x) {
  std::string text;
  for (int precision = 1; precision <= 17; precision++) {
    std::ostringstream out;
    out.precision(precision);
    out << x;
    text = out.str();
    if (!std::isfinite(x) || std::strtod(text.c_str(), nullptr) == x) break;
  }
  return text;
}

// 'nadam' -> 'NAdam': the name that prefixes this optimizer's error messages.
std::string displayName(const std::string& kind) {
  if (kind == "nadam") return "NAdam";
  if (kind == "adam") return "Adam";
  if (kind == "sgd") return "SGD";
  return "Optimizer";
}

// Reads the JS options object: every key must be one this kind knows (a misspelt 'weight_decay' is an error,
// not a silently ignored option); undefined means the default.
class OptionsReader {
 public:
  OptionsReader(const Napi::Value& value, std::string who, std::vector<std::string> allowed)
      : who_(std::move(who)), allowed_(std::move(allowed)) {
    if (value.IsUndefined() || value.IsNull()) return;
    if (!value.IsObject() || value.IsArray()) throw ArgumentTypeError("options must be an object");
    object_ = value.As<Napi::Object>();
    const Napi::Array names = object_.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      const std::string name = names.Get(i).ToString().Utf8Value();
      bool known = false;
      for (const auto& a : allowed_) known = known || a == name;
      if (!known) {
        std::string list;
        for (const auto& a : allowed_) list += (list.empty() ? "" : ", ") + a;
        throw UsageError(who_ + ": unknown option '" + name + "' (expected " + list + ")");
      }
    }
  }

  bool has(const char* name) const { return !object_.IsEmpty() && !object_.Get(name).IsUndefined(); }

  double number(const char* name, double fallback) const {
    if (!has(name)) return fallback;
    const Napi::Value value = object_.Get(name);
    if (!value.IsNumber()) throw ArgumentTypeError(std::string(name) + " must be a number");
    return value.As<Napi::Number>().DoubleValue();
  }

  bool boolean(const char* name, bool fallback) const {
    if (!has(name)) return fallback;
    const Napi::Value value = object_.Get(name);
    if (!value.IsBoolean()) throw ArgumentTypeError(std::string(name) + " must be a boolean");
    return value.As<Napi::Boolean>().Value();
  }

  std::tuple<double, double> betas(std::tuple<double, double> fallback) const {
    if (!has("betas")) return fallback;
    const Napi::Value value = object_.Get("betas");
    if (!value.IsArray() || value.As<Napi::Array>().Length() != 2 || !value.As<Napi::Array>().Get(0u).IsNumber() ||
        !value.As<Napi::Array>().Get(1u).IsNumber()) {
      throw ArgumentTypeError("betas must be an array of two numbers");
    }
    const auto array = value.As<Napi::Array>();
    return {array.Get(0u).As<Napi::Number>().DoubleValue(), array.Get(1u).As<Napi::Number>().DoubleValue()};
  }

 private:
  std::string who_;
  std::vector<std::string> allowed_;
  Napi::Object object_;
};

// Value checks shared by construction and loadStateDict (whose hyperparameters are checked the same way).
void checkNonNegative(const std::string& who, const char* name, double x) {
  if (!(x >= 0) || !std::isfinite(x)) {
    throw UsageError(who + ": " + name + " must be a finite number >= 0, got " + numberText(x));
  }
}

void checkFinite(const std::string& who, const char* name, double x) {
  if (!std::isfinite(x)) throw UsageError(who + ": " + name + " must be a finite number, got " + numberText(x));
}

void checkBetas(const std::string& who, const std::tuple<double, double>& betas) {
  const double b[2] = {std::get<0>(betas), std::get<1>(betas)};
  for (int i = 0; i < 2; i++) {
    if (!(b[i] >= 0 && b[i] < 1)) {
      throw UsageError(who + ": betas[" + std::to_string(i) + "] must be in [0, 1), got " + numberText(b[i]));
    }
  }
}

void checkSgd(const std::string& who, const torch::optim::SGDOptions& o) {
  checkNonNegative(who, "lr", o.lr());
  checkNonNegative(who, "momentum", o.momentum());
  checkFinite(who, "dampening", o.dampening());
  checkNonNegative(who, "weightDecay", o.weight_decay());
  if (o.nesterov() && (o.momentum() <= 0 || o.dampening() != 0)) {
    throw UsageError(who + ": nesterov needs momentum > 0 and dampening 0, got momentum " + numberText(o.momentum()) +
                     " and dampening " + numberText(o.dampening()));
  }
}

void checkAdam(const std::string& who, const torch::optim::AdamOptions& o) {
  checkNonNegative(who, "lr", o.lr());
  checkBetas(who, o.betas());
  checkNonNegative(who, "eps", o.eps());
  checkNonNegative(who, "weightDecay", o.weight_decay());
}

void checkNAdam(const std::string& who, const NAdamOptions& o) {
  checkNonNegative(who, "lr", o.lr());
  checkBetas(who, o.betas());
  checkNonNegative(who, "eps", o.eps());
  checkNonNegative(who, "momentumDecay", o.momentum_decay());
  checkNonNegative(who, "weightDecay", o.weight_decay());
}

// ---- State dict layout ------------------------------------------------------------------------------------

enum class FieldKind { kBuffer, kStep, kScalar };  // a tensor shaped like the parameter; an int64 count; a double

struct StateField {
  const char* name;
  FieldKind kind;
};

std::vector<StateField> stateFields(const std::string& kind, bool amsgrad) {
  if (kind == "nadam") {
    return {{"step", FieldKind::kStep},
            {"mu_product", FieldKind::kScalar},
            {"exp_avg", FieldKind::kBuffer},
            {"exp_avg_sq", FieldKind::kBuffer}};
  }
  if (kind == "adam") {
    std::vector<StateField> fields = {
        {"step", FieldKind::kStep}, {"exp_avg", FieldKind::kBuffer}, {"exp_avg_sq", FieldKind::kBuffer}};
    if (amsgrad) fields.push_back({"max_exp_avg_sq", FieldKind::kBuffer});
    return fields;
  }
  return {{"momentum_buffer", FieldKind::kBuffer}};
}

// Hyperparameters as stored: name -> shape ([] or [2] for betas). Booleans are stored as bool tensors.
std::vector<std::pair<std::string, std::vector<int64_t>>> groupFields(const std::string& kind) {
  if (kind == "nadam") return {{"lr", {}}, {"betas", {2}}, {"eps", {}}, {"momentum_decay", {}}, {"weight_decay", {}}};
  if (kind == "adam") return {{"lr", {}}, {"betas", {2}}, {"eps", {}}, {"weight_decay", {}}, {"amsgrad", {}}};
  return {{"lr", {}}, {"momentum", {}}, {"dampening", {}}, {"weight_decay", {}}, {"nesterov", {}}};
}

torch::Tensor scalarTensor(double x) {
  return torch::tensor(x, torch::kFloat64);
}
torch::Tensor boolTensor(bool x) {
  return torch::tensor(x, torch::kBool);
}
torch::Tensor stepTensor(int64_t x) {
  return torch::tensor(x, torch::kInt64);
}

std::map<std::string, torch::Tensor> groupEntries(const std::string& kind, const torch::optim::OptimizerOptions& o) {
  std::map<std::string, torch::Tensor> out;
  const auto betasTensor = [](const std::tuple<double, double>& b) {
    return torch::tensor(std::vector<double>{std::get<0>(b), std::get<1>(b)}, torch::kFloat64);
  };
  if (kind == "nadam") {
    const auto& n = static_cast<const NAdamOptions&>(o);
    out["lr"] = scalarTensor(n.lr());
    out["betas"] = betasTensor(n.betas());
    out["eps"] = scalarTensor(n.eps());
    out["momentum_decay"] = scalarTensor(n.momentum_decay());
    out["weight_decay"] = scalarTensor(n.weight_decay());
  } else if (kind == "adam") {
    const auto& a = static_cast<const torch::optim::AdamOptions&>(o);
    out["lr"] = scalarTensor(a.lr());
    out["betas"] = betasTensor(a.betas());
    out["eps"] = scalarTensor(a.eps());
    out["weight_decay"] = scalarTensor(a.weight_decay());
    out["amsgrad"] = boolTensor(a.amsgrad());
  } else {
    const auto& s = static_cast<const torch::optim::SGDOptions&>(o);
    out["lr"] = scalarTensor(s.lr());
    out["momentum"] = scalarTensor(s.momentum());
    out["dampening"] = scalarTensor(s.dampening());
    out["weight_decay"] = scalarTensor(s.weight_decay());
    out["nesterov"] = boolTensor(s.nesterov());
  }
  return out;
}

// New options of the right class from loaded hyperparameters (validated like constructor options).
std::unique_ptr<torch::optim::OptimizerOptions> optionsFromEntries(const std::string& kind,
                                                                   const std::map<std::string, torch::Tensor>& g,
                                                                   const std::string& who) {
  const auto num = [&](const char* name) { return g.at(name).item<double>(); };
  const auto flag = [&](const char* name) { return g.at(name).item<double>() != 0; };
  const auto betas = [&] {
    const torch::Tensor b = g.at("betas").to(torch::kFloat64).contiguous();
    return std::make_tuple(b[0].item<double>(), b[1].item<double>());
  };
  if (kind == "nadam") {
    NAdamOptions o(num("lr"));
    o.betas(betas()).eps(num("eps")).momentum_decay(num("momentum_decay")).weight_decay(num("weight_decay"));
    checkNAdam(who, o);
    return std::make_unique<NAdamOptions>(o);
  }
  if (kind == "adam") {
    torch::optim::AdamOptions o(num("lr"));
    o.betas(betas()).eps(num("eps")).weight_decay(num("weight_decay")).amsgrad(flag("amsgrad"));
    checkAdam(who, o);
    return std::make_unique<torch::optim::AdamOptions>(o);
  }
  torch::optim::SGDOptions o(num("lr"));
  o.momentum(num("momentum")).dampening(num("dampening")).weight_decay(num("weight_decay")).nesterov(flag("nesterov"));
  checkSgd(who, o);
  return std::make_unique<torch::optim::SGDOptions>(o);
}

// The fields of one parameter's state, by name (undefined tensors for fields the state lacks).
std::map<std::string, torch::Tensor> stateEntries(const std::string& kind, const torch::optim::OptimizerParamState& s) {
  std::map<std::string, torch::Tensor> out;
  const auto copy = [](const torch::Tensor& t) { return t.defined() ? t.detach().clone() : torch::Tensor(); };
  if (kind == "nadam") {
    const auto& n = static_cast<const NAdamParamState&>(s);
    out["step"] = stepTensor(n.step());
    out["mu_product"] = scalarTensor(n.mu_product());
    out["exp_avg"] = copy(n.exp_avg());
    out["exp_avg_sq"] = copy(n.exp_avg_sq());
  } else if (kind == "adam") {
    const auto& a = static_cast<const torch::optim::AdamParamState&>(s);
    out["step"] = stepTensor(a.step());
    out["exp_avg"] = copy(a.exp_avg());
    out["exp_avg_sq"] = copy(a.exp_avg_sq());
    out["max_exp_avg_sq"] = copy(a.max_exp_avg_sq());
  } else {
    out["momentum_buffer"] = copy(static_cast<const torch::optim::SGDParamState&>(s).momentum_buffer());
  }
  return out;
}

std::unique_ptr<torch::optim::OptimizerParamState> stateFromEntries(const std::string& kind,
                                                                    const std::map<std::string, torch::Tensor>& e,
                                                                    const torch::Tensor& param) {
  // A copy laid out like the parameter (dtype, device, memory format): the dict's tensors stay the caller's.
  const auto buffer = [&](const char* name) {
    return torch::empty_like(param, torch::MemoryFormat::Preserve).copy_(e.at(name).detach());
  };
  const auto step = [&] { return static_cast<int64_t>(e.at("step").item<double>()); };
  if (kind == "nadam") {
    auto s = std::make_unique<NAdamParamState>();
    s->step(step());
    s->mu_product(e.at("mu_product").item<double>());
    s->exp_avg(buffer("exp_avg"));
    s->exp_avg_sq(buffer("exp_avg_sq"));
    return s;
  }
  if (kind == "adam") {
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(step());
    s->exp_avg(buffer("exp_avg"));
    s->exp_avg_sq(buffer("exp_avg_sq"));
    if (e.count("max_exp_avg_sq")) s->max_exp_avg_sq(buffer("max_exp_avg_sq"));
    return s;
  }
  auto s = std::make_unique<torch::optim::SGDParamState>();
  s->momentum_buffer(buffer("momentum_buffer"));
  return s;
}

// 'state.12.exp_avg' -> (12, "exp_avg"); false when the key does not have that form.
bool parseStateKey(const std::string& key, int64_t& index, std::string& field) {
  static const std::string prefix = "state.";
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t dot = key.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return false;
  const std::string number = key.substr(prefix.size(), dot - prefix.size());
  if (number.size() > 9 || number.find_first_not_of("0123456789") != std::string::npos) return false;
  if (number.size() > 1 && number[0] == '0') return false;
  index = std::stoll(number);
  field = key.substr(dot + 1);
  return true;
}

const char* const kGroupPrefix = "param_groups.0.";

}  // namespace

Napi::Function Optimizer::Define(Napi::Env env) {
  return DefineClass(env, "NativeOptimizer",
                     {
                         InstanceMethod<&Optimizer::Step>("step"),
                         InstanceMethod<&Optimizer::ZeroGrad>("zeroGrad"),
                         InstanceMethod<&Optimizer::GetLr>("getLr"),
                         InstanceMethod<&Optimizer::SetLr>("setLr"),
                         InstanceMethod<&Optimizer::Kind>("kind"),
                         InstanceMethod<&Optimizer::StateDict>("stateDict"),
                         InstanceMethod<&Optimizer::LoadStateDict>("loadStateDict"),
                     });
}

bool Optimizer::IsOptimizer(const Napi::Value& value) {
  if (!value.IsObject()) return false;
  return value.As<Napi::Object>().InstanceOf(addonData(value.Env()).constructor("Optimizer"));
}

torch::optim::Optimizer& Optimizer::FromValue(const Napi::Value& value) {
  if (!IsOptimizer(value)) throw ArgumentTypeError("optimizer must be an Optimizer (optim.NAdam, optim.Adam, ...)");
  return ObjectWrap<Optimizer>::Unwrap(value.As<Napi::Object>())->optimizer();
}

// new NativeOptimizer(kind, params, options)
Optimizer::Optimizer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Optimizer>(info) {
  const Napi::Env env = info.Env();
  const std::string kind = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const std::string who = displayName(kind);
  guard(env, who.c_str(), [&] {
    if (!info[0].IsString()) throw ArgumentTypeError("kind must be a string");
    if (kind != "nadam" && kind != "adam" && kind != "sgd") {
      throw UsageError("Optimizer: unknown kind '" + kind + "' (expected 'nadam', 'adam' or 'sgd')");
    }
    if (!info[1].IsArray()) throw ArgumentTypeError("params must be an array of Tensors");
    const auto array = info[1].As<Napi::Array>();
    if (array.Length() == 0) throw UsageError(who + ": got an empty parameter list");
    std::vector<torch::Tensor> params;
    std::unordered_set<const void*> seen;
    for (uint32_t i = 0; i < array.Length(); i++) {
      const std::string what = "params[" + std::to_string(i) + "]";
      const torch::Tensor& p = Tensor::From(array.Get(i), what.c_str());
      if (!p.is_floating_point()) {
        throw UsageError(who + ": " + what + " is " + dtypeName(p.scalar_type()) +
                         "; only floating-point tensors can be optimized");
      }
      if (!p.requires_grad()) {
        throw UsageError(who + ": " + what + " does not require grad; set requiresGrad = true on it");
      }
      if (!p.is_leaf()) {
        throw UsageError(
            who + ": " + what +
            " is not a leaf tensor (it was computed from other tensors); optimize the tensor it came from");
      }
      if (!seen.insert(p.unsafeGetTensorImpl()).second) {
        throw UsageError(who + ": " + what + " appears more than once in the parameter list");
      }
      params.push_back(p);
    }

    if (kind == "nadam") {
      const OptionsReader r(info[2], who, {"lr", "betas", "eps", "momentumDecay", "weightDecay"});
      NAdamOptions o(r.number("lr", 2e-3));
      o.betas(r.betas({0.9, 0.999}))
          .eps(r.number("eps", 1e-8))
          .momentum_decay(r.number("momentumDecay", 4e-3))
          .weight_decay(r.number("weightDecay", 0));
      checkNAdam(who, o);
      optimizer_ = std::make_unique<NAdam>(params, o);
    } else if (kind == "adam") {
      const OptionsReader r(info[2], who, {"lr", "betas", "eps", "weightDecay", "amsgrad"});
      torch::optim::AdamOptions o(r.number("lr", 1e-3));
      o.betas(r.betas({0.9, 0.999}))
          .eps(r.number("eps", 1e-8))
          .weight_decay(r.number("weightDecay", 0))
          .amsgrad(r.boolean("amsgrad", false));
      checkAdam(who, o);
      optimizer_ = std::make_unique<torch::optim::Adam>(params, o);
    } else {
      const OptionsReader r(info[2], who, {"lr", "momentum", "dampening", "nesterov", "weightDecay"});
      if (!r.has("lr")) throw UsageError("SGD: lr is required (there is no default learning rate)");
      torch::optim::SGDOptions o(r.number("lr", 0));
      o.momentum(r.number("momentum", 0))
          .dampening(r.number("dampening", 0))
          .nesterov(r.boolean("nesterov", false))
          .weight_decay(r.number("weightDecay", 0));
      checkSgd(who, o);
      optimizer_ = std::make_unique<torch::optim::SGD>(params, o);
    }
    kind_ = kind;
    params_ = std::move(params);
  });
}

Napi::Value Optimizer::Step(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "step", [&] {
    optimizer_->step();
    return info.Env().Undefined();
  });
}

// Drops the gradients (as PyTorch >= 2.0's zero_grad(set_to_none=True)); the same on every libtorch version,
// whose own zero_grad() zeroes them in place in 1.x and drops them in 2.x.
Napi::Value Optimizer::ZeroGrad(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "zeroGrad", [&] {
    for (auto& group : optimizer_->param_groups()) {
      for (auto& p : group.params()) {
        if (p.grad().defined()) p.mutable_grad().reset();
      }
    }
    return info.Env().Undefined();
  });
}

Napi::Value Optimizer::GetLr(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "lr", [&] {
    return Napi::Number::New(info.Env(), optimizer_->param_groups().at(0).options().get_lr()).As<Napi::Value>();
  });
}

Napi::Value Optimizer::SetLr(const Napi::CallbackInfo& info) {
  const std::string who = displayName(kind_);
  return guard(info.Env(), "lr", [&] {
    const double lr = requireNumber(info[0], "lr");
    checkNonNegative(who, "lr", lr);
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    optimizer_->defaults().set_lr(lr);
    return info.Env().Undefined();
  });
}

Napi::Value Optimizer::Kind(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kind_);
}

Napi::Value Optimizer::StateDict(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "stateDict", [&] {
    const Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    auto& state = optimizer_->state();
    for (size_t i = 0; i < params_.size(); i++) {
      const auto found = state.find(optimizerStateKey(params_[i]));
      if (found == state.end()) continue;
      for (const auto& [name, t] : stateEntries(kind_, *found->second)) {
        if (t.defined()) out.Set("state." + std::to_string(i) + "." + name, Tensor::Wrap(env, t));
      }
    }
    for (const auto& [name, t] : groupEntries(kind_, optimizer_->param_groups().at(0).options())) {
      out.Set(kGroupPrefix + name, Tensor::Wrap(env, t));
    }
    return out;
  });
}

// Everything is checked before anything changes: a rejected dict leaves the optimizer as it was.
Napi::Value Optimizer::LoadStateDict(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "loadStateDict", [&] {
    const std::string who = "loadStateDict";
    if (!info[0].IsObject() || info[0].IsArray()) throw ArgumentTypeError("the state dict must be an object");
    const Napi::Object dict = info[0].As<Napi::Object>();
    const Napi::Array names = dict.GetPropertyNames();

    std::map<std::string, torch::Tensor> group;
    std::map<int64_t, std::map<std::string, torch::Tensor>> perParam;
    std::set<std::string> knownGroup;
    for (const auto& [name, shape] : groupFields(kind_)) knownGroup.insert(name);
    std::set<std::string> knownState;
    for (const auto& f : stateFields(kind_, /*amsgrad=*/true)) knownState.insert(f.name);

    const auto describeKeys = [&] {
      std::string fields, options;
      for (const auto& f : stateFields(kind_, true)) fields += (fields.empty() ? "" : ", ") + std::string(f.name);
      for (const auto& [name, shape] : groupFields(kind_)) options += (options.empty() ? "" : ", ") + name;
      return "a " + kind_ + " optimizer over " + std::to_string(params_.size()) + " parameters has keys state.<0.." +
             std::to_string(params_.size() - 1) + ">.{" + fields + "} and " + kGroupPrefix + "{" + options + "}";
    };

    for (uint32_t i = 0; i < names.Length(); i++) {
      const std::string key = names.Get(i).ToString().Utf8Value();
      const torch::Tensor& t = Tensor::From(dict.Get(key), ("'" + key + "'").c_str());
      int64_t index = 0;
      std::string field;
      if (key.compare(0, std::strlen(kGroupPrefix), kGroupPrefix) == 0 &&
          knownGroup.count(key.substr(std::strlen(kGroupPrefix)))) {
        group[key.substr(std::strlen(kGroupPrefix))] = t;
      } else if (parseStateKey(key, index, field) && knownState.count(field) &&
                 index < static_cast<int64_t>(params_.size())) {
        perParam[index][field] = t;
      } else {
        throw UsageError(who + ": unexpected key '" + key + "' (" + describeKeys() + ")");
      }
    }

    for (const auto& [name, shape] : groupFields(kind_)) {
      const std::string key = kGroupPrefix + name;
      const auto found = group.find(name);
      if (found == group.end()) throw UsageError(who + ": missing key '" + key + "'");
      if (found->second.sizes() != c10::IntArrayRef(shape)) {
        throw UsageError(who + ": '" + key + "' has shape " + shapeText(found->second.sizes()) + ", expected " +
                         shapeText(shape));
      }
    }
    auto options = optionsFromEntries(kind_, group, who);
    const bool amsgrad = kind_ == "adam" && static_cast<torch::optim::AdamOptions&>(*options).amsgrad();

    std::vector<std::pair<size_t, std::unique_ptr<torch::optim::OptimizerParamState>>> states;
    for (const auto& [index, entries] : perParam) {
      const torch::Tensor& param = params_[index];
      const std::string at = "state." + std::to_string(index) + ".";
      for (const auto& f : stateFields(kind_, amsgrad)) {
        const auto found = entries.find(f.name);
        if (found == entries.end()) {
          throw UsageError(who + ": missing key '" + at + f.name + "' (the dict has " + at + entries.begin()->first +
                           ")");
        }
        const torch::Tensor& t = found->second;
        if (f.kind == FieldKind::kBuffer) {
          if (t.sizes() != param.sizes()) {
            throw UsageError(who + ": '" + at + f.name + "' has shape " + shapeText(t.sizes()) + ", but parameter " +
                             std::to_string(index) + " has shape " + shapeText(param.sizes()));
          }
        } else {
          if (t.dim() != 0) {
            throw UsageError(who + ": '" + at + f.name + "' has shape " + shapeText(t.sizes()) + ", expected []");
          }
          const double x = t.item<double>();
          if (f.kind == FieldKind::kStep && !(x >= 0 && x == std::floor(x) && x < 9007199254740992.0)) {
            throw UsageError(who + ": '" + at + f.name + "' must be a whole number >= 0, got " + numberText(x));
          }
          if (f.kind == FieldKind::kScalar && !std::isfinite(x)) {
            throw UsageError(who + ": '" + at + f.name + "' must be finite, got " + numberText(x));
          }
        }
      }
      if (!amsgrad && entries.count("max_exp_avg_sq")) {
        throw UsageError(who + ": unexpected key '" + at + "max_exp_avg_sq' (param_groups.0.amsgrad is false)");
      }
      states.emplace_back(index, stateFromEntries(kind_, entries, param));
    }

    // Commit.
    auto& state = optimizer_->state();
    for (const auto& p : params_) state.erase(optimizerStateKey(p));
    for (auto& [index, s] : states) state[optimizerStateKey(params_[index])] = std::move(s);
    for (auto& g : optimizer_->param_groups()) g.set_options(options->clone());
    return info.Env().Undefined();
  });
}

namespace {

void defineOptimizerExports(Napi::Env env, Napi::Object exports, AddonData& data) {
  data.constructors["Optimizer"] = Napi::Persistent(Optimizer::Define(env));
  exports.Set("NativeOptimizer", data.constructors["Optimizer"].Value());
}

}  // namespace

TORCHNODE_EXPORTS(optimizer, defineOptimizerExports);

}  // namespace torchnode
