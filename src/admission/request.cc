#include "admission/request.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "admission/json_util.h"

namespace kw::admission {
namespace {

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path;
  path.reserve(parent.size() + 1 + key.size());
  path.append(parent).append(".").append(key);
  return path;
}

std::unexpected<Error> MissingField(std::string_view path) {
  return Fail(ErrorKind::kInvalidArgument, "missing field `" + std::string(path) + "`");
}

std::unexpected<Error> WrongType(const json::value& found, std::string_view expected,
                                 std::string_view path) {
  return Fail(ErrorKind::kInvalidArgument,
              InvalidType(found, expected) + " at `" + std::string(path) + "`");
}

// The value of an optional field: nullptr when absent or null (serde's Option semantics).
json::value* FindOptional(json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

Result<json::value*> FindRequired(json::object& obj, std::string_view key,
                                  std::string_view parent) {
  auto it = obj.find(key);
  if (it == obj.end()) return MissingField(JoinPath(parent, key));
  return &it->value();
}

Result<void> CheckString(const json::value& v, std::string_view parent, std::string_view key) {
  if (!v.is_string()) return WrongType(v, "a string", JoinPath(parent, key));
  return {};
}

Result<void> MoveRequiredString(json::object& in, json::object& out, std::string_view key,
                                std::string_view parent = {}) {
  KW_ASSIGN_OR_RETURN(json::value * v, FindRequired(in, key, parent));
  KW_TRY(CheckString(*v, parent, key));
  out.emplace(key, std::move(*v));
  return {};
}

Result<void> MoveOptionalString(json::object& in, json::object& out, std::string_view key) {
  json::value* v = FindOptional(in, key);
  if (v == nullptr) return {};
  KW_TRY(CheckString(*v, {}, key));
  out.emplace(key, std::move(*v));
  return {};
}

// GroupVersionKind / GroupVersionResource: {group, version, <last>}, all required strings.
Result<json::value> NormalizeGroupVersion(json::value& v, std::string_view last,
                                          std::string_view path) {
  json::object* in = v.if_object();
  if (in == nullptr) {
    return WrongType(v, last == "kind" ? "struct GroupVersionKind" : "struct GroupVersionResource",
                     path);
  }
  // What the API server sends is usually already canonical: keep it instead of rebuilding it
  // (each rebuilt key is an allocation on the hot path).
  if (in->size() == 3) {
    const auto* kv = in->begin();
    if (kv[0].key() == "group" && kv[1].key() == "version" && kv[2].key() == last &&
        kv[0].value().is_string() && kv[1].value().is_string() && kv[2].value().is_string()) {
      return std::move(v);
    }
  }
  json::object out(v.storage());
  out.reserve(3);
  KW_TRY(MoveRequiredString(*in, out, "group", path));
  KW_TRY(MoveRequiredString(*in, out, "version", path));
  KW_TRY(MoveRequiredString(*in, out, last, path));
  return json::value(std::move(out));
}

Result<void> MoveGroupVersion(json::object& in, json::object& out, std::string_view key,
                              std::string_view last, bool required) {
  json::value* v = nullptr;
  if (required) {
    KW_ASSIGN_OR_RETURN(v, FindRequired(in, key, {}));
  } else {
    v = FindOptional(in, key);
    if (v == nullptr) return {};
  }
  KW_ASSIGN_OR_RETURN(json::value normalized, NormalizeGroupVersion(*v, last, key));
  out.emplace(key, std::move(normalized));
  return {};
}

Result<void> CheckStringArray(const json::value& v, std::string_view path) {
  const json::array* arr = v.if_array();
  if (arr == nullptr) return WrongType(v, "a sequence", path);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (!(*arr)[i].is_string()) {
      return WrongType((*arr)[i], "a string", std::string(path) + "[" + std::to_string(i) + "]");
    }
  }
  return {};
}

// k8s-openapi's authentication/v1 UserInfo. Its serializer emits the fields alphabetically and
// `extra` is a BTreeMap, so both orders are reproduced here.
Result<json::value> NormalizeUserInfo(json::value& v) {
  constexpr std::string_view kPath = "userInfo";
  json::object* in = v.if_object();
  if (in == nullptr) return WrongType(v, "struct UserInfo", kPath);
  json::object out(v.storage());
  out.reserve(4);
  if (json::value* extra = FindOptional(*in, "extra")) {
    json::object* map = extra->if_object();
    if (map == nullptr) return WrongType(*extra, "a map", "userInfo.extra");
    std::vector<json::key_value_pair*> entries;
    entries.reserve(map->size());
    for (auto& kv : *map) {
      KW_TRY(CheckStringArray(kv.value(), "userInfo.extra." + std::string(kv.key())));
      entries.push_back(&kv);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    json::object sorted(v.storage());
    sorted.reserve(entries.size());
    for (auto* kv : entries) sorted.emplace(kv->key(), std::move(kv->value()));
    out.emplace("extra", std::move(sorted));
  }
  if (json::value* groups = FindOptional(*in, "groups")) {
    KW_TRY(CheckStringArray(*groups, "userInfo.groups"));
    out.emplace("groups", std::move(*groups));
  }
  for (std::string_view key : {"uid", "username"}) {
    if (json::value* s = FindOptional(*in, key)) {
      KW_TRY(CheckString(*s, kPath, key));
      out.emplace(key, std::move(*s));
    }
  }
  return json::value(std::move(out));
}

void MoveOptionalAny(json::object& in, json::object& out, std::string_view key) {
  if (json::value* v = FindOptional(in, key)) out.emplace(key, std::move(*v));
}

}  // namespace

Result<json::value> NormalizeAdmissionRequest(json::value&& request) {
  json::object* in = request.if_object();
  if (in == nullptr) {
    return Fail(ErrorKind::kInvalidArgument, InvalidType(request, "struct AdmissionRequest"));
  }
  json::object out(request.storage());
  out.reserve(15);
  KW_TRY(MoveRequiredString(*in, out, "uid"));
  KW_TRY(MoveGroupVersion(*in, out, "kind", "kind", /*required=*/true));
  KW_TRY(MoveGroupVersion(*in, out, "resource", "resource", /*required=*/true));
  KW_TRY(MoveOptionalString(*in, out, "subResource"));
  KW_TRY(MoveGroupVersion(*in, out, "requestKind", "kind", /*required=*/false));
  KW_TRY(MoveGroupVersion(*in, out, "requestResource", "resource", /*required=*/false));
  KW_TRY(MoveOptionalString(*in, out, "requestSubResource"));
  KW_TRY(MoveOptionalString(*in, out, "name"));
  KW_TRY(MoveOptionalString(*in, out, "namespace"));
  KW_TRY(MoveRequiredString(*in, out, "operation"));
  {
    KW_ASSIGN_OR_RETURN(json::value * user_info, FindRequired(*in, "userInfo", {}));
    KW_ASSIGN_OR_RETURN(json::value normalized, NormalizeUserInfo(*user_info));
    out.emplace("userInfo", std::move(normalized));
  }
  MoveOptionalAny(*in, out, "object");
  MoveOptionalAny(*in, out, "oldObject");
  if (json::value* dry_run = FindOptional(*in, "dryRun")) {
    if (!dry_run->is_bool()) return WrongType(*dry_run, "a boolean", "dryRun");
    out.emplace("dryRun", *dry_run);
  }
  MoveOptionalAny(*in, out, "options");
  return json::value(std::move(out));
}

Result<json::value> NormalizeAdmissionRequest(const json::value& request) {
  return NormalizeAdmissionRequest(json::value(request));
}

Result<json::value> ExtractAdmissionRequest(json::value&& body) {
  json::object* obj = body.if_object();
  if (obj == nullptr) {
    return Fail(ErrorKind::kInvalidArgument,
                InvalidType(body, "an AdmissionReview or AdmissionRequest object"));
  }
  const json::value* kind = FindKey(body, "kind");
  if (kind != nullptr && kind->is_string() && kind->get_string() == "AdmissionReview") {
    auto it = obj->find("request");
    if (it == obj->end()) {
      return Fail(ErrorKind::kInvalidArgument, "AdmissionReview has no `request` field");
    }
    return NormalizeAdmissionRequest(std::move(it->value()));
  }
  return NormalizeAdmissionRequest(std::move(body));
}

Result<json::value> ExtractAdmissionRequest(const json::value& body) {
  // Copy only the part that is kept.
  const json::value* kind = FindKey(body, "kind");
  if (kind != nullptr && kind->is_string() && kind->get_string() == "AdmissionReview") {
    const json::value* request = FindKey(body, "request");
    if (request == nullptr) {
      return Fail(ErrorKind::kInvalidArgument, "AdmissionReview has no `request` field");
    }
    return NormalizeAdmissionRequest(*request);
  }
  if (!body.is_object()) {
    return Fail(ErrorKind::kInvalidArgument,
                InvalidType(body, "an AdmissionReview or AdmissionRequest object"));
  }
  return NormalizeAdmissionRequest(body);
}

std::string BuildValidatePayload(const json::value& request, const json::value& settings) {
  constexpr std::string_view kHead = "{\"request\":";
  constexpr std::string_view kMid = ",\"settings\":";
  std::string out;
  out.reserve(1024);
  out.append(kHead);
  AppendJson(out, request);
  out.append(kMid);
  if (settings.is_null()) {
    out.append("{}");
  } else {
    AppendJson(out, settings);
  }
  out.push_back('}');
  return out;
}

std::string RequestUid(RequestKind kind, const json::value& request) {
  // Same lookup for both kinds: a normalized AdmissionRequest always has a string uid.
  const json::value* uid = FindKey(request, "uid");
  if (uid == nullptr || !uid->is_string()) return "";
  return std::string(uid->get_string());
}

const json::value* OriginalObject(RequestKind kind, const json::value& request) {
  if (kind == RequestKind::kRaw) return &request;
  return FindKey(request, "object");
}

std::optional<std::string_view> RequestNamespace(RequestKind kind, const json::value& request) {
  if (kind != RequestKind::kAdmission) return std::nullopt;
  const json::value* ns = FindKey(request, "namespace");
  if (ns == nullptr || !ns->is_string()) return std::nullopt;
  return std::string_view(ns->get_string());
}

}  // namespace kw::admission
