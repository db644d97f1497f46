#include "testing/cosign_registry.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "oci/artifact.h"
#include "oci/reference.h"

namespace kw::testing {

void PushCosignSignatures(const std::string& repository, const std::string& digest,
                          const std::vector<CosignLayer>& layers,
                          const oci::RegistryOptions& options) {
  auto client = oci::RegistryClient::Create(options);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  const std::string hex = digest.substr(digest.find(':') + 1);
  auto ref = oci::ParseReference(repository + ":sha256-" + hex + ".sig");
  ASSERT_TRUE(ref.has_value()) << ref.error().message;
  const std::string config = "{}";
  const std::string config_digest = oci::Sha256DigestOf(config);
  ASSERT_TRUE((*client)->PushBlob(*ref, config, config_digest).has_value());
  json::array json_layers;
  for (const auto& layer : layers) {
    auto blob = (*client)->PushBlob(*ref, layer.payload, layer.digest);
    ASSERT_TRUE(blob.has_value()) << blob.error().message;
    json::object annotations;
    for (const auto& [k, v] : layer.annotations) annotations[k] = v;
    json_layers.push_back(json::object{{"mediaType", layer.media_type},
                                       {"digest", layer.digest},
                                       {"size", layer.payload.size()},
                                       {"annotations", annotations}});
  }
  json::object manifest{
      {"schemaVersion", 2},
      {"mediaType", oci::kOciManifestMediaType},
      {"config", json::object{{"mediaType", "application/vnd.oci.image.config.v1+json"},
                              {"digest", config_digest},
                              {"size", config.size()}}},
      {"layers", json_layers}};
  auto pushed =
      (*client)->PushManifest(*ref, json::serialize(manifest), oci::kOciManifestMediaType);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
}

}  // namespace kw::testing
