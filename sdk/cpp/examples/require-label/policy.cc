// require-label: the worked example of sdk/cpp/README.md.
//
// Every object must carry the label named by the `label` setting. Without it the request is
// rejected, unless `default_value` is set: then the object is mutated to carry
// `<label>: <default_value>` (and a warning says so).
//
// Settings (decoded like a Rust serde struct):
//   label          string, required
//   default_value  string, optional
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

struct Settings {
  std::string_view label;
  std::optional<std::string_view> default_value;
};

// Decodes and checks the settings; returns the message that makes them invalid, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.label = reader.RequiredString("label");
  settings.default_value = reader.OptionalString("default_value");
  if (!reader.ok()) return reader.error();  // serde-style: "missing field `label`", ...
  if (settings.label.empty()) return "label must not be empty";
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  kw::json::Value* object = request.mutable_object();
  if (object == nullptr) return kw::Accept();  // DELETE: nothing to check
  const kw::json::Value* labels = object->GetObject("metadata/labels");
  if (labels != nullptr && labels->Find(settings.label) != nullptr) return kw::Accept();

  if (!settings.default_value) {
    return kw::Reject("missing required label " + std::string(settings.label));
  }
  // Edit the request's own copy of the object: only the label is added, everything else
  // (key order, number spellings) stays as sent, so the host's JSON patch is one operation.
  kw::json::Document& doc = request.document();
  kw::json::Value* metadata = doc.GetOrAddObject(*object, "metadata");
  kw::json::Value* label_map = metadata ? doc.GetOrAddObject(*metadata, "labels") : nullptr;
  if (label_map == nullptr) return kw::Reject("metadata.labels is not an object");
  doc.Set(*label_map, settings.label, doc.StringRef(*settings.default_value));
  kw::Log(kw::LogLevel::kInfo, "added the default label", {{"label", settings.label}});
  return kw::Mutate(*object).AddWarning("label " + std::string(settings.label) + " defaulted");
}

}  // namespace

// validate_settings and validate both decode the settings with ReadSettings.
KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
