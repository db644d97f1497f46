#include "oci/artifact.h"

#include <gtest/gtest.h>

#include "policy/metadata.h"
#include "testing/module_builder.h"

namespace kw::oci {
namespace {

std::vector<std::uint8_t> AnnotatedModule(std::map<std::string, std::string> annotations) {
  policy::Metadata metadata;
  metadata.protocol_version = policy::ProtocolVersion::kV1;
  metadata.annotations = std::move(annotations);
  auto bytes = policy::WriteMetadata(policy::testing::ModuleBuilder().Build(), metadata);
  EXPECT_TRUE(bytes.has_value());
  return *bytes;
}

TEST(BuildArtifact, MatchesUpstreamsShape) {
  const auto module = AnnotatedModule({{"io.kubewarden.policy.title", " title "},
                                       {"io.kubewarden.policy.source", "https://src"},
                                       {"io.kubewarden.policy.usage", "line 1\nline 2"}});
  auto artifact = BuildArtifact(module);
  ASSERT_TRUE(artifact.has_value()) << artifact.error().message;
  const std::string_view bytes(reinterpret_cast<const char*>(module.data()), module.size());
  EXPECT_EQ(artifact->config, "{}");
  EXPECT_EQ(artifact->config_descriptor.digest,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  EXPECT_EQ(artifact->layer.digest, Sha256DigestOf(bytes));
  EXPECT_EQ(artifact->manifest,
            "{\"annotations\":{\"io.kubewarden.policy.source\":\"https://src\","
            "\"io.kubewarden.policy.title\":\"title\","
            "\"org.opencontainers.image.source\":\"https://src\"},"
            "\"config\":{\"digest\":\"sha256:"
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\","
            "\"mediaType\":\"application/vnd.wasm.config.v1+json\",\"size\":2},"
            "\"layers\":[{\"digest\":\"" +
                artifact->layer.digest +
                "\",\"mediaType\":\"application/vnd.wasm.content.layer.v1+wasm\",\"size\":" +
                std::to_string(module.size()) + "}],\"schemaVersion\":2}");
  // And the pull side reads it back.
  auto layer = PickWasmLayer(artifact->manifest, 1u << 20);
  ASSERT_TRUE(layer.has_value()) << layer.error().message;
  EXPECT_EQ(layer->digest, artifact->layer.digest);
  EXPECT_EQ(layer->size, module.size());
}

TEST(BuildArtifact, OmitsAnnotationsWithoutMetadataAndRejectsNonWasm) {
  auto plain = BuildArtifact(policy::testing::ModuleBuilder().Build());
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->manifest.find("annotations"), std::string::npos);
  const std::string text = "not wasm";
  auto bad =
      BuildArtifact(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kBadModule);
}

TEST(ManifestAnnotations, KeepsAnExplicitImageSource) {
  auto out = ManifestAnnotations(
      {{"io.kubewarden.policy.source", "a"}, {"org.opencontainers.image.source", "b"}});
  EXPECT_EQ(out["org.opencontainers.image.source"], "b");
}

TEST(PickWasmLayer, RefusesWhatIsNotAPolicy) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  const std::string wasm = "application/vnd.wasm.content.layer.v1+wasm";
  const auto manifest = [&](std::string layers, int schema = 2) {
    return "{\"schemaVersion\":" + std::to_string(schema) + ",\"layers\":" + layers + "}";
  };
  const std::string good =
      "{\"mediaType\":\"" + wasm + "\",\"digest\":\"" + digest + "\",\"size\":10}";
  ASSERT_TRUE(PickWasmLayer(manifest("[" + good + "]"), 10).has_value());
  const struct {
    std::string text;
    const char* why;
  } cases[] = {
      {"not json", "invalid OCI manifest"},
      {manifest("[" + good + "]", 1), "schemaVersion"},
      {manifest("[]"), "no layers"},
      {manifest("[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" +
                digest + "\",\"size\":1}]"),
       "media type"},
      {manifest("[{\"mediaType\":\"" + wasm + "\",\"digest\":\"sha256:zz\",\"size\":1}]"),
       "digest"},
      {manifest("[{\"mediaType\":\"" + wasm + "\",\"digest\":\"" + digest + "\",\"size\":-1}]"),
       "size"},
      {manifest("[" + good + "]"), "limit"},  // with a cap of 9 bytes below
      {"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
       "\"manifests\":[]}",
       "index"},
  };
  for (const auto& c : cases) {
    auto layer = PickWasmLayer(c.text, 9);
    ASSERT_FALSE(layer.has_value()) << c.text;
    EXPECT_NE(layer.error().message.find(c.why), std::string::npos)
        << c.text << " -> " << layer.error().message;
  }
}

TEST(CanonicalJson, SortsKeysAtEveryLevel) {
  json::value v = {{"b", 1},
                   {"a", {{"d", json::array{json::object{{"z", 1}, {"y", 2}}}}, {"c", "x"}}}};
  EXPECT_EQ(CanonicalJson(v), R"({"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1})");
}

}  // namespace
}  // namespace kw::oci
