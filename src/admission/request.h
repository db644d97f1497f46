// What a policy is asked to validate, and the JSON payload it receives.
//
// Request bodies are read as text, not into a DOM: the body is validated once by simdjson, the
// small structured fields of an AdmissionRequest are type-checked and re-serialized, and the
// large free-form values (`object`, `oldObject`, `options`) are copied as raw text slices of the
// input. The resulting ValidationRequest holds the request as JSON text, ready to be spliced
// into a policy's payload.
//
// An AdmissionRequest (spec policy-server §1.4) is normalized the way upstream's serde struct
// does it: the required fields are type-checked, unknown fields are dropped, JSON nulls in
// optional fields count as absent, and the result is written in upstream's field order (uid,
// kind, resource, subResource, requestKind, requestResource, requestSubResource, name,
// namespace, operation, userInfo, object, oldObject, dryRun, options). `userInfo` follows the
// k8s-openapi UserInfo struct: keys extra, groups, uid, username (alphabetical, as k8s-openapi
// serializes them), `extra` keys sorted (a BTreeMap upstream; the last of duplicate keys wins).
// A field of AdmissionRequest, GroupVersionKind/Resource or the review wrapper given twice is an
// error ("duplicate field `uid`"), as with serde's derived structs. The structured fields come
// out compact; `object`, `oldObject` and `options` keep their bytes exactly as sent
// (whitespace, escapes and number spellings included).
//
// A raw request (`/validate_raw`, `kwctl run --raw`, `policyType: raw`) is any JSON value and
// is passed through verbatim (its text, without surrounding whitespace).
//
// JSON that does not parse (bad syntax, invalid UTF-8, nesting deeper than kMaxJsonDepth,
// numbers outside the range of a double or of a 64-bit integer, trailing bytes after the value,
// a body over simdjson's 4 GiB limit) is a kSyntax error whose message starts with
// kInvalidJsonPrefix followed by simdjson's explanation; the policy-server answers those with
// 400. Every other error is a kInvalidArgument schema error (422), whose message names the offending field by its dotted path inside the
// request, e.g. "missing field `kind.group`" or "invalid type: integer `5`, expected a string
// at `userInfo.username`". Callers add their own context.
//
// Differences from upstream's serde_json: numbers beyond the range of a double (`1e400`) are
// syntax errors in both, but integers beyond 64 bits (`123456789012345678901234`) are rejected
// here while serde_json would read them as a double. The Kubernetes API server never sends
// either.
//
// All functions are thread-safe. A ValidationRequest is an immutable value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace kw::admission {

enum class RequestKind { kAdmission, kRaw };

// How every JSON syntax error message starts. Callers tell syntax errors (400 in the
// policy-server) from schema errors (422) by kind; the prefix is there for those that word the
// explanation after it their own way.
inline constexpr std::string_view kInvalidJsonPrefix = "invalid JSON: ";

// Bodies nested deeper than this are syntax errors (the depth of `[[1]]` is 2). Bounded so
// that no later recursive walk of a request can exhaust the stack.
inline constexpr std::size_t kMaxJsonDepth = 512;

// A group/version/kind or group/version/resource.
struct GroupVersionName {
  std::string group;
  std::string version;
  std::string name;  // the kind or the resource
};

// What an AdmissionRequest is about, as the request spans of policy-server carry it
// (policy-server.md §5.3). Absent strings are "".
struct AdmissionIdentity {
  std::string name;
  std::string subresource;
  GroupVersionName kind;      // `kind`
  GroupVersionName resource;  // `resource`
};

// One validation input.
class ValidationRequest {
 public:
  // The raw request `null`.
  ValidationRequest();

  RequestKind kind() const { return kind_; }

  // The request as the policy receives it under `request`: the normalized AdmissionRequest, or
  // the raw request verbatim. Always one valid JSON value.
  std::string_view json() const { return json_; }

  // The uid a response must carry: the AdmissionRequest's uid; for a raw request its `uid` when
  // that is a string, else "".
  std::string_view uid() const { return uid_; }

  // `namespace` of an AdmissionRequest, for the always-accept-namespace check; nullopt for raw
  // requests or when absent.
  const std::optional<std::string>& namespace_name() const { return namespace_; }

  // `requestKind.kind` ("" when requestKind is absent) and `operation` of an AdmissionRequest,
  // the `resource_kind` and `resource_request_operation` of its metrics; "" for raw requests.
  const std::string& resource_kind() const { return resource_kind_; }
  const std::string& operation() const { return operation_; }
  // What an AdmissionRequest is about; all "" for raw requests.
  const AdmissionIdentity& identity() const { return identity_; }

  // The object a mutation is diffed against (§3.1 step 4), as JSON text: `object` of an
  // AdmissionRequest (nullopt when absent), the whole raw request otherwise.
  std::optional<std::string_view> ObjectJson() const;

  // The same as a DOM (null when absent). Parses the text on every call. Cannot fail for a
  // request built by the functions below; kInternal otherwise.
  Result<json::value> OriginalObject() const;

 private:
  friend struct RequestBuilder;

  RequestKind kind_ = RequestKind::kRaw;
  std::string json_;
  std::string uid_;
  std::optional<std::string> namespace_;
  std::string resource_kind_;
  std::string operation_;
  // Where `object` is in json_ (admission requests); npos when absent.
  std::size_t object_offset_ = std::string::npos;
  std::size_t object_size_ = 0;
  AdmissionIdentity identity_;
};

// policy-server's /validate and /audit: `body` is an AdmissionReview, an object whose
// `request` member (required) is an AdmissionRequest. Its other members (apiVersion, kind, ...)
// are ignored.
Result<ValidationRequest> ParseAdmissionReview(std::string_view body);

// policy-server's /validate_raw: `body` is an object whose `request` member (required) is the
// raw request, any JSON value.
Result<ValidationRequest> ParseRawReview(std::string_view body);

// kwctl's reading of a request file (tooling §1.6 step 3). With `raw`, the whole text is the
// raw request. Otherwise the text must be an object; when its `kind` is the string
// "AdmissionReview" the request is its `request` member (which must exist), otherwise the
// object itself is the AdmissionRequest.
Result<ValidationRequest> ParseKwctlRequest(std::string_view text, bool raw);

// The settings as a policy receives them: their compact serialization, with null sent as `{}`
// (what upstream sends for a policy without settings). Computed once per policy, not per call.
std::string SerializeSettings(const json::value& settings);

// `{"request":<request.json()>,"settings":<settings_json>}`, the `validate` payload of waPC and
// WASI policies (§4.b). `settings_json` comes from SerializeSettings.
std::string BuildValidatePayload(const ValidationRequest& request, std::string_view settings_json);

}  // namespace kw::admission
