#include "policy/inspect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "base/yaml.h"

namespace kw::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Metadata SampleMetadata() {
  Metadata m;
  m.protocol_version = ProtocolVersion::kV1;
  m.rules = {Rule{{""}, {"v1"}, {"pods"}, {"CREATE", "UPDATE"}}};
  m.annotations = std::map<std::string, std::string>{
      {std::string(kAnnotationTitle), "pod-privileged"},
      {std::string(kAnnotationDescription), "Limit the ability to create privileged containers"},
      {std::string(kAnnotationAuthor), "Jane Doe <jane@example.com>"},
      {std::string(kAnnotationUrl), "https://github.com/kubewarden/pod-privileged-policy"},
      {std::string(kAnnotationSource), "https://github.com/kubewarden/pod-privileged-policy"},
      {std::string(kAnnotationLicense), "Apache-2.0"},
      {std::string(kAnnotationKwctlVersion), "1.36.0"},
      {std::string(kAnnotationOciUrl), "ghcr.io/kubewarden/policies/pod-privileged"},
      {std::string(kAnnotationUsage), "# Pod privileged\n\nRejects privileged pods."}};
  m.mutating = false;
  m.minimum_kubewarden_version = "1.10.0";
  return m;
}

TEST(RenderInspectPretty, FullLayout) {
  EXPECT_EQ(RenderInspectPretty(SampleMetadata(), "registry://ghcr.io/x/pod-privileged:v1"),
            "Details\n"
            "title:                      pod-privileged\n"
            "description:                Limit the ability to create privileged containers\n"
            "author:                     Jane Doe <jane@example.com>\n"
            "url:                        https://github.com/kubewarden/pod-privileged-policy\n"
            "source:                     https://github.com/kubewarden/pod-privileged-policy\n"
            "license:                    Apache-2.0\n"
            "mutating:                   false\n"
            "background audit support:   true\n"
            "context aware:              false\n"
            "policy type:                kubernetes\n"
            "execution mode:             kubewarden-wapc\n"
            "protocol version:           1\n"
            "minimum kubewarden version: 1.10.0\n"
            "\n"
            "Annotations\n"
            "io.kubewarden.kwctl         1.36.0\n"
            "io.kubewarden.policy.ociUrl ghcr.io/kubewarden/policies/pod-privileged\n"
            "\n"
            "Rules\n"
            "```yaml\n"
            "- apiGroups:\n"
            "  - \"\"\n"
            "  apiVersions:\n"
            "  - v1\n"
            "  resources:\n"
            "  - pods\n"
            "  operations:\n"
            "  - CREATE\n"
            "  - UPDATE\n"
            "```\n"
            "\n"
            "Usage\n"
            "# Pod privileged\n"
            "\n"
            "Rejects privileged pods.\n");
}

TEST(RenderInspectPretty, MinimalMetadata) {
  Metadata m;
  m.execution_mode = ExecutionMode::kOpa;
  m.protocol_version = ProtocolVersion::kUnknown;
  m.policy_type = PolicyType::kRaw;
  m.background_audit = false;
  m.mutating = true;
  std::string out = RenderInspectPretty(m, "file:///tmp/policy.wasm");
  EXPECT_EQ(out,
            "Details\n"
            "mutating:                 true\n"
            "background audit support: false\n"
            "context aware:            false\n"
            "policy type:              raw\n"
            "execution mode:           opa\n"
            "\n"
            "Rules\n"
            "```yaml\n"
            "[]\n"
            "```\n");
}

TEST(RenderInspectPretty, ProtocolVersionOnlyForWapc) {
  Metadata m = SampleMetadata();
  m.protocol_version = ProtocolVersion::kUnknown;
  EXPECT_THAT(RenderInspectPretty(m, "x"), HasSubstr("protocol version:           0\n"));
  m.execution_mode = ExecutionMode::kWasi;
  EXPECT_THAT(RenderInspectPretty(m, "x"), Not(HasSubstr("protocol version:")));
}

TEST(RenderInspectPretty, ContextAwareSection) {
  Metadata m = SampleMetadata();
  m.annotations.reset();
  m.context_aware_resources = {{"apps/v1", "Deployment"}, {"v1", "Namespace"}};
  std::string out = RenderInspectPretty(m, "registry://ghcr.io/x/p:v1");
  EXPECT_THAT(out, HasSubstr("context aware:              true\n"));
  EXPECT_THAT(out, HasSubstr("\nContext Aware\n"
                             "The policy requires access to the following resources:\n"
                             "```yaml\n"
                             "- apiVersion: apps/v1\n"
                             "  kind: Deployment\n"
                             "- apiVersion: v1\n"
                             "  kind: Namespace\n"
                             "```\n"));
  EXPECT_THAT(out, HasSubstr("kwctl run --allow-context-aware registry://ghcr.io/x/p:v1"));
  EXPECT_THAT(out, Not(HasSubstr("Annotations")));
  EXPECT_THAT(out, Not(HasSubstr("Usage")));
}

TEST(RenderInspectPretty, MultiLineAnnotationValuesStayInTheirColumn) {
  Metadata m;
  m.annotations = std::map<std::string, std::string>{{"a", "line1\nline2"}, {"bbb", "x"}};
  EXPECT_THAT(RenderInspectPretty(m, "x"), HasSubstr("Annotations\n"
                                                     "a   line1\n"
                                                     "    line2\n"
                                                     "bbb x\n"));
}

TEST(RenderInspectYaml, IsTheMetadataObject) {
  Metadata m = SampleMetadata();
  m.context_aware_resources = {{"v1", "Namespace"}};
  std::string yaml = RenderInspectYaml(m);
  EXPECT_THAT(yaml, testing::StartsWith("protocolVersion: v1\nrules:\n- apiGroups:\n"));
  EXPECT_THAT(yaml, HasSubstr("\nmutating: false\nbackgroundAudit: true\n"));
  EXPECT_THAT(yaml, HasSubstr("  io.kubewarden.policy.usage: |-\n    # Pod privileged\n"));
  auto back = ParseYamlAsJson(yaml);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, MetadataToJson(m));
  auto metadata = MetadataFromJson(*back);
  ASSERT_TRUE(metadata.has_value());
  EXPECT_EQ(*metadata, m);
}

}  // namespace
}  // namespace kw::policy
