// policies/common/raw_mutation.h: what the raw-mutation test policies share (policies-more.md
// §25 waPC, §26 WASI): their settings, decoded as upstream's Go struct, and the mutation that
// replaces a forbidden resource with the default one.
#ifndef POLICIES_COMMON_RAW_MUTATION_H_
#define POLICIES_COMMON_RAW_MUTATION_H_

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "go_decode.h"
#include "raw_request.h"

namespace kw_policies {

struct RawMutationSettings {
  std::vector<std::string_view> forbidden_resources;
  std::string_view default_resource;

  bool Forbids(std::string_view resource) const {
    return std::find(forbidden_resources.begin(), forbidden_resources.end(), resource) !=
           forbidden_resources.end();
  }
};

// Decodes the settings object found at JSON path `path` ("" for the bare settings of
// validate_settings, "settings" inside a payload); `strict` rejects unknown keys.
inline void DecodeRawMutationSettings(const kw::json::Value& value, std::string_view path,
                                      bool strict, RawMutationSettings& settings,
                                      std::string& error) {
  std::string where = path.empty() ? std::string() : GoFieldPath("ValidationRequest", "", path);
  GoDecodeStruct(value, {where, "main.Settings"}, {"forbiddenResources", "defaultResource"},
                 strict, error, [&](std::size_t field, const kw::json::Value& v) {
                   if (field == 0) {
                     kw::GoDecodeStringList(v, GoFieldPath("Settings", path, "forbiddenResources"),
                                            settings.forbidden_resources, error);
                   } else {
                     GoDecodeString(v, GoFieldPath("Settings", path, "defaultResource"),
                                    settings.default_resource, error);
                   }
                 });
}

// The settings' own problem, worded by `messages` (the two policies word it differently).
struct RawMutationMessages {
  std::string_view empty_default;
  std::string_view forbidden_default;
};
inline std::optional<std::string_view> CheckRawMutationSettings(
    const RawMutationSettings& settings, const RawMutationMessages& messages) {
  if (settings.default_resource.empty()) return messages.empty_default;
  if (settings.Forbids(settings.default_resource)) return messages.forbidden_default;
  return std::nullopt;
}

// The mutated raw request: exactly user, action and the default resource.
inline kw::json::Value* MutatedRawRequest(kw::json::Document& doc, const RawRequest& request,
                                          const RawMutationSettings& settings) {
  kw::json::Value* object = doc.Object();
  doc.Set(*object, "user", doc.StringRef(request.user));
  doc.Set(*object, "action", doc.StringRef(request.action));
  doc.Set(*object, "resource", doc.StringRef(settings.default_resource));
  return object;
}

}  // namespace kw_policies

#endif  // POLICIES_COMMON_RAW_MUTATION_H_
