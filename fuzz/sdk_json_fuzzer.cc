// The policy SDK's JSON parser (sdk/cpp/include/kubewarden/json.h), built natively: whatever it
// accepts must serialize to text it parses back to an equal tree, and whatever our host parser
// (Boost.JSON) accepts the SDK must accept too.
#include <cstdint>
#include <string_view>

#include "base/json.h"
#include "kubewarden/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kubewarden::json::Document doc;
  kubewarden::json::Value* value = doc.Parse(text);
  if (value != nullptr) {
    std::string again = kubewarden::json::Serialize(*value);
    kubewarden::json::Document doc2;
    kubewarden::json::Value* value2 = doc2.Parse(again);
    if (value2 == nullptr || !kubewarden::json::Equal(*value, *value2)) __builtin_trap();
  } else if (kw::ParseJson(text)) {
    // The host sends policies JSON it parsed itself; the SDK must never refuse it.
    __builtin_trap();
  }
  return 0;
}
