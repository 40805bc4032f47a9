// CIFAR-10 binary batch files into tensors, off the event loop. A record is one label byte, then 1,024 red,
// 1,024 green and 1,024 blue bytes (row-major 32x32 planes). Each file is read in small chunks (kept in cache)
// and decoded straight into the output tensor: no whole-file buffer, one pass. lib/data (TS) checks the file
// sizes first and turns a bad label reported here into its error message.
#include <ATen/Parallel.h>
#include <napi.h>
#include <torch/types.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "async_task.h"
#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchnode {

namespace {

constexpr int64_t kPixels = 32 * 32;
constexpr int64_t kImageBytes = 3 * kPixels;
constexpr int64_t kRecordBytes = 1 + kImageBytes;
constexpr int64_t kChunkRecords = 256;  // ~790 KB read at a time
constexpr int64_t kClasses = 10;

struct ReadState {
  std::vector<std::string> paths;
  int64_t recordsPerFile = 0;
  bool hwc = true;
  torch::Tensor x;
  torch::Tensor y;
  std::vector<std::string> errors;  // per file, empty when fine
  std::vector<int64_t> badRecord;   // per file, -1 when all labels are fine
  std::vector<int64_t> badLabel;
};

void decode(const uint8_t* record, uint8_t* image, bool hwc) {
  const uint8_t* r = record + 1;
  if (!hwc) {
    std::memcpy(image, r, kImageBytes);
    return;
  }
  const uint8_t* g = r + kPixels;
  const uint8_t* b = g + kPixels;
  for (int64_t p = 0; p < kPixels; p++) {
    image[3 * p] = r[p];
    image[3 * p + 1] = g[p];
    image[3 * p + 2] = b[p];
  }
}

void readFile(ReadState& s, size_t f) {
  std::FILE* file = std::fopen(s.paths[f].c_str(), "rb");
  if (!file) {
    s.errors[f] = "cannot open " + s.paths[f] + ": " + std::strerror(errno);
    return;
  }
  std::vector<uint8_t> chunk(kChunkRecords * kRecordBytes);
  uint8_t* images = s.x.data_ptr<uint8_t>() + static_cast<int64_t>(f) * s.recordsPerFile * kImageBytes;
  int64_t* labels = s.y.data_ptr<int64_t>() + static_cast<int64_t>(f) * s.recordsPerFile;
  for (int64_t start = 0; start < s.recordsPerFile; start += kChunkRecords) {
    const int64_t count = std::min(kChunkRecords, s.recordsPerFile - start);
    const size_t want = static_cast<size_t>(count * kRecordBytes);
    if (std::fread(chunk.data(), 1, want, file) != want) {
      s.errors[f] = s.paths[f] + " ended before record " + std::to_string(start + count) + " while being read";
      break;
    }
    for (int64_t i = 0; i < count; i++) {
      const uint8_t* record = chunk.data() + i * kRecordBytes;
      if (record[0] >= kClasses) {
        s.badRecord[f] = start + i;
        s.badLabel[f] = record[0];
        std::fclose(file);
        return;
      }
      labels[start + i] = record[0];
      decode(record, images + (start + i) * kImageBytes, s.hwc);
    }
  }
  std::fclose(file);
}

// cifarRead(paths: string[], recordsPerFile: number, layout: 'hwc' | 'chw')
//   -> Promise<{ x, y } | { badFile, badRecord, badLabel }>
// x uint8 [files * recordsPerFile, 32, 32, 3] ('hwc') or [.., 3, 32, 32]
// ('chw'), y int64; files in order.
Napi::Value CifarRead(const Napi::CallbackInfo& info) {
  return guard(info.Env(), "cifarRead", [&] {
    if (!info[0].IsArray()) throw ArgumentTypeError("paths must be an array of strings");
    auto state = std::make_shared<ReadState>();
    const auto paths = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < paths.Length(); i++) state->paths.push_back(requireString(paths.Get(i), "paths[i]"));
    state->recordsPerFile = requireInt(info[1], "recordsPerFile");
    if (state->recordsPerFile < 1) throw UsageError("cifarRead: recordsPerFile must be positive");
    const std::string layout = requireString(info[2], "layout");
    if (layout != "hwc" && layout != "chw") {
      throw UsageError("cifarRead: layout must be 'hwc' or 'chw', got '" + layout + "'");
    }
    state->hwc = layout == "hwc";
    const size_t files = state->paths.size();
    state->errors.resize(files);
    state->badRecord.assign(files, -1);
    state->badLabel.assign(files, 0);
    return AsyncTask::Start(
        info.Env(), "cifarRead", {},
        [state] {
          ReadState& s = *state;
          const int64_t n = static_cast<int64_t>(s.paths.size()) * s.recordsPerFile;
          const auto bytes = torch::TensorOptions().dtype(torch::kUInt8);
          s.x = s.hwc ? torch::empty({n, 32, 32, 3}, bytes) : torch::empty({n, 3, 32, 32}, bytes);
          s.y = torch::empty({n}, torch::TensorOptions().dtype(torch::kInt64));
          // One file per task; readFile records its failures instead of throwing across threads.
          at::parallel_for(0, static_cast<int64_t>(s.paths.size()), 1, [&](int64_t begin, int64_t end) {
            for (int64_t f = begin; f < end; f++) readFile(s, static_cast<size_t>(f));
          });
          for (const auto& error : s.errors) {
            if (!error.empty()) throw UsageError("cifarRead: " + error);
          }
        },
        [state](Napi::Env env) -> Napi::Value {
          ReadState& s = *state;
          Napi::Object result = Napi::Object::New(env);
          for (size_t f = 0; f < s.paths.size(); f++) {
            if (s.badRecord[f] >= 0) {
              result.Set("badFile", Napi::Number::New(env, static_cast<double>(f)));
              result.Set("badRecord", Napi::Number::New(env, static_cast<double>(s.badRecord[f])));
              result.Set("badLabel", Napi::Number::New(env, static_cast<double>(s.badLabel[f])));
              s.x = torch::Tensor();
              s.y = torch::Tensor();
              return result;
            }
          }
          result.Set("x", Tensor::Wrap(env, s.x));
          result.Set("y", Tensor::Wrap(env, s.y));
          s.x = torch::Tensor();
          s.y = torch::Tensor();
          return result;
        });
  });
}

void defineCifarExports(Napi::Env env, Napi::Object exports, AddonData&) {
  exports.Set("cifarRead", Napi::Function::New<CifarRead>(env, "cifarRead"));
}

}  // namespace

TORCHNODE_EXPORTS(cifar, defineCifarExports);

}  // namespace torchnode
