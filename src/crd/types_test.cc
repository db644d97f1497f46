#include "crd/types.h"

#include <gtest/gtest.h>

#include "crd/replica_report.h"
#include "testing/json.h"

namespace kw::crd {
namespace {

using testing::J;

TEST(ParsePolicy, AppliesTheSchemaDefaultsWhereFieldsAreAbsent) {
  auto policy = ParsePolicy(J(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"p"},
      "spec":{"module":"registry://m","rules":[],"mutating":false}})"));
  ASSERT_TRUE(policy) << policy.error().message;
  EXPECT_EQ(policy->mode, "protect");
  EXPECT_TRUE(policy->background_audit);
  EXPECT_EQ(policy->timeout_seconds, 10);
  EXPECT_EQ(policy->policy_server, "");
  EXPECT_TRUE(policy->settings.is_null());
  EXPECT_EQ(policy->UniqueName(), "clusterwide-p");
}

TEST(ParsePolicy, ReadsEveryKind) {
  auto ap = ParsePolicy(J(R"({"kind":"AdmissionPolicy","metadata":{"name":"p","namespace":"ns",
      "finalizers":["kubewarden.io/finalizer"],"deletionTimestamp":"2026-01-01T00:00:00Z"},
      "spec":{"policyServer":"ps","module":"m","mutating":true,"settings":{"a":1},
      "contextAwareResources":[{"apiVersion":"v1","kind":"Pod"}]}})"));
  ASSERT_TRUE(ap);
  EXPECT_EQ(ap->UniqueName(), "namespaced-ns-p");
  EXPECT_TRUE(ap->meta.deleting);
  EXPECT_TRUE(ap->meta.HasFinalizer(kFinalizer));
  EXPECT_TRUE(ap->context_aware_resources.empty());  // not a field of namespaced policies

  auto group = ParsePolicy(J(R"j({"kind":"AdmissionPolicyGroup","metadata":{"name":"g","namespace":"ns"},
      "spec":{"expression":"a() && b()","message":"m","policies":{"b":{"module":"mb"},"a":{"module":"ma","timeoutEvalSeconds":4}}}})j"));
  ASSERT_TRUE(group);
  EXPECT_TRUE(group->IsGroup());
  EXPECT_EQ(group->UniqueName(), "namespaced-group-ns-g");
  ASSERT_EQ(group->members.size(), 2u);
  EXPECT_EQ(group->members.begin()->first, "a");
  EXPECT_EQ(group->members.at("a").timeout_eval_seconds, 4);

  auto cluster_group = ParsePolicy(J(R"({"kind":"ClusterAdmissionPolicyGroup","metadata":{"name":"g"},"spec":{}})"));
  ASSERT_TRUE(cluster_group);
  EXPECT_EQ(cluster_group->UniqueName(), "clusterwide-group-g");
}

TEST(ParsePolicy, RefusesWhatItCannotRead) {
  EXPECT_FALSE(ParsePolicy(J(R"({"kind":"Pod","metadata":{"name":"p"}})")));
  EXPECT_FALSE(ParsePolicy(J(R"({"kind":"ClusterAdmissionPolicy"})")));
  auto wrong = ParsePolicy(J(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"p"},
      "spec":{"timeoutSeconds":"ten"}})"));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("spec.timeoutSeconds"), std::string::npos);
  EXPECT_FALSE(ParsePolicy(J(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"p"},
      "spec":{"timeoutSeconds":99999999999}})")));
  EXPECT_FALSE(ParsePolicy(J(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"p","labels":{"a":1}}})")));
}

TEST(ParsePolicyServer, ReadsTheSpecWithDefaults) {
  auto server = ParsePolicyServer(J(R"({"kind":"PolicyServer","metadata":{"name":"default"},
      "spec":{"image":"img","replicas":2,"minAvailable":1,"sourceAuthorities":{"r":["PEM"]},
      "securityContexts":{"pod":{"fsGroup":1}},"namespacedPoliciesCapabilities":[]}})"));
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(server->replicas, 2);
  EXPECT_EQ(server->webhook_port, 8443);
  EXPECT_EQ(server->readiness_probe_port, 8081);
  EXPECT_EQ(server->min_available, 1);
  EXPECT_TRUE(server->max_unavailable.is_null());
  EXPECT_EQ(server->source_authorities.at("r"), std::vector<std::string>{"PEM"});
  EXPECT_TRUE(server->container_security_context.is_null());
  EXPECT_EQ(server->pod_security_context, J(R"({"fsGroup":1})"));
  ASSERT_TRUE(server->namespaced_policies_capabilities);
  EXPECT_TRUE(server->namespaced_policies_capabilities->empty());
  EXPECT_FALSE(ParsePolicyServer(J(R"({"kind":"PolicyServer","metadata":{"name":"d"},"spec":{"replicas":"2"}})")));
}

json::value Pod(std::string_view name, std::string_view annotation, std::string_view extra = "") {
  json::object annotations;
  if (!annotation.empty()) annotations[kServedConfigurationAnnotation] = annotation;
  json::value pod = J(std::string(R"({"metadata":{"name":")") + std::string(name) + R"("}})");
  pod.as_object()["metadata"].as_object()["annotations"] = annotations;
  if (!extra.empty()) pod.as_object()["metadata"].as_object()["deletionTimestamp"] = extra;
  return pod;
}

TEST(ReplicaReport, RoundTripsAndBoundsItsSize) {
  ReplicaReport report{"policy-server-default", "42", {}};
  for (int i = 0; i < 150; ++i) report.errors["p" + std::to_string(i)] = std::string(5000, 'x');
  json::value pod = Pod("a", RenderReplicaReport(report));
  auto read = ReadReplicaReport(pod);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->resource_version, "42");
  EXPECT_EQ(read->errors.size(), 100u);
  EXPECT_EQ(read->errors.begin()->second.size(), 1024u);
  EXPECT_FALSE(ReadReplicaReport(Pod("b", "not json")));
  EXPECT_FALSE(ReadReplicaReport(Pod("c", "")));
}

TEST(CheckRollout, NeedsEveryLiveReplicaOnTheCurrentVersion) {
  json::value cm = J(R"({"metadata":{"name":"policy-server-default","resourceVersion":"7"},
      "data":{"policies.yml":"{\"clusterwide-p\":{},\"clusterwide-q\":{}}"}})");
  const auto report = [](std::string version, std::map<std::string, std::string> errors = {}) {
    return RenderReplicaReport({"policy-server-default", std::move(version), std::move(errors)});
  };
  std::vector<json::value> pods = {Pod("a", report("7")), Pod("b", report("6"))};
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, pods).uniquely_reachable);
  EXPECT_NE(CheckRollout("clusterwide-p", cm, pods).message.find("Replica b"), std::string::npos);
  pods[1] = Pod("b", report("6"), "2026-01-01T00:00:00Z");  // terminating: does not count
  EXPECT_TRUE(CheckRollout("clusterwide-p", cm, pods).uniquely_reachable);
  EXPECT_FALSE(CheckRollout("clusterwide-other", cm, pods).uniquely_reachable);
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, {}).uniquely_reachable);
  pods[0] = Pod("a", report("7", {{"clusterwide-q", "bad module"}}));
  auto state = CheckRollout("clusterwide-q", cm, pods);
  EXPECT_TRUE(state.uniquely_reachable);
  EXPECT_EQ(state.load_error, "bad module");
}

// A replica that never reports (upstream's image): the pod template's version label and the
// Ready condition, as the API server writes them.
json::value SilentPod(std::string_view name, std::string_view version, std::string_view ready,
                      std::string_view since = "2026-01-01T00:00:00Z") {
  json::value pod = J(std::string(R"({"metadata":{"name":")") + std::string(name) +
                      R"(","labels":{}},"status":{"conditions":[{"type":"PodScheduled","status":"True"}]}})");
  if (!version.empty()) {
    pod.as_object()["metadata"].as_object()["labels"].as_object()[kConfigVersionLabel] = version;
  }
  if (!ready.empty()) {
    pod.as_object()["status"].as_object()["conditions"].as_array().push_back(
        json::object{{"type", "Ready"}, {"status", ready}, {"lastTransitionTime", since}});
  }
  return pod;
}

TEST(CheckRollout, TakesASilentReplicaReadyWithTheVersionLabelAsServingIt) {
  json::value cm = J(R"({"metadata":{"name":"policy-server-default","resourceVersion":"7"},
      "data":{"policies.yml":"{\"clusterwide-p\":{}}"}})");
  EXPECT_TRUE(CheckRollout("clusterwide-p", cm, std::vector{SilentPod("a", "7", "True")}).uniquely_reachable);
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, std::vector{SilentPod("a", "6", "True")}).uniquely_reachable);
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, std::vector{SilentPod("a", "7", "False")}).uniquely_reachable);
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, std::vector{SilentPod("a", "7", "")}).uniquely_reachable);
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, std::vector{SilentPod("a", "", "True")}).uniquely_reachable);
  // A report wins over the label: a replica of ours started by a rollout says what it serves.
  json::value reporting = SilentPod("b", "7", "True");
  reporting.as_object()["metadata"].as_object()["annotations"] = json::object{
      {kServedConfigurationAnnotation, RenderReplicaReport({"policy-server-default", "6", {}})}};
  EXPECT_FALSE(CheckRollout("clusterwide-p", cm, std::vector{reporting}).uniquely_reachable);
}

TEST(ReplicasNeedRestarts, WhenAReplicaIsReadyLongWithoutReportingOrWasStartedThatWay) {
  using std::chrono::seconds;
  const auto now = std::chrono::system_clock::time_point(
                       std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)) +
                   seconds(100);
  const std::chrono::milliseconds grace = seconds(30);
  // Ready since 2026-01-01T00:00:00Z, 100 s ago: past the grace.
  EXPECT_TRUE(ReplicasNeedRestarts(std::vector{SilentPod("a", "", "True")}, now, grace).restarts);
  // Ready 10 s ago: not yet, and the answer may change in 20 s.
  auto young = ReplicasNeedRestarts(std::vector{SilentPod("a", "", "True", "2026-01-01T00:01:30Z")}, now, grace);
  EXPECT_FALSE(young.restarts);
  ASSERT_TRUE(young.recheck_in);
  EXPECT_EQ(*young.recheck_in, seconds(20));
  // Not ready: it may report once it is.
  EXPECT_FALSE(ReplicasNeedRestarts(std::vector{SilentPod("a", "", "False")}, now, grace).restarts);
  EXPECT_FALSE(ReplicasNeedRestarts(std::vector{SilentPod("a", "", "")}, now, grace).recheck_in);
  // Started by a rollout and silent: restarts go on, ready or not.
  EXPECT_TRUE(ReplicasNeedRestarts(std::vector{SilentPod("a", "7", "")}, now, grace).restarts);
  // Reporting replicas, or one that is terminating, need none.
  EXPECT_FALSE(ReplicasNeedRestarts(
      std::vector{Pod("a", RenderReplicaReport({"policy-server-default", "7", {}}))}, now, grace).restarts);
  EXPECT_FALSE(ReplicasNeedRestarts(std::vector{Pod("b", "", "2026-01-01T00:00:00Z")}, now, grace).restarts);
  EXPECT_FALSE(ReplicasNeedRestarts({}, now, grace).restarts);
  // A transition time ahead of this clock counts as now, however far (year 9999 included).
  auto ahead = ReplicasNeedRestarts(std::vector{SilentPod("a", "", "True", "9999-12-31T23:59:59Z")}, now, grace);
  EXPECT_FALSE(ahead.restarts);
  ASSERT_TRUE(ahead.recheck_in);
  EXPECT_EQ(*ahead.recheck_in, grace);
  EXPECT_TRUE(CheckRollout("clusterwide-p",
                           J(R"({"metadata":{"name":"policy-server-default","resourceVersion":"7"},
                                 "data":{"policies.yml":"{\"clusterwide-p\":{}}"}})"),
                           std::vector{SilentPod("a", "7", "True", "9999-12-31T23:59:59Z")})
                  .uniquely_reachable);
  // An unreadable transition time counts as long ago.
  EXPECT_TRUE(ReplicasNeedRestarts(std::vector{SilentPod("a", "", "True", "yesterday")}, now, grace).restarts);
}

}  // namespace
}  // namespace kw::crd
