#include "convert.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <cmath>
#include <sstream>

#include "errors.h"

namespace torchnode {

namespace {

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};

constexpr DtypeName kDtypes[] = {
    {"float32", torch::kFloat32}, {"float64", torch::kFloat64}, {"int32", torch::kInt32},
    {"int64", torch::kInt64},     {"uint8", torch::kUInt8},     {"bool", torch::kBool},
};

const char* jsTypeName(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return value.IsArray() ? "array" : "object";
    case napi_function: return "function";
    case napi_bigint: return "bigint";
    default: return "value";
  }
}

[[noreturn]] void wrongType(const Napi::Value& value, const char* what, const char* expected) {
  throw ArgumentTypeError(std::string(what) + " must be " + expected + ", got " + jsTypeName(value));
}

}  // namespace

torch::ScalarType parseDtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.type;
  }
  throw UsageError("unknown dtype '" + name + "' (expected float32, float64, int32, int64, uint8 or bool)");
}

std::string dtypeName(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (type == d.type) return d.name;
  }
  return c10::toString(type);
}

torch::Device parseDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw UsageError("device '" + name + "' was requested, but CUDA is not available: this libtorch (" +
                       std::string(TORCH_VERSION) + ") is a CPU-only build or no GPU is visible");
    }
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    const int64_t index = name == "cuda" ? 0 : std::stoll(name.substr(5));
    if (index < 0 || index >= count) {
      throw UsageError("device '" + name + "' does not exist: " + std::to_string(count) + " CUDA device(s) visible");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw UsageError("unknown device '" + name + "' (expected 'cpu', 'cuda' or 'cuda:N')");
}

std::string deviceName(const torch::Device& device) {
  if (device.is_cpu()) return "cpu";
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  return device.str();
}

std::vector<int64_t> toShape(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) wrongType(value, what, "an array of non-negative integers");
  const auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    const Napi::Value dim = array.Get(i);
    if (!dim.IsNumber()) wrongType(dim, what, "an array of non-negative integers");
    const double d = dim.As<Napi::Number>().DoubleValue();
    if (!(d >= -1) || std::floor(d) != d) {
      throw UsageError(std::string(what) + " must hold non-negative integers, got " + std::to_string(d));
    }
    shape[i] = static_cast<int64_t>(d);
  }
  return shape;
}

Napi::Array fromShape(Napi::Env env, c10::IntArrayRef shape) {
  auto array = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); i++) array.Set(i, Napi::Number::New(env, static_cast<double>(shape[i])));
  return array;
}

std::string shapeText(c10::IntArrayRef shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); i++) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::string requireString(const Napi::Value& value, const char* what) {
  if (!value.IsString()) wrongType(value, what, "a string");
  return value.As<Napi::String>().Utf8Value();
}

double requireNumber(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) wrongType(value, what, "a number");
  return value.As<Napi::Number>().DoubleValue();
}

int64_t requireInt(const Napi::Value& value, const char* what) {
  const double d = requireNumber(value, what);
  if (std::floor(d) != d) throw UsageError(std::string(what) + " must be an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

bool requireBool(const Napi::Value& value, const char* what) {
  if (!value.IsBoolean()) wrongType(value, what, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

}  // namespace torchnode
