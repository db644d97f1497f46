// kwctl scaffold vap: a ValidatingAdmissionPolicy and its binding as a ClusterAdmissionPolicy
// running cel-policy (scaffold.h).
#include <algorithm>

#include "kwctl/scaffold.h"

namespace kw::kwctl {
namespace {

Result<void> ExpectKind(const json::value& object, std::string_view kind, std::string_view flag) {
  const std::string api_version = StringAt(object, {"apiVersion"});
  if (!object.is_object() || StringAt(object, {"kind"}) != kind ||
      !api_version.starts_with("admissionregistration.k8s.io/")) {
    return Fail(ErrorKind::kInvalidArgument,
                std::string(flag) + ": expected a " + std::string(kind) +
                    " of admissionregistration.k8s.io, found " +
                    (object.is_object() ? "a " + StringAt(object, {"kind"}) + " of " +
                                              (api_version.empty() ? "no apiVersion" : api_version)
                                        : std::string("no object")));
  }
  return {};
}

// The binding's metadata, without what the API server added.
json::object MetadataOf(const json::value& binding) {
  json::object metadata;
  const json::value* from = FindKey(binding, "metadata");
  for (std::string_view key : {"name", "labels", "annotations"}) {
    if (const json::value* value = from ? FindKey(*from, key) : nullptr) metadata[key] = *value;
  }
  return metadata;
}

// VAP resource rules as Kubewarden rules; resourceNames has no counterpart.
json::array RulesOf(const json::value& policy, std::vector<std::string>& warnings) {
  json::array rules;
  const json::value* from = FindPath(policy, {"spec", "matchConstraints", "resourceRules"});
  if (from == nullptr || !from->is_array()) return rules;
  bool named = false;
  for (const json::value& rule : from->as_array()) {
    json::object converted;
    for (std::string_view key : {"apiGroups", "apiVersions", "resources", "operations", "scope"}) {
      if (const json::value* value = FindKey(rule, key)) converted[key] = *value;
    }
    named = named || FindKey(rule, "resourceNames") != nullptr;
    rules.emplace_back(std::move(converted));
  }
  if (named) {
    warnings.push_back(
        "resourceNames of the ValidatingAdmissionPolicy's resourceRules cannot be expressed in "
        "Kubewarden rules: the policy applies to every resource of those kinds");
  }
  return rules;
}

bool UntaggedOrLatest(std::string_view module) {
  const std::size_t name_start = module.rfind('/') == std::string_view::npos ? 0 : module.rfind('/');
  if (module.find('@', name_start) != std::string_view::npos) return false;  // a digest
  const std::size_t colon = module.find(':', name_start);
  return colon == std::string_view::npos || module.substr(colon + 1) == "latest";
}

}  // namespace

Result<Manifest> BuildVapManifest(const VapRequest& request) {
  const json::value& policy = request.policy;
  const json::value& binding = request.binding;
  KW_TRY(ExpectKind(policy, "ValidatingAdmissionPolicy", "--policy"));
  KW_TRY(ExpectKind(binding, "ValidatingAdmissionPolicyBinding", "--binding"));
  const std::string policy_name = StringAt(policy, {"metadata", "name"});
  const std::string bound = StringAt(binding, {"spec", "policyName"});
  if (bound != policy_name) {
    return Fail(ErrorKind::kInvalidArgument,
                "the binding is for the policy '" + bound + "', not for '" + policy_name + "'");
  }
  if (StringAt(binding, {"metadata", "name"}).empty()) {
    return Fail(ErrorKind::kInvalidArgument, "--binding: the binding has no metadata.name");
  }
  const json::value* param_kind = FindPath(policy, {"spec", "paramKind"});
  const json::value* param_ref = FindPath(binding, {"spec", "paramRef"});
  if ((param_kind == nullptr) != (param_ref == nullptr)) {
    return Fail(ErrorKind::kInvalidArgument,
                param_kind != nullptr
                    ? "the ValidatingAdmissionPolicy has a paramKind but its binding no paramRef"
                    : "the binding has a paramRef but the ValidatingAdmissionPolicy no paramKind");
  }

  Manifest manifest;
  json::object settings;
  for (std::string_view key : {"failurePolicy", "variables", "validations"}) {
    if (const json::value* value = FindPath(policy, {"spec", key})) settings[key] = *value;
  }
  if (param_kind != nullptr) {
    settings["paramKind"] = *param_kind;
    settings["paramRef"] = *param_ref;
  }
  json::object spec{{"module", request.cel_policy_module}, {"settings", std::move(settings)},
                    {"rules", RulesOf(policy, manifest.warnings)}};
  if (const json::value* match_policy = FindPath(policy, {"spec", "matchConstraints", "matchPolicy"})) {
    spec["matchPolicy"] = *match_policy;
  }
  if (const json::value* selector =
          FindPath(binding, {"spec", "matchResources", "namespaceSelector"})) {
    spec["namespaceSelector"] = *selector;
  }
  if (const json::value* selector = FindPath(policy, {"spec", "matchConstraints", "objectSelector"})) {
    spec["objectSelector"] = *selector;
  }
  spec["mutating"] = false;

  if (FindPath(policy, {"spec", "matchConstraints", "excludeResourceRules"}) != nullptr) {
    manifest.warnings.push_back(
        "excludeResourceRules of the ValidatingAdmissionPolicy cannot be expressed in Kubewarden "
        "rules: left out");
  }
  if (FindPath(policy, {"spec", "auditAnnotations"}) != nullptr) {
    manifest.warnings.push_back("auditAnnotations are not supported by cel-policy: left out");
  }
  if (FindPath(policy, {"spec", "matchConditions"}) != nullptr) {
    manifest.warnings.push_back(
        "matchConditions of the ValidatingAdmissionPolicy are left out: review them and express "
        "them as validations if needed");
  }
  // validationActions Warn and Audit report without denying: Kubewarden's monitor mode.
  if (const json::value* actions = FindPath(binding, {"spec", "validationActions"});
      actions != nullptr && actions->is_array() &&
      std::none_of(actions->as_array().begin(), actions->as_array().end(),
                   [](const json::value& action) { return action == "Deny"; })) {
    spec["mode"] = "monitor";
    manifest.warnings.push_back(
        "the binding's validationActions do not include Deny: the policy is in monitor mode");
  }
  if (UntaggedOrLatest(request.cel_policy_module)) {
    manifest.warnings.push_back("the cel-policy module '" + request.cel_policy_module +
                                "' has no fixed version: pin a tag so that the policy does not "
                                "change under you");
  }
  manifest.resource = json::object{{"apiVersion", "policies.kubewarden.io/v1"},
                                   {"kind", "ClusterAdmissionPolicy"},
                                   {"metadata", MetadataOf(binding)},
                                   {"spec", std::move(spec)}};
  return manifest;
}

}  // namespace kw::kwctl
