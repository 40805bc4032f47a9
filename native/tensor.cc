#include "tensor.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "addon.h"
#include "convert.h"
#include "errors.h"

namespace torchnode {

namespace {

// Reported sizes are per handle: two handles over one storage count it twice, which only makes V8
// collect a little earlier.
int64_t reportedSize(const torch::Tensor& t) {
  return t.defined() ? static_cast<int64_t>(t.nbytes()) : 0;
}

Napi::Value typedArrayOf(Napi::Env env, const torch::Tensor& source) {
  const torch::Tensor t = source.detach().to(torch::kCPU).contiguous();
  const size_t bytes = t.nbytes();
  auto buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.scalar_type()) {
    case torch::kFloat32: return Napi::Float32Array::New(env, n, buffer, 0);
    case torch::kFloat64: return Napi::Float64Array::New(env, n, buffer, 0);
    case torch::kInt32: return Napi::Int32Array::New(env, n, buffer, 0);
    case torch::kInt64: return Napi::BigInt64Array::New(env, n, buffer, 0);
    case torch::kUInt8:
    case torch::kBool: return Napi::Uint8Array::New(env, n, buffer, 0);
    default: throw UsageError("toArray: unsupported dtype " + dtypeName(t.scalar_type()));
  }
}

size_t elementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;
  }
}

using BinaryOp = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&);
using ScalarOp = torch::Tensor (*)(const torch::Tensor&, const torch::Scalar&);

struct BinaryEntry {
  const char* name;
  BinaryOp withTensor;
  ScalarOp withScalar;  // nullptr: the operation needs a tensor on both sides
};

const BinaryEntry kBinaryOps[] = {
    {"add", [](const torch::Tensor& a, const torch::Tensor& b) { return a.add(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.add(b); }},
    {"sub", [](const torch::Tensor& a, const torch::Tensor& b) { return a.sub(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.sub(b); }},
    {"mul", [](const torch::Tensor& a, const torch::Tensor& b) { return a.mul(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.mul(b); }},
    {"div", [](const torch::Tensor& a, const torch::Tensor& b) { return a.div(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.div(b); }},
    {"pow", [](const torch::Tensor& a, const torch::Tensor& b) { return a.pow(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.pow(b); }},
    {"eq", [](const torch::Tensor& a, const torch::Tensor& b) { return a.eq(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.eq(b); }},
    {"ne", [](const torch::Tensor& a, const torch::Tensor& b) { return a.ne(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.ne(b); }},
    {"lt", [](const torch::Tensor& a, const torch::Tensor& b) { return a.lt(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.lt(b); }},
    {"le", [](const torch::Tensor& a, const torch::Tensor& b) { return a.le(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.le(b); }},
    {"gt", [](const torch::Tensor& a, const torch::Tensor& b) { return a.gt(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.gt(b); }},
    {"ge", [](const torch::Tensor& a, const torch::Tensor& b) { return a.ge(b); },
     [](const torch::Tensor& a, const torch::Scalar& b) { return a.ge(b); }},
    {"maximum", [](const torch::Tensor& a, const torch::Tensor& b) { return torch::maximum(a, b); }, nullptr},
    {"minimum", [](const torch::Tensor& a, const torch::Tensor& b) { return torch::minimum(a, b); }, nullptr},
    {"matmul", [](const torch::Tensor& a, const torch::Tensor& b) { return a.matmul(b); }, nullptr},
};

using UnaryOp = torch::Tensor (*)(const torch::Tensor&);

struct UnaryEntry {
  const char* name;
  UnaryOp apply;
};

const UnaryEntry kUnaryOps[] = {
    {"neg", [](const torch::Tensor& a) { return a.neg(); }},
    {"abs", [](const torch::Tensor& a) { return a.abs(); }},
    {"exp", [](const torch::Tensor& a) { return a.exp(); }},
    {"log", [](const torch::Tensor& a) { return a.log(); }},
    {"sqrt", [](const torch::Tensor& a) { return a.sqrt(); }},
    {"square", [](const torch::Tensor& a) { return a.square(); }},
    {"sign", [](const torch::Tensor& a) { return a.sign(); }},
    {"sigmoid", [](const torch::Tensor& a) { return a.sigmoid(); }},
    {"tanh", [](const torch::Tensor& a) { return a.tanh(); }},
    {"relu", [](const torch::Tensor& a) { return a.relu(); }},
    {"isnan", [](const torch::Tensor& a) { return a.isnan(); }},
    {"isfinite", [](const torch::Tensor& a) { return a.isfinite(); }},
    {"clone", [](const torch::Tensor& a) { return a.clone(); }},
    {"detach", [](const torch::Tensor& a) { return a.detach(); }},
    {"contiguous", [](const torch::Tensor& a) { return a.contiguous(); }},
    {"t", [](const torch::Tensor& a) { return a.t(); }},
    {"flatten", [](const torch::Tensor& a) { return a.flatten(); }},
};

// A reduction over all elements (dims empty) or over the given dims.
torch::Tensor reduce(const std::string& op, const torch::Tensor& t, std::vector<int64_t> dims, bool keepdim) {
  const bool all = dims.empty();
  if (all && keepdim) {
    for (int64_t d = 0; d < t.dim(); d++) dims.push_back(d);
  }
  if (op == "sum") return all && !keepdim ? t.sum() : t.sum(dims, keepdim);
  if (op == "mean") return all && !keepdim ? t.mean() : t.mean(dims, keepdim);
  if (op == "std") return all && !keepdim ? t.std() : t.std(dims, /*unbiased=*/true, keepdim);
  if (op == "var") return all && !keepdim ? t.var() : t.var(dims, /*unbiased=*/true, keepdim);
  if (op == "max" || op == "min" || op == "argmax" || op == "argmin") {
    if (dims.size() > 1 && !all) throw UsageError(op + ": takes a single dim, got " + std::to_string(dims.size()));
    if (all) {
      if (op == "max") return keepdim ? t.amax(dims, true) : t.max();
      if (op == "min") return keepdim ? t.amin(dims, true) : t.min();
      const torch::Tensor flat = op == "argmax" ? t.argmax() : t.argmin();
      return keepdim ? flat.reshape(std::vector<int64_t>(t.dim(), 1)) : flat;
    }
    const int64_t d = dims[0];
    if (op == "max") return std::get<0>(t.max(d, keepdim));
    if (op == "min") return std::get<0>(t.min(d, keepdim));
    if (op == "argmax") return t.argmax(d, keepdim);
    return t.argmin(d, keepdim);
  }
  throw UsageError("unknown reduction '" + op + "'");
}

// A list of dimension indices: any integers (negative ones count from the end), unlike a shape.
std::vector<int64_t> toDims(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw ArgumentTypeError(std::string(what) + " must be an array of integers");
  const auto array = value.As<Napi::Array>();
  std::vector<int64_t> dims(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) dims[i] = requireInt(array.Get(i), what);
  return dims;
}

std::vector<int64_t> dimsArgument(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return {};
  if (value.IsNumber()) return {requireInt(value, "dim")};
  return toDims(value, "dim");
}

// A JS number as a Scalar: integral values become integer Scalars, so that an integer tensor plus 1
// stays an integer tensor (as in torch), while 0.5 still promotes it to float.
torch::Scalar scalarOf(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9.2e18) return torch::Scalar(static_cast<int64_t>(d));
  return torch::Scalar(d);
}

}  // namespace

Napi::Function Tensor::Define(Napi::Env env) {
  return DefineClass(env, "NativeTensor",
                     {
                         InstanceMethod<&Tensor::Shape>("shape"),
                         InstanceMethod<&Tensor::Dtype>("dtype"),
                         InstanceMethod<&Tensor::Device>("device"),
                         InstanceMethod<&Tensor::Numel>("numel"),
                         InstanceMethod<&Tensor::IsDisposed>("isDisposed"),
                         InstanceMethod<&Tensor::RequiresGrad>("requiresGrad"),
                         InstanceMethod<&Tensor::SetRequiresGrad>("setRequiresGrad"),
                         InstanceMethod<&Tensor::Grad>("grad"),
                         InstanceMethod<&Tensor::ToTypedArray>("toTypedArray"),
                         InstanceMethod<&Tensor::Item>("item"),
                         InstanceMethod<&Tensor::To>("to"),
                         InstanceMethod<&Tensor::Binary>("binary"),
                         InstanceMethod<&Tensor::Unary>("unary"),
                         InstanceMethod<&Tensor::Reduce>("reduce"),
                         InstanceMethod<&Tensor::Reshape>("reshape"),
                         InstanceMethod<&Tensor::Narrow>("narrow"),
                         InstanceMethod<&Tensor::Permute>("permute"),
                         InstanceMethod<&Tensor::IndexSelect>("indexSelect"),
                         InstanceMethod<&Tensor::Backward>("backward"),
                         InstanceMethod<&Tensor::Dispose>("dispose"),
                     });
}

Tensor::Tensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tensor>(info) {}

Tensor::~Tensor() {
  // Runs in the GC finalizer or at environment teardown: give the reported bytes back.
  if (reportedBytes_) Napi::MemoryManagement::AdjustExternalMemory(Env(), -reportedBytes_);
}

Napi::Object Tensor::Wrap(Napi::Env env, torch::Tensor value) {
  Napi::Object object = addonData(env).constructor("Tensor").New({});
  ObjectWrap<Tensor>::Unwrap(object)->reset(std::move(value));
  return object;
}

bool Tensor::IsTensor(const Napi::Value& value) {
  if (!value.IsObject()) return false;
  return value.As<Napi::Object>().InstanceOf(addonData(value.Env()).constructor("Tensor"));
}

const torch::Tensor& Tensor::From(const Napi::Value& value, const char* what) {
  if (!IsTensor(value)) {
    throw ArgumentTypeError(std::string(what) + " must be a Tensor");
  }
  return ObjectWrap<Tensor>::Unwrap(value.As<Napi::Object>())->value();
}

const torch::Tensor& Tensor::value() const {
  if (!tensor_.defined()) throw UsageError("tensor has been disposed");
  return tensor_;
}

void Tensor::reset(torch::Tensor value) {
  const int64_t bytes = reportedSize(value);
  // Only this handle is dropped: other handles (views, a module's output aliasing its input,
  // a queued worker) may share the storage, so release_resources() would be wrong here.
  tensor_ = std::move(value);
  if (bytes != reportedBytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(Env(), bytes - reportedBytes_);
    reportedBytes_ = bytes;
  }
}

Napi::Value Tensor::Shape(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "shape", [&] { return fromShape(info.Env(), value().sizes()); });
}

Napi::Value Tensor::Dtype(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "dtype",
               [&] { return Napi::String::New(info.Env(), dtypeName(value().scalar_type())).As<Napi::Value>(); });
}

Napi::Value Tensor::Device(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "device",
               [&] { return Napi::String::New(info.Env(), deviceName(value().device())).As<Napi::Value>(); });
}

Napi::Value Tensor::Numel(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "numel",
               [&] { return Napi::Number::New(info.Env(), static_cast<double>(value().numel())).As<Napi::Value>(); });
}

Napi::Value Tensor::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_.defined());
}

Napi::Value Tensor::RequiresGrad(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "requiresGrad",
               [&] { return Napi::Boolean::New(info.Env(), value().requires_grad()).As<Napi::Value>(); });
}

Napi::Value Tensor::SetRequiresGrad(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "requiresGrad", [&] {
    value().requires_grad_(requireBool(info[0], "requiresGrad"));
    return info.Env().Undefined();
  });
}

Napi::Value Tensor::Grad(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "grad", [&]() -> Napi::Value {
    const torch::Tensor& grad = value().grad();
    if (!grad.defined()) return info.Env().Undefined();
    return Wrap(info.Env(), grad);
  });
}

Napi::Value Tensor::ToTypedArray(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "toArray", [&] { return typedArrayOf(info.Env(), value()); });
}

Napi::Value Tensor::Item(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "item", [&]() -> Napi::Value {
    const torch::Tensor& t = value();
    if (t.numel() != 1) {
      throw UsageError("item: tensor of shape " + shapeText(t.sizes()) + " has " + std::to_string(t.numel()) +
                       " elements, expected exactly 1");
    }
    if (t.scalar_type() == torch::kBool) return Napi::Boolean::New(info.Env(), t.item<bool>());
    return Napi::Number::New(info.Env(), t.item<double>());
  });
}

Napi::Value Tensor::To(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "to", [&] {
    torch::Tensor t = value();
    if (!info[0].IsUndefined()) t = t.to(parseDevice(requireString(info[0], "device")));
    if (!info[1].IsUndefined()) t = t.to(parseDtype(requireString(info[1], "dtype")));
    return Wrap(info.Env(), t);
  });
}

Napi::Value Tensor::Binary(const Napi::CallbackInfo& info) {
  const std::string op = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  return guard(info.Env(), op.c_str(), [&] {
    const BinaryEntry* entry = nullptr;
    for (const auto& e : kBinaryOps) {
      if (op == e.name) entry = &e;
    }
    if (!entry) throw UsageError("unknown binary operation '" + op + "'");
    const torch::Tensor& self = value();
    if (info[1].IsNumber() && entry->withScalar) {
      return Wrap(info.Env(), entry->withScalar(self, scalarOf(info[1].As<Napi::Number>().DoubleValue())));
    }
    const torch::Tensor& other = From(info[1], "other");
    try {
      return Wrap(info.Env(), entry->withTensor(self, other));
    } catch (const c10::Error& e) {
      throw UsageError(op + ": shapes " + shapeText(self.sizes()) + " and " + shapeText(other.sizes()) +
                       " do not fit (" + describeFailure("libtorch", e) + ")");
    }
  });
}

Napi::Value Tensor::Unary(const Napi::CallbackInfo& info) {
  const std::string op = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  return guard(info.Env(), op.c_str(), [&] {
    for (const auto& e : kUnaryOps) {
      if (op == e.name) return Wrap(info.Env(), e.apply(value()));
    }
    throw UsageError("unknown unary operation '" + op + "'");
  });
}

Napi::Value Tensor::Reduce(const Napi::CallbackInfo& info) {
  const std::string op = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  return guard(info.Env(), op.c_str(), [&] {
    const bool keepdim = info[2].IsUndefined() ? false : requireBool(info[2], "keepdim");
    return Wrap(info.Env(), reduce(op, value(), dimsArgument(info[1]), keepdim));
  });
}

Napi::Value Tensor::Reshape(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "reshape", [&] {
    const torch::Tensor& self = value();
    const auto shape = toShape(info[0], "shape");
    try {
      return Wrap(info.Env(), self.reshape(shape));
    } catch (const std::exception&) {  // c10::Error, or std::runtime_error from 1.13's infer_size
      throw UsageError("reshape: cannot reshape a tensor of shape " + shapeText(self.sizes()) + " (" +
                       std::to_string(self.numel()) + " elements) to " + shapeText(shape));
    }
  });
}

Napi::Value Tensor::Narrow(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "narrow", [&] {
    return Wrap(info.Env(), value().narrow(requireInt(info[0], "dim"), requireInt(info[1], "start"),
                                           requireInt(info[2], "length")));
  });
}

Napi::Value Tensor::Permute(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "permute", [&] {
    const torch::Tensor& self = value();
    const auto dims = toDims(info[0], "dims");
    if (static_cast<int64_t>(dims.size()) != self.dim()) {
      throw UsageError("permute: " + std::to_string(dims.size()) + " dims given for a tensor of shape " +
                       shapeText(self.sizes()));
    }
    return Wrap(info.Env(), self.permute(dims));
  });
}

Napi::Value Tensor::IndexSelect(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "index", [&] {
    const torch::Tensor& index = From(info[1], "index");
    if (index.scalar_type() != torch::kInt64 && index.scalar_type() != torch::kInt32) {
      throw UsageError("index: the index must be an int64 or int32 tensor, got " + dtypeName(index.scalar_type()));
    }
    return Wrap(info.Env(), value().index_select(requireInt(info[0], "dim"), index.flatten()));
  });
}

Napi::Value Tensor::Backward(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "backward", [&] {
    if (info[0].IsUndefined()) {
      value().backward();
    } else {
      value().backward(From(info[0], "gradient"));
    }
    return info.Env().Undefined();
  });
}

Napi::Value Tensor::Dispose(const Napi::CallbackInfo& info) {
  reset(torch::Tensor());
  return info.Env().Undefined();
}

namespace {

Napi::Value FromTypedArray(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "tensor", [&] {
    if (!info[0].IsTypedArray()) throw ArgumentTypeError("data must be a TypedArray");
    const auto array = info[0].As<Napi::TypedArray>();
    const auto shape = toShape(info[1], "shape");
    const auto dtype = parseDtype(requireString(info[2], "dtype"));
    int64_t numel = 1;
    for (const int64_t d : shape) numel *= d;
    const size_t itemSize = elementSize(array.TypedArrayType());
    if (itemSize != c10::elementSize(dtype)) {
      throw UsageError("tensor: a " + std::to_string(itemSize) + "-byte TypedArray cannot hold " + dtypeName(dtype));
    }
    if (static_cast<int64_t>(array.ElementLength()) != numel) {
      throw UsageError("tensor: " + std::to_string(array.ElementLength()) + " values do not fill shape " +
                       shapeText(shape) + " (" + std::to_string(numel) + " elements)");
    }
    auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    torch::Tensor t = numel ? torch::from_blob(data, shape, torch::TensorOptions().dtype(dtype)).clone()
                            : torch::empty(shape, torch::TensorOptions().dtype(dtype));
    if (!info[3].IsUndefined()) t = t.to(parseDevice(requireString(info[3], "device")));
    return Tensor::Wrap(info.Env(), t);
  });
}

torch::TensorOptions optionsFrom(const Napi::Value& dtype, const Napi::Value& device) {
  auto options = torch::TensorOptions().dtype(parseDtype(requireString(dtype, "dtype")));
  if (!device.IsUndefined()) options = options.device(parseDevice(requireString(device, "device")));
  return options;
}

// full(shape, value, dtype, device?)
Napi::Value Full(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "full", [&] {
    return Tensor::Wrap(info.Env(), torch::full(toShape(info[0], "shape"), requireNumber(info[1], "value"),
                                                optionsFrom(info[2], info[3])));
  });
}

// random(kind, shape, dtype, device?): kind 'normal' or 'uniform'
Napi::Value Random(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "random", [&] {
    const std::string kind = requireString(info[0], "kind");
    const auto shape = toShape(info[1], "shape");
    const auto options = optionsFrom(info[2], info[3]);
    if (kind == "normal") return Tensor::Wrap(info.Env(), torch::randn(shape, options));
    if (kind == "uniform") return Tensor::Wrap(info.Env(), torch::rand(shape, options));
    throw UsageError("unknown random kind '" + kind + "'");
  });
}

// arange(end, dtype, device?)
Napi::Value Arange(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "arange", [&] {
    return Tensor::Wrap(info.Env(), torch::arange(requireNumber(info[0], "end"), optionsFrom(info[1], info[2])));
  });
}

// randperm(n, device?): int64
Napi::Value Randperm(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "randperm", [&] {
    return Tensor::Wrap(info.Env(), torch::randperm(requireInt(info[0], "n"),
                                                    optionsFrom(Napi::String::New(info.Env(), "int64"), info[1])));
  });
}

// cat(tensors, dim)
Napi::Value Cat(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "cat", [&] {
    if (!info[0].IsArray()) throw ArgumentTypeError("tensors must be an array of Tensors");
    const auto array = info[0].As<Napi::Array>();
    std::vector<torch::Tensor> parts;
    for (uint32_t i = 0; i < array.Length(); i++) parts.push_back(Tensor::From(array.Get(i), "tensors[i]"));
    if (parts.empty()) throw UsageError("cat: needs at least one tensor");
    const int64_t dim = requireInt(info[1], "dim");
    try {
      return Tensor::Wrap(info.Env(), torch::cat(parts, dim));
    } catch (const c10::Error& e) {
      std::string shapes;
      for (const auto& p : parts) shapes += (shapes.empty() ? "" : ", ") + shapeText(p.sizes());
      throw UsageError("cat: shapes " + shapes + " cannot be joined along dim " + std::to_string(dim) + " (" +
                       describeFailure("libtorch", e) + ")");
    }
  });
}

}  // namespace

void defineTensorExports(Napi::Env env, Napi::Object exports, AddonData& data) {
  data.constructors["Tensor"] = Napi::Persistent(Tensor::Define(env));
  exports.Set("NativeTensor", data.constructors["Tensor"].Value());
  exports.Set("fromTypedArray", Napi::Function::New<FromTypedArray>(env, "fromTypedArray"));
  exports.Set("full", Napi::Function::New<Full>(env, "full"));
  exports.Set("random", Napi::Function::New<Random>(env, "random"));
  exports.Set("arange", Napi::Function::New<Arange>(env, "arange"));
  exports.Set("randperm", Napi::Function::New<Randperm>(env, "randperm"));
  exports.Set("cat", Napi::Function::New<Cat>(env, "cat"));
}

TORCHNODE_EXPORTS(tensor, defineTensorExports);

}  // namespace torchnode
