#include "crd/defaulting.h"

#include "admission/json_patch.h"
#include "base/json.h"
#include "crd/types.h"

namespace kw::crd {
namespace {

// The object under `key`, created when absent or null; nullptr when it has another type.
json::object* ObjectMember(json::object& parent, std::string_view key) {
  json::value& v = parent[key];
  if (v.is_null()) v = json::object();
  return v.is_object() ? &v.get_object() : nullptr;
}

// `object_json` with the finalizer and, for policies, the policy server set, as a patch.
Result<std::string> Defaulted(std::string_view object_json, bool set_policy_server) {
  KW_ASSIGN_OR_RETURN(json::value object, ParseJson(object_json, "invalid object"));
  if (!object.is_object()) return Fail(ErrorKind::kInvalidArgument, "the object is not a JSON object");
  json::object& root = object.get_object();

  json::object* metadata = ObjectMember(root, "metadata");
  if (metadata == nullptr) return Fail(ErrorKind::kInvalidArgument, "metadata is not an object");
  json::value& finalizers = (*metadata)["finalizers"];
  if (finalizers.is_null()) finalizers = json::array();
  if (!finalizers.is_array()) {
    return Fail(ErrorKind::kInvalidArgument, "metadata.finalizers is not a list");
  }
  bool has_finalizer = false;
  for (const json::value& f : finalizers.get_array()) {
    if (f.is_string() && f.get_string() == kFinalizer) has_finalizer = true;
  }
  if (!has_finalizer) finalizers.get_array().emplace_back(kFinalizer);

  if (set_policy_server) {
    json::object* spec = ObjectMember(root, "spec");
    if (spec == nullptr) return Fail(ErrorKind::kInvalidArgument, "spec is not an object");
    json::value& policy_server = (*spec)["policyServer"];
    if (policy_server.is_null() || (policy_server.is_string() && policy_server.get_string().empty())) {
      policy_server = kDefaultPolicyServer;
    }
  }
  return admission::Diff(object_json, ToJson(object));
}

}  // namespace

Result<std::string> PolicyDefaultingPatch(std::string_view object_json) {
  return Defaulted(object_json, true);
}

Result<std::string> PolicyServerDefaultingPatch(std::string_view object_json) {
  return Defaulted(object_json, false);
}

}  // namespace kw::crd
