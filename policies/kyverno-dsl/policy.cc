// kyverno-dsl (policies-more.md §18): runs the Kyverno ClusterPolicy given in the settings.
//
// Upstream is a Go WASI command module. This port is a waPC guest (executionMode
// kubewarden-wapc): §18 needs no host capability and nothing that only WASI offers (no
// argv/stdin/stdout contract visible to users, no host.call); only the verdicts and messages
// must match, and waPC keeps the module small and the evaluation in-process.
//
// The `validate` handler is registered directly instead of through KUBEWARDEN_POLICY because
// upstream answers an undecodable payload with a 400 rejection, not a guest error.
#include <kubewarden/kubewarden.h>

#include <string>

#include "engine.h"
#include "value.h"

namespace sdk = kubewarden;

namespace {

// The `policy` member of the settings ("" when absent or null): nullptr (with `error`) when it
// is not a string. Borrowed from `settings`: the text is only compared with the cached one.
const std::string* PolicyText(const kyverno::Value& settings, std::string* error) {
  static const std::string kNone;
  const kyverno::Value* policy = settings.Find("policy");
  if (policy == nullptr || policy->is_null()) return &kNone;
  if (!policy->is_string()) {
    *error = "cannot unmarshal settings: json: cannot unmarshal " + std::string(kyverno::GoJsonTypeName(*policy)) +
             " into Go struct field Settings.policy of type string";
    return nullptr;
  }
  return &policy->as_string();
}

// The settings are decoded once per distinct policy text: kwctl and the policy-server send the
// same settings with every request.
struct CachedPolicy {
  std::string text;
  kyverno::PreparedPolicy policy;
  std::string error;
  bool valid = false;
};

const CachedPolicy& Decode(const std::string& text) {
  static CachedPolicy cache;
  static bool filled = false;
  if (!filled || cache.text != text) {
    cache = CachedPolicy();
    cache.text = text;
    kyverno::Value policy;
    cache.valid = kyverno::DecodePolicy(text, &policy, &cache.error);
    if (cache.valid) cache.policy = kyverno::Prepare(std::move(policy));
    filled = true;
  }
  return cache;
}

bool ValidateSettings(std::string_view payload, std::string& out) {
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) payload = "{}";
  kyverno::Value settings;
  std::string error;
  if (!kyverno::ParseJson(payload, &settings, &error)) {
    out = sdk::SettingsInvalid("cannot unmarshal settings: " + error).ToJson();
    return true;
  }
  if (!settings.is_object() && !settings.is_null()) {
    out = sdk::SettingsInvalid("cannot unmarshal settings: json: cannot unmarshal " + std::string(kyverno::GoJsonTypeName(settings)) +
                               " into Go value of type main.Settings")
              .ToJson();
    return true;
  }
  const std::string* text = PolicyText(settings, &error);
  if (text == nullptr) {
    out = sdk::SettingsInvalid(error).ToJson();
    return true;
  }
  const CachedPolicy& decoded = Decode(*text);
  out = decoded.valid ? sdk::SettingsValid().ToJson() : sdk::SettingsInvalid(decoded.error).ToJson();
  return true;
}

bool Validate(std::string_view payload, std::string& out) {
  kyverno::Value root;
  std::string error;
  // The payload outlives `root` and everything read from it (only texts leave this call).
  if (!kyverno::ParseJsonBorrowed(payload, &root, &error) || !root.is_object()) {
    if (error.empty()) error = "expected a JSON object";
    out = sdk::Reject("Error deserializing validation request: " + error, 400).ToJson();
    return true;
  }
  const kyverno::Value* settings = root.Find("settings");
  const kyverno::Value no_settings;
  const std::string* text = PolicyText(settings != nullptr ? *settings : no_settings, &error);
  if (text == nullptr) {
    out = sdk::Reject("Error deserializing validation request: " + error, 400).ToJson();
    return true;
  }
  const CachedPolicy& decoded = Decode(*text);
  if (!decoded.valid) {
    out = sdk::Reject(decoded.error, 400).ToJson();
    return true;
  }
  if (decoded.policy.policy.is_null() || text->find_first_not_of(" \t\r\n") == std::string::npos) {
    // Upstream dereferences the nil policy and the module fails.
    out = "runtime error: invalid memory address or nil pointer dereference";
    return false;
  }
  const kyverno::Value* request = root.Find("request");
  std::vector<kyverno::RuleResponse> responses =
      kyverno::Evaluate(decoded.policy, request != nullptr ? *request : kyverno::Value());
  bool reject = false;
  for (const kyverno::RuleResponse& r : responses) {
    reject = reject || r.status == kyverno::RuleResponse::Status::kFail ||
             r.status == kyverno::RuleResponse::Status::kError;
  }
  out = reject ? sdk::Reject(kyverno::VerdictMessage(responses)).ToJson() : sdk::Accept().ToJson();
  return true;
}

void Register() {
  sdk::wapc::RegisterFunction("validate", Validate);
  sdk::wapc::RegisterFunction("validate_settings", ValidateSettings);
}

}  // namespace

KUBEWARDEN_WAPC_GUEST(Register)
