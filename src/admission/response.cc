#include "admission/response.h"

#include <cmath>
#include <utility>

#include "admission/json_patch.h"
#include "admission/json_text.h"
#include "admission/json_util.h"
#include "admission/simdjson_dom.h"
#include "base/base64.h"

namespace kw::admission {
namespace {

// ---- Reading (serde-like strictness) ----

std::string FieldPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::unexpected<Error> BadResponse(std::string message) {
  return Fail(ErrorKind::kPolicyResponse, std::move(message));
}

std::unexpected<Error> WrongType(const json::value& found, std::string_view expected,
                                 std::string_view parent, std::string_view key) {
  return BadResponse(InvalidType(found, expected) + " at `" + FieldPath(parent, key) + "`");
}

// An optional field: nullptr when absent or null.
const json::value* FindOptional(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Result<bool> ReadRequiredBool(const json::object& obj, std::string_view key,
                              std::string_view parent = {}) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return BadResponse("missing field `" + FieldPath(parent, key) + "`");
  if (!v->is_bool()) return WrongType(*v, "a boolean", parent, key);
  return v->get_bool();
}

Result<std::string> ReadRequiredString(const json::object& obj, std::string_view key,
                                       std::string_view parent = {}) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return BadResponse("missing field `" + FieldPath(parent, key) + "`");
  if (!v->is_string()) return WrongType(*v, "a string", parent, key);
  return std::string(v->get_string());
}

Result<std::optional<std::string>> ReadOptionalString(const json::object& obj, std::string_view key,
                                                      std::string_view parent = {}) {
  const json::value* v = FindOptional(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return WrongType(*v, "a string", parent, key);
  return std::string(v->get_string());
}

// serde's integer checks: floats are a type error, out-of-range integers a value error.
template <typename Int>
Result<std::optional<Int>> ReadOptionalInt(const json::object& obj, std::string_view key,
                                           std::string_view type_name,
                                           std::string_view parent = {}) {
  const json::value* v = FindOptional(obj, key);
  if (v == nullptr) return std::nullopt;
  const auto out_of_range = [&] {
    return BadResponse("invalid value: " + DescribeJson(*v) + ", expected " +
                       std::string(type_name) + " at `" + FieldPath(parent, key) + "`");
  };
  if (const std::int64_t* i = v->if_int64()) {
    if (!std::in_range<Int>(*i)) return out_of_range();
    return static_cast<Int>(*i);
  }
  if (const std::uint64_t* u = v->if_uint64()) {
    if (!std::in_range<Int>(*u)) return out_of_range();
    return static_cast<Int>(*u);
  }
  return WrongType(*v, type_name, parent, key);
}

Result<std::optional<std::map<std::string, std::string>>> ReadOptionalStringMap(
    const json::object& obj, std::string_view key, std::string_view parent = {}) {
  const json::value* v = FindOptional(obj, key);
  if (v == nullptr) return std::nullopt;
  const json::object* map = v->if_object();
  if (map == nullptr) return WrongType(*v, "a map", parent, key);
  std::map<std::string, std::string> out;
  const std::string path = FieldPath(parent, key);
  for (const auto& kv : *map) {
    if (!kv.value().is_string()) return WrongType(kv.value(), "a string", path, kv.key());
    out.emplace(kv.key(), kv.value().get_string());
  }
  return out;
}

Result<std::optional<std::vector<std::string>>> ReadOptionalStringVector(
    const json::object& obj, std::string_view key, std::string_view parent = {}) {
  const json::value* v = FindOptional(obj, key);
  if (v == nullptr) return std::nullopt;
  const json::array* arr = v->if_array();
  if (arr == nullptr) return WrongType(*v, "a sequence", parent, key);
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const json::value& item = (*arr)[i];
    if (!item.is_string()) {
      return WrongType(item, "a string", parent, std::string(key) + "[" + std::to_string(i) + "]");
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

// Boost.JSON would serialize an infinite double as the non-JSON token `Infinity` (e.g. inside a
// patch). ParseJson refuses out-of-range numbers such as 1e400 as serde_json does, but a value
// handed to PolicyValidationResponseFromJson may have been built otherwise.
bool HasNonFiniteNumber(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return !std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& item : v.get_array()) {
        if (HasNonFiniteNumber(item)) return true;
      }
      return false;
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (HasNonFiniteNumber(kv.value())) return true;
      }
      return false;
    default:
      return false;
  }
}

Result<json::value> ParsePolicyOutput(std::string_view bytes) {
  auto parsed = ParseJson(bytes, "invalid JSON");
  if (!parsed) return BadResponse(std::move(parsed).error().message);
  return std::move(*parsed);
}

Result<StatusCause> ReadCause(const json::value& v, std::string_view path) {
  const json::object* obj = v.if_object();
  if (obj == nullptr) {
    return BadResponse(InvalidType(v, "struct StatusCause") + " at `" + std::string(path) + "`");
  }
  StatusCause cause;
  KW_ASSIGN_OR_RETURN(cause.reason, ReadOptionalString(*obj, "reason", path));
  KW_ASSIGN_OR_RETURN(cause.message, ReadOptionalString(*obj, "message", path));
  KW_ASSIGN_OR_RETURN(cause.field, ReadOptionalString(*obj, "field", path));
  return cause;
}

Result<std::optional<StatusDetails>> ReadDetails(const json::object& status) {
  constexpr std::string_view kPath = "status.details";
  const json::value* v = FindOptional(status, "details");
  if (v == nullptr) return std::nullopt;
  const json::object* obj = v->if_object();
  if (obj == nullptr) return WrongType(*v, "struct StatusDetails", "status", "details");
  StatusDetails details;
  KW_ASSIGN_OR_RETURN(details.name, ReadOptionalString(*obj, "name", kPath));
  KW_ASSIGN_OR_RETURN(details.group, ReadOptionalString(*obj, "group", kPath));
  KW_ASSIGN_OR_RETURN(details.kind, ReadOptionalString(*obj, "kind", kPath));
  KW_ASSIGN_OR_RETURN(details.uid, ReadOptionalString(*obj, "uid", kPath));
  if (const json::value* causes = FindOptional(*obj, "causes")) {
    const json::array* arr = causes->if_array();
    if (arr == nullptr) return WrongType(*causes, "a sequence", kPath, "causes");
    details.causes.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
      KW_ASSIGN_OR_RETURN(StatusCause cause, ReadCause((*arr)[i], std::string(kPath) + ".causes[" +
                                                                      std::to_string(i) + "]"));
      details.causes.push_back(std::move(cause));
    }
  }
  KW_ASSIGN_OR_RETURN(details.retry_after_seconds,
                      ReadOptionalInt<std::int32_t>(*obj, "retry_after_seconds", "i32", kPath));
  return details;
}

Result<std::optional<AdmissionResponseStatus>> ReadStatus(const json::object& response) {
  const json::value* v = FindOptional(response, "status");
  if (v == nullptr) return std::nullopt;
  const json::object* obj = v->if_object();
  if (obj == nullptr) return WrongType(*v, "struct AdmissionResponseStatus", {}, "status");
  AdmissionResponseStatus status;
  KW_ASSIGN_OR_RETURN(status.status, ReadOptionalString(*obj, "status", "status"));
  if (status.status && *status.status != "Success" && *status.status != "Failure") {
    return BadResponse("unknown variant `" + ToValidUtf8(*status.status) +
                       "`, expected `Success` or `Failure` at `status.status`");
  }
  KW_ASSIGN_OR_RETURN(status.message, ReadOptionalString(*obj, "message", "status"));
  KW_ASSIGN_OR_RETURN(status.reason, ReadOptionalString(*obj, "reason", "status"));
  KW_ASSIGN_OR_RETURN(status.details, ReadDetails(*obj));
  KW_ASSIGN_OR_RETURN(status.code, ReadOptionalInt<std::uint16_t>(*obj, "code", "u16", "status"));
  return status;
}

// ---- Writing ----

void AppendBool(std::string& out, bool b) { out.append(b ? "true" : "false"); }

// Appends `,"key":"value"` (or `"key":"value"` for the first member) when `value` is set.
void AppendOptionalMember(std::string& out, bool& first, std::string_view key,
                          const std::optional<std::string>& value) {
  if (!value) return;
  if (!first) out.push_back(',');
  first = false;
  out.push_back('"');
  out.append(key);
  out.append("\":");
  AppendJsonString(out, *value);
}

void AppendNullableString(std::string& out, const std::optional<std::string>& value) {
  if (value) {
    AppendJsonString(out, *value);
  } else {
    out.append("null");
  }
}

void AppendDetails(std::string& out, const StatusDetails& d) {
  out.push_back('{');
  bool first = true;
  AppendOptionalMember(out, first, "name", d.name);
  AppendOptionalMember(out, first, "group", d.group);
  AppendOptionalMember(out, first, "kind", d.kind);
  AppendOptionalMember(out, first, "uid", d.uid);
  if (!d.causes.empty()) {
    if (!first) out.push_back(',');
    first = false;
    out.append("\"causes\":[");
    for (std::size_t i = 0; i < d.causes.size(); ++i) {
      if (i != 0) out.push_back(',');
      out.append("{\"reason\":");
      AppendNullableString(out, d.causes[i].reason);
      out.append(",\"message\":");
      AppendNullableString(out, d.causes[i].message);
      out.append(",\"field\":");
      AppendNullableString(out, d.causes[i].field);
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (d.retry_after_seconds) {
    if (!first) out.push_back(',');
    out.append("\"retry_after_seconds\":");
    out.append(std::to_string(*d.retry_after_seconds));
  }
  out.push_back('}');
}

void AppendStatus(std::string& out, const AdmissionResponseStatus& s) {
  out.push_back('{');
  bool first = true;
  AppendOptionalMember(out, first, "status", s.status);
  AppendOptionalMember(out, first, "message", s.message);
  AppendOptionalMember(out, first, "reason", s.reason);
  if (s.details) {
    if (!first) out.push_back(',');
    first = false;
    out.append("\"details\":");
    AppendDetails(out, *s.details);
  }
  if (s.code) {
    if (!first) out.push_back(',');
    out.append("\"code\":");
    out.append(std::to_string(*s.code));
  }
  out.push_back('}');
}

void AppendResponse(std::string& out, const AdmissionResponse& r) {
  out.append("{\"uid\":");
  AppendJsonString(out, r.uid);
  out.append(",\"allowed\":");
  AppendBool(out, r.allowed);
  if (r.patch_type) {
    out.append(",\"patchType\":");
    AppendJsonString(out, *r.patch_type);
  }
  if (r.patch) {
    out.append(",\"patch\":");
    AppendJsonString(out, *r.patch);
  }
  if (r.status) {
    out.append(",\"status\":");
    AppendStatus(out, *r.status);
  }
  out.append(",\"auditAnnotations\":");
  if (r.audit_annotations) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, value] : *r.audit_annotations) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(out, key);
      out.push_back(':');
      AppendJsonString(out, value);
    }
    out.push_back('}');
  } else {
    out.append("null");
  }
  out.append(",\"warnings\":");
  if (r.warnings) {
    out.push_back('[');
    for (std::size_t i = 0; i < r.warnings->size(); ++i) {
      if (i != 0) out.push_back(',');
      AppendJsonString(out, (*r.warnings)[i]);
    }
    out.push_back(']');
  } else {
    out.append("null");
  }
  out.push_back('}');
}

}  // namespace

namespace {

// The fields of a ValidationResponse other than `mutated_object`, from `obj`.
Result<PolicyValidationResponse> ReadValidationResponseFields(const json::object& obj) {
  PolicyValidationResponse r;
  KW_ASSIGN_OR_RETURN(r.accepted, ReadRequiredBool(obj, "accepted"));
  KW_ASSIGN_OR_RETURN(r.message, ReadOptionalString(obj, "message"));
  KW_ASSIGN_OR_RETURN(r.code, ReadOptionalInt<std::uint16_t>(obj, "code", "u16"));
  KW_ASSIGN_OR_RETURN(r.audit_annotations, ReadOptionalStringMap(obj, "audit_annotations"));
  KW_ASSIGN_OR_RETURN(r.warnings, ReadOptionalStringVector(obj, "warnings"));
  return r;
}

}  // namespace

Result<PolicyValidationResponse> PolicyValidationResponseFromJson(json::value&& value) {
  json::object* obj = value.if_object();
  if (obj == nullptr) {
    return BadResponse(InvalidType(value, "struct ValidationResponse"));
  }
  KW_ASSIGN_OR_RETURN(PolicyValidationResponse r, ReadValidationResponseFields(*obj));
  if (auto it = obj->find("mutated_object"); it != obj->end() && !it->value().is_null()) {
    if (HasNonFiniteNumber(it->value())) {
      return BadResponse("number out of range at `mutated_object`");
    }
    AppendJson(r.mutated_object.emplace(), it->value());
  }
  return r;
}

Result<PolicyValidationResponse> ParsePolicyValidationResponse(std::string_view bytes) {
  // The fast path, with simdjson: a mutated object can be large, and this runs on every
  // evaluation. Only the small fields go through a Boost.JSON DOM, to share their readers (and
  // their serde messages) with PolicyValidationResponseFromJson. Anything simdjson refuses
  // (syntax errors, numbers it cannot represent such as 1e400) takes the Boost.JSON path, whose
  // messages are the reference.
  const auto slow_path = [&](simdjson::error_code) -> Result<PolicyValidationResponse> {
    KW_ASSIGN_OR_RETURN(json::value value, ParsePolicyOutput(bytes));
    return PolicyValidationResponseFromJson(std::move(value));
  };
  return internal::WithDom(
      bytes, slow_path, [&](simdjson::dom::element root) -> Result<PolicyValidationResponse> {
        simdjson::dom::object members;
        if (root.get_object().get(members) != simdjson::SUCCESS) return slow_path({});
        json::object fields;
        std::optional<std::size_t> mutated;  // its member number
        std::size_t index = 0;
        for (const auto field : members) {
          // As serde and Boost.JSON: of duplicate keys, the last one counts.
          if (field.key == "mutated_object") {
            mutated = field.value.is_null() ? std::nullopt : std::optional(index);
          } else {
            fields[field.key] = internal::ElementToJson(field.value);
          }
          ++index;
        }
        KW_ASSIGN_OR_RETURN(PolicyValidationResponse r, ReadValidationResponseFields(fields));
        if (mutated) {
          // Its text is copied as it is (simdjson has validated it), not re-serialized. When
          // it is the last member, as the SDKs write it, it ends before the closing brace: the
          // large value need not be scanned for its end.
          JsonObjectText members_text(bytes, SkipJsonSpace(bytes, 0));
          std::optional<std::string_view> text;
          if (*mutated + 1 == index) {
            const std::optional<std::size_t> start = members_text.ValueStart(*mutated);
            const std::string_view object = TrimJsonSpace(bytes);
            const std::size_t end = static_cast<std::size_t>(object.data() - bytes.data()) +
                                    object.size() - 1;  // the closing brace
            if (start && *start < end) text = TrimJsonSpace(bytes.substr(*start, end - *start));
          } else {
            text = members_text.Value(*mutated);
          }
          if (!text) return Fail(ErrorKind::kInternal, "cannot find `mutated_object` in the text");
          r.mutated_object = std::string(*text);
        }
        return r;
      });
}

Result<SettingsValidationResponse> ParseSettingsValidationResponse(std::string_view bytes) {
  KW_ASSIGN_OR_RETURN(json::value value, ParsePolicyOutput(bytes));
  const json::object* obj = value.if_object();
  if (obj == nullptr) {
    return BadResponse(InvalidType(value, "struct SettingsValidationResponse"));
  }
  SettingsValidationResponse r;
  KW_ASSIGN_OR_RETURN(r.valid, ReadRequiredBool(*obj, "valid"));
  KW_ASSIGN_OR_RETURN(r.message, ReadOptionalString(*obj, "message"));
  return r;
}

Result<AdmissionResponse> AdmissionResponseFromJson(const json::value& value) {
  const json::object* obj = value.if_object();
  if (obj == nullptr) return BadResponse(InvalidType(value, "struct AdmissionResponse"));
  AdmissionResponse r;
  KW_ASSIGN_OR_RETURN(r.uid, ReadRequiredString(*obj, "uid"));
  KW_ASSIGN_OR_RETURN(r.allowed, ReadRequiredBool(*obj, "allowed"));
  KW_ASSIGN_OR_RETURN(r.patch_type, ReadOptionalString(*obj, "patchType"));
  if (r.patch_type && *r.patch_type != kJsonPatchType) {
    return BadResponse("unknown variant `" + ToValidUtf8(*r.patch_type) +
                       "`, expected `JSONPatch` at `patchType`");
  }
  KW_ASSIGN_OR_RETURN(r.patch, ReadOptionalString(*obj, "patch"));
  KW_ASSIGN_OR_RETURN(r.status, ReadStatus(*obj));
  KW_ASSIGN_OR_RETURN(r.audit_annotations, ReadOptionalStringMap(*obj, "auditAnnotations"));
  KW_ASSIGN_OR_RETURN(r.warnings, ReadOptionalStringVector(*obj, "warnings"));
  return r;
}

std::string AdmissionResponseJson(const AdmissionResponse& response) {
  std::string out;
  out.reserve(256);
  AppendResponse(out, response);
  return out;
}

std::string AdmissionReviewJson(const AdmissionResponse& response) {
  std::string out;
  out.reserve(320);
  out.append(R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":)");
  AppendResponse(out, response);
  out.push_back('}');
  return out;
}

std::string RawReviewJson(const AdmissionResponse& response) {
  std::string out;
  out.reserve(256);
  out.append(R"({"response":)");
  AppendResponse(out, response);
  out.push_back('}');
  return out;
}

Result<AdmissionResponse> FromPolicyResponse(std::string_view uid,
                                             PolicyValidationResponse response,
                                             std::optional<std::string_view> original_object) {
  AdmissionResponse r;
  r.uid = uid;
  if (response.mutated_object) {
    if (!original_object || internal::IsJsonNull(*original_object)) {
      r.allowed = false;
      r.status.emplace().message = std::string(kMutationOfNullObjectMessage);
      return r;
    }
    auto patch = DiffParsedJson(*original_object, *response.mutated_object);
    if (!patch) {
      // Both texts were produced or validated by a JSON parser already.
      return Fail(ErrorKind::kInternal, "cannot diff the mutated object: " + patch.error().message);
    }
    if (*patch != "[]") {
      r.patch = Base64Encode(*patch);
      r.patch_type = std::string(kJsonPatchType);
    }
  }
  r.allowed = response.accepted;
  if (response.message || response.code) {
    AdmissionResponseStatus& status = r.status.emplace();
    status.message = std::move(response.message);
    status.code = response.code;
  }
  r.audit_annotations = std::move(response.audit_annotations);
  r.warnings = std::move(response.warnings);
  return r;
}

AdmissionResponse RejectInternal(std::string_view uid, std::string message, std::uint16_t code) {
  AdmissionResponse r;
  r.uid = uid;
  r.allowed = false;
  AdmissionResponseStatus& status = r.status.emplace();
  status.message = std::move(message);
  status.code = code;
  return r;
}

}  // namespace kw::admission
