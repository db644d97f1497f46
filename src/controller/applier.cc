#include "controller/applier.h"

#include "base/sha256.h"
#include "kube/resources.h"

namespace kw::controller {

bool Covers(const json::value& live, const json::value& desired) {
  if (desired.is_object()) {
    if (!live.is_object()) return false;
    const json::object& have = live.get_object();
    for (const auto& [key, value] : desired.get_object()) {
      const json::value* found = have.if_contains(key);
      if (found == nullptr) {
        // The API server drops empty objects and lists the controller may send (an emptyDir
        // volume source is kept, `{}`, but an empty map field is not).
        if ((value.is_object() && value.get_object().empty()) ||
            (value.is_array() && value.get_array().empty())) {
          continue;
        }
        return false;
      }
      if (!Covers(*found, value)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!live.is_array() || live.get_array().size() != desired.get_array().size()) return false;
    for (std::size_t i = 0; i < desired.get_array().size(); ++i) {
      if (!Covers(live.get_array()[i], desired.get_array()[i])) return false;
    }
    return true;
  }
  // Numbers compare by value whatever their JSON representation (1 and 1.0).
  if (desired.is_number() && live.is_number()) {
    if (desired.is_double() || live.is_double()) return desired.to_number<double>() ==
                                                         live.to_number<double>();
  }
  return live == desired;
}

Applier::Applier(std::shared_ptr<const kube::Client> client,
                 std::shared_ptr<kube::Discovery> discovery, std::string field_manager)
    : client_(std::move(client)),
      discovery_(std::move(discovery)),
      field_manager_(std::move(field_manager)) {}

Result<kube::ResourceType> Applier::TypeOf(const json::value& object) {
  return discovery_->Find(StringAt(object, {"apiVersion"}), StringAt(object, {"kind"}));
}

json::value WithAppliedHash(const json::value& desired) {
  json::value stamped = desired;
  if (!stamped.is_object()) return stamped;
  json::value& metadata = stamped.as_object()["metadata"];
  if (!metadata.is_object()) metadata = json::object{};
  json::value& annotations = metadata.as_object()["annotations"];
  if (!annotations.is_object()) annotations = json::object{};
  annotations.as_object()[kAppliedHashAnnotation] =
      Sha256Hex(Sha256(AsBytes(ToJson(desired)))).substr(0, 16);
  return stamped;
}

Result<std::optional<json::value>> Applier::Ensure(const json::value& unstamped,
                                                   const json::value* live) {
  const json::value desired = WithAppliedHash(unstamped);
  if (live != nullptr && Covers(*live, desired)) return std::nullopt;
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, TypeOf(desired));
  kube::ApplyOptions options;
  options.field_manager = field_manager_;
  options.force = true;
  ++writes_;
  KW_ASSIGN_OR_RETURN(json::value written,
                      kube::Apply(*client_, type, StringAt(desired, {"metadata", "namespace"}),
                                  desired, options));
  return written;
}

Result<bool> Applier::EnsureDeleted(std::string_view api_version, std::string_view kind,
                                    std::string_view ns, std::string_view name,
                                    const json::value* live) {
  if (live == nullptr) return false;
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, discovery_->Find(api_version, kind));
  ++writes_;
  auto deleted = kube::Delete(*client_, type, ns, name);
  if (!deleted && deleted.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(deleted.error());
  }
  return true;
}

Result<bool> Applier::EnsureStatus(const json::value& live, const json::value& status) {
  const json::value* current = FindKey(live, "status");
  if (current != nullptr && *current == status) return false;
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, TypeOf(live));
  json::object object = live.as_object();
  object["status"] = status;
  ++writes_;
  KW_TRY(kube::Update(*client_, type, StringAt(live, {"metadata", "namespace"}), object,
                      "status"));
  return true;
}

Result<void> Applier::SetFinalizers(const json::value& live, const json::array& finalizers) {
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, TypeOf(live));
  json::object patch{
      {"metadata",
       json::object{{"finalizers", finalizers},
                    {"resourceVersion", StringAt(live, {"metadata", "resourceVersion"})}}}};
  ++writes_;
  KW_TRY(kube::MergePatch(*client_, type, StringAt(live, {"metadata", "namespace"}),
                          StringAt(live, {"metadata", "name"}), patch));
  return {};
}

}  // namespace kw::controller
