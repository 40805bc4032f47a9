// Process-wide libtorch settings: seeding, threads, grad mode, versions, CUDA presence.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <mutex>

#include "addon.h"
#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchnode {

namespace {

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "manualSeed", [&] {
    torch::manual_seed(static_cast<uint64_t>(requireInt(info[0], "seed")));
    return info.Env().Undefined();
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "setNumThreads", [&] {
    const int64_t n = requireInt(info[0], "threads");
    if (n < 1) throw UsageError("setNumThreads: threads must be >= 1, got " + std::to_string(n));
    torch::set_num_threads(static_cast<int>(n));
    return info.Env().Undefined();
  });
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), torch::get_num_threads());
}

// Grad mode is thread-local: this sets it for the JS thread only. Workers set their own guards.
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "setGradEnabled", [&] {
    const bool previous = torch::GradMode::is_enabled();
    torch::GradMode::set_enabled(requireBool(info[0], "enabled"));
    return Napi::Boolean::New(info.Env(), previous);
  });
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::GradMode::is_enabled());
}

// The CPU generator's state (a uint8 tensor): saved in checkpoints so a resumed run draws the same numbers.
Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "getRngState", [&] {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return Tensor::Wrap(info.Env(), generator.get_state());
  });
}

Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "setRngState", [&] {
    const torch::Tensor& state = Tensor::From(info[0], "state");
    if (state.scalar_type() != torch::kUInt8) throw UsageError("setRngState: the state must be a uint8 tensor");
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
    return info.Env().Undefined();
  });
}

Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

}  // namespace

void defineRuntimeExports(Napi::Env env, Napi::Object exports, AddonData&) {
  exports.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
  exports.Set("manualSeed", Napi::Function::New<ManualSeed>(env, "manualSeed"));
  exports.Set("setNumThreads", Napi::Function::New<SetNumThreads>(env, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New<GetNumThreads>(env, "getNumThreads"));
  exports.Set("setGradEnabled", Napi::Function::New<SetGradEnabled>(env, "setGradEnabled"));
  exports.Set("isGradEnabled", Napi::Function::New<IsGradEnabled>(env, "isGradEnabled"));
  exports.Set("getRngState", Napi::Function::New<GetRngState>(env, "getRngState"));
  exports.Set("setRngState", Napi::Function::New<SetRngState>(env, "setRngState"));
  exports.Set("cudaIsAvailable", Napi::Function::New<CudaIsAvailable>(env, "cudaIsAvailable"));
  exports.Set("cudaDeviceCount", Napi::Function::New<CudaDeviceCount>(env, "cudaDeviceCount"));
}

TORCHNODE_EXPORTS(runtime, defineRuntimeExports);

}  // namespace torchnode
