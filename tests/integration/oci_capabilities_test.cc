// The `oci` host capabilities (capabilities/oci.h) through the dispatcher, against a real
// docker-registry on loopback (tests/testing/registry.h): digests, manifests (image and index),
// manifest and config, cosign verification (keys, keyless with a fake Sigstore, certificates,
// annotations), the one-minute cache and the errors a policy sees.
#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/json.h"
#include "capabilities/capabilities.h"
#include "oci/artifact.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "testing/cosign.h"
#include "testing/cosign_registry.h"
#include "testing/json.h"
#include "testing/registry.h"
#include "testing/registry_client.h"
#include "verify/verify.h"

namespace kw::capabilities {
namespace {

const host::HostCapabilities kAll = host::HostCapabilities::AllowAll();

constexpr std::string_view kHostArchitecture =
#if defined(__aarch64__)
    "arm64";
#else
    "amd64";
#endif

std::string Json(const json::value& v) { return ToJson(v); }

json::array Bytes(std::string_view bytes) {
  json::array out;
  for (unsigned char b : bytes) out.emplace_back(b);
  return out;
}

class OciCapabilitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    registry_ = std::make_unique<testing::TestRegistry>();
    options_ = testing::TestRegistryOptions(*registry_);
    client_ = testing::TestRegistryClient(options_);
    ASSERT_TRUE(client_);
    repository_ = registry_->host() + "/kw/app";
    image_ = repository_ + ":v1";
    digest_ = PushImage(image_, R"({"architecture":"amd64","os":"linux","config":{}})",
                        "layer one");
    key_ = testing::GenerateCosignKey();
  }

  // A dispatcher whose oci provider reaches the test registry (and trusts `trust_root_json`).
  host::DispatcherSharedPtr Dispatcher(const std::string& trust_root_json = "") {
    DispatcherOptions options;
    options.oci.registry.sources = options_.sources;
    options.oci.registry.docker_config_dir = options_.docker_config_dir;
    if (!trust_root_json.empty()) {
      auto root = verify::TrustRoot::Parse(trust_root_json);
      EXPECT_TRUE(root) << root.error().message;
      if (root) options.oci.trust_root = *root;
    }
    return MakeDispatcher(std::move(options));
  }

  Result<std::string> Call(const host::Dispatcher& dispatcher, std::string_view operation,
                           const json::value& payload) {
    host::CallContext ctx{"oci-test", &kAll};
    ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    return dispatcher.Call(ctx, "kubewarden", "oci", operation, Json(payload));
  }

  // Pushes an image manifest with `config` and one layer under `reference`; returns its digest.
  std::string PushImage(const std::string& reference, const std::string& config,
                        const std::string& layer) {
    auto ref = oci::ParseReference(reference);
    EXPECT_TRUE(ref);
    EXPECT_TRUE(client_->PushBlob(*ref, config, oci::Sha256DigestOf(config)));
    EXPECT_TRUE(client_->PushBlob(*ref, layer, oci::Sha256DigestOf(layer)));
    json::object manifest{
        {"schemaVersion", 2},
        {"mediaType", oci::kOciManifestMediaType},
        {"config", json::object{{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                {"digest", oci::Sha256DigestOf(config)},
                                {"size", config.size()}}},
        {"layers", json::array{json::object{
                       {"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                       {"digest", oci::Sha256DigestOf(layer)},
                       {"size", layer.size()}}}}};
    manifests_[reference] = json::serialize(manifest);
    auto pushed = client_->PushManifest(*ref, manifests_[reference], oci::kOciManifestMediaType);
    EXPECT_TRUE(pushed) << pushed.error().message;
    return pushed.value_or("");
  }

  // Signs `digest_` with `key` (and `annotations`), as cosign would.
  void Sign(const testing::CosignKey& key, const testing::StringMap& annotations = {}) {
    testing::PushCosignSignatures(
        repository_, digest_,
        {testing::KeyedLayer(key, testing::SimpleSigningPayload(image_, digest_, annotations))},
        options_);
  }

  std::string Trusted() const {
    return Json(json::object{{"is_trusted", true}, {"digest", digest_}});
  }

  json::object PubKeyRequest(const std::string& pem, json::value annotations = nullptr) const {
    return json::object{{"type", "SigstorePubKeyVerify"},
                        {"image", image_},
                        {"pub_keys", json::array{pem}},
                        {"annotations", std::move(annotations)}};
  }

  oci::RegistryOptions options_;
  std::unique_ptr<testing::TestRegistry> registry_;
  std::unique_ptr<oci::RegistryClient> client_;
  std::map<std::string, std::string> manifests_;  // as pushed, by reference
  std::string repository_, image_, digest_;
  testing::CosignKey key_;
};

TEST_F(OciCapabilitiesTest, ManifestDigest) {
  auto dispatcher = Dispatcher();
  EXPECT_EQ(Call(*dispatcher, "v1/manifest_digest", json::string(image_)),
            Json(json::object{{"digest", digest_}}));
  auto unknown = Call(*dispatcher, "v1/manifest_digest", json::string(repository_ + ":nope"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kHostError);
  EXPECT_TRUE(unknown.error().message.starts_with("oci/v1/manifest_digest of " + repository_ +
                                                  ":nope: "))
      << unknown.error().message;
}

TEST_F(OciCapabilitiesTest, ManifestOfAnImageIsWhatTheRegistrySent) {
  auto dispatcher = Dispatcher();
  EXPECT_EQ(Call(*dispatcher, "v1/oci_manifest", json::string(image_)), manifests_[image_]);
}

TEST_F(OciCapabilitiesTest, ManifestAndConfigOfAnImage) {
  auto dispatcher = Dispatcher();
  auto answer = Call(*dispatcher, "v1/oci_manifest_config", json::string(image_));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(testing::J(*answer),
            (json::value{{"manifest", testing::J(manifests_[image_])},
                         {"digest", digest_},
                         {"config", testing::J(R"({"architecture":"amd64","os":"linux",
                                                   "config":{}})")}}));
}

TEST_F(OciCapabilitiesTest, IndexGivesItsManifestAndThePlatformsManifestAndConfig) {
  const std::string other_arch = kHostArchitecture == "amd64" ? "arm64" : "amd64";
  const std::string mine = PushImage(repository_ + ":mine", R"({"os":"linux","mine":true})", "m");
  const std::string theirs =
      PushImage(repository_ + ":theirs", R"({"os":"linux","mine":false})", "t");
  auto entry = [&](const std::string& reference, const std::string& digest,
                   std::string_view arch) {
    return json::object{{"mediaType", oci::kOciManifestMediaType},
                        {"digest", digest},
                        {"size", manifests_[reference].size()},
                        {"platform", json::object{{"os", "linux"}, {"architecture", arch}}}};
  };
  const std::string index = json::serialize(json::object{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests", json::array{entry(repository_ + ":theirs", theirs, other_arch),
                                entry(repository_ + ":mine", mine, kHostArchitecture)}}});
  auto ref = oci::ParseReference(repository_ + ":multi");
  ASSERT_TRUE(ref);
  ASSERT_TRUE(client_->PushManifest(*ref, index, "application/vnd.oci.image.index.v1+json"));

  auto dispatcher = Dispatcher();
  EXPECT_EQ(Call(*dispatcher, "v1/oci_manifest", json::string(ref->Whole())), index);
  auto answer = Call(*dispatcher, "v1/oci_manifest_config", json::string(ref->Whole()));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(testing::J(*answer),
            (json::value{{"manifest", testing::J(manifests_[repository_ + ":mine"])},
                         {"digest", mine},
                         {"config", json::object{{"os", "linux"}, {"mine", true}}}}));
}

TEST_F(OciCapabilitiesTest, VerifiesWithAKey) {
  Sign(key_, {{"env", "prod"}});
  auto dispatcher = Dispatcher();
  EXPECT_EQ(Call(*dispatcher, "v2/verify", PubKeyRequest(key_.public_pem)), Trusted());
  EXPECT_EQ(Call(*dispatcher, "v2/verify",
                 PubKeyRequest(key_.public_pem, json::object{{"env", "prod"}})),
            Trusted());
  json::object v1 = PubKeyRequest(key_.public_pem);
  v1.erase("type");
  EXPECT_EQ(Call(*dispatcher, "v1/verify", json::object{{"SigstorePubKeyVerify", v1}}),
            Trusted());
}

TEST_F(OciCapabilitiesTest, AWrongKeyOrMissingAnnotationIsAHostError) {
  Sign(key_, {{"env", "prod"}});
  auto dispatcher = Dispatcher();
  const std::string failed = "oci/v2/verify of " + image_ + ": Image verification failed: ";

  auto wrong_key =
      Call(*dispatcher, "v2/verify", PubKeyRequest(testing::GenerateCosignKey().public_pem));
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().kind, ErrorKind::kHostError);
  EXPECT_TRUE(wrong_key.error().message.starts_with(failed + "missing signatures"))
      << wrong_key.error().message;

  auto wrong_annotation = Call(*dispatcher, "v2/verify",
                               PubKeyRequest(key_.public_pem, json::object{{"env", "dev"}}));
  ASSERT_FALSE(wrong_annotation);
  EXPECT_TRUE(wrong_annotation.error().message.starts_with(failed + "missing signatures"))
      << wrong_annotation.error().message;
  EXPECT_NE(wrong_annotation.error().message.find("annotation 'env' does not have value 'dev'"),
            std::string::npos)
      << wrong_annotation.error().message;

  auto unsigned_image = Call(*dispatcher, "v2/verify",
                             json::object{{"type", "SigstorePubKeyVerify"},
                                          {"image", repository_ + ":unsigned"},
                                          {"pub_keys", json::array{key_.public_pem}}});
  ASSERT_FALSE(unsigned_image);
  EXPECT_TRUE(unsigned_image.error().message.starts_with("oci/v2/verify of " + repository_ +
                                                         ":unsigned: "))
      << unsigned_image.error().message;
}

TEST_F(OciCapabilitiesTest, VerifiesKeylessCertificateAndGithubSignatures) {
  testing::FakeSigstore sigstore;
  const std::int64_t now = std::time(nullptr);
  const std::string payload = testing::SimpleSigningPayload(image_, digest_);
  testing::CosignLayer keyless = sigstore.KeylessLayer(
      payload, {.email = "dev@example.com", .issuer = "https://issuer.example"}, now - 3600);
  testing::CosignLayer github = sigstore.KeylessLayer(
      payload,
      {.uri = "https://github.com/kubewarden/app/.github/workflows/release.yml@refs/tags/v1",
       .issuer = "https://token.actions.githubusercontent.com"},
      now - 3600);
  testing::PushCosignSignatures(repository_, digest_, {keyless, github}, options_);
  auto dispatcher = Dispatcher(sigstore.TrustedRootJson());

  EXPECT_EQ(Call(*dispatcher, "v2/verify",
                 json::object{{"type", "SigstoreKeylessVerify"},
                              {"image", image_},
                              {"keyless", json::array{json::object{
                                              {"issuer", "https://issuer.example"},
                                              {"subject", "dev@example.com"}}}}}),
            Trusted());
  EXPECT_EQ(Call(*dispatcher, "v2/verify",
                 json::object{{"type", "SigstoreKeylessPrefixVerify"},
                              {"image", image_},
                              {"keyless_prefix",
                               json::array{json::object{
                                   {"issuer", "https://token.actions.githubusercontent.com"},
                                   {"url_prefix", "https://github.com/kubewarden"}}}}}),
            Trusted());
  EXPECT_EQ(Call(*dispatcher, "v2/verify",
                 json::object{{"type", "SigstoreGithubActionsVerify"},
                              {"image", image_},
                              {"owner", "kubewarden"},
                              {"repo", "app"}}),
            Trusted());
  auto other_owner = Call(*dispatcher, "v2/verify",
                          json::object{{"type", "SigstoreGithubActionsVerify"},
                                       {"image", image_},
                                       {"owner", "someone-else"}});
  ASSERT_FALSE(other_owner);
  EXPECT_NE(other_owner.error().message.find("Image verification failed"), std::string::npos);

  // The keyless layer's own certificate, as `cosign sign --certificate` would have used it.
  const std::string cert = keyless.annotations.at(std::string(verify::kCertificateAnnotation));
  const std::string chain = keyless.annotations.at(std::string(verify::kChainAnnotation));
  auto certificate = [&](bool rekor, json::value chain_value) {
    return json::object{{"type", "SigstoreCertificateVerify"},
                        {"image", image_},
                        {"certificate", Bytes(cert)},
                        {"certificate_chain", std::move(chain_value)},
                        {"require_rekor_bundle", rekor},
                        {"annotations", nullptr}};
  };
  const json::value chain_bytes = Bytes(chain);  // a value: json::array{an array} copies it
  EXPECT_EQ(Call(*dispatcher, "v2/verify", certificate(true, json::array{chain_bytes})), Trusted());
  EXPECT_EQ(Call(*dispatcher, "v2/verify", certificate(true, nullptr)), Trusted());
  // The short-lived certificate expired long ago: only the Rekor bundle dates the signature.
  auto undated = Call(*dispatcher, "v2/verify", certificate(false, json::array{chain_bytes}));
  ASSERT_FALSE(undated);
  EXPECT_NE(undated.error().message.find("not trusted by the certificate chain"),
            std::string::npos)
      << undated.error().message;
  // Without a trust root there is no verified bundle.
  auto no_root = Call(*Dispatcher(), "v2/verify", certificate(true, nullptr));
  ASSERT_FALSE(no_root);
  EXPECT_NE(no_root.error().message.find("no verified Rekor bundle"), std::string::npos)
      << no_root.error().message;
}

TEST_F(OciCapabilitiesTest, AnswersFromItsCacheWhileTheRegistryIsDown) {
  Sign(key_);
  auto dispatcher = Dispatcher();
  const json::value digest_request = json::string(image_);
  auto digest = Call(*dispatcher, "v1/manifest_digest", digest_request);
  auto manifest = Call(*dispatcher, "v1/oci_manifest", digest_request);
  auto config = Call(*dispatcher, "v1/oci_manifest_config", digest_request);
  auto verified = Call(*dispatcher, "v2/verify", PubKeyRequest(key_.public_pem));
  ASSERT_TRUE(digest && manifest && config && verified);
  auto failed = Call(*dispatcher, "v2/verify",
                     PubKeyRequest(testing::GenerateCosignKey().public_pem));
  ASSERT_FALSE(failed);

  registry_.reset();  // stopped: only the cache can answer now

  EXPECT_EQ(Call(*dispatcher, "v1/manifest_digest", digest_request), *digest);
  EXPECT_EQ(Call(*dispatcher, "v1/oci_manifest", digest_request), *manifest);
  EXPECT_EQ(Call(*dispatcher, "v1/oci_manifest_config", digest_request), *config);
  EXPECT_EQ(Call(*dispatcher, "v2/verify", PubKeyRequest(key_.public_pem)), *verified);
  // A failed verification was not kept: it is tried again, and the registry is gone.
  auto retried = Call(*dispatcher, "v2/verify",
                      PubKeyRequest(testing::GenerateCosignKey().public_pem));
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().message.find("Image verification failed"), std::string::npos)
      << retried.error().message;
  auto unreachable =
      Call(*dispatcher, "v1/manifest_digest", json::string(repository_ + ":other"));
  ASSERT_FALSE(unreachable);
  EXPECT_TRUE(unreachable.error().message.starts_with("oci/v1/manifest_digest of " +
                                                      repository_ + ":other: "))
      << unreachable.error().message;
}

TEST_F(OciCapabilitiesTest, APolicyPastItsDeadlineIsNotHeldInTheHost) {
  auto dispatcher = Dispatcher();
  host::CallContext ctx{"oci-test", &kAll};
  ctx.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  auto late = dispatcher->Call(ctx, "kubewarden", "oci", "v1/manifest_digest",
                               Json(json::string(image_)));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().message,
            "oci/v1/manifest_digest of " + image_ + ": the policy's deadline has passed");
}

TEST_F(OciCapabilitiesTest, MalformedPayloadsAreHostErrors) {
  auto dispatcher = Dispatcher();
  auto not_a_string = Call(*dispatcher, "v1/manifest_digest", json::array{});
  ASSERT_FALSE(not_a_string);
  EXPECT_EQ(not_a_string.error().message,
            "cannot decode the oci/v1/manifest_digest payload: expected a JSON string (the image "
            "reference)");
  auto unknown_type =
      Call(*dispatcher, "v2/verify", json::object{{"type", "Magic"}, {"image", image_}});
  ASSERT_FALSE(unknown_type);
  EXPECT_TRUE(unknown_type.error().message.starts_with(
      "cannot decode the oci/v2/verify payload: unknown type 'Magic'"))
      << unknown_type.error().message;
}

}  // namespace
}  // namespace kw::capabilities
