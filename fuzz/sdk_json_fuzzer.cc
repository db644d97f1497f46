// The policy SDK's JSON parser (sdk/cpp/include/kubewarden/json.h), built natively: whatever it
// accepts must serialize to text it parses back to an equal tree, and whatever our host parser
// (Boost.JSON) accepts the SDK must accept too. Read on demand (ParseOnDemand), the same text
// must give the same tree when valid, and an error (at once or when read) when not.
#include <cstdint>
#include <string_view>

#include "base/json.h"
#include "kubewarden/json.h"

namespace {

namespace json = kubewarden::json;

// Reads every container of `value` (each read parses one more level on demand).
void ReadAll(const json::Value& value) {
  for (const json::Value& child : value) ReadAll(child);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json::Document doc;
  json::Value* value = doc.Parse(text);
  json::Document lazy_doc;
  json::Value* lazy = lazy_doc.ParseOnDemand(text);
  if (value != nullptr) {
    std::string again = json::Serialize(*value);
    json::Document doc2;
    json::Value* value2 = doc2.Parse(again);
    if (value2 == nullptr || !json::Equal(*value, *value2)) __builtin_trap();
    // Unread containers are written as they were read: still the same tree.
    if (lazy == nullptr) __builtin_trap();
    std::string written = json::Serialize(*lazy);
    json::Document doc3;
    json::Value* value3 = doc3.Parse(written);
    if (value3 == nullptr || !json::Equal(*value, *value3)) __builtin_trap();
    if (!json::Equal(*value, *lazy) || !lazy_doc.deferred_error().empty()) __builtin_trap();
  } else {
    if (kw::ParseJson(text)) {
      // The host sends policies JSON it parsed itself; the SDK must never refuse it.
      __builtin_trap();
    }
    if (lazy != nullptr) {
      ReadAll(*lazy);
      if (lazy_doc.deferred_error().empty()) __builtin_trap();
    }
  }
  return 0;
}
