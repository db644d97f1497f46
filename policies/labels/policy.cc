// labels (policies-more.md §4): the keys of request.object.metadata.labels checked against a
// criteria operator (common/criteria.h, common/metadata_keys.h: shared with annotations).
// Reads a few fields of the request: on demand is cheaper than parsing it whole (request.h).
#define KUBEWARDEN_REQUEST_ON_DEMAND
#include "../common/metadata_keys.h"

namespace kw = kubewarden;

namespace {

using Settings = criteria::Criteria;

// Why `key` is not a valid label key (the length notes come first, the first applicable one
// wins), or nullopt. Lengths are in bytes.
std::optional<std::string> InvalidLabelKey(std::string_view key) {
  const std::string k(key);
  std::size_t slash = key.rfind('/');
  if (slash != std::string_view::npos) {
    if (slash > 253) return k + " (prefix too long)";
    if (key.size() - slash - 1 > 63) return k + " (name too long)";
    if (key.size() > 253) return k + " (key too long)";
  } else if (key.size() > 63) {
    return k + " (name too long)";
  }
  if (!metadata_keys::IsQualifiedKey(key)) return k;
  return std::nullopt;
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  return metadata_keys::ReadSettings(value, "label", settings, InvalidLabelKey);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  return metadata_keys::Validate(request, settings, "labels", "label");
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
