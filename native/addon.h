// Per-environment state and the registry through which each concept's file adds its exports.
// Each worker thread that loads torchnode gets its own instance (Napi::Addon), so the addon is
// context-aware.
#pragma once

#include <napi.h>

#include <string>
#include <unordered_map>

namespace torchnode {

struct AddonData {
  // Constructors of the ObjectWrap classes, by class name ("Tensor", "Module", ...).
  std::unordered_map<std::string, Napi::FunctionReference> constructors;

  Napi::Function constructor(const std::string& name) const;
};

AddonData& addonData(Napi::Env env);

// A file that defines exports registers them once with TORCHNODE_EXPORTS(name, fn); addon.cc calls
// every registered function when an environment loads the addon. No central list to edit.
using ExportsDefiner = void (*)(Napi::Env env, Napi::Object exports, AddonData& data);

struct ExportsRegistration {
  ExportsRegistration(const char* name, ExportsDefiner define);
};

#define TORCHNODE_EXPORTS(name, fn) static const ::torchnode::ExportsRegistration torchnode_exports_##name(#name, fn)

}  // namespace torchnode
