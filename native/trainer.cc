#include "trainer.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/optim/optimizer.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "addon.h"
#include "background_thread.h"
#include "batches.h"
#include "convert.h"
#include "denormals.h"
#include "errors.h"
#include "fused_mlp.h"
#include "inference.h"
#include "module.h"
#include "nadam.h"
#include "optimizer.h"
#include "tensor.h"

namespace torchnode {

double LrSchedule::at(int64_t step) const {
  if (type == "exponential") {
    if (steps <= 1) return start;
    const double fraction = std::min(1.0, static_cast<double>(step) / static_cast<double>(steps - 1));
    return start * std::pow(end / start, fraction);
  }
  if (type == "onecycle") {
    // PyTorch's OneCycleLR (anneal_strategy='cos', two phases).
    const double initial = maxLr / divFactor;
    const double final = initial / finalDivFactor;
    const double peak = pctStart * static_cast<double>(steps) - 1;
    const auto cosine = [](double from, double to, double pct) {
      return to + (from - to) / 2 * (std::cos(M_PI * pct) + 1);
    };
    const double s = static_cast<double>(step);
    if (s <= peak) return cosine(initial, maxLr, peak > 0 ? s / peak : 1.0);
    const double down = static_cast<double>(steps) - 1 - peak;
    return cosine(maxLr, final, down > 0 ? std::min(1.0, (s - peak) / down) : 1.0);
  }
  return std::nan("");
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct EpochLog {
  int64_t epoch = 0;
  double loss = 0, accuracy = 0;
  double valLoss = std::nan(""), valAccuracy = std::nan("");
  double lr = 0, seconds = 0;
};

struct EarlyStopping {
  bool enabled = false;
  std::string monitor = "val_loss";  // val_loss | val_accuracy | loss | accuracy
  int64_t patience = 0;
  double minDelta = 0;
  bool restoreBestWeights = true;

  bool maximize() const { return monitor == "val_accuracy" || monitor == "accuracy"; }
  double read(const EpochLog& log) const {
    if (monitor == "val_loss") return log.valLoss;
    if (monitor == "val_accuracy") return log.valAccuracy;
    if (monitor == "accuracy") return log.accuracy;
    return log.loss;
  }
};

struct FitConfig {
  torch::Tensor x, y, valX, valY;
  int64_t epochs = 1, initialEpoch = 0, batchSize = 32, validationBatchSize = 1024;
  bool shuffle = true;
  std::optional<uint64_t> seed;
  InputTransform transform;
  EarlyStopping early;
  LrSchedule schedule;
  torch::Device device{torch::kCPU};
  int threads = 0;
  double progressIntervalMs = 200;
  bool recordBatches = false;
  bool flushDenormals = true;   // see denormals.h
  std::string engine = "auto";  // auto (fused when the model allows it) | fused (required) | autograd
  // Where a resumed run's bookkeeping left off.
  double best = std::nan("");
  int64_t bestEpoch = 0, wait = 0;
  std::vector<torch::Tensor> bestState;  // the best weights so far, in stateTensors() order
};

struct History {
  std::vector<EpochLog> epochs;
  double best = std::nan("");
  int64_t bestEpoch = 0, wait = 0;
  bool stoppedEarly = false, aborted = false, stoppedByCallback = false, restoredBestWeights = false;
  double seconds = 0;
  std::vector<double> batchLosses, batchLrs;
  std::string engine;        // the one used: fused | autograd
  std::string engineReason;  // why not fused, when autograd
  int intraOpThreads = 0, blasThreads = 0;
  int blasLarge = 0, blasSmall = 0;  // the fused step's OpenBLAS threads for large / small gemms
  int largeGemmSplit = 0;            // threads of the fused step's own a large gemm is split over
};

struct EpochReply {
  bool stop = false;
  double lr = std::nan("");
};

struct EpochMessage {
  EpochLog log;
  bool improved;
  std::shared_ptr<std::promise<EpochReply>> reply;
  // The best weights so far (restoreBestWeights), for checkpoints: JS reads them through a function that is
  // valid while the worker waits for the reply (the worker empties this after), so that no epoch's snapshot
  // stays alive in a JS handle nobody asked for.
  std::shared_ptr<std::vector<torch::Tensor>> bestState;
};

struct BatchMessage {
  int64_t epoch, batch, batches;
  double loss;
};

Napi::Object epochToJs(Napi::Env env, const EpochLog& log) {
  auto o = Napi::Object::New(env);
  o.Set("epoch", static_cast<double>(log.epoch));
  o.Set("loss", log.loss);
  o.Set("accuracy", log.accuracy);
  if (!std::isnan(log.valLoss)) o.Set("valLoss", log.valLoss);
  if (!std::isnan(log.valAccuracy)) o.Set("valAccuracy", log.valAccuracy);
  o.Set("lr", log.lr);
  o.Set("seconds", log.seconds);
  return o;
}

Napi::Float64Array doubles(Napi::Env env, const std::vector<double>& values) {
  auto array = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}

Napi::Object historyToJs(Napi::Env env, const History& h) {
  auto o = Napi::Object::New(env);
  auto epochs = Napi::Array::New(env, h.epochs.size());
  for (size_t i = 0; i < h.epochs.size(); i++) epochs.Set(static_cast<uint32_t>(i), epochToJs(env, h.epochs[i]));
  o.Set("epochs", epochs);
  o.Set("bestEpoch", static_cast<double>(h.bestEpoch));
  o.Set("best", h.best);
  o.Set("wait", static_cast<double>(h.wait));
  o.Set("stoppedEarly", h.stoppedEarly);
  o.Set("aborted", h.aborted);
  o.Set("stoppedByCallback", h.stoppedByCallback);
  o.Set("restoredBestWeights", h.restoredBestWeights);
  o.Set("seconds", h.seconds);
  o.Set("engine", h.engine);
  if (!h.engineReason.empty()) o.Set("engineReason", h.engineReason);
  auto threads = Napi::Object::New(env);
  threads.Set("intraOp", h.intraOpThreads);
  if (h.blasThreads > 0) threads.Set("blas", h.blasThreads);
  if (h.blasLarge > 0) {
    threads.Set("blasLargeGemm", h.blasLarge);
    threads.Set("blasSmallGemm", h.blasSmall);
  }
  if (h.largeGemmSplit > 1) threads.Set("largeGemmSplit", h.largeGemmSplit);
  o.Set("threads", threads);
  if (!h.batchLosses.empty()) {
    o.Set("batchLosses", doubles(env, h.batchLosses));
    o.Set("batchLrs", doubles(env, h.batchLrs));
  }
  return o;
}

void setLr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double currentLr(torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().at(0).options().get_lr();
}

bool hasBatchNorm(torch::nn::Module& module) {
  for (const auto& m : module.modules(true)) {
    if (m->as<torch::nn::BatchNorm1d>()) return true;
  }
  return false;
}

// Parameters then buffers: everything "the weights" are, for best-weights snapshots.
std::vector<torch::Tensor> stateTensors(torch::nn::Module& module) {
  std::vector<torch::Tensor> state = module.parameters();
  for (const auto& b : module.buffers()) state.push_back(b);
  return state;
}

// OpenBLAS' own thread count (0 when the BLAS in this process is not OpenBLAS).
int blasThreads() {
  using Get = int (*)();
  static const auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : 0;
}

bool optimizerWithinModel(torch::optim::Optimizer& optimizer, torch::nn::Module& model) {
  std::unordered_set<const void*> own;
  for (const auto& p : model.parameters()) own.insert(p.unsafeGetTensorImpl());
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& p : group.params()) {
      if (!own.count(p.unsafeGetTensorImpl())) return false;
    }
  }
  return true;
}

// Correct predictions in a batch: argmax (first maximum, as torch.argmax) read straight from CPU logits.
int64_t countCorrect(const torch::Tensor& logits, const torch::Tensor& y) {
  if (!logits.device().is_cpu() || logits.scalar_type() != torch::kFloat32 || logits.dim() != 2 ||
      !logits.is_contiguous() || !y.is_contiguous() || !y.device().is_cpu()) {
    return logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  const int64_t rows = logits.size(0), classes = logits.size(1);
  const float* p = logits.data_ptr<float>();
  const int64_t* target = y.data_ptr<int64_t>();
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; r++, p += classes) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; c++) {
      if (p[c] > p[best] || (std::isnan(p[c]) && !std::isnan(p[best]))) best = c;
    }
    correct += best == target[r];
  }
  return correct;
}

// Hands the heap's free pages back to the system, once per epoch (under a millisecond). glibc keeps freed
// memory in its arenas (the training thread's, the helper's), and raises its trim threshold after the
// first large free (the validation pass's 12 MB batches), so those keep tens of MB they no longer use: RSS
// over 20 epochs rose by 0-94 MB from run to run, in steps of 12-35 MB, and not at all with a single arena
// (MALLOC_ARENA_MAX=1); with this, by at most 12 MB in eight runs, at about 100 MB less RSS (bench/fit.ts'
// RSS run: the bn network on the real uint8 split, batch 32).
void releaseFreeMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

// Section times of the training loop, printed to stderr at the end of fit when TORCHNODE_PROFILE is set.
struct Profile {
  bool enabled = std::getenv("TORCHNODE_PROFILE") != nullptr;
  double cut = 0, forward = 0, backward = 0, step = 0, rest = 0, trim = 0;
  int64_t batches = 0, epochs = 0;
  Clock::time_point mark;
  void start() {
    if (enabled) mark = Clock::now();
  }
  void lap(double& into) {
    if (!enabled) return;
    const auto now = Clock::now();
    into += std::chrono::duration<double, std::milli>(now - mark).count();
    mark = now;
  }
  void print(const std::string& engine) const {
    if (!enabled || batches == 0) return;
    const double b = static_cast<double>(batches);
    std::fprintf(stderr,
                 "[torchnode fit profile] engine %s, %lld batches, ms per batch: cut %.3f forward %.3f backward %.3f "
                 "step %.3f rest %.3f; releasing free memory %.3f ms per epoch\n",
                 engine.c_str(), static_cast<long long>(batches), cut / b, forward / b, backward / b, step / b,
                 rest / b, epochs > 0 ? trim / static_cast<double>(epochs) : 0.0);
  }
};

class FitWorker : public Napi::AsyncWorker {
 public:
  FitWorker(Napi::Env env, Module& module, torch::optim::Optimizer& optimizer, FitConfig config,
            const Napi::Function& onEpoch, const Napi::Value& onBatch, const std::vector<Napi::Value>& keepAlive)
      : Napi::AsyncWorker(env, "torchnode.fit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        module_(module),
        optimizer_(optimizer),
        config_(std::move(config)),
        stop_(std::make_shared<std::atomic<bool>>(false)) {
    epochFn_ = Napi::ThreadSafeFunction::New(env, onEpoch, "torchnode.fit.epoch", 0, 1);
    if (onBatch.IsFunction()) {
      batchFn_ = Napi::ThreadSafeFunction::New(env, onBatch.As<Napi::Function>(), "torchnode.fit.batch", 2, 1);
      hasBatchFn_ = true;
    }
    for (const auto& v : keepAlive) {
      if (v.IsObject()) references_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
  }

  Napi::Promise promise() { return deferred_.Promise(); }
  std::shared_ptr<std::atomic<bool>> stopFlag() { return stop_; }

 protected:
  void Execute() override {
    const auto start = Clock::now();
    try {
      const FlushDenormals flush(config_.flushDenormals);
      train();
    } catch (const UsageError& e) {
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(describeFailure("fit", e));
    }
    history_.seconds = secondsSince(start);
    epochFn_.Release();
    if (hasBatchFn_) batchFn_.Release();
  }

  void OnOK() override { deferred_.Resolve(historyToJs(Env(), history_)); }

  void OnError(const Napi::Error& error) override {
    Napi::Object e = error.Value();
    e.Set("history", historyToJs(Env(), history_));
    deferred_.Reject(e);
  }

 private:
  static void callEpoch(Napi::Env env, Napi::Function fn, EpochMessage* message) {
    std::unique_ptr<EpochMessage> owned(message);
    auto reply = owned->reply;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    if (env == nullptr) {
      reply->set_value({true});
      return;
    }
    auto done = Napi::Function::New(env, [reply, answered](const Napi::CallbackInfo& info) {
      if (answered->exchange(true)) return;
      EpochReply r;
      if (info[0].IsObject()) {
        const auto o = info[0].As<Napi::Object>();
        r.stop = o.Get("stop").ToBoolean();
        if (o.Get("lr").IsNumber()) r.lr = o.Get("lr").As<Napi::Number>().DoubleValue();
      }
      reply->set_value(r);
    });
    try {
      auto log = epochToJs(env, owned->log);
      log.Set("improved", owned->improved);
      if (owned->bestState) {
        auto state = owned->bestState;
        log.Set("bestState", Napi::Function::New(env, [state](const Napi::CallbackInfo& info) -> Napi::Value {
                  if (state->empty()) {
                    Napi::Error::New(info.Env(), "fit: bestState is only readable while onEpochEnd runs")
                        .ThrowAsJavaScriptException();
                    return info.Env().Undefined();
                  }
                  auto array = Napi::Array::New(info.Env(), state->size());
                  for (size_t i = 0; i < state->size(); i++) {
                    array.Set(static_cast<uint32_t>(i), Tensor::Wrap(info.Env(), (*state)[i]));
                  }
                  return array;
                }));
      }
      fn.Call({log, done});
    } catch (...) {
      // The JS side answers through `done` even when the user's callback throws; this is the fallback.
      if (!answered->exchange(true)) reply->set_value({true});
    }
  }

  static void callBatch(Napi::Env env, Napi::Function fn, BatchMessage* message) {
    std::unique_ptr<BatchMessage> owned(message);
    if (env == nullptr) return;
    auto o = Napi::Object::New(env);
    o.Set("epoch", static_cast<double>(owned->epoch));
    o.Set("batch", static_cast<double>(owned->batch));
    o.Set("batches", static_cast<double>(owned->batches));
    o.Set("loss", owned->loss);
    try {
      fn.Call({o});
    } catch (...) {
      // A progress display that fails must not stop training.
    }
  }

  EpochReply sendEpoch(const EpochLog& log, bool improved, const std::vector<torch::Tensor>* bestState) {
    auto reply = std::make_shared<std::promise<EpochReply>>();
    auto answer = reply->get_future();
    auto state = bestState ? std::make_shared<std::vector<torch::Tensor>>(*bestState) : nullptr;
    auto* message = new EpochMessage{log, improved, reply, state};
    if (epochFn_.BlockingCall(message, &FitWorker::callEpoch) != napi_ok) {
      delete message;
      return {true};
    }
    EpochReply r = answer.get();
    if (state) state->clear();
    return r;
  }

  void restore(const std::vector<torch::Tensor>& snapshot) {
    torch::NoGradGuard noGrad;
    const auto live = stateTensors(module_.module());
    for (size_t i = 0; i < live.size(); i++) live[i].copy_(snapshot[i]);
    history_.restoredBestWeights = true;
  }

  void train() {
    if (config_.threads > 0) at::set_num_threads(config_.threads);
    history_.intraOpThreads = at::get_num_threads();
    history_.blasThreads = blasThreads();
    if (config_.seed) torch::manual_seed(*config_.seed);
    torch::nn::Module& model = module_.module();
    const torch::Device device = config_.device;
    model.to(device);
    config_.transform.to(device);
    const torch::Tensor x = config_.x.to(device);
    const torch::Tensor y = config_.y.to(device);
    const bool validate = config_.valX.defined();
    const torch::Tensor valX = validate ? config_.valX.to(device) : torch::Tensor();
    const torch::Tensor valY = validate ? config_.valY.to(device) : torch::Tensor();
    const auto& early = config_.early;

    const int64_t n = x.size(0);
    const int64_t bs = config_.batchSize;
    int64_t batches = (n + bs - 1) / bs;
    // Batch norm cannot train on a batch of one: a trailing single sample is left out of that epoch.
    if (batches > 1 && n % bs == 1 && hasBatchNorm(model)) batches--;
    int64_t step = config_.initialEpoch * batches;

    history_.best = config_.best;
    history_.bestEpoch = config_.bestEpoch;
    history_.wait = config_.wait;
    std::vector<torch::Tensor> best = config_.bestState;
    const auto snapshot = [&] {
      best.clear();
      for (const auto& t : stateTensors(model)) best.push_back(t.detach().clone());
    };
    const bool keepBest = early.enabled && early.restoreBestWeights;
    const auto longOptions = torch::TensorOptions().dtype(torch::kInt64).device(device);

    // The second core's work during a step (half of the fused step, the next batch's cut): before the
    // cutter and the fused step, so that it outlives the buffers its jobs write. TORCHNODE_PREFETCH=0: all
    // of it on this thread.
    const char* prefetchEnv = std::getenv("TORCHNODE_PREFETCH");
    const bool useHelper = !(prefetchEnv && std::string(prefetchEnv) == "0");
    BackgroundThread helper(config_.flushDenormals);
    BatchCutter cutter(x, y, config_.transform, bs, device, useHelper ? &helper : nullptr);
    std::unique_ptr<FusedMlp> fused;
    if (config_.engine != "autograd") {
      std::string why;
      if (!device.is_cpu()) {
        why = "the fused step is CPU-only";
      } else if (!optimizerWithinModel(optimizer_, model)) {
        // (autograd's zero_grad would keep clearing those; the fused step only writes the model's grads)
        why = "the optimizer holds parameters that are not the model's";
      } else {
        const int64_t features = x.numel() / n;
        fused =
            FusedMlp::build(model, module_.kind() == "sequential", features, bs, useHelper ? &helper : nullptr, &why);
      }
      if (!fused && config_.engine == "fused") throw UsageError("fit: engine 'fused' cannot run this model: " + why);
      history_.engineReason = why;
    }
    history_.engine = fused ? "fused" : "autograd";
    if (fused) {
      history_.blasLarge = fused->blasLarge();
      history_.blasSmall = fused->blasSmall();
      history_.largeGemmSplit = fused->largeGemmSplit();
    }
    // NAdam under the fused step updates each layer during backward, as soon as its gradient is final (on
    // the helper thread, or split with it: see FusedMlp::update). The same numbers as a step() after
    // backward: every element's update is independent of the others.
    auto* nadam = fused ? dynamic_cast<NAdam*>(&optimizer_) : nullptr;
    std::unordered_map<const c10::TensorImpl*, const NAdamOptions*> nadamGroupOf;
    const Updater updateDuringBackward = [&](torch::Tensor& param) -> ParameterUpdate {
      const auto found = nadamGroupOf.find(param.unsafeGetTensorImpl());
      if (found == nadamGroupOf.end()) return {};
      auto update = std::make_shared<NAdamUpdate>(nadam->prepare(param, *found->second));
      return {[update](int64_t begin, int64_t end) { NAdam::apply(*update, begin, end); }, update->fused};
    };
    Profile profile;

    for (int64_t epoch = config_.initialEpoch + 1; epoch <= config_.epochs; epoch++) {
      const auto epochStart = Clock::now();
      if (nadam) {
        // Per epoch: JS may change the optimizer between epochs (the epoch barrier).
        nadamGroupOf.clear();
        for (auto& group : nadam->param_groups()) {
          for (const auto& param : group.params()) {
            nadamGroupOf[param.unsafeGetTensorImpl()] = &static_cast<const NAdamOptions&>(group.options());
          }
        }
      }
      auto lastProgress = epochStart;
      model.train(true);
      const torch::Tensor order = config_.shuffle ? torch::randperm(n, longOptions) : torch::arange(n, longOptions);
      double lossSum = 0;
      int64_t correct = 0, seen = 0;
      for (int64_t b = 0; b < batches; b++) {
        if (stop_->load()) {
          history_.aborted = true;
          break;
        }
        profile.start();
        const int64_t size = std::min(bs, n - b * bs);
        const torch::Tensor index = order.narrow(0, b * bs, size);
        const auto [xb, yb] = cutter.cut(index);
        const double scheduled = config_.schedule.at(step);
        if (!std::isnan(scheduled)) setLr(optimizer_, scheduled);
        profile.lap(profile.cut);

        torch::Tensor logits, loss;
        double value;
        if (fused) {
          value = fused->forward(xb, yb);
          logits = fused->logits();
        } else {
          optimizer_.zero_grad();
          logits = module_.forward(xb);
          loss = torch::nn::functional::cross_entropy(logits, yb);
          value = loss.item<double>();
        }
        profile.lap(profile.forward);
        // The next batch is cut beside this one's backward (after the forward: its input-layer gemm wants
        // both cores).
        if (useHelper && b + 1 < batches) {
          cutter.prefetch(order.narrow(0, (b + 1) * bs, std::min(bs, n - (b + 1) * bs)));
        }
        if (!std::isfinite(value)) {
          if (keepBest && !best.empty()) restore(best);
          throw UsageError("fit: the loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") +
                           " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + " of " +
                           std::to_string(batches) + " (learning rate " + std::to_string(currentLr(optimizer_)) +
                           "); training stopped" +
                           (history_.restoredBestWeights
                                ? ", the best weights (epoch " + std::to_string(history_.bestEpoch) + ") were restored"
                                : ""));
        }
        const int64_t right = countCorrect(logits, yb);
        if (nadam) {
          fused->backward(updateDuringBackward);  // (returns with every parameter updated)
        } else if (fused) {
          fused->backward();
        } else {
          loss.backward();
        }
        profile.lap(profile.backward);
        if (!nadam) optimizer_.step();
        profile.lap(profile.step);

        lossSum += value * static_cast<double>(size);
        correct += right;
        seen += size;
        if (config_.recordBatches) {
          history_.batchLosses.push_back(value);
          history_.batchLrs.push_back(currentLr(optimizer_));
        }
        step++;
        if (hasBatchFn_ && std::chrono::duration<double, std::milli>(Clock::now() - lastProgress).count() >=
                               config_.progressIntervalMs) {
          lastProgress = Clock::now();
          auto* message = new BatchMessage{epoch, b + 1, batches, lossSum / static_cast<double>(seen)};
          if (batchFn_.NonBlockingCall(message, &FitWorker::callBatch) != napi_ok) delete message;
        }
        profile.lap(profile.rest);
        profile.batches++;
      }
      // Aborted: the epoch is unfinished, so it is not logged (History holds the finished ones).
      if (history_.aborted || seen == 0) break;

      EpochLog log;
      log.epoch = epoch;
      log.loss = lossSum / static_cast<double>(seen);
      log.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
      log.lr = currentLr(optimizer_);
      if (validate) {
        ModeScope mode(model, false);
        const Metrics m = evaluateBatches(module_, valX, valY, config_.transform, config_.validationBatchSize, device);
        log.valLoss = m.loss;
        log.valAccuracy = m.accuracy;
      }
      profile.start();
      releaseFreeMemory();
      profile.lap(profile.trim);
      profile.epochs++;
      log.seconds = secondsSince(epochStart);
      history_.epochs.push_back(log);

      const double monitored = early.read(log);
      const bool improved =
          std::isnan(history_.best) ||
          (early.maximize() ? monitored > history_.best + early.minDelta : monitored < history_.best - early.minDelta);
      if (improved) {
        history_.best = monitored;
        history_.bestEpoch = epoch;
        history_.wait = 0;
        if (keepBest) snapshot();
      } else {
        history_.wait++;
      }

      // (snapshot() replaces the tensors of `best` rather than writing into them: JS may keep these.)
      const EpochReply reply = sendEpoch(log, improved, keepBest ? &best : nullptr);
      if (!std::isnan(reply.lr)) setLr(optimizer_, reply.lr);
      if (reply.stop) {
        history_.stoppedByCallback = true;
        break;
      }
      if (history_.aborted) break;
      if (early.enabled && history_.wait >= early.patience) {
        history_.stoppedEarly = true;
        break;
      }
    }
    if (keepBest && !best.empty()) restore(best);
    profile.print(history_.engine);
  }

  Napi::Promise::Deferred deferred_;
  Module& module_;
  torch::optim::Optimizer& optimizer_;
  FitConfig config_;
  std::shared_ptr<std::atomic<bool>> stop_;
  Napi::ThreadSafeFunction epochFn_;
  Napi::ThreadSafeFunction batchFn_;
  bool hasBatchFn_ = false;
  std::vector<Napi::ObjectReference> references_;
  History history_;
};

double numberOr(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : requireNumber(v, key);
}

bool boolOr(const Napi::Object& o, const char* key, bool fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : requireBool(v, key);
}

Napi::Object objectOr(const Napi::Env env, const Napi::Value& v) {
  return v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(env);
}

LrSchedule parseSchedule(const Napi::Value& value) {
  LrSchedule s;
  if (!value.IsObject()) return s;
  const auto o = value.As<Napi::Object>();
  s.type = requireString(o.Get("type"), "schedule.type");
  if (s.type == "exponential") {
    s.start = requireNumber(o.Get("start"), "schedule.start");
    s.end = requireNumber(o.Get("end"), "schedule.end");
    if (!(s.start > 0 && s.end > 0)) throw UsageError("fit: an exponential schedule needs start > 0 and end > 0");
  } else if (s.type == "onecycle") {
    s.maxLr = requireNumber(o.Get("maxLr"), "schedule.maxLr");
    s.pctStart = numberOr(o, "pctStart", 0.3);
    s.divFactor = numberOr(o, "divFactor", 25);
    s.finalDivFactor = numberOr(o, "finalDivFactor", 1e4);
  } else if (s.type != "constant") {
    throw UsageError("fit: unknown schedule type '" + s.type + "' (expected constant, exponential or onecycle)");
  }
  if (s.type != "constant") s.steps = requireInt(o.Get("steps"), "schedule.steps");
  return s;
}

// fit(model, optimizer, x, y, options, onEpoch(log, done), onBatch?) -> { promise, stop() }
Napi::Value Fit(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "fit", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Module& module = Module::FromValue(info[0], "model");
    torch::optim::Optimizer& optimizer = Optimizer::FromValue(info[1]);
    FitConfig config;
    config.x = Tensor::From(info[2], "x");
    config.y = Tensor::From(info[3], "y");
    checkDataset("fit", config.x, &config.y);
    const Napi::Object options = objectOr(env, info[4]);
    if (!info[5].IsFunction()) throw ArgumentTypeError("fit: onEpoch must be a function");

    config.epochs = positiveIntOption(options, "epochs", 1);
    config.initialEpoch = static_cast<int64_t>(numberOr(options, "initialEpoch", 0));
    config.batchSize = positiveIntOption(options, "batchSize", 32);
    config.validationBatchSize = positiveIntOption(options, "validationBatchSize", 1024);
    config.shuffle = boolOr(options, "shuffle", true);
    if (!options.Get("seed").IsUndefined())
      config.seed = static_cast<uint64_t>(requireInt(options.Get("seed"), "seed"));
    config.transform = parseInputTransform(options.Get("inputTransform"));
    config.schedule = parseSchedule(options.Get("schedule"));
    config.device = deviceOption(options.Get("device"), torch::Device(torch::kCPU));
    config.threads = static_cast<int>(numberOr(options, "threads", 0));
    config.progressIntervalMs = numberOr(options, "progressIntervalMs", 200);
    config.recordBatches = boolOr(options, "recordBatches", false);
    config.flushDenormals = boolOr(options, "flushDenormals", true);
    if (!options.Get("engine").IsUndefined()) config.engine = requireString(options.Get("engine"), "engine");
    if (const char* env = std::getenv("TORCHNODE_ENGINE")) {
      if (config.engine == "auto" && *env) config.engine = env;
    }
    if (config.engine != "auto" && config.engine != "fused" && config.engine != "autograd") {
      throw UsageError("fit: unknown engine '" + config.engine + "' (expected auto, fused or autograd)");
    }

    const Napi::Value validation = options.Get("validation");
    if (validation.IsObject()) {
      const auto v = validation.As<Napi::Object>();
      config.valX = Tensor::From(v.Get("x"), "validation.x");
      config.valY = Tensor::From(v.Get("y"), "validation.y");
      checkDataset("fit (validation)", config.valX, &config.valY);
    }
    const Napi::Value early = options.Get("earlyStopping");
    if (early.IsObject()) {
      const auto e = early.As<Napi::Object>();
      config.early.enabled = boolOr(e, "enabled", true);
      config.early.patience = static_cast<int64_t>(requireNumber(e.Get("patience"), "earlyStopping.patience"));
      config.early.minDelta = numberOr(e, "minDelta", 0);
      config.early.restoreBestWeights = boolOr(e, "restoreBestWeights", true);
      if (!e.Get("monitor").IsUndefined()) config.early.monitor = requireString(e.Get("monitor"), "monitor");
      config.best = numberOr(e, "best", std::nan(""));
      config.bestEpoch = static_cast<int64_t>(numberOr(e, "bestEpoch", 0));
      config.wait = static_cast<int64_t>(numberOr(e, "wait", 0));
      const Napi::Value bestState = e.Get("bestState");
      if (bestState.IsArray()) {
        const auto array = bestState.As<Napi::Array>();
        const auto live = stateTensors(module.module());
        if (array.Length() != live.size()) {
          throw UsageError("fit: earlyStopping.bestState has " + std::to_string(array.Length()) +
                           " tensors, the model has " + std::to_string(live.size()));
        }
        for (uint32_t i = 0; i < array.Length(); i++) {
          const torch::Tensor& t = Tensor::From(array.Get(i), "earlyStopping.bestState[i]");
          if (t.sizes() != live[i].sizes()) throw UsageError("fit: earlyStopping.bestState does not fit the model");
          config.bestState.push_back(t.detach().clone());
        }
      }
    } else if (!config.valX.defined()) {
      config.early.monitor = "loss";
    }
    const std::string& monitor = config.early.monitor;
    if (monitor != "val_loss" && monitor != "val_accuracy" && monitor != "loss" && monitor != "accuracy") {
      throw UsageError("fit: unknown monitor '" + monitor + "' (expected val_loss, val_accuracy, loss or accuracy)");
    }
    if (monitor.rfind("val_", 0) == 0 && !config.valX.defined()) {
      throw UsageError("fit: early stopping monitors " + monitor + " but no validation data was given");
    }

    auto* worker = new FitWorker(env, module, optimizer, std::move(config), info[5].As<Napi::Function>(), info[6],
                                 {info[0], info[1], info[2], info[3], options});
    auto job = Napi::Object::New(env);
    job.Set("promise", worker->promise());
    auto stop = worker->stopFlag();
    job.Set("stop", Napi::Function::New(env, [stop](const Napi::CallbackInfo&) { stop->store(true); }));
    worker->Queue();
    return job;
  });
}

void defineTrainerExports(Napi::Env env, Napi::Object exports, AddonData&) {
  exports.Set("fit", Napi::Function::New<Fit>(env, "fit"));
}

}  // namespace

TORCHNODE_EXPORTS(trainer, defineTrainerExports);

}  // namespace torchnode
