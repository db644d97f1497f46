// policy-server and kwctl with policies in a registry: the real binaries against a real
// docker-registry on loopback (tests/testing/registry.h), with cosign-format signatures made with
// OpenSSL (tests/testing/cosign.h). Asserts what an operator sees: policies served from the
// registry, start-up errors naming the policy and the URI, and signature verification
// (policy-server.md §2.1, §2.3, §2.4, §2.6; tooling.md §4.2).
#include <gtest/gtest.h>

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/json.h"
#include "oci/artifact.h"
#include "oci/fetch.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "testing/cosign.h"
#include "testing/cosign_registry.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"
#include "testing/proxy.h"
#include "testing/registry.h"

namespace kw {
namespace {

using testing::J;
using testing::TestData;

using testing::RequestFile;

class PolicyServerOciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    dir_ = testing::MakeTempDir();
  }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteFile(path, content).has_value()) << path;
    return path;
  }

  // Pushes test_policy.wasm (rejects privileged pods) as `reference`; returns the manifest
  // digest.
  std::string PushPolicy(const std::string& reference, const oci::RegistryOptions& options) {
    auto module = ReadFile(TestData("test_policy.wasm"));
    EXPECT_TRUE(module.has_value());
    std::string bytes = module.value_or("");
    auto pushed = oci::Push(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                      bytes.size()),
                            reference, options);
    EXPECT_TRUE(pushed.has_value()) << pushed.error().message;
    if (!pushed) return "";
    return pushed->substr(pushed->find('@') + 1);
  }

  // The verification config requiring a signature by `key`.
  std::string VerificationConfig(const testing::CosignKey& key) {
    std::string indented;
    for (char c : key.public_pem) {
      indented += c;
      if (c == '\n') indented += "        ";
    }
    return Write("verification.yml",
                 "apiVersion: v1\nallOf:\n  - kind: pubKey\n    key: |\n        " + indented +
                     "\n");
  }

  std::string InsecureSources(const testing::TestRegistry& registry) {
    return Write("sources.yaml", "insecure_sources: [\"" + registry.host() + "\"]\n");
  }

  // Runs policy-server until it fails or becomes ready; the result of a failed start.
  testing::ProcessResult RunServer(const std::string& policies_yml,
                                   std::vector<std::string> args) {
    std::vector<std::string> argv = {
        testing::PolicyServerBinary(), "--addr", "127.0.0.1", "--port",
        std::to_string(testing::FreeLoopbackPort()), "--readiness-probe-port",
        std::to_string(testing::FreeLoopbackPort()), "--policies",
        Write("policies.yml", policies_yml)};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv);
  }

  // The privileged pod is rejected by the policy `id` of `server`: proof it runs the module.
  void ExpectRejectsPrivilegedPod(testing::PolicyServer& server, const std::string& id) {
    auto r = server.Post("/validate/" + id, RequestFile("pod_privileged.json"));
    ASSERT_EQ(r.status, 200) << r.error << r.body;
    EXPECT_EQ(J(r.body).at("response").at("allowed"), false) << r.body;
  }

  std::string dir_;
};

TEST_F(PolicyServerOciTest, ServesAPolicyPulledOverPlainHttpFromAnInsecureSource) {
  testing::TestRegistry registry;
  oci::RegistryOptions options;
  options.sources.insecure_sources.insert(registry.host());
  const std::string reference = registry.host() + "/kw/psp:v1";
  ASSERT_FALSE(PushPolicy(reference, options).empty());

  const std::string store = dir_ + "/store";
  // The same module twice, as a registry:// URI and as a bare reference: downloaded once.
  auto server = testing::PolicyServer::Start(
      "psp:\n  module: registry://" + reference + "\nbare:\n  module: " + reference + "\n",
      {"--sources-path", InsecureSources(registry), "--policies-download-dir", store});
  ASSERT_NE(server, nullptr);
  ExpectRejectsPrivilegedPod(*server, "psp");
  ExpectRejectsPrivilegedPod(*server, "bare");
  // Upstream's store layout under --policies-download-dir.
  EXPECT_TRUE(ReadFile(store + "/registry/" + reference).has_value());
}

TEST_F(PolicyServerOciTest, ServesAPolicyFromATlsRegistryTrustedThroughSourceAuthorities) {
  testing::TestRegistry registry({.tls = true});
  auto ca = ReadFile(registry.certificates().ca);
  ASSERT_TRUE(ca.has_value());
  oci::RegistryOptions options;
  options.sources.source_authorities[registry.host()] = {*ca};
  const std::string reference = registry.host() + "/kw/psp:v1";
  ASSERT_FALSE(PushPolicy(reference, options).empty());

  // Without the authority the TLS handshake fails and start-up names the policy and the URI.
  auto untrusted = RunServer("psp:\n  module: registry://" + reference + "\n",
                             {"--policies-download-dir", dir_ + "/store"});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_NE(untrusted.err.find("policy 'psp': cannot fetch policy registry://" + reference),
            std::string::npos)
      << untrusted.err;

  std::string sources = Write("sources.yaml", "source_authorities:\n  \"" + registry.host() +
                                                  "\":\n    - type: Path\n      path: " +
                                                  registry.certificates().ca + "\n");
  auto server = testing::PolicyServer::Start(
      "psp:\n  module: registry://" + reference + "\n",
      {"--sources-path", sources, "--policies-download-dir", dir_ + "/store"});
  ASSERT_NE(server, nullptr);
  ExpectRejectsPrivilegedPod(*server, "psp");
}

TEST_F(PolicyServerOciTest, CredentialsComeFromDockerConfigJsonPath) {
  testing::TestRegistry registry({.username = "kw", .password = "s3cret"});
  const std::string docker = dir_ + "/docker";
  std::filesystem::create_directories(docker);
  Write("docker/config.json", R"({"auths": {")" + registry.host() + R"(": {"auth": ")" +
                                  testing::Base64("kw:s3cret") + R"("}}})");
  oci::RegistryOptions options;
  options.sources.insecure_sources.insert(registry.host());
  options.docker_config_dir = docker;
  const std::string reference = registry.host() + "/kw/private:v1";
  ASSERT_FALSE(PushPolicy(reference, options).empty());
  const std::string policies = "psp:\n  module: registry://" + reference + "\n";

  // Anonymous: the registry refuses, and start-up says which policy and URI.
  auto anonymous = RunServer(policies, {"--sources-path", InsecureSources(registry),
                                        "--policies-download-dir", dir_ + "/store"});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_NE(anonymous.err.find("policy 'psp': cannot fetch policy registry://" + reference),
            std::string::npos)
      << anonymous.err;

  // The flag names the directory (upstream); the config.json file itself is accepted too.
  for (const std::string& path : {docker, docker + "/config.json"}) {
    auto server = testing::PolicyServer::Start(
        policies, {"--sources-path", InsecureSources(registry), "--policies-download-dir",
                   dir_ + "/store-" + std::to_string(path.size()), "--docker-config-json-path",
                   path});
    ASSERT_NE(server, nullptr) << path;
    ExpectRejectsPrivilegedPod(*server, "psp");
  }
}

TEST_F(PolicyServerOciTest, MissingImageFailsStartUpNamingThePolicyAndTheUri) {
  testing::TestRegistry registry;
  const std::string uri = "registry://" + registry.host() + "/kw/missing:v1";
  const std::string policies = "present:\n  module: " + TestData("test_policy.wasm") +
                               "\nabsent:\n  module: " + uri + "\n";
  auto r = RunServer(policies,
                     {"--sources-path", InsecureSources(registry), "--policies-download-dir",
                      dir_ + "/store"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("policy 'absent': cannot fetch policy " + uri), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("policy 'present'"), std::string::npos) << r.err;

  // With --continue-on-errors the server starts and that policy answers with its error.
  auto server = testing::PolicyServer::Start(
      policies,
      {"--sources-path", InsecureSources(registry), "--policies-download-dir", dir_ + "/store",
       "--continue-on-errors"});
  ASSERT_NE(server, nullptr);
  ExpectRejectsPrivilegedPod(*server, "present");
  auto absent = server->Post("/validate/absent", RequestFile("pod_privileged.json"));
  ASSERT_EQ(absent.status, 200) << absent.error;
  json::value response = J(absent.body).at("response");
  EXPECT_EQ(response.at("allowed"), false);
  EXPECT_EQ(response.at("status").at("code"), 500);
  EXPECT_NE(json::serialize(response.at("status").at("message")).find(uri), std::string::npos)
      << absent.body;
}

TEST_F(PolicyServerOciTest, VerificationAcceptsAGoodSignatureAndRefusesMissingOrWrongOnes) {
  testing::TestRegistry registry;
  oci::RegistryOptions options;
  options.sources.insecure_sources.insert(registry.host());
  const std::string repository = registry.host() + "/kw/signed";
  const std::string digest = PushPolicy(repository + ":v1", options);
  ASSERT_FALSE(digest.empty());
  const std::string unsigned_digest = PushPolicy(registry.host() + "/kw/unsigned:v1", options);
  ASSERT_FALSE(unsigned_digest.empty());

  testing::CosignKey key = testing::GenerateCosignKey();
  testing::PushCosignSignatures(
      repository, digest,
      {testing::KeyedLayer(key, testing::SimpleSigningPayload(repository, digest))}, options);
  const std::vector<std::string> flags = {"--sources-path", InsecureSources(registry),
                                          "--policies-download-dir", dir_ + "/store",
                                          "--verification-path", VerificationConfig(key)};

  auto server =
      testing::PolicyServer::Start("psp:\n  module: registry://" + repository + ":v1\n", flags);
  ASSERT_NE(server, nullptr);
  ExpectRejectsPrivilegedPod(*server, "psp");
  server.reset();

  // A stored module that is not the signed one (a stale or tampered store) is caught by the
  // local digest check, although the signatures verify.
  auto other = ReadFile(TestData("wapc_echo.wasm"));
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(WriteFile(dir_ + "/store/registry/" + repository + ":v1", *other).has_value());
  auto tampered = RunServer("psp:\n  module: registry://" + repository + ":v1\n", flags);
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_NE(tampered.err.find("The digest of the local file doesn't match"), std::string::npos)
      << tampered.err;

  const std::string unsigned_uri = "registry://" + registry.host() + "/kw/unsigned:v1";
  auto missing = RunServer("psp:\n  module: " + unsigned_uri + "\n", flags);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("policy 'psp': cannot fetch policy " + unsigned_uri),
            std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("Image verification failed: no signatures found"),
            std::string::npos)
      << missing.err;

  // Signed, but by another key than the config requires.
  std::vector<std::string> wrong_key = flags;
  wrong_key.back() = VerificationConfig(testing::GenerateCosignKey());
  auto wrong = RunServer("psp:\n  module: registry://" + repository + ":v1\n", wrong_key);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("policy 'psp': cannot fetch policy registry://" + repository + ":v1"),
            std::string::npos)
      << wrong.err;
  EXPECT_NE(wrong.err.find("Image verification failed"), std::string::npos) << wrong.err;
}

// `kwctl run registry://...` resolves through the loader and its store (tooling.md §1.5): a
// pinned tag already in the store under $XDG_CACHE_HOME runs without contacting the registry,
// which kwctl could not reach over plain HTTP without a sources.yaml; a reference the store
// lacks is fetched, fails, and the error names the URI.
TEST_F(PolicyServerOciTest, KwctlRunUsesTheStoreThroughTheLoader) {
  testing::TestRegistry registry;
  oci::RegistryOptions options;
  options.sources.insecure_sources.insert(registry.host());
  const std::string reference = registry.host() + "/kw/psp:v1";
  ASSERT_FALSE(PushPolicy(reference, options).empty());
  auto fetched = oci::Fetch("registry://" + reference,
                            {.store_root = dir_ + "/cache/kubewarden/store", .registry = options});
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;

  auto kwctl = [&](const std::string& uri) {
    return testing::RunProcess({"/usr/bin/env", "XDG_CACHE_HOME=" + dir_ + "/cache",
                                testing::KwctlBinary(), "run", uri, "--disable-compiled-cache",
                                "-r",
                                testing::SourcePath("tests/data/requests/pod_privileged.json")});
  };
  auto stored = kwctl("registry://" + reference);
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  EXPECT_EQ(J(stored.out).at("allowed"), false) << stored.out;

  const std::string other = "registry://" + registry.host() + "/kw/other:v1";
  auto missing = kwctl(other);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot fetch policy " + other), std::string::npos) << missing.err;
}

TEST_F(PolicyServerOciTest, DownloadsGoThroughTheSourcesFileProxies) {
  if (!testing::HaveTinyproxy()) GTEST_SKIP() << "tinyproxy is not installed";
  testing::TestProxy proxy;
  testing::TestRegistry registry;
  oci::RegistryOptions options;
  options.sources.insecure_sources.insert(registry.host());
  const std::string repository = registry.host() + "/kw/proxied";
  ASSERT_FALSE(PushPolicy(repository + ":v1", options).empty());
  const std::string sources =
      Write("proxied-sources.yaml", "insecure_sources: [\"" + registry.host() +
                                        "\"]\nproxies:\n  http_proxy: " + proxy.Url() +
                                        "\n  https_proxy: " + proxy.Url() + "\n");
  // The file's proxies win over the variables (which name a proxy that is not there).
  setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  auto server = testing::PolicyServer::Start(
      "psp:\n  module: registry://" + repository + ":v1\n",
      {"--sources-path", sources, "--policies-download-dir", dir_ + "/store"});
  unsetenv("HTTP_PROXY");
  ASSERT_NE(server, nullptr) << proxy.Log();
  ExpectRejectsPrivilegedPod(*server, "psp");
  bool proxied = false;
  for (const std::string& line : proxy.Requests()) {
    proxied |= line.starts_with("GET " + registry.Url() + "/v2/kw/proxied/blobs/sha256:");
  }
  EXPECT_TRUE(proxied) << proxy.Log();
}

}  // namespace
}  // namespace kw
