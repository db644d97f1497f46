#include "kwctl/scaffold.h"

#include <gtest/gtest.h>

#include "base/yaml.h"
#include "policy/annotate.h"

namespace kw::kwctl {
namespace {

policy::Metadata MetadataOf(std::string_view yaml) {
  auto metadata = policy::MetadataFromYaml(yaml);
  EXPECT_TRUE(metadata) << metadata.error().message;
  return metadata ? *metadata : policy::Metadata();
}

// What `kwctl annotate` adds to a metadata.yml; the manifest needs validated metadata.
policy::Metadata Annotated(std::string_view yaml) {
  policy::Metadata metadata = MetadataOf(yaml);
  metadata.protocol_version = policy::ProtocolVersion::kV1;
  return metadata;
}

constexpr std::string_view kPodPrivileged = R"(rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE", "UPDATE"]
mutating: false
annotations:
  io.artifacthub.displayName: Pod Privileged Policy
  io.artifacthub.resources: Pod
  io.artifacthub.keywords: psp, container , privileged
  io.kubewarden.policy.ociUrl: ghcr.io/kubewarden/policies/pod-privileged
  io.kubewarden.policy.title: pod-privileged
  io.kubewarden.policy.version: 1.0.13
  io.kubewarden.policy.description: Limit the ability to create privileged containers
  io.kubewarden.policy.author: Kubewarden developers <cncf-kubewarden-maintainers@lists.cncf.io>
  io.kubewarden.policy.url: https://github.com/kubewarden/policies
  io.kubewarden.policy.source: https://github.com/kubewarden/pod-privileged-policy
  io.kubewarden.policy.license: Apache-2.0
  io.kubewarden.policy.category: PSP
  io.kubewarden.policy.severity: medium
)";

constexpr std::string_view kContextAware = R"(rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["namespaces"]
    operations: ["CREATE"]
mutating: true
backgroundAudit: false
contextAwareResources:
  - apiVersion: v1
    kind: Pod
  - apiVersion: apps/v1
    kind: Deployment
annotations:
  io.kubewarden.policy.title: propagator
)";

std::chrono::system_clock::time_point CreatedAt() {
  return std::chrono::sys_days(std::chrono::year(2024) / 5 / 1) + std::chrono::hours(10) +
         std::chrono::milliseconds(250);
}

TEST(ScaffoldVerificationConfig, IsUpstreamsHeaderAndGithubActionConfig) {
  EXPECT_EQ(ScaffoldVerificationConfigText("/home/u/.config/kubewarden/verification-config.yml"),
            "# Default Kubewarden verification config\n"
            "#\n"
            "# With this config, the only valid policies are those signed by Kubewarden\n"
            "# infrastructure.\n"
            "#\n"
            "# This config can be saved to its default location (for this OS) with:\n"
            "#   kwctl scaffold verification-config > "
            "/home/u/.config/kubewarden/verification-config.yml\n"
            "#\n"
            "# Providing a config in the default location enables Sigstore verification.\n"
            "# See https://docs.kubewarden.io for more Sigstore verification options.\n"
            "apiVersion: v1\n"
            "allOf:\n"
            "- kind: githubAction\n"
            "  owner: kubewarden\n"
            "  repo: null\n"
            "  annotations: null\n"
            "anyOf: null\n");
}

TEST(ScaffoldManifest, ParsesTheTwoTypes) {
  EXPECT_EQ(ParseManifestType("ClusterAdmissionPolicy"), ManifestType::kClusterAdmissionPolicy);
  EXPECT_EQ(ParseManifestType("AdmissionPolicy"), ManifestType::kAdmissionPolicy);
  auto bad = ParseManifestType("PolicyServer");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(bad.error().message,
            "unknown manifest type 'PolicyServer': expected ClusterAdmissionPolicy or "
            "AdmissionPolicy");
}

TEST(ScaffoldManifest, SettingsAreAMappingOfYamlOrJson) {
  EXPECT_EQ(*ParseManifestSettings(std::nullopt, "none"), json::object());
  EXPECT_EQ(*ParseManifestSettings("", "empty"), json::object());
  EXPECT_EQ(*ParseManifestSettings("~", "null"), json::object());
  EXPECT_EQ(*ParseManifestSettings("a: 1\nb: [x]\n", "yaml"),
            json::parse(R"({"a":1,"b":["x"]})"));
  EXPECT_EQ(*ParseManifestSettings(R"({"allowed": ["x", "y"]})", "json"),
            json::parse(R"({"allowed":["x","y"]})"));

  auto list = ParseManifestSettings("[1, 2]", "s.yml");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message, "invalid settings (s.yml): not a mapping of settings");
  auto broken = ParseManifestSettings(R"({"a": )", "--settings-json");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(broken.error().message.starts_with("invalid settings (--settings-json)"))
      << broken.error().message;
}

TEST(ScaffoldManifest, ResourceNamesAreLowercaseHostnames) {
  EXPECT_TRUE(IsValidResourceName("pod-privileged"));
  EXPECT_TRUE(IsValidResourceName("a"));
  EXPECT_TRUE(IsValidResourceName("psp.v1-2"));
  EXPECT_TRUE(IsValidResourceName(std::string(63, 'a') + "." + std::string(63, 'b')));
  EXPECT_FALSE(IsValidResourceName(""));
  EXPECT_FALSE(IsValidResourceName("Pod-Privileged"));
  EXPECT_FALSE(IsValidResourceName("pod_privileged"));
  EXPECT_FALSE(IsValidResourceName("pod privileged"));
  EXPECT_FALSE(IsValidResourceName("-pod"));
  EXPECT_FALSE(IsValidResourceName("pod-"));
  EXPECT_FALSE(IsValidResourceName("a..b"));
  EXPECT_FALSE(IsValidResourceName("a."));
  // As the API server's IsDNS1123Subdomain: only the whole name is limited (253), not a label.
  EXPECT_TRUE(IsValidResourceName(std::string(64, 'a')));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  long_name.pop_back();  // 255 characters
  EXPECT_FALSE(IsValidResourceName(long_name));
}

TEST(ScaffoldManifest, ClusterAdmissionPolicyHasUpstreamsShape) {
  ManifestRequest request;
  request.module_uri = "file:///tmp/policy.wasm";
  request.metadata = Annotated(kPodPrivileged);
  auto manifest = BuildPolicyManifest(request);
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_TRUE(manifest->warnings.empty());
  // Only severity and category are copied; backgroundAudit true is the CRD default, left out.
  EXPECT_EQ(JsonToYaml(manifest->resource),
            "apiVersion: policies.kubewarden.io/v1\n"
            "kind: ClusterAdmissionPolicy\n"
            "metadata:\n"
            "  annotations:\n"
            "    io.kubewarden.policy.category: PSP\n"
            "    io.kubewarden.policy.severity: medium\n"
            "  name: pod-privileged\n"
            "spec:\n"
            "  module: file:///tmp/policy.wasm\n"
            "  settings: {}\n"
            "  rules:\n"
            "  - apiGroups:\n"
            "    - \"\"\n"
            "    apiVersions:\n"
            "    - v1\n"
            "    resources:\n"
            "    - pods\n"
            "    operations:\n"
            "    - CREATE\n"
            "    - UPDATE\n"
            "  mutating: false\n");
}

TEST(ScaffoldManifest, AdmissionPolicyWithTitleSettingsAndBackgroundAuditOff) {
  ManifestRequest request;
  request.type = ManifestType::kAdmissionPolicy;
  request.module_uri = "file:///p.wasm";
  request.metadata = Annotated(kContextAware);
  request.title = "my-policy";
  request.settings = json::parse(R"({"labels": ["a"]})");
  request.allow_context_aware = true;  // irrelevant: namespaced policies cannot read the cluster
  auto manifest = BuildPolicyManifest(request);
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_TRUE(manifest->warnings.empty());
  EXPECT_EQ(JsonToYaml(manifest->resource),
            "apiVersion: policies.kubewarden.io/v1\n"
            "kind: AdmissionPolicy\n"
            "metadata:\n"
            "  name: my-policy\n"
            "spec:\n"
            "  module: file:///p.wasm\n"
            "  settings:\n"
            "    labels:\n"
            "    - a\n"
            "  rules:\n"
            "  - apiGroups:\n"
            "    - \"\"\n"
            "    apiVersions:\n"
            "    - v1\n"
            "    resources:\n"
            "    - namespaces\n"
            "    operations:\n"
            "    - CREATE\n"
            "  mutating: true\n"
            "  backgroundAudit: false\n");
}

TEST(ScaffoldManifest, ContextAwareResourcesOnlyWhenAllowed) {
  ManifestRequest request;
  request.module_uri = "file:///p.wasm";
  request.metadata = Annotated(kContextAware);

  auto cleared = BuildPolicyManifest(request);
  ASSERT_TRUE(cleared) << cleared.error().message;
  EXPECT_FALSE(cleared->resource.at("spec").as_object().contains("contextAwareResources"));
  ASSERT_EQ(cleared->warnings.size(), 2u);
  EXPECT_NE(cleared->warnings[0].find("`spec.contextAwareResources` attribute has been cleared"),
            std::string::npos);
  EXPECT_NE(cleared->warnings[1].find("kwctl inspect"), std::string::npos);

  request.allow_context_aware = true;
  auto granted = BuildPolicyManifest(request);
  ASSERT_TRUE(granted) << granted.error().message;
  // The metadata keeps them as a sorted set: apps/v1 before v1.
  EXPECT_EQ(granted->resource.at("spec").at("contextAwareResources"),
            json::parse(R"([{"apiVersion":"apps/v1","kind":"Deployment"},
                            {"apiVersion":"v1","kind":"Pod"}])"));
  ASSERT_EQ(granted->warnings.size(), 1u);
  EXPECT_NE(granted->warnings[0].find("Carefully review the contents of the "
                                      "`contextAwareResources` attribute for abuses"),
            std::string::npos);
}

TEST(ScaffoldManifest, NameComesFromTitleAndMustBeValid) {
  ManifestRequest request;
  request.module_uri = "file:///p.wasm";
  request.metadata = Annotated("rules: []\nmutating: false\n");
  auto unnamed = BuildPolicyManifest(request);
  ASSERT_TRUE(unnamed) << unnamed.error().message;
  EXPECT_EQ(unnamed->resource.at("metadata"), json::object());
  ASSERT_EQ(unnamed->warnings.size(), 1u);
  EXPECT_NE(unnamed->warnings[0].find("set `metadata.name`"), std::string::npos);

  request.title = "Not_Valid";
  auto bad = BuildPolicyManifest(request);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(bad.error().message.starts_with(
      "the policy name 'Not_Valid' is not a valid Kubernetes resource name"))
      << bad.error().message;

  request.title.reset();
  request.metadata.annotations = {{{"io.kubewarden.policy.title", "Pod Privileged"}}};
  EXPECT_FALSE(BuildPolicyManifest(request));
  request.title = "pod-privileged";  // --title overrides an unusable annotation
  auto overridden = BuildPolicyManifest(request);
  ASSERT_TRUE(overridden) << overridden.error().message;
  EXPECT_EQ(overridden->resource.at("metadata").at("name"), "pod-privileged");
}

TEST(ScaffoldManifest, RefusesInvalidMetadata) {
  ManifestRequest request;
  request.module_uri = "file:///p.wasm";
  request.metadata = Annotated(R"(rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["PATCH"]
mutating: false
)");
  auto manifest = BuildPolicyManifest(request);
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().message,
            "Metadata is invalid: rules[0].operations: 'PATCH' is not one of CREATE, UPDATE, "
            "DELETE, CONNECT, *");
}

TEST(ScaffoldArtifactHub, ParsesAuthorLists) {
  auto one = ParseMaintainers("Kubewarden developers <dev@kubewarden.io>");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(*one, (std::vector<Maintainer>{{"Kubewarden developers", "dev@kubewarden.io"}}));

  auto many = ParseMaintainers(
      R"("Castelli, Flavio" <fc@suse.com>, jane@example.com,Bob <bob@x.org> , )");
  ASSERT_TRUE(many) << many.error().message;
  EXPECT_EQ(*many, (std::vector<Maintainer>{{"Castelli, Flavio", "fc@suse.com"},
                                            {"", "jane@example.com"},
                                            {"Bob", "bob@x.org"}}));

  auto no_mail = ParseMaintainers("Kubewarden developers");
  ASSERT_FALSE(no_mail);
  EXPECT_EQ(no_mail.error().message,
            "invalid author 'Kubewarden developers' in annotation `io.kubewarden.policy.author`: "
            "expected `Name <mail>` or a bare e-mail address");
  EXPECT_FALSE(ParseMaintainers("Bob <bob@x.org"));
  EXPECT_FALSE(ParseMaintainers("Bob <bob@x.org> trailing"));
  EXPECT_FALSE(ParseMaintainers("\"Bob <bob@x.org>"));
}

TEST(ScaffoldArtifactHub, FormatsRfc3339InUtc) {
  EXPECT_EQ(FormatRfc3339(CreatedAt()), "2024-05-01T10:00:00.25Z");
  EXPECT_EQ(FormatRfc3339(std::chrono::sys_days(std::chrono::year(2023) / 12 / 31)),
            "2023-12-31T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(std::chrono::sys_days(std::chrono::year(2023) / 12 / 31) +
                          std::chrono::nanoseconds(1)),
            "2023-12-31T00:00:00.000000001Z");
}

TEST(ScaffoldArtifactHub, PackageHasUpstreamsShape) {
  auto text = ScaffoldArtifactHubText(MetadataOf(kPodPrivileged), "questions: []\n", CreatedAt());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text,
            "# Kubewarden Artifacthub Package config\n"
            "#\n"
            "# Use this config to submit the policy to https://artifacthub.io.\n"
            "#\n"
            "# This config can be saved to its default location with:\n"
            "#   kwctl scaffold artifacthub > artifacthub-pkg.yml \n"
            "version: 1.0.13\n"
            "name: pod-privileged\n"
            "displayName: Pod Privileged Policy\n"
            "createdAt: 2024-05-01T10:00:00.25Z\n"
            "description: Limit the ability to create privileged containers\n"
            "license: Apache-2.0\n"
            "homeURL: https://github.com/kubewarden/policies\n"
            "containersImages:\n"
            "- name: policy\n"
            "  image: ghcr.io/kubewarden/policies/pod-privileged:v1.0.13\n"
            "keywords:\n"
            "- psp\n"
            "- container\n"
            "- privileged\n"
            "links:\n"
            "- name: policy\n"
            "  url: https://github.com/kubewarden/pod-privileged-policy/releases/download/"
            "v1.0.13/policy.wasm\n"
            "- name: source\n"
            "  url: https://github.com/kubewarden/pod-privileged-policy\n"
            "install: |\n"
            "  The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n"
            "  ```console\n"
            "  kwctl pull ghcr.io/kubewarden/policies/pod-privileged:v1.0.13\n"
            "  ```\n"
            "  Then, generate the policy manifest and tune it to your liking. For example:\n"
            "  ```console\n"
            "  kwctl scaffold manifest -t ClusterAdmissionPolicy "
            "registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.13\n"
            "  ```\n"
            "maintainers:\n"
            "- name: Kubewarden developers\n"
            "  email: cncf-kubewarden-maintainers@lists.cncf.io\n"
            "provider:\n"
            "  name: kubewarden\n"
            "recommendations:\n"
            "- url: https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller\n"
            "annotations:\n"
            "  kubewarden/mutation: \"false\"\n"
            "  kubewarden/questions-ui: |\n"
            "    questions: []\n"
            "  kubewarden/resources: Pod\n"
            "  kubewarden/rules: |\n"
            "    - apiGroups:\n"
            "      - \"\"\n"
            "      apiVersions:\n"
            "      - v1\n"
            "      resources:\n"
            "      - pods\n"
            "      operations:\n"
            "      - CREATE\n"
            "      - UPDATE\n");
  // And it reads back as the same document.
  auto parsed = ParseYamlAsJson(*text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, *BuildArtifactHubPackage(MetadataOf(kPodPrivileged), "questions: []\n",
                                              CreatedAt()));
}

TEST(ScaffoldArtifactHub, OptionalPartsFollowTheAnnotations) {
  policy::Metadata metadata = MetadataOf(kContextAware);
  metadata.annotations = {{
      {"io.kubewarden.policy.title", "propagator"},
      {"io.kubewarden.policy.version", "0.2.0-rc1"},
      {"io.artifacthub.displayName", "Propagator"},
      {"io.kubewarden.policy.description", "Propagates labels"},
      {"io.kubewarden.policy.ociUrl", "registry.example.com/propagator"},
      {"io.kubewarden.policy.source", "https://gitlab.com/acme/propagator"},
      {"io.kubewarden.hidden-ui", "true"},
  }};
  auto pkg = BuildArtifactHubPackage(metadata, std::nullopt, CreatedAt());
  ASSERT_TRUE(pkg) << pkg.error().message;
  const json::object& o = pkg->as_object();
  for (const char* absent : {"license", "homeURL", "keywords", "maintainers"}) {
    EXPECT_FALSE(o.contains(absent)) << absent;
  }
  EXPECT_EQ(o.at("containersImages").at(0).at("image"),
            "registry.example.com/propagator:v0.2.0-rc1");
  // Not on GitHub: no release asset to link.
  EXPECT_EQ(o.at("links"), json::parse(R"([{"name":"source",
                                            "url":"https://gitlab.com/acme/propagator"}])"));
  json::object annotations;
  annotations["kubewarden/contextAwareResources"] =
      "- apiVersion: apps/v1\n  kind: Deployment\n- apiVersion: v1\n  kind: Pod\n";
  annotations["kubewarden/hidden-ui"] = "true";
  annotations["kubewarden/mutation"] = "true";
  annotations["kubewarden/rules"] =
      "- apiGroups:\n  - \"\"\n  apiVersions:\n  - v1\n  resources:\n  - namespaces\n"
      "  operations:\n  - CREATE\n";
  EXPECT_EQ(o.at("annotations"), annotations);
  // Keys in upstream's (BTreeMap) order.
  std::vector<std::string> keys;
  for (const auto& [key, value] : o.at("annotations").as_object()) keys.emplace_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"kubewarden/contextAwareResources",
                                            "kubewarden/hidden-ui", "kubewarden/mutation",
                                            "kubewarden/rules"}));

  (*metadata.annotations)["io.kubewarden.policy.source"] = "https://github.com/acme/propagator/";
  (*metadata.annotations)["com.github.release.tag"] = "propagator/v0.2.0-rc1";
  auto github = BuildArtifactHubPackage(metadata, std::nullopt, CreatedAt());
  ASSERT_TRUE(github) << github.error().message;
  EXPECT_EQ(github->at("links").at(0).at("url"),
            "https://github.com/acme/propagator/releases/download/propagator/v0.2.0-rc1/"
            "policy.wasm");
}

TEST(ScaffoldArtifactHub, ErrorsNameTheProblem) {
  auto error_of = [](const policy::Metadata& metadata,
                     const std::optional<std::string>& questions = std::nullopt) {
    auto pkg = BuildArtifactHubPackage(metadata, questions, CreatedAt());
    EXPECT_FALSE(pkg);
    return pkg ? std::string() : pkg.error().message;
  };
  for (std::string_view key : {"io.kubewarden.policy.version", "io.kubewarden.policy.title",
                               "io.artifacthub.displayName", "io.kubewarden.policy.description",
                               "io.kubewarden.policy.ociUrl"}) {
    policy::Metadata metadata = MetadataOf(kPodPrivileged);
    metadata.annotations->erase(std::string(key));
    EXPECT_EQ(error_of(metadata), "missing required annotation `" + std::string(key) + "`");
  }
  EXPECT_EQ(error_of(MetadataOf("rules: []\nmutating: false\n")),
            "missing required annotation `io.kubewarden.policy.version`");

  policy::Metadata metadata = MetadataOf(kPodPrivileged);
  (*metadata.annotations)["io.kubewarden.policy.version"] = "v1.0";
  EXPECT_EQ(error_of(metadata),
            "annotation `io.kubewarden.policy.version`: 'v1.0' is not a semantic version "
            "(MAJOR.MINOR.PATCH)");

  metadata = MetadataOf(kPodPrivileged);
  (*metadata.annotations)["io.artifacthub.keywords"] = "psp,,privileged";
  EXPECT_EQ(error_of(metadata),
            "annotation `io.artifacthub.keywords` has an empty keyword: 'psp,,privileged'");

  metadata = MetadataOf(kPodPrivileged);
  (*metadata.annotations)["io.kubewarden.hidden-ui"] = "yes";
  EXPECT_EQ(error_of(metadata), "annotation `io.kubewarden.hidden-ui`: 'yes' is not true or false");

  EXPECT_EQ(error_of(MetadataOf(kPodPrivileged), " \n\n"), "the questions file is empty");
}

// --- scaffold vap ---------------------------------------------------------------------------

json::value Yaml(std::string_view text) {
  auto parsed = ParseYamlAsJson(text);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : json::value();
}

// The Kubernetes documentation's first example, with params.
const char kVap[] = R"yaml(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: demo-policy.example.com, resourceVersion: "12"}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: rules.example.com/v1, kind: ReplicaLimit}
  matchConstraints:
    matchPolicy: Equivalent
    objectSelector: {matchLabels: {audited: "yes"}}
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
      resourceNames: [web]
  variables:
  - {name: replicas, expression: object.spec.replicas}
  validations:
  - expression: "variables.replicas <= params.maxReplicas"
    messageExpression: "'at most ' + string(params.maxReplicas) + ' replicas'"
    reason: Invalid
  auditAnnotations:
  - {key: high-replica-count, valueExpression: "'Deployment spec.replicas set to ' + string(object.spec.replicas)"}
)yaml";
const char kBinding[] = R"yaml(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding-test.example.com, labels: {team: a}, uid: "9"}
spec:
  policyName: demo-policy.example.com
  validationActions: [Deny]
  paramRef: {name: replica-limit-test.example.com, namespace: default, parameterNotFoundAction: Deny}
  matchResources:
    namespaceSelector: {matchLabels: {environment: test}}
)yaml";

TEST(ScaffoldVap, ClusterAdmissionPolicyRunningCelPolicy) {
  auto manifest = BuildVapManifest({Yaml(kVap), Yaml(kBinding),
                                    "ghcr.io/kubewarden/policies/cel-policy:v1.6.3"});
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->resource, Yaml(R"(
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: demo-binding-test.example.com, labels: {team: a}}
spec:
  module: ghcr.io/kubewarden/policies/cel-policy:v1.6.3
  settings:
    failurePolicy: Fail
    variables:
    - {name: replicas, expression: object.spec.replicas}
    validations:
    - expression: "variables.replicas <= params.maxReplicas"
      messageExpression: "'at most ' + string(params.maxReplicas) + ' replicas'"
      reason: Invalid
    paramKind: {apiVersion: rules.example.com/v1, kind: ReplicaLimit}
    paramRef: {name: replica-limit-test.example.com, namespace: default, parameterNotFoundAction: Deny}
  rules:
  - {apiGroups: [apps], apiVersions: [v1], resources: [deployments], operations: [CREATE, UPDATE]}
  matchPolicy: Equivalent
  namespaceSelector: {matchLabels: {environment: test}}
  objectSelector: {matchLabels: {audited: "yes"}}
  mutating: false
)"));
  ASSERT_EQ(manifest->warnings.size(), 2u);
  EXPECT_NE(manifest->warnings[0].find("resourceNames"), std::string::npos);
  EXPECT_NE(manifest->warnings[1].find("auditAnnotations"), std::string::npos);
}

TEST(ScaffoldVap, WarnsAboutWhatItCannotCarryOver) {
  json::value binding = Yaml(kBinding);
  binding.as_object()["spec"].as_object()["validationActions"] = json::array{"Warn", "Audit"};
  auto manifest = BuildVapManifest({Yaml(kVap), binding});
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->resource.at("spec").at("mode"), "monitor");
  EXPECT_EQ(StringAt(manifest->resource, {"spec", "module"}), kDefaultCelPolicyModule);
  ASSERT_EQ(manifest->warnings.size(), 4u);
  EXPECT_NE(manifest->warnings[2].find("monitor mode"), std::string::npos);
  EXPECT_NE(manifest->warnings[3].find("no fixed version"), std::string::npos);
  EXPECT_TRUE(BuildVapManifest({Yaml(kVap), Yaml(kBinding),
                                "registry.example.com/cel-policy@sha256:0123"})
                  ->warnings.size() == 2u);
}

TEST(ScaffoldVap, RefusesMismatchedInputs) {
  const auto error = [](json::value policy, json::value binding) {
    auto manifest = BuildVapManifest({std::move(policy), std::move(binding)});
    return manifest ? std::string("no error") : manifest.error().message;
  };
  EXPECT_EQ(error(Yaml(kBinding), Yaml(kBinding)),
            "--policy: expected a ValidatingAdmissionPolicy of admissionregistration.k8s.io, "
            "found a ValidatingAdmissionPolicyBinding of admissionregistration.k8s.io/v1");
  EXPECT_EQ(error(Yaml(kVap), Yaml("[1]")),
            "--binding: expected a ValidatingAdmissionPolicyBinding of "
            "admissionregistration.k8s.io, found no object");
  json::value other = Yaml(kBinding);
  other.as_object()["spec"].as_object()["policyName"] = "another";
  EXPECT_EQ(error(Yaml(kVap), other),
            "the binding is for the policy 'another', not for 'demo-policy.example.com'");
  json::value no_ref = Yaml(kBinding);
  no_ref.as_object()["spec"].as_object().erase("paramRef");
  EXPECT_EQ(error(Yaml(kVap), no_ref),
            "the ValidatingAdmissionPolicy has a paramKind but its binding no paramRef");
}

}  // namespace
}  // namespace kw::kwctl
