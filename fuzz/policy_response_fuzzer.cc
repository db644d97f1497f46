// Untrusted policy output: what a guest answers to validate and validate_settings, and the
// AdmissionResponse an OPA policy returns. Whatever parses must serialize to valid JSON.
#include <cstdint>
#include <string_view>

#include "admission/response.h"
#include "base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto response = kw::admission::ParsePolicyValidationResponse(text)) {
    auto admission = kw::admission::FromPolicyResponse("uid", std::move(*response), nullptr);
    if (admission && !kw::ParseJson(kw::admission::AdmissionReviewJson(*admission))) {
      __builtin_trap();
    }
  }
  (void)kw::admission::ParseSettingsValidationResponse(text);
  if (auto json = kw::ParseJson(text)) {
    if (auto opa = kw::admission::AdmissionResponseFromJson(*json)) {
      if (!kw::ParseJson(kw::admission::AdmissionReviewJson(*opa))) __builtin_trap();
    }
  }
  return 0;
}
