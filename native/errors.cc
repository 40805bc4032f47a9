#include "errors.h"

#include <c10/util/Exception.h>

namespace torchnode {

namespace {

std::string firstLine(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

std::string describeFailure(const char* op, const std::exception& error) {
  if (const auto* c10Error = dynamic_cast<const c10::Error*>(&error)) {
    return std::string(op) + ": " + firstLine(c10Error->what_without_backtrace());
  }
  return std::string(op) + ": " + firstLine(error.what());
}

void rethrowAsJs(Napi::Env env, const char* op) {
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgumentTypeError& e) {
    throw Napi::TypeError::New(env, describeFailure(op, e));
  } catch (const UsageError& e) {
    // Messages of our own are complete sentences already and are tested verbatim.
    throw Napi::Error::New(env, e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, describeFailure(op, e));
  } catch (...) {
    throw Napi::Error::New(env, std::string(op) + ": unknown native error");
  }
}

}  // namespace torchnode
