// rancher-project-quotas-namespace-validator (policies-more.md §15, context-aware): a new
// Namespace's Rancher resource quota must fit in what its Project has left (limit - used), for
// every quota field.
//
// Upstream is TinyGo: decode errors are encoding/json's texts (keys match case-insensitively),
// host errors are passed through, and quantities are Kubernetes' resource.Quantity parsed
// without trimming whitespace.
#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>

#include <array>

#include "../common/upstream_kubernetes.h"
#include "../container-resources/quantity.h"

namespace kw = kubewarden;

namespace {

constexpr std::string_view kProjectIdAnnotation = "field.cattle.io/projectId";
constexpr std::string_view kResourceQuotaAnnotation = "field.cattle.io/resourceQuota";

// The quota fields (JSON names) and the labels of their messages, in upstream's check order.
struct QuotaField {
  std::string_view name;
  std::string_view label;
};
constexpr std::array<QuotaField, 13> kQuotaFields = {{
    {"pods", "Pods"},
    {"services", "Services"},
    {"replicationControllers", "ReplicationControllers"},
    {"secrets", "Secrets"},
    {"configMaps", "ConfigMaps"},
    {"persistentVolumeClaims", "PersistentVolumeClaims"},
    {"servicesNodePorts", "ServicesNodePorts"},
    {"servicesLoadBalancers", "ServicesLoadBalancers"},
    {"requestsCpu", "RequestsCPU"},
    {"requestsMemory", "RequestsMemory"},
    {"requestsStorage", "RequestsStorage"},
    {"limitsCpu", "LimitsCPU"},
    {"limitsMemory", "LimitsMemory"},
}};

// The member of a Go-decoded struct for field `name` (encoding/json: exact key, else ASCII
// case-insensitive; the last matching key wins).
const kw::json::Value* GoField(const kw::json::Value* object, std::string_view name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  const kw::json::Value* found = nullptr;
  for (const kw::json::Value& m : *object) {
    if (kw::GoFieldMatches(m.key(), name)) found = &m;
  }
  return found;
}

// Go's error for a member that must be an object (struct or map) but is not; null is fine.
std::optional<std::string> NotAnObject(const kw::json::Value* v, std::string_view field,
                                       std::string_view type) {
  if (v == nullptr || v->IsNull() || v->IsObject()) return std::nullopt;
  return kw::GoTypeError(*v, field, type);
}

// Go's error for a map[string]string member.
std::optional<std::string> StringMapError(const kw::json::Value* map, std::string_view field) {
  if (auto error = NotAnObject(map, field, "map[string]string")) return error;
  if (map == nullptr || map->IsNull()) return std::nullopt;
  for (const kw::json::Value& v : *map) {
    if (!v.IsString() && !v.IsNull()) return kw::GoTypeError(v, field, "string");
  }
  return std::nullopt;
}

// The decode of a Kubernetes object's metadata (labels and annotations are what is read).
std::optional<std::string> MetadataError(const kw::json::Value& object, std::string_view type) {
  if (!object.IsNull() && !object.IsObject()) return kw::GoTypeError(object, "", type);
  const kw::json::Value* metadata = GoField(&object, "metadata");
  if (auto error = NotAnObject(metadata, "ObjectMeta.metadata", "v1.ObjectMeta")) return error;
  for (std::string_view key : {"labels", "annotations"}) {
    std::string field = "ObjectMeta.metadata." + std::string(key);
    if (auto error = StringMapError(GoField(metadata, key), field)) return error;
  }
  return std::nullopt;
}

// The decode of a ResourceQuotaLimit at `path` ("limit", "spec.resourceQuota.usedLimit").
std::optional<std::string> QuotaLimitError(const kw::json::Value* limit, std::string_view path) {
  if (auto error = NotAnObject(limit, path, "v3.ResourceQuotaLimit")) return error;
  for (const QuotaField& f : kQuotaFields) {
    const kw::json::Value* v = GoField(limit, f.name);
    if (v != nullptr && !v->IsNull() && !v->IsString()) {
      return kw::GoTypeError(*v, "ResourceQuotaLimit." + std::string(path) + "." +
                                     std::string(f.name),
                             "string");
    }
  }
  return std::nullopt;
}

// The quota field `name` of a ResourceQuotaLimit, "0" when absent or empty.
std::string_view QuotaValue(const kw::json::Value* limit, std::string_view name) {
  const kw::json::Value* v = GoField(limit, name);
  std::string_view s = v ? v->AsString().value_or("") : "";
  return s.empty() ? "0" : s;
}

// resource.ParseQuantity, which (unlike container-resources' callers) does not trim spaces.
std::optional<quantity::Quantity> ParseUntrimmed(std::string_view s, std::string_view& error) {
  if (!s.empty() && (quantity::IsSpace(s.front()) || quantity::IsSpace(s.back()))) {
    error = quantity::kErrFormat;
    return std::nullopt;
  }
  quantity::ParseResult r = quantity::Parse(s);
  error = r.error;
  return r.value;
}

// a - b exactly; the result keeps a's format, or b's when a is zero (Quantity.Sub).
quantity::Quantity Subtract(const quantity::Quantity& a, const quantity::Quantity& b) {
  quantity::Quantity minus_b = b;
  minus_b.negative = !b.negative;
  quantity::Quantity out;
  if (b.IsZero()) {
    out = a;
  } else if (a.IsZero()) {
    out = minus_b;
  } else {
    // Align both mantissas on the smaller exponent. Beyond the 2^120 mantissa limit (far from
    // any real quota) the larger operand wins: the other one is below its precision.
    quantity::U128 x = a.mantissa, y = b.mantissa;
    std::int32_t exponent = std::min(a.exponent, b.exponent);
    bool exact = true;
    for (std::int32_t e = a.exponent; exact && e > exponent; --e) exact = quantity::Times10(x);
    for (std::int32_t e = b.exponent; exact && e > exponent; --e) exact = quantity::Times10(y);
    if (!exact) {
      out = quantity::CompareMagnitude(a, b) >= 0 ? a : minus_b;
    } else if (a.negative == minus_b.negative) {
      out.mantissa = x + y;
      out.negative = a.negative;
    } else {
      out.mantissa = x >= y ? x - y : y - x;
      out.negative = x >= y ? a.negative : minus_b.negative;
    }
    if (exact) out.exponent = exponent;
  }
  out.format = a.IsZero() ? b.format : a.format;
  quantity::Normalize(out);
  return out;
}

// The problem of one quota field, or nullopt when the namespace request fits.
std::optional<std::string> CheckQuota(std::string_view requested, std::string_view limit,
                                      std::string_view used) {
  std::string_view error;
  auto ns = ParseUntrimmed(requested, error);
  if (!ns) return "Cannot convert namespace limit to quantity: " + std::string(error);
  auto lim = ParseUntrimmed(limit, error);
  if (!lim) return "Cannot convert project limit to quantity: " + std::string(error);
  auto in_use = ParseUntrimmed(used, error);
  if (!in_use) return "Cannot convert project used quota to quantity: " + std::string(error);
  quantity::Quantity available = Subtract(*lim, *in_use);
  if (quantity::Compare(*ns, available) <= 0) return std::nullopt;
  return "Namespace requested limit exceeds the availability of the project resource: "
         "requested " +
         quantity::Canonical(*ns) + ", available " + quantity::Canonical(available);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  kw::json::Document& doc = request.document();
  const kw::json::Value* ns = request.object();
  if (ns == nullptr) ns = doc.Null();
  if (auto error = MetadataError(*ns, "v1.Namespace")) {
    return kw::Reject("Cannot decode Namespace object: " + *error, 400);
  }
  const kw::json::Value* annotations = GoField(GoField(ns, "metadata"), "annotations");
  const kw::json::Value* project_id =
      annotations && annotations->IsObject() ? annotations->Find(kProjectIdAnnotation) : nullptr;
  if (project_id == nullptr) return kw::Accept();

  std::string_view id = project_id->AsString().value_or("");
  std::size_t colon = id.find(':');
  if (colon == std::string_view::npos || id.find(':', colon + 1) != std::string_view::npos) {
    return kw::Reject("cannot parse projectID annotation: wrong format", 400);
  }
  std::string_view project_namespace = id.substr(0, colon), project_name = id.substr(colon + 1);
  if (project_namespace.empty()) return kw::Reject("Project Namespace is empty", 400);
  if (project_name.empty()) return kw::Reject("Project ID is empty", 400);

  const kw::json::Value* quota_annotation = annotations->Find(kResourceQuotaAnnotation);
  kw::json::Document quota_doc;
  const kw::json::Value* ns_limit = nullptr;
  if (quota_annotation != nullptr) {
    std::string_view text = quota_annotation->AsString().value_or("");
    const kw::json::Value* quota = quota_doc.Parse(text);
    std::optional<std::string> error;
    if (quota == nullptr) {
      error = quota_doc.error();
    } else if (!quota->IsObject() && !quota->IsNull()) {
      error = kw::GoTypeError(*quota, "", "main.NamespaceResourceQuota");
    } else {
      ns_limit = GoField(quota, "limit");
      error = QuotaLimitError(ns_limit, "limit");
    }
    if (error) return kw::Reject("Cannot decode NamespaceResourceQuota object: " + *error, 400);
  }

  kw::HostResult answer = upstream::GoGetNamespacedResource(
      "management.cattle.io/v3", "Project", project_name, project_namespace,
      /*disable_cache=*/true);
  if (!answer) return kw::Reject("Error retrieving the Project: " + answer.error(), 500);
  if (answer->empty()) return kw::Reject("Project not found", 404);
  kw::json::Document project_doc;
  const kw::json::Value* project = project_doc.Parse(*answer);
  std::optional<std::string> decode_error;
  const kw::json::Value* spec = nullptr;
  const kw::json::Value* resource_quota = nullptr;
  if (project == nullptr) {
    decode_error = project_doc.error();
  } else if (!(decode_error = MetadataError(*project, "v3.Project"))) {
    spec = GoField(project, "spec");
    resource_quota = GoField(spec, "resourceQuota");
    decode_error = NotAnObject(spec, "Project.spec", "v3.ProjectSpec");
    if (!decode_error) {
      decode_error = NotAnObject(resource_quota, "ProjectSpec.spec.resourceQuota",
                                 "v3.ProjectResourceQuota");
    }
    if (!decode_error) {
      decode_error = QuotaLimitError(GoField(resource_quota, "limit"), "spec.resourceQuota.limit");
    }
    if (!decode_error) {
      decode_error = QuotaLimitError(GoField(resource_quota, "usedLimit"),
                                     "spec.resourceQuota.usedLimit");
    }
  }
  if (decode_error) return kw::Reject("Cannot decode Project object: " + *decode_error, 500);
  if (spec == nullptr || spec->IsNull()) {
    // Upstream dereferences the missing spec.
    return kw::EvaluationError("runtime error: invalid memory address or nil pointer dereference");
  }
  if (resource_quota == nullptr || resource_quota->IsNull()) return kw::Accept();

  const kw::json::Value* project_limit = GoField(resource_quota, "limit");
  const kw::json::Value* project_used = GoField(resource_quota, "usedLimit");
  std::string errors;
  for (const QuotaField& f : kQuotaFields) {
    auto problem = CheckQuota(QuotaValue(ns_limit, f.name), QuotaValue(project_limit, f.name),
                              QuotaValue(project_used, f.name));
    if (!problem) continue;
    if (!errors.empty()) errors.append(", ");
    errors.append(f.label).append(" limit: ").append(*problem);
  }
  if (errors.empty()) return kw::Accept();
  return kw::Reject(errors);
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
