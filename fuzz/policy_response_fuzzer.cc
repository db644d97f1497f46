// Untrusted policy output: what a guest answers to validate and validate_settings, and the
// AdmissionResponse an OPA policy returns. Whatever parses must serialize to valid JSON, and a
// mutated object's patch, applied to the original object, must give the mutated object back.
#include <cstdint>
#include <string>
#include <string_view>

#include "admission/json_patch.h"
#include "admission/response.h"
#include "base/base64.h"
#include "base/json.h"

namespace {

constexpr std::string_view kOriginal =
    R"({"kind":"Pod","metadata":{"name":"p","labels":{"a":"1"}},"spec":{"containers":[)"
    R"({"name":"c","image":"nginx","ports":[{"containerPort":80}]}],"n":1.5}})";

// The patch of `admission` must turn kOriginal into `mutated` (compared as Boost.JSON values,
// so with the same number semantics as the diff).
void CheckPatch(const kw::admission::AdmissionResponse& admission, std::string_view mutated) {
  auto want = kw::ParseJson(mutated);
  // simdjson reads 0e9999999999 and 1e-9999999999 as zero; Boost refuses an exponent beyond
  // INT_MAX: the one known disagreement of the two parsers.
  if (!want && want.error().message.find("exponent overflow") != std::string::npos) return;
  auto original = kw::ParseJson(kOriginal);
  if (!want || !original) __builtin_trap();
  kw::json::value patched = *original;
  if (admission.patch) {
    auto bytes = kw::Base64Decode(*admission.patch);
    if (!bytes) __builtin_trap();
    auto ops = kw::ParseJson(*bytes);
    if (!ops || !ops->is_array()) __builtin_trap();
    if (!kw::admission::ApplyPatchInPlace(patched, ops->as_array())) __builtin_trap();
  }
  if (patched != *want) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto response = kw::admission::ParsePolicyValidationResponse(text)) {
    const std::optional<std::string> mutated = response->mutated_object;
    auto admission = kw::admission::FromPolicyResponse("uid", std::move(*response), kOriginal);
    if (admission && !kw::ParseJson(kw::admission::AdmissionReviewJson(*admission))) {
      __builtin_trap();
    }
    if (admission && mutated) CheckPatch(*admission, *mutated);
  }
  (void)kw::admission::ParseSettingsValidationResponse(text);
  if (auto json = kw::ParseJson(text)) {
    if (auto opa = kw::admission::AdmissionResponseFromJson(*json)) {
      if (!kw::ParseJson(kw::admission::AdmissionReviewJson(*opa))) __builtin_trap();
    }
  }
  return 0;
}
