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
// with "Error deserializing validation request: ...", also when the policy meets the malformed
// part only as it reads on demand), the policy's response is serialized, and an EvaluationError
// fails the call with its message.
//
// validate_settings: the payload (the settings JSON; empty counts as {}) is parsed and handed
// over; a payload that is not JSON answers {"valid":false,"message":"<parse error>"}.
//
// Most policies read their settings the same way in both functions. They declare the decoder
// once and let the SDK write the two entry points:
//
//   struct Settings { bool skip_init_containers = false; };
//   // Decodes and checks `value`; returns the message that makes the settings invalid.
//   std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings);
//   kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings);
//   KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
//
// validate_settings answers SettingsInvalid(<message>) when ReadSettings fails. validate reads
// the settings again (the host keeps no decoded state between calls) and, should that fail,
// answers EvaluationError(<message>): the host validated them first, so only a host that skips
// validation gets there, and upstream's policies fail the call the same way.
//
// Upstream Go policies answer a settings decode failure in validate with a rejection (code 400)
// rather than an error: KUBEWARDEN_GO_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
// does that, and is otherwise the same.
//
// A policy without settings (any settings are valid) writes KUBEWARDEN_POLICY_NO_SETTINGS(Validate).
#ifndef KUBEWARDEN_POLICY_H_
#define KUBEWARDEN_POLICY_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
  // The policy may have decided on a part of the payload it could not read: fail the call as
  // a payload malformed at the top level does.
  if (std::string late = request.deferred_error(); !late.empty()) {
    out = std::move(late);
    return false;
  }
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

template <typename S>
using ReadSettingsFunction = std::optional<std::string> (*)(const json::Value& value, S& settings);
template <typename S>
using ValidateWithSettingsFunction = ValidationResponse (*)(ValidationRequest& request,
                                                            const S& settings);

// How validate answers settings that do not read (see the file comment).
enum class BadSettingsAnswer { kEvaluationError, kReject400 };

template <typename S, ReadSettingsFunction<S> Read, ValidateWithSettingsFunction<S> F,
          BadSettingsAnswer kAnswer = BadSettingsAnswer::kEvaluationError>
ValidationResponse ValidateWithSettings(ValidationRequest& request) {
  S settings{};
  if (auto error = Read(request.settings(), settings)) {
    if constexpr (kAnswer == BadSettingsAnswer::kReject400) return Reject(*error, 400);
    return EvaluationError(*error);
  }
  return F(request, settings);
}

template <typename S, ReadSettingsFunction<S> Read>
SettingsValidationResponse ValidateSettingsWith(const json::Value& value) {
  S settings{};
  if (auto error = Read(value, settings)) return SettingsInvalid(*error);
  return SettingsValid();
}

inline SettingsValidationResponse AnySettingsAreValid(const json::Value&) {
  return SettingsValid();
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

// See the file comment. The aliases keep the template argument lists (which contain commas)
// out of KUBEWARDEN_POLICY's macro arguments.
#define KUBEWARDEN_POLICY_WITH_SETTINGS_(settings_type, read_settings, validate, answer)  \
  constexpr auto kubewarden_validate_ =                                                   \
      ::kubewarden::internal::ValidateWithSettings<settings_type, read_settings, validate, \
                                                   ::kubewarden::internal::answer>;       \
  constexpr auto kubewarden_validate_settings_ =                                          \
      ::kubewarden::internal::ValidateSettingsWith<settings_type, read_settings>;         \
  KUBEWARDEN_POLICY(kubewarden_validate_, kubewarden_validate_settings_)

#define KUBEWARDEN_POLICY_WITH_SETTINGS(settings_type, read_settings, validate) \
  KUBEWARDEN_POLICY_WITH_SETTINGS_(settings_type, read_settings, validate,      \
                                   BadSettingsAnswer::kEvaluationError)
#define KUBEWARDEN_GO_POLICY_WITH_SETTINGS(settings_type, read_settings, validate) \
  KUBEWARDEN_POLICY_WITH_SETTINGS_(settings_type, read_settings, validate,         \
                                   BadSettingsAnswer::kReject400)

#define KUBEWARDEN_POLICY_NO_SETTINGS(validate) \
  KUBEWARDEN_POLICY(validate, ::kubewarden::internal::AnySettingsAreValid)

#endif  // KUBEWARDEN_POLICY_H_
