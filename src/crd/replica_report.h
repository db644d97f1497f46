// How a policy-server replica tells the controller what it serves: an annotation on its own Pod.
//
// Upstream rolls out new pods on every policy change and treats "every pod belongs to the
// newest ReplicaSet" as "every replica serves the new configuration". Here policy changes go
// live without new pods (policy-server follows its ConfigMap through the API), so each replica
// says which ConfigMap resourceVersion it has built its policies from, and which policies of it
// failed to load, once that configuration is live:
//
//   metadata.annotations["kubewarden.io/served-configuration"] =
//     {"configMap":"policy-server-default","resourceVersion":"4711",
//      "errors":{"clusterwide-bad":"cannot download ..."}}
//
// The Pod is the natural record: it lives and dies with the replica, the Deployment lists them
// by label, and the kubelet sets its readiness. Outside a kubelet (tests, policy-server run by
// hand), whoever starts the process creates the Pod object and passes its name and namespace
// (KUBEWARDEN_POD_NAME, KUBEWARDEN_POD_NAMESPACE) as the downward API would.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>

#include "base/error.h"
#include "base/json.h"

namespace kw::crd {

inline constexpr std::string_view kServedConfigurationAnnotation =
    "kubewarden.io/served-configuration";

struct ReplicaReport {
  std::string config_map;
  std::string resource_version;
  std::map<std::string, std::string> errors;  // policy id -> why it failed to load
};

// The annotation's value. Messages are cut to 1 KiB and at most 100 errors are listed (an
// annotation is bounded: 256 KiB for all of a Pod's annotations).
std::string RenderReplicaReport(const ReplicaReport& report);
// Reads the annotation of `pod`; nullopt when it has none or it does not parse (a replica that
// does not report, or garbage: either way it has not shown what it serves).
std::optional<ReplicaReport> ReadReplicaReport(const json::value& pod);

// Whether every replica serves the configuration `config_map` (its resourceVersion), as the
// controller's rollout gate asks before a policy goes active.
struct RolloutState {
  bool uniquely_reachable = false;
  std::string message;     // why not, for the condition
  std::string load_error;  // the policy's load error reported by a replica, if any
};
RolloutState CheckRollout(std::string_view policy_id, const json::value& config_map,
                          std::span<const json::value> pods);

}  // namespace kw::crd
