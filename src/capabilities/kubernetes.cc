#include "capabilities/kubernetes.h"

#include <algorithm>

#include "base/json.h"
#include "base/json_fields.h"
#include "capabilities/lookup_cache.h"
#include "kube/field_mask.h"
#include "kube/resources.h"

namespace kw::capabilities {

namespace {

using Clock = std::chrono::steady_clock;

// A kubernetes payload above this size is refused before it is parsed: requests name a resource
// and a few selectors.
constexpr std::size_t kMaxPayload = 64 * 1024;

// Payload fields, read with serde's rules and texts: unknown fields ignored, `Option`s absent or
// null, "missing field `x`", "invalid type: ..., expected ...".
class Fields {
 public:
  static Result<Fields> Parse(std::string_view payload) {
    if (payload.size() > kMaxPayload) {
      return Fail(ErrorKind::kInvalidArgument,
                  "the payload is larger than " + std::to_string(kMaxPayload) + " bytes");
    }
    KW_ASSIGN_OR_RETURN(json::value value, ParseJson(payload, "invalid payload"));
    if (!value.is_object()) return Fail(ErrorKind::kInvalidArgument, "invalid type: " + Kind(value) + ", expected a struct");
    return Fields(std::move(value.as_object()));
  }
  explicit Fields(json::object object) : object_(std::move(object)) {}

  Result<std::string> String(std::string_view key) const {
    KW_ASSIGN_OR_RETURN(auto value, OptionalString(key));
    if (!value) return Fail(ErrorKind::kInvalidArgument, "missing field `" + std::string(key) + "`");
    return *value;
  }
  Result<std::optional<std::string>> OptionalString(std::string_view key) const {
    const json::value* value = object_.if_contains(key);
    if (value == nullptr || value->is_null()) return std::optional<std::string>();
    if (!value->is_string()) return Fail(ErrorKind::kInvalidArgument, Expected(*value, "a string"));
    return std::optional<std::string>(std::string(value->as_string()));
  }
  Result<bool> Bool(std::string_view key) const {
    const json::value* value = object_.if_contains(key);
    // The SDKs always send it; a missing one reads as false rather than failing the policy.
    if (value == nullptr || value->is_null()) return false;
    if (!value->is_bool()) return Fail(ErrorKind::kInvalidArgument, Expected(*value, "a boolean"));
    return value->as_bool();
  }
  Result<std::vector<std::string>> Strings(std::string_view key) const {
    std::vector<std::string> out;
    const json::value* value = object_.if_contains(key);
    if (value == nullptr || value->is_null()) return out;
    if (!value->is_array()) return Fail(ErrorKind::kInvalidArgument, Expected(*value, "a sequence"));
    for (const json::value& item : value->as_array()) {
      if (!item.is_string()) return Fail(ErrorKind::kInvalidArgument, Expected(item, "a string"));
      out.emplace_back(item.as_string());
    }
    return out;
  }
  Result<Fields> Struct(std::string_view key) const {
    const json::value* value = object_.if_contains(key);
    if (value == nullptr) return Fail(ErrorKind::kInvalidArgument, "missing field `" + std::string(key) + "`");
    if (!value->is_object()) return Fail(ErrorKind::kInvalidArgument, Expected(*value, "a struct"));
    return Fields(value->as_object());
  }

 private:
  static std::string Kind(const json::value& value) {
    switch (value.kind()) {
      case json::kind::null: return "unit value";
      case json::kind::bool_: return std::string("boolean `") + (value.as_bool() ? "true" : "false") + "`";
      case json::kind::int64:
      case json::kind::uint64: return "integer `" + ToJson(value) + "`";
      case json::kind::double_: return "floating point `" + ToJson(value) + "`";
      case json::kind::string: return "string " + ToJson(value);
      case json::kind::array: return "sequence";
      case json::kind::object: return "map";
    }
    return "value";
  }
  static std::string Expected(const json::value& value, std::string_view expected) {
    return "invalid type: " + Kind(value) + ", expected " + std::string(expected);
  }

  json::object object_;
};

struct ListRequest {
  std::string api_version, kind;
  std::optional<std::string> ns;  // list_resources_by_namespace only
  kube::Selectors selectors;
  std::vector<std::string> field_masks;
};

Result<ListRequest> DecodeList(std::string_view payload, bool by_namespace) {
  KW_ASSIGN_OR_RETURN(Fields fields, Fields::Parse(payload));
  ListRequest request;
  KW_ASSIGN_OR_RETURN(request.api_version, fields.String("api_version"));
  KW_ASSIGN_OR_RETURN(request.kind, fields.String("kind"));
  if (by_namespace) {
    KW_ASSIGN_OR_RETURN(request.ns, fields.String("namespace"));
  }
  KW_ASSIGN_OR_RETURN(auto labels, fields.OptionalString("label_selector"));
  KW_ASSIGN_OR_RETURN(auto field_selector, fields.OptionalString("field_selector"));
  request.selectors = {labels.value_or(""), field_selector.value_or("")};
  KW_ASSIGN_OR_RETURN(request.field_masks, fields.Strings("field_masks"));
  return request;
}

struct GetRequest {
  std::string api_version, kind, name;
  std::optional<std::string> ns;
  bool disable_cache = false;
  std::vector<std::string> field_masks;
};

Result<GetRequest> DecodeGet(std::string_view payload) {
  KW_ASSIGN_OR_RETURN(Fields fields, Fields::Parse(payload));
  GetRequest request;
  KW_ASSIGN_OR_RETURN(request.api_version, fields.String("api_version"));
  KW_ASSIGN_OR_RETURN(request.kind, fields.String("kind"));
  KW_ASSIGN_OR_RETURN(request.name, fields.String("name"));
  KW_ASSIGN_OR_RETURN(request.ns, fields.OptionalString("namespace"));
  KW_ASSIGN_OR_RETURN(request.disable_cache, fields.Bool("disable_cache"));
  KW_ASSIGN_OR_RETURN(request.field_masks, fields.Strings("field_masks"));
  return request;
}

struct CanIRequest {
  json::object spec;  // the SubjectAccessReview spec
  bool disable_cache = false;
};

// {"subject_access_review": {"user", "groups"?, "resource_attributes": {...}}, "disable_cache"}
// to a SubjectAccessReview spec (camelCase, as the API server takes it).
Result<CanIRequest> DecodeCanI(std::string_view payload) {
  KW_ASSIGN_OR_RETURN(Fields fields, Fields::Parse(payload));
  CanIRequest request;
  KW_ASSIGN_OR_RETURN(request.disable_cache, fields.Bool("disable_cache"));
  KW_ASSIGN_OR_RETURN(Fields review, fields.Struct("subject_access_review"));
  KW_ASSIGN_OR_RETURN(std::string user, review.String("user"));
  KW_ASSIGN_OR_RETURN(std::vector<std::string> groups, review.Strings("groups"));
  KW_ASSIGN_OR_RETURN(Fields attributes, review.Struct("resource_attributes"));
  json::object resource;
  KW_ASSIGN_OR_RETURN(std::string resource_name, attributes.String("resource"));
  KW_ASSIGN_OR_RETURN(std::string verb, attributes.String("verb"));
  resource["resource"] = resource_name;
  resource["verb"] = verb;
  for (std::string_view key : {"group", "name", "namespace", "subresource", "version"}) {
    KW_ASSIGN_OR_RETURN(auto value, attributes.OptionalString(key));
    if (value) resource[key] = *value;
  }
  request.spec["user"] = user;
  if (!groups.empty()) {
    json::array list;
    for (auto& group : groups) list.emplace_back(group);
    request.spec["groups"] = std::move(list);
  }
  request.spec["resourceAttributes"] = std::move(resource);
  return request;
}

Clock::time_point DeadlineOf(const host::CallContext& ctx, const KubernetesOptions& options) {
  const Clock::time_point fallback = Clock::now() + options.default_wait;
  return ctx.deadline ? std::min(*ctx.deadline, fallback) : fallback;
}

Result<void> CheckAccess(const host::CallContext& ctx, std::string_view api_version,
                         std::string_view kind) {
  if (ctx.capabilities == nullptr ||
      !ctx.capabilities->AllowsKubernetesResource(api_version, kind)) {
    return Fail(ErrorKind::kHostError, KubernetesAccessDenied(api_version, kind));
  }
  return {};
}

// `{"apiVersion":..,"kind":"<Kind>List","metadata":{},"items":[...]}` from stored JSON texts.
std::string ListAnswer(const kube::Reflector& reflector, const ListRequest& request) {
  std::string out = "{\"apiVersion\":" + ToJson(json::value(request.api_version)) +
                    ",\"kind\":" + ToJson(json::value(request.kind + "List")) +
                    ",\"metadata\":{},\"items\":[";
  bool first = true;
  reflector.Visit(request.ns.value_or(""),
                  [&](std::string_view, std::string_view, std::string_view json) {
                    if (!first) out += ',';
                    first = false;
                    out += json;
                  });
  out += "]}";
  return out;
}

}  // namespace

// get_resource and can_i answers, each kept `ttl` by a LookupCache (which also runs the request
// on a helper thread, so a hung API server holds no worker past its policy's deadline).
struct Cluster::Caches {
  explicit Caches(const KubernetesOptions& options)
      : get_resource(Options(options.get_resource_ttl, options)),
        can_i(Options(options.can_i_ttl, options)) {}
  static LookupCacheOptions Options(std::chrono::milliseconds ttl,
                                    const KubernetesOptions& options) {
    LookupCacheOptions cache;
    cache.ttl = ttl;
    cache.max_entries = options.max_cached_answers;
    cache.max_wait = options.default_wait;
    return cache;
  }
  LookupCache get_resource;
  LookupCache can_i;
};

std::string KubernetesAccessDenied(std::string_view api_version, std::string_view kind) {
  return "Policy has not been granted access to Kubernetes " + std::string(api_version) + "/" +
         std::string(kind) + " resources. The violation has been reported.";
}

Cluster::Cluster(std::shared_ptr<const kube::Client> client, KubernetesOptions options)
    : client_(std::move(client)),
      options_(options),
      caches_(std::make_unique<Caches>(options)) {
  if (client_) {
    discovery_ = std::make_shared<kube::Discovery>(client_);
    reflectors_ = std::make_unique<kube::ReflectorCache>(client_, discovery_,
                                                         options_.max_reflectors);
  }
}

Cluster::~Cluster() = default;

Result<std::shared_ptr<const kube::Reflector>> Cluster::Reflector(kube::ReflectorKey key,
                                                                  Clock::time_point deadline) {
  if (!reflectors_) return Fail(ErrorKind::kHostError, std::string(kube::kNoClientMessage));
  return reflectors_->Get(std::move(key), deadline);
}

Result<std::shared_ptr<const kube::Reflector>> Cluster::NamespaceReflector(
    kube::ReflectorKey key, std::string ns, Clock::time_point deadline) {
  constexpr auto kRememberRefusal = std::chrono::minutes(5);
  bool refused = false;
  {
    std::lock_guard lock(refused_mutex_);
    auto found = refused_cluster_wide_.find(key);
    refused = found != refused_cluster_wide_.end() && Clock::now() - found->second < kRememberRefusal;
  }
  if (!refused) {
    auto cluster_wide = Reflector(key, deadline);
    if (cluster_wide || cluster_wide.error().http_status != 403) return cluster_wide;
    std::lock_guard lock(refused_mutex_);
    // Bounded like the reflectors: a key is only remembered for a watch the cache could hold.
    if (refused_cluster_wide_.size() >= options_.max_reflectors) refused_cluster_wide_.clear();
    refused_cluster_wide_[key] = Clock::now();
  }
  key.ns = std::move(ns);
  return Reflector(std::move(key), deadline);
}

Result<kube::ResourceType> Cluster::Discover(std::string_view api_version, std::string_view kind) {
  if (!discovery_) return Fail(ErrorKind::kHostError, std::string(kube::kNoClientMessage));
  return discovery_->Find(api_version, kind);
}

namespace {

Result<std::string> ListResources(Cluster& cluster, const host::CallContext& ctx,
                                  std::string_view payload, bool by_namespace) {
  KW_ASSIGN_OR_RETURN(ListRequest request, DecodeList(payload, by_namespace));
  if (!cluster.connected()) return Fail(ErrorKind::kHostError, std::string(kube::kNoClientMessage));
  const Clock::time_point deadline = DeadlineOf(ctx, cluster.options());
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, cluster.Discover(request.api_version, request.kind));
  if (by_namespace && !type.namespaced) {
    return Fail(ErrorKind::kHostError, "resource " + request.api_version + "/" + request.kind +
                                           " is cluster wide. Cannot search inside of a namespace");
  }
  kube::ReflectorKey key{request.api_version, request.kind, request.selectors,
                         request.field_masks};
  KW_ASSIGN_OR_RETURN(auto reflector,
                      by_namespace
                          ? cluster.NamespaceReflector(std::move(key), request.ns.value_or(""),
                                                       deadline)
                          : cluster.Reflector(std::move(key), deadline));
  return ListAnswer(*reflector, request);
}

// The object at `path` as get_resource answers it: managedFields dropped, `masks` applied.
Result<std::string> FetchObject(const kube::Client& client, const std::string& path,
                                const std::vector<std::string>& masks,
                                Clock::time_point deadline) {
  kube::ApiRequest api;
  api.path = path;
  api.deadline = deadline;
  KW_ASSIGN_OR_RETURN(std::string body, client.Call(api));
  auto object = ParseJson(body, "the API server's answer is not JSON");
  if (!object || !object->is_object()) {
    return Fail(ErrorKind::kHostError, object ? "the API server's answer is not an object"
                                              : object.error().message);
  }
  if (json::value* metadata = object->as_object().if_contains("metadata");
      metadata != nullptr && metadata->is_object()) {
    metadata->as_object().erase("managedFields");
  }
  kube::FieldMask(masks).Apply(object->as_object());
  return ToJson(*object);
}

// SubjectAccessReviewStatus as upstream serializes it: `allowed`, and the optional fields only
// when the server set them.
Result<std::string> ReviewAccess(const kube::Client& client, const json::object& spec) {
  KW_ASSIGN_OR_RETURN(json::value status, kube::SubjectAccessReview(client, spec));
  json::object answer;
  const json::value* allowed = FindKey(status, "allowed");
  answer["allowed"] = allowed != nullptr && allowed->is_bool() && allowed->as_bool();
  for (std::string_view field : {"denied", "reason", "evaluationError"}) {
    const json::value* value = FindKey(status, field);
    if (value != nullptr && (value->is_bool() || value->is_string())) answer[field] = *value;
  }
  return ToJson(answer);
}

Result<std::string> GetResource(Cluster& cluster, const host::CallContext& ctx,
                                std::string_view payload) {
  KW_ASSIGN_OR_RETURN(GetRequest request, DecodeGet(payload));
  if (!cluster.connected()) return Fail(ErrorKind::kHostError, std::string(kube::kNoClientMessage));
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, cluster.Discover(request.api_version, request.kind));
  const std::string path =
      type.ObjectPath(type.namespaced ? request.ns.value_or("") : "", request.name);
  // Runs on a helper thread that may outlive this call: it owns what it uses.
  auto fetch = [client = cluster.shared_client(), path, masks = request.field_masks,
                deadline = DeadlineOf(ctx, cluster.options())] {
    return FetchObject(*client, path, masks, deadline);
  };
  if (request.disable_cache) return fetch();
  std::string key = path + '\0';
  for (const auto& mask : request.field_masks) key += mask + '\0';
  return cluster.caches().get_resource.Get(key, "get_resource " + path, std::move(fetch),
                                           ctx.deadline);
}

Result<std::string> CanI(Cluster& cluster, const host::CallContext& ctx,
                         std::string_view payload) {
  KW_ASSIGN_OR_RETURN(CanIRequest request, DecodeCanI(payload));
  if (!cluster.connected()) return Fail(ErrorKind::kHostError, std::string(kube::kNoClientMessage));
  auto review = [client = cluster.shared_client(), spec = request.spec] {
    return ReviewAccess(*client, spec);
  };
  if (request.disable_cache) return review();
  return cluster.caches().can_i.Get(ToJson(request.spec), "can_i", std::move(review),
                                    ctx.deadline);
}

// Errors reach the guest as host errors, whatever their kind inside.
Result<std::string> AsHostError(Result<std::string> answer) {
  if (!answer && answer.error().kind != ErrorKind::kHostError) {
    return Fail(ErrorKind::kHostError, answer.error().message);
  }
  return answer;
}

Result<void> CheckKubernetesAccess(const host::CallContext& ctx, std::string_view operation,
                                   std::string_view payload) {
  if (operation == "list_resources_by_namespace" || operation == "list_resources_all") {
    KW_ASSIGN_OR_RETURN(ListRequest request,
                        DecodeList(payload, operation == "list_resources_by_namespace"));
    return CheckAccess(ctx, request.api_version, request.kind);
  }
  if (operation == "get_resource") {
    KW_ASSIGN_OR_RETURN(GetRequest request, DecodeGet(payload));
    return CheckAccess(ctx, request.api_version, request.kind);
  }
  return {};  // can_i needs the capability only
}

}  // namespace

host::Provider GateKubernetesResources(host::Provider inner) {
  return [inner = std::move(inner)](const host::CallContext& ctx, std::string_view operation,
                                    std::string_view payload) -> Result<std::string> {
    if (auto allowed = CheckKubernetesAccess(ctx, operation, payload); !allowed) {
      return AsHostError(std::unexpected(std::move(allowed).error()));
    }
    return inner(ctx, operation, payload);
  };
}

void RegisterKubernetes(host::Dispatcher& dispatcher, std::shared_ptr<Cluster> cluster) {
  dispatcher.Register(
      "kubernetes",
      {"list_resources_by_namespace", "list_resources_all", "get_resource", "can_i"},
      [cluster](const host::CallContext& ctx, std::string_view operation,
                std::string_view payload) -> Result<std::string> {
        if (operation == "list_resources_by_namespace") {
          return AsHostError(ListResources(*cluster, ctx, payload, true));
        }
        if (operation == "list_resources_all") {
          return AsHostError(ListResources(*cluster, ctx, payload, false));
        }
        if (operation == "get_resource") return AsHostError(GetResource(*cluster, ctx, payload));
        return AsHostError(CanI(*cluster, ctx, payload));
      });
}

}  // namespace kw::capabilities
