#include "policy/metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/module_builder.h"

namespace kw::policy {
namespace {

using ::kw::policy::testing::ModuleBuilder;
using ::testing::HasSubstr;

Result<Metadata> FromText(std::string_view text) {
  auto json = ParseJson(text);
  EXPECT_TRUE(json.has_value()) << text;
  return MetadataFromJson(*json);
}

std::string ErrorOf(std::string_view text) {
  auto m = FromText(text);
  EXPECT_FALSE(m.has_value()) << text;
  if (m) return "";
  EXPECT_EQ(m.error().kind, ErrorKind::kInvalidArgument);
  return m.error().message;
}

Rule PodsRule() { return Rule{{""}, {"v1"}, {"pods"}, {"CREATE", "UPDATE"}}; }

// Metadata that passes validation; tests break one thing at a time.
Metadata ValidMetadata() {
  Metadata m;
  m.protocol_version = ProtocolVersion::kV1;
  m.rules = {PodsRule()};
  m.mutating = false;
  return m;
}

Metadata FullMetadata() {
  Metadata m = ValidMetadata();
  m.annotations = std::map<std::string, std::string>{
      {std::string(kAnnotationTitle), "pod-privileged"},
      {std::string(kAnnotationAuthor), "Jane Doe <jane@example.com>"}};
  m.mutating = true;
  m.background_audit = false;
  m.context_aware_resources = {{"apps/v1", "Deployment"}, {"v1", "Namespace"}};
  m.minimum_kubewarden_version = "1.10.0";
  m.host_capabilities = std::vector<std::string>{"kubernetes/*", "oci/v1/verify"};
  return m;
}

std::string ErrorOfValidation(const Metadata& m) {
  auto r = ValidateMetadata(m);
  EXPECT_FALSE(r.has_value());
  if (r) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

std::vector<std::uint8_t> WithMetadataSections(std::vector<std::string> payloads) {
  ModuleBuilder b;
  b.ExportFunction("__guest_call");
  for (auto& p : payloads) b.CustomSection(std::string(kMetadataSectionName), std::move(p));
  return b.Build();
}

// --- MetadataFromJson ---------------------------------------------------------------------------

TEST(MetadataFromJson, MinimalUsesDefaults) {
  auto m = FromText(R"({"rules": [], "mutating": false})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(m->protocol_version.has_value());
  EXPECT_TRUE(m->rules.empty());
  EXPECT_FALSE(m->annotations.has_value());
  EXPECT_FALSE(m->mutating);
  EXPECT_TRUE(m->background_audit);
  EXPECT_EQ(m->execution_mode, ExecutionMode::kKubewardenWapc);
  EXPECT_EQ(m->policy_type, PolicyType::kKubernetes);
  EXPECT_TRUE(m->context_aware_resources.empty());
  EXPECT_FALSE(m->host_capabilities.has_value());
  EXPECT_FALSE(m->minimum_kubewarden_version.has_value());
}

TEST(MetadataFromJson, AllFields) {
  auto m = FromText(R"({
    "protocolVersion": "v1",
    "rules": [{"apiGroups": ["", "apps"], "apiVersions": ["v1"], "resources": ["pods"],
               "operations": ["CREATE"]}],
    "annotations": {"io.kubewarden.policy.title": "t", "b": "2"},
    "mutating": true,
    "backgroundAudit": false,
    "contextAwareResources": [{"apiVersion": "v1", "kind": "Pod"}],
    "minimumKubewardenVersion": "1.9.0",
    "executionMode": "wasi",
    "policyType": "raw",
    "hostCapabilities": ["net/v1/dns_lookup_host"]
  })");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->protocol_version, ProtocolVersion::kV1);
  ASSERT_EQ(m->rules.size(), 1u);
  EXPECT_EQ(m->rules[0], (Rule{{"", "apps"}, {"v1"}, {"pods"}, {"CREATE"}}));
  EXPECT_EQ(m->Annotation(kAnnotationTitle), "t");
  EXPECT_EQ(m->Annotation("b"), "2");
  EXPECT_EQ(m->Annotation("missing"), std::nullopt);
  EXPECT_TRUE(m->mutating);
  EXPECT_FALSE(m->background_audit);
  EXPECT_EQ(m->context_aware_resources, (std::vector<ContextAwareResource>{{"v1", "Pod"}}));
  EXPECT_EQ(m->minimum_kubewarden_version, "1.9.0");
  EXPECT_EQ(m->execution_mode, ExecutionMode::kWasi);
  EXPECT_EQ(m->policy_type, PolicyType::kRaw);
  EXPECT_EQ(m->host_capabilities, (std::vector<std::string>{"net/v1/dns_lookup_host"}));
}

TEST(MetadataFromJson, EnumSpellings) {
  for (auto [text, mode] : {std::pair{"kubewarden-wapc", ExecutionMode::kKubewardenWapc},
                            std::pair{"opa", ExecutionMode::kOpa},
                            std::pair{"gatekeeper", ExecutionMode::kGatekeeper},
                            std::pair{"wasi", ExecutionMode::kWasi}}) {
    auto m = FromText(std::string(R"({"rules": [], "mutating": false, "executionMode": ")") +
                      text + "\"}");
    ASSERT_TRUE(m.has_value()) << text;
    EXPECT_EQ(m->execution_mode, mode);
  }
  auto unknown = FromText(R"({"rules": [], "mutating": false, "protocolVersion": "Unknown"})");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->protocol_version, ProtocolVersion::kUnknown);
  // The CLI-only literal is not a serialized name.
  EXPECT_THAT(ErrorOf(R"({"rules": [], "mutating": false, "executionMode": "kubewarden"})"),
              HasSubstr("field 'executionMode': unknown value 'kubewarden'"));
}

TEST(MetadataFromJson, RequiredFields) {
  EXPECT_EQ(ErrorOf(R"({"mutating": false})"), "missing field 'rules'");
  EXPECT_EQ(ErrorOf(R"({"rules": []})"), "missing field 'mutating'");
  EXPECT_EQ(ErrorOf(R"({"rules": [{"apiVersions": [], "resources": [], "operations": []}],
                        "mutating": false})"),
            "missing field 'rules[0].apiGroups'");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false,
                        "contextAwareResources": [{"apiVersion": "v1"}]})"),
            "missing field 'contextAwareResources[0].kind'");
}

TEST(MetadataFromJson, WrongTypesNameTheField) {
  EXPECT_EQ(ErrorOf("[]"), "metadata must be an object, got a list");
  EXPECT_EQ(ErrorOf(R"({"rules": {}, "mutating": false})"),
            "field 'rules' must be a list, got an object");
  EXPECT_EQ(ErrorOf(R"({"rules": null, "mutating": false})"),
            "field 'rules' must be a list, got null");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": "no"})"),
            "field 'mutating' must be a boolean, got a string");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "backgroundAudit": 1})"),
            "field 'backgroundAudit' must be a boolean, got a number");
  EXPECT_EQ(ErrorOf(R"({"rules": [7], "mutating": false})"),
            "field 'rules[0]' must be an object, got a number");
  EXPECT_EQ(ErrorOf(R"({"rules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                   "resources": ["pods"], "operations": ["CREATE", 3]}],
                        "mutating": false})"),
            "field 'rules[0].operations[1]' must be a string, got a number");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "annotations": {"a": 1}})"),
            "field 'annotations.a' must be a string, got a number");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "annotations": []})"),
            "field 'annotations' must be a map of strings, got a list");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "protocolVersion": "v2"})"),
            "field 'protocolVersion': unknown value 'v2', expected one of: v1, Unknown");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "policyType": "json"})"),
            "field 'policyType': unknown value 'json', expected one of: kubernetes, raw");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "hostCapabilities": "oci/*"})"),
            "field 'hostCapabilities' must be a list of strings, got a string");
  EXPECT_EQ(ErrorOf(R"({"rules": [], "mutating": false, "minimumKubewardenVersion": 1.9})"),
            "field 'minimumKubewardenVersion' must be a string, got a number");
}

TEST(MetadataFromJson, UnknownKeysAndLegacyContextAwareAreIgnored) {
  auto m = FromText(R"({"rules": [], "mutating": false, "contextAware": true, "extra": [1]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->context_aware_resources.empty());
}

TEST(MetadataFromJson, NullMeansDefaultForOptionalFields) {
  auto m = FromText(R"({"rules": [], "mutating": true, "protocolVersion": null,
                        "annotations": null, "backgroundAudit": null,
                        "contextAwareResources": null, "hostCapabilities": null,
                        "minimumKubewardenVersion": null})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(m->protocol_version.has_value());
  EXPECT_FALSE(m->annotations.has_value());
  EXPECT_TRUE(m->background_audit);
  EXPECT_FALSE(m->host_capabilities.has_value());
}

TEST(MetadataFromJson, SetsAreSortedAndDeduplicated) {
  auto m = FromText(R"({"rules": [], "mutating": false,
    "contextAwareResources": [{"apiVersion": "v1", "kind": "Pod"},
                              {"apiVersion": "apps/v1", "kind": "Deployment"},
                              {"apiVersion": "v1", "kind": "Namespace"},
                              {"apiVersion": "v1", "kind": "Pod"}],
    "hostCapabilities": ["oci/*", "kubernetes/*", "oci/*"]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->context_aware_resources,
            (std::vector<ContextAwareResource>{
                {"apps/v1", "Deployment"}, {"v1", "Namespace"}, {"v1", "Pod"}}));
  EXPECT_EQ(m->host_capabilities, (std::vector<std::string>{"kubernetes/*", "oci/*"}));
}

// --- MetadataToJson -----------------------------------------------------------------------------

TEST(MetadataToJson, UpstreamKeyOrderAndNames) {
  Metadata m = FullMetadata();
  m.execution_mode = ExecutionMode::kGatekeeper;
  m.protocol_version = ProtocolVersion::kUnknown;
  m.policy_type = PolicyType::kRaw;
  EXPECT_EQ(ToJson(MetadataToJson(m)),
            R"({"protocolVersion":"Unknown",)"
            R"("rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],)"
            R"("operations":["CREATE","UPDATE"]}],)"
            R"("annotations":{"io.kubewarden.policy.author":"Jane Doe <jane@example.com>",)"
            R"("io.kubewarden.policy.title":"pod-privileged"},)"
            R"("mutating":true,"backgroundAudit":false,)"
            R"("contextAwareResources":[{"apiVersion":"apps/v1","kind":"Deployment"},)"
            R"({"apiVersion":"v1","kind":"Namespace"}],)"
            R"("minimumKubewardenVersion":"1.10.0",)"
            R"("executionMode":"gatekeeper","policyType":"raw",)"
            R"("hostCapabilities":["kubernetes/*","oci/v1/verify"]})");
}

TEST(MetadataToJson, OptionalFieldsOmittedAndProtocolVersionNull) {
  Metadata m;
  EXPECT_EQ(ToJson(MetadataToJson(m)),
            R"({"protocolVersion":null,"rules":[],"mutating":false,"backgroundAudit":true,)"
            R"("contextAwareResources":[],"executionMode":"kubewarden-wapc",)"
            R"("policyType":"kubernetes"})");
}

TEST(MetadataJson, RoundTrips) {
  for (const Metadata& m : {Metadata(), ValidMetadata(), FullMetadata()}) {
    auto back = MetadataFromJson(MetadataToJson(m));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(*back, m);
  }
}

// --- ValidateMetadata ---------------------------------------------------------------------------

TEST(ValidateMetadata, AcceptsValidMetadata) {
  EXPECT_TRUE(ValidateMetadata(ValidMetadata()).has_value());
  EXPECT_TRUE(ValidateMetadata(FullMetadata()).has_value());
  Metadata no_rules = ValidMetadata();
  no_rules.rules.clear();
  EXPECT_TRUE(ValidateMetadata(no_rules).has_value());
}

TEST(ValidateMetadata, ProtocolVersion) {
  Metadata m = ValidMetadata();
  m.protocol_version.reset();
  EXPECT_THAT(ErrorOfValidation(m), HasSubstr("protocolVersion is not set"));
  m.protocol_version = ProtocolVersion::kUnknown;
  EXPECT_EQ(ErrorOfValidation(m),
            "protocolVersion must be 'v1' for kubewarden-wapc policies, got 'Unknown'");
  for (auto mode : {ExecutionMode::kOpa, ExecutionMode::kGatekeeper, ExecutionMode::kWasi}) {
    m.execution_mode = mode;
    EXPECT_TRUE(ValidateMetadata(m).has_value()) << ExecutionModeName(mode);
  }
  m.protocol_version.reset();
  EXPECT_THAT(ErrorOfValidation(m), HasSubstr("protocolVersion is not set"));
}

TEST(ValidateMetadata, RuleListsMustNotBeEmpty) {
  Metadata m = ValidMetadata();
  m.rules[0].api_groups.clear();
  EXPECT_EQ(ErrorOfValidation(m), "rules[0].apiGroups must not be empty");
  m = ValidMetadata();
  m.rules[0].api_versions.clear();
  EXPECT_EQ(ErrorOfValidation(m), "rules[0].apiVersions must not be empty");
  m = ValidMetadata();
  m.rules[0].resources.clear();
  EXPECT_EQ(ErrorOfValidation(m), "rules[0].resources must not be empty");
  m = ValidMetadata();
  m.rules.push_back(PodsRule());
  m.rules[1].operations.clear();
  EXPECT_EQ(ErrorOfValidation(m), "rules[1].operations must not be empty");
}

TEST(ValidateMetadata, WildcardMustBeAlone) {
  Metadata m = ValidMetadata();
  m.rules[0].api_groups = {"*"};
  m.rules[0].api_versions = {"*"};
  m.rules[0].operations = {"*"};
  EXPECT_TRUE(ValidateMetadata(m).has_value());

  m = ValidMetadata();
  m.rules[0].api_groups = {"", "*"};
  EXPECT_EQ(ErrorOfValidation(m), "rules[0].apiGroups: '*' must be the only entry when present");
  m = ValidMetadata();
  m.rules[0].api_versions = {"*", "v1"};
  EXPECT_EQ(ErrorOfValidation(m),
            "rules[0].apiVersions: '*' must be the only entry when present");
  m = ValidMetadata();
  m.rules[0].operations = {"CREATE", "*"};
  EXPECT_EQ(ErrorOfValidation(m),
            "rules[0].operations: '*' must be the only entry when present");
}

TEST(ValidateMetadata, Operations) {
  Metadata m = ValidMetadata();
  m.rules[0].operations = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
  EXPECT_TRUE(ValidateMetadata(m).has_value());
  for (const char* bad : {"PATCH", "create", ""}) {
    m.rules[0].operations = {"CREATE", bad};
    EXPECT_EQ(ErrorOfValidation(m), "rules[0].operations: '" + std::string(bad) +
                                        "' is not one of CREATE, UPDATE, DELETE, CONNECT, *");
  }
}

TEST(ValidateMetadata, ResourcesAccepted) {
  for (std::vector<std::string> resources :
       std::vector<std::vector<std::string>>{{"pods"},
                                             {"pods", "deployments"},
                                             {"*"},
                                             {"*/*"},
                                             {"pods/*"},
                                             {"*", "pods/status"},
                                             {"pods/*", "deployments/scale"},
                                             {"*/status", "*/scale"},
                                             {"*/status", "pods/log"},
                                             {"pods", "pods/status"}}) {
    Metadata m = ValidMetadata();
    m.rules[0].resources = resources;
    auto r = ValidateMetadata(m);
    EXPECT_TRUE(r.has_value()) << ::testing::PrintToString(resources) << ": "
                               << r.error().message;
  }
}

TEST(ValidateMetadata, ResourcesRejected) {
  struct Case {
    std::vector<std::string> resources;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{"pods", ""}, "rules[0].resources[1] must not be an empty string"},
           {{"*/*", "pods"}, "rules[0].resources: '*/*' must be the only entry when present"},
           {{"pods/*", "*/*"}, "rules[0].resources: '*/*' must be the only entry when present"},
           {{"*", "pods"},
            "rules[0].resources: '*' cannot be combined with 'pods' (other resources without "
            "subresources)"},
           {{"pods", "*"},
            "rules[0].resources: '*' cannot be combined with 'pods' (other resources without "
            "subresources)"},
           {{"pods/*", "pods/status"},
            "rules[0].resources: 'pods/*' is present, so 'pods/status' must not be listed"},
           // Unlike Kubernetes, the order of the entries does not matter.
           {{"pods/status", "pods/*"},
            "rules[0].resources: 'pods/*' is present, so 'pods/status' must not be listed"},
           {{"*/status", "pods/status"},
            "rules[0].resources: '*/status' is present, so 'pods/status' must not be listed"},
           {{"deployments/status", "*/status"},
            "rules[0].resources: '*/status' is present, so 'deployments/status' must not be "
            "listed"},
       }) {
    Metadata m = ValidMetadata();
    m.rules[0].resources = c.resources;
    EXPECT_EQ(ErrorOfValidation(m), c.error) << ::testing::PrintToString(c.resources);
  }
}

TEST(ValidateMetadata, ContextAwareResourcesMustBeComplete) {
  Metadata m = ValidMetadata();
  m.context_aware_resources = {{"v1", "Namespace"}, {"", "Pod"}};
  EXPECT_EQ(ErrorOfValidation(m), "contextAwareResources[1].apiVersion must not be empty");
  m.context_aware_resources = {{"v1", ""}};
  EXPECT_EQ(ErrorOfValidation(m), "contextAwareResources[0].kind must not be empty");
}

TEST(ValidateMetadata, MinimumKubewardenVersionMustBeSemver) {
  Metadata m = ValidMetadata();
  for (const char* good : {"1.0.0", "0.0.1", "1.36.0-beta.1", "1.2.3+build.5", "10.20.30-rc.1+x"}) {
    m.minimum_kubewarden_version = good;
    EXPECT_TRUE(ValidateMetadata(m).has_value()) << good;
  }
  for (const char* bad : {"1.0", "v1.0.0", "1", "", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0-01",
                          "1.0.0+", "1..0", "latest", "1.0.0-beta..1"}) {
    m.minimum_kubewarden_version = bad;
    EXPECT_EQ(ErrorOfValidation(m),
              "minimumKubewardenVersion: '" + std::string(bad) +
                  "' is not a valid semantic version (expected MAJOR.MINOR.PATCH)");
  }
}

// --- Reading and writing the section ------------------------------------------------------------

TEST(ReadMetadata, MissingSectionIsNullopt) {
  auto m = ReadMetadata(ModuleBuilder().ExportFunction("__guest_call").Build());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(m->has_value());
  // Other custom sections are not metadata.
  auto other = ReadMetadata(ModuleBuilder().CustomSection("name", "x").Build());
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->has_value());
}

TEST(ReadMetadata, ReadsTheSection) {
  auto m = ReadMetadata(WithMetadataSections({ToJson(MetadataToJson(FullMetadata()))}));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ(**m, FullMetadata());
}

TEST(ReadMetadata, FirstSectionWins) {
  auto m = ReadMetadata(WithMetadataSections({R"({"rules": [], "mutating": true})",
                                              R"({"rules": [], "mutating": false})"}));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_TRUE(m->has_value());
  EXPECT_TRUE((*m)->mutating);
}

TEST(ReadMetadata, BadJsonIsAnError) {
  auto m = ReadMetadata(WithMetadataSections({R"({"rules": [], "mutating": )"}));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(m.error().message,
              HasSubstr("the io.kubewarden.metadata section does not hold valid JSON"));
}

TEST(ReadMetadata, InvalidMetadataIsAnError) {
  auto m = ReadMetadata(WithMetadataSections({R"({"mutating": false})"}));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(m.error().message, "invalid io.kubewarden.metadata section: missing field 'rules'");
}

TEST(ReadMetadata, NotWasmIsBadModule) {
  std::vector<std::uint8_t> junk = {'n', 'o', 't', ' ', 'w', 'a', 's', 'm'};
  auto m = ReadMetadata(junk);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, ErrorKind::kBadModule);
}

TEST(WriteMetadata, ReplacesEverySectionAndKeepsTheRest) {
  auto original = WithMetadataSections({R"({"rules": [], "mutating": true})", "garbage"});
  auto written = WriteMetadata(original, FullMetadata());
  ASSERT_TRUE(written.has_value()) << written.error().message;
  auto info = wasm::Inspect(*written);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  int sections = 0;
  for (const auto& c : info->custom_sections) sections += c.name == kMetadataSectionName;
  EXPECT_EQ(sections, 1);
  ASSERT_NE(info->FindExport("__guest_call"), nullptr);
  // The payload is the compact JSON serialization.
  auto payload = info->FindCustomSection(kMetadataSectionName);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(payload->begin(), payload->end()), ToJson(MetadataToJson(FullMetadata())));
  auto back = ReadMetadata(*written);
  ASSERT_TRUE(back.has_value() && back->has_value());
  EXPECT_EQ(**back, FullMetadata());
}

TEST(WriteMetadata, ModuleWithoutSection) {
  auto original = ModuleBuilder().ExportFunction("validate").Build();
  auto written = WriteMetadata(original, ValidMetadata());
  ASSERT_TRUE(written.has_value()) << written.error().message;
  // The original bytes are kept as a prefix; the section is appended.
  ASSERT_GT(written->size(), original.size());
  EXPECT_TRUE(std::equal(original.begin(), original.end(), written->begin()));
  auto back = ReadMetadata(*written);
  ASSERT_TRUE(back.has_value() && back->has_value());
  EXPECT_EQ(**back, ValidMetadata());
}

// --- Execution mode -----------------------------------------------------------------------------

wasm::ModuleInfo InfoOf(const std::vector<std::uint8_t>& bytes) {
  auto info = wasm::Inspect(bytes);
  EXPECT_TRUE(info.has_value()) << info.error().message;
  return info ? *info : wasm::ModuleInfo();
}

wasm::ModuleInfo RegoModule() {
  return InfoOf(ModuleBuilder().ExportFunction("eval").ExportFunction("opa_eval").Build());
}

wasm::ModuleInfo WapcModule() {
  return InfoOf(ModuleBuilder().ExportFunction("__guest_call").Build());
}

TEST(IsRegoModule, DetectsOpaExports) {
  EXPECT_TRUE(IsRegoModule(RegoModule()));
  EXPECT_TRUE(IsRegoModule(InfoOf(ModuleBuilder().ExportFunction("opa_heap_ptr_get").Build())));
  EXPECT_FALSE(IsRegoModule(WapcModule()));
  EXPECT_FALSE(IsRegoModule(InfoOf(ModuleBuilder().ExportFunction("opa").Build())));
  EXPECT_FALSE(IsRegoModule(InfoOf(ModuleBuilder().ExportFunction("xopa_eval").Build())));
  // Imports do not count: only what the module exports.
  EXPECT_FALSE(IsRegoModule(InfoOf(ModuleBuilder().ImportFunction("env", "opa_abort").Build())));
}

TEST(ExecutionModeNames, ParseAndPrint) {
  EXPECT_EQ(ParseExecutionMode("kubewarden-wapc"), ExecutionMode::kKubewardenWapc);
  EXPECT_EQ(ParseExecutionMode("kubewarden"), ExecutionMode::kKubewardenWapc);
  EXPECT_EQ(ParseExecutionMode("opa"), ExecutionMode::kOpa);
  EXPECT_EQ(ParseExecutionMode("gatekeeper"), ExecutionMode::kGatekeeper);
  EXPECT_EQ(ParseExecutionMode("wasi"), ExecutionMode::kWasi);
  auto bad = ParseExecutionMode("rego");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(bad.error().message, HasSubstr("unknown execution mode 'rego'"));
  EXPECT_EQ(ExecutionModeName(ExecutionMode::kKubewardenWapc), "kubewarden-wapc");
  EXPECT_EQ(ExecutionModeName(ExecutionMode::kOpa), "opa");
  EXPECT_EQ(ExecutionModeName(ExecutionMode::kGatekeeper), "gatekeeper");
  EXPECT_EQ(ExecutionModeName(ExecutionMode::kWasi), "wasi");
  EXPECT_EQ(ProtocolVersionName(ProtocolVersion::kV1), "v1");
  EXPECT_EQ(ProtocolVersionName(ProtocolVersion::kUnknown), "Unknown");
  EXPECT_EQ(PolicyTypeName(PolicyType::kKubernetes), "kubernetes");
  EXPECT_EQ(PolicyTypeName(PolicyType::kRaw), "raw");
}

std::optional<Metadata> MetadataWithMode(ExecutionMode mode) {
  Metadata m = ValidMetadata();
  m.execution_mode = mode;
  return m;
}

TEST(ChooseExecutionMode, CliOverrideWins) {
  for (auto mode : {ExecutionMode::kKubewardenWapc, ExecutionMode::kOpa,
                    ExecutionMode::kGatekeeper, ExecutionMode::kWasi}) {
    // Even against the metadata and the module's nature: the user said so.
    EXPECT_EQ(ChooseExecutionMode(mode, MetadataWithMode(ExecutionMode::kWasi), RegoModule()),
              mode);
    EXPECT_EQ(ChooseExecutionMode(mode, std::nullopt, WapcModule()), mode);
    EXPECT_EQ(ChooseExecutionMode(mode, std::nullopt, RegoModule()), mode);
  }
}

TEST(ChooseExecutionMode, MetadataMustAgreeWithTheModule) {
  struct Case {
    ExecutionMode declared;
    bool rego;
    bool ok;
  };
  for (const Case& c : std::vector<Case>{{ExecutionMode::kKubewardenWapc, false, true},
                                         {ExecutionMode::kKubewardenWapc, true, false},
                                         {ExecutionMode::kOpa, true, true},
                                         {ExecutionMode::kOpa, false, false},
                                         {ExecutionMode::kGatekeeper, true, true},
                                         {ExecutionMode::kGatekeeper, false, false},
                                         {ExecutionMode::kWasi, false, true},
                                         {ExecutionMode::kWasi, true, true}}) {
    auto mode = ChooseExecutionMode(std::nullopt, MetadataWithMode(c.declared),
                                    c.rego ? RegoModule() : WapcModule());
    std::string label = std::string(ExecutionModeName(c.declared)) + (c.rego ? " rego" : "");
    if (c.ok) {
      ASSERT_TRUE(mode.has_value()) << label << ": " << mode.error().message;
      EXPECT_EQ(*mode, c.declared) << label;
    } else {
      ASSERT_FALSE(mode.has_value()) << label;
      EXPECT_EQ(mode.error().kind, ErrorKind::kInvalidArgument);
      EXPECT_THAT(mode.error().message, HasSubstr(ExecutionModeName(c.declared))) << label;
    }
  }
}

TEST(ChooseExecutionMode, WithoutMetadata) {
  EXPECT_EQ(ChooseExecutionMode(std::nullopt, std::nullopt, WapcModule()),
            ExecutionMode::kKubewardenWapc);
  auto rego = ChooseExecutionMode(std::nullopt, std::nullopt, RegoModule());
  ASSERT_FALSE(rego.has_value());
  EXPECT_EQ(rego.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(rego.error().message,
              HasSubstr("please specify which Opa runtime to use: opa or gatekeeper"));
}

// --- Minimum Kubewarden version -----------------------------------------------------------------

TEST(CheckMinimumKubewardenVersion, NoRequirement) {
  EXPECT_TRUE(CheckMinimumKubewardenVersion(ValidMetadata(), "1.36.0").has_value());
}

TEST(CheckMinimumKubewardenVersion, ComparesMajorMinorOnly) {
  Metadata m = ValidMetadata();
  struct Case {
    const char* minimum;
    const char* running;
    bool ok;
  };
  for (const Case& c : std::vector<Case>{{"1.36.0", "1.36.0", true},
                                         {"1.36.9", "1.36.0", true},  // patch ignored
                                         {"1.36.0-rc.1", "1.36.0", true},
                                         {"1.36.0", "1.36.0-beta.1", true},
                                         {"1.10.0", "1.36.0", true},
                                         {"0.99.0", "1.0.0", true},
                                         {"1.37.0", "1.36.5", false},
                                         {"2.0.0", "1.36.0", false},
                                         {"1.9.0", "1.36", true},
                                         {"1.9.0", "v1.36.0", true}}) {
    m.minimum_kubewarden_version = c.minimum;
    auto r = CheckMinimumKubewardenVersion(m, c.running);
    EXPECT_EQ(r.has_value(), c.ok) << c.minimum << " vs " << c.running;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
      EXPECT_EQ(r.error().message, std::string("Policy required Kubewarden version ") +
                                       c.minimum + " or greater. But it's running on " +
                                       c.running);
    }
  }
}

TEST(CheckMinimumKubewardenVersion, InvalidVersions) {
  Metadata m = ValidMetadata();
  m.minimum_kubewarden_version = "one.two";
  auto r = CheckMinimumKubewardenVersion(m, "1.36.0");
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("'one.two' is not a valid semantic version"));
  m.minimum_kubewarden_version = "1.0.0";
  EXPECT_FALSE(CheckMinimumKubewardenVersion(m, "dev").has_value());
}

}  // namespace
}  // namespace kw::policy
