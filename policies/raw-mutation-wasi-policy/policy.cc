// raw-mutation-wasi-policy (policies-more.md §26): a raw request {"user", "action",
// "resource"} whose resource is forbidden is rewritten to the default resource. It exists to
// exercise raw mutation in the WASI execution mode, so it is a WASI command module
// (policies/common/wasi_command.h). Upstream is written in Go: decoding follows encoding/json,
// strictly for the validate payload.
#include <kubewarden/json.h>
#include <kubewarden/response.h>

#include "../common/raw_mutation.h"
#include "../common/wasi_command.h"

namespace kw = kubewarden;
using kw_policies::RawMutationSettings;

namespace {

constexpr kw_policies::RawMutationMessages kMessages = {"default resource cannot be empty",
                                                        "default resource cannot be forbidden"};

std::expected<std::string, std::string> ValidateSettings(std::string_view input) {
  kw::json::Document doc;
  RawMutationSettings settings;
  std::string error =
      kw_policies::GoParseSettings(doc, input, [&](const kw::json::Value& v, std::string& e) {
        kw_policies::DecodeRawMutationSettings(v, "", /*strict=*/false, settings, e);
      });
  if (!error.empty()) return kw::SettingsInvalid("cannot unmarshal settings: " + error).ToJson();
  if (auto problem = kw_policies::CheckRawMutationSettings(settings, kMessages)) {
    return kw::SettingsInvalid(*problem).ToJson();
  }
  return kw::SettingsValid().ToJson();
}

kw::ValidationResponse Check(kw::json::Document& doc, std::string_view input) {
  constexpr std::string_view kDecodeError = "Error deserializing validation request: ";
  RawMutationSettings settings;
  std::string error;
  kw_policies::RawRequest request = kw_policies::ParseRawPayload(
      doc, input, error, [&](const kw::json::Value& value, std::string& e) {
        kw_policies::DecodeRawMutationSettings(value, "settings", /*strict=*/true, settings, e);
      });
  if (!error.empty()) return kw::Reject(std::string(kDecodeError) + error, 400);
  if (!settings.Forbids(request.resource)) return kw::Accept();
  return kw::Mutate(*kw_policies::MutatedRawRequest(doc, request, settings));
}

}  // namespace

int main(int argc, char** argv) {
  return kw_policies::wasi::Run(argc, argv, kw_policies::wasi::Respond<Check>, ValidateSettings);
}
