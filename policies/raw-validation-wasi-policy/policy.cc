// raw-validation-wasi-policy (policies-more.md §24): accepts a raw request {"user", "action",
// "resource"} only when all three are listed in the settings. It exists to exercise raw
// validation in the WASI execution mode, so it is a WASI command module (policies/common/
// wasi_command.h). Upstream is written in Go: decoding follows encoding/json, strictly for the
// validate payload.
#include <kubewarden/go_json.h>
#include <kubewarden/json.h>
#include <kubewarden/response.h>

#include <vector>

#include "../common/raw_request.h"
#include "../common/wasi_command.h"

namespace kw = kubewarden;

namespace {

using Settings = kw_policies::RawValidationSettings;

// Decodes the settings object found at JSON path `path` ("" for validate-settings' bare
// settings, "settings" inside the validate payload).
void DecodeSettings(const kw::json::Value& value, std::string_view path, bool strict,
                    Settings& settings, std::string& error) {
  static constexpr std::string_view kFields[] = {"validUsers", "validActions", "validResources"};
  std::string where =
      path.empty() ? std::string() : kw_policies::GoFieldPath("ValidationRequest", "", path);
  kw_policies::GoDecodeStruct(
      value, {where, "main.Settings"}, {kFields[0], kFields[1], kFields[2]}, strict, error,
      [&](std::size_t field, const kw::json::Value& v) {
        std::vector<std::string_view>* lists[] = {&settings.valid_users, &settings.valid_actions,
                                                  &settings.valid_resources};
        kw::GoDecodeStringList(v, kw_policies::GoFieldPath("Settings", path, kFields[field]),
                               *lists[field], error);
      });
}

std::expected<std::string, std::string> ValidateSettings(std::string_view input) {
  kw::json::Document doc;
  Settings settings;
  std::string error =
      kw_policies::GoParseSettings(doc, input, [&](const kw::json::Value& v, std::string& e) {
        DecodeSettings(v, "", /*strict=*/false, settings, e);
      });
  if (!error.empty()) return kw::SettingsInvalid("cannot unmarshal settings: " + error).ToJson();
  if (settings.valid_users.empty()) {
    return kw::SettingsInvalid("At least one valid user must be specified").ToJson();
  }
  if (settings.valid_actions.empty()) {
    return kw::SettingsInvalid("At least one valid action must be specified").ToJson();
  }
  if (settings.valid_resources.empty()) {
    return kw::SettingsInvalid("At least one valid resource must be specified").ToJson();
  }
  return kw::SettingsValid().ToJson();
}

kw::ValidationResponse Check(kw::json::Document& doc, std::string_view input) {
  constexpr std::string_view kDecodeError = "Error deserializing validation request: ";
  Settings settings;
  std::string error;
  kw_policies::RawRequest request = kw_policies::ParseRawPayload(
      doc, input, error, [&](const kw::json::Value& value, std::string& e) {
        DecodeSettings(value, "settings", /*strict=*/true, settings, e);
      });
  if (!error.empty()) return kw::Reject(std::string(kDecodeError) + error, 400);
  if (!Settings::Contains(settings.valid_users, request.user)) {
    return kw::Reject("User '" + std::string(request.user) + "' is not allowed", 403);
  }
  if (!Settings::Contains(settings.valid_actions, request.action)) {
    return kw::Reject("Action '" + std::string(request.action) + "' is not allowed", 403);
  }
  if (!Settings::Contains(settings.valid_resources, request.resource)) {
    return kw::Reject("Resource '" + std::string(request.resource) + "' is not allowed", 403);
  }
  return kw::Accept();
}

}  // namespace

int main(int argc, char** argv) {
  return kw_policies::wasi::Run(argc, argv, kw_policies::wasi::Respond<Check>, ValidateSettings);
}
