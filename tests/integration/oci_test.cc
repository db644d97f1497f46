// Policies as OCI artifacts against a real registry (Debian's docker-registry) on loopback:
// push, digest, pull, store reuse, TLS with sources.yaml authorities, Basic auth from docker's
// config.json, and hostile answers (tampered blobs and manifests).
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "base/base64.h"
#include "base/files.h"
#include "oci/fetch.h"
#include "oci/registry.h"
#include "policy/metadata.h"
#include "testing/module_builder.h"
#include "testing/http_sink.h"
#include "testing/process.h"
#include "testing/registry.h"

namespace kw::oci {
namespace {

namespace fs = std::filesystem;

// A small policy module whose metadata carries `title` (so two titles give two digests).
std::vector<std::uint8_t> Module(const std::string& title) {
  policy::Metadata metadata;
  metadata.protocol_version = policy::ProtocolVersion::kV1;
  metadata.annotations = std::map<std::string, std::string>{
      {"io.kubewarden.policy.title", title}, {"io.kubewarden.policy.source", "https://src"}};
  auto bytes =
      policy::WriteMetadata(policy::testing::ModuleBuilder().ExportFunction("f").Build(), metadata);
  EXPECT_TRUE(bytes.has_value());
  return *bytes;
}

std::string AsString(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

class OciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    dir_ = testing::MakeTempDir();
    fs::create_directories(dir_ + "/docker");
    options_.store_root = dir_ + "/store";
    // Never the user's own ~/.docker/config.json.
    options_.registry.docker_config_dir = dir_ + "/docker";
  }

  void WriteDockerConfig(const std::string& host, const std::string& user,
                         const std::string& password) {
    std::ofstream(dir_ + "/docker/config.json") << R"({"auths": {")" << host << R"(": {"auth": ")"
                                                << Base64Encode(user + ":" + password) << R"("}}})";
  }

  std::string dir_;
  FetchOptions options_;
};

TEST_F(OciTest, PushDigestPullOverPlainHttpForAnInsecureSource) {
  testing::TestRegistry registry;
  options_.registry.sources.insecure_sources.insert(registry.host());
  const auto module = Module("plain");
  const std::string uri = "registry://" + registry.host() + "/kw/policy:v1";

  auto pushed = Push(module, registry.host() + "/kw/policy:v1", options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  EXPECT_TRUE(pushed->starts_with(registry.host() + "/kw/policy@sha256:")) << *pushed;
  const std::string manifest_digest = pushed->substr(pushed->find('@') + 1);

  auto client = RegistryClient::Create(options_.registry);
  ASSERT_TRUE(client.has_value());
  auto digest = (*client)->ManifestDigest(*ParseReference(registry.host() + "/kw/policy:v1"));
  ASSERT_TRUE(digest.has_value()) << digest.error().message;
  EXPECT_EQ(*digest, manifest_digest);

  auto fetched = Fetch(uri, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_TRUE(fetched->downloaded);
  EXPECT_EQ(fetched->uri, uri);
  EXPECT_EQ(fetched->path, options_.store_root + "/registry/" + registry.host() + "/kw/policy:v1");
  EXPECT_EQ(fetched->manifest_digest, manifest_digest);
  EXPECT_EQ(fetched->digest, Sha256DigestOf(AsString(module)));
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(module));

  // A tagged reference already in the store is not downloaded again.
  auto again = Fetch(uri, options_);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->downloaded);
  EXPECT_EQ(again->path, fetched->path);

  // The immutable reference pulls the same module.
  auto by_digest = Fetch(*pushed, options_);
  ASSERT_TRUE(by_digest.has_value()) << by_digest.error().message;
  EXPECT_EQ(by_digest->digest, fetched->digest);
  EXPECT_EQ(by_digest->manifest_digest, manifest_digest);
}

TEST_F(OciTest, PlainHttpIsRefusedUnlessTheSourceIsInsecure) {
  testing::TestRegistry registry;
  auto pushed = Push(Module("x"), registry.host() + "/kw/policy:v1", options_.registry);
  ASSERT_FALSE(pushed.has_value());
  EXPECT_EQ(pushed.error().kind, ErrorKind::kIo);
  EXPECT_NE(pushed.error().message.find("insecure_sources"), std::string::npos)
      << pushed.error().message;
}

TEST_F(OciTest, TlsRegistryVerifiedWithSourceAuthorities) {
  testing::TestRegistry registry({.tls = true});
  const std::string ref = registry.host() + "/kw/tls-policy:v2";
  // Not trusted yet: the system roots do not know the test CA.
  auto refused = Push(Module("tls"), ref, options_.registry);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("TLS handshake"), std::string::npos)
      << refused.error().message;

  auto pem = ReadFile(registry.certificates().ca);
  ASSERT_TRUE(pem.has_value());
  options_.registry.sources.source_authorities[registry.host()] = {*pem};
  auto pushed = Push(Module("tls"), ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(Module("tls")));

  // An insecure source without the CA goes through unverified HTTPS.
  FetchOptions insecure = options_;
  insecure.registry.sources.source_authorities.clear();
  insecure.registry.sources.insecure_sources.insert(registry.host());
  insecure.store_root = dir_ + "/store2";
  auto unverified = Fetch("registry://" + ref, insecure);
  ASSERT_TRUE(unverified.has_value()) << unverified.error().message;
  EXPECT_EQ(unverified->digest, fetched->digest);
}

TEST_F(OciTest, BasicAuthFromDockerConfig) {
  testing::TestRegistry registry({.username = "kw", .password = "s3cret"});
  options_.registry.sources.insecure_sources.insert(registry.host());
  const std::string ref = registry.host() + "/kw/private:v1";

  auto anonymous = Push(Module("auth"), ref, options_.registry);
  ASSERT_FALSE(anonymous.has_value());
  EXPECT_NE(anonymous.error().message.find("requires credentials"), std::string::npos)
      << anonymous.error().message;

  WriteDockerConfig(registry.host(), "kw", "wrong");
  auto wrong = Push(Module("auth"), ref, options_.registry);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message.find("HTTP 401"), std::string::npos) << wrong.error().message;

  WriteDockerConfig(registry.host(), "kw", "s3cret");
  auto pushed = Push(Module("auth"), ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(Module("auth")));

  // Pulling with the wrong password fails as clearly.
  WriteDockerConfig(registry.host(), "kw", "wrong");
  FetchOptions other = options_;
  other.store_root = dir_ + "/store2";
  auto denied = Fetch("registry://" + ref, other);
  ASSERT_FALSE(denied.has_value());
  EXPECT_NE(denied.error().message.find("HTTP 401"), std::string::npos) << denied.error().message;
}

std::string Base64Url(std::string_view bytes) {
  std::string text = Base64Encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  return text;
}

TEST_F(OciTest, BearerTokenFlow) {
  // A token signing certificate, and a token (JWT, RS256, x5c) for kw/bearer, pull and push.
  const std::string key = dir_ + "/token.key", cert = dir_ + "/token.crt",
                    der = dir_ + "/token.der";
  ASSERT_EQ(
      testing::RunProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                           "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=kw-token"})
          .exit_code,
      0);
  ASSERT_EQ(
      testing::RunProcess({"/usr/bin/openssl", "x509", "-in", cert, "-outform", "DER", "-out", der})
          .exit_code,
      0);
  const long now = static_cast<long>(std::time(nullptr));
  const std::string header =
      R"({"typ":"JWT","alg":"RS256","x5c":[")" + Base64Encode(*ReadFile(der)) + R"("]})";
  const std::string claims = R"({"iss":"kw-issuer","sub":"kw","aud":"kw-service","exp":)" +
                             std::to_string(now + 3600) + R"(,"nbf":)" + std::to_string(now - 60) +
                             R"(,"iat":)" + std::to_string(now - 60) +
                             R"(,"jti":"1","access":[{"type":"repository","name":"kw/bearer",)"
                             R"("actions":["pull","push"]}]})";
  const std::string signing_input = Base64Url(header) + "." + Base64Url(claims);
  ASSERT_TRUE(WriteFile(dir_ + "/input", signing_input).has_value());
  ASSERT_EQ(testing::RunProcess({"/usr/bin/openssl", "dgst", "-sha256", "-sign", key, "-out",
                                 dir_ + "/sig", dir_ + "/input"})
                .exit_code,
            0);
  const std::string jwt = signing_input + "." + Base64Url(*ReadFile(dir_ + "/sig"));
  // The token server answers every request with the token (as access_token, the OAuth name).
  testing::HttpSink token_server({.body = R"({"access_token":")" + jwt + R"("})"});

  testing::TestRegistry registry({.token_realm = token_server.Url() + "/token",
                                  .token_service = "kw-service",
                                  .token_issuer = "kw-issuer",
                                  .token_cert_file = cert});
  options_.registry.sources.insecure_sources.insert(registry.host());
  WriteDockerConfig(registry.host(), "kw", "pw");
  const std::string ref = registry.host() + "/kw/bearer:v1";
  auto pushed = Push(Module("bearer"), ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(Module("bearer")));

  const auto requests = token_server.Requests();
  ASSERT_GE(requests.size(), 2u);  // one token for the push, one for the pull
  EXPECT_NE(requests[0].target.find("service=kw-service"), std::string::npos) << requests[0].target;
  EXPECT_NE(requests[0].target.find("scope=repository%3Akw%2Fbearer%3Apull%2Cpush"),
            std::string::npos)
      << requests[0].target;
  EXPECT_EQ(requests[0].headers.at("authorization"), "Basic " + Base64Encode("kw:pw"));
  EXPECT_NE(requests.back().target.find("scope=repository%3Akw%2Fbearer%3Apull"),
            std::string::npos);
}

// The registry's filesystem layout: blobs/sha256/<2 hex>/<hex>/data.
std::string BlobFile(const testing::TestRegistry& registry, const std::string& digest) {
  const std::string hex = digest.substr(7);
  return registry.storage_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" +
         hex + "/data";
}

TEST_F(OciTest, TamperedLayerOrManifestFailsClearly) {
  testing::TestRegistry registry;
  options_.registry.sources.insecure_sources.insert(registry.host());
  const auto module = Module("tamper");
  const std::string ref = registry.host() + "/kw/tamper:v1";
  ASSERT_TRUE(Push(module, ref, options_.registry).has_value());

  // Same size, different bytes: only the digest check can notice.
  const std::string layer = BlobFile(registry, Sha256DigestOf(AsString(module)));
  ASSERT_TRUE(fs::exists(layer)) << layer;
  std::string bytes = AsString(module);
  bytes.back() ^= 0x5a;
  ASSERT_TRUE(WriteFile(layer, bytes).has_value());
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_FALSE(fetched.has_value());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kIo);
  EXPECT_NE(fetched.error().message.find("tampered"), std::string::npos) << fetched.error().message;
  EXPECT_FALSE(fs::exists(options_.store_root + "/registry/" + registry.host() + "/kw/tamper:v1"));

  // A digest reference the registry cannot satisfy.
  auto missing = Fetch(
      "registry://" + registry.host() + "/kw/tamper@sha256:" + std::string(64, '0'), options_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound) << missing.error().message;
}

TEST_F(OciTest, TamperedManifestIsDetected) {
  testing::TestRegistry registry;
  options_.registry.sources.insecure_sources.insert(registry.host());
  const std::string ref = registry.host() + "/kw/manifest:v1";
  auto pushed = Push(Module("m"), ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  const std::string manifest_file = BlobFile(registry, pushed->substr(pushed->find('@') + 1));
  auto manifest = ReadFile(manifest_file);
  ASSERT_TRUE(manifest.has_value());
  std::string changed = *manifest;
  changed.replace(changed.find("\"size\":2"), 8, "\"size\":3");
  ASSERT_TRUE(WriteFile(manifest_file, changed).has_value());
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_FALSE(fetched.has_value());
  EXPECT_NE(fetched.error().message.find("digest"), std::string::npos) << fetched.error().message;
}

TEST_F(OciTest, LargeModulesUploadInChunksAndRespectTheCap) {
  testing::TestRegistry registry;
  options_.registry.sources.insecure_sources.insert(registry.host());
  // 9 MiB: three PATCH chunks of at most 4 MiB.
  const auto module =
      policy::testing::ModuleBuilder().CustomSection("padding", std::string(9u << 20, 'p')).Build();
  const std::string ref = registry.host() + "/kw/large:v1";
  auto pushed = Push(module, ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(fetched->digest, Sha256DigestOf(AsString(module)));

  FetchOptions capped = options_;
  capped.store_root = dir_ + "/store2";
  capped.registry.max_blob_bytes = 1u << 20;
  auto refused = Fetch("registry://" + ref, capped);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("more than the limit"), std::string::npos)
      << refused.error().message;
}

TEST_F(OciTest, LatestIsAlwaysFetchedAgainOtherTagsAreReused) {
  testing::TestRegistry registry;
  options_.registry.sources.insecure_sources.insert(registry.host());
  const std::string latest = registry.host() + "/kw/moving";  // implicit :latest
  const std::string pinned = registry.host() + "/kw/moving:v1";
  ASSERT_TRUE(Push(Module("first"), latest, options_.registry).has_value());
  ASSERT_TRUE(Push(Module("first"), pinned, options_.registry).has_value());
  auto a = Fetch(latest, options_);
  auto b = Fetch(pinned, options_);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->uri, "registry://" + latest + ":latest");

  ASSERT_TRUE(Push(Module("second"), latest, options_.registry).has_value());
  ASSERT_TRUE(Push(Module("second"), pinned, options_.registry).has_value());
  auto a2 = Fetch(latest, options_);
  ASSERT_TRUE(a2.has_value()) << a2.error().message;
  EXPECT_TRUE(a2->downloaded);
  EXPECT_EQ(ReadFile(a2->path).value_or(""), AsString(Module("second")));
  auto b2 = Fetch(pinned, options_);
  ASSERT_TRUE(b2.has_value()) << b2.error().message;
  EXPECT_FALSE(b2->downloaded);
  EXPECT_EQ(ReadFile(b2->path).value_or(""), AsString(Module("first")));
}

TEST_F(OciTest, HttpsDownloadOfAPlainModule) {
  testing::Certificates certs = testing::MakeCertificates();
  const std::string module = AsString(Module("https"));
  testing::HttpSink server({.body = module,
                            .content_type = "application/wasm",
                            .cert_file = certs.server_cert,
                            .key_file = certs.server_key});
  const std::string host = "localhost:" + std::to_string(server.port());
  options_.registry.sources.source_authorities[host] = {*ReadFile(certs.ca)};
  const std::string uri = "https://" + host + "/releases/v1/policy.wasm";
  auto fetched = Fetch(uri, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(fetched->path, options_.store_root + "/https/" + host + "/releases/v1/policy.wasm");
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), module);
  EXPECT_EQ(server.Requests().size(), 1u);
  EXPECT_EQ(server.Requests()[0].target, "/releases/v1/policy.wasm");

  // Stored: not downloaded again.
  auto again = Fetch(uri, options_);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->downloaded);
  EXPECT_EQ(server.Requests().size(), 1u);
}

TEST_F(OciTest, HttpDownloadsNeedAnInsecureSourceAndWasm) {
  testing::HttpSink wasm_server(
      {.body = AsString(Module("http")), .content_type = "application/wasm"});
  testing::HttpSink text_server({.body = "hello", .content_type = "text/plain"});
  const std::string wasm_host = "127.0.0.1:" + std::to_string(wasm_server.port());
  const std::string text_host = "127.0.0.1:" + std::to_string(text_server.port());
  auto refused = Fetch("http://" + wasm_host + "/p.wasm", options_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("insecure_sources"), std::string::npos);
  EXPECT_TRUE(wasm_server.Requests().empty());

  options_.registry.sources.insecure_sources = {wasm_host, text_host};
  auto fetched = Fetch("http://" + wasm_host + "/p.wasm", options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(Module("http")));

  auto not_wasm = Fetch("http://" + text_host + "/p.wasm", options_);
  ASSERT_FALSE(not_wasm.has_value());
  EXPECT_EQ(not_wasm.error().kind, ErrorKind::kBadModule);
  EXPECT_NE(not_wasm.error().message.find("invalid wasm file"), std::string::npos);
}

TEST_F(OciTest, FileUrisAreUsedInPlace) {
  const std::string path = dir_ + "/local.wasm";
  ASSERT_TRUE(WriteFile(path, AsString(Module("file"))).has_value());
  auto fetched = Fetch("file://" + path, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_EQ(fetched->path, path);
  EXPECT_FALSE(fetched->downloaded);
  EXPECT_FALSE(fs::exists(options_.store_root));

  ASSERT_TRUE(WriteFile(dir_ + "/text.wasm", "text").has_value());
  EXPECT_FALSE(Fetch("file://" + dir_ + "/text.wasm", options_).has_value());
}

}  // namespace
}  // namespace kw::oci
