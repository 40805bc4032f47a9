// Conversions between JS values and libtorch's dtype, device and shape types.
#pragma once

#include <napi.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace torchnode {

// 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool'
torch::ScalarType parseDtype(const std::string& name);
std::string dtypeName(torch::ScalarType type);

// 'cpu' | 'cuda' | 'cuda:N'. Asking for CUDA on a CPU-only libtorch is an error that says so.
torch::Device parseDevice(const std::string& name);
std::string deviceName(const torch::Device& device);

std::vector<int64_t> toShape(const Napi::Value& value, const char* what);
Napi::Array fromShape(Napi::Env env, c10::IntArrayRef shape);
// "[2, 3]": how error messages show a shape.
std::string shapeText(c10::IntArrayRef shape);

std::string requireString(const Napi::Value& value, const char* what);
double requireNumber(const Napi::Value& value, const char* what);
int64_t requireInt(const Napi::Value& value, const char* what);
bool requireBool(const Napi::Value& value, const char* what);

}  // namespace torchnode
