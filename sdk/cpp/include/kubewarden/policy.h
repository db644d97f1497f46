// kubewarden/policy.h: the glue between waPC and a policy's two functions.
//
//   namespace kw = kubewarden;
//   kw::ValidationResponse Validate(kw::ValidationRequest& request);
//   kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& settings);
//   KUBEWARDEN_POLICY(Validate, ValidateSettings)
//
// KUBEWARDEN_POLICY (once per module, at namespace scope) registers them as the waPC operations
// `validate` and `validate_settings` and defines the module's exports (wapc.h);
// `protocol_version` answers "v1".
//
// validate: the payload is parsed into a ValidationRequest (a malformed payload fails the call
// with "Error deserializing validation request: ..."), the policy's response is serialized, and
// an EvaluationError fails the call with its message.
//
// validate_settings: the payload (the settings JSON; empty counts as {}) is parsed and handed
// over; a payload that is not JSON answers {"valid":false,"message":"<parse error>"}.
#ifndef KUBEWARDEN_POLICY_H_
#define KUBEWARDEN_POLICY_H_

#include <string>
#include <string_view>

#include "kubewarden/json.h"
#include "kubewarden/request.h"
#include "kubewarden/response.h"
#include "kubewarden/wapc.h"

namespace kubewarden {

using ValidateFunction = ValidationResponse (*)(ValidationRequest& request);
using ValidateSettingsFunction = SettingsValidationResponse (*)(const json::Value& settings);

namespace internal {

template <ValidateFunction F>
bool ValidateHandler(std::string_view payload, std::string& out) {
  ValidationRequest request;
  if (!request.Parse(payload)) {
    out = request.error();
    return false;
  }
  ValidationResponse response = F(request);
  out = response.ToJson();  // before `request` (which owns any mutated object) goes away
  return !response.is_evaluation_error();
}

template <ValidateSettingsFunction F>
bool ValidateSettingsHandler(std::string_view payload, std::string& out) {
  json::Document doc;
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) payload = "{}";
  const json::Value* settings = doc.Parse(payload);
  out = settings ? F(*settings).ToJson() : SettingsInvalid(doc.error()).ToJson();
  return true;
}

}  // namespace internal
}  // namespace kubewarden

#define KUBEWARDEN_POLICY(validate, validate_settings)                                            \
  static void kubewarden_register_policy_() {                                                     \
    ::kubewarden::wapc::RegisterFunction("validate",                                              \
                                         ::kubewarden::internal::ValidateHandler<validate>);      \
    ::kubewarden::wapc::RegisterFunction(                                                         \
        "validate_settings", ::kubewarden::internal::ValidateSettingsHandler<validate_settings>); \
  }                                                                                               \
  KUBEWARDEN_WAPC_GUEST(kubewarden_register_policy_)

#endif  // KUBEWARDEN_POLICY_H_
