// Policy outputs and the AdmissionResponse we emit.
//
// Policy output (ValidationResponse §4.b, settings response §4.d) is hostile input: it is parsed
// with serde's strictness (exact types, `code` must fit a u16, required keys required), while
// accepting what serde accepts (nulls for optional fields, unknown keys ignored). Parse errors
// are kPolicyResponse with a serde-like message ("missing field `accepted`", "invalid value:
// integer `70000`, expected u16 at `code`"); callers wrap them ("invalid response from policy:
// ...").
//
// The AdmissionResponse is serialized exactly as upstream's serde struct (§1.5): key order uid,
// allowed, patchType, patch, status, auditAnnotations, warnings; the last two always present
// (null when absent); status keys omitted when absent; `details.causes` omitted when empty;
// each cause always carries reason, message and field (null when absent). Strings that are not
// valid UTF-8 are emitted with U+FFFD replacements so the output is always valid JSON.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw::admission {

// What a waPC or WASI policy's `validate` returns.
struct PolicyValidationResponse {
  bool accepted = false;
  std::optional<std::string> message;
  std::optional<std::uint16_t> code;
  std::optional<std::string> mutated_object;  // its compact JSON text
  std::optional<std::map<std::string, std::string>> audit_annotations;
  std::optional<std::vector<std::string>> warnings;
};

Result<PolicyValidationResponse> ParsePolicyValidationResponse(std::string_view bytes);
// Same, from an already parsed value (moved from).
Result<PolicyValidationResponse> PolicyValidationResponseFromJson(json::value&& value);

// What `validate_settings` returns.
struct SettingsValidationResponse {
  bool valid = false;
  std::optional<std::string> message;
};

Result<SettingsValidationResponse> ParseSettingsValidationResponse(std::string_view bytes);

struct StatusCause {
  std::optional<std::string> reason;
  std::optional<std::string> message;
  std::optional<std::string> field;
  bool operator==(const StatusCause&) const = default;
};

struct StatusDetails {
  std::optional<std::string> name;
  std::optional<std::string> group;
  std::optional<std::string> kind;
  std::optional<std::string> uid;
  std::vector<StatusCause> causes;
  std::optional<std::int32_t> retry_after_seconds;  // serialized as `retry_after_seconds`
  bool operator==(const StatusDetails&) const = default;
};

struct AdmissionResponseStatus {
  std::optional<std::string> status;  // "Success" or "Failure"
  std::optional<std::string> message;
  std::optional<std::string> reason;
  std::optional<StatusDetails> details;
  std::optional<std::uint16_t> code;
  bool operator==(const AdmissionResponseStatus&) const = default;
};

inline constexpr std::string_view kJsonPatchType = "JSONPatch";

struct AdmissionResponse {
  std::string uid;
  bool allowed = false;
  std::optional<std::string> patch_type;  // kJsonPatchType whenever `patch` is set
  std::optional<std::string> patch;       // base64 of the JSON array of RFC 6902 operations
  std::optional<AdmissionResponseStatus> status;
  std::optional<std::map<std::string, std::string>> audit_annotations;
  std::optional<std::vector<std::string>> warnings;
  bool operator==(const AdmissionResponse&) const = default;
};


// Reads an AdmissionResponse the way upstream deserializes one (OPA policies return it, §4.e.3):
// camelCase keys, `uid` and `allowed` required, everything else optional (null = absent),
// unknown keys ignored, `patchType` must be "JSONPatch", `status.status` "Success" or "Failure".
// Errors are kPolicyResponse.
Result<AdmissionResponse> AdmissionResponseFromJson(const json::value& value);

// Compact serializations, written directly (no DOM), byte-identical to serializing the DOM.
std::string AdmissionResponseJson(const AdmissionResponse& response);  // kwctl run output
// `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":...}` (/validate).
std::string AdmissionReviewJson(const AdmissionResponse& response);
// `{"response":...}` (/validate_raw).
std::string RawReviewJson(const AdmissionResponse& response);

inline constexpr std::string_view kMutationOfNullObjectMessage =
    "Incoming object is null, which happens only with DELETE operations, but the policy is "
    "attempting a mutation. This is not allowed";

// The "vanilla" response for a waPC/WASI policy answer (§3.1 step 4). `original_object` is the
// JSON text a mutation is diffed against (see ObjectJson() in request.h); nullopt or `null`
// means there is none, which turns any mutation into a rejection.
Result<AdmissionResponse> FromPolicyResponse(std::string_view uid,
                                             PolicyValidationResponse response,
                                             std::optional<std::string_view> original_object);

// `{uid, allowed:false, status:{message, code}}`, for evaluation failures (§1.6).
AdmissionResponse RejectInternal(std::string_view uid, std::string message,
                                 std::uint16_t code = 500);

}  // namespace kw::admission
