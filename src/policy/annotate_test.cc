#include "policy/annotate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/module_builder.h"

namespace kw::policy {
namespace {

using ::kw::policy::testing::ModuleBuilder;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kKwctlVersion = "1.36.0";

constexpr std::string_view kMetadataYml = R"(
rules:
- apiGroups: [""]
  apiVersions: ["v1"]
  resources: ["pods"]
  operations: ["CREATE", "UPDATE"]
mutating: false
contextAwareResources:
- apiVersion: v1
  kind: Namespace
executionMode: kubewarden-wapc
hostCapabilities:
- kubernetes/get_resource
annotations:
  io.kubewarden.policy.title: pod-privileged
  io.kubewarden.policy.version: 0.2.2
  io.kubewarden.policy.description: Limit the ability to create privileged containers
  io.kubewarden.kwctl: "0.0.1"
  io.kubewarden.hidden-ui: "true"
)";

Metadata MetadataWithMode(ExecutionMode mode) {
  auto m = MetadataFromYaml(kMetadataYml);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  m->execution_mode = mode;
  return *m;
}

std::vector<std::uint8_t> WapcModule() {
  return ModuleBuilder()
      .ImportFunction("wapc", "__guest_request")
      .ExportFunction("__guest_call")
      .ExportFunction("wapc_init")
      .Build();
}

std::vector<std::uint8_t> RegoModule() {
  return ModuleBuilder().ExportFunction("opa_eval").ExportFunction("eval").Build();
}

Metadata ReadBack(const std::vector<std::uint8_t>& wasm) {
  auto m = ReadMetadata(wasm);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->has_value());
  return m && *m ? **m : Metadata();
}

// --- MetadataFromYaml ---------------------------------------------------------------------------

TEST(MetadataFromYaml, ParsesMetadataYml) {
  auto m = MetadataFromYaml(kMetadataYml);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(m->protocol_version.has_value());
  ASSERT_EQ(m->rules.size(), 1u);
  EXPECT_EQ(m->rules[0], (Rule{{""}, {"v1"}, {"pods"}, {"CREATE", "UPDATE"}}));
  EXPECT_FALSE(m->mutating);
  EXPECT_TRUE(m->background_audit);
  EXPECT_EQ(m->context_aware_resources, (std::vector<ContextAwareResource>{{"v1", "Namespace"}}));
  EXPECT_EQ(m->host_capabilities, (std::vector<std::string>{"kubernetes/get_resource"}));
  // A YAML float-looking version would be wrong; "0.2.2" is not a float, so it stays a string.
  EXPECT_EQ(m->Annotation(kAnnotationVersion), "0.2.2");
  EXPECT_EQ(m->Annotation(kAnnotationHiddenUi), "true");
}

TEST(MetadataFromYaml, PlainAnnotationValuesKeepTheirText) {
  auto m = MetadataFromYaml(
      "rules: []\nmutating: false\nannotations:\n  version: 1.0\n  hidden: true\n"
      "  count: 0x10\n  quoted: \"1.0\"\n");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->Annotation("version"), "1.0");
  EXPECT_EQ(m->Annotation("hidden"), "true");
  EXPECT_EQ(m->Annotation("count"), "0x10");
  EXPECT_EQ(m->Annotation("quoted"), "1.0");
  EXPECT_FALSE(m->mutating);  // the rest of the document stays typed
}

TEST(MetadataFromYaml, Errors) {
  auto syntax = MetadataFromYaml("rules: [\nmutating: false\n");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_EQ(syntax.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(syntax.error().message, StartsWith("invalid metadata YAML: "));

  auto missing = MetadataFromYaml("mutating: false\n");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "invalid metadata: missing field 'rules'");

  auto list = MetadataFromYaml("rules: []\nmutating: false\nannotations:\n  a: [1]\n");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().message,
            "invalid metadata: field 'annotations.a' must be a string, got a list");

  auto typed = MetadataFromYaml("rules: []\nmutating: yes\n");
  ASSERT_FALSE(typed.has_value());
  EXPECT_EQ(typed.error().message,
            "invalid metadata: field 'mutating' must be a boolean, got a string");

  auto empty = MetadataFromYaml("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().message, "invalid metadata: metadata must be an object, got null");
}

// --- Annotate -----------------------------------------------------------------------------------

TEST(Annotate, WapcEndToEnd) {
  auto out = Annotate(WapcModule(), MetadataWithMode(ExecutionMode::kKubewardenWapc), "\"v1\"",
                      "# Usage\n\nDo things.\n", kKwctlVersion);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  Metadata m = ReadBack(*out);
  EXPECT_EQ(m.protocol_version, ProtocolVersion::kV1);
  EXPECT_EQ(m.execution_mode, ExecutionMode::kKubewardenWapc);
  // The kwctl annotation is always overwritten; the others are kept.
  EXPECT_EQ(m.Annotation(kAnnotationKwctlVersion), kKwctlVersion);
  EXPECT_EQ(m.Annotation(kAnnotationUsage), "# Usage\n\nDo things.\n");
  EXPECT_EQ(m.Annotation(kAnnotationTitle), "pod-privileged");
  EXPECT_EQ(m.context_aware_resources, (std::vector<ContextAwareResource>{{"v1", "Namespace"}}));
  EXPECT_TRUE(ValidateMetadata(m).has_value());

  // The module itself is unchanged apart from the new section.
  auto before = wasm::Inspect(WapcModule());
  auto after = wasm::Inspect(*out);
  ASSERT_TRUE(before.has_value() && after.has_value());
  ASSERT_EQ(after->exports.size(), before->exports.size());
  for (std::size_t i = 0; i < before->exports.size(); ++i) {
    EXPECT_EQ(after->exports[i].name, before->exports[i].name);
  }
  ASSERT_EQ(after->imports.size(), 1u);
  EXPECT_EQ(after->imports[0].module, "wapc");
  ASSERT_EQ(after->custom_sections.size(), 1u);
  EXPECT_EQ(after->custom_sections[0].name, kMetadataSectionName);
}

TEST(Annotate, AcceptsBareProtocolVersionName) {
  auto out = Annotate(WapcModule(), MetadataWithMode(ExecutionMode::kKubewardenWapc), "v1",
                      std::nullopt, kKwctlVersion);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  Metadata m = ReadBack(*out);
  EXPECT_EQ(m.protocol_version, ProtocolVersion::kV1);
  EXPECT_EQ(m.Annotation(kAnnotationUsage), std::nullopt);
}

TEST(Annotate, WapcNeedsAProtocolVersion) {
  auto none = Annotate(WapcModule(), MetadataWithMode(ExecutionMode::kKubewardenWapc),
                       std::nullopt, std::nullopt, kKwctlVersion);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(none.error().message, HasSubstr("protocol version"));

  auto v2 = Annotate(WapcModule(), MetadataWithMode(ExecutionMode::kKubewardenWapc), "\"v2\"",
                     std::nullopt, kKwctlVersion);
  ASSERT_FALSE(v2.has_value());
  EXPECT_THAT(v2.error().message, HasSubstr("unsupported waPC protocol version 'v2'"));
}

TEST(Annotate, WapcMustNotBeRego) {
  auto out = Annotate(RegoModule(), MetadataWithMode(ExecutionMode::kKubewardenWapc), "\"v1\"",
                      std::nullopt, kKwctlVersion);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(out.error().message, HasSubstr("the module is a Rego policy"));
}

TEST(Annotate, OpaAndGatekeeperNeedRego) {
  for (auto mode : {ExecutionMode::kOpa, ExecutionMode::kGatekeeper}) {
    auto bad = Annotate(WapcModule(), MetadataWithMode(mode), std::nullopt, std::nullopt,
                        kKwctlVersion);
    ASSERT_FALSE(bad.has_value()) << ExecutionModeName(mode);
    EXPECT_THAT(bad.error().message, HasSubstr("the module is not a Rego policy"));

    // A guest protocol version, if any, is irrelevant for these modes.
    auto good = Annotate(RegoModule(), MetadataWithMode(mode), "\"v1\"", std::nullopt,
                         kKwctlVersion);
    ASSERT_TRUE(good.has_value()) << good.error().message;
    Metadata m = ReadBack(*good);
    EXPECT_EQ(m.execution_mode, mode);
    EXPECT_EQ(m.protocol_version, ProtocolVersion::kUnknown);
  }
}

TEST(Annotate, WasiAcceptsAnyModule) {
  for (const auto& module : {WapcModule(), RegoModule()}) {
    auto out = Annotate(module, MetadataWithMode(ExecutionMode::kWasi), std::nullopt,
                        std::nullopt, kKwctlVersion);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(ReadBack(*out).protocol_version, ProtocolVersion::kUnknown);
  }
}

TEST(Annotate, CreatesAnnotationsWhenAbsent) {
  Metadata metadata = MetadataWithMode(ExecutionMode::kWasi);
  metadata.annotations.reset();
  auto out = Annotate(WapcModule(), metadata, std::nullopt, std::nullopt, kKwctlVersion);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  Metadata m = ReadBack(*out);
  ASSERT_TRUE(m.annotations.has_value());
  EXPECT_EQ(*m.annotations,
            (std::map<std::string, std::string>{{std::string(kAnnotationKwctlVersion),
                                                 std::string(kKwctlVersion)}}));
}

TEST(Annotate, InvalidMetadataIsRejected) {
  Metadata metadata = MetadataWithMode(ExecutionMode::kKubewardenWapc);
  metadata.rules[0].operations = {"PATCH"};
  auto out = Annotate(WapcModule(), metadata, "\"v1\"", std::nullopt, kKwctlVersion);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(out.error().message,
            "Metadata is invalid: rules[0].operations: 'PATCH' is not one of CREATE, UPDATE, "
            "DELETE, CONNECT, *");
}

TEST(Annotate, ReannotatingReplacesTheMetadata) {
  auto first = Annotate(WapcModule(), MetadataWithMode(ExecutionMode::kKubewardenWapc), "\"v1\"",
                        "old usage", "1.0.0");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  Metadata second_metadata = MetadataWithMode(ExecutionMode::kKubewardenWapc);
  second_metadata.mutating = true;
  auto second = Annotate(*first, second_metadata, "\"v1\"", std::nullopt, kKwctlVersion);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  Metadata m = ReadBack(*second);
  EXPECT_TRUE(m.mutating);
  EXPECT_EQ(m.Annotation(kAnnotationKwctlVersion), kKwctlVersion);
  EXPECT_EQ(m.Annotation(kAnnotationUsage), std::nullopt);
  auto info = wasm::Inspect(*second);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->custom_sections.size(), 1u);
}

TEST(Annotate, RenamesJavyHostImport) {
  auto javy = ModuleBuilder()
                  .ImportFunction("kubewarden:javy/host", "call")
                  .ImportFunction("kubewarden:javy/host", "other")
                  .ImportFunction("wasi_snapshot_preview1", "fd_write")
                  .ExportFunction("_start")
                  .Build();
  auto out = Annotate(javy, MetadataWithMode(ExecutionMode::kWasi), std::nullopt, std::nullopt,
                      kKwctlVersion);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  auto info = wasm::Inspect(*out);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  ASSERT_EQ(info->imports.size(), 3u);
  EXPECT_EQ(info->imports[0].module, "host");
  EXPECT_EQ(info->imports[0].name, "call");
  EXPECT_EQ(info->imports[1].module, "kubewarden:javy/host");
  EXPECT_EQ(info->imports[1].name, "other");
  EXPECT_EQ(info->imports[2].module, "wasi_snapshot_preview1");
  EXPECT_EQ(info->imports[2].name, "fd_write");
  EXPECT_EQ(ReadBack(*out).execution_mode, ExecutionMode::kWasi);
}

TEST(Annotate, NotWasmIsBadModule) {
  std::vector<std::uint8_t> junk = {0x00, 0x61, 0x73};
  auto out = Annotate(junk, MetadataWithMode(ExecutionMode::kWasi), std::nullopt, std::nullopt,
                      kKwctlVersion);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind, ErrorKind::kBadModule);
}

}  // namespace
}  // namespace kw::policy
