// annotations (policies-more.md §3): the keys of request.object.metadata.annotations checked
// against a criteria operator (labels/criteria.h, shared with labels).
#include "../labels/criteria.h"

namespace kw = kubewarden;

namespace {

struct Settings {
  criteria::Criteria criteria;
};

// Annotation keys have no length limits: only the key syntax is checked.
std::optional<std::string> InvalidAnnotationKey(std::string_view key) {
  if (criteria::IsQualifiedKey(key)) return std::nullopt;
  return std::string(key);
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  return criteria::ReadValidated(value, "annotation", "Invalid annotation names: ",
                                 settings.criteria, InvalidAnnotationKey);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  return criteria::ValidateMetadataKeys(request, settings.criteria, "annotations", "annotation");
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
