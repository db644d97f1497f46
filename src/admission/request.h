// What a policy is asked to validate, and the JSON payload it receives.
//
// An AdmissionRequest (spec policy-server §1.4) is normalized the way upstream's serde struct
// does it: the required fields are type-checked, unknown fields are dropped, JSON nulls in
// optional fields count as absent, and the result is re-serialized in upstream's field order
// (uid, kind, resource, subResource, requestKind, requestResource, requestSubResource, name,
// namespace, operation, userInfo, object, oldObject, dryRun, options). `userInfo` follows the
// k8s-openapi UserInfo struct: keys extra, groups, uid, username (alphabetical, as k8s-openapi
// serializes them) and `extra` keys sorted (a BTreeMap upstream).
//
// A raw request (`/validate_raw`, `kwctl run --raw`, `policyType: raw`) is any JSON value and
// is passed through verbatim.
//
// Errors are kInvalidArgument with a message naming the offending field with its dotted path,
// e.g. "missing field `kind.group`" or "invalid type: integer `5`, expected a string at
// `userInfo.username`". Callers add their own context.
//
// All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace kw::admission {

enum class RequestKind { kAdmission, kRaw };

// One validation input. For kAdmission, `request` holds a normalized AdmissionRequest.
struct ValidationRequest {
  RequestKind kind = RequestKind::kAdmission;
  json::value request;
};

// Validates and re-serializes an AdmissionRequest. The rvalue overload moves the (possibly
// large) `object`, `oldObject` and `options` subtrees instead of copying them.
Result<json::value> NormalizeAdmissionRequest(const json::value& request);
Result<json::value> NormalizeAdmissionRequest(json::value&& request);

// kwctl's reading of a request file (tooling §1.6 step 3): `body` must be an object; when its
// `kind` is the string "AdmissionReview" the request is its `request` member (which must
// exist), otherwise `body` itself is the request. The result is normalized.
Result<json::value> ExtractAdmissionRequest(const json::value& body);
Result<json::value> ExtractAdmissionRequest(json::value&& body);

// Serializes `{"request":<request>,"settings":<settings>}` compactly, straight into one string
// (the `validate` payload of waPC and WASI policies, §4.b). A null `settings` is sent as `{}`,
// which is what upstream sends for a policy without settings.
std::string BuildValidatePayload(const json::value& request, const json::value& settings);

// The uid a response must carry: `request.uid` when it is a string, else "" (only possible for
// raw requests, since a normalized AdmissionRequest always has a string uid).
std::string RequestUid(RequestKind kind, const json::value& request);

// The object a mutation is diffed against (§3.1 step 4): `request.object` for an
// AdmissionRequest (nullptr when absent), the whole raw request otherwise.
const json::value* OriginalObject(RequestKind kind, const json::value& request);

// `request.namespace` of an AdmissionRequest, for the always-accept-namespace check; nullopt
// for raw requests or when absent.
std::optional<std::string_view> RequestNamespace(RequestKind kind, const json::value& request);

}  // namespace kw::admission
