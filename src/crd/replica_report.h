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
//      "errors":{"clusterwide-bad":"cannot download ..."},
//      "stale":{"clusterwide-changed":"Policy settings are invalid: ..."}}
//
// `errors`: policies with nothing to serve; `stale`: policies whose latest definition failed
// while their last good version goes on serving.
//
// Replicas that never report (upstream's policy-server image, or ours without `patch` on its
// Pod) get upstream's way instead: the controller labels the pod template with the ConfigMap's
// resourceVersion (kConfigVersionLabel), so every change rolls out new pods, and a pod that is
// Ready with the current label serves the current configuration.
//
// The Pod is the natural record: it lives and dies with the replica, the Deployment lists them
// by label, and the kubelet sets its readiness. Outside a kubelet (tests, policy-server run by
// hand), whoever starts the process creates the Pod object and passes its name and namespace
// (KUBEWARDEN_POD_NAME, KUBEWARDEN_POD_NAMESPACE) as the downward API would.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "base/error.h"
#include "base/json.h"

namespace kw::crd {

inline constexpr std::string_view kServedConfigurationAnnotation =
    "kubewarden.io/served-configuration";

// Upstream's pod template label: the ConfigMap resourceVersion the pods were started with.
inline constexpr std::string_view kConfigVersionLabel = "kubewarden/config-version";

struct ReplicaReport {
  std::string config_map;
  std::string resource_version;
  std::map<std::string, std::string> errors;  // policy id -> why it failed to load
  std::map<std::string, std::string> stale;   // policy id -> why its latest version failed
};

// The annotation's value. Messages are cut to 1 KiB and at most 100 of each kind are listed (an
// annotation is bounded: 256 KiB for all of a Pod's annotations).
std::string RenderReplicaReport(const ReplicaReport& report);
// Reads the annotation of `pod`; nullopt when it has none or it does not parse (a replica that
// does not report, or garbage: either way it has not shown what it serves).
std::optional<ReplicaReport> ReadReplicaReport(const json::value& pod);

// What a policy server's ConfigMap lists, read from its policies.yml once per version.
struct ServedConfiguration {
  std::string config_map;        // its name
  std::string resource_version;
  // Each policy id listed, with its policyMode ("protect" when the entry has none).
  std::map<std::string, std::string, std::less<>> modes;
};
ServedConfiguration ReadServedConfiguration(const json::value& config_map);

// Whether every replica serves the configuration `config_map` (its resourceVersion), as the
// controller's rollout gate asks before a policy goes active: a live pod serves it when its
// report says so, or, when it has no report, when it is Ready and labelled with that version.
struct RolloutState {
  bool uniquely_reachable = false;
  std::string message;     // why not, for the condition
  std::string load_error;   // why the policy failed to load on a replica, if it did
  std::string stale_error;  // why its latest version failed on a replica (last good served)
};
RolloutState CheckRollout(std::string_view policy_id, const ServedConfiguration& configuration,
                          std::span<const json::value> pods);
inline RolloutState CheckRollout(std::string_view policy_id, const json::value& config_map,
                                 std::span<const json::value> pods) {
  return CheckRollout(policy_id, ReadServedConfiguration(config_map), pods);
}

// Whether the replicas of a policy server need upstream's rollouts: some live pod has no report
// and either carries kConfigVersionLabel (it was started that way) or has been Ready for at least
// `grace` (a replica that reports does so moments after it turns ready). `recheck_in` is set
// when a pod without a report is Ready for less than `grace`: the answer may change then.
struct RestartNeed {
  bool restarts = false;
  std::optional<std::chrono::milliseconds> recheck_in;
};
RestartNeed ReplicasNeedRestarts(std::span<const json::value> pods,
                                 std::chrono::system_clock::time_point now,
                                 std::chrono::milliseconds grace);

}  // namespace kw::crd
