// UNSURE: texts below come from the spec (tooling.md §5) and from memory of upstream's webhooks;
// the spec gives rules, not messages. Those not confirmed against upstream:
//   - rules: "spec.rules: Required value: a value must be specified" (no rules);
//     "spec.rules.operations: Required value: a value must be specified" (a rule without
//     operations); "spec.rules: Required value: apiVersions and resources must have specified
//     values"; "spec.rules.operations|spec.rules.rule.apiVersions|spec.rules.rule.resources:
//     Required value: must be non-empty" (an empty string). Upstream's paths carry no rule index
//     ([i]); kept so, since the aggregate then folds identical messages as upstream's does.
//   - AdmissionPolicy/AdmissionPolicyGroup: "spec.rules[i]: Forbidden: namespaced policies
//     cannot use \"*\" for both apiGroups and resources" and "spec.rules[i]: Forbidden:
//     namespaced policies cannot target wgpolicyk8s.io policyreports".
//   - policyServer: "spec.policyServer: Forbidden: the field is immutable"; mode: "spec.mode:
//     Forbidden: field cannot transition from protect to monitor. Recreate instead.".
//   - timeouts: the range texts are the API server's schema ones ("spec.timeoutSeconds in body
//     should be less than or equal to 30"); "spec.timeoutEvalSeconds: Invalid value: N: must be
//     less than or equal to spec.timeoutSeconds (M)" is ours, and so is the member variant.
//     Upstream's "the sum is also checked against limits" is not done: the spec does not say
//     which limit.
//   - groups: "spec.policies: Required value: a policy group must have at least one policy",
//     "spec.policies[<name>]: Invalid value: \"<name>\": policy name must be a valid CEL
//     identifier (regex used for validation is '^[_a-zA-Z][_a-zA-Z0-9]*$')", "...: policy name
//     must not be a CEL reserved keyword", "spec.expression: Required value: must be non-empty",
//     "spec.expression: Invalid value: \"...\": <parser message>" (upstream's comes from the
//     CEL compiler), "spec.message: Required value: must be non-empty".
//   - PolicyServer: the name, imagePullSecret, minAvailable/maxUnavailable and limits/requests
//     texts follow upstream's webhook as remembered; the imagePullSecret detail joins two errors
//     with a newline as Go's errors.Join does ("cannot get spec.ImagePullSecret\nsecrets \"x\"
//     not found"). Quantities are shown as written, where upstream prints resource.Quantity's
//     canonical form ("1000m" would read "1"), and limits then requests are reported in name
//     order, where Go's map order is random. webhookPort, readinessProbePort, sigstoreTrustConfig
//     and namespacedPoliciesCapabilities texts are ours.
//   - Validation on update: only the policies' policyServer and mode are compared with the stored
//     object; everything else is checked as on a create, deletions are not checked.
//   - "spec: Required value", "spec.module: Required value" (and a member's), "spec.mode:
//     Unsupported value: ..." stand for the CRD schema's checks, which run before any webhook.
//   - Values of other types than strings, numbers and booleans are rendered as compact JSON;
//     Go prints its structs with %#v there.
//   - A wrong JSON type reads like the API server's schema validation: "spec.rules: Invalid
//     value: \"string\": spec.rules in body must be of type array: \"string\""; upstream's
//     webhook never sees one (the schema refuses it first).
#include "crd/validation.h"

#include <cmath>
#include <limits>

#include "base/go_quote.h"
#include "crd/validation_internal.h"

namespace kw::crd {
namespace internal {
namespace {

// The type names of OpenAPI schemas.
std::string_view SchemaType(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return "string";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    case json::kind::null: return "null";
  }
  return "null";
}

}  // namespace

FieldError WrongType(std::string path, std::string_view expected, const json::value& got) {
  std::string detail = path + " in body must be of type " + std::string(expected) + ": " +
                       GoQuote(SchemaType(got));
  return InvalidString(std::move(path), SchemaType(got), std::move(detail));
}

std::vector<std::string_view> StringElements(const json::array& array, const std::string& path,
                                             FieldErrors& errors) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (array[i].is_string()) {
      out.push_back(array[i].get_string());
    } else {
      errors.push_back(WrongType(Index(path, i), "string", array[i]));
    }
  }
  return out;
}

const json::value* FieldReader::Find(std::string_view key) const {
  const json::value* v = object_.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

const json::object* FieldReader::Object(std::string_view key) const {
  const json::value* v = Find(key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    errors_.push_back(WrongType(PathOf(key), "object", *v));
    return nullptr;
  }
  return &v->get_object();
}

const json::array* FieldReader::Array(std::string_view key) const {
  const json::value* v = Find(key);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    errors_.push_back(WrongType(PathOf(key), "array", *v));
    return nullptr;
  }
  return &v->get_array();
}

std::optional<std::string_view> FieldReader::String(std::string_view key) const {
  const json::value* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    errors_.push_back(WrongType(PathOf(key), "string", *v));
    return std::nullopt;
  }
  return std::string_view(v->get_string());
}

std::optional<bool> FieldReader::Bool(std::string_view key) const {
  const json::value* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    errors_.push_back(WrongType(PathOf(key), "boolean", *v));
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<std::int64_t> FieldReader::Integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) const {
  const json::value* v = Find(key);
  if (v == nullptr) return std::nullopt;
  std::string path = PathOf(key);
  // Out of int64 range reads as the nearest bound: it is refused by the range check anyway.
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = std::numeric_limits<std::int64_t>::max();
  } else if (v->is_double() && std::isfinite(v->get_double()) &&
             v->get_double() == std::trunc(v->get_double())) {
    double d = v->get_double();
    n = d >= 9.2e18 ? std::numeric_limits<std::int64_t>::max()
                    : (d <= -9.2e18 ? std::numeric_limits<std::int64_t>::min()
                                    : static_cast<std::int64_t>(d));
  } else {
    errors_.push_back(WrongType(std::move(path), "integer", *v));
    return std::nullopt;
  }
  if (n > max) {
    errors_.push_back(Invalid(path, *v, path + " in body should be less than or equal to " +
                                            std::to_string(max)));
    return std::nullopt;
  }
  if (n < min) {
    errors_.push_back(Invalid(path, *v, path + " in body should be greater than or equal to " +
                                            std::to_string(min)));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<std::string_view>> FieldReader::StringList(std::string_view key) const {
  const json::array* array = Array(key);
  if (array == nullptr) return std::nullopt;
  return StringElements(*array, PathOf(key), errors_);
}

}  // namespace internal

namespace {

// Reads the object's metadata and spec, and hands the spec to `validate_spec` when there is one.
template <typename ValidateSpec>
FieldErrors ValidateObject(const json::value& object, bool is_policy_server,
                           const ValidateSpec& validate_spec) {
  FieldErrors errors;
  if (!object.is_object()) {
    errors.push_back(internal::WrongType("object", "object", object));
    return errors;
  }
  internal::FieldReader root(object.get_object(), "", errors);
  std::optional<std::string_view> name;
  if (const json::object* metadata = root.Object("metadata")) {
    name = internal::FieldReader(*metadata, "metadata", errors).String("name");
  }
  if (is_policy_server) internal::ValidatePolicyServerName(name.value_or(""), errors);
  const json::object* spec = root.Object("spec");
  if (spec == nullptr) {
    if (root.Find("spec") == nullptr) errors.push_back(Required("spec", ""));
    return errors;
  }
  validate_spec(internal::FieldReader(*spec, "spec", errors));
  return errors;
}

}  // namespace

FieldErrors ValidatePolicy(PolicyKind kind, const json::value& object,
                           const json::value* old_object, const WebhookOptions& options) {
  const json::object* old =
      old_object != nullptr && old_object->is_object() ? &old_object->get_object() : nullptr;
  return ValidateObject(object, false, [&](const internal::FieldReader& spec) {
    internal::ValidatePolicy(kind, spec, old, options);
  });
}

FieldErrors ValidatePolicyServer(const json::value& object, ObjectLookup& lookup,
                                 const WebhookOptions& options) {
  return ValidateObject(object, true, [&](const internal::FieldReader& spec) {
    internal::ValidatePolicyServer(spec, lookup, options);
  });
}

}  // namespace kw::crd
