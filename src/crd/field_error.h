// Kubernetes field errors (k8s.io/apimachinery's field.Error) and the Status an
// `apierrors.NewInvalid` carries, rendered as controller-runtime sends them in an
// AdmissionResponse. The admission webhooks report every problem of an object this way:
//   <Kind>.policies.kubewarden.io "<name>" is invalid: <field>: <Type>: <value>: <detail>
// with several errors as "[e1, e2]" (identical texts once).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace kw::crd {

enum class FieldErrorType { kRequired, kForbidden, kInvalid, kDuplicate, kNotSupported, kTooMany };

struct FieldError {
  FieldErrorType type = FieldErrorType::kInvalid;
  std::string field;                     // "spec.rules[0].operations", field.Path's rendering
  std::optional<std::string> bad_value;  // already rendered (strings Go-quoted); nullopt: omitted
  std::string detail;

  // field.Error.ErrorBody(): "Invalid value: \"x\": detail", "Required value: detail", ...
  std::string Body() const;
  // field.Error.Error(): "<field>: <body>".
  std::string Message() const;
};

using FieldErrors = std::vector<FieldError>;

// The constructors of apimachinery's field package.
FieldError Required(std::string field, std::string detail);
FieldError Forbidden(std::string field, std::string detail);
// The value is rendered as Go's %v/%q render it: strings quoted, numbers and booleans as is;
// lists and objects as compact JSON (Go would print its own structs there).
FieldError Invalid(std::string field, const json::value& bad_value, std::string detail);
FieldError InvalidString(std::string field, std::string_view bad_value, std::string detail);
FieldError Duplicate(std::string field, std::string_view bad_value);
FieldError NotSupported(std::string field, std::string_view bad_value,
                        const std::vector<std::string_view>& supported);
FieldError TooMany(std::string field, std::size_t actual, std::size_t max);

// Builds field paths as field.Path prints them: Child ".name", Index "[i]", Key "[key]".
std::string Child(std::string_view path, std::string_view name);
std::string Index(std::string_view path, std::size_t index);
std::string Key(std::string_view path, std::string_view key);

// `kind` "ClusterAdmissionPolicy" → the metav1.Status of apierrors.NewInvalid for the
// policies.kubewarden.io group: code 422, reason Invalid, details with one cause per error.
// `errors` must not be empty.
json::object InvalidStatus(std::string_view kind, std::string_view name, const FieldErrors& errors);

}  // namespace kw::crd
