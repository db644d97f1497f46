#include "audit/selection.h"

#include <gtest/gtest.h>

#include "testing/json.h"

namespace kw::audit {
namespace {

using testing::J;

crd::Policy Policy(std::string_view kind, std::string_view name, std::string_view spec,
                   std::string_view status = R"({"policyStatus":"active"})",
                   std::string_view ns = "") {
  std::string metadata = R"({"name":")" + std::string(name) + "\"" +
                         (ns.empty() ? "" : R"(,"namespace":")" + std::string(ns) + "\"") + "}";
  auto policy = crd::ParsePolicy(J(R"({"kind":")" + std::string(kind) + R"(","metadata":)" +
                                       metadata + R"(,"spec":)" + std::string(spec) +
                                       R"(,"status":)" + std::string(status) + "}"));
  EXPECT_TRUE(policy) << policy.error().message;
  return *policy;
}

constexpr std::string_view kPodsRule =
    R"({"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE","UPDATE"]})";

// Pods, Deployments and Namespaces exist; nothing else.
std::optional<kube::ResourceType> Lookup(std::string_view group, std::string_view version,
                                         std::string_view resource) {
  if (group.empty() && version == "v1" && resource == "pods") {
    return kube::ResourceType{"", "v1", "Pod", "pods", true, {}};
  }
  if (group == "apps" && version == "v1" && resource == "deployments") {
    return kube::ResourceType{"apps", "v1", "Deployment", "deployments", true, {}};
  }
  if (group.empty() && version == "v1" && resource == "namespaces") {
    return kube::ResourceType{"", "v1", "Namespace", "namespaces", false, {}};
  }
  return std::nullopt;
}

std::string Rules(std::string_view rules) {
  return R"({"module":"m","mutating":false,"rules":)" + std::string(rules) + "}";
}

TEST(SelectPolicies, ANamespaceGetsTheClusterPoliciesSelectingItAndItsOwn) {
  std::vector<crd::Policy> policies{
      Policy("ClusterAdmissionPolicy", "all", Rules("[" + std::string(kPodsRule) + "]")),
      Policy("ClusterAdmissionPolicy", "prod-only",
             R"({"module":"m","mutating":false,"rules":[)" + std::string(kPodsRule) +
                 R"(],"namespaceSelector":{"matchLabels":{"env":"prod"}}})"),
      Policy("AdmissionPolicy", "mine", Rules("[" + std::string(kPodsRule) + "]"),
             R"({"policyStatus":"active"})", "team"),
      Policy("AdmissionPolicy", "theirs", Rules("[" + std::string(kPodsRule) + "]"),
             R"({"policyStatus":"active"})", "other"),
  };
  auto selected = SelectPolicies(policies, {"team", J(R"({"env":"dev"})")}, Lookup);
  ASSERT_EQ(selected.size(), 2u);
  EXPECT_EQ(selected[0].policy->meta.name, "all");
  EXPECT_EQ(selected[1].policy->meta.name, "mine");
  ASSERT_EQ(selected[0].targets.size(), 1u);
  EXPECT_EQ(selected[0].targets[0].plural, "pods");

  auto prod = SelectPolicies(policies, {"team", J(R"({"env":"prod"})")}, Lookup);
  EXPECT_EQ(prod.size(), 3u);
}

TEST(SelectPolicies, SkipsWhatCannotBeAuditedAndErrorsOnUnknownTypes) {
  std::vector<crd::Policy> policies{
      Policy("ClusterAdmissionPolicy", "wildcard",
             Rules(R"([{"apiGroups":["*"],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"]}])")),
      Policy("ClusterAdmissionPolicy", "update-only",
             Rules(R"([{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["UPDATE"]}])")),
      Policy("ClusterAdmissionPolicy", "pending", Rules("[" + std::string(kPodsRule) + "]"),
             R"({"policyStatus":"pending"})"),
      Policy("ClusterAdmissionPolicy", "no-audit",
             R"({"module":"m","mutating":false,"backgroundAudit":false,"rules":[)" +
                 std::string(kPodsRule) + "]}"),
      Policy("ClusterAdmissionPolicy", "unknown",
             Rules(R"([{"apiGroups":["example.com"],"apiVersions":["v1"],"resources":["widgets"],"operations":["CREATE"]}])")),
  };
  auto selected = SelectPolicies(policies, {"team", J("{}")}, Lookup);
  ASSERT_EQ(selected.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(selected[i].outcome, SelectedPolicy::Outcome::kSkipped) << selected[i].reason;
  }
  EXPECT_EQ(selected[4].outcome, SelectedPolicy::Outcome::kErrored);
  EXPECT_NE(selected[4].reason.find("example.com/v1 widgets"), std::string::npos);

  // A preview takes a pending policy, and one out of the background audit.
  auto preview = SelectPolicies(policies, {"team", J("{}")}, Lookup, {false, false});
  EXPECT_EQ(preview[2].outcome, SelectedPolicy::Outcome::kAudit);
  EXPECT_EQ(preview[3].outcome, SelectedPolicy::Outcome::kAudit);
  EXPECT_EQ(preview[0].outcome, SelectedPolicy::Outcome::kSkipped);  // still a wildcard
}

TEST(SelectPolicies, EachScanTakesTheTypesOfItsScope) {
  std::vector<crd::Policy> policies{Policy(
      "ClusterAdmissionPolicy", "mixed",
      Rules(R"([{"apiGroups":["","apps"],"apiVersions":["v1"],"resources":["pods","deployments","namespaces"],"operations":["CREATE"]}])"))};
  // Lookup refuses apps/v1 pods and v1 deployments: an unknown combination is an error, as
  // upstream expands groups x versions x resources.
  auto cluster = SelectPolicies(policies, {}, [](auto group, auto version, auto resource) {
    return Lookup(group, version, resource);
  });
  ASSERT_EQ(cluster.size(), 1u);
  EXPECT_EQ(cluster[0].outcome, SelectedPolicy::Outcome::kErrored);

  std::vector<crd::Policy> split{
      Policy("ClusterAdmissionPolicy", "pods-and-namespaces",
             Rules(R"([{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods","namespaces"],"operations":["CREATE"]}])"))};
  auto in_cluster = SelectPolicies(split, {}, Lookup);
  ASSERT_EQ(in_cluster.size(), 1u);
  ASSERT_EQ(in_cluster[0].targets.size(), 1u);
  EXPECT_EQ(in_cluster[0].targets[0].plural, "namespaces");
  auto in_namespace = SelectPolicies(split, {"team", J("{}")}, Lookup);
  ASSERT_EQ(in_namespace[0].targets.size(), 1u);
  EXPECT_EQ(in_namespace[0].targets[0].plural, "pods");
  // A policy about cluster-scoped types only is not part of a namespace scan at all.
  std::vector<crd::Policy> cluster_only{
      Policy("ClusterAdmissionPolicy", "namespaces",
             Rules(R"([{"apiGroups":[""],"apiVersions":["v1"],"resources":["namespaces"],"operations":["CREATE"]}])"))};
  EXPECT_TRUE(SelectPolicies(cluster_only, {"team", J("{}")}, Lookup).empty());
}

}  // namespace
}  // namespace kw::audit
