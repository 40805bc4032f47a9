// CIFAR-10 binary-format decoding: records of one label byte then 1,024 R, 1,024 G and 1,024 B bytes
// (row-major 32x32) become a uint8 image tensor and an int64 label tensor in one pass. File reading,
// size and label checks live in lib/data (TS); this is only the hot byte shuffle.
#include <ATen/Parallel.h>
#include <napi.h>
#include <torch/types.h>

#include <cstring>

#include "addon.h"
#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchnode {

namespace {

constexpr int64_t kPixels = 32 * 32;
constexpr int64_t kImageBytes = 3 * kPixels;
constexpr int64_t kRecordBytes = 1 + kImageBytes;

// cifarDecode(data: Uint8Array, records: number, layout: 'hwc' | 'chw') -> [x uint8, y int64]
// x is [records, 32, 32, 3] for 'hwc', [records, 3, 32, 32] for 'chw'.
Napi::Value CifarDecode(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "cifarDecode", [&] {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw ArgumentTypeError("data must be a Uint8Array");
    }
    const auto array = info[0].As<Napi::TypedArray>();
    const int64_t records = requireInt(info[1], "records");
    const std::string layout = requireString(info[2], "layout");
    if (layout != "hwc" && layout != "chw") {
      throw UsageError("cifarDecode: layout must be 'hwc' or 'chw', got '" + layout + "'");
    }
    if (records < 0 || static_cast<int64_t>(array.ByteLength()) != records * kRecordBytes) {
      throw UsageError("cifarDecode: " + std::to_string(array.ByteLength()) + " bytes are not " +
                       std::to_string(records) + " records of " + std::to_string(kRecordBytes) + " bytes");
    }
    const uint8_t* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    const bool hwc = layout == "hwc";
    torch::Tensor x =
        torch::empty(hwc ? std::vector<int64_t>{records, 32, 32, 3} : std::vector<int64_t>{records, 3, 32, 32},
                     torch::TensorOptions().dtype(torch::kUInt8));
    torch::Tensor y = torch::empty({records}, torch::TensorOptions().dtype(torch::kInt64));
    uint8_t* out = x.data_ptr<uint8_t>();
    int64_t* labels = y.data_ptr<int64_t>();
    at::parallel_for(0, records, 256, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        const uint8_t* record = src + i * kRecordBytes;
        uint8_t* image = out + i * kImageBytes;
        labels[i] = record[0];
        const uint8_t* r = record + 1;
        if (!hwc) {
          std::memcpy(image, r, kImageBytes);
          continue;
        }
        const uint8_t* g = r + kPixels;
        const uint8_t* b = g + kPixels;
        for (int64_t p = 0; p < kPixels; p++) {
          image[3 * p] = r[p];
          image[3 * p + 1] = g[p];
          image[3 * p + 2] = b[p];
        }
      }
    });
    Napi::Array result = Napi::Array::New(info.Env(), 2);
    result.Set(0u, Tensor::Wrap(info.Env(), x));
    result.Set(1u, Tensor::Wrap(info.Env(), y));
    return result;
  });
}

void defineCifarExports(Napi::Env env, Napi::Object exports, AddonData&) {
  exports.Set("cifarDecode", Napi::Function::New<CifarDecode>(env, "cifarDecode"));
}

}  // namespace

TORCHNODE_EXPORTS(cifar, defineCifarExports);

}  // namespace torchnode
