#include "kube_apiserver/webhooks.h"

#include "kube/label_selector.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "admission/json_patch.h"
#include "base/base64.h"
#include "kube_apiserver/selectors.h"
#include "kube_apiserver/store.h"
#include "net/http_connection.h"

namespace kw::kube_double {
namespace {

// Webhook answers larger than this are a failed call rather than unbounded memory.
constexpr std::size_t kMaxResponseBytes = 8u << 20;

std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object& ObjectAt(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : kEmpty;
}

std::vector<std::string> Strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* v = o.if_contains(key); v && v->is_array()) {
    for (const auto& item : v->get_array()) {
      if (item.is_string()) out.emplace_back(item.get_string());
    }
  }
  return out;
}

bool ListMatches(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return item == "*" || item == value; });
}

// A metav1.LabelSelector ({matchLabels, matchExpressions}); an empty or absent one selects
// everything; a malformed one nothing (the real server refuses to store those).
bool SelectorMatches(const json::object& webhook, std::string_view key, const json::value& labels) {
  auto matched =
      kube::LabelSelectorMatches(webhook.if_contains(key), labels.is_object() ? &labels : nullptr);
  return matched && *matched;
}

bool EmptySelector(const json::object& webhook, std::string_view key) {
  const json::value* selector = webhook.if_contains(key);
  if (!selector || selector->is_null()) return true;
  if (!selector->is_object()) return false;
  for (const auto& [k, v] : selector->get_object()) {
    if (!(v.is_null() || (v.is_object() && v.get_object().empty()) ||
          (v.is_array() && v.get_array().empty()))) {
      return false;
    }
  }
  return true;
}

json::value LabelsOf(const std::optional<json::object>& object) {
  if (!object) return nullptr;
  const json::value* labels = ObjectAt(*object, "metadata").if_contains("labels");
  return labels ? *labels : json::value();
}

bool IsNamespaceRequest(const AdmissionAttributes& a) {
  return a.resource_group.empty() && a.resource == "namespaces";
}

// One rule of a webhook (operations, apiGroups, apiVersions, resources, scope), as the real
// rule matcher reads it: "pods" is the main resource only, "pods/*" every subresource and the
// main one, "*/status" the status of anything, "*/*" everything.
bool RuleMatches(const json::object& rule, const AdmissionAttributes& a) {
  if (!ListMatches(Strings(rule, "operations"), a.operation)) return false;
  if (!ListMatches(Strings(rule, "apiGroups"), a.resource_group)) return false;
  if (!ListMatches(Strings(rule, "apiVersions"), a.resource_version)) return false;
  bool resource = false;
  for (const std::string& r : Strings(rule, "resources")) {
    std::size_t slash = r.find('/');
    std::string res = r.substr(0, slash);
    std::string sub = slash == std::string::npos ? "" : r.substr(slash + 1);
    if ((res == "*" || res == a.resource) && (sub == "*" || sub == a.subresource)) resource = true;
  }
  if (!resource) return false;
  std::string scope = Text(rule, "scope");
  if (scope == "Namespaced") return !IsNamespaceRequest(a) && !a.ns.empty();
  if (scope == "Cluster") return IsNamespaceRequest(a) || a.ns.empty();
  return true;
}

// matchConditions are CEL, which the double cannot evaluate: only the literal expressions
// `true` and `false` are understood; a webhook with any other condition is called.
bool ConditionsAllow(const json::object& webhook) {
  const json::value* conditions = webhook.if_contains("matchConditions");
  if (!conditions || !conditions->is_array()) return true;
  for (const auto& c : conditions->get_array()) {
    if (c.is_object() && Text(c.get_object(), "expression") == "false") return false;
  }
  return true;
}

bool WebhookMatches(const json::object& webhook, const AdmissionAttributes& a,
                    const json::value& namespace_labels) {
  const json::value* rules = webhook.if_contains("rules");
  if (!rules || !rules->is_array()) return false;
  bool any_rule = false;
  for (const auto& rule : rules->get_array()) {
    if (rule.is_object() && RuleMatches(rule.get_object(), a)) any_rule = true;
  }
  if (!any_rule) return false;
  // Cluster-scoped objects other than namespaces are never exempted by a namespaceSelector; a
  // namespace is selected by its own labels.
  if (IsNamespaceRequest(a)) {
    json::value own = LabelsOf(a.object ? a.object : a.old_object);
    if (!SelectorMatches(webhook, "namespaceSelector", own)) return false;
  } else if (!a.ns.empty() && !SelectorMatches(webhook, "namespaceSelector", namespace_labels)) {
    return false;
  }
  // An object selector selects by the new or the old object's labels, an absent object by
  // neither; an empty selector selects everything.
  auto object_matches = [&](const std::optional<json::object>& object) {
    return object && SelectorMatches(webhook, "objectSelector", LabelsOf(object));
  };
  if (!EmptySelector(webhook, "objectSelector") && !object_matches(a.object) &&
      !object_matches(a.old_object)) {
    return false;
  }
  return ConditionsAllow(webhook);
}

// `a` as seen through `version` of its resource: only apiVersion changes, since versions of a
// resource share one storage in the double (no conversion).
AdmissionAttributes ThroughVersion(const AdmissionAttributes& a, const std::string& version) {
  AdmissionAttributes out = a;
  out.request_version = a.request_version.empty() ? a.resource_version : a.request_version;
  out.resource_version = version;
  // A subresource's own kind (a Scale) keeps its version.
  if (a.group == a.resource_group && a.version == a.resource_version) {
    out.version = version;
    std::string api_version = a.group.empty() ? version : a.group + "/" + version;
    for (auto* object : {&out.object, &out.old_object}) {
      if (*object) (**object)["apiVersion"] = api_version;
    }
  }
  return out;
}

// The version of the request's resource through which `webhook` matches it: the request's own,
// or with matchPolicy Equivalent (the default) another served one its rules name.
std::optional<std::string> MatchingVersion(const json::object& webhook,
                                           const AdmissionAttributes& a,
                                           const json::value& namespace_labels) {
  if (WebhookMatches(webhook, a, namespace_labels)) return a.resource_version;
  if (Text(webhook, "matchPolicy") == "Exact") return std::nullopt;
  for (const std::string& version : a.other_versions) {
    if (WebhookMatches(webhook, ThroughVersion(a, version), namespace_labels)) return version;
  }
  return std::nullopt;
}

json::object GroupVersionKind(std::string_view group, std::string_view version,
                              std::string_view kind_key, std::string_view kind) {
  return json::object{{"group", group}, {"version", version}, {kind_key, kind}};
}

// The AdmissionReview request for `a` (admission.k8s.io/<api_version>).
json::object ReviewRequest(const AdmissionAttributes& a, const std::string& uid,
                           const std::string& api_version) {
  json::object request;
  request["uid"] = uid;
  request["kind"] = GroupVersionKind(a.group, a.version, "kind", a.kind);
  request["resource"] =
      GroupVersionKind(a.resource_group, a.resource_version, "resource", a.resource);
  if (!a.subresource.empty()) request["subResource"] = a.subresource;
  if (a.request_version.empty()) {
    request["requestKind"] = request["kind"];
    request["requestResource"] = request["resource"];
  } else {
    bool own_kind = a.group == a.resource_group;  // not a subresource's kind (a Scale)
    request["requestKind"] =
        GroupVersionKind(a.group, own_kind ? a.request_version : a.version, "kind", a.kind);
    request["requestResource"] =
        GroupVersionKind(a.resource_group, a.request_version, "resource", a.resource);
  }
  if (!a.subresource.empty()) request["requestSubResource"] = a.subresource;
  if (!a.name.empty()) request["name"] = a.name;
  if (!a.ns.empty()) request["namespace"] = a.ns;
  request["operation"] = a.operation;
  json::object user{{"username", a.user.user}};
  if (!a.user.uid.empty()) user["uid"] = a.user.uid;
  if (!a.user.groups.empty()) {
    json::array groups;
    for (const auto& g : a.user.groups) groups.emplace_back(g);
    user["groups"] = std::move(groups);
  }
  request["userInfo"] = std::move(user);
  request["object"] = a.object ? json::value(*a.object) : json::value();
  request["oldObject"] = a.old_object ? json::value(*a.old_object) : json::value();
  request["dryRun"] = a.dry_run;
  request["options"] = a.options;
  return json::object{{"kind", "AdmissionReview"},
                      {"apiVersion", "admission.k8s.io/" + api_version},
                      {"request", std::move(request)}};
}

// Where and how a webhook is called.
struct Endpoint {
  std::string url;          // as the real server shows it in errors, without the query
  std::string connect_url;  // where the double connects (a service's mapped address)
  std::string server_name;  // the name the certificate must carry ("" = the URL's host)
};

}  // namespace

Result<AdmissionVerdict> ParseAdmissionResponse(std::string_view body, std::string_view api_version,
                                                std::string_view uid, bool mutating) {
  auto parsed = ParseJson(body, "invalid JSON");
  if (!parsed) return Fail(ErrorKind::kInvalidArgument, parsed.error().message);
  if (!parsed->is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "webhook response was not an object");
  }
  const json::object& review = parsed->get_object();
  std::string expected = "admission.k8s.io/" + std::string(api_version);
  std::string got = Text(review, "apiVersion");
  if (got != expected || Text(review, "kind") != "AdmissionReview") {
    return Fail(ErrorKind::kInvalidArgument, "expected webhook response of " + expected +
                                                 ", Kind=AdmissionReview, got " + got +
                                                 ", Kind=" + Text(review, "kind"));
  }
  const json::value* response_value = review.if_contains("response");
  if (!response_value || !response_value->is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "webhook response was absent");
  }
  const json::object& response = response_value->get_object();
  if (Text(response, "uid") != uid) {
    return Fail(ErrorKind::kInvalidArgument, "expected response.uid=\"" + std::string(uid) +
                                                 "\", got \"" + Text(response, "uid") + "\"");
  }
  AdmissionVerdict verdict;
  const json::value* allowed = response.if_contains("allowed");
  verdict.allowed = allowed && allowed->is_bool() && allowed->get_bool();
  verdict.status = ObjectAt(response, "status");
  std::string patch = Text(response, "patch");
  std::string patch_type = Text(response, "patchType");
  if (!mutating && !patch.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "validating webhook may not return response.patch");
  }
  if (!mutating && !patch_type.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "validating webhook may not return response.patchType");
  }
  if (!patch.empty()) {
    if (patch_type.empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "webhook returned response.patch but not response.patchType");
    }
    if (patch_type != "JSONPatch") {
      return Fail(ErrorKind::kInvalidArgument,
                  "webhook returned invalid response.patchType of \"" + patch_type + "\"");
    }
    auto bytes = Base64Decode(patch);
    if (!bytes) return Fail(ErrorKind::kInvalidArgument, "illegal base64 data in response.patch");
    auto operations = ParseJson(*bytes, "invalid JSON patch");
    if (!operations || !operations->is_array()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "json: cannot unmarshal the patch into Go value of type jsonpatch.Patch");
    }
    verdict.patch = std::move(operations->get_array());
  } else if (!patch_type.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "webhook returned response.patchType but not response.patch");
  }
  return verdict;
}

bool ExemptFromWebhooks(std::string_view group, std::string_view resource) {
  return group == "admissionregistration.k8s.io" &&
         (resource == "validatingwebhookconfigurations" ||
          resource == "mutatingwebhookconfigurations" ||
          resource == "validatingadmissionpolicies" ||
          resource == "validatingadmissionpolicybindings" ||
          resource == "mutatingadmissionpolicies" || resource == "mutatingadmissionpolicybindings");
}

void Webhooks::SetServiceEndpoint(const std::string& ns, const std::string& name,
                                  std::string address) {
  std::lock_guard lock(mutex_);
  service_endpoints_[{ns, name}] = std::move(address);
}

std::optional<std::string> Webhooks::ServiceEndpoint(const std::string& ns,
                                                     const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = service_endpoints_.find({ns, name});
  if (it == service_endpoints_.end()) return std::nullopt;
  return it->second;
}

Result<void> Webhooks::AddServiceEndpointFlag(std::string_view flag) {
  std::size_t slash = flag.find('/');
  std::size_t equals = flag.find('=');
  if (slash == std::string_view::npos || equals == std::string_view::npos || equals < slash ||
      slash == 0 || equals == slash + 1 || equals + 1 == flag.size()) {
    return Fail(ErrorKind::kInvalidArgument,
                "--service-endpoint wants NAMESPACE/NAME=HOST:PORT, got " + std::string(flag));
  }
  SetServiceEndpoint(std::string(flag.substr(0, slash)),
                     std::string(flag.substr(slash + 1, equals - slash - 1)),
                     std::string(flag.substr(equals + 1)));
  return {};
}

Result<void> Webhooks::AddServiceEndpointJson(const json::value& body) {
  const json::object* o = body.if_object();
  std::string ns = o ? Text(*o, "namespace") : "";
  std::string name = o ? Text(*o, "name") : "";
  std::string address = o ? Text(*o, "address") : "";
  if (ns.empty() || name.empty() || address.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "service endpoints want {\"namespace\",\"name\",\"address\":\"HOST:PORT\"}");
  }
  SetServiceEndpoint(ns, name, address);
  return {};
}

ApiResult<std::optional<json::object>> Webhooks::Admit(const AdmissionAttributes& attributes,
                                                       const AdmissionContext& context) {
  AdmissionAttributes a = attributes;
  // Configurations by name, webhooks in their order.
  auto in_order = [](std::vector<json::object> configs) {
    std::sort(configs.begin(), configs.end(), [](const json::object& x, const json::object& y) {
      return Text(ObjectAt(x, "metadata"), "name") < Text(ObjectAt(y, "metadata"), "name");
    });
    return configs;
  };
  const std::vector<json::object> mutating = in_order(context.mutating);
  const std::vector<json::object> validating = in_order(context.validating);
  auto webhooks_of = [](const std::vector<json::object>& configs) {
    std::vector<const json::object*> out;
    for (const json::object& config : configs) {
      const json::value* webhooks = config.if_contains("webhooks");
      if (!webhooks || !webhooks->is_array()) continue;
      for (const auto& w : webhooks->get_array()) {
        if (w.is_object()) out.push_back(&w.get_object());
      }
    }
    return out;
  };
  // Mutating webhooks asking for it (reinvocationPolicy IfNeeded) are called once more when a
  // later one changed the object after them; each with the object it left.
  // Calls `webhook` when it matches, through the version its rules name; false when it does
  // not match.
  auto invoke = [&](const json::object& webhook, bool mutating) -> ApiResult<bool> {
    std::optional<std::string> version = MatchingVersion(webhook, a, context.namespace_labels);
    if (!version) return false;
    if (*version == a.resource_version) {
      KW_TRY(Invoke(webhook, mutating, a));
      return true;
    }
    AdmissionAttributes seen = ThroughVersion(a, *version);
    KW_TRY(Invoke(webhook, mutating, seen));
    if (a.object && seen.object) {
      json::value api_version = (*a.object)["apiVersion"];
      a.object = std::move(seen.object);
      (*a.object)["apiVersion"] = std::move(api_version);
    }
    return true;
  };
  std::vector<std::pair<const json::object*, std::optional<json::object>>> reinvocable;
  for (const json::object* webhook : webhooks_of(mutating)) {
    KW_ASSIGN_OR_RETURN(bool called, invoke(*webhook, true));
    if (called && Text(*webhook, "reinvocationPolicy") == "IfNeeded") {
      reinvocable.emplace_back(webhook, a.object);
    }
  }
  for (const auto& [webhook, left] : reinvocable) {
    if (left != a.object) KW_TRY(invoke(*webhook, true));
  }
  for (const json::object* webhook : webhooks_of(validating)) KW_TRY(invoke(*webhook, false));
  return a.object;
}

ApiResult<void> Webhooks::Invoke(const json::object& webhook, bool mutating,
                                 AdmissionAttributes& a) {
  std::string name = Text(webhook, "name");
  std::string side_effects = Text(webhook, "sideEffects");
  if (a.dry_run && side_effects != "None" && side_effects != "NoneOnDryRun") {
    return Reject(BadRequest("admission webhook \"" + name + "\" does not support dry run"));
  }
  auto verdict = Call(webhook, mutating, a);
  if (!verdict) {
    if (Text(webhook, "failurePolicy") == "Ignore") return {};
    return Reject(
        InternalError("failed calling webhook \"" + name + "\": " + verdict.error().message));
  }
  if (!verdict->allowed) {
    const json::object& status = verdict->status;
    ApiError error;
    const json::value* code = status.if_contains("code");
    error.code = code && code->is_int64() && code->get_int64() >= 400 && code->get_int64() < 600
                     ? static_cast<int>(code->get_int64())
                     : 400;
    error.reason = Text(status, "reason");
    std::string message = Text(status, "message");
    std::string denied = "admission webhook \"" + name + "\" denied the request";
    if (!message.empty()) {
      error.message = denied + ": " + message;
    } else if (!error.reason.empty()) {
      error.message = denied + ": " + error.reason;
    } else {
      error.message = denied + " without explanation";
    }
    if (const json::value* details = status.if_contains("details");
        details && details->is_object()) {
      error.details = details->get_object();
    }
    return Reject(std::move(error));
  }
  if (mutating && verdict->patch && a.object) {
    auto patched = admission::ApplyPatch(json::value(*a.object), *verdict->patch);
    if (!patched || !patched->is_object()) {
      return Reject(
          InternalError("JSON Patch: " + (patched ? std::string("the patch produced a non-object")
                                                  : patched.error().message)));
    }
    a.object = std::move(patched->get_object());
  }
  return {};
}

Result<AdmissionVerdict> Webhooks::Call(const json::object& webhook, bool mutating,
                                        const AdmissionAttributes& a) {
  const json::object& client = ObjectAt(webhook, "clientConfig");
  long timeout_seconds = 10;
  if (const json::value* t = webhook.if_contains("timeoutSeconds"); t && t->is_int64()) {
    timeout_seconds = std::clamp<long>(t->get_int64(), 1, 30);
  }
  std::string query = "?timeout=" + std::to_string(timeout_seconds) + "s";
  Endpoint endpoint;
  auto fail = [&](const std::string& why) {
    return Fail(ErrorKind::kIo,
                "failed to call webhook: Post \"" + endpoint.url + query + "\": " + why);
  };
  if (std::string url = Text(client, "url"); !url.empty()) {
    endpoint.url = url;
    endpoint.connect_url = url;
  } else {
    const json::object& service = ObjectAt(client, "service");
    std::string ns = Text(service, "namespace"), name = Text(service, "name");
    std::int64_t port = 443;
    if (const json::value* p = service.if_contains("port"); p && p->is_int64()) {
      port = p->get_int64();
    }
    std::string path = Text(service, "path");
    endpoint.server_name = name + "." + ns + ".svc";
    endpoint.url = "https://" + endpoint.server_name + ":" + std::to_string(port) + path;
    auto address = ServiceEndpoint(ns, name);
    // What the real server's service resolver says of a Service it cannot find.
    if (!address) return fail("service \"" + name + "\" not found");
    endpoint.connect_url = "https://" + *address + path;
  }
  auto url = net::ParseHttpUrl(endpoint.connect_url);
  if (!url) return fail(url.error().message);
  if (endpoint.server_name.empty()) endpoint.url = url->ToString();
  url->target += query;
  if (!url->tls) return fail("webhooks are called over https only");
  net::TlsOptions tls_options;
  tls_options.system_roots = false;
  if (std::string bundle = Text(client, "caBundle"); !bundle.empty()) {
    auto pem = Base64Decode(bundle);
    if (!pem) return fail("caBundle is not base64");
    tls_options.ca_pems.push_back(std::move(*pem));
  } else {
    tls_options.system_roots = true;
  }
  auto tls = net::TlsConfig::Create(tls_options);
  if (!tls) return fail(tls.error().message);
  std::vector<std::string> versions = Strings(webhook, "admissionReviewVersions");
  std::string api_version =
      versions.empty() || std::find(versions.begin(), versions.end(), "v1") != versions.end()
          ? "v1"
          : "v1beta1";
  std::string uid = NewUid();
  net::Origin origin;
  origin.url = *url;
  origin.tls = *tls;
  origin.tls_server_name = endpoint.server_name;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  auto connection = net::HttpConnection::Open(origin, deadline);
  if (!connection) return fail(connection.error().message);
  net::WireRequest request;
  request.method = "POST";
  request.target = url->target;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json, */*"}};
  request.body = ToJson(ReviewRequest(a, uid, api_version));
  auto response = (*connection)->Exchange(request, deadline, kMaxResponseBytes);
  if (!response) return fail(response.error().message);
  if (response->status < 200 || response->status >= 300) {
    return Fail(ErrorKind::kIo,
                "failed to call webhook: the server responded with the status code " +
                    std::to_string(response->status) + " but did not return more information");
  }
  auto verdict = ParseAdmissionResponse(response->body, api_version, uid, mutating);
  if (!verdict) {
    return Fail(ErrorKind::kInvalidArgument,
                "received invalid webhook response: " + verdict.error().message);
  }
  return verdict;
}

}  // namespace kw::kube_double
