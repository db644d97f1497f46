// loader::RegistrySignatureSource against hostile signature manifests, and what verify::Verify
// makes of them (tooling.md §4.2 steps 2-3). Two registries serve them:
//   - the real one (Debian's docker-registry on loopback, tests/testing/registry.h), for what a
//     registry accepts on push: too many layers, garbage layers around a good cosign signature,
//     an image index, a blob tampered with in the registry's storage;
//   - a scripted one (tests/testing/scripted_http_server.h), for what a real registry refuses
//     to store but a hostile one may still serve: manifests that are not JSON objects with a
//     `layers` list, malformed descriptors, manifests beyond the cap, blobs that do not match
//     their digest; it records the blob requests, which shows what was never downloaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <set>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/json.h"
#include "loader/registry_signatures.h"
#include "oci/artifact.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "testing/cosign.h"
#include "testing/process.h"
#include "testing/registry.h"
#include "testing/scripted_http_server.h"
#include "verify/config.h"
#include "verify/verify.h"

namespace kw::loader {
namespace {

constexpr std::string_view kOciIndexMediaType = "application/vnd.oci.image.index.v1+json";
const std::string kEmptyModule("\0asm\1\0\0\0", 8);

json::object DescriptorJson(const testing::CosignLayer& layer) {
  json::object annotations;
  for (const auto& [k, v] : layer.annotations) annotations[k] = v;
  return json::object{{"mediaType", layer.media_type},
                      {"digest", layer.digest},
                      {"size", layer.payload.size()},
                      {"annotations", annotations}};
}

// A cosign-style signature manifest (OCI image manifest) with `layers`.
std::string SignatureManifest(json::array layers) {
  const std::string config = "{}";
  return json::serialize(json::object{
      {"schemaVersion", 2},
      {"mediaType", oci::kOciManifestMediaType},
      {"config", json::object{{"mediaType", "application/vnd.oci.image.config.v1+json"},
                              {"digest", oci::Sha256DigestOf(config)},
                              {"size", config.size()}}},
      {"layers", std::move(layers)}});
}

verify::VerificationConfig RequireKey(const testing::CosignKey& key) {
  return verify::VerificationConfig{.all_of = {verify::PubKeySignature{.key = key.public_pem}}};
}

std::vector<std::string> Digests(const std::vector<verify::SignatureLayer>& layers) {
  std::vector<std::string> out;
  for (const auto& layer : layers) out.push_back(layer.digest);
  return out;
}

// What both fixtures share: a client of the registry under test, the policy `repository_` at
// `digest_`, and the key its good signatures are made with.
class SignatureSourceTest : public ::testing::Test {
 protected:
  // A layer signed by `key` for `digest` (the policy's by default).
  testing::CosignLayer Signed(const testing::CosignKey& key, std::string digest = "") {
    return testing::KeyedLayer(
        key, testing::SimpleSigningPayload(repository_, digest.empty() ? digest_ : digest));
  }

  Result<std::vector<verify::SignatureLayer>> Signatures() {
    RegistrySignatureSource source(*client_);
    return source.Signatures(repository_ + ":v1", digest_);
  }

  Result<verify::VerifiedImage> Verify() {
    RegistrySignatureSource source(*client_);
    return verify::Verify(RequireKey(key_), source, repository_ + ":v1", digest_);
  }

  oci::RegistryOptions options_;
  std::unique_ptr<oci::RegistryClient> client_;
  std::string repository_;
  std::string digest_;
  testing::CosignKey key_;
};

// --- Against the real registry ------------------------------------------------------------

class RegistrySignatureSourceTest : public SignatureSourceTest {
 protected:
  void SetUp() override {
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    registry_ = std::make_unique<testing::TestRegistry>();
    options_.sources.insecure_sources.insert(registry_->host());
    options_.docker_config_dir = testing::MakeTempDir();  // never the user's credentials
    auto client = oci::RegistryClient::Create(options_);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    client_ = std::move(*client);
    repository_ = registry_->host() + "/kw/signed";
    auto ref = oci::ParseReference(repository_ + ":v1");
    ASSERT_TRUE(ref.has_value());
    auto pushed = client_->PushPolicy(
        *ref, std::span(reinterpret_cast<const std::uint8_t*>(kEmptyModule.data()),
                        kEmptyModule.size()));
    ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
    digest_ = pushed->substr(pushed->find('@') + 1);
    auto sig = oci::ParseReference(repository_ + ":sha256-" + digest_.substr(7) + ".sig");
    ASSERT_TRUE(sig.has_value());
    sig_ref_ = *sig;
    key_ = testing::GenerateCosignKey();
  }

  // Uploads the layer's blob and returns its descriptor.
  json::object Pushed(const testing::CosignLayer& layer) {
    auto pushed = client_->PushBlob(sig_ref_, layer.payload, layer.digest);
    EXPECT_TRUE(pushed.has_value()) << pushed.error().message;
    return DescriptorJson(layer);
  }

  // PUTs `manifest` as the signature manifest of the policy (config blob uploaded first).
  void PushSignatureManifest(const std::string& manifest,
                             std::string_view content_type = oci::kOciManifestMediaType) {
    ASSERT_TRUE(client_->PushBlob(sig_ref_, "{}", oci::Sha256DigestOf("{}")).has_value());
    auto pushed = client_->PushManifest(sig_ref_, manifest, content_type);
    ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  }

  // The registry's filesystem layout: blobs/sha256/<2 hex>/<hex>/data.
  std::string BlobFile(const std::string& digest) const {
    const std::string hex = digest.substr(7);
    return registry_->storage_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) +
           "/" + hex + "/data";
  }

  std::unique_ptr<testing::TestRegistry> registry_;
  oci::Reference sig_ref_;
};

TEST_F(RegistrySignatureSourceTest, MissingSignatureManifestIsNoSignatures) {
  auto layers = Signatures();
  ASSERT_TRUE(layers.has_value()) << layers.error().message;
  EXPECT_TRUE(layers->empty());

  auto verified = Verify();
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(verified.error().message.starts_with(
      "Image verification failed: no signatures found for " + repository_ + ":v1"))
      << verified.error().message;
}

TEST_F(RegistrySignatureSourceTest, GoodSignatureAmongGarbageLayersVerifies) {
  testing::CosignLayer wrong_media_type = Signed(key_);
  wrong_media_type.media_type = "application/octet-stream";
  testing::CosignLayer other_key = Signed(testing::GenerateCosignKey());
  testing::CosignLayer other_image = Signed(key_, "sha256:" + std::string(64, 'a'));
  testing::CosignLayer unsigned_layer = Signed(key_);
  unsigned_layer.annotations.clear();
  testing::CosignLayer not_json = testing::KeyedLayer(key_, "this is not JSON");
  testing::CosignLayer bad_base64 = Signed(key_);
  bad_base64.annotations[std::string(verify::kSignatureAnnotation)] = "%%% not base64 %%%";
  // A well-formed layer declaring more than the payload cap: skipped without a download (the
  // blob is 2 bytes, so a download would fail on the size and fail the whole call).
  testing::CosignLayer oversized = testing::KeyedLayer(key_, "{}");
  json::object oversized_descriptor = Pushed(oversized);
  oversized_descriptor["size"] = verify::kMaxPayloadBytes + 1;
  const testing::CosignLayer good = Signed(key_);

  json::array layers = {Pushed(wrong_media_type), Pushed(other_key),  Pushed(other_image),
                        oversized_descriptor,     Pushed(unsigned_layer), Pushed(not_json),
                        Pushed(bad_base64),       Pushed(good)};
  PushSignatureManifest(SignatureManifest(layers));

  auto got = Signatures();
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(Digests(*got),
            (std::vector<std::string>{wrong_media_type.digest, other_key.digest, other_image.digest,
                                      unsigned_layer.digest, not_json.digest, bad_base64.digest,
                                      good.digest}));
  // What the descriptors say, and the blobs as stored.
  EXPECT_EQ(got->front().media_type, "application/octet-stream");
  EXPECT_EQ(got->front().payload, wrong_media_type.payload);
  EXPECT_EQ(got->back().media_type, verify::kSimpleSigningMediaType);
  EXPECT_EQ(got->back().payload, good.payload);
  EXPECT_EQ(got->back().annotations, good.annotations);

  auto verified = Verify();
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->digest, digest_);

  // Each garbage layer alone is refused (so the good one is what made the difference).
  layers.pop_back();
  for (const json::value& layer : layers) {
    SCOPED_TRACE(json::serialize(layer).substr(0, 160));
    PushSignatureManifest(SignatureManifest({layer}));
    auto refused = Verify();
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(refused.error().message.starts_with("Image verification failed"))
        << refused.error().message;
  }
}

TEST_F(RegistrySignatureSourceTest, OnlyTheFirstMaxSignatureLayersAreRead) {
  const testing::CosignLayer garbage = Signed(testing::GenerateCosignKey());
  const testing::CosignLayer good = Signed(key_);
  const json::object garbage_descriptor = Pushed(garbage);
  const json::object good_descriptor = Pushed(good);

  // The good signature is layer kMaxSignatureLayers + 1: never read.
  json::array layers(verify::kMaxSignatureLayers, garbage_descriptor);
  layers.push_back(good_descriptor);
  PushSignatureManifest(SignatureManifest(layers));
  auto got = Signatures();
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->size(), verify::kMaxSignatureLayers);
  EXPECT_TRUE(std::all_of(got->begin(), got->end(),
                          [&](const auto& l) { return l.digest == garbage.digest; }));
  auto refused = Verify();
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().message.starts_with("Image verification failed: missing signatures"))
      << refused.error().message;

  // As the last layer that is read, it counts.
  layers = json::array(verify::kMaxSignatureLayers - 1, garbage_descriptor);
  layers.push_back(good_descriptor);
  layers.push_back(garbage_descriptor);
  PushSignatureManifest(SignatureManifest(layers));
  got = Signatures();
  ASSERT_TRUE(got.has_value()) << got.error().message;
  ASSERT_EQ(got->size(), verify::kMaxSignatureLayers);
  EXPECT_EQ(got->back().digest, good.digest);
  auto verified = Verify();
  EXPECT_TRUE(verified.has_value()) << verified.error().message;
}

TEST_F(RegistrySignatureSourceTest, LayerWhoseBlobWasTamperedWithIsNeverAccepted) {
  // The registry stores the signed payload; then its stored bytes change (same size) to a
  // payload that signs nothing. Whatever the source does with it, Verify must not succeed.
  const testing::CosignLayer good = Signed(key_);
  PushSignatureManifest(SignatureManifest({Pushed(good)}));
  ASSERT_TRUE(Verify().has_value());  // untampered, it verifies

  std::string tampered = good.payload;
  tampered[tampered.find("sha256:") + 7] ^= 1;  // now signs another digest
  ASSERT_TRUE(WriteFile(BlobFile(good.digest), tampered).has_value());
  auto got = Signatures();
  if (got.has_value()) {
    for (const auto& layer : *got) EXPECT_NE(layer.payload, tampered);
  } else {
    EXPECT_EQ(got.error().kind, ErrorKind::kIo) << got.error().message;
    EXPECT_NE(got.error().message.find(good.digest), std::string::npos) << got.error().message;
  }
  auto verified = Verify();
  EXPECT_FALSE(verified.has_value());
}

TEST_F(RegistrySignatureSourceTest, ImageIndexInsteadOfAManifestIsInvalidArgument) {
  const std::string index = json::serialize(json::object{
      {"schemaVersion", 2},
      {"mediaType", kOciIndexMediaType},
      {"manifests", json::array{json::object{{"mediaType", oci::kOciManifestMediaType},
                                             {"digest", digest_},
                                             {"size", 0}}}}});
  // The registry checks the index's manifests exist; the policy manifest's size is needed.
  auto policy = client_->PullManifest(*oci::ParseReference(repository_ + "@" + digest_));
  ASSERT_TRUE(policy.has_value()) << policy.error().message;
  json::value parsed = json::parse(index);
  parsed.at("manifests").as_array()[0].as_object()["size"] = policy->bytes.size();
  PushSignatureManifest(json::serialize(parsed), kOciIndexMediaType);

  auto got = Signatures();
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(got.error().message.find("image index"), std::string::npos) << got.error().message;
  auto verified = Verify();
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().kind, ErrorKind::kInvalidArgument);

}

// --- Against a scripted, hostile registry -------------------------------------------------

class HostileRegistryTest : public SignatureSourceTest {
 protected:
  HostileRegistryTest()
      : server_([this](const testing::CapturedRequest& request) { return Answer(request); }) {
    repository_ = server_.host() + "/kw/signed";
    digest_ = oci::Sha256DigestOf("the policy manifest");
    options_.sources.insecure_sources.insert(server_.host());
    options_.docker_config_dir = testing::MakeTempDir();
    client_ = oci::RegistryClient::Create(options_).value();
    key_ = testing::GenerateCosignKey();
  }

  // Serves `manifest` as the signature manifest of the policy.
  void ServeManifest(std::string manifest) {
    std::lock_guard lock(mutex_);
    manifest_ = std::move(manifest);
  }
  // Serves `bytes` as the blob `digest` (whatever their real digest).
  void ServeBlob(const std::string& digest, std::string bytes) {
    std::lock_guard lock(mutex_);
    blobs_[digest] = std::move(bytes);
  }
  // Serves the layer's blob and returns its descriptor.
  json::object Served(const testing::CosignLayer& layer) {
    ServeBlob(layer.digest, layer.payload);
    return DescriptorJson(layer);
  }

  // Serves a signature manifest of `count` good signatures by key_, made distinct by padding
  // layer i's payload with padding(i) blanks; returns their digests in order.
  std::vector<std::string> ServeSignatureLayers(
      std::size_t count, const std::function<std::size_t(std::size_t)>& padding) {
    json::array layers;
    std::vector<std::string> digests;
    for (std::size_t i = 0; i < count; ++i) {
      testing::CosignLayer layer = Signed(key_);
      layer.payload += std::string(padding(i), ' ');
      testing::RefreshDigest(layer);
      layers.push_back(Served(layer));
      digests.push_back(layer.digest);
    }
    ServeManifest(SignatureManifest(layers));
    return digests;
  }

  // The blob digests requested so far, in order.
  std::vector<std::string> BlobRequests() {
    std::vector<std::string> out;
    const std::string prefix = "/v2/kw/signed/blobs/";
    for (const auto& request : server_.Requests()) {
      if (request.target.starts_with(prefix)) out.push_back(request.target.substr(prefix.size()));
    }
    return out;
  }

  testing::ScriptedResponse Answer(const testing::CapturedRequest& request) {
    std::lock_guard lock(mutex_);
    const std::string manifest_path =
        "/v2/kw/signed/manifests/sha256-" + digest_.substr(7) + ".sig";
    const std::string blob_prefix = "/v2/kw/signed/blobs/";
    if (request.target == manifest_path && manifest_) {
      return {.status = manifest_status_,
              .content_type = std::string(oci::kOciManifestMediaType),
              .body = *manifest_};
    }
    if (request.target.starts_with(blob_prefix)) {
      if (auto it = blobs_.find(request.target.substr(blob_prefix.size())); it != blobs_.end()) {
        return {.body = it->second};
      }
    }
    return {.status = 404,
            .content_type = "application/json",
            .body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]})"};
  }

  std::mutex mutex_;
  std::optional<std::string> manifest_;
  int manifest_status_ = 200;
  std::map<std::string, std::string> blobs_;
  testing::ScriptedHttpServer server_;  // last: it stops before what Answer uses goes away
};

TEST_F(HostileRegistryTest, ManifestThatIsNotAnObjectWithALayersListIsInvalidArgument) {
  const std::string good_descriptor = json::serialize(Served(Signed(key_)));
  for (const std::string& manifest :
       {std::string("not JSON at all"), std::string("{\"layers\": ["), std::string("[]"),
        std::string("[" + good_descriptor + "]"), std::string("\"layers\""), std::string("42"),
        std::string("null"), std::string("{}"), std::string("{\"layers\": null}"),
        std::string("{\"layers\": {\"0\": " + good_descriptor + "}}"),
        std::string("{\"layers\": \"" + std::string(1000, 'x') + "\"}"),
        std::string("{\"Layers\": [" + good_descriptor + "]}"), std::string(""),
        // Nested deeper than any parser stack should go.
        std::string(100000, '['), "{\"layers\": " + std::string(100000, '[')}) {
    SCOPED_TRACE(manifest.substr(0, 80));
    ServeManifest(manifest);
    auto got = Signatures();
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(got.error().message.find("not a JSON object with a 'layers' list"),
              std::string::npos)
        << got.error().message;
    // Verify passes the source's error on, rather than "no signatures found".
    auto verified = Verify();
    ASSERT_FALSE(verified.has_value());
    EXPECT_EQ(verified.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(verified.error().message, got.error().message);
  }
  EXPECT_TRUE(BlobRequests().empty());
}

// An index that also carries a `layers` list with a good signature is still an index: spec
// §4.2 step 3 wants an image manifest. (Such ambiguous documents are what CVE-2021-41190 was
// about; the real registry refuses them on push, a hostile one serves them.)
TEST_F(HostileRegistryTest, IndexCarryingLayersIsStillAnIndex) {
  const json::array layers = {Served(Signed(key_))};
  ServeManifest(SignatureManifest(layers));
  ASSERT_TRUE(Verify().has_value());  // as an image manifest, it verifies

  const json::object entry{{"mediaType", oci::kOciManifestMediaType},
                           {"digest", digest_},
                           {"size", 100}};
  const std::vector<json::object> indexes = {
      {{"schemaVersion", 2},
       {"mediaType", kOciIndexMediaType},
       {"manifests", json::array{entry}},
       {"layers", layers}},
      // mediaType is optional in an index: its `manifests` list tells.
      {{"schemaVersion", 2}, {"manifests", json::array{entry}}, {"layers", layers}},
      {{"schemaVersion", 2},
       {"mediaType", "application/vnd.docker.distribution.manifest.list.v2+json"},
       {"manifests", json::array{entry}},
       {"layers", layers}},
      // An index media type is enough.
      {{"schemaVersion", 2}, {"mediaType", kOciIndexMediaType}, {"layers", layers}}};
  for (const json::object& index : indexes) {
    SCOPED_TRACE(json::serialize(index).substr(0, 120));
    ServeManifest(json::serialize(index));
    auto got = Signatures();
    ASSERT_FALSE(got.has_value()) << got->size() << " layers";
    EXPECT_EQ(got.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(got.error().message.find("image index"), std::string::npos)
        << got.error().message;
    auto verified = Verify();
    ASSERT_FALSE(verified.has_value());
    EXPECT_EQ(verified.error().message, got.error().message);
  }
}

TEST_F(HostileRegistryTest, MalformedDescriptorsAreSkippedWithoutDownload) {
  const testing::CosignLayer good = Signed(key_);
  // A served blob that every malformed descriptor below points at (or would, if it could): a
  // download of it would show in the request log.
  const testing::CosignLayer bait = Signed(key_);
  const json::object bait_descriptor = Served(bait);
  auto with = [&](std::string_view key, json::value value) {
    json::object d = bait_descriptor;
    d[key] = std::move(value);
    return d;
  };
  auto without = [&](std::string_view key) {
    json::object d = bait_descriptor;
    d.erase(key);
    return d;
  };
  std::string upper_hex = bait.digest;
  std::transform(upper_hex.begin() + 7, upper_hex.end(), upper_hex.begin() + 7, ::toupper);
  // Declares more than the payload cap; its blob exists nowhere.
  testing::CosignLayer oversized = Signed(key_);
  json::object oversized_descriptor = DescriptorJson(oversized);
  oversized_descriptor["size"] = verify::kMaxPayloadBytes + 1;

  json::array layers = {
      // Not descriptors at all.
      json::value(nullptr), 42, "a string", json::array{bait_descriptor}, true,
      // Digests missing, not strings, or not sha256/sha512 with lower-case hex.
      without("digest"), with("digest", 12), with("digest", json::array{bait.digest}),
      with("digest", "sha256:xyz"), with("digest", json::string(upper_hex)),
      with("digest", json::string("md5:" + std::string(32, 'a'))),
      with("digest", json::string(bait.digest.substr(7))),
      // Sizes missing, negative, not integers, or beyond the cap.
      without("size"), with("size", -1), with("size", -9223372036854775807LL - 1),
      with("size", 1.5), with("size", static_cast<double>(bait.payload.size())),
      with("size", json::string(std::to_string(bait.payload.size()))), with("size", nullptr),
      with("size", true), oversized_descriptor,
      with("size", std::numeric_limits<std::uint64_t>::max()),
      // Media types missing or not strings.
      without("mediaType"), with("mediaType", 7), with("mediaType", json::object{})};
  const std::size_t malformed = layers.size();
  // Annotations that are not a map, or whose values are not strings: the layer is read, without
  // them (and so Verify finds no signature in it).
  testing::CosignLayer list_annotations = Signed(key_);
  list_annotations.payload += " ";  // a distinct blob
  testing::RefreshDigest(list_annotations);
  json::object list_descriptor = Served(list_annotations);
  list_descriptor["annotations"] = json::array{"a", "b"};
  testing::CosignLayer mixed_annotations = Signed(key_);
  mixed_annotations.payload += "  ";
  testing::RefreshDigest(mixed_annotations);
  json::object mixed_descriptor = Served(mixed_annotations);
  mixed_descriptor["annotations"] = json::object{
      {std::string(verify::kSignatureAnnotation), 1234}, {"kept", "yes"}, {"null", nullptr},
      {"nested", json::object{{"a", "b"}}}};
  layers.push_back(list_descriptor);
  layers.push_back(mixed_descriptor);
  layers.push_back(Served(good));
  ServeManifest(SignatureManifest(layers));

  auto got = Signatures();
  ASSERT_TRUE(got.has_value()) << got.error().message;
  ASSERT_EQ(got->size(), 3u) << "of " << layers.size() << " layers, " << malformed
                             << " malformed";
  EXPECT_EQ((*got)[0].digest, list_annotations.digest);
  EXPECT_TRUE((*got)[0].annotations.empty());
  EXPECT_EQ((*got)[1].digest, mixed_annotations.digest);
  EXPECT_EQ((*got)[1].annotations, (std::map<std::string, std::string>{{"kept", "yes"}}));
  EXPECT_EQ((*got)[2].digest, good.digest);
  EXPECT_EQ((*got)[2].annotations, good.annotations);
  // Only the three well-formed layers were downloaded.
  EXPECT_EQ(BlobRequests(),
            (std::vector<std::string>{list_annotations.digest, mixed_annotations.digest,
                                      good.digest}));

  auto verified = Verify();
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->digest, digest_);
}

TEST_F(HostileRegistryTest, OnlyTheFirstMaxSignatureLayersAreDownloaded) {
  std::vector<std::string> digests = ServeSignatureLayers(
      verify::kMaxSignatureLayers + 50, [](std::size_t i) { return i; });
  auto got = Signatures();
  ASSERT_TRUE(got.has_value()) << got.error().message;
  digests.resize(verify::kMaxSignatureLayers);
  EXPECT_EQ(Digests(*got), digests);
  EXPECT_EQ(BlobRequests(), digests);
}

TEST_F(HostileRegistryTest, LayersStopOnceTheirPayloadsReachTheTotalCap) {
  // Payloads just under the per-layer cap: each one alone is acceptable, together they are not.
  constexpr std::size_t kLayers = verify::kMaxTotalPayloadBytes / verify::kMaxPayloadBytes + 4;
  const std::size_t signed_size = Signed(key_).payload.size();
  std::vector<std::string> digests = ServeSignatureLayers(kLayers, [&](std::size_t i) {
    return verify::kMaxPayloadBytes - signed_size - i;
  });
  auto got = Signatures();
  ASSERT_TRUE(got.has_value()) << got.error().message;
  std::uint64_t total = 0;
  for (const auto& layer : *got) total += layer.payload.size();
  EXPECT_LE(total, verify::kMaxTotalPayloadBytes);
  // Every layer that fits was read, in order, and nothing past the cap was even requested.
  digests.resize(got->size());
  EXPECT_EQ(BlobRequests(), digests);
  EXPECT_GE(got->size(), verify::kMaxTotalPayloadBytes / verify::kMaxPayloadBytes);
  EXPECT_LT(got->size(), kLayers);
}

TEST_F(HostileRegistryTest, BlobThatDoesNotMatchItsDigestIsNeverAccepted) {
  const testing::CosignLayer good = Signed(key_);
  const testing::CosignLayer other = Signed(testing::GenerateCosignKey());
  ServeManifest(SignatureManifest({Served(other), Served(good)}));
  ASSERT_TRUE(Verify().has_value());  // as served, it verifies

  // The good layer's digest now serves other bytes: the same size (a payload for another image
  // digest), or another size.
  std::string same_size = good.payload;
  same_size[same_size.find("sha256:") + 7] ^= 1;
  for (const std::string& bytes : {same_size, good.payload + " ", std::string("")}) {
    ServeBlob(good.digest, bytes);
    auto got = Signatures();
    if (got.has_value()) {
      for (const auto& layer : *got) EXPECT_NE(layer.digest, good.digest);
    } else {
      EXPECT_EQ(got.error().kind, ErrorKind::kIo) << got.error().message;
    }
    EXPECT_FALSE(Verify().has_value());
  }
}

TEST_F(HostileRegistryTest, ManifestBeyondTheCapIsRefused) {
  const json::object good = Served(Signed(key_));
  json::object manifest = json::parse(SignatureManifest({good})).as_object();
  manifest["annotations"] =
      json::object{{"padding", std::string(oci::kMaxManifestBytes, 'x')}};
  ServeManifest(json::serialize(manifest));
  auto got = Signatures();  // the client's first contact with the registry
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().kind, ErrorKind::kIo) << got.error().message;
  // The registry answered, too much: that is what the error says, not that it was unreachable.
  EXPECT_NE(got.error().message.find("cannot fetch the manifest of"), std::string::npos)
      << got.error().message;
  EXPECT_NE(got.error().message.find("larger than"), std::string::npos) << got.error().message;
  EXPECT_EQ(got.error().message.find("cannot reach"), std::string::npos) << got.error().message;
  auto verified = Verify();
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().message, got.error().message);
  EXPECT_TRUE(BlobRequests().empty());
}

TEST_F(HostileRegistryTest, MissingManifestIsNoSignaturesOtherRegistryErrorsAreReturned) {
  // No manifest yet: the registry answers 404, which is "no signatures found".
  auto none = Verify();
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(none.error().message.starts_with("Image verification failed: no signatures found"))
      << none.error().message;

  // A server error is not "no signatures": it is returned as is.
  ServeManifest(SignatureManifest({Served(Signed(key_))}));
  {
    std::lock_guard lock(mutex_);
    manifest_status_ = 500;
  }
  auto got = Signatures();
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().kind, ErrorKind::kNotFound);
  auto verified = Verify();
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().message, got.error().message);
  EXPECT_FALSE(verified.error().message.starts_with("Image verification failed"));
}

}  // namespace
}  // namespace kw::loader
