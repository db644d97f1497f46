#include "kube_apiserver/api.h"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "admission/json_patch.h"
#include "base/base64.h"
#include "base/strings.h"
#include "base/yaml.h"
#include "kube_apiserver/patches.h"
#include "kube_apiserver/schema.h"

namespace kw::kube_double {

struct Api::Target {
  ResourceType type;
  std::string ns;
  std::string name;
  std::string subresource;
  std::string Key() const { return type.namespaced ? ns + "/" + name : name; }
};

namespace {

constexpr std::string_view kContinueTooOld =
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list.";

std::string Now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// The alphabet of generateName suffixes (no vowels, no confusable digits), as the real server.
std::string RandomSuffix() {
  constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char b[5];
  RAND_bytes(b, sizeof b);
  std::string out;
  for (unsigned char c : b) out += kAlphabet[c % kAlphabet.size()];
  return out;
}

ApiResponse JsonResponse(int status, const json::value& value) {
  return {status, ToJson(value), "application/json"};
}

ApiResponse ErrorResponse(const ApiError& error) {
  return {error.code, ToJson(error.ToStatus()), "application/json"};
}

std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

json::object& Metadata(json::object& object) {
  json::value& m = object["metadata"];
  if (!m.is_object()) m = json::object();
  return m.get_object();
}

const json::object* MetadataOf(const json::object& object) {
  const json::value* m = object.if_contains("metadata");
  return m ? m->if_object() : nullptr;
}

// The real server's key order: metadata first, status last, metadata's fields in ObjectMeta
// order.
json::object Normalize(json::object object) {
  constexpr std::string_view kMetadataOrder[] = {
      "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
      "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
      "annotations", "ownerReferences", "finalizers", "managedFields"};
  json::object out;
  out.reserve(object.size());
  if (json::value* m = object.if_contains("metadata"); m && m->is_object()) {
    json::object metadata;
    for (std::string_view key : kMetadataOrder) {
      if (json::value* v = m->get_object().if_contains(key)) metadata[key] = std::move(*v);
    }
    for (auto& [k, v] : m->get_object()) {
      if (!metadata.contains(k)) metadata[k] = std::move(v);
    }
    out["metadata"] = std::move(metadata);
  } else {
    out["metadata"] = json::object();
  }
  for (auto& [k, v] : object) {
    if (k == "metadata" || k == "status" || k == "apiVersion" || k == "kind") continue;
    out[k] = std::move(v);
  }
  if (json::value* status = object.if_contains("status")) out["status"] = std::move(*status);
  return out;
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!IsDnsLabel(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
  return false;
}

// What is wrong with `name` for `type`, or "".
std::string NameProblem(const ResourceType& type, std::string_view name) {
  if (type.group == "rbac.authorization.k8s.io") {
    if (name == "." || name == "..") return "may not be '" + std::string(name) + "'";
    if (name.find_first_of("/%") != std::string_view::npos) {
      return "may not contain '/' or '%'";
    }
    return "";
  }
  if (type.plural == "namespaces") {
    if (IsDnsLabel(name)) return "";
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
           "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
           "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  if (IsDnsSubdomain(name)) return "";
  return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
         "'-' or '.', and must start and end with an alphanumeric character (e.g. "
         "'example.com', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
}

// The object without what does not count for metadata.generation.
json::object GenerationRelevant(const json::object& object, bool has_status) {
  json::object out = object;
  out.erase("metadata");
  out.erase("apiVersion");
  out.erase("kind");
  if (has_status) out.erase("status");
  return out;
}

// The object as far as a no-op write is concerned: neither its resourceVersion nor the times
// in managedFields count (an apply of the same configuration changes nothing).
json::object WithoutVolatileFields(json::object object) {
  if (json::value* m = object.if_contains("metadata"); m && m->is_object()) {
    m->get_object().stable_erase("resourceVersion");
    if (json::value* managed = m->get_object().if_contains("managedFields");
        managed && managed->is_array()) {
      for (auto& entry : managed->get_array()) {
        if (entry.is_object()) entry.get_object().stable_erase("time");
      }
    }
  }
  return object;
}

bool HasFinalizers(const json::object& object) {
  const json::object* metadata = MetadataOf(object);
  const json::value* f = metadata ? metadata->if_contains("finalizers") : nullptr;
  return f && f->is_array() && !f->get_array().empty();
}

std::string Base64UrlRaw(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

Result<std::string> Base64UrlRawDecode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (standard.size() % 4 != 0) standard += '=';
  return Base64Decode(standard);
}

struct ContinueToken {
  std::uint64_t rv = 0;
  std::string start;  // the first key the page may show
};

std::string EncodeContinue(std::uint64_t rv, const std::string& last_key) {
  json::object token;
  token["v"] = "meta.k8s.io/v1";
  token["rv"] = rv;
  token["start"] = last_key + std::string(1, '\0');
  return Base64UrlRaw(ToJson(token));
}

ApiResult<ContinueToken> DecodeContinue(std::string_view text) {
  auto bytes = Base64UrlRawDecode(text);
  if (!bytes) return Reject(BadRequest("continue key is not valid: " + bytes.error().message));
  auto value = ParseJson(*bytes);
  if (!value || !value->is_object()) {
    return Reject(BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
  }
  const json::object& o = value->get_object();
  if (Text(o, "v") != "meta.k8s.io/v1") {
    return Reject(BadRequest("continue key is not valid: server does not recognize this encoded key"));
  }
  const json::value* rv = o.if_contains("rv");
  ContinueToken token;
  if (!rv || !(rv->is_int64() || rv->is_uint64()) || (rv->is_int64() && rv->get_int64() <= 0)) {
    return Reject(BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
  }
  token.rv = rv->is_int64() ? static_cast<std::uint64_t>(rv->get_int64()) : rv->get_uint64();
  token.start = Text(o, "start");
  return token;
}

ApiResult<std::optional<std::uint64_t>> ParseRv(const std::string& text) {
  if (text.empty()) return std::optional<std::uint64_t>();
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Reject(BadRequest("invalid resource version: strconv.ParseUint: parsing \"" + text +
                             "\": invalid syntax"));
  }
  return std::optional<std::uint64_t>(n);
}

std::string Query(const ApiRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

bool QueryTrue(const ApiRequest& request, const std::string& key) {
  std::string v = Query(request, key);
  return v == "true" || v == "1" || v == "True";
}

// `current` patched by a JSON, merge or strategic merge `patch` (parsed, of the right shape).
ApiResult<json::object> PatchObject(const json::value& current, std::string_view content_type,
                                    const json::value& patch) {
  json::value patched;
  if (content_type == "application/json-patch+json") {
    auto result = admission::ApplyPatch(current, patch.get_array());
    if (!result) return Reject(ApiError{422, "Invalid", result.error().message, {}});
    patched = std::move(*result);
  } else if (content_type == "application/merge-patch+json") {
    patched = MergePatch(current, patch);
  } else {
    patched = StrategicMergePatch(current, patch);
  }
  if (!patched.is_object()) return Reject(BadRequest("the patch produced a non-object"));
  return std::move(patched.get_object());
}

// `object` with the kind and apiVersion of `type` first (those it has are replaced).
json::object WithTypeMeta(const json::object& object, const ResourceType& type) {
  json::object out{{"kind", type.kind}, {"apiVersion", type.ApiVersion()}};
  for (const auto& [k, v] : object) {
    if (k != "kind" && k != "apiVersion") out[k] = v;
  }
  return out;
}

// What a dry run answers: the object as it would be stored.
ObjectPtr Unstored(json::object object, const std::string& key) {
  auto stored = std::make_shared<StoredObject>();
  stored->object = std::move(object);
  stored->body = ToJson(stored->object);
  stored->key = key;
  return stored;
}

// The label and field selectors of a list, watch or deletecollection.
struct Selection {
  LabelSelector labels;
  FieldSelector fields;
  bool Matches(const json::object& object) const {
    const json::object* metadata = MetadataOf(object);
    return labels.Matches(metadata ? metadata->if_contains("labels") : nullptr) &&
           fields.Matches(object);
  }
  bool empty() const { return labels.requirements.empty() && fields.requirements.empty(); }
};

ApiResult<Selection> ParseSelection(const ApiRequest& request, const ResourceType& type) {
  auto labels = ParseLabelSelector(Query(request, "labelSelector"));
  if (!labels) return Reject(BadRequest(labels.error().message));
  auto fields = ParseFieldSelector(Query(request, "fieldSelector"),
                                   type.SupportedFieldSelectors(), type.custom);
  if (!fields) return Reject(BadRequest(fields.error().message));
  return Selection{std::move(*labels), std::move(*fields)};
}

std::string FieldManager(const ApiRequest& request) {
  std::string manager = Query(request, "fieldManager");
  if (!manager.empty()) return manager;
  std::string agent = request.user_agent.substr(0, request.user_agent.find('/'));
  return agent.empty() ? "unknown" : agent;
}

// JSON and YAML only (a missing Content-Type too is 415, as the real server answers); the real
// server also reads protobuf, which the double does not.
bool ReadableBody(std::string_view content_type) {
  return content_type == "application/json" || content_type == "application/yaml";
}

Result<json::value> ParseBody(std::string_view body, std::string_view content_type) {
  std::string_view trimmed = TrimWhitespace(body);
  if (content_type.find("yaml") != std::string_view::npos ||
      (!trimmed.empty() && trimmed.front() != '{' && trimmed.front() != '[')) {
    return ParseYamlAsJson(body, "invalid YAML");
  }
  return ParseJson(body, "invalid JSON");
}

}  // namespace

namespace {

// A YAML (or JSON) list of objects, each made a rule by `parse`; `what` names the list in errors.
template <typename Rule, typename Parse>
Result<std::vector<Rule>> ParseRuleList(std::string_view text, const std::string& what,
                                        Parse parse) {
  KW_ASSIGN_OR_RETURN(json::value value, ParseYamlAsJson(text, what));
  std::vector<Rule> rules;
  if (value.is_null()) return rules;
  if (!value.is_array()) return Fail(ErrorKind::kInvalidArgument, what + ": expected a list");
  for (const auto& item : value.get_array()) {
    if (!item.is_object()) return Fail(ErrorKind::kInvalidArgument, what + ": expected objects");
    KW_ASSIGN_OR_RETURN(Rule rule, parse(item.get_object()));
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace

Result<std::vector<SarRule>> ParseSarRules(std::string_view text) {
  return ParseRuleList<SarRule>(text, "sar rules", [](const json::object& o) -> Result<SarRule> {
    SarRule rule;
    rule.user = Text(o, "user");
    if (const json::value* groups = o.if_contains("groups"); groups && groups->is_array()) {
      for (const auto& g : groups->get_array()) {
        if (g.is_string()) rule.groups.emplace_back(g.get_string());
      }
    }
    rule.verb = Text(o, "verb");
    rule.resource = Text(o, "resource");
    if (o.contains("namespace")) rule.ns = Text(o, "namespace");
    const json::value* allowed = o.if_contains("allowed");
    rule.allowed = allowed && allowed->is_bool() && allowed->get_bool();
    rule.reason = Text(o, "reason");
    return rule;
  });
}

Result<std::vector<DenyRule>> ParseDenyRules(std::string_view text) {
  return ParseRuleList<DenyRule>(text, "deny rules", [](const json::object& o) -> Result<DenyRule> {
    DenyRule rule{Text(o, "user"), Text(o, "group"), Text(o, "verb"), Text(o, "resource"), {}};
    if (rule.verb.empty() || rule.resource.empty()) {
      return Fail(ErrorKind::kInvalidArgument, "deny rules: every rule needs verb and resource");
    }
    if (o.contains("namespace")) rule.ns = Text(o, "namespace");
    return rule;
  });
}

std::optional<ResourcePath> ParseResourcePath(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    std::string_view segment = path.substr(start, slash == path.npos ? path.npos : slash - start);
    if (!segment.empty()) segments.emplace_back(segment);
    if (slash == path.npos) break;
    start = slash + 1;
  }
  ResourcePath out;
  std::size_t i = 0;
  if (segments.size() >= 3 && segments[0] == "api") {
    out.version = segments[1];
    i = 2;
  } else if (segments.size() >= 4 && segments[0] == "apis") {
    out.group = segments[1];
    out.version = segments[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> rest(segments.begin() + i, segments.end());
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" &&
      rest[2] != "finalize") {
    out.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return std::nullopt;
  out.plural = rest[0];
  if (rest.size() > 1) out.name = rest[1];
  if (rest.size() > 2) out.subresource = rest[2];
  return out;
}

std::string RequestVerb(const ApiRequest& request) {
  auto path = ParseResourcePath(request.path);
  std::string method = AsciiLower(request.method);
  if (!path) return method;
  bool collection = path->name.empty();
  if (method == "get") {
    if (!collection) return "get";
    return QueryTrue(request, "watch") ? "watch" : "list";
  }
  if (method == "post") return "create";
  if (method == "put") return "update";
  if (method == "patch") return "patch";
  if (method == "delete") return collection ? "deletecollection" : "delete";
  return method;
}

Api::Api(std::size_t watch_history, std::vector<SarRule> sar_rules,
         std::vector<DenyRule> deny_rules)
    : store_(watch_history),
      gc_(store_, {.put = [this](const std::string& storage_key, const std::string& key,
                                 json::object object) {
                     store_.Put(storage_key, key, Normalize(std::move(object)));
                   },
                   .remove = [this](const std::string& storage_key, const std::string& key,
                                    std::optional<json::object> final_state) {
                     if (final_state) final_state = Normalize(std::move(*final_state));
                     auto versions = registry_.Versions(storage_key);
                     if (versions.empty()) {
                       store_.Remove(storage_key, key, std::move(final_state));
                     } else {
                       RemoveLocked(*versions.front(), key, std::move(final_state));
                     }
                   },
                   .now = Now}),
      sar_rules_(std::move(sar_rules)),
      deny_rules_(std::move(deny_rules)) {
  for (const char* ns : {"default", "kube-node-lease", "kube-public", "kube-system"}) {
    json::object object;
    object["metadata"] = json::object{{"name", ns}};
    Target target{*registry_.Find("", "v1", "namespaces"), "", ns, ""};
    std::lock_guard lock(store_.mutex());
    (void)CreateLocked(target, std::move(object), "kube-apiserver", false, false, false);
  }
}

void Api::Compact() {
  std::lock_guard lock(store_.mutex());
  store_.Compact();
}

std::uint64_t Api::CurrentResourceVersion() {
  std::lock_guard lock(store_.mutex());
  return store_.current_rv();
}

void Api::Unwatch(const std::shared_ptr<Watcher>& watcher) {
  std::lock_guard lock(store_.mutex());
  store_.Unwatch(watcher);
}

namespace {

// The aggregated discovery version an Accept header asks for first ("v2", "v2beta1"), or "".
std::string AggregatedDiscoveryVersion(std::string_view accept) {
  while (!accept.empty()) {
    std::string_view item = accept.substr(0, accept.find(','));
    accept.remove_prefix(std::min(accept.size(), item.size() + 1));
    if (item.find("as=APIGroupDiscoveryList") == std::string_view::npos ||
        item.find("g=apidiscovery.k8s.io") == std::string_view::npos) {
      continue;
    }
    if (item.find("v=v2beta1") != std::string_view::npos) return "v2beta1";
    if (item.find("v=v2") != std::string_view::npos) return "v2";
  }
  return "";
}

}  // namespace

ApiResponse Api::Discovery(std::string_view path, std::string_view accept) {
  std::lock_guard lock(store_.mutex());
  bool core = path == "/api" || path == "/api/";
  if (std::string version = AggregatedDiscoveryVersion(accept);
      !version.empty() && (core || path == "/apis" || path == "/apis/")) {
    return {200, ToJson(registry_.AggregatedDiscovery(core, version)),
            "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList"};
  }
  if (path == "/api" || path == "/api/") return JsonResponse(200, registry_.ApiVersions());
  if (path == "/apis" || path == "/apis/") return JsonResponse(200, registry_.GroupList());
  if (path == "/api/v1" || path == "/api/v1/") return JsonResponse(200, *registry_.ResourceList("", "v1"));
  if (path.starts_with("/apis/")) {
    std::string_view rest = path.substr(6);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      if (auto group = registry_.Group(rest)) return JsonResponse(200, *group);
    } else if (auto list = registry_.ResourceList(rest.substr(0, slash), rest.substr(slash + 1))) {
      return JsonResponse(200, *list);
    }
  }
  return {404, "404 page not found\n", "text/plain; charset=utf-8"};
}

ApiOutcome Api::Handle(const ApiRequest& request) {
  const std::string& path = request.path;
  if (path == "/version" || path == "/version/") {
    json::object version{{"major", "1"},
                         {"minor", "32"},
                         {"gitVersion", "v1.32.0"},
                         {"gitCommit", "70d3cc986aa8221cd1dfb1121852688902d3bf53"},
                         {"gitTreeState", "clean"},
                         {"buildDate", "2024-12-11T17:59:15Z"},
                         {"goVersion", "go1.23.3"},
                         {"compiler", "gc"},
                         {"platform", "linux/amd64"}};
    return JsonResponse(200, version);
  }
  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    return ApiResponse{200, "ok", "text/plain; charset=utf-8"};
  }
  auto resource_path = ParseResourcePath(path);
  if (!resource_path) {
    if (request.method == "GET") return Discovery(path, request.accept);
    return ApiResponse{404, "404 page not found\n", "text/plain; charset=utf-8"};
  }
  return HandleResource(request, *resource_path);
}

ApiOutcome Api::HandleResource(const ApiRequest& request, const ResourcePath& path) {
  Target target;
  {
    std::lock_guard lock(store_.mutex());
    if (!registry_.Serves(path.group, path.version)) {
      return ApiResponse{404, "404 page not found\n", "text/plain; charset=utf-8"};
    }
    const ResourceType* type = registry_.Find(path.group, path.version, path.plural);
    if (!type) return ErrorResponse(GenericNotFound());
    target.type = *type;
  }
  target.ns = path.ns;
  target.name = path.name;
  target.subresource = path.subresource;
  const ResourceType& type = target.type;
  if (!type.namespaced && !path.ns.empty()) return ErrorResponse(GenericNotFound());
  bool scalable = !type.custom && std::any_of(type.other_subresources.begin(),
                                               type.other_subresources.end(),
                                               [](const auto& s) { return s.first == "scale"; });
  if (!path.subresource.empty() && !(path.subresource == "status" && type.has_status) &&
      !(path.subresource == "scale" && scalable)) {
    return ErrorResponse(GenericNotFound());
  }
  std::string verb = RequestVerb(request);
  bool collection = path.name.empty();
  std::string resource = path.subresource.empty() ? type.plural
                                                  : type.plural + "/" + path.subresource;
  for (const auto& rule : deny_rules_) {
    const Identity& who = request.identity;
    if (!rule.user.empty() && rule.user != who.user) continue;
    if (!rule.group.empty() &&
        std::find(who.groups.begin(), who.groups.end(), rule.group) == who.groups.end()) {
      continue;
    }
    if (rule.verb != "*" && rule.verb != verb) continue;
    if (rule.resource != "*" && rule.resource != resource) continue;
    if (rule.ns && *rule.ns != path.ns) continue;
    std::string subject = type.Name().Qualified() +
                          (path.name.empty() ? "" : " \"" + path.name + "\"");
    std::string scope = path.ns.empty() ? "at the cluster scope"
                                        : "in the namespace \"" + path.ns + "\"";
    ApiError error = Forbidden(subject + " is forbidden: User \"" + who.user + "\" cannot " +
                               verb + " resource \"" + resource + "\" in API group \"" +
                               type.group + "\" " + scope);
    if (!path.name.empty()) error.details["name"] = path.name;
    if (!type.group.empty()) error.details["group"] = type.group;
    error.details["kind"] = type.plural;
    return ErrorResponse(error);
  }
  if ((verb == "create" || verb == "update") && !ReadableBody(request.content_type)) {
    return ErrorResponse({415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media "
                          "types include: application/json, application/yaml",
                          {}});
  }
  if (type.namespaced && path.ns.empty() && !collection) return ErrorResponse(GenericNotFound());
  // Paths that exist but not for this method (a namespaced type's cluster-wide collection
  // takes only list and watch; an object takes no POST).
  const ApiError method_not_allowed{405, "MethodNotAllowed",
                                    "the server does not allow this method on the requested "
                                    "resource",
                                    {}};
  if (type.namespaced && path.ns.empty() && verb != "list" && verb != "watch") {
    return ErrorResponse(method_not_allowed);
  }
  if (!type.Allows(verb)) return ErrorResponse(MethodNotSupported(type.Name(), verb));
  if (!path.subresource.empty() && verb != "get" && verb != "update" && verb != "patch") {
    return ErrorResponse(MethodNotSupported(type.Name(), verb));
  }
  ApiResult<ApiResponse> result = Reject(GenericNotFound());
  if (verb == "watch") {
    auto plan = Watch(request, target);
    if (!plan) return ErrorResponse(plan.error());
    return std::move(*plan);
  }
  if (path.subresource == "scale" && verb == "get") {
    result = Scale(request, target, verb);
  } else if (verb == "get") {
    result = Get(target);
  } else if (verb == "list") {
    result = List(request, target);
  } else if (verb == "create") {
    if (!collection) return ErrorResponse(method_not_allowed);
    if (type.plural == "subjectaccessreviews") {
      result = ReviewAccess(request, target);
    } else {
      auto body = ParseBody(request.body, request.content_type);
      if (!body) {
        return ErrorResponse(BadRequest("the body of the request was in an unknown format - "
                                        "accepted media types include: application/json, "
                                        "application/yaml, application/vnd.kubernetes.protobuf; " +
                                        body.error().message));
      }
      result = AdmittedCreate(request, target, std::move(*body));
    }
  } else if (verb == "update" || verb == "patch") {
    result = AdmittedUpdate(request, target);
  } else if (verb == "delete") {
    result = Delete(request, target);
  } else if (verb == "deletecollection") {
    result = DeleteCollection(request, target);
  } else {
    return ErrorResponse(MethodNotSupported(type.Name(), verb));
  }
  if (!result) return ErrorResponse(result.error());
  return std::move(*result);
}

ApiResult<ApiResponse> Api::Get(const Target& target) {
  ObjectPtr object;
  {
    std::lock_guard lock(store_.mutex());
    object = store_.Find(target.type.StorageKey(), target.Key());
  }
  if (!object) return Reject(NotFound(target.type.Name(), target.name));
  return ApiResponse{200, RenderObject(*object, target.type.kind, target.type.ApiVersion())};
}

ApiResult<ApiResponse> Api::List(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  KW_ASSIGN_OR_RETURN(Selection selection, ParseSelection(request, type));
  std::int64_t limit = 0;
  if (std::string text = Query(request, "limit"); !text.empty()) {
    std::from_chars(text.data(), text.data() + text.size(), limit);
  }
  std::string continue_text = Query(request, "continue");
  std::shared_ptr<const std::vector<ObjectPtr>> snapshot;
  std::uint64_t rv = 0;
  std::string start;
  if (!continue_text.empty()) {
    KW_ASSIGN_OR_RETURN(ContinueToken token, DecodeContinue(continue_text));
    std::lock_guard lock(store_.mutex());
    snapshot = store_.FindSnapshot(type.StorageKey(), token.rv);
    if (!snapshot) return Reject(Expired(std::string(kContinueTooOld)));
    rv = token.rv;
    start = token.start;
  } else {
    std::lock_guard lock(store_.mutex());
    rv = store_.current_rv();
    const auto* collection = store_.Collection(type.StorageKey());
    std::size_t size = collection ? collection->size() : 0;
    if (limit > 0 && static_cast<std::size_t>(limit) < size) {
      snapshot = store_.TakeSnapshot(type.StorageKey());
    } else {
      auto copy = std::make_shared<std::vector<ObjectPtr>>();
      if (collection) {
        auto first = target.ns.empty() ? collection->begin()
                                       : collection->lower_bound(target.ns + "/");
        for (auto it = first; it != collection->end(); ++it) {
          if (!target.ns.empty() && !it->first.starts_with(target.ns + "/")) break;
          copy->push_back(it->second);
        }
      }
      snapshot = std::move(copy);
    }
  }
  // Outside the lock: the snapshot is immutable.
  std::string prefix = target.ns.empty() ? "" : target.ns + "/";
  std::string from = std::max(start, prefix);
  auto it = std::lower_bound(snapshot->begin(), snapshot->end(), from,
                             [](const ObjectPtr& o, const std::string& key) { return o->key < key; });
  auto in_range = [&](const ObjectPtr& o) { return prefix.empty() || o->key.starts_with(prefix); };
  std::string items;
  std::int64_t count = 0;
  std::string last_key;
  for (; it != snapshot->end() && in_range(*it); ++it) {
    if (limit > 0 && count == limit) break;
    const StoredObject& object = **it;
    if (!selection.Matches(object.object)) continue;
    if (!items.empty()) items += ',';
    if (type.custom) {
      items += RenderObject(object, type.kind, type.ApiVersion());
    } else {
      items += object.body;
    }
    last_key = object.key;
    ++count;
  }
  std::int64_t remaining = 0;
  for (auto rest = it; rest != snapshot->end() && in_range(*rest); ++rest) ++remaining;
  json::object metadata;
  metadata["resourceVersion"] = std::to_string(rv);
  if (remaining > 0 && limit > 0) {
    metadata["continue"] = EncodeContinue(rv, last_key);
    if (selection.empty()) {
      metadata["remainingItemCount"] = remaining;
    }
  }
  std::string body;
  body.reserve(items.size() + 256);
  body += R"({"kind":)" + ToJson(json::string(type.list_kind)) + R"(,"apiVersion":)" +
          ToJson(json::string(type.ApiVersion())) + R"(,"metadata":)" + ToJson(metadata) +
          R"(,"items":[)";
  body += items;
  body += "]}";
  return ApiResponse{200, std::move(body)};
}

ApiResult<WatchPlan> Api::Watch(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  Watcher::Filter filter;
  filter.storage_key = type.StorageKey();
  filter.ns = target.ns;
  filter.kind = type.kind;
  filter.api_version = type.ApiVersion();
  KW_ASSIGN_OR_RETURN(Selection selection, ParseSelection(request, type));
  filter.labels = std::move(selection.labels);
  filter.fields = std::move(selection.fields);
  std::string rv_text = Query(request, "resourceVersion");
  std::optional<std::uint64_t> since;
  if (!rv_text.empty() && rv_text != "0") {
    KW_ASSIGN_OR_RETURN(since, ParseRv(rv_text));
  }
  std::string send_initial = Query(request, "sendInitialEvents");
  bool bookmarks = QueryTrue(request, "allowWatchBookmarks");
  if (send_initial == "true") {
    if (Query(request, "resourceVersionMatch") != "NotOlderThan" || !bookmarks) {
      return Reject(Invalid("meta.k8s.io", "ListOptions", "", "resourceVersionMatch",
                            "FieldValueForbidden",
                            "Forbidden: sendInitialEvents requires setting resourceVersionMatch "
                            "to NotOlderThan"));
    }
    since.reset();
  } else if (send_initial == "false" && !since) {
    std::lock_guard lock(store_.mutex());
    since = store_.current_rv();
  }
  WatchPlan plan;
  plan.bookmarks = bookmarks;
  plan.kind = type.kind;
  plan.api_version = type.ApiVersion();
  if (std::string timeout = Query(request, "timeoutSeconds"); !timeout.empty()) {
    long seconds = 0;
    std::from_chars(timeout.data(), timeout.data() + timeout.size(), seconds);
    plan.timeout = std::chrono::seconds(std::max(0L, seconds));
  }
  std::lock_guard lock(store_.mutex());
  auto watcher = store_.Watch(std::move(filter), since, send_initial == "true");
  if (!watcher) {
    plan.error_event = RenderEvent("ERROR", ToJson(watcher.error().ToStatus()));
    return plan;
  }
  plan.watcher = std::move(*watcher);
  return plan;
}

ApiResult<ObjectPtr> Api::CreateLocked(const Target& target, json::object object,
                                       const std::string& manager, bool seeding, bool dry_run,
                                       bool apply) {
  const ResourceType& type = target.type;
  json::object& metadata = Metadata(object);
  std::string name = Text(metadata, "name");
  if (name.empty()) {
    std::string generate = Text(metadata, "generateName");
    if (generate.empty()) {
      return Reject(Invalid(type.group, type.kind, "", "metadata.name", "FieldValueRequired",
                            "Required value: name or generateName is required"));
    }
    do {
      name = generate + RandomSuffix();
    } while (store_.Find(type.StorageKey(), type.namespaced ? target.ns + "/" + name : name));
    metadata["name"] = name;
  }
  if (std::string problem = NameProblem(type, name); !problem.empty()) {
    return Reject(Invalid(type.group, type.kind, name, "metadata.name", "FieldValueInvalid",
                          "Invalid value: \"" + name + "\": " + problem));
  }
  if (type.namespaced) {
    metadata["namespace"] = target.ns;
    if (!store_.Find("/namespaces", target.ns)) {
      return Reject(NotFound({"namespaces", ""}, target.ns));
    }
  } else {
    metadata.stable_erase("namespace");
  }
  std::string key = type.namespaced ? target.ns + "/" + name : name;
  if (store_.Find(type.StorageKey(), key)) return Reject(AlreadyExists(type.Name(), name));
  Target named = target;
  named.name = name;
  KW_TRY(ConformToSchema(named, object));
  // Pruning may have moved the metadata: look it up again.
  json::object& meta = Metadata(object);
  std::string now = Now();
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = now;
  for (const char* server_owned : {"resourceVersion", "deletionTimestamp",
                                   "deletionGracePeriodSeconds", "selfLink", "generation"}) {
    meta.stable_erase(server_owned);
  }
  // An apply has recorded its manager already; anything else cannot choose its managedFields.
  if (!apply) meta.stable_erase("managedFields");
  meta["resourceVersion"] = "";  // the slot Store::Put fills, in ObjectMeta's order
  if (type.has_generation) meta["generation"] = 1;
  if (type.has_status && !seeding) object.stable_erase("status");
  if (!apply) RecordUpdate(nullptr, object, manager, type.ApiVersion(), "", now);
  if (type.plural == "namespaces" && type.group.empty()) {
    json::value& labels = Metadata(object)["labels"];
    if (!labels.is_object()) labels = json::object();
    labels.get_object()["kubernetes.io/metadata.name"] = name;
    json::value& spec = object["spec"];
    if (!spec.is_object()) spec = json::object();
    spec.get_object()["finalizers"] = json::array{"kubernetes"};
  }
  if (type.has_status) {
    // Built aside and stored at the end: inserting into `object` may move its values.
    json::object s;
    if (const json::value* given = object.if_contains("status"); given && given->is_object()) {
      s = given->get_object();
    }
    if (type.plural == "pods" && !s.contains("phase")) s["phase"] = "Pending";
    if (type.plural == "namespaces" && !s.contains("phase")) s["phase"] = "Active";
    if (type.plural == "customresourcedefinitions") {
      const json::value* spec_value = object.if_contains("spec");
      const json::object* spec = spec_value ? spec_value->if_object() : nullptr;
      const json::value* names = spec ? spec->if_contains("names") : nullptr;
      auto condition = [&](const char* t, const char* reason, const char* message) {
        return json::object{{"type", t},      {"status", "True"},    {"lastTransitionTime", now},
                            {"reason", reason}, {"message", message}};
      };
      s["conditions"] = json::array{
          condition("NamesAccepted", "NoConflicts", "no conflicts found"),
          condition("Established", "InitialNamesAccepted", "the initial names have been accepted")};
      s["acceptedNames"] = names && names->is_object() ? names->get_object() : json::object();
      json::array stored;
      const json::value* versions = spec ? spec->if_contains("versions") : nullptr;
      if (versions && versions->is_array()) {
        for (const auto& v : versions->get_array()) {
          const json::value* storage = v.is_object() ? v.get_object().if_contains("storage") : nullptr;
          const json::value* name = v.is_object() ? v.get_object().if_contains("name") : nullptr;
          if (storage && storage->is_bool() && storage->get_bool() && name) stored.push_back(*name);
        }
      }
      s["storedVersions"] = std::move(stored);
    }
    if (s.empty()) {
      object.stable_erase("status");
    } else {
      object["status"] = std::move(s);
    }
  }
  if (type.plural == "customresourcedefinitions" && !dry_run) {
    json::object full = object;
    KW_TRY(registry_.RegisterCrd(full));
  }
  object = Normalize(std::move(object));
  if (dry_run) {
    Metadata(object).stable_erase("resourceVersion");
    return Unstored(std::move(object), key);
  }
  return store_.Put(type.StorageKey(), key, std::move(object));
}

ApiResult<ApiResponse> Api::Create(const ApiRequest& request, const Target& target,
                                   json::value body, bool seeding) {
  const ResourceType& type = target.type;
  if (!body.is_object()) {
    return Reject(BadRequest("the object provided is unrecognized (must be of type " + type.kind +
                             "): Object 'Kind' is missing in '" + ToJson(body) + "'"));
  }
  json::object& object = body.get_object();
  std::string api_version = Text(object, "apiVersion");
  std::string kind = Text(object, "kind");
  if (!api_version.empty() && api_version != type.ApiVersion()) {
    return Reject(BadRequest("the API version in the data (" + api_version +
                             ") does not match the expected API version (" + type.ApiVersion() +
                             ")"));
  }
  if (!kind.empty() && kind != type.kind) {
    return Reject(BadRequest("the kind in the data (" + kind +
                             ") does not match the expected kind (" + type.kind + ")"));
  }
  object.stable_erase("apiVersion");
  object.stable_erase("kind");
  const json::object* metadata = MetadataOf(object);
  std::string body_ns = metadata ? Text(*metadata, "namespace") : "";
  if (type.namespaced && !body_ns.empty() && body_ns != target.ns) {
    return Reject(BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request"));
  }
  bool dry_run = Query(request, "dryRun") == "All";
  ObjectPtr created;
  {
    std::lock_guard lock(store_.mutex());
    KW_ASSIGN_OR_RETURN(created, CreateLocked(target, std::move(object), FieldManager(request),
                                              seeding, dry_run, false));
  }
  return ApiResponse{201, RenderObject(*created, type.kind, type.ApiVersion())};
}

ApiResult<void> Api::ConformToSchema(const Target& target, json::object& object) {
  const ResourceType& type = target.type;
  if (!type.schema) return {};
  PruneUnknownFields(object, *type.schema);
  ApplyDefaults(object, *type.schema);
  std::vector<SchemaViolation> violations = ValidateAgainstSchema(object, *type.schema);
  if (violations.empty()) return {};
  std::vector<InvalidCause> causes;
  for (auto& v : violations) causes.push_back({v.field, v.cause_reason, v.detail});
  return Reject(Invalid(type.group, type.kind, target.name, causes));
}

ObjectPtr Api::RemoveLocked(const ResourceType& type, const std::string& key,
                            std::optional<json::object> final_state) {
  ObjectPtr removed = store_.Remove(type.StorageKey(), key, std::move(final_state));
  if (!removed) return removed;
  if (type.plural == "namespaces" && type.group.empty()) RemoveNamespaceContents(key);
  if (type.plural == "customresourcedefinitions") {
    const json::object* spec = removed->object.if_contains("spec")
                                   ? removed->object.at("spec").if_object()
                                   : nullptr;
    if (spec) {
      const json::value* names = spec->if_contains("names");
      std::string plural = names && names->is_object() ? Text(names->get_object(), "plural") : "";
      std::string storage_key = Text(*spec, "group") + "/" + plural;
      std::vector<std::string> keys;
      if (const auto* collection = store_.Collection(storage_key)) {
        for (const auto& [k, o] : *collection) keys.push_back(k);
      }
      std::vector<ObjectPtr> contents;
      for (const auto& k : keys) contents.push_back(store_.Remove(storage_key, k));
      store_.CloseWatches(storage_key);
      CollectDependentsOf(contents);
    }
    registry_.UnregisterCrd(key);
  }
  gc_.AfterRemoval(*removed);
  return removed;
}

void Api::CollectDependentsOf(const std::vector<ObjectPtr>& removed) {
  std::vector<const StoredObject*> objects;
  for (const ObjectPtr& object : removed) {
    if (object) objects.push_back(object.get());
  }
  gc_.AfterRemovals(objects);
}

void Api::RemoveNamespaceContents(const std::string& ns) {
  // Every namespaced type's collection, custom ones included.
  std::vector<std::pair<std::string, std::string>> doomed;
  for (const std::string& storage_key : registry_.NamespacedStorageKeys()) {
    const auto* collection = store_.Collection(storage_key);
    if (!collection) continue;
    for (auto it = collection->lower_bound(ns + "/");
         it != collection->end() && it->first.starts_with(ns + "/"); ++it) {
      doomed.emplace_back(storage_key, it->first);
    }
  }
  // Removed first, collected after: the collector then finds none of them alive.
  std::vector<ObjectPtr> removed;
  for (const auto& [storage_key, key] : doomed) removed.push_back(store_.Remove(storage_key, key));
  CollectDependentsOf(removed);
}

ApiResult<ObjectPtr> Api::WriteUpdate(const Target& target, const ObjectPtr& live,
                                      json::object object, const std::string& manager,
                                      bool apply, bool dry_run) {
  const ResourceType& type = target.type;
  const json::object& old = live->object;
  const json::object* old_metadata = MetadataOf(old);
  json::object& metadata = Metadata(object);
  // Optimistic concurrency: a resourceVersion in the new state must be the live one.
  std::string rv = Text(metadata, "resourceVersion");
  if (!rv.empty() && rv != Text(*old_metadata, "resourceVersion")) {
    return Reject(ModifiedConflict(type.Name(), target.name));
  }
  std::string uid = Text(metadata, "uid");
  if (!uid.empty() && uid != Text(*old_metadata, "uid")) {
    return Reject(Conflict(type.Name(), target.name,
                           "Precondition failed: UID in precondition: " + uid +
                               ", UID in object meta: " + Text(*old_metadata, "uid")));
  }
  // What the server owns comes from the live object.
  for (const char* key : {"uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation", "namespace",
                          "resourceVersion", "selfLink"}) {
    metadata.stable_erase(key);
    if (const json::value* v = old_metadata->if_contains(key)) metadata[key] = *v;
  }
  metadata["name"] = target.name;
  if (!apply) {
    if (const json::value* managed = old_metadata->if_contains("managedFields")) {
      metadata["managedFields"] = *managed;
    } else {
      metadata.stable_erase("managedFields");
    }
  }
  if (target.subresource == "status") {
    // Only .status changes through the status subresource.
    json::object merged = old;
    if (const json::value* status = object.if_contains("status")) {
      merged["status"] = *status;
    } else {
      merged.stable_erase("status");
    }
    json::value& managed = Metadata(merged)["managedFields"];
    if (const json::value* m = metadata.if_contains("managedFields")) {
      managed = *m;
    }
    object = std::move(merged);
  } else if (type.has_status) {
    if (const json::value* status = old.if_contains("status")) {
      object["status"] = *status;
    } else {
      object.stable_erase("status");
    }
  }
  KW_TRY(ConformToSchema(target, object));
  if (type.has_generation) {
    std::int64_t generation = 1;
    if (const json::value* g = old_metadata->if_contains("generation"); g && g->is_int64()) {
      generation = g->get_int64();
    }
    if (GenerationRelevant(object, type.has_status) != GenerationRelevant(old, type.has_status)) {
      ++generation;
    }
    Metadata(object)["generation"] = generation;
  }
  if (WithoutVolatileFields(object) == WithoutVolatileFields(old)) return live;  // a no-op
  if (!apply) {
    RecordUpdate(&old, object, manager, type.ApiVersion(), target.subresource, Now());
  }
  object = Normalize(std::move(object));
  if (dry_run) return Unstored(std::move(object), target.Key());
  bool deleting = Metadata(object).contains("deletionTimestamp");
  if (deleting && !HasFinalizers(object)) {
    return RemoveLocked(type, target.Key(), std::move(object));
  }
  if (type.plural == "customresourcedefinitions") KW_TRY(registry_.RegisterCrd(object));
  return store_.Put(type.StorageKey(), target.Key(), std::move(object));
}

ApiResult<ApiResponse> Api::Update(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  auto body = ParseBody(request.body, request.content_type);
  if (!body || !body->is_object()) {
    return Reject(BadRequest("the body of the request was in an unknown format - accepted media "
                             "types include: application/json, application/yaml"));
  }
  json::object& object = body->get_object();
  std::string api_version = Text(object, "apiVersion");
  if (!api_version.empty() && api_version != type.ApiVersion()) {
    return Reject(BadRequest("the API version in the data (" + api_version +
                             ") does not match the expected API version (" + type.ApiVersion() +
                             ")"));
  }
  object.stable_erase("apiVersion");
  object.stable_erase("kind");
  const json::object* metadata = MetadataOf(object);
  std::string body_name = metadata ? Text(*metadata, "name") : "";
  if (body_name != target.name) {
    return Reject(BadRequest("the name of the object (" + body_name +
                             ") does not match the name on the URL (" + target.name + ")"));
  }
  std::string body_ns = metadata ? Text(*metadata, "namespace") : "";
  if (type.namespaced && !body_ns.empty() && body_ns != target.ns) {
    return Reject(BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request"));
  }
  std::lock_guard lock(store_.mutex());
  ObjectPtr live = store_.Find(type.StorageKey(), target.Key());
  if (!live) return Reject(NotFound(type.Name(), target.name));
  KW_ASSIGN_OR_RETURN(ObjectPtr written,
                      WriteUpdate(target, live, std::move(object), FieldManager(request), false,
                                  Query(request, "dryRun") == "All"));
  return ApiResponse{200, RenderObject(*written, type.kind, type.ApiVersion())};
}

ApiResult<ApiResponse> Api::Patch(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  const std::string& content_type = request.content_type;
  bool apply = content_type == "application/apply-patch+yaml";
  bool json_patch = content_type == "application/json-patch+json";
  bool merge = content_type == "application/merge-patch+json";
  bool strategic = content_type == "application/strategic-merge-patch+json";
  if (!apply && !json_patch && !merge && !strategic) {
    return Reject(UnsupportedMediaType(content_type));
  }
  if (strategic && type.custom) {
    return Reject(UnsupportedMediaType(content_type));
  }
  std::string manager = FieldManager(request);
  if (apply && Query(request, "fieldManager").empty()) {
    return Reject(Invalid("meta.k8s.io", "PatchOptions", "", "fieldManager", "FieldValueRequired",
                          "Required value: is required for apply patch"));
  }
  auto patch = apply ? ParseYamlAsJson(request.body, "invalid YAML")
                     : ParseJson(request.body, "invalid JSON");
  if (!patch) return Reject(BadRequest(patch.error().message));
  if (json_patch && !patch->is_array()) {
    return Reject(BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch"));
  }
  if ((merge || strategic || apply) && !patch->is_object()) {
    return Reject(BadRequest("json: cannot unmarshal " +
                             std::string(patch->is_array() ? "array" : "value") +
                             " into Go value of type map[string]interface {}"));
  }
  std::lock_guard lock(store_.mutex());
  ObjectPtr live = store_.Find(type.StorageKey(), target.Key());
  std::string now = Now();
  if (apply) {
    json::object config = patch->get_object();
    std::string api_version = Text(config, "apiVersion");
    std::string kind = Text(config, "kind");
    if (api_version != type.ApiVersion() || kind != type.kind) {
      return Reject(BadRequest("the API version in the data (" + api_version +
                               ") does not match the expected API version (" + type.ApiVersion() +
                               ")"));
    }
    config.stable_erase("apiVersion");
    config.stable_erase("kind");
    json::object& config_metadata = Metadata(config);
    std::string name = Text(config_metadata, "name");
    if (name != target.name) {
      return Reject(BadRequest("the name of the object (" + name +
                               ") does not match the name on the URL (" + target.name + ")"));
    }
    for (const char* key : {"namespace", "uid", "resourceVersion", "generation",
                            "creationTimestamp", "managedFields", "name"}) {
      config_metadata.stable_erase(key);
    }
    if (config_metadata.empty()) config.stable_erase("metadata");
    if (target.subresource == "status") {
      json::object only_status;
      if (const json::value* s = config.if_contains("status")) only_status["status"] = *s;
      config = std::move(only_status);
    } else if (type.has_status) {
      config.stable_erase("status");
    }
    json::object base = live ? live->object : json::object();
    ApplyResult applied = Apply(base, config, manager, type.ApiVersion(), QueryTrue(request, "force"),
                                target.subresource, now);
    if (!applied.conflicts.empty()) {
      std::map<std::string, std::vector<const ApplyConflict*>> by_manager;
      std::vector<std::string> order;
      for (const auto& c : applied.conflicts) {
        std::string who = "\"" + c.manager + "\" using " + c.api_version;
        if (!by_manager.contains(who)) order.push_back(who);
        by_manager[who].push_back(&c);
      }
      std::string message;
      json::array causes;
      for (const auto& who : order) {
        const auto& list = by_manager[who];
        if (!message.empty()) message += "\n";
        if (applied.conflicts.size() == 1) {
          message += "conflict with " + who + ": " + FieldPathText(list.front()->field);
        } else {
          message += "conflicts with " + who + ":";
          for (const auto* c : list) message += "\n- " + FieldPathText(c->field);
        }
        for (const auto* c : list) {
          causes.push_back(json::object{{"reason", "FieldManagerConflict"},
                                        {"message", "conflict with " + who},
                                        {"field", FieldPathText(c->field)}});
        }
      }
      std::size_t n = applied.conflicts.size();
      ApiError error = Conflict(type.Name(), target.name, "");
      error.message = "Apply failed with " + std::to_string(n) + " conflict" + (n == 1 ? "" : "s") +
                      ": " + message;
      error.details["causes"] = std::move(causes);
      return Reject(std::move(error));
    }
    if (!live) {
      if (!target.subresource.empty()) return Reject(NotFound(type.Name(), target.name));
      json::object object = std::move(applied.object);
      Metadata(object)["name"] = target.name;
      KW_ASSIGN_OR_RETURN(ObjectPtr created,
                          CreateLocked(target, std::move(object), manager, false,
                                       Query(request, "dryRun") == "All", true));
      return ApiResponse{201, RenderObject(*created, type.kind, type.ApiVersion())};
    }
    KW_ASSIGN_OR_RETURN(ObjectPtr written,
                        WriteUpdate(target, live, std::move(applied.object), manager, true,
                                    Query(request, "dryRun") == "All"));
    return ApiResponse{200, RenderObject(*written, type.kind, type.ApiVersion())};
  }
  if (!live) return Reject(NotFound(type.Name(), target.name));
  json::value current = WithTypeMeta(live->object, type);
  KW_ASSIGN_OR_RETURN(json::object object, PatchObject(current, content_type, *patch));
  object.stable_erase("apiVersion");
  object.stable_erase("kind");
  const json::object* metadata = MetadataOf(object);
  if (!metadata || Text(*metadata, "name") != target.name) {
    return Reject(BadRequest("the name of the object (" +
                             (metadata ? Text(*metadata, "name") : std::string()) +
                             ") does not match the name on the URL (" + target.name + ")"));
  }
  KW_ASSIGN_OR_RETURN(ObjectPtr written, WriteUpdate(target, live, std::move(object), manager, false,
                                                        Query(request, "dryRun") == "All"));
  return ApiResponse{200, RenderObject(*written, type.kind, type.ApiVersion())};
}

ApiResult<ApiResponse> Api::Delete(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  json::object options;
  if (!TrimWhitespace(request.body).empty()) {
    auto body = ParseJson(request.body);
    if (!body || !body->is_object()) return Reject(BadRequest("invalid DeleteOptions"));
    options = body->get_object();
  }
  if (std::string policy = Query(request, "propagationPolicy");
      !policy.empty() && !options.contains("propagationPolicy")) {
    options["propagationPolicy"] = policy;
  }
  KW_ASSIGN_OR_RETURN(std::string gc_finalizer,
                      PropagationFinalizer(options, type.plural == "replicationcontrollers" &&
                                                        type.group.empty()));
  if (HasWebhooks(type)) {
    std::optional<json::object> old;
    {
      std::lock_guard lock(store_.mutex());
      if (ObjectPtr live = store_.Find(type.StorageKey(), target.Key())) {
        old = WithTypeMeta(live->object, type);
      }
    }
    if (old) {
      KW_TRY(Admit(request, target, "DELETE", std::nullopt, std::move(old), "DeleteOptions",
                   options));
    }
  }
  std::lock_guard lock(store_.mutex());
  ObjectPtr live = store_.Find(type.StorageKey(), target.Key());
  if (!live) return Reject(NotFound(type.Name(), target.name));
  const json::object* metadata = MetadataOf(live->object);
  if (const json::value* p = options.if_contains("preconditions"); p && p->is_object()) {
    std::string uid = Text(p->get_object(), "uid");
    std::string rv = Text(p->get_object(), "resourceVersion");
    if (!uid.empty() && uid != Text(*metadata, "uid")) {
      return Reject(Conflict(type.Name(), target.name,
                             "Precondition failed: UID in precondition: " + uid +
                                 ", UID in object meta: " + Text(*metadata, "uid")));
    }
    if (!rv.empty() && rv != Text(*metadata, "resourceVersion")) {
      return Reject(Conflict(type.Name(), target.name,
                             "Precondition failed: ResourceVersion in precondition: " + rv +
                                 ", ResourceVersion in object meta: " +
                                 Text(*metadata, "resourceVersion")));
    }
  }
  bool dry_run = Query(request, "dryRun") == "All";
  auto render = [&](const ObjectPtr& o) { return RenderObject(*o, type.kind, type.ApiVersion()); };
  if (HasFinalizers(live->object) || !gc_finalizer.empty()) {
    if (dry_run) return ApiResponse{200, render(live)};
    json::object object = Normalize(StartDeletion(live->object, gc_finalizer, Now()));
    if (object == live->object) return ApiResponse{200, render(live)};  // deleting already
    ObjectPtr written = store_.Put(type.StorageKey(), target.Key(), std::move(object));
    // The garbage collector's orphan or foreground work, which may remove the object already.
    gc_.ProcessDeleting(type.StorageKey(), target.Key());
    return ApiResponse{200, render(written)};
  }
  ObjectPtr removed = dry_run ? live : RemoveLocked(type, target.Key());
  if (type.returns_deleted_object) return ApiResponse{200, render(removed)};
  json::object details{{"name", target.name}};
  if (!type.group.empty()) details["group"] = type.group;
  details["kind"] = type.plural;
  details["uid"] = Text(*metadata, "uid");
  json::object status{{"kind", "Status"},    {"apiVersion", "v1"},  {"metadata", json::object()},
                      {"status", "Success"}, {"details", details}};
  return JsonResponse(200, status);
}

ApiResult<ApiResponse> Api::DeleteCollection(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  KW_ASSIGN_OR_RETURN(Selection selection, ParseSelection(request, type));
  std::vector<std::string> names;
  {
    std::lock_guard lock(store_.mutex());
    if (const auto* collection = store_.Collection(type.StorageKey())) {
      for (const auto& [key, object] : *collection) {
        if (!target.ns.empty() && !key.starts_with(target.ns + "/")) continue;
        if (!selection.Matches(object->object)) continue;
        names.push_back(Text(*MetadataOf(object->object), "name"));
      }
    }
  }
  std::string items;
  // Each object is deleted with the collection's options (propagationPolicy, ...) but for its
  // preconditions, which name one object.
  ApiRequest single = request;
  single.body.clear();
  if (auto options = ParseJson(request.body); options && options->is_object()) {
    options->get_object().erase("preconditions");
    single.body = ToJson(*options);
  }
  for (const auto& name : names) {
    Target one = target;
    one.name = name;
    auto deleted = Delete(single, one);
    if (!deleted) continue;  // gone meanwhile
    ObjectPtr last;
    if (deleted->body.find("\"kind\":\"Status\"") == std::string::npos) {
      if (!items.empty()) items += ',';
      auto value = ParseJson(deleted->body);
      if (value && value->is_object()) {
        value->get_object().stable_erase("kind");
        value->get_object().stable_erase("apiVersion");
        items += type.custom ? deleted->body : ToJson(*value);
      }
    }
  }
  std::string body = R"({"kind":)" + ToJson(json::string(type.list_kind)) + R"(,"apiVersion":)" +
                     ToJson(json::string(type.ApiVersion())) + R"(,"metadata":{"resourceVersion":")" +
                     std::to_string(CurrentResourceVersion()) + R"("},"items":[)" + items + "]}";
  return ApiResponse{200, std::move(body)};
}

namespace {

// spec.selector as the label selector text Scale.status.selector carries.
std::string SelectorText(const json::object& object) {
  const json::value* spec = object.if_contains("spec");
  const json::value* selector = spec && spec->is_object() ? spec->get_object().if_contains("selector")
                                                          : nullptr;
  if (!selector || !selector->is_object()) return "";
  std::vector<std::string> parts;
  if (const json::value* labels = selector->get_object().if_contains("matchLabels");
      labels && labels->is_object()) {
    for (const auto& [k, v] : labels->get_object()) {
      parts.push_back(std::string(k) + "=" + (v.is_string() ? std::string(v.get_string()) : ToJson(v)));
    }
  }
  if (const json::value* expressions = selector->get_object().if_contains("matchExpressions");
      expressions && expressions->is_array()) {
    for (const auto& e : expressions->get_array()) {
      if (!e.is_object()) continue;
      const json::object& x = e.get_object();
      std::string key = Text(x, "key"), op = Text(x, "operator"), values;
      if (const json::value* v = x.if_contains("values"); v && v->is_array()) {
        for (const auto& item : v->get_array()) {
          if (item.is_string()) values += (values.empty() ? "" : ",") + std::string(item.get_string());
        }
      }
      if (op == "In") parts.push_back(key + " in (" + values + ")");
      if (op == "NotIn") parts.push_back(key + " notin (" + values + ")");
      if (op == "Exists") parts.push_back(key);
      if (op == "DoesNotExist") parts.push_back("!" + key);
    }
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::int64_t Replicas(const json::object& object, std::string_view part) {
  const json::value* section = object.if_contains(part);
  const json::value* replicas = section && section->is_object()
                                    ? section->get_object().if_contains("replicas")
                                    : nullptr;
  return replicas && replicas->is_int64() ? replicas->get_int64() : 0;
}

json::object MakeScale(const StoredObject& object) {
  const json::object* metadata = MetadataOf(object.object);
  json::object scale_metadata;
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (const json::value* v = metadata ? metadata->if_contains(key) : nullptr) {
      scale_metadata[key] = *v;
    }
  }
  json::object status{{"replicas", Replicas(object.object, "status")}};
  if (std::string selector = SelectorText(object.object); !selector.empty()) {
    status["selector"] = selector;
  }
  return json::object{{"kind", "Scale"},
                      {"apiVersion", "autoscaling/v1"},
                      {"metadata", std::move(scale_metadata)},
                      {"spec", json::object{{"replicas", Replicas(object.object, "spec")}}},
                      {"status", std::move(status)}};
}

}  // namespace

ApiResult<ApiResponse> Api::Scale(const ApiRequest& request, const Target& target,
                                  const std::string& verb) {
  const ResourceType& type = target.type;
  json::value body;
  if (verb != "get") {
    auto parsed = ParseBody(request.body, verb == "update" ? request.content_type : "");
    if (!parsed) return Reject(BadRequest(parsed.error().message));
    body = std::move(*parsed);
    bool json_patch = request.content_type == "application/json-patch+json";
    if (verb == "patch" && !json_patch &&
        request.content_type != "application/merge-patch+json" &&
        request.content_type != "application/strategic-merge-patch+json") {
      return Reject(UnsupportedMediaType(request.content_type));
    }
    bool array_expected = verb == "patch" && json_patch;
    if (array_expected ? !body.is_array() : !body.is_object()) {
      return Reject(BadRequest("the body of the request was in an unknown format"));
    }
  }
  std::lock_guard lock(store_.mutex());
  ObjectPtr live = store_.Find(type.StorageKey(), target.Key());
  if (!live) return Reject(NotFound(type.Name(), target.name));
  json::object scale = MakeScale(*live);
  if (verb == "get") return JsonResponse(200, scale);
  json::object wanted;
  if (verb == "update") {
    wanted = std::move(body.get_object());
  } else {
    KW_ASSIGN_OR_RETURN(wanted, PatchObject(scale, request.content_type, body));
  }
  const json::value* spec = wanted.if_contains("spec");
  const json::value* replicas = spec && spec->is_object() ? spec->get_object().if_contains("replicas")
                                                          : nullptr;
  if (!replicas || !replicas->is_int64() || replicas->get_int64() < 0) {
    return Reject(Invalid("autoscaling", "Scale", target.name, "spec.replicas",
                          "FieldValueInvalid", "Invalid value: " +
                              (replicas ? ToJson(*replicas) : std::string("null")) +
                              ": must be greater than or equal to 0"));
  }
  const json::object* wanted_metadata = MetadataOf(wanted);
  std::string rv = wanted_metadata ? Text(*wanted_metadata, "resourceVersion") : "";
  json::object object = live->object;
  if (!rv.empty()) Metadata(object)["resourceVersion"] = rv;
  json::value& object_spec = object["spec"];
  if (!object_spec.is_object()) object_spec = json::object();
  object_spec.get_object()["replicas"] = replicas->get_int64();
  Target main = target;
  main.subresource.clear();
  KW_ASSIGN_OR_RETURN(ObjectPtr written,
                      WriteUpdate(main, live, std::move(object), FieldManager(request), false,
                                  Query(request, "dryRun") == "All"));
  return JsonResponse(200, MakeScale(*written));
}

ApiResult<ApiResponse> Api::ReviewAccess(const ApiRequest& request, const Target& target) {
  auto body = ParseBody(request.body, request.content_type);
  if (!body || !body->is_object()) return Reject(BadRequest("invalid SubjectAccessReview"));
  json::object review = body->get_object();
  const json::value* spec_value = review.if_contains("spec");
  if (!spec_value || !spec_value->is_object()) {
    return Reject(Invalid("authorization.k8s.io", "SubjectAccessReview", "",
                          "spec.resourceAttributes", "FieldValueInvalid",
                          "Invalid value: \"null\": exactly one of nonResourceAttributes or "
                          "resourceAttributes must be specified"));
  }
  const json::object& spec = spec_value->get_object();
  std::string user = Text(spec, "user");
  std::vector<std::string> groups;
  if (const json::value* g = spec.if_contains("groups"); g && g->is_array()) {
    for (const auto& v : g->get_array()) {
      if (v.is_string()) groups.emplace_back(v.get_string());
    }
  }
  const json::value* attributes_value = spec.if_contains("resourceAttributes");
  json::object attributes = attributes_value && attributes_value->is_object()
                                ? attributes_value->get_object()
                                : json::object();
  std::string verb = Text(attributes, "verb");
  std::string resource = Text(attributes, "resource");
  std::string ns = Text(attributes, "namespace");
  json::object status{{"allowed", false}};
  for (const auto& rule : sar_rules_) {
    if (!rule.user.empty() && rule.user != user) continue;
    if (!rule.groups.empty() &&
        std::none_of(rule.groups.begin(), rule.groups.end(), [&](const std::string& g) {
          return std::find(groups.begin(), groups.end(), g) != groups.end();
        })) {
      continue;
    }
    if (rule.verb != "*" && rule.verb != verb) continue;
    if (rule.resource != "*" && rule.resource != resource) continue;
    if (rule.ns && *rule.ns != ns) continue;
    status["allowed"] = rule.allowed;
    if (!rule.reason.empty()) status["reason"] = rule.reason;
    break;
  }
  json::object out;
  out["kind"] = "SubjectAccessReview";
  out["apiVersion"] = "authorization.k8s.io/v1";
  json::value metadata = review.contains("metadata") ? review["metadata"] : json::object();
  if (metadata.is_object()) metadata.get_object()["creationTimestamp"] = nullptr;
  out["metadata"] = metadata;
  out["spec"] = spec;
  out["status"] = std::move(status);
  return JsonResponse(201, out);
}

namespace {

constexpr const char* kMutatingWebhooksKey =
    "admissionregistration.k8s.io/mutatingwebhookconfigurations";
constexpr const char* kValidatingWebhooksKey =
    "admissionregistration.k8s.io/validatingwebhookconfigurations";

}  // namespace

bool Api::HasWebhooks(const ResourceType& type) {
  if (ExemptFromWebhooks(type.group, type.plural) || type.plural == "subjectaccessreviews") {
    return false;
  }
  std::lock_guard lock(store_.mutex());
  for (const char* key : {kMutatingWebhooksKey, kValidatingWebhooksKey}) {
    const auto* configurations = store_.Collection(key);
    if (configurations && !configurations->empty()) return true;
  }
  return false;
}

ApiResult<std::optional<json::object>> Api::Admit(const ApiRequest& request, const Target& target,
                                                  std::string operation,
                                                  std::optional<json::object> object,
                                                  std::optional<json::object> old_object,
                                                  std::string_view options_kind,
                                                  json::object options, AdmissionPhase phase) {
  const ResourceType& type = target.type;
  bool namespace_request = type.plural == "namespaces" && type.group.empty();
  AdmissionContext context;
  AdmissionAttributes a;
  {
    std::lock_guard lock(store_.mutex());
    for (auto [key, into] : {std::pair{kMutatingWebhooksKey, &context.mutating},
                             std::pair{kValidatingWebhooksKey, &context.validating}}) {
      bool wanted = phase == AdmissionPhase::kBoth ||
                    (phase == AdmissionPhase::kMutating) == (into == &context.mutating);
      if (const auto* configurations = wanted ? store_.Collection(key) : nullptr) {
        for (const auto& [k, configuration] : *configurations) {
          into->push_back(configuration->object);
        }
      }
    }
    for (const ResourceType* version : registry_.Versions(type.StorageKey())) {
      if (version->version != type.version) a.other_versions.push_back(version->version);
    }
    if (ObjectPtr ns = namespace_request || target.ns.empty()
                           ? nullptr
                           : store_.Find("/namespaces", target.ns)) {
      if (const json::value* labels = MetadataOf(ns->object)->if_contains("labels")) {
        context.namespace_labels = *labels;
      }
    }
  }
  a.operation = std::move(operation);
  bool scale = target.subresource == "scale";
  a.group = scale ? "autoscaling" : type.group;
  a.version = scale ? "v1" : type.version;
  a.kind = scale ? "Scale" : type.kind;
  a.resource_group = type.group;
  a.resource_version = type.version;
  a.resource = type.plural;
  a.subresource = target.subresource;
  a.name = target.name;
  if (a.name.empty() && object) {
    if (const json::object* metadata = MetadataOf(*object)) a.name = Text(*metadata, "name");
  }
  // The request's namespace; a namespace's own requests carry its name (but for a create,
  // whose path names none).
  a.ns = namespace_request ? (a.operation == "CREATE" ? "" : target.name) : target.ns;
  a.user = request.identity;
  a.dry_run = Query(request, "dryRun") == "All";
  json::object full_options{{"kind", options_kind}, {"apiVersion", "meta.k8s.io/v1"}};
  for (const auto& [k, v] : options) {
    if (k != "kind" && k != "apiVersion") full_options[k] = v;
  }
  if (a.dry_run) full_options["dryRun"] = json::array{"All"};
  if (std::string manager = Query(request, "fieldManager");
      !manager.empty() && options_kind != "DeleteOptions") {
    full_options["fieldManager"] = manager;
  }
  a.options = std::move(full_options);
  a.object = std::move(object);
  a.old_object = std::move(old_object);
  return webhooks_.Admit(a, context);
}

ApiResult<ApiResponse> Api::AdmittedCreate(const ApiRequest& request, const Target& target,
                                           json::value body) {
  const ResourceType& type = target.type;
  if (!body.is_object() || !HasWebhooks(type)) {
    return Create(request, target, std::move(body), false);
  }
  // Webhooks see full objects; a body's own (wrong) apiVersion or kind stays for Create to
  // refuse.
  json::object full = std::move(body.get_object());
  if (!full.contains("apiVersion")) full["apiVersion"] = type.ApiVersion();
  if (!full.contains("kind")) full["kind"] = type.kind;
  if (json::object& metadata = Metadata(full);
      type.namespaced && Text(metadata, "namespace").empty()) {
    metadata["namespace"] = target.ns;
  }
  KW_ASSIGN_OR_RETURN(std::optional<json::object> mutated,
                      Admit(request, target, "CREATE", std::move(full), std::nullopt,
                            "CreateOptions", {}, AdmissionPhase::kMutating));
  if (!mutated) return Reject(InternalError("admission lost the object"));
  ApiRequest preview_request = request;
  preview_request.query["dryRun"] = "All";
  KW_ASSIGN_OR_RETURN(ApiResponse preview,
                      Create(preview_request, target, json::value(*mutated), false));
  auto stored = ParseJson(preview.body);
  if (!stored || !stored->is_object()) return preview;
  json::object& preview_metadata = Metadata(stored->get_object());
  // The name a generateName picked is the one stored.
  std::string name = Text(preview_metadata, "name");
  KW_TRY(Admit(request, target, "CREATE", std::move(stored->get_object()), std::nullopt,
               "CreateOptions", {}, AdmissionPhase::kValidating));
  if (Query(request, "dryRun") == "All") return preview;
  Metadata(*mutated)["name"] = name;
  return Create(request, target, json::value(std::move(*mutated)), false);
}

ApiResult<ApiResponse> Api::AdmittedUpdate(const ApiRequest& request, const Target& target) {
  const ResourceType& type = target.type;
  auto run = [&](const ApiRequest& r) -> ApiResult<ApiResponse> {
    bool put = r.method == "PUT";
    if (target.subresource == "scale") return Scale(r, target, put ? "update" : "patch");
    return put ? Update(r, target) : Patch(r, target);
  };
  if (!HasWebhooks(type)) return run(request);
  std::optional<json::object> old;
  {
    std::lock_guard lock(store_.mutex());
    if (ObjectPtr live = store_.Find(type.StorageKey(), target.Key())) {
      old = target.subresource == "scale" ? MakeScale(*live) : WithTypeMeta(live->object, type);
    }
  }
  ApiRequest preview_request = request;
  preview_request.query["dryRun"] = "All";
  KW_ASSIGN_OR_RETURN(ApiResponse preview, run(preview_request));
  auto parsed = ParseJson(preview.body);
  if (!parsed || !parsed->is_object()) return preview;
  json::object object = std::move(parsed->get_object());
  bool creating = preview.status == 201;  // an apply that creates
  KW_ASSIGN_OR_RETURN(std::optional<json::object> admitted,
                      Admit(request, target, creating ? "CREATE" : "UPDATE", object,
                            creating ? std::nullopt : std::move(old),
                            creating ? "CreateOptions" : "UpdateOptions"));
  if (!admitted || *admitted == object) {
    return Query(request, "dryRun") == "All" ? preview : run(request);
  }
  // Mutated: what the webhooks made of the new state is written as is (an update with the
  // resourceVersion the preview started from, so a write in between is a conflict).
  ApiRequest write = request;
  write.content_type = "application/json";
  write.body = ToJson(*admitted);
  if (creating) {
    write.method = "POST";
    return Create(write, target, json::value(std::move(*admitted)), false);
  }
  write.method = "PUT";
  return run(write);
}

Result<void> Api::Seed(json::value document) {
  if (document.is_null()) return {};
  if (!document.is_object()) return Fail(ErrorKind::kInvalidArgument, "seed: expected an object");
  json::object& object = document.get_object();
  std::string kind = Text(object, "kind");
  if (kind == "List" || (kind.ends_with("List") && object.contains("items"))) {
    json::value* items = object.if_contains("items");
    if (!items || !items->is_array()) return {};
    // A typed list (PodList) may leave apiVersion and kind out of its items.
    // if_contains, not operator[]: Boost.JSON's operator[] may grow the table even for a key it
    // has, which would leave `items` dangling.
    const json::value* declared_api_version = object.if_contains("apiVersion");
    json::value list_api_version = declared_api_version ? *declared_api_version : json::value("v1");
    for (auto& item : items->get_array()) {
      if (item.is_object() && !item.get_object().contains("kind") && kind != "List") {
        item.get_object()["kind"] = kind.substr(0, kind.size() - 4);
        if (!item.get_object().contains("apiVersion")) {
          item.get_object()["apiVersion"] = list_api_version;
        }
      }
      KW_TRY(Seed(std::move(item)));
    }
    return {};
  }
  std::string api_version = Text(object, "apiVersion");
  Target target;
  {
    std::lock_guard lock(store_.mutex());
    const ResourceType* type = registry_.FindByKind(api_version, kind);
    if (!type) {
      return Fail(ErrorKind::kInvalidArgument,
                  "seed: no resource serves " + api_version + " " + kind);
    }
    target.type = *type;
  }
  const json::object* metadata = MetadataOf(object);
  target.ns = metadata ? Text(*metadata, "namespace") : "";
  if (target.type.namespaced && target.ns.empty()) target.ns = "default";
  target.name = metadata ? Text(*metadata, "name") : "";
  ApiRequest request;
  request.user_agent = "kube-apiserver-double-seed";
  auto created = Create(request, target, std::move(document), true);
  if (!created) {
    return Fail(ErrorKind::kInvalidArgument, "seed: " + kind + " " + target.name + ": " +
                                                 created.error().message);
  }
  return {};
}

}  // namespace kw::kube_double
