// kubewarden/response.h: what `validate` and `validate_settings` answer (policies.md §1.2).
//
//   return kubewarden::Accept();
//   return kubewarden::Reject("Privileged container is not allowed");
//   return kubewarden::Reject("not allowed here", 403);
//   return kubewarden::Mutate(*request.mutable_object()).AddWarning("defaulted runAsNonRoot");
//   return kubewarden::EvaluationError("cannot decode the object");   // guest failure, host 500
//
//   return kubewarden::SettingsValid();
//   return kubewarden::SettingsInvalid("port min 10 cannot be greater than max 5");
//
// A ValidationResponse serializes to the ValidationResponse JSON the host parses:
// {"accepted":bool,"message"?:str,"code"?:u16,"mutated_object"?:any,
//  "audit_annotations"?:{str:str},"warnings"?:[str]}. An EvaluationError is not a response but a
// failed guest call: the host rejects with code 500 and
// "internal server error: Guest call failure: <message>".
//
// Mutate keeps a pointer to the mutated object, which must outlive the response (it lives in
// the request's document, which the SDK glue keeps until the answer is written).
#ifndef KUBEWARDEN_RESPONSE_H_
#define KUBEWARDEN_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kubewarden/json.h"

namespace kubewarden {

class ValidationResponse {
 public:
  // Adds a warning (shown to kubectl users).
  ValidationResponse& AddWarning(std::string_view warning) {
    if (!warnings_.empty()) warnings_.push_back(',');
    json::AppendQuoted(warnings_, warning);
    return *this;
  }
  // Adds an audit annotation (recorded in the Kubernetes audit log). Keys should be unique.
  ValidationResponse& AddAuditAnnotation(std::string_view key, std::string_view value) {
    if (!annotations_.empty()) annotations_.push_back(',');
    json::AppendQuoted(annotations_, key);
    annotations_.push_back(':');
    json::AppendQuoted(annotations_, value);
    return *this;
  }

  bool accepted() const { return accepted_; }
  const std::optional<std::string>& message() const { return message_; }
  std::optional<std::uint16_t> code() const { return code_; }
  const json::Value* mutated_object() const { return mutated_object_; }
  bool is_evaluation_error() const { return evaluation_error_; }

  // The ValidationResponse JSON (for an evaluation error: the error message).
  std::string ToJson() const {
    if (evaluation_error_) return message_.value_or(std::string());
    std::string out;
    json::Writer w(out);
    w.BeginObject().Key("accepted").Bool(accepted_);
    if (message_) w.Key("message").String(*message_);
    if (code_) w.Key("code").Uint(*code_);
    if (mutated_object_) w.Key("mutated_object").JsonAsRead(*mutated_object_);
    if (!annotations_.empty()) {
      w.Key("audit_annotations").Raw("{");
      out.append(annotations_).push_back('}');
    }
    if (!warnings_.empty()) {
      w.Key("warnings").Raw("[");
      out.append(warnings_).push_back(']');
    }
    w.EndObject();
    return out;
  }

 private:
  friend ValidationResponse Accept();
  friend ValidationResponse Reject(std::string_view, std::optional<std::uint16_t>);
  friend ValidationResponse Mutate(const json::Value&);
  friend ValidationResponse EvaluationError(std::string_view);

  ValidationResponse() = default;

  bool accepted_ = true;
  bool evaluation_error_ = false;
  std::optional<std::string> message_;
  std::optional<std::uint16_t> code_;
  const json::Value* mutated_object_ = nullptr;
  std::string warnings_;     // comma-separated JSON strings
  std::string annotations_;  // comma-separated JSON members
};

// Accepts the request unchanged.
inline ValidationResponse Accept() { return ValidationResponse(); }

// Rejects with `message` (status.message) and, where the policy's spec names one, `code`
// (status.code).
inline ValidationResponse Reject(std::string_view message,
                                 std::optional<std::uint16_t> code = std::nullopt) {
  ValidationResponse r;
  r.accepted_ = false;
  r.message_ = std::string(message);
  r.code_ = code;
  return r;
}

// Accepts with `mutated_object`, the complete edited object (see the file comment).
inline ValidationResponse Mutate(const json::Value& mutated_object) {
  ValidationResponse r;
  r.mutated_object_ = &mutated_object;
  return r;
}

// Fails the guest call with `message` (an "evaluation error" in the policies spec).
inline ValidationResponse EvaluationError(std::string_view message) {
  ValidationResponse r;
  r.accepted_ = false;
  r.evaluation_error_ = true;
  r.message_ = std::string(message);
  return r;
}

class SettingsValidationResponse {
 public:
  bool valid() const { return valid_; }
  const std::string& message() const { return message_; }

  // {"valid":true} or {"valid":false,"message":"..."}.
  std::string ToJson() const {
    std::string out;
    json::Writer w(out);
    w.BeginObject().Key("valid").Bool(valid_);
    if (!valid_) w.Key("message").String(message_);
    w.EndObject();
    return out;
  }

 private:
  friend SettingsValidationResponse SettingsValid();
  friend SettingsValidationResponse SettingsInvalid(std::string_view);
  SettingsValidationResponse() = default;

  bool valid_ = true;
  std::string message_;
};

inline SettingsValidationResponse SettingsValid() { return SettingsValidationResponse(); }

// kwctl prints it as "Provided settings are not valid: <message>".
inline SettingsValidationResponse SettingsInvalid(std::string_view message) {
  SettingsValidationResponse r;
  r.valid_ = false;
  r.message_ = std::string(message);
  return r;
}

}  // namespace kubewarden

#endif  // KUBEWARDEN_RESPONSE_H_
