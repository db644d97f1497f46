// raw-validation-policy (policies-more.md §22): accepts a raw request {"user", "action",
// "resource"} only when all three are listed in the settings. It exists to exercise raw
// validation (`kwctl run --raw`, policy-server /validate_raw) in the waPC execution mode.
#include <kubewarden/kubewarden.h>

#include "../common/raw_request.h"

namespace kw = kubewarden;

namespace {

using Settings = kw_policies::RawValidationSettings;

// Decodes the settings (serde's rules); returns the first problem, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.valid_users = reader.StringList("validUsers");
  settings.valid_actions = reader.StringList("validActions");
  settings.valid_resources = reader.StringList("validResources");
  if (!reader.ok()) return reader.error();
  // Upstream words these with the Rust field names, not the JSON keys.
  if (settings.valid_users.empty()) return "valid_users cannot be empty";
  if (settings.valid_actions.empty()) return "valid_actions cannot be empty";
  if (settings.valid_resources.empty()) return "valid_resources cannot be empty";
  return std::nullopt;
}

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value) {
  Settings settings;
  if (auto error = ReadSettings(value, settings)) return kw::SettingsInvalid(*error);
  return kw::SettingsValid();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  Settings settings;
  if (auto error = ReadSettings(request.settings(), settings)) return kw::EvaluationError(*error);

  // The raw request must hold the three strings; other members are ignored.
  const kw::json::Value& raw = request.request();
  auto user = raw.IsObject() ? raw.GetString("user") : std::nullopt;
  auto action = raw.IsObject() ? raw.GetString("action") : std::nullopt;
  auto resource = raw.IsObject() ? raw.GetString("resource") : std::nullopt;
  if (!user || !action || !resource) return kw::Reject("cannot unmarshal request");

  if (Settings::Contains(settings.valid_users, *user) &&
      Settings::Contains(settings.valid_actions, *action) &&
      Settings::Contains(settings.valid_resources, *resource)) {
    return kw::Accept();
  }
  return kw::Reject("this request is not accepted");
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
