// The rules of PolicyServer (spec tooling.md §5.5); messages: validation.cc.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/go_quote.h"
#include "crd/quantity.h"
#include "crd/validation_internal.h"
#include "host/host.h"

namespace kw::crd::internal {
namespace {

// Its name becomes part of Service and Deployment names, which are DNS labels.
constexpr std::size_t kMaxPolicyServerNameLength = 63;
constexpr std::int64_t kDefaultWebhookPort = 8443;
constexpr std::int64_t kDefaultReadinessProbePort = 8081;
constexpr std::string_view kDockerConfigJsonType = "kubernetes.io/dockerconfigjson";

// An IntOrString as Go's IntOrString.String() prints it.
std::string IntOrStringText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return ToJson(v);
}

// A ResourceList entry: quantities are strings, or numbers in JSON.
std::optional<Quantity> ReadQuantity(const json::value& v, const std::string& path,
                                     FieldErrors& errors) {
  std::string text;
  if (v.is_string()) {
    text = std::string(v.get_string());
  } else if (v.is_number()) {
    text = ToJson(v);
  } else {
    errors.push_back(WrongType(path, "string", v));
    return std::nullopt;
  }
  auto quantity = Quantity::Parse(text);
  if (!quantity) {
    errors.push_back(Invalid(path, v, quantity.error().message));
    return std::nullopt;
  }
  return *quantity;
}

// The quantities of the ResourceList at `key`, each checked non-negative; unreadable ones are
// reported and left out.
std::map<std::string, Quantity, std::less<>> ReadResourceList(const FieldReader& spec,
                                                              std::string_view key) {
  std::map<std::string, Quantity, std::less<>> quantities;
  const json::object* list = spec.Object(key);
  if (list == nullptr) return quantities;
  for (const auto& [name, value] : *list) {
    const std::string path = Child(spec.PathOf(key), name);
    std::optional<Quantity> q = ReadQuantity(value, path, spec.errors());
    if (!q) continue;
    if (q->IsNegative()) {
      spec.errors().push_back(InvalidString(path, q->text(), "must be greater than or equal to 0"));
    }
    quantities.insert_or_assign(std::string(name), std::move(*q));
  }
  return quantities;
}

void ValidateResources(const FieldReader& spec) {
  const auto limits = ReadResourceList(spec, "limits");
  for (const auto& [name, request] : ReadResourceList(spec, "requests")) {
    auto limit = limits.find(name);
    if (limit == limits.end() || request.Compare(limit->second) <= 0) continue;
    spec.errors().push_back(InvalidString(Child(spec.PathOf("requests"), name), request.text(),
                                          "must be less than or equal to " + name + " limit of " +
                                              limit->second.text()));
  }
}

// The detail of a missing or unreadable object: what Go's errors.Join of upstream's two errors
// prints, the API's NotFound text last.
std::optional<std::string> LookupProblem(ObjectLookup& lookup, std::string_view kind,
                                         std::string_view resource, std::string_view ns,
                                         std::string_view name, std::string_view field,
                                         std::optional<json::value>& found) {
  auto got = lookup.Get("v1", kind, ns, name);
  std::string context = "cannot get " + std::string(field) + "\n";
  if (!got) return context + got.error().message;
  if (!*got) return context + std::string(resource) + " " + GoQuote(name) + " not found";
  found = std::move(**got);
  return std::nullopt;
}

void ValidateImagePullSecret(const FieldReader& spec, ObjectLookup& lookup,
                             const WebhookOptions& options) {
  std::optional<std::string_view> name = spec.String("imagePullSecret");
  if (!name || name->empty()) return;
  std::optional<json::value> secret;
  std::optional<std::string> problem = LookupProblem(
      lookup, "Secret", "secrets", options.deployments_namespace, *name, "spec.ImagePullSecret", secret);
  if (!problem && StringAt(*secret, {"type"}) != kDockerConfigJsonType) {
    problem = "spec.ImagePullSecret secret " + GoQuote(*name) + " is not of type " +
              std::string(kDockerConfigJsonType);
  }
  if (problem) spec.errors().push_back(InvalidString(spec.PathOf("imagePullSecret"), *name, *problem));
}

void ValidateSigstoreTrustConfig(const FieldReader& spec, ObjectLookup& lookup,
                                 const WebhookOptions& options) {
  std::optional<std::string_view> name = spec.String("sigstoreTrustConfig");
  if (!name || name->empty()) return;
  std::optional<json::value> config_map;
  if (auto problem = LookupProblem(lookup, "ConfigMap", "configmaps", options.deployments_namespace,
                                   *name, "spec.sigstoreTrustConfig", config_map)) {
    spec.errors().push_back(InvalidString(spec.PathOf("sigstoreTrustConfig"), *name, *problem));
  }
}

void ValidatePorts(const FieldReader& spec) {
  const json::value* raw_webhook_port = spec.Find("webhookPort");
  std::optional<std::int64_t> webhook_port = spec.Integer("webhookPort", 1, 65535);
  std::optional<std::int64_t> readiness_port = spec.Integer("readinessProbePort", 1, 65535);
  if (raw_webhook_port != nullptr && !webhook_port) return;  // reported already
  if (spec.Find("readinessProbePort") != nullptr && !readiness_port) return;
  std::int64_t webhook = webhook_port.value_or(kDefaultWebhookPort);
  std::int64_t readiness = readiness_port.value_or(kDefaultReadinessProbePort);
  if (webhook == readiness) {
    spec.errors().push_back(Invalid(spec.PathOf("webhookPort"), json::value(webhook),
                                    "must be different from spec.readinessProbePort"));
  }
}

void ValidateCapabilities(const FieldReader& spec) {
  std::optional<std::vector<std::string_view>> patterns = spec.StringList("namespacedPoliciesCapabilities");
  if (!patterns) return;
  const std::string path = spec.PathOf("namespacedPoliciesCapabilities");
  const json::array& raw = spec.Find("namespacedPoliciesCapabilities")->get_array();
  std::size_t next = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!raw[i].is_string()) continue;  // reported by StringList
    std::string pattern((*patterns)[next++]);
    auto parsed = host::HostCapabilities::Parse({pattern});
    if (parsed) continue;
    // The value is shown already: keep the explanation only.
    std::string detail = parsed.error().message;
    const std::string prefix = "invalid host capability pattern '" + pattern + "': ";
    if (detail.starts_with(prefix)) detail.erase(0, prefix.size());
    spec.errors().push_back(InvalidString(Index(path, i), pattern, std::move(detail)));
  }
}

}  // namespace

void ValidatePolicyServerName(std::string_view name, FieldErrors& errors) {
  if (name.size() > kMaxPolicyServerNameLength) {
    errors.push_back(InvalidString("metadata.name", name,
                                   "the PolicyServer name cannot be longer than " +
                                       std::to_string(kMaxPolicyServerNameLength) + " characters"));
  }
}

void ValidatePolicyServer(const FieldReader& spec, ObjectLookup& lookup,
                          const WebhookOptions& options) {
  FieldErrors& errors = spec.errors();
  ValidateImagePullSecret(spec, lookup, options);
  const json::value* min_available = spec.Find("minAvailable");
  const json::value* max_unavailable = spec.Find("maxUnavailable");
  if (min_available != nullptr && max_unavailable != nullptr) {
    errors.push_back(InvalidString("spec",
                                   "minAvailable: " + IntOrStringText(*min_available) +
                                       ", maxUnavailable: " + IntOrStringText(*max_unavailable),
                                   "minAvailable and maxUnavailable cannot be both set"));
  }
  ValidateResources(spec);
  ValidatePorts(spec);
  ValidateCapabilities(spec);
  ValidateSigstoreTrustConfig(spec, lookup, options);
}

}  // namespace kw::crd::internal
