// annotations (policies-more.md §3): the keys of request.object.metadata.annotations checked
// against a criteria operator (common/criteria.h, common/metadata_keys.h: shared with labels).
#include "../common/metadata_keys.h"

namespace kw = kubewarden;

namespace {

using Settings = criteria::Criteria;

// Annotation keys have no length limits: only the key syntax is checked.
std::optional<std::string> InvalidAnnotationKey(std::string_view key) {
  if (metadata_keys::IsQualifiedKey(key)) return std::nullopt;
  return std::string(key);
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  return metadata_keys::ReadSettings(value, "annotation", settings, InvalidAnnotationKey);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  return metadata_keys::Validate(request, settings, "annotations", "annotation");
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
