#include "crd/field_error.h"

#include <set>
#include <utility>

#include "base/go_quote.h"
#include "base/utf8.h"
#include "crd/types.h"

namespace kw::crd {
namespace {

std::string_view TypeText(FieldErrorType type) {
  switch (type) {
    case FieldErrorType::kRequired: return "Required value";
    case FieldErrorType::kForbidden: return "Forbidden";
    case FieldErrorType::kInvalid: return "Invalid value";
    case FieldErrorType::kDuplicate: return "Duplicate value";
    case FieldErrorType::kNotSupported: return "Unsupported value";
    case FieldErrorType::kTooMany: return "Too many";
  }
  return "Internal error";
}

// metav1.CauseType, the `reason` of a StatusCause.
std::string_view CauseType(FieldErrorType type) {
  switch (type) {
    case FieldErrorType::kRequired: return "FieldValueRequired";
    case FieldErrorType::kForbidden: return "FieldValueForbidden";
    case FieldErrorType::kInvalid: return "FieldValueInvalid";
    case FieldErrorType::kDuplicate: return "FieldValueDuplicate";
    case FieldErrorType::kNotSupported: return "FieldValueNotSupported";
    case FieldErrorType::kTooMany: return "FieldValueTooMany";
  }
  return "InternalError";
}

std::string RenderValue(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return GoQuote(std::string_view(v.get_string()));
    case json::kind::null: return "null";
    default: return ToJson(v);
  }
}

FieldError Make(FieldErrorType type, std::string field, std::optional<std::string> value,
                std::string detail) {
  return FieldError{type, std::move(field), std::move(value), std::move(detail)};
}

}  // namespace

std::string FieldError::Body() const {
  std::string s(TypeText(type));
  // Required and Forbidden never show the value, as ErrorBody() does.
  if (bad_value && type != FieldErrorType::kRequired && type != FieldErrorType::kForbidden) {
    s += ": " + *bad_value;
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

std::string FieldError::Message() const { return field + ": " + Body(); }

FieldError Required(std::string field, std::string detail) {
  return Make(FieldErrorType::kRequired, std::move(field), std::nullopt, std::move(detail));
}

FieldError Forbidden(std::string field, std::string detail) {
  return Make(FieldErrorType::kForbidden, std::move(field), std::nullopt, std::move(detail));
}

FieldError Invalid(std::string field, const json::value& bad_value, std::string detail) {
  return Make(FieldErrorType::kInvalid, std::move(field), RenderValue(bad_value), std::move(detail));
}

FieldError InvalidString(std::string field, std::string_view bad_value, std::string detail) {
  return Make(FieldErrorType::kInvalid, std::move(field), GoQuote(bad_value), std::move(detail));
}

FieldError Duplicate(std::string field, std::string_view bad_value) {
  return Make(FieldErrorType::kDuplicate, std::move(field), GoQuote(bad_value), "");
}

FieldError NotSupported(std::string field, std::string_view bad_value,
                        const std::vector<std::string_view>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (std::size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) detail += ", ";
      detail += GoQuote(supported[i]);
    }
  }
  return Make(FieldErrorType::kNotSupported, std::move(field), GoQuote(bad_value),
              std::move(detail));
}

FieldError TooMany(std::string field, std::size_t actual, std::size_t max) {
  return Make(FieldErrorType::kTooMany, std::move(field), std::to_string(actual),
              "must have at most " + std::to_string(max) + (max == 1 ? " item" : " items"));
}

std::string Child(std::string_view path, std::string_view name) {
  if (path.empty()) return std::string(name);
  return std::string(path) + "." + std::string(name);
}

std::string Index(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string Key(std::string_view path, std::string_view key) {
  return std::string(path) + "[" + std::string(key) + "]";
}

json::object InvalidStatus(std::string_view kind, std::string_view name,
                           const FieldErrors& errors) {
  json::array causes;
  // field.ErrorList.ToAggregate(): identical messages once; one error alone is not bracketed.
  std::set<std::string> seen;
  std::vector<std::string> messages;
  for (const FieldError& e : errors) {
    // Bytes that are not UTF-8 become U+FFFD, as Go's encoding/json writes them, so that the
    // answer stays JSON whatever a parser's message quoted.
    causes.push_back(json::object{{"reason", CauseType(e.type)},
                                  {"message", ToValidUtf8(e.Body())},
                                  {"field", ToValidUtf8(e.field)}});
    std::string message = ToValidUtf8(e.Message());
    if (seen.insert(message).second) messages.push_back(std::move(message));
  }
  std::string aggregate;
  if (messages.size() == 1) {
    aggregate = messages[0];
  } else {
    aggregate = "[";
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (i > 0) aggregate += ", ";
      aggregate += messages[i];
    }
    aggregate += "]";
  }
  std::string qualified_kind = std::string(kind) + "." + std::string(kGroup);
  std::string message = qualified_kind + " " + GoQuote(name) + " is invalid";  // GoQuote escapes
  if (!messages.empty()) message += ": " + aggregate;
  return json::object{
      {"metadata", json::object{}},
      {"status", "Failure"},
      {"message", message},
      {"reason", "Invalid"},
      {"details", json::object{{"name", name},
                               {"group", kGroup},
                               {"kind", kind},
                               {"causes", std::move(causes)}}},
      {"code", 422},
  };
}

}  // namespace kw::crd
