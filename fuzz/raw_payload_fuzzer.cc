// The raw test policies' payload decoding (policies/common: encoding/json's strict decoding of
// {"request": {"user", "action", "resource"}, "settings": {...}} and its error texts), built
// natively over hostile payloads. A payload that decodes must give a mutation that serializes
// to JSON holding exactly the three strings; one that does not must say why.
#include <cstdint>
#include <string>
#include <string_view>

#include "../policies/common/raw_mutation.h"
#include "../policies/common/raw_request.h"

namespace kw = kubewarden;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kw::json::Document doc;
  kw_policies::RawMutationSettings settings;
  std::string error;
  kw_policies::RawRequest request = kw_policies::ParseRawPayload(
      doc, text, error, [&](const kw::json::Value& value, std::string& e) {
        kw_policies::DecodeRawMutationSettings(value, "settings", /*strict=*/true, settings, e);
      });
  const kw::json::Value* root = doc.Parse(text);
  if (root == nullptr && error.empty()) __builtin_trap();  // not JSON, yet no error
  if (!error.empty()) return 0;
  std::string mutated =
      kw::json::Serialize(*kw_policies::MutatedRawRequest(doc, request, settings));
  kw::json::Document check;
  const kw::json::Value* object = check.Parse(mutated);
  if (object == nullptr || object->size() != 3 || object->GetString("user") != request.user ||
      object->GetString("resource") != settings.default_resource) {
    __builtin_trap();
  }

  // The bare settings as validate-settings reads them, leniently.
  kw::json::Document settings_doc;
  kw_policies::RawMutationSettings lenient;
  std::string settings_error = kw_policies::GoParseSettings(
      settings_doc, text, [&](const kw::json::Value& v, std::string& e) {
        kw_policies::DecodeRawMutationSettings(v, "", /*strict=*/false, lenient, e);
      });
  (void)settings_error;
  return 0;
}
