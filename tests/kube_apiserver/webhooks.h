// Admission webhooks as kube-apiserver calls them: the webhooks of the stored
// MutatingWebhookConfigurations, then of the ValidatingWebhookConfigurations (configurations by
// name, webhooks in their order), each called when its rules, namespaceSelector,
// objectSelector and matchConditions match the request, with an admission.k8s.io/v1
// AdmissionReview over HTTPS. Mutating webhooks' JSON patches apply to the object before the
// next webhook sees it; a denial or a failed call (failurePolicy Fail) fails the request with
// the real server's Status. See ASSUMPTIONS in main.cc for what departs from the real server.
//
// Thread-safety: Admit and the endpoint table may be used from any thread at once. Admit makes
// network calls: call it without holding the store's lock (a webhook may call back into the
// double).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "kube_apiserver/api_error.h"
#include "kube_apiserver/auth.h"

namespace kw::kube_double {

// What a request is to admission (the real admission.Attributes).
struct AdmissionAttributes {
  std::string operation;             // "CREATE", "UPDATE", "DELETE"
  std::string group, version, kind;  // of the object sent (a Scale for /scale)
  std::string resource_group, resource_version, resource, subresource;
  std::string name, ns;
  Identity user;
  std::optional<json::object> object, old_object;  // full objects, with apiVersion and kind
  bool dry_run = false;
  json::object options;  // CreateOptions, UpdateOptions or DeleteOptions (meta.k8s.io/v1)
  // The resource's other served versions, for webhooks with matchPolicy Equivalent (the
  // default) whose rules name one of them rather than the request's.
  std::vector<std::string> other_versions;
  // The version the request was made with, when a webhook sees it through another one ("" =
  // resource_version): requestKind and requestResource.
  std::string request_version;
};

// What the webhooks see of the world besides the request.
struct AdmissionContext {
  std::vector<json::object> mutating, validating;  // the stored configurations, any order
  // The labels of the request's namespace (null/absent: none, or no namespace).
  json::value namespace_labels;
};

// A webhook's answer.
struct AdmissionVerdict {
  bool allowed = false;
  json::object status;               // response.status (a metav1.Status), possibly empty
  std::optional<json::array> patch;  // response.patch decoded (JSONPatch)
};
// Reads a (`mutating` or validating) webhook's AdmissionReview answer
// (admission.k8s.io/<api_version>) to the request `uid`. Untrusted input: kInvalidArgument
// with the real server's wording of what is wrong.
Result<AdmissionVerdict> ParseAdmissionResponse(std::string_view body, std::string_view api_version,
                                                std::string_view uid, bool mutating);

class Webhooks {
 public:
  // Where the Service `ns`/`name` is reached (the double resolves no services): "host:port".
  void SetServiceEndpoint(const std::string& ns, const std::string& name, std::string address);
  // `--service-endpoint NAMESPACE/NAME=HOST:PORT`, or kInvalidArgument.
  Result<void> AddServiceEndpointFlag(std::string_view flag);
  // The /double/service-endpoints body {"namespace":..,"name":..,"address":".."}, or
  // kInvalidArgument.
  Result<void> AddServiceEndpointJson(const json::value& body);

  // Runs admission: the object as mutated (attributes.object, patched) when the request may go
  // on, or the error it fails with.
  ApiResult<std::optional<json::object>> Admit(const AdmissionAttributes& attributes,
                                               const AdmissionContext& context);

 private:
  std::optional<std::string> ServiceEndpoint(const std::string& ns, const std::string& name);
  // Calls one webhook; the error's message is what follows "failed calling webhook \"<name>\": ".
  Result<AdmissionVerdict> Call(const json::object& webhook, bool mutating,
                                const AdmissionAttributes& a);
  // Calls one matching webhook and acts on its verdict: a mutating one's patch applies to
  // a.object; a denial or a failed call (failurePolicy Fail) is the request's error.
  ApiResult<void> Invoke(const json::object& webhook, bool mutating, AdmissionAttributes& a);

  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::string> service_endpoints_;
};

// Whether requests for group/resource skip webhooks, as the real server exempts the
// configurations of admission itself.
bool ExemptFromWebhooks(std::string_view group, std::string_view resource);

}  // namespace kw::kube_double
