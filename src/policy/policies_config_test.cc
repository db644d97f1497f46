#include "policy/policies_config.h"

#include <gtest/gtest.h>

namespace kw::policy {
namespace {

TEST(PoliciesConfig, ReadsPoliciesAndGroupsWithEveryField) {
  auto config = ParsePoliciesConfig(R"yaml(
pod-privileged:
  module: registry://ghcr.io/kubewarden/policies/pod-privileged:v0.2.5
  namespacedName: {Namespace: "", Name: pod-privileged}
  policyMode: monitor
  allowedToMutate: true
  settings:
    skip_init_containers: true
  contextAwareResources:
    - {apiVersion: v1, kind: Namespace}
  timeoutEvalSeconds: 3
  hostCapabilities: ["oci/*"]
  message: custom rejection
plain:
  module: file:///tmp/plain.wasm
  settings: null
signed-and-trusted:
  policyMode: protect
  expression: "signed() && trusted()"
  message: the image must be signed and come from a trusted registry
  policies:
    signed:
      module: ghcr.io/kubewarden/policies/verify-image-signatures:v1
      settings: {modifyImagesWithDigest: false}
      timeoutEvalSeconds: 5
    trusted:
      module: ghcr.io/kubewarden/policies/trusted-repos:v1
)yaml",
                                    "policies.yml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->definitions.size(), 3u);
  EXPECT_TRUE(config->warnings.empty());  // namespacedName is the controller's

  EXPECT_EQ(config->definitions[0].id, "pod-privileged");
  const auto& p = std::get<PolicyEntry>(config->definitions[0].entry);
  EXPECT_EQ(p.module.module, "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.2.5");
  EXPECT_EQ(p.mode, PolicyMode::kMonitor);
  EXPECT_TRUE(p.allowed_to_mutate);
  EXPECT_EQ(p.module.settings, json::object({{"skip_init_containers", true}}));
  ASSERT_EQ(p.module.context_aware_resources.size(), 1u);
  EXPECT_EQ(p.module.context_aware_resources[0].kind, "Namespace");
  EXPECT_EQ(p.module.timeout_eval_seconds, 3u);
  EXPECT_EQ(p.module.host_capabilities, std::vector<std::string>{"oci/*"});
  EXPECT_EQ(p.message, "custom rejection");

  const auto& plain = std::get<PolicyEntry>(config->definitions[1].entry);
  EXPECT_EQ(plain.mode, PolicyMode::kProtect);
  EXPECT_FALSE(plain.allowed_to_mutate);
  EXPECT_EQ(plain.module.settings, json::object());
  EXPECT_TRUE(plain.module.host_capabilities.empty());  // absent = deny all

  const auto& g = std::get<GroupEntry>(config->definitions[2].entry);
  EXPECT_EQ(g.expression, "signed() && trusted()");
  EXPECT_EQ(g.message, "the image must be signed and come from a trusted registry");
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members.at("signed").timeout_eval_seconds, 5u);
  EXPECT_EQ(g.members.at("trusted").module, "ghcr.io/kubewarden/policies/trusted-repos:v1");
}

TEST(PoliciesConfig, AcceptsTheControllersJson) {
  auto config = ParsePoliciesConfig(
      R"({"clusterwide-psp":{"namespacedName":{"Namespace":"","Name":"psp"},"module":"registry://r/p:v1","policyMode":"protect","allowedToMutate":false,"settings":{},"hostCapabilities":["*"]}})",
      "/config/policies.yml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(std::get<PolicyEntry>(config->definitions[0].entry).module.host_capabilities,
            std::vector<std::string>{"*"});
}

TEST(PoliciesConfig, ErrorsNameTheFileThePolicyAndTheField) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {"p:\n  settings: {}\n", "policies.yml: policy 'p': missing field 'module'"},
           {"p:\n  module: 42\n", "policies.yml: policy 'p': field 'module' must be a string, got a number"},
           {"p:\n  module: m\n  policyMode: audit\n",
            "policies.yml: policy 'p': field 'policyMode': unknown value 'audit', expected one of: "
            "protect, monitor"},
           {"p:\n  module: m\n  settings: [1]\n",
            "policies.yml: policy 'p': field 'settings' must be an object, got a list"},
           {"p:\n  module: m\n  allowedToMutate: maybe\n",
            "policies.yml: policy 'p': field 'allowedToMutate' must be a boolean, got a string"},
           {"p:\n  module: m\n  timeoutEvalSeconds: -1\n",
            "policies.yml: policy 'p': field 'timeoutEvalSeconds' must be a non-negative integer"},
           {"p:\n  module: m\n  contextAwareResources: [{kind: Pod}]\n",
            "policies.yml: policy 'p': missing field 'contextAwareResources[0].apiVersion'"},
           {"a/b:\n  module: m\n", "policies.yml: policy 'a/b': policy ids must not contain '/'"},
           {"g:\n  expression: a()\n  policies: {a: {module: m}}\n",
            "policies.yml: policy 'g': missing field 'message'"},
           {"g:\n  expression: a()\n  message: no\n  policies:\n    - name: a\n      module: m\n",
            "policies.yml: policy 'g': field 'policies' must be a map of member name to policy, got a list"},
           {"g:\n  expression: a()\n  message: no\n  policies: {a: {module: m, policyMode: monitor}}\n",
            "policies.yml: policy 'g': member 'a': unknown field 'policyMode' (members take "
            "module, settings, contextAwareResources, timeoutEvalSeconds, hostCapabilities)"},
           {"g:\n  expression: a()\n  message: no\n  policies: {a/b: {module: m}}\n",
            "policies.yml: policy 'g': member 'a/b': member names must not contain '/'"},
           {"- module: m\n", "policies.yml: must be a map of policy id to policy, got a list"},
           {"p: [oops\n", "policies.yml: "},
       }) {
    auto r = ParsePoliciesConfig(c.yaml, "policies.yml");
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(r.error().message.starts_with(c.message)) << r.error().message;
  }
}

TEST(PoliciesConfig, EmptyFileHasNoPoliciesAndAWarning) {
  for (std::string_view text : {"", "# nothing yet\n", "{}"}) {
    auto r = ParsePoliciesConfig(text, "policies.yml");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->definitions.empty());
    EXPECT_EQ(r->warnings, std::vector<std::string>{
                               "policies.yml defines no policies: the server starts with nothing "
                               "to evaluate"});
  }
}

TEST(PoliciesConfig, UnknownKeysOfPoliciesAndGroupsAreIgnoredWithAWarning) {
  auto r = ParsePoliciesConfig(R"yaml(
psp:
  module: m
  policyMod: monitor
  setings: {a: 1}
g:
  expression: a()
  message: no
  policyMod: monitor
  namespacedName: {Namespace: "", Name: g}
  policies: {a: {module: m}}
)yaml",
                               "policies.yml");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->definitions.size(), 2u);
  EXPECT_EQ(std::get<PolicyEntry>(r->definitions[0].entry).mode, PolicyMode::kProtect);
  EXPECT_EQ(r->warnings,
            (std::vector<std::string>{
                "policies.yml: policy 'psp': unknown field 'policyMod' is ignored (a policy takes "
                "module, policyMode, allowedToMutate, settings, contextAwareResources, message, "
                "timeoutEvalSeconds, hostCapabilities)",
                "policies.yml: policy 'psp': unknown field 'setings' is ignored (a policy takes "
                "module, policyMode, allowedToMutate, settings, contextAwareResources, message, "
                "timeoutEvalSeconds, hostCapabilities)",
                "policies.yml: policy 'g': unknown field 'policyMod' is ignored (a policy group "
                "takes policyMode, expression, message, policies)"}));
}

// --- Policy resources (kwctl run's YAML) -------------------------------------------------------

TEST(PolicyResources, ReadEveryKindIntoTheSameModel) {
  auto config = ParsePolicyResources(R"yaml(
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: privileged}
spec:
  module: registry://ghcr.io/kubewarden/policies/pod-privileged:v0.2.5
  mode: monitor
  mutating: true
  message: custom rejection
  timeoutEvalSeconds: 3
  settings: {skip_init_containers: true}
  contextAwareResources: [{apiVersion: v1, kind: Namespace}]
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  backgroundAudit: true
  policyServer: default
---
apiVersion: policies.kubewarden.io/v1
kind: AdmissionPolicy
metadata: {name: namespaced, namespace: team}
spec:
  module: file:///tmp/policy.wasm
  settings: null
  mutating: false
---
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicyGroup
metadata: {name: signed-and-trusted}
spec:
  expression: "signed() && trusted()"
  message: the image must be signed and trusted
  rules: []
  policies:
    signed:
      module: ghcr.io/kubewarden/policies/verify-image-signatures:v1
      settings: {modifyImagesWithDigest: false}
      contextAwareResources: [{apiVersion: v1, kind: Pod}]
    trusted: {module: ghcr.io/kubewarden/policies/trusted-repos:v1, timeoutEvalSeconds: 5}
)yaml",
                                     "policies.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();
  ASSERT_EQ(config->definitions.size(), 3u);

  EXPECT_EQ(config->definitions[0].id, "privileged");
  const auto& p = std::get<PolicyEntry>(config->definitions[0].entry);
  EXPECT_EQ(p.mode, PolicyMode::kMonitor);
  EXPECT_TRUE(p.allowed_to_mutate);
  EXPECT_EQ(p.message, "custom rejection");
  EXPECT_EQ(p.module.timeout_eval_seconds, 3u);
  EXPECT_EQ(p.module.settings, json::object({{"skip_init_containers", true}}));
  ASSERT_EQ(p.module.context_aware_resources.size(), 1u);

  const auto& namespaced = std::get<PolicyEntry>(config->definitions[1].entry);
  EXPECT_EQ(namespaced.mode, PolicyMode::kProtect);
  EXPECT_FALSE(namespaced.allowed_to_mutate);
  EXPECT_EQ(namespaced.module.settings, json::object());

  const auto& g = std::get<GroupEntry>(config->definitions[2].entry);
  EXPECT_EQ(g.expression, "signed() && trusted()");
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members.at("signed").context_aware_resources.size(), 1u);
  EXPECT_EQ(g.members.at("trusted").timeout_eval_seconds, 5u);
}

TEST(PolicyResources, NamespacedPoliciesGetNoContextAccess) {
  auto config = ParsePolicyResources(R"yaml(
apiVersion: policies.kubewarden.io/v1
kind: AdmissionPolicy
metadata: {name: p}
spec:
  module: policy.wasm
  contextAwareResources: [{apiVersion: v1, kind: Namespace}]
)yaml",
                                     "p.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(std::get<PolicyEntry>(config->definitions[0].entry).module.context_aware_resources.empty());
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_TRUE(config->warnings[0].starts_with(
      "p.yaml: AdmissionPolicy 'p': unknown field 'contextAwareResources' is ignored"))
      << config->warnings[0];
}

TEST(PolicyResources, TyposAreWarnedAbout) {
  auto config = ParsePolicyResources(R"yaml(
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicyGroup
metadata: {name: g}
spec:
  expresion: "a()"
  expression: "a()"
  message: no
  policies:
    a: {module: a.wasm, setings: {x: 1}}
)yaml",
                                     "g.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 2u);
  EXPECT_TRUE(config->warnings[0].starts_with(
      "g.yaml: ClusterAdmissionPolicyGroup 'g': unknown field 'expresion' is ignored"))
      << config->warnings[0];
  EXPECT_TRUE(config->warnings[1].starts_with(
      "g.yaml: ClusterAdmissionPolicyGroup 'g': member 'a': unknown field 'setings' is ignored"))
      << config->warnings[1];
}

TEST(PolicyResources, ErrorsNameTheFileTheResourceAndTheField) {
  const auto error = [](const std::string& text) {
    auto config = ParsePolicyResources(text, "r.yaml");
    return config ? std::string("(parsed)") : config.error().message;
  };
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1alpha2\nkind: AdmissionPolicy\n"),
            "r.yaml: document 1: unsupported apiVersion 'policies.kubewarden.io/v1alpha2', "
            "expected 'policies.kubewarden.io/v1'");
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1\nkind: PolicyServer\n"),
            "r.yaml: document 1: unsupported kind 'PolicyServer', expected one of: "
            "AdmissionPolicy, ClusterAdmissionPolicy, AdmissionPolicyGroup, "
            "ClusterAdmissionPolicyGroup");
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\n"
                  "metadata: {name: p}\n"),
            "r.yaml: AdmissionPolicy 'p': field 'spec' must be an object, got none");
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\n"
                  "metadata: {name: p}\nspec: {module: a.wasm, mode: audit}\n"),
            "r.yaml: AdmissionPolicy 'p': field 'mode': unknown value 'audit', expected one of: "
            "protect, monitor");
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\n"
                  "spec: {settings: {}}\n"),
            "r.yaml: AdmissionPolicy 'crd-without-name': missing field 'module'");
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\n"
                  "metadata: {name: p}\nspec: {module: a.wasm, settings: [1]}\n"),
            "r.yaml: AdmissionPolicy 'p': field 'settings' must be an object, got a list");
  EXPECT_EQ(error("apiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicyGroup\n"
                  "metadata: {name: g}\nspec: {expression: 'a()', message: no, policies: {}}\n"),
            "r.yaml: AdmissionPolicyGroup 'g': field 'policies' must not be empty");
  EXPECT_EQ(error("---\n---\n"), "r.yaml holds no policy resource");
}

}  // namespace
}  // namespace kw::policy
