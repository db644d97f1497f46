// Untrusted metadata: the JSON of the custom section and metadata.yml files.
#include <cstdint>
#include <string_view>

#include "base/json.h"
#include "policy/annotate.h"
#include "policy/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto json = kw::ParseJson(text)) {
    if (auto metadata = kw::policy::MetadataFromJson(*json)) {
      (void)kw::policy::ValidateMetadata(*metadata);
      // What we write must read back the same.
      auto again = kw::policy::MetadataFromJson(kw::policy::MetadataToJson(*metadata));
      if (!again || !(*again == *metadata)) __builtin_trap();
    }
  }
  (void)kw::policy::MetadataFromYaml(text);
  return 0;
}
