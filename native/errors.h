// The error boundary: no C++ exception may cross into node (it would abort the process), so every
// native entry point runs its body through guard(), which turns libtorch's errors and ours into JS
// Errors that name the torchnode operation and carry the first line of the underlying message.
#pragma once

#include <napi.h>

#include <exception>
#include <string>

namespace torchnode {

// "<op>: <first line of the message>"; c10::Error's backtrace is dropped.
std::string describeFailure(const char* op, const std::exception& error);

// An error raised by torchnode itself (bad argument value, disposed tensor): becomes a plain JS Error.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A wrong argument type: becomes a JS TypeError.
class ArgumentTypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void rethrowAsJs(Napi::Env env, const char* op);

template <typename Fn>
auto guard(Napi::Env env, const char* op, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    rethrowAsJs(env, op);
  }
}

}  // namespace torchnode
