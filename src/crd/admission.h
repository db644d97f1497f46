// The controller's own admission webhooks (spec tooling.md §5.6) as a function of the request:
// the HTTP server that calls it lives in the controller.
//
//   /mutate-policies-kubewarden-io-v1-<kind>    (m<kind>.kb.io)  defaulting.h, a JSON Patch
//   /validate-policies-kubewarden-io-v1-<kind>  (v<kind>.kb.io)  validation.h
// for <kind> clusteradmissionpolicy, admissionpolicy, clusteradmissionpolicygroup,
// admissionpolicygroup and policyserver. Answers read as controller-runtime's: uid echoed,
// status.code 200 when allowed, a refused object's apierrors.NewInvalid Status (code 422), a
// request whose object cannot be read answered 400 in the review. Thread-safe if `lookup` is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "crd/object_lookup.h"
#include "crd/types.h"
#include "crd/validation.h"

namespace kw::crd {

// Larger bodies are refused unread. The API server stores objects of at most 1.5 MiB and a
// review carries two of them (object and oldObject).
inline constexpr std::size_t kMaxAdmissionReviewBytes = 8 * 1024 * 1024;

enum class WebhookAction { kMutate, kValidate };

struct WebhookRoute {
  WebhookAction action;
  std::optional<PolicyKind> policy_kind;  // nullopt: PolicyServer

  // "ClusterAdmissionPolicy", ..., "PolicyServer".
  std::string_view KindName() const;
};

// The webhook served at `path`, nullopt when none is.
std::optional<WebhookRoute> RouteFor(std::string_view path);

// The webhook's name in the webhook configurations: "mclusteradmissionpolicy.kb.io".
std::string WebhookName(WebhookRoute route);
// The path of the webhook: "/validate-policies-kubewarden-io-v1-policyserver".
std::string WebhookPath(WebhookRoute route);

// Answers the admission.k8s.io/v1 AdmissionReview `body` posted to `path` with the
// AdmissionReview JSON to send back. Errors, for the server to map to HTTP statuses: kNotFound
// (no webhook at `path`: 404) and kInvalidArgument (a body that is not an AdmissionReview with a
// request and a uid, or larger than kMaxAdmissionReviewBytes: 400).
Result<std::string> HandleAdmissionReview(std::string_view path, std::string_view body,
                                          ObjectLookup& lookup, const WebhookOptions& options);

}  // namespace kw::crd
