#include "admission/request.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "admission/json_text.h"
#include "admission/json_util.h"
#include "admission/simdjson_dom.h"

namespace kw::admission {

namespace dom = simdjson::dom;

// The only code that fills a ValidationRequest.
struct RequestBuilder {
  static ValidationRequest Admission(std::string json, std::string uid,
                                     std::optional<std::string> ns, std::string resource_kind,
                                     std::string operation, std::size_t object_offset,
                                     std::size_t object_size, AdmissionIdentity identity) {
    ValidationRequest r;
    r.kind_ = RequestKind::kAdmission;
    r.json_ = std::move(json);
    r.uid_ = std::move(uid);
    r.namespace_ = std::move(ns);
    r.resource_kind_ = std::move(resource_kind);
    r.operation_ = std::move(operation);
    r.object_offset_ = object_offset;
    r.object_size_ = object_size;
    r.identity_ = std::move(identity);
    return r;
  }

  static ValidationRequest Raw(std::string json, std::string uid) {
    ValidationRequest r;
    r.kind_ = RequestKind::kRaw;
    r.json_ = std::move(json);
    r.uid_ = std::move(uid);
    return r;
  }
};

namespace {

// The text walk (json_text.h) must agree with simdjson, which validated the text first; when it
// does not, that is a bug.
std::unexpected<Error> WalkerMismatch() {
  return Fail(ErrorKind::kInternal, "the request's JSON text does not match its parsed form");
}

// ---------------------------------------------------------------------------------------------
// Parsing with simdjson.

std::unexpected<Error> SyntaxError(simdjson::error_code code) {
  return Fail(ErrorKind::kSyntax,
              std::string(kInvalidJsonPrefix) + simdjson::error_message(code));
}

template <typename Fn>
Result<ValidationRequest> WithDom(std::string_view text, Fn&& fn) {
  return internal::WithDom(text, SyntaxError, std::forward<Fn>(fn));
}

// ---------------------------------------------------------------------------------------------
// Schema checks and re-serialization, from the DOM.

std::string DescribeElement(dom::element v) {
  switch (v.type()) {
    case dom::element_type::NULL_VALUE:
      return "null";
    case dom::element_type::BOOL:
      return v.get_bool().value_unsafe() ? "boolean `true`" : "boolean `false`";
    case dom::element_type::INT64:
      return "integer `" + std::to_string(v.get_int64().value_unsafe()) + "`";
    case dom::element_type::UINT64:
      return "integer `" + std::to_string(v.get_uint64().value_unsafe()) + "`";
    case dom::element_type::DOUBLE:
      return DescribeJsonDouble(v.get_double().value_unsafe());
    case dom::element_type::STRING:
      return DescribeJsonString(v.get_string().value_unsafe());
    case dom::element_type::ARRAY:
      return "sequence";
    case dom::element_type::OBJECT:
      return "map";
  }
  return "unknown";
}

std::string InvalidTypeOf(dom::element found, std::string_view expected) {
  return "invalid type: " + DescribeElement(found) + ", expected " + std::string(expected);
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path;
  path.reserve(parent.size() + 1 + key.size());
  path.append(parent).append(".").append(key);
  return path;
}

std::unexpected<Error> SchemaError(std::string message) {
  return Fail(ErrorKind::kInvalidArgument, std::move(message));
}

std::unexpected<Error> MissingField(std::string_view path) {
  return SchemaError("missing field `" + std::string(path) + "`");
}

std::unexpected<Error> WrongType(dom::element found, std::string_view expected,
                                 std::string_view path) {
  return SchemaError(InvalidTypeOf(found, expected) + " at `" + std::string(path) + "`");
}

enum class Duplicates { kError, kLastWins };

// The members of a struct-like object that its schema knows, found in one pass: each slot gets
// the member's value and its position among the object's members (for JsonObjectText).
template <std::size_t N>
struct KnownFields {
  std::array<std::optional<dom::element>, N> value;
  std::array<std::size_t, N> index;

  // serde's Option: absent and null are both None.
  std::optional<dom::element> NonNull(std::size_t field) const {
    if (!value[field] || value[field]->is_null()) return std::nullopt;
    return value[field];
  }
};

template <std::size_t N>
Result<KnownFields<N>> ReadKnownFields(dom::object object,
                                       const std::array<std::string_view, N>& names,
                                       std::string_view parent, Duplicates duplicates) {
  KnownFields<N> fields;
  fields.index.fill(kNoPos);
  std::size_t position = 0;
  for (const dom::key_value_pair member : object) {
    for (std::size_t k = 0; k < N; ++k) {
      if (member.key != names[k]) continue;
      if (fields.value[k] && duplicates == Duplicates::kError) {
        return SchemaError("duplicate field `" + JoinPath(parent, names[k]) + "`");
      }
      fields.value[k] = member.value;
      fields.index[k] = position;
      break;
    }
    ++position;
  }
  return fields;
}

Result<std::string_view> StringAt(dom::element v, std::string_view path) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return WrongType(v, "a string", path);
  return s;
}

// Appends `,"key":` (or `{"key":` for the first key of an object).
void AppendKey(std::string& out, std::string_view key, bool first = false) {
  out.push_back(first ? '{' : ',');
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

// `["a","b"]`, every element checked to be a string.
Result<void> AppendStringArray(std::string& out, dom::element v, std::string_view path) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return WrongType(v, "a sequence", path);
  out.push_back('[');
  std::size_t i = 0;
  for (const dom::element item : array) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS) {
      return WrongType(item, "a string", std::string(path) + "[" + std::to_string(i) + "]");
    }
    if (i != 0) out.push_back(',');
    AppendJsonString(out, s);
    ++i;
  }
  out.push_back(']');
  return {};
}

// GroupVersionKind / GroupVersionResource: {group, version, <last>}, all required strings.
Result<void> AppendGroupVersion(std::string& out, dom::element v, std::string_view last,
                                std::string_view path, GroupVersionName* values = nullptr) {
  dom::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) {
    return WrongType(v, last == "kind" ? "struct GroupVersionKind" : "struct GroupVersionResource",
                     path);
  }
  const std::array<std::string_view, 3> names = {"group", "version", last};
  KW_ASSIGN_OR_RETURN(const KnownFields<3> fields,
                      ReadKnownFields(object, names, path, Duplicates::kError));
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (!fields.value[k]) return MissingField(JoinPath(path, names[k]));
    std::string_view s;
    if (fields.value[k]->get_string().get(s) != simdjson::SUCCESS) {
      return WrongType(*fields.value[k], "a string", JoinPath(path, names[k]));
    }
    AppendKey(out, names[k], k == 0);
    AppendJsonString(out, s);
    if (values != nullptr) (k == 0 ? values->group : k == 1 ? values->version : values->name) = s;
  }
  out.push_back('}');
  return {};
}

// k8s-openapi's authentication/v1 UserInfo. Its serializer emits the fields alphabetically and
// `extra` is a BTreeMap, so both orders are reproduced. Its deserializer does not reject
// duplicate keys: the last one wins.
Result<void> AppendUserInfo(std::string& out, dom::element v) {
  constexpr std::string_view kPath = "userInfo";
  dom::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) {
    return WrongType(v, "struct UserInfo", kPath);
  }
  enum { kExtra, kGroups, kUid, kUsername };
  static constexpr std::array<std::string_view, 4> kNames = {"extra", "groups", "uid",
                                                             "username"};
  KW_ASSIGN_OR_RETURN(const KnownFields<4> fields,
                      ReadKnownFields(object, kNames, kPath, Duplicates::kLastWins));
  bool first = true;
  if (const auto extra = fields.NonNull(kExtra)) {
    dom::object map;
    if (extra->get_object().get(map) != simdjson::SUCCESS) {
      return WrongType(*extra, "a map", "userInfo.extra");
    }
    // Type-check every entry in document order (as serde does while reading), then write them
    // sorted, keeping the last of equal keys.
    std::vector<std::pair<std::string_view, dom::element>> entries;
    entries.reserve(map.size());
    std::string scratch;
    for (const dom::key_value_pair entry : map) {
      scratch.clear();
      KW_TRY(AppendStringArray(scratch, entry.value,
                               "userInfo.extra." + std::string(entry.key)));
      entries.emplace_back(entry.key, entry.value);
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    AppendKey(out, "extra", first);
    first = false;
    bool first_entry = true;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i + 1 < entries.size() && entries[i + 1].first == entries[i].first) continue;
      out.push_back(first_entry ? '{' : ',');
      first_entry = false;
      AppendJsonString(out, entries[i].first);
      out.push_back(':');
      KW_TRY(AppendStringArray(out, entries[i].second, {}));
    }
    if (first_entry) out.push_back('{');
    out.push_back('}');
  }
  if (const auto groups = fields.NonNull(kGroups)) {
    AppendKey(out, "groups", first);
    first = false;
    KW_TRY(AppendStringArray(out, *groups, "userInfo.groups"));
  }
  for (const std::size_t k : {kUid, kUsername}) {
    if (const auto s = fields.NonNull(k)) {
      const std::string path = JoinPath(kPath, kNames[k]);
      KW_ASSIGN_OR_RETURN(const std::string_view text, StringAt(*s, path));
      AppendKey(out, kNames[k], first);
      first = false;
      AppendJsonString(out, text);
    }
  }
  out.append(first ? "{}" : "}");
  return {};
}

enum Field {
  kUid,
  kKind,
  kResource,
  kSubResource,
  kRequestKind,
  kRequestResource,
  kRequestSubResource,
  kName,
  kNamespace,
  kOperation,
  kUserInfo,
  kObject,
  kOldObject,
  kDryRun,
  kOptions,
  kFieldCount,
};

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "uid", "kind", "resource", "subResource", "requestKind", "requestResource",
    "requestSubResource", "name", "namespace", "operation", "userInfo", "object",
    "oldObject", "dryRun", "options",
};

// Normalizes the AdmissionRequest `request`, whose text starts at `text[start]`. Fields are
// checked in upstream's order, so the first error reported is the first bad field in that order.
Result<ValidationRequest> NormalizeAdmissionRequest(dom::element request, std::string_view text,
                                                    std::size_t start) {
  dom::object object;
  if (request.get_object().get(object) != simdjson::SUCCESS) {
    return SchemaError(InvalidTypeOf(request, "struct AdmissionRequest"));
  }
  KW_ASSIGN_OR_RETURN(const KnownFields<kFieldCount> fields,
                      ReadKnownFields(object, kFieldNames, {}, Duplicates::kError));
  const auto required = [&](Field f) -> Result<dom::element> {
    if (!fields.value[f]) return MissingField(kFieldNames[f]);
    return *fields.value[f];
  };
  const auto append_string = [&](std::string& out, dom::element v,
                                 Field f) -> Result<std::string_view> {
    KW_ASSIGN_OR_RETURN(const std::string_view s, StringAt(v, kFieldNames[f]));
    AppendKey(out, kFieldNames[f], f == kUid);
    AppendJsonString(out, s);
    return s;
  };
  const auto append_group_version = [&](std::string& out, dom::element v, Field f,
                                        std::string_view last,
                                        GroupVersionName* values = nullptr) -> Result<void> {
    AppendKey(out, kFieldNames[f]);
    return AppendGroupVersion(out, v, last, kFieldNames[f], values);
  };

  // The free-form values are copied from the text rather than re-serialized. Their text is
  // looked up in document order, since the walk only goes forward.
  constexpr std::array<Field, 3> kRawFields = {kObject, kOldObject, kOptions};
  std::array<std::pair<std::size_t, std::size_t>, 3> wanted;  // (member index, k)
  std::size_t wanted_count = 0;
  for (std::size_t k = 0; k < kRawFields.size(); ++k) {
    if (fields.NonNull(kRawFields[k])) wanted[wanted_count++] = {fields.index[kRawFields[k]], k};
  }
  // Three elements at most: an insertion sort (std::sort trips a GCC 12 -Warray-bounds bug here).
  for (std::size_t i = 1; i < wanted_count; ++i) {
    for (std::size_t j = i; j > 0 && wanted[j] < wanted[j - 1]; --j) {
      std::swap(wanted[j], wanted[j - 1]);
    }
  }
  std::array<std::string_view, 3> raw_text{};
  JsonObjectText members(text, start);
  for (std::size_t i = 0; i < wanted_count; ++i) {
    const std::optional<std::string_view> value = members.Value(wanted[i].first);
    if (!value) return WalkerMismatch();
    raw_text[wanted[i].second] = *value;
  }

  std::string out;
  out.reserve(text.size() - start + 64);
  KW_ASSIGN_OR_RETURN(const dom::element uid_value, required(kUid));
  KW_ASSIGN_OR_RETURN(const std::string_view uid, append_string(out, uid_value, kUid));
  AdmissionIdentity identity;
  KW_ASSIGN_OR_RETURN(const dom::element kind, required(kKind));
  KW_TRY(append_group_version(out, kind, kKind, "kind", &identity.kind));
  KW_ASSIGN_OR_RETURN(const dom::element resource, required(kResource));
  KW_TRY(append_group_version(out, resource, kResource, "resource", &identity.resource));
  if (const auto v = fields.NonNull(kSubResource)) {
    KW_ASSIGN_OR_RETURN(const std::string_view s, append_string(out, *v, kSubResource));
    identity.subresource = s;
  }
  std::string_view resource_kind;
  if (const auto v = fields.NonNull(kRequestKind)) {
    KW_TRY(append_group_version(out, *v, kRequestKind, "kind"));
    // Cannot fail: append_group_version checked that it is a string.
    if (v->at_key("kind").get_string().get(resource_kind) != simdjson::SUCCESS) resource_kind = {};
  }
  if (const auto v = fields.NonNull(kRequestResource)) {
    KW_TRY(append_group_version(out, *v, kRequestResource, "resource"));
  }
  if (const auto v = fields.NonNull(kRequestSubResource)) {
    KW_TRY(append_string(out, *v, kRequestSubResource));
  }
  if (const auto v = fields.NonNull(kName)) {
    KW_ASSIGN_OR_RETURN(const std::string_view s, append_string(out, *v, kName));
    identity.name = s;
  }
  std::optional<std::string> ns;
  if (const auto v = fields.NonNull(kNamespace)) {
    KW_ASSIGN_OR_RETURN(const std::string_view s, append_string(out, *v, kNamespace));
    ns.emplace(s);
  }
  KW_ASSIGN_OR_RETURN(const dom::element operation_value, required(kOperation));
  KW_ASSIGN_OR_RETURN(const std::string_view operation,
                      append_string(out, operation_value, kOperation));
  KW_ASSIGN_OR_RETURN(const dom::element user_info, required(kUserInfo));
  AppendKey(out, kFieldNames[kUserInfo]);
  KW_TRY(AppendUserInfo(out, user_info));
  // A value's text is never empty: an empty slice means the member is absent or null.
  std::size_t object_offset = std::string::npos;
  if (!raw_text[0].empty()) {
    AppendKey(out, kFieldNames[kObject]);
    object_offset = out.size();
    out.append(raw_text[0]);
  }
  if (!raw_text[1].empty()) {
    AppendKey(out, kFieldNames[kOldObject]);
    out.append(raw_text[1]);
  }
  if (const auto v = fields.NonNull(kDryRun)) {
    bool dry_run = false;
    if (v->get_bool().get(dry_run) != simdjson::SUCCESS) {
      return WrongType(*v, "a boolean", kFieldNames[kDryRun]);
    }
    AppendKey(out, kFieldNames[kDryRun]);
    out.append(dry_run ? "true" : "false");
  }
  if (!raw_text[2].empty()) {
    AppendKey(out, kFieldNames[kOptions]);
    out.append(raw_text[2]);
  }
  out.push_back('}');
  return RequestBuilder::Admission(std::move(out), std::string(uid), std::move(ns),
                                   std::string(resource_kind), std::string(operation),
                                   object_offset, raw_text[0].size(), std::move(identity));
}

ValidationRequest MakeRaw(dom::element request, std::string_view text) {
  std::string_view uid;
  dom::object object;
  if (request.get_object().get(object) == simdjson::SUCCESS) {
    // The first `uid` member, as simdjson's lookup finds it; "" unless it is a string.
    dom::element v;
    if (object.at_key("uid").get(v) != simdjson::SUCCESS ||
        v.get_string().get(uid) != simdjson::SUCCESS) {
      uid = {};
    }
  }
  return RequestBuilder::Raw(std::string(text), std::string(uid));
}

// The `request` member of the review `body`, whose text is `text`, and where the request's text
// starts. `expected` names the body's struct in type errors; `missing` is the error when there
// is no `request`.
Result<std::pair<dom::element, std::size_t>> ReviewRequest(dom::element body,
                                                           std::string_view text,
                                                           std::string_view expected,
                                                           std::string_view missing) {
  dom::object object;
  if (body.get_object().get(object) != simdjson::SUCCESS) {
    return SchemaError(InvalidTypeOf(body, expected));
  }
  static constexpr std::array<std::string_view, 1> kNames = {"request"};
  KW_ASSIGN_OR_RETURN(const KnownFields<1> fields,
                      ReadKnownFields(object, kNames, {}, Duplicates::kError));
  if (!fields.value[0]) return SchemaError(std::string(missing));
  const std::optional<std::size_t> start =
      JsonObjectText(text, SkipJsonSpace(text, 0)).ValueStart(fields.index[0]);
  if (!start) return WalkerMismatch();
  return std::pair(*fields.value[0], *start);
}

constexpr std::string_view kMissingRequest = "missing field `request`";

}  // namespace

ValidationRequest::ValidationRequest() : json_("null") {}

std::optional<std::string_view> ValidationRequest::ObjectJson() const {
  if (kind_ == RequestKind::kRaw) return json_;
  if (object_offset_ == std::string::npos) return std::nullopt;
  return std::string_view(json_).substr(object_offset_, object_size_);
}

Result<json::value> ValidationRequest::OriginalObject() const {
  const std::optional<std::string_view> object = ObjectJson();
  if (!object) return json::value();
  // The text passed simdjson's depth limit (kMaxJsonDepth, ParseJson's too) inside a larger
  // document: it fits.
  auto parsed = ParseJson(*object, "cannot parse the request's object");
  if (!parsed) return Fail(ErrorKind::kInternal, parsed.error().message);
  return parsed;
}

Result<ValidationRequest> ParseAdmissionReview(std::string_view body) {
  return WithDom(body, [&](dom::element root) -> Result<ValidationRequest> {
    KW_ASSIGN_OR_RETURN(
        const auto request,
        ReviewRequest(root, body, "struct AdmissionReviewRequest", kMissingRequest));
    return NormalizeAdmissionRequest(request.first, body, request.second);
  });
}

Result<ValidationRequest> ParseRawReview(std::string_view body) {
  return WithDom(body, [&](dom::element root) -> Result<ValidationRequest> {
    KW_ASSIGN_OR_RETURN(const auto request, ReviewRequest(root, body, "struct RawReviewRequest",
                                                          kMissingRequest));
    const std::size_t end = SkipJsonValue(body, request.second);
    if (end == kNoPos) return WalkerMismatch();
    return MakeRaw(request.first, body.substr(request.second, end - request.second));
  });
}

Result<ValidationRequest> ParseKwctlRequest(std::string_view text, bool raw) {
  return WithDom(text, [&](dom::element root) -> Result<ValidationRequest> {
    if (raw) return MakeRaw(root, TrimJsonSpace(text));
    dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
      return SchemaError(InvalidTypeOf(root, "an AdmissionReview or AdmissionRequest object"));
    }
    // Whether this is a review or a bare request is read from `kind`: two of them would make the
    // answer depend on which one a parser looks at.
    std::size_t kinds = 0;
    for (dom::key_value_pair field : object) kinds += field.key == "kind" ? 1 : 0;
    if (kinds > 1) return SchemaError("duplicate field `kind`");
    // The `kind` of an AdmissionRequest is an object, never the string "AdmissionReview".
    std::string_view kind;
    dom::element kind_value;
    if (object.at_key("kind").get(kind_value) == simdjson::SUCCESS &&
        kind_value.get_string().get(kind) == simdjson::SUCCESS && kind == "AdmissionReview") {
      KW_ASSIGN_OR_RETURN(const auto request,
                          ReviewRequest(root, text, "an AdmissionReview",
                                        "AdmissionReview has no `request` field"));
      return NormalizeAdmissionRequest(request.first, text, request.second);
    }
    return NormalizeAdmissionRequest(root, text, SkipJsonSpace(text, 0));
  });
}

std::string SerializeSettings(const json::value& settings) {
  return settings.is_null() ? std::string("{}") : json::serialize(settings);
}

std::string BuildValidatePayload(const ValidationRequest& request, std::string_view settings_json) {
  constexpr std::string_view kHead = "{\"request\":";
  constexpr std::string_view kMid = ",\"settings\":";
  std::string out;
  out.reserve(kHead.size() + request.json().size() + kMid.size() + settings_json.size() + 1);
  out.append(kHead).append(request.json()).append(kMid).append(settings_json).push_back('}');
  return out;
}

}  // namespace kw::admission
