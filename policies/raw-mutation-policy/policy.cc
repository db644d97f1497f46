// raw-mutation-policy (policies-more.md §25): a raw request {"user", "action", "resource"}
// whose resource is forbidden is rewritten to the default resource. It exists to exercise raw
// mutation (`kwctl run --raw`, policy-server /validate_raw) in the waPC execution mode. Upstream
// is written in Go: decoding follows encoding/json, strictly for the validate payload.
#include <kubewarden/kubewarden.h>

#include "../common/raw_mutation.h"

namespace kw = kubewarden;
using kw_policies::RawMutationSettings;

namespace {

constexpr kw_policies::RawMutationMessages kMessages = {"defaultResource cannot be empty",
                                                        "defaultResource cannot be forbidden"};

// The payload is decoded whole, as one Go struct (unknown top-level keys count), so this
// handler parses it itself instead of through kw::ValidationRequest.
kw::ValidationResponse Check(kw::json::Document& doc, std::string_view payload) {
  RawMutationSettings settings;
  std::string error;
  kw_policies::RawRequest raw = kw_policies::ParseRawPayload(
      doc, payload, error, [&](const kw::json::Value& value, std::string& e) {
        kw_policies::DecodeRawMutationSettings(value, "settings", /*strict=*/true, settings, e);
      });
  if (!error.empty()) return kw::Reject(error, 400);
  if (!settings.Forbids(raw.resource)) return kw::Accept();
  return kw::Mutate(*kw_policies::MutatedRawRequest(doc, raw, settings));
}

bool Validate(std::string_view payload, std::string& out) {
  kw::json::Document doc;
  out = Check(doc, payload).ToJson();
  return true;
}

bool ValidateSettings(std::string_view payload, std::string& out) {
  kw::json::Document doc;
  RawMutationSettings settings;
  std::string error =
      kw_policies::GoParseSettings(doc, payload, [&](const kw::json::Value& v, std::string& e) {
        kw_policies::DecodeRawMutationSettings(v, "", /*strict=*/false, settings, e);
      });
  if (error.empty()) {
    if (auto problem = kw_policies::CheckRawMutationSettings(settings, kMessages)) error = *problem;
  }
  out = error.empty() ? kw::SettingsValid().ToJson()
                      : kw::SettingsInvalid("Provided settings are not valid: " + error).ToJson();
  return true;
}

void Register() {
  kw::wapc::RegisterFunction("validate", Validate);
  kw::wapc::RegisterFunction("validate_settings", ValidateSettings);
}

}  // namespace

KUBEWARDEN_WAPC_GUEST(Register)
