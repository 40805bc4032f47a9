// Addon registration: one Napi::Addon instance per environment, filled by every registered file.
#include "addon.h"

#include <utility>
#include <vector>

namespace torchnode {

namespace {

std::vector<std::pair<const char*, ExportsDefiner>>& registry() {
  static std::vector<std::pair<const char*, ExportsDefiner>> definers;
  return definers;
}

}  // namespace

ExportsRegistration::ExportsRegistration(const char* name, ExportsDefiner define) {
  registry().emplace_back(name, define);
}

Napi::Function AddonData::constructor(const std::string& name) const {
  const auto found = constructors.find(name);
  if (found == constructors.end()) throw std::logic_error("torchnode: class " + name + " is not registered");
  return found->second.Value();
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    for (const auto& [name, define] : registry()) define(env, exports, data_);
  }

  AddonData data_;
};

AddonData& addonData(Napi::Env env) {
  return env.GetInstanceData<Addon>()->data_;
}

}  // namespace torchnode

using torchnode::Addon;
NODE_API_ADDON(Addon)
