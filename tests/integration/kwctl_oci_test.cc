// kwctl's store and registry commands end to end: the real binary against a real registry
// (Debian's docker-registry) on loopback, plain, TLS or behind htpasswd. Each test has its own
// XDG_CACHE_HOME and XDG_CONFIG_HOME, so the policy store and sources.yaml it sees are its own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/yaml.h"
#include "oci/registry.h"
#include "testing/cosign.h"
#include "testing/cosign_registry.h"
#include "testing/process.h"
#include "testing/proxy.h"
#include "testing/scripted_http_server.h"
#include "testing/registry.h"

namespace kw {
namespace {

namespace fs = std::filesystem;
using testing::KwctlBinary;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SourcePath;
using testing::TestData;

std::string Sha256HexOf(const std::string& bytes) {
  return Sha256Hex(
      Sha256(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())));
}

class KwctlOciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    dir_ = testing::MakeTempDir();
    fs::create_directories(dir_ + "/docker");
    // Restored in TearDown: the test binary runs the other tests with the environment ctest set.
    for (const char* name : {"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "HTTP_PROXY",
                             "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}) {
      const char* value = std::getenv(name);
      saved_env_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    setenv("XDG_CACHE_HOME", (dir_ + "/cache").c_str(), 1);
    setenv("XDG_CONFIG_HOME", (dir_ + "/config").c_str(), 1);
    // Never the user's own ~/.docker/config.json, nor the proxies of the machine.
    setenv("DOCKER_CONFIG", (dir_ + "/docker").c_str(), 1);
    for (const char* name :
         {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}) {
      unsetenv(name);
    }
    store_ = dir_ + "/cache/kubewarden/store";

    annotated_ = dir_ + "/annotated.wasm";
    auto a = Kwctl({"annotate", TestData("test_policy.wasm"), "-m",
                    SourcePath("tests/data/metadata/test_policy.yml"), "-o", annotated_});
    ASSERT_EQ(a.exit_code, 0) << a.err;
  }

  void TearDown() override {
    for (const auto& [name, value] : saved_env_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }

  ProcessResult Kwctl(std::vector<std::string> args) {
    args.insert(args.begin(), KwctlBinary());
    return RunProcess(args);
  }

  // A sources.yaml declaring `host` insecure.
  std::string InsecureSources(const std::string& host) {
    const std::string path = dir_ + "/sources.yaml";
    std::ofstream(path) << "insecure_sources: [\"" << host << "\"]\n";
    return path;
  }

  void WriteDockerConfig(const std::string& host, const std::string& user,
                         const std::string& password) {
    std::ofstream(dir_ + "/docker/config.json") << R"({"auths": {")" << host << R"(": {"auth": ")"
                                                << Base64Encode(user + ":" + password) << R"("}}})";
  }

  // Pushes the annotated module; returns the immutable reference it printed.
  std::string PushAnnotated(const std::string& uri, const std::string& sources) {
    auto r = Kwctl({"push", annotated_, uri, "--sources-path", sources});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string prefix = "Policy successfully pushed: ";
    EXPECT_TRUE(r.out.starts_with(prefix)) << r.out;
    std::string ref = r.out.substr(std::min(prefix.size(), r.out.size()));
    if (!ref.empty() && ref.back() == '\n') ref.pop_back();
    return ref;
  }

  std::string dir_;
  std::string store_;
  std::string annotated_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_env_;
};

TEST_F(KwctlOciTest, PushDigestPullListInspectRemove) {
  testing::TestRegistry registry;
  const std::string sources = InsecureSources(registry.host());
  const std::string uri = "registry://" + registry.host() + "/kw/test-policy:v1";
  const std::string module = *ReadFile(annotated_);

  const std::string ref = PushAnnotated(uri, sources);
  EXPECT_TRUE(
      std::regex_match(ref, std::regex(registry.host() + R"(/kw/test-policy@sha256:[0-9a-f]{64})")))
      << ref;
  auto json = Kwctl({"push", annotated_, uri, "--sources-path", sources, "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, R"({"immutable_ref":")" + ref + "\"}\n");

  auto digest = Kwctl({"digest", uri, "--sources-path", sources});
  ASSERT_EQ(digest.exit_code, 0) << digest.err;
  EXPECT_EQ(digest.out, uri + ref.substr(ref.find('@')) + "\n");

  auto pull = Kwctl({"pull", uri, "--sources-path", sources});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  const std::string stored = store_ + "/registry/" + registry.host() + "/kw/test-policy:v1";
  EXPECT_EQ(ReadFile(stored).value_or(""), module);

  const std::string sha = Sha256HexOf(module);
  auto policies = Kwctl({"policies"});
  ASSERT_EQ(policies.exit_code, 0) << policies.err;
  const std::string row = "| " + uri + " | yes      | no            | " + sha.substr(0, 12) + " |";
  EXPECT_NE(policies.out.find(row), std::string::npos) << policies.out;
  EXPECT_NE(policies.out.find("| Policy "), std::string::npos) << policies.out;
  EXPECT_TRUE(policies.out.starts_with("+-")) << policies.out;
  // humansize's decimal units, as upstream: ~99 kB here.
  EXPECT_TRUE(std::regex_search(policies.out, std::regex(R"(\| [0-9]{1,3}(\.[0-9]{1,2})? kB +\|)")))
      << policies.out;

  auto inspect = Kwctl({"inspect", uri, "-o", "yaml"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  auto metadata = ParseYamlAsJson(inspect.out);
  ASSERT_TRUE(metadata) << inspect.out;
  EXPECT_EQ(metadata->at("annotations").at("io.kubewarden.policy.title"), "test-policy");
  // The SHA-256 prefix names the same stored module.
  auto by_sha = Kwctl({"inspect", sha.substr(0, 8), "-o", "yaml"});
  ASSERT_EQ(by_sha.exit_code, 0) << by_sha.err;
  EXPECT_EQ(by_sha.out, inspect.out);

  auto rm = Kwctl({"rm", uri});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_FALSE(fs::exists(stored));
  EXPECT_FALSE(fs::exists(store_ + "/registry/" + registry.host()));  // emptied parents pruned
  auto empty = Kwctl({"policies"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "");
  auto gone = Kwctl({"inspect", uri});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("Cannot find policy with uri: " + uri), std::string::npos) << gone.err;
  auto again = Kwctl({"rm", uri});
  EXPECT_EQ(again.exit_code, 1);
}

TEST_F(KwctlOciTest, RunFetchesARegistryPolicyWithTheSourcesGiven) {
  testing::TestRegistry registry;
  const std::string sources = InsecureSources(registry.host());
  const std::string uri = "registry://" + registry.host() + "/kw/run-policy:v1";
  PushAnnotated(uri, sources);
  const std::string request = SourcePath("tests/data/requests/pod_plain.json");
  // Without the sources file the registry (plain HTTP) is refused; with it, run fetches it.
  auto refused = Kwctl({"run", uri, "-r", request});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot fetch policy " + uri), std::string::npos) << refused.err;
  auto run = Kwctl({"run", uri, "-r", request, "--sources-path", sources});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\"allowed\":true"), std::string::npos) << run.out;
  EXPECT_TRUE(ReadFile(store_ + "/registry/" + registry.host() + "/kw/run-policy:v1").has_value());
}

TEST_F(KwctlOciTest, UnannotatedModulesNeedForce) {
  testing::TestRegistry registry;
  const std::string sources = InsecureSources(registry.host());
  const std::string uri = "registry://" + registry.host() + "/kw/bare:v1";

  auto refused = Kwctl({"push", TestData("test_policy.wasm"), uri, "--sources-path", sources});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("Cannot push a policy that is not annotated. Use `annotate` "
                             "command or `push --force`"),
            std::string::npos)
      << refused.err;
  // Nothing reached the registry.
  auto digest = Kwctl({"digest", uri, "--sources-path", sources});
  EXPECT_EQ(digest.exit_code, 1) << digest.out;

  auto forced =
      Kwctl({"push", "--force", TestData("test_policy.wasm"), uri, "--sources-path", sources});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("Warning: pushing a non-annotated policy!"), std::string::npos);
  auto pulled = Kwctl({"pull", uri, "--sources-path", sources});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  // Listed, but nothing is known about it.
  auto policies = Kwctl({"policies"});
  EXPECT_NE(policies.out.find("| " + uri + " | unknown  | unknown       |"), std::string::npos)
      << policies.out;
}

TEST_F(KwctlOciTest, PullToAnOutputPathLeavesTheStoreAlone) {
  testing::TestRegistry registry;
  const std::string sources = InsecureSources(registry.host());
  const std::string uri = "registry://" + registry.host() + "/kw/test-policy:v2";
  PushAnnotated(uri, sources);
  const std::string module = *ReadFile(annotated_);

  const std::string file = dir_ + "/pulled.wasm";
  auto to_file = Kwctl({"pull", uri, "-o", file, "--sources-path", sources});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(ReadFile(file).value_or(""), module);
  EXPECT_FALSE(fs::exists(store_ + "/registry"));

  fs::create_directories(dir_ + "/out");
  auto to_dir = Kwctl({"pull", uri, "--output-path", dir_ + "/out", "--sources-path", sources});
  ASSERT_EQ(to_dir.exit_code, 0) << to_dir.err;
  EXPECT_EQ(ReadFile(dir_ + "/out/test-policy:v2").value_or(""), module);
  EXPECT_EQ(Kwctl({"policies"}).out, "");
}

TEST_F(KwctlOciTest, SaveAndLoadRoundTrip) {
  testing::TestRegistry registry;
  const std::string sources = InsecureSources(registry.host());
  const std::string a = "registry://" + registry.host() + "/kw/a:v1";
  const std::string b = "registry://" + registry.host() + "/kw/nested/b:v1";
  PushAnnotated(a, sources);
  ASSERT_EQ(
      Kwctl({"push", "-f", TestData("test_policy.wasm"), b, "--sources-path", sources}).exit_code,
      0);
  ASSERT_EQ(Kwctl({"pull", a, "--sources-path", sources}).exit_code, 0);
  ASSERT_EQ(Kwctl({"pull", b, "--sources-path", sources}).exit_code, 0);
  const std::string listed = Kwctl({"policies"}).out;
  const std::string module_a = *ReadFile(annotated_);
  const std::string module_b = *ReadFile(TestData("test_policy.wasm"));

  const std::string archive = dir_ + "/policies.tar.gz";
  // One by URI, one by SHA-256 prefix.
  auto save = Kwctl({"save", a, Sha256HexOf(module_b).substr(0, 10), "-o", archive});
  ASSERT_EQ(save.exit_code, 0) << save.err;

  // GNU tar reads it, with upstream's store-relative entry names.
  auto listing = RunProcess({"/usr/bin/tar", "-tzf", archive});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_EQ(listing.out, "registry/" + registry.host() + "/kw/a:v1\nregistry/" + registry.host() +
                             "/kw/nested/b:v1\n");

  ASSERT_EQ(Kwctl({"rm", a}).exit_code, 0);
  ASSERT_EQ(Kwctl({"rm", b}).exit_code, 0);
  ASSERT_EQ(Kwctl({"policies"}).out, "");

  auto load = Kwctl({"load", "--input", archive});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_EQ(Kwctl({"policies"}).out, listed);
  EXPECT_EQ(ReadFile(store_ + "/registry/" + registry.host() + "/kw/a:v1").value_or(""), module_a);
  EXPECT_EQ(ReadFile(store_ + "/registry/" + registry.host() + "/kw/nested/b:v1").value_or(""),
            module_b);

  // Only policies of the store can be saved; a file that is not an archive does not load.
  auto local = Kwctl({"save", annotated_, "-o", dir_ + "/x.tar.gz"});
  EXPECT_EQ(local.exit_code, 1);
  EXPECT_NE(local.err.find("only policies of the store can be saved"), std::string::npos)
      << local.err;
  auto bad = Kwctl({"load", "--input", annotated_});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("not a gzip archive"), std::string::npos) << bad.err;
}

TEST_F(KwctlOciTest, LoadsGnuTarArchivesWithLongNames) {
  // Upstream's tar crate writes GNU headers, with `L` entries for long names, as GNU tar does.
  const std::string relative = "registry/ghcr.io/" + std::string(120, 'r') + "/policy:v1";
  const std::string work = dir_ + "/work";
  fs::create_directories(fs::path(work + "/" + relative).parent_path());
  const std::string module = *ReadFile(annotated_);
  ASSERT_TRUE(WriteFile(work + "/" + relative, module).has_value());
  const std::string archive = dir_ + "/gnu.tar.gz";
  auto made = RunProcess({"/usr/bin/tar", "--format=gnu", "-C", work, "-czf", archive, "registry"});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  auto load = Kwctl({"load", "--input", archive});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_EQ(ReadFile(store_ + "/" + relative).value_or(""), module);
  auto inspect = Kwctl({"inspect", "registry://ghcr.io/" + std::string(120, 'r') + "/policy:v1"});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
}

TEST_F(KwctlOciTest, LoadRefusesArchivesEscapingTheStore) {
  // GNU tar keeps a leading "../" with -P; kwctl must not write outside the store.
  const std::string work = dir_ + "/work";
  fs::create_directories(work + "/registry/h");
  std::ofstream(dir_ + "/evil.wasm") << "module";
  const std::string archive = dir_ + "/evil.tar.gz";
  auto made = RunProcess(
      {"/usr/bin/tar", "-C", work + "/registry/h", "-czPf", archive, "../../../evil.wasm"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto load = Kwctl({"load", "--input", archive});
  EXPECT_EQ(load.exit_code, 1);
  EXPECT_NE(load.err.find("is not a store path"), std::string::npos) << load.err;
  EXPECT_FALSE(fs::exists(store_));
}

TEST_F(KwctlOciTest, WrongPasswordFailsClearly) {
  testing::TestRegistry registry({.username = "kw", .password = "s3cret"});
  const std::string sources = InsecureSources(registry.host());
  const std::string uri = "registry://" + registry.host() + "/kw/private:v1";

  WriteDockerConfig(registry.host(), "kw", "wrong");
  auto push = Kwctl({"push", annotated_, uri, "--sources-path", sources});
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_TRUE(push.err.starts_with("Error: ")) << push.err;
  EXPECT_NE(push.err.find("HTTP 401"), std::string::npos) << push.err;

  // --docker-config-json-path names the directory of the right credentials.
  fs::create_directories(dir_ + "/good");
  std::ofstream(dir_ + "/good/config.json")
      << R"({"auths": {")" << registry.host() << R"(": {"auth": ")" << Base64Encode("kw:s3cret")
      << R"("}}})";
  auto good = Kwctl({"push", annotated_, uri, "--sources-path", sources,
                     "--docker-config-json-path", dir_ + "/good"});
  ASSERT_EQ(good.exit_code, 0) << good.err;

  auto pull = Kwctl({"pull", uri, "--sources-path", sources});
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_NE(pull.err.find("HTTP 401"), std::string::npos) << pull.err;
  auto digest = Kwctl({"digest", uri, "--sources-path", sources});
  EXPECT_EQ(digest.exit_code, 1);
  auto pulled =
      Kwctl({"pull", uri, "--sources-path", sources, "--docker-config-json-path", dir_ + "/good"});
  EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
}

TEST_F(KwctlOciTest, TlsRegistryTrustedThroughTheDefaultSourcesFile) {
  testing::TestRegistry registry({.tls = true});
  const std::string uri = "registry://" + registry.host() + "/kw/tls:v1";
  auto untrusted = Kwctl({"push", annotated_, uri});
  EXPECT_EQ(untrusted.exit_code, 1);

  // <XDG_CONFIG_HOME>/kubewarden/sources.yaml is read without --sources-path.
  fs::create_directories(dir_ + "/config/kubewarden");
  std::ofstream(dir_ + "/config/kubewarden/sources.yaml")
      << "source_authorities:\n  \"" << registry.host()
      << "\":\n    - type: Path\n      path: " << registry.certificates().ca << "\n";
  auto pushed = Kwctl({"push", annotated_, uri});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  auto pulled = Kwctl({"pull", uri});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(ReadFile(store_ + "/registry/" + registry.host() + "/kw/tls:v1").value_or(""),
            *ReadFile(annotated_));
}

TEST_F(KwctlOciTest, PullShowsTheBytesReceivedOnATerminal) {
  const std::string module = *ReadFile(annotated_);
  // A slow server: the module arrives over about a second.
  testing::ScriptedHttpServer server([&](const testing::CapturedRequest&) {
    return testing::ScriptedResponse{.body = module, .trickle = std::chrono::milliseconds(100)};
  });
  const std::string uri = "http://" + server.host() + "/policies/slow.wasm";
  const std::string sources = InsecureSources(server.host());

  // `script` gives kwctl a terminal; what kwctl writes to it comes out on script's stdout.
  auto shown = RunProcess({"/usr/bin/script", "-qefc",
                           "'" + KwctlBinary() + "' pull " + uri + " --sources-path " + sources +
                               " -o " + dir_ + "/slow.wasm",
                           "/dev/null"});
  ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("Pulling policy from " + uri), std::string::npos) << shown.out;
  // Content-Length gives the total: "(12.3 kB / 99.1 kB)".
  EXPECT_TRUE(std::regex_search(
      shown.out, std::regex(R"(\([0-9.]+ k?B / [0-9.]+ kB\))")))
      << shown.out;
  EXPECT_NE(shown.out.find("Successfully pulled policy from " + uri), std::string::npos)
      << shown.out;
  EXPECT_EQ(ReadFile(dir_ + "/slow.wasm").value_or(""), module);

  // Not on a terminal: no progress line at all.
  auto quiet = Kwctl({"pull", uri, "--sources-path", sources, "-o", dir_ + "/quiet.wasm"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("Pulling policy"), std::string::npos) << quiet.err;
}

TEST_F(KwctlOciTest, ProxyVariablesWinOverTheSourcesFile) {
  if (!testing::HaveTinyproxy()) GTEST_SKIP() << "tinyproxy is not installed";
  testing::TestProxy proxy;
  testing::TestRegistry registry;
  const std::string uri = "registry://" + registry.host() + "/kw/proxied:v1";
  PushAnnotated(uri, InsecureSources(registry.host()));
  // The sources file names a proxy that is not there.
  const std::string sources = dir_ + "/proxied-sources.yaml";
  std::ofstream(sources) << "insecure_sources: [\"" << registry.host()
                         << "\"]\nproxies:\n  http_proxy: http://127.0.0.1:1\n"
                            "  https_proxy: http://127.0.0.1:1\n";
  auto unreachable = Kwctl({"pull", uri, "--sources-path", sources});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("cannot connect to proxy http://127.0.0.1:1"), std::string::npos)
      << unreachable.err;
  EXPECT_TRUE(proxy.Requests().empty()) << proxy.Log();

  // As upstream's kwctl, the environment's proxies replace the file's.
  setenv("HTTP_PROXY", proxy.Url().c_str(), 1);
  setenv("HTTPS_PROXY", proxy.Url().c_str(), 1);
  auto pulled = Kwctl({"pull", uri, "--sources-path", sources});
  EXPECT_EQ(pulled.exit_code, 0) << pulled.err << proxy.Log();
  bool proxied = false;
  for (const std::string& line : proxy.Requests()) {
    proxied |= line.starts_with("GET " + registry.Url() + "/v2/kw/proxied/blobs/sha256:");
  }
  EXPECT_TRUE(proxied) << proxy.Log();

  // NO_PROXY exempts the registry: the unreachable proxy is not even tried.
  setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  setenv("HTTPS_PROXY", "http://127.0.0.1:1", 1);
  setenv("NO_PROXY", "localhost,127.0.0.0/8", 1);
  auto direct = Kwctl({"pull", uri, "--sources-path", sources});
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
}

// A policy signed, as `cosign sign` would, with a key and keylessly by alice@example.com, plus
// the same module unsigned in another repository.
class KwctlVerifyTest : public KwctlOciTest {
 protected:
  static constexpr std::int64_t kSignedAt = 1700000000;
  static constexpr char kIssuer[] = "https://accounts.example.com";

  void SetUp() override {
    KwctlOciTest::SetUp();
    if (IsSkipped()) return;
    registry_ = std::make_unique<testing::TestRegistry>();
    sources_ = InsecureSources(registry_->host());
    repository_ = registry_->host() + "/kw/signed";
    uri_ = "registry://" + repository_ + ":v1";
    unsigned_uri_ = "registry://" + registry_->host() + "/kw/unsigned:v1";
    const std::string ref = PushAnnotated(uri_, sources_);
    digest_ = ref.substr(ref.find('@') + 1);
    PushAnnotated(unsigned_uri_, sources_);

    key_ = testing::GenerateCosignKey();
    const std::string payload =
        testing::SimpleSigningPayload(repository_, digest_, {{"env", "prod"}});
    testing::LeafOptions leaf;
    leaf.email = "alice@example.com";
    leaf.issuer = kIssuer;
    oci::RegistryOptions options;
    options.sources.insecure_sources.insert(registry_->host());
    testing::PushCosignSignatures(
        repository_, digest_,
        {testing::KeyedLayer(key_, payload), sigstore_.KeylessLayer(payload, leaf, kSignedAt)},
        options);
    key_path_ = Write("cosign.pub", key_.public_pem);
    wrong_key_path_ = Write("wrong.pub", testing::GenerateCosignKey().public_pem);
    trust_root_path_ = Write("trusted_root.json", sigstore_.TrustedRootJson());
  }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  // A verification config file requiring a signature by the test key.
  std::string KeyConfig(const std::string& name) {
    std::string indented;
    for (char c : key_.public_pem) {
      indented += c;
      if (c == '\n') indented += "      ";
    }
    return Write(name, "apiVersion: v1\nallOf:\n  - kind: pubKey\n    key: |\n      " + indented + "\n");
  }

  ProcessResult Verify(const std::string& uri, std::vector<std::string> flags) {
    std::vector<std::string> args = {"verify", uri, "--sources-path", sources_};
    args.insert(args.end(), flags.begin(), flags.end());
    return Kwctl(args);
  }

  std::string Stored(const std::string& repository_and_tag) {
    return store_ + "/registry/" + registry_->host() + "/" + repository_and_tag;
  }

  std::unique_ptr<testing::TestRegistry> registry_;
  testing::FakeSigstore sigstore_;
  testing::CosignKey key_;
  std::string sources_, repository_, uri_, unsigned_uri_, digest_;
  std::string key_path_, wrong_key_path_, trust_root_path_;
};

TEST_F(KwctlVerifyTest, VerifyChecksKeySignaturesAndAnnotationsWithoutDownloading) {
  auto ok = Verify(uri_, {"-k", key_path_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("Policy successfully verified"), std::string::npos) << ok.err;
  EXPECT_FALSE(fs::exists(Stored("kw/signed:v1")));  // verify never downloads the module

  auto annotated = Verify(uri_, {"-k", key_path_, "-a", "env=prod"});
  EXPECT_EQ(annotated.exit_code, 0) << annotated.err;
  auto other_annotation = Verify(uri_, {"-k", key_path_, "-a", "env=dev"});
  EXPECT_EQ(other_annotation.exit_code, 1);
  EXPECT_NE(other_annotation.err.find("Error: Policy " + uri_ + " cannot be validated\n"),
            std::string::npos)
      << other_annotation.err;
  EXPECT_NE(other_annotation.err.find("env: dev"), std::string::npos) << other_annotation.err;

  auto wrong = Verify(uri_, {"-k", wrong_key_path_});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("Image verification failed: missing signatures"), std::string::npos)
      << wrong.err;

  auto unsigned_policy = Verify(unsigned_uri_, {"-k", key_path_});
  EXPECT_EQ(unsigned_policy.exit_code, 1);
  EXPECT_NE(unsigned_policy.err.find("no signatures found"), std::string::npos)
      << unsigned_policy.err;

  auto config_file = Verify(uri_, {"--verification-config-path", KeyConfig("config.yml")});
  EXPECT_EQ(config_file.exit_code, 0) << config_file.err;
}

TEST_F(KwctlVerifyTest, VerifyChecksKeylessSignaturesAgainstTheTrustRoot) {
  auto ok = Verify(uri_, {"--cert-email", "alice@example.com", "--cert-oidc-issuer", kIssuer,
                          "--sigstore-trust-config", trust_root_path_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto other_signer = Verify(uri_, {"--cert-email", "mallory@example.com", "--cert-oidc-issuer",
                                    kIssuer, "--sigstore-trust-config", trust_root_path_});
  EXPECT_EQ(other_signer.exit_code, 1);
  EXPECT_NE(other_signer.err.find("mallory@example.com"), std::string::npos) << other_signer.err;

  // Without a trust root a keyless signature cannot be trusted: kwctl says so up front.
  auto no_root = Verify(uri_, {"--cert-email", "alice@example.com", "--cert-oidc-issuer", kIssuer});
  EXPECT_EQ(no_root.exit_code, 1);
  EXPECT_NE(no_root.err.find("no Sigstore trust root"), std::string::npos) << no_root.err;
  // The trust root upstream's kwctl caches is used when present.
  fs::create_directories(dir_ + "/config/kubewarden/fulcio_and_rekor_data");
  fs::copy_file(trust_root_path_, dir_ + "/config/kubewarden/fulcio_and_rekor_data/trusted_root.json");
  auto cached_root =
      Verify(uri_, {"--cert-email", "alice@example.com", "--cert-oidc-issuer", kIssuer});
  EXPECT_EQ(cached_root.exit_code, 0) << cached_root.err;

  auto bad_root = Verify(uri_, {"--cert-email", "alice@example.com", "--cert-oidc-issuer",
                                kIssuer, "--sigstore-trust-config", key_path_});
  EXPECT_EQ(bad_root.exit_code, 1);
  EXPECT_NE(bad_root.err.find("--sigstore-trust-config"), std::string::npos) << bad_root.err;
}

TEST_F(KwctlVerifyTest, VerificationFlagsAreCheckedAsUpstreamDoes) {
  auto none = Verify(uri_, {});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("could not retrieve sigstore options"), std::string::npos) << none.err;

  auto both = Verify(uri_, {"-k", key_path_, "--verification-config-path", KeyConfig("c.yml")});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_NE(both.err.find("cannot be combined"), std::string::npos) << both.err;

  auto annotation_only = Verify(uri_, {"-a", "env=prod"});
  EXPECT_EQ(annotation_only.exit_code, 1);
  EXPECT_NE(annotation_only.err.find("annotations require a key"), std::string::npos)
      << annotation_only.err;

  auto repo_only = Verify(uri_, {"--github-repo", "policies"});
  EXPECT_EQ(repo_only.exit_code, 1);
  EXPECT_NE(repo_only.err.find("--github-repo requires --github-owner"), std::string::npos)
      << repo_only.err;

  auto email_only = Verify(uri_, {"--cert-email", "alice@example.com"});
  EXPECT_EQ(email_only.exit_code, 1);
  EXPECT_NE(email_only.err.find("must be given together"), std::string::npos) << email_only.err;

  auto bad_annotation = Verify(uri_, {"-k", key_path_, "-a", "no-equals-sign"});
  EXPECT_EQ(bad_annotation.exit_code, 1);
  EXPECT_NE(bad_annotation.err.find("is not KEY=VALUE"), std::string::npos) << bad_annotation.err;

  auto not_a_key = Verify(uri_, {"-k", trust_root_path_});
  EXPECT_EQ(not_a_key.exit_code, 1);
  EXPECT_NE(not_a_key.err.find("verification key #1"), std::string::npos) << not_a_key.err;

  auto https = Verify("https://127.0.0.1:1/policy.wasm", {"-k", key_path_});
  EXPECT_EQ(https.exit_code, 1);
  EXPECT_NE(https.err.find("only registry:// policies can carry signatures"), std::string::npos)
      << https.err;
}

TEST_F(KwctlVerifyTest, PullVerifiesBeforeDownloading) {
  auto wrong = Kwctl({"pull", uri_, "--sources-path", sources_, "-k", wrong_key_path_});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("Image verification failed"), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(Stored("kw/signed:v1")));

  auto ok = Kwctl({"pull", uri_, "--sources-path", sources_, "-k", key_path_});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ReadFile(Stored("kw/signed:v1")).value_or(""), *ReadFile(annotated_));

  auto to_file = Kwctl({"pull", uri_, "--sources-path", sources_, "-k", key_path_, "-o",
                        dir_ + "/pulled.wasm"});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(ReadFile(dir_ + "/pulled.wasm").value_or(""), *ReadFile(annotated_));
}

TEST_F(KwctlVerifyTest, ADefaultVerificationConfigMakesRunVerify) {
  const std::string request = SourcePath("tests/data/requests/pod_plain.json");
  fs::create_directories(dir_ + "/config/kubewarden");
  KeyConfig("config/kubewarden/verification-config.yml");

  auto unsigned_run = Kwctl({"run", unsigned_uri_, "-r", request, "--sources-path", sources_});
  EXPECT_EQ(unsigned_run.exit_code, 1);
  EXPECT_NE(unsigned_run.err.find("no signatures found"), std::string::npos) << unsigned_run.err;

  auto run = Kwctl({"run", uri_, "-r", request, "--sources-path", sources_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\"allowed\":true"), std::string::npos) << run.out;

  // A store file that is not the signed module (stale, or tampered with) is caught even though
  // the signatures themselves still hold.
  std::string module = *ReadFile(Stored("kw/signed:v1"));
  module += '\0';
  ASSERT_TRUE(WriteFile(Stored("kw/signed:v1"), module).has_value());
  auto tampered = Kwctl({"run", uri_, "-r", request, "--sources-path", sources_});
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_NE(tampered.err.find("The digest of the local file doesn't match"), std::string::npos)
      << tampered.err;
}

TEST_F(KwctlVerifyTest, ScaffoldManifestPullsARegistryPolicyAndKeepsItsUri) {
  auto manifest = Kwctl({"scaffold", "manifest", "registry://" + repository_, "-t",
                         "ClusterAdmissionPolicy", "--sources-path", sources_, "-k", key_path_});
  // `latest` was never pushed, so the pull fails, and says why.
  EXPECT_EQ(manifest.exit_code, 1);
  EXPECT_NE(manifest.err.find(":latest"), std::string::npos) << manifest.err;

  auto scaffolded = Kwctl({"scaffold", "manifest", uri_, "-t", "ClusterAdmissionPolicy",
                           "--sources-path", sources_, "-k", key_path_});
  ASSERT_EQ(scaffolded.exit_code, 0) << scaffolded.err;
  auto cr = ParseYamlAsJson(scaffolded.out);
  ASSERT_TRUE(cr) << scaffolded.out;
  EXPECT_EQ(cr->at("spec").at("module"), json::value(uri_));
  EXPECT_EQ(cr->at("kind"), "ClusterAdmissionPolicy");
}

TEST_F(KwctlVerifyTest, InspectShowsTheSignatureLayers) {
  // inspect never downloads the module: the policy must be in the store first.
  auto not_stored = Kwctl({"inspect", uri_, "--show-signatures", "--sources-path", sources_});
  EXPECT_EQ(not_stored.exit_code, 1);
  ASSERT_EQ(Kwctl({"pull", uri_, "--sources-path", sources_}).exit_code, 0);
  ASSERT_EQ(Kwctl({"pull", unsigned_uri_, "--sources-path", sources_}).exit_code, 0);

  auto shown = Kwctl({"inspect", uri_, "--show-signatures", "--sources-path", sources_});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const std::size_t section = shown.out.find("\nSigstore signatures\n");
  ASSERT_NE(section, std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("title:", 0), std::string::npos) << shown.out;  // the metadata first
  const std::string signatures = shown.out.substr(section);
  // Two layers (the key-based and the keyless signature), each with its own block.
  std::size_t blocks = 0;
  for (std::size_t at = 0; (at = signatures.find("\nDigest:     sha256:", at)) != std::string::npos;
       ++at) {
    ++blocks;
  }
  EXPECT_EQ(blocks, 2u) << signatures;
  EXPECT_NE(signatures.find("Media type: application/vnd.dev.cosign.simplesigning.v1+json"),
            std::string::npos)
      << signatures;
  EXPECT_NE(signatures.find("  dev.cosignproject.cosign/signature: "), std::string::npos)
      << signatures;
  EXPECT_NE(signatures.find("  dev.sigstore.cosign/certificate: "), std::string::npos)
      << signatures;

  auto yaml = Kwctl({"inspect", uri_, "--show-signatures", "--sources-path", sources_, "-o",
                     "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  auto document = ParseYamlAsJson(yaml.out);
  ASSERT_TRUE(document) << yaml.out;
  EXPECT_EQ(document->at("signatures").at("layers").as_array().size(), 2u) << yaml.out;
  EXPECT_TRUE(document->as_object().contains("rules")) << yaml.out;

  auto none = Kwctl({"inspect", unsigned_uri_, "--show-signatures", "--sources-path", sources_});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("\nNo sigstore signatures found\n"), std::string::npos) << none.out;

  auto local = Kwctl({"inspect", annotated_, "--show-signatures"});
  EXPECT_EQ(local.exit_code, 1);
  EXPECT_NE(local.err.find("only those carry signatures"), std::string::npos) << local.err;
}

}  // namespace
}  // namespace kw
