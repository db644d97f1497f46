// The REST semantics of kube-apiserver over the store: routing of /api and /apis paths,
// discovery, and the verbs (get, list, watch, create, update, patch, apply, delete,
// deletecollection) with the real server's bookkeeping and error bodies. Transport-free: the
// HTTP layer (server.h) hands a decoded request in and writes the outcome out, streaming a
// watch plan's events.
//
// Thread-safety: Handle and Seed may be called from any thread at once (the store's lock
// serializes writes; lists and watch events are rendered outside it).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "kube_apiserver/auth.h"
#include "kube_apiserver/gc.h"
#include "kube_apiserver/resources.h"
#include "kube_apiserver/store.h"
#include "kube_apiserver/webhooks.h"

namespace kw::kube_double {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded? no: as sent, without the query
  std::map<std::string, std::string> query;  // decoded
  std::string content_type;                  // without parameters, lower-case
  std::string body;
  std::string user_agent;
  std::string accept;  // the Accept header
  Identity identity;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// A watch to stream: first `error_event` if set (then close), else the watcher's lines.
struct WatchPlan {
  std::shared_ptr<Watcher> watcher;
  std::string error_event;
  std::chrono::milliseconds timeout{0};  // 0 = until the client goes away
  bool bookmarks = false;
  std::string kind, api_version;  // of bookmark objects
};

using ApiOutcome = std::variant<ApiResponse, WatchPlan>;

// One rule of --sar-rules: the first rule matching a SubjectAccessReview decides it.
struct SarRule {
  std::string user;                 // "" = anyone
  std::vector<std::string> groups;  // any of them (empty = no condition)
  std::string verb;                 // "*" = any
  std::string resource;             // "*" = any
  std::optional<std::string> ns;
  bool allowed = false;
  std::string reason;
};
// A YAML (or JSON) list of {user, groups, verb, resource, namespace, allowed, reason}.
Result<std::vector<SarRule>> ParseSarRules(std::string_view text);

// One rule of --deny: requests it matches are refused 403 as RBAC refuses them.
struct DenyRule {
  std::string user;      // "" = anyone
  std::string group;     // "" = no condition; else one of the requester's groups
  std::string verb;      // "*" = any
  std::string resource;  // "pods", "pods/status", "*"
  std::optional<std::string> ns;
};
// A YAML (or JSON) list of {user, group, verb, resource, namespace}.
Result<std::vector<DenyRule>> ParseDenyRules(std::string_view text);

// The path of a request under /api or /apis, split as the real server routes it.
struct ResourcePath {
  std::string group, version;
  std::string ns;  // "" = none in the path
  std::string plural, name, subresource;
};
// nullopt for paths outside /api/v1 and /apis/<group>/<version>/<resource>....
std::optional<ResourcePath> ParseResourcePath(std::string_view path);

// The Kubernetes verb of a request ("get", "list", "watch", "create", "update", "patch",
// "delete", "deletecollection"), or the lower-cased HTTP method for other paths.
std::string RequestVerb(const ApiRequest& request);

class Api {
 public:
  Api(std::size_t watch_history, std::vector<SarRule> sar_rules,
      std::vector<DenyRule> deny_rules = {});

  ApiOutcome Handle(const ApiRequest& request);
  void Unwatch(const std::shared_ptr<Watcher>& watcher);

  // Creates the objects of one seed document (an object, or a List of them) as if POSTed.
  Result<void> Seed(json::value document);

  // /double/compact.
  void Compact();
  // The resourceVersion a bookmark reports now.
  std::uint64_t CurrentResourceVersion();
  // The admission webhooks' service endpoints (--service-endpoint, /double/service-endpoints).
  Webhooks& webhooks() { return webhooks_; }

 private:
  struct Target;
  ApiResponse Discovery(std::string_view path, std::string_view accept);
  ApiOutcome HandleResource(const ApiRequest& request, const ResourcePath& path);
  ApiResult<ApiResponse> Get(const Target& target);
  ApiResult<ApiResponse> List(const ApiRequest& request, const Target& target);
  ApiResult<WatchPlan> Watch(const ApiRequest& request, const Target& target);
  ApiResult<ApiResponse> Create(const ApiRequest& request, const Target& target,
                                json::value body, bool seeding);
  ApiResult<ApiResponse> Update(const ApiRequest& request, const Target& target);
  ApiResult<ApiResponse> Patch(const ApiRequest& request, const Target& target);
  ApiResult<ApiResponse> Delete(const ApiRequest& request, const Target& target);
  ApiResult<ApiResponse> DeleteCollection(const ApiRequest& request, const Target& target);
  // The scale subresource of deployments, replicasets and statefulsets (autoscaling/v1 Scale).
  ApiResult<ApiResponse> Scale(const ApiRequest& request, const Target& target,
                               const std::string& verb);
  ApiResult<ApiResponse> ReviewAccess(const ApiRequest& request, const Target& target);

  // Admission webhooks (webhooks.h), called without the store's lock.
  // Whether any webhook configuration could apply to requests for `type`.
  bool HasWebhooks(const ResourceType& type);
  // Which webhooks a call to Admit runs.
  enum class AdmissionPhase { kMutating, kValidating, kBoth };
  // Runs the webhooks for a write of `target`: the object as they left it.
  ApiResult<std::optional<json::object>> Admit(const ApiRequest& request, const Target& target,
                                               std::string operation,
                                               std::optional<json::object> object,
                                               std::optional<json::object> old_object,
                                               std::string_view options_kind,
                                               json::object options = {},
                                               AdmissionPhase phase = AdmissionPhase::kBoth);
  // A create through admission, in the real server's order: the mutating webhooks see the body
  // (namespace filled in), the validating ones the object as it would be stored (computed as a
  // dry run: defaults, generated name, ...), then it is stored.
  ApiResult<ApiResponse> AdmittedCreate(const ApiRequest& request, const Target& target,
                                        json::value body);
  // An update or patch (of the object or a subresource) through admission: the new state is
  // computed first (a dry run), the webhooks see it, then it is written (as they mutated it).
  ApiResult<ApiResponse> AdmittedUpdate(const ApiRequest& request, const Target& target);

  // Under the store's lock: stores `object` (a full object) as the new state of the live
  // object, with the real server's bookkeeping; deletes it when its last finalizer went.
  // `dry_run`: everything but the write (the result is not stored, no event is sent).
  ApiResult<ObjectPtr> WriteUpdate(const Target& target, const ObjectPtr& live,
                                   json::object object, const std::string& manager,
                                   bool apply, bool dry_run);
  ApiResult<ObjectPtr> CreateLocked(const Target& target, json::object object,
                                    const std::string& manager, bool seeding, bool dry_run,
                                    bool apply);
  // Custom resources: prunes the fields the version's schema does not know, then validates.
  static ApiResult<void> ConformToSchema(const Target& target, json::object& object);
  ObjectPtr RemoveLocked(const ResourceType& type, const std::string& key,
                         std::optional<json::object> final_state = std::nullopt);
  void RemoveNamespaceContents(const std::string& ns);
  // The garbage collector's part once objects were removed wholesale (a namespace's or a CRD's
  // contents); nullptrs are skipped.
  void CollectDependentsOf(const std::vector<ObjectPtr>& removed);

  Store store_;
  ResourceRegistry registry_;
  GarbageCollector gc_;
  Webhooks webhooks_;
  std::vector<SarRule> sar_rules_;
  std::vector<DenyRule> deny_rules_;
};

}  // namespace kw::kube_double
