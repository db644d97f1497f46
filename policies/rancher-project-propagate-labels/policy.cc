// rancher-project-propagate-labels (policies-more.md §14, context-aware, mutating): copies the
// `propagate.` labels of the Namespace's Rancher Project (annotation field.cattle.io/projectId,
// "<clusterId>:<projectId>") onto the Namespace, without the prefix.
//
// Only Projects of the local cluster are read; for the others `downstream_cluster_failure_mode`
// decides between accepting and rejecting.
#include <kubewarden/kubewarden.h>

#include "../common/prefixed_labels.h"
#include "../common/upstream_kubernetes.h"

namespace kw = kubewarden;

namespace {

constexpr std::string_view kProjectIdAnnotation = "field.cattle.io/projectId";
constexpr std::string_view kPropagatePrefix = "propagate.";

enum class FailureMode { kIgnore, kFail };

std::optional<std::string> ReadSettings(const kw::json::Value& value, FailureMode& mode) {
  kw::SettingsReader r(value);
  mode = static_cast<FailureMode>(
      r.Enum("downstream_cluster_failure_mode", {"Ignore", "Fail"}, 0).value_or(0));
  if (!r.ok()) return r.error();
  return std::nullopt;
}

// The Project spec members upstream's struct requires (policies-more.md §14 step 5).
std::optional<std::string> ProjectSpecError(const kw::json::Value& project) {
  const kw::json::Value* spec = project.Find("spec");
  if (spec == nullptr || spec->IsNull()) return std::nullopt;
  if (!spec->IsObject()) return kw::serde::InvalidType(*spec, "struct ProjectSpec");
  const kw::json::Value* description = spec->Find("description");
  const kw::json::Value* monitoring = spec->Find("enableProjectMonitoring");
  if (description != nullptr && !description->IsString()) {
    return kw::serde::InvalidType(*description, "a string");
  }
  if (monitoring != nullptr && !monitoring->IsBool()) {
    return kw::serde::InvalidType(*monitoring, "a boolean");
  }
  if (description == nullptr) return kw::serde::MissingField("description");
  if (monitoring == nullptr) return kw::serde::MissingField("enableProjectMonitoring");
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const FailureMode& mode) {

  kw::json::Document& doc = request.document();
  kw::json::Value* ns = request.mutable_object();
  if (ns == nullptr) ns = doc.Null();
  if (auto error = upstream::RustObjectError(*ns, "v1", "Namespace")) {
    return kw::EvaluationError(*error);
  }
  const kw::json::Value* annotations = ns->GetObject("metadata/annotations");
  const kw::json::Value* project_id = annotations ? annotations->Find(kProjectIdAnnotation) : nullptr;
  if (project_id == nullptr || project_id->IsNull()) return kw::Accept();

  std::string_view id = *project_id->AsString();
  std::size_t colon = id.find(':');
  if (colon == std::string_view::npos || id.find(':', colon + 1) != std::string_view::npos) {
    return kw::EvaluationError("malformed value of field.cattle.io/projectId annotation");
  }
  if (id.substr(0, colon) != "local") {
    if (mode == FailureMode::kIgnore) return kw::Accept();
    return kw::Reject(
        "Namespace belongs to project defined inside of an upstream cluster. This is not "
        "supported yet, accepting the request");
  }

  kw::json::Document project_doc;
  auto project = upstream::RustGetObject(project_doc, "management.cattle.io/v3", "Project",
                                         id.substr(colon + 1), "local", /*disable_cache=*/true);
  if (!project) return kw::EvaluationError(project.error());
  if (auto error = ProjectSpecError(**project)) {
    return kw::EvaluationError("error deserializing get resource response: " + *error);
  }

  bool changed = upstream::CopyPrefixedAsLabels(doc, (*project)->GetObject("metadata/labels"),
                                                kPropagatePrefix, *ns);
  if (!changed) return kw::Accept();
  return kw::Mutate(*ns);
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(FailureMode, ReadSettings, Validate)
