// Untrusted configuration files (policies.yml, settings, metadata.yml, policy resources) through
// the YAML reader; whatever it accepts must survive the JSON → YAML → JSON round trip. The same
// text goes through the policy model's two parsers (policies.yml and policy resources), which
// must never accept an id or member name that policy-server could not route.
#include <cstdint>
#include <string_view>
#include <variant>

#include "base/yaml.h"
#include "policy/policies_config.h"

namespace {

void CheckRoutable(const kw::Result<kw::policy::PoliciesConfig>& config) {
  if (!config) return;
  for (const auto& d : config->definitions) {
    if (d.id.find('/') != std::string::npos) __builtin_trap();
    if (const auto* g = std::get_if<kw::policy::GroupEntry>(&d.entry)) {
      if (g->members.empty()) __builtin_trap();
      for (const auto& [name, member] : g->members) {
        if (name.find('/') != std::string::npos) __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kw::ParseYamlDocumentsAsJson(text);
  if (auto value = kw::ParseYamlAsJson(text)) {
    auto again = kw::ParseYamlAsJson(kw::JsonToYaml(*value));
    if (!again || *again != *value) __builtin_trap();
  }
  CheckRoutable(kw::policy::ParsePoliciesConfig(text, "policies.yml"));
  CheckRoutable(kw::policy::ParsePolicyResources(text, "policies.yaml"));
  return 0;
}
