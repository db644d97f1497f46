// Untrusted configuration files (policies.yml, settings, metadata.yml, CRs) through the YAML
// reader; whatever it accepts must survive the JSON → YAML → JSON round trip.
#include <cstdint>
#include <string_view>

#include "base/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kw::ParseYamlDocumentsAsJson(text);
  if (auto value = kw::ParseYamlAsJson(text)) {
    auto again = kw::ParseYamlAsJson(kw::JsonToYaml(*value));
    if (!again || *again != *value) __builtin_trap();
  }
  return 0;
}
