#include "crd/validation.h"

#include <gtest/gtest.h>

#include "admission/json_patch.h"
#include "crd/map_object_lookup.h"
#include "testing/json.h"

namespace kw::crd {
namespace {

using testing::J;

// `base` with the RFC 6902 operations `patch` applied.
json::value Patched(const json::value& base, std::string_view patch) {
  auto result = admission::ApplyPatch(base, J(patch).as_array());
  EXPECT_TRUE(result) << result.error().message;
  return result ? *result : json::value();
}

// Upstream-shaped objects, as upstream's docs and charts write them.
const json::value kPolicyServer = J(R"({
  "apiVersion": "policies.kubewarden.io/v1", "kind": "PolicyServer",
  "metadata": {"name": "default", "finalizers": ["kubewarden.io/finalizer"]},
  "spec": {"image": "ghcr.io/kubewarden/policy-server:v1.22.0", "replicas": 1,
           "serviceAccountName": "policy-server",
           "env": [{"name": "KUBEWARDEN_LOG_LEVEL", "value": "info"}],
           "annotations": {}, "securityContexts": {},
           "limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": 512000000}}
})");

const json::value kClusterAdmissionPolicy = J(R"({
  "apiVersion": "policies.kubewarden.io/v1", "kind": "ClusterAdmissionPolicy",
  "metadata": {"name": "privileged-pods"},
  "spec": {"module": "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.2.2",
           "policyServer": "default", "mode": "protect",
           "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                      "operations": ["CREATE", "UPDATE"]}],
           "mutating": false, "backgroundAudit": true, "timeoutSeconds": 10}
})");

const json::value kAdmissionPolicy = J(R"({
  "apiVersion": "policies.kubewarden.io/v1", "kind": "AdmissionPolicy",
  "metadata": {"name": "psp-capabilities", "namespace": "default"},
  "spec": {"module": "registry://ghcr.io/kubewarden/policies/psp-capabilities:v0.1.9",
           "policyServer": "default",
           "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                      "operations": ["CREATE", "UPDATE"]}],
           "mutating": true,
           "settings": {"allowed_capabilities": ["CHOWN"], "required_drop_capabilities": ["NET_ADMIN"]}}
})");

const json::value kClusterAdmissionPolicyGroup = J(R"j({
  "apiVersion": "policies.kubewarden.io/v1", "kind": "ClusterAdmissionPolicyGroup",
  "metadata": {"name": "demo"},
  "spec": {"policyServer": "default",
           "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                      "operations": ["CREATE", "UPDATE"]}],
           "policies": {
             "signed_by_alice": {"module": "ghcr.io/kubewarden/policies/verify-image-signatures:v0.3.0",
                                 "settings": {"modifyImagesWithDigest": false}},
             "signed_by_bob": {"module": "ghcr.io/kubewarden/policies/verify-image-signatures:v0.3.0"},
             "reject_latest_tag": {"module": "ghcr.io/kubewarden/policies/trusted-repos-policy:v0.2.0",
                                   "settings": {"tags": {"reject": ["latest"]}}, "timeoutEvalSeconds": 5}},
           "expression": "reject_latest_tag() && (signed_by_alice() || signed_by_bob())",
           "message": "the image is using the latest tag or is not signed by Alice and Bob"}
})j");

const json::value kAdmissionPolicyGroup = J(R"j({
  "apiVersion": "policies.kubewarden.io/v1", "kind": "AdmissionPolicyGroup",
  "metadata": {"name": "demo", "namespace": "team-a"},
  "spec": {"rules": [{"apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"],
                      "operations": ["CREATE"]}],
           "policies": {"a": {"module": "registry://example.com/a:v1"},
                        "b": {"module": "registry://example.com/b:v1"}},
           "expression": "a() || !b()", "message": "refused"}
})j");

// The kind argument of ValidationTest::Errors for a PolicyServer.
constexpr std::optional<PolicyKind> kPolicyServerKind;

class ValidationTest : public ::testing::Test {
 protected:
  std::vector<std::string> Errors(std::optional<PolicyKind> kind, const json::value& object,
                                  const json::value* old_object = nullptr) {
    std::vector<std::string> out;
    FieldErrors errors = kind ? ValidatePolicy(*kind, object, old_object, options_)
                              : ValidatePolicyServer(object, lookup_, options_);
    for (const FieldError& e : errors) {
      out.push_back(e.Message());
    }
    return out;
  }
  using Messages = std::vector<std::string>;

  MapObjectLookup lookup_;
  WebhookOptions options_;
};

TEST_F(ValidationTest, AcceptsUpstreamShapedObjects) {
  EXPECT_EQ(Errors(kPolicyServerKind, kPolicyServer), Messages{});
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, kClusterAdmissionPolicy), Messages{});
  EXPECT_EQ(Errors(PolicyKind::kAdmissionPolicy, kAdmissionPolicy), Messages{});
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicyGroup, kClusterAdmissionPolicyGroup), Messages{});
  EXPECT_EQ(Errors(PolicyKind::kAdmissionPolicyGroup, kAdmissionPolicyGroup), Messages{});
  // Updates that keep the policy server and do not lower the mode.
  json::value monitor = Patched(kClusterAdmissionPolicy, R"([{"op":"replace","path":"/spec/mode","value":"monitor"}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, kClusterAdmissionPolicy, &monitor), Messages{});
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, kClusterAdmissionPolicy, &kClusterAdmissionPolicy),
            Messages{});
}

TEST_F(ValidationTest, Rules) {
  auto errors = [&](std::string_view patch) {
    return Errors(PolicyKind::kClusterAdmissionPolicy, Patched(kClusterAdmissionPolicy, patch));
  };
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/rules"}])"),
            Messages{"spec.rules: Required value: a value must be specified"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules","value":[]}])"),
            Messages{"spec.rules: Required value: a value must be specified"});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/rules/0/operations"}])"),
            Messages{"spec.rules.operations: Required value: a value must be specified"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules/0/apiVersions","value":[]}])"),
            Messages{"spec.rules: Required value: apiVersions and resources must have specified values"});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/rules/0/resources"}])"),
            Messages{"spec.rules: Required value: apiVersions and resources must have specified values"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/rules/0/operations/-","value":""},
                       {"op":"add","path":"/spec/rules/0/apiVersions/-","value":""},
                       {"op":"add","path":"/spec/rules/0/resources/-","value":""}])"),
            (Messages{"spec.rules.operations: Required value: must be non-empty",
                      "spec.rules.rule.apiVersions: Required value: must be non-empty",
                      "spec.rules.rule.resources: Required value: must be non-empty"}));
  // The core group is the empty string.
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules/0/apiGroups","value":["", "*"]}])"), Messages{});
  // Cluster-wide policies may target anything.
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules/0","value":{"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"operations":["*"]}}])"),
            Messages{});
}

TEST_F(ValidationTest, NamespacedPoliciesStayInTheirLane) {
  for (const auto& [kind, base] : {std::pair{PolicyKind::kAdmissionPolicy, &kAdmissionPolicy},
                                   std::pair{PolicyKind::kAdmissionPolicyGroup, &kAdmissionPolicyGroup}}) {
    auto errors = [&](std::string_view rule) {
      return Errors(kind, Patched(*base, R"([{"op":"add","path":"/spec/rules/-","value":)" +
                                             std::string(rule) + "}]"));
    };
    const std::string wildcard = "spec.rules[1]: Forbidden: namespaced policies cannot use \"*\" for both apiGroups and resources";
    const std::string reports = "spec.rules[1]: Forbidden: namespaced policies cannot target wgpolicyk8s.io policyreports";
    EXPECT_EQ(errors(R"({"apiGroups":["*"],"apiVersions":["v1"],"resources":["*"],"operations":["CREATE"]})"),
              (Messages{wildcard, reports}));
    EXPECT_EQ(errors(R"({"apiGroups":["wgpolicyk8s.io"],"apiVersions":["v1alpha2"],"resources":["policyreports"],"operations":["CREATE"]})"),
              Messages{reports});
    EXPECT_EQ(errors(R"({"apiGroups":["*"],"apiVersions":["*"],"resources":["policyreports/status"],"operations":["UPDATE"]})"),
              Messages{reports});
    EXPECT_EQ(errors(R"({"apiGroups":["wgpolicyk8s.io"],"apiVersions":["*"],"resources":["*/status"],"operations":["UPDATE"]})"),
              Messages{reports});
    EXPECT_EQ(errors(R"({"apiGroups":["wgpolicyk8s.io"],"apiVersions":["*"],"resources":["clusterpolicyreports"],"operations":["UPDATE"]})"),
              Messages{});
    EXPECT_EQ(errors(R"({"apiGroups":["*"],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"]})"),
              Messages{});
    EXPECT_EQ(errors(R"({"apiGroups":["apps"],"apiVersions":["v1"],"resources":["*"],"operations":["CREATE"]})"),
              Messages{});
  }
}

TEST_F(ValidationTest, MatchConditions) {
  auto errors = [&](std::string_view conditions) {
    return Errors(PolicyKind::kClusterAdmissionPolicy,
                  Patched(kClusterAdmissionPolicy,
                          R"([{"op":"add","path":"/spec/matchConditions","value":)" + std::string(conditions) + "}]"));
  };
  EXPECT_EQ(errors(R"j([{"name":"exclude-leases","expression":"!(request.resource.group == 'coordination.k8s.io')"},
                       {"name":"example.com/Name.2","expression":"true"}])j"),
            Messages{});
  EXPECT_EQ(errors(R"([{"name":"a","expression":"true"},{"name":"a","expression":"false"}])"),
            Messages{"spec.matchConditions[1].name: Duplicate value: \"a\""});
  EXPECT_EQ(errors(R"([{"expression":"  "}])"),
            (Messages{"spec.matchConditions[0].expression: Required value",
                      "spec.matchConditions[0].name: Required value"}));
  const std::string name_part =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
      "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  EXPECT_EQ(errors(R"([{"name":"-bad","expression":"true"}])"),
            Messages{"spec.matchConditions[0].name: Invalid value: \"-bad\": " + name_part});
  EXPECT_EQ(errors(R"([{"name":"Bad_Prefix/x","expression":"true"}])"),
            Messages{"spec.matchConditions[0].name: Invalid value: \"Bad_Prefix/x\": prefix part a lowercase RFC 1123 "
                     "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
                     "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"});
  EXPECT_EQ(errors(R"([{"name":"/x","expression":"true"}])"),
            Messages{"spec.matchConditions[0].name: Invalid value: \"/x\": prefix part must be non-empty"});
  EXPECT_EQ(errors(R"([{"name":")" + std::string(64, 'a') + R"(","expression":"true"}])"),
            Messages{"spec.matchConditions[0].name: Invalid value: \"" + std::string(64, 'a') +
                     "\": name part must be no more than 63 characters"});
  EXPECT_EQ(errors(R"([{"name":"a/b/c","expression":"true"}])"),
            Messages{"spec.matchConditions[0].name: Invalid value: \"a/b/c\": a qualified name must consist of "
                     "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                     "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                     "(e.g. 'example.com/MyName')"});
  std::string many = "[";
  for (int i = 0; i < 65; ++i) many += (i ? "," : "") + std::string(R"({"name":"c)") + std::to_string(i) + R"(","expression":"true"})";
  EXPECT_EQ(errors(many + "]"), Messages{"spec.matchConditions: Too many: 65: must have at most 64 items"});
}

TEST_F(ValidationTest, MatchConditionExpressionsGoThroughTheCelHook) {
  options_.compile_match_condition = [](std::string_view expression) -> std::optional<std::string> {
    if (expression == "true") return std::nullopt;
    return "compilation failed: ERROR: <input>:1:1: undeclared reference";
  };
  json::value policy = Patched(kClusterAdmissionPolicy, R"([{"op":"add","path":"/spec/matchConditions","value":
      [{"name":"ok","expression":"true"},{"name":"bad","expression":"nope"}]}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, policy),
            Messages{"spec.matchConditions[1].expression: Invalid value: \"nope\": compilation failed: ERROR: "
                     "<input>:1:1: undeclared reference"});
}

TEST_F(ValidationTest, Timeouts) {
  auto errors = [&](std::string_view patch) {
    return Errors(PolicyKind::kClusterAdmissionPolicy, Patched(kClusterAdmissionPolicy, patch));
  };
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/timeoutSeconds","value":31}])"),
            Messages{"spec.timeoutSeconds: Invalid value: 31: spec.timeoutSeconds in body should be less than or equal to 30"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/timeoutSeconds","value":1}])"),
            Messages{"spec.timeoutSeconds: Invalid value: 1: spec.timeoutSeconds in body should be greater than or equal to 2"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutEvalSeconds","value":10}])"), Messages{});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutEvalSeconds","value":11}])"),
            Messages{"spec.timeoutEvalSeconds: Invalid value: 11: must be less than or equal to spec.timeoutSeconds (10)"});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/timeoutSeconds"},{"op":"add","path":"/spec/timeoutEvalSeconds","value":12}])"),
            Messages{"spec.timeoutEvalSeconds: Invalid value: 12: must be less than or equal to spec.timeoutSeconds (10)"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/timeoutSeconds","value":30},{"op":"add","path":"/spec/timeoutEvalSeconds","value":30}])"),
            Messages{});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutEvalSeconds","value":1}])"),
            Messages{"spec.timeoutEvalSeconds: Invalid value: 1: spec.timeoutEvalSeconds in body should be greater than or equal to 2"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutEvalSeconds","value":"5"}])"),
            Messages{"spec.timeoutEvalSeconds: Invalid value: \"string\": spec.timeoutEvalSeconds in body must be of type integer: \"string\""});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutEvalSeconds","value":2.5}])"),
            Messages{"spec.timeoutEvalSeconds: Invalid value: \"number\": spec.timeoutEvalSeconds in body must be of type integer: \"number\""});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutEvalSeconds","value":18446744073709551615}])"),
            Messages{"spec.timeoutEvalSeconds: Invalid value: 18446744073709551615: spec.timeoutEvalSeconds in body should be less than or equal to 30"});
}

TEST_F(ValidationTest, Updates) {
  json::value other_server = Patched(kClusterAdmissionPolicy, R"([{"op":"replace","path":"/spec/policyServer","value":"other"}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, other_server, &kClusterAdmissionPolicy),
            Messages{"spec.policyServer: Forbidden: the field is immutable"});
  json::value monitor = Patched(kClusterAdmissionPolicy, R"([{"op":"replace","path":"/spec/mode","value":"monitor"}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, monitor, &kClusterAdmissionPolicy),
            Messages{"spec.mode: Forbidden: field cannot transition from protect to monitor. Recreate instead."});
  // An unset mode is protect.
  json::value unset = Patched(kClusterAdmissionPolicy, R"([{"op":"remove","path":"/spec/mode"}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, monitor, &unset),
            Messages{"spec.mode: Forbidden: field cannot transition from protect to monitor. Recreate instead."});
  // Groups too, and both problems at once.
  json::value group = Patched(kClusterAdmissionPolicyGroup, R"([{"op":"replace","path":"/spec/policyServer","value":"x"},
                                                                {"op":"add","path":"/spec/mode","value":"monitor"}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicyGroup, group, &kClusterAdmissionPolicyGroup),
            (Messages{"spec.policyServer: Forbidden: the field is immutable",
                      "spec.mode: Forbidden: field cannot transition from protect to monitor. Recreate instead."}));
  // The mode is checked as sent.
  json::value bad_mode = Patched(kClusterAdmissionPolicy, R"([{"op":"replace","path":"/spec/mode","value":"audit"}])");
  EXPECT_EQ(Errors(PolicyKind::kClusterAdmissionPolicy, bad_mode),
            Messages{"spec.mode: Unsupported value: \"audit\": supported values: \"protect\", \"monitor\""});
}

TEST_F(ValidationTest, GroupMembersAndExpression) {
  auto errors = [&](std::string_view patch) {
    return Errors(PolicyKind::kClusterAdmissionPolicyGroup, Patched(kClusterAdmissionPolicyGroup, patch));
  };
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/policies","value":{}}])"),
            Messages{"spec.policies: Required value: a policy group must have at least one policy"});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/policies"}])"),
            Messages{"spec.policies: Required value: a policy group must have at least one policy"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/policies/is-dev","value":{"module":"m"}}])"),
            Messages{"spec.policies[is-dev]: Invalid value: \"is-dev\": policy name must be a valid CEL identifier "
                     "(regex used for validation is '^[_a-zA-Z][_a-zA-Z0-9]*$')"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/policies/9a","value":{"module":"m"}}])").size(), 1u);
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/policies/namespace","value":{"module":"m"}}])"),
            Messages{"spec.policies[namespace]: Invalid value: \"namespace\": policy name must not be a CEL reserved keyword"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/policies/_x1","value":{"module":"m"}}])"), Messages{});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/policies/signed_by_bob/module"}])"),
            Messages{"spec.policies[signed_by_bob].module: Required value"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/policies/signed_by_bob/timeoutEvalSeconds","value":11}])"),
            Messages{"spec.policies[signed_by_bob].timeoutEvalSeconds: Invalid value: 11: must be less than or equal to "
                     "spec.timeoutSeconds (10)"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/policies/signed_by_bob/timeoutEvalSeconds","value":31}])"),
            Messages{"spec.policies[signed_by_bob].timeoutEvalSeconds: Invalid value: 31: "
                     "spec.policies[signed_by_bob].timeoutEvalSeconds in body should be less than or equal to 30"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/timeoutSeconds","value":4}])"),
            Messages{"spec.policies[reject_latest_tag].timeoutEvalSeconds: Invalid value: 5: must be less than or "
                     "equal to spec.timeoutSeconds (4)"});

  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/expression","value":""}])"),
            Messages{"spec.expression: Required value: must be non-empty"});
  EXPECT_EQ(errors(R"j([{"op":"replace","path":"/spec/expression","value":"unknown() || signed_by_bob()"}])j"),
            Messages{"spec.expression: Invalid value: \"unknown() || signed_by_bob()\": ERROR: <input>:1:8: "
                     "undeclared reference to 'unknown' (in container '')\n | unknown() || signed_by_bob()\n"
                     " | .......^"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/expression","value":"signed_by_bob() + 1"}])"),
            Messages{"spec.expression: Invalid value: \"signed_by_bob() + 1\": ERROR: <input>:1:17: found no "
                     "matching overload for '_+_' applied to '(bool, int)'\n | signed_by_bob() + 1\n"
                     " | ................^"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/expression","value":"signed_by_bob() == 1"}])"),
            Messages{"spec.expression: Invalid value: \"signed_by_bob() == 1\": ERROR: <input>:1:17: found no "
                     "matching overload for '_==_' applied to '(bool, int)'\n | signed_by_bob() == 1\n"
                     " | ................^"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/expression","value":"signed_by_bob() ? true : false"}])").size(), 1u);
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/expression","value":"signed_by_bob"}])").size(), 1u);
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/expression","value":"!(signed_by_bob() != false) == true"}])"),
            Messages{});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec/message"}])"),
            Messages{"spec.message: Required value: must be non-empty"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/message","value":""}])"),
            Messages{"spec.message: Required value: must be non-empty"});
}

TEST_F(ValidationTest, WrongTypesAreFieldErrors) {
  auto errors = [&](std::string_view patch) {
    return Errors(PolicyKind::kClusterAdmissionPolicy, Patched(kClusterAdmissionPolicy, patch));
  };
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules","value":"pods"}])"),
            Messages{"spec.rules: Invalid value: \"string\": spec.rules in body must be of type array: \"string\""});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules/0","value":7}])"),
            Messages{"spec.rules[0]: Invalid value: \"integer\": spec.rules[0] in body must be of type object: \"integer\""});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/rules/0/resources/0","value":{}}])"),
            (Messages{"spec.rules[0].resources[0]: Invalid value: \"object\": spec.rules[0].resources[0] in body must "
                      "be of type string: \"object\"",
                      "spec.rules: Required value: apiVersions and resources must have specified values"}));
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec","value":[]}])"),
            Messages{"spec: Invalid value: \"array\": spec in body must be of type object: \"array\""});
  EXPECT_EQ(errors(R"([{"op":"remove","path":"/spec"}])"), Messages{"spec: Required value"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/metadata","value":{"name":5}}])"),
            Messages{"metadata.name: Invalid value: \"integer\": metadata.name in body must be of type string: \"integer\""});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/module","value":""}])"), Messages{"spec.module: Required value"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/policyServer","value":false}])"),
            Messages{"spec.policyServer: Invalid value: \"boolean\": spec.policyServer in body must be of type string: \"boolean\""});
  EXPECT_EQ(Errors(kPolicyServerKind, json::value(json::array())),
            Messages{"object: Invalid value: \"array\": object in body must be of type object: \"array\""});
  EXPECT_EQ(Errors(PolicyKind::kAdmissionPolicyGroup,
                   Patched(kAdmissionPolicyGroup, R"([{"op":"replace","path":"/spec/policies/a","value":"x"}])")),
            Messages{"spec.policies[a]: Invalid value: \"string\": spec.policies[a] in body must be of type object: \"string\""});
}

TEST_F(ValidationTest, PolicyServerFields) {
  auto errors = [&](std::string_view patch) {
    return Errors(kPolicyServerKind, Patched(kPolicyServer, patch));
  };
  const std::string long_name(64, 'p');
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/metadata/name","value":")" + long_name + R"("}])"),
            Messages{"metadata.name: Invalid value: \"" + long_name +
                     "\": the PolicyServer name cannot be longer than 63 characters"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/metadata/name","value":")" + std::string(63, 'p') + R"("}])"), Messages{});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/minAvailable","value":1},{"op":"add","path":"/spec/maxUnavailable","value":"50%"}])"),
            Messages{"spec: Invalid value: \"minAvailable: 1, maxUnavailable: 50%\": minAvailable and maxUnavailable cannot be both set"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/minAvailable","value":1}])"), Messages{});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/maxUnavailable","value":"50%"}])"), Messages{});

  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/requests/cpu","value":"1001m"}])"),
            Messages{"spec.requests.cpu: Invalid value: \"1001m\": must be less than or equal to cpu limit of 1"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/requests/memory","value":"1Gi"}])"), Messages{});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/requests/memory","value":1073741825}])"),
            Messages{"spec.requests.memory: Invalid value: \"1073741825\": must be less than or equal to memory limit of 1Gi"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/limits/cpu","value":"-1"},{"op":"replace","path":"/spec/requests/cpu","value":"-2"}])"),
            (Messages{"spec.limits.cpu: Invalid value: \"-1\": must be greater than or equal to 0",
                      "spec.requests.cpu: Invalid value: \"-2\": must be greater than or equal to 0"}));
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/limits/cpu","value":"lots"}])"),
            Messages{"spec.limits.cpu: Invalid value: \"lots\": quantities must match the regular expression "
                     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"});
  EXPECT_EQ(errors(R"([{"op":"replace","path":"/spec/limits/cpu","value":[1]}])"),
            Messages{"spec.limits.cpu: Invalid value: \"array\": spec.limits.cpu in body must be of type string: \"array\""});
  // A request without its limit is not compared.
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/requests/ephemeral-storage","value":"1Ti"}])"), Messages{});

  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/webhookPort","value":8081}])"),
            Messages{"spec.webhookPort: Invalid value: 8081: must be different from spec.readinessProbePort"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/readinessProbePort","value":8443}])"),
            Messages{"spec.webhookPort: Invalid value: 8443: must be different from spec.readinessProbePort"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/webhookPort","value":9443},{"op":"add","path":"/spec/readinessProbePort","value":8443}])"),
            Messages{});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/webhookPort","value":65536}])"),
            Messages{"spec.webhookPort: Invalid value: 65536: spec.webhookPort in body should be less than or equal to 65535"});
  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/webhookPort","value":0}])"),
            Messages{"spec.webhookPort: Invalid value: 0: spec.webhookPort in body should be greater than or equal to 1"});

  EXPECT_EQ(errors(R"([{"op":"add","path":"/spec/namespacedPoliciesCapabilities","value":["oci/*","kubernetes/list_resources_by_namespace","*"]}])"),
            Messages{});
  auto capability_errors = errors(R"([{"op":"add","path":"/spec/namespacedPoliciesCapabilities","value":["oci/*","nope/x",3,""]}])");
  ASSERT_EQ(capability_errors.size(), 3u);
  EXPECT_EQ(capability_errors[0],
            "spec.namespacedPoliciesCapabilities[2]: Invalid value: \"integer\": spec.namespacedPoliciesCapabilities[2] in "
            "body must be of type string: \"integer\"");
  EXPECT_EQ(capability_errors[1], "spec.namespacedPoliciesCapabilities[1]: Invalid value: \"nope/x\": unknown capability");
  EXPECT_EQ(capability_errors[2], "spec.namespacedPoliciesCapabilities[3]: Invalid value: \"\": it is blank");
}

TEST_F(ValidationTest, PolicyServerReferencedObjects) {
  options_.deployments_namespace = "kw";
  json::value with_secret = Patched(kPolicyServer, R"([{"op":"add","path":"/spec/imagePullSecret","value":"regcred"}])");
  EXPECT_EQ(Errors(kPolicyServerKind, with_secret),
            Messages{"spec.imagePullSecret: Invalid value: \"regcred\": cannot get spec.ImagePullSecret\nsecrets \"regcred\" not found"});
  // In another namespace than the deployments one: still missing.
  lookup_.Add("v1", "Secret", "default", "regcred", J(R"({"type":"kubernetes.io/dockerconfigjson"})"));
  EXPECT_EQ(Errors(kPolicyServerKind, with_secret).size(), 1u);
  lookup_.Add("v1", "Secret", "kw", "regcred", J(R"({"type":"Opaque"})"));
  EXPECT_EQ(Errors(kPolicyServerKind, with_secret),
            Messages{"spec.imagePullSecret: Invalid value: \"regcred\": spec.ImagePullSecret secret \"regcred\" is not of "
                     "type kubernetes.io/dockerconfigjson"});
  lookup_.Add("v1", "Secret", "kw", "regcred", J(R"({"type":"kubernetes.io/dockerconfigjson"})"));
  EXPECT_EQ(Errors(kPolicyServerKind, with_secret), Messages{});

  json::value with_trust = Patched(kPolicyServer, R"([{"op":"add","path":"/spec/sigstoreTrustConfig","value":"trust"}])");
  EXPECT_EQ(Errors(kPolicyServerKind, with_trust),
            Messages{"spec.sigstoreTrustConfig: Invalid value: \"trust\": cannot get spec.sigstoreTrustConfig\nconfigmaps \"trust\" not found"});
  lookup_.Add("v1", "ConfigMap", "kw", "trust", J(R"({"data":{"sigstore-trust-config":"{}"}})"));
  EXPECT_EQ(Errors(kPolicyServerKind, with_trust), Messages{});

  lookup_.FailWith(Error(ErrorKind::kIo, "connection refused"));
  EXPECT_EQ(Errors(kPolicyServerKind, with_secret),
            Messages{"spec.imagePullSecret: Invalid value: \"regcred\": cannot get spec.ImagePullSecret\nconnection refused"});
}

}  // namespace
}  // namespace kw::crd
