// Outbound traffic through a real HTTP proxy (Debian's tinyproxy) on loopback: registry pulls and
// pushes over plain HTTP (absolute-form requests) and over TLS (CONNECT tunnels, verified with
// sources.yaml authorities), https:// module downloads, no_proxy bypasses, proxy Basic auth,
// per-field precedence between the environment and the sources file, and download progress.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "base/files.h"
#include "net/proxy.h"
#include "oci/fetch.h"
#include "oci/registry.h"
#include "policy/metadata.h"
#include "testing/module_builder.h"
#include "testing/certificates.h"
#include "testing/http_sink.h"
#include "testing/process.h"
#include "testing/proxy.h"
#include "testing/registry.h"

namespace kw::oci {
namespace {

namespace fs = std::filesystem;

// A policy module titled `title`, padded with a custom section of `padding` bytes so that it
// arrives in several reads.
std::vector<std::uint8_t> Module(const std::string& title, std::size_t padding = 0) {
  policy::Metadata metadata;
  metadata.protocol_version = policy::ProtocolVersion::kV1;
  metadata.annotations = std::map<std::string, std::string>{
      {"io.kubewarden.policy.title", title}, {"io.kubewarden.policy.source", "https://src"}};
  policy::testing::ModuleBuilder builder;
  builder.ExportFunction("f");
  if (padding > 0) builder.CustomSection("padding", std::string(padding, 'p'));
  auto bytes = policy::WriteMetadata(builder.Build(), metadata);
  EXPECT_TRUE(bytes.has_value());
  return *bytes;
}

std::string AsString(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

bool Contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveTinyproxy()) GTEST_SKIP() << "tinyproxy is not installed";
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    dir_ = testing::MakeTempDir();
    fs::create_directories(dir_ + "/docker");
    options_.store_root = dir_ + "/store";
    // Never the user's own ~/.docker/config.json.
    options_.registry.docker_config_dir = dir_ + "/docker";
  }

  // Pushes `module` to `ref` directly (no proxy), so that pulls can then go through one.
  void PushDirect(const std::vector<std::uint8_t>& module, const std::string& ref,
                  const Sources& sources) {
    RegistryOptions direct = options_.registry;
    direct.sources = sources;
    direct.sources.proxies = {};
    auto pushed = Push(module, ref, direct);
    ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  }

  std::string dir_;
  FetchOptions options_;
};

TEST_F(ProxyTest, PlainHttpRegistryThroughTheProxy) {
  testing::TestProxy proxy;
  testing::TestRegistry registry;
  const std::string ref = registry.host() + "/kw/plain:v1";
  options_.registry.sources.insecure_sources.insert(registry.host());
  options_.registry.sources.proxies = {.http_proxy = proxy.Url(), .https_proxy = proxy.Url()};

  auto pushed = Push(Module("plain"), ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message << "\n" << proxy.Log();
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message << "\n" << proxy.Log();
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(Module("plain")));

  const std::vector<std::string> requests = proxy.Requests();
  // The insecure fallbacks, proxied too: TLS attempts through a tunnel first, then plain HTTP
  // in absolute form.
  EXPECT_TRUE(Contains(requests, "CONNECT " + registry.host() + " HTTP/1.1")) << proxy.Log();
  EXPECT_TRUE(Contains(requests, "PUT " + registry.Url() + "/v2/kw/plain/manifests/v1"))
      << proxy.Log();
  EXPECT_TRUE(Contains(requests, "GET " + registry.Url() + "/v2/kw/plain/manifests/v1"))
      << proxy.Log();
  EXPECT_TRUE(Contains(requests, "GET " + registry.Url() + "/v2/kw/plain/blobs/sha256:"))
      << proxy.Log();
}

TEST_F(ProxyTest, TlsRegistryThroughAConnectTunnel) {
  testing::TestProxy proxy;
  testing::TestRegistry registry({.tls = true});
  const std::string ref = registry.host() + "/kw/tls:v1";
  auto pem = ReadFile(registry.certificates().ca);
  ASSERT_TRUE(pem.has_value());
  options_.registry.sources.source_authorities[registry.host()] = {*pem};
  // A wrong http_proxy proves the https one is used for https.
  options_.registry.sources.proxies = {.http_proxy = "http://127.0.0.1:9",
                                       .https_proxy = proxy.Url()};

  auto pushed = Push(Module("tls"), ref, options_.registry);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message << "\n" << proxy.Log();
  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message << "\n" << proxy.Log();
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(Module("tls")));

  const std::vector<std::string> requests = proxy.Requests();
  ASSERT_FALSE(requests.empty());
  for (const std::string& request : requests) {
    EXPECT_EQ(request, "CONNECT " + registry.host() + " HTTP/1.1");
  }

  // The certificate is still checked against the target through the tunnel.
  options_.registry.sources.source_authorities.clear();
  options_.store_root = dir_ + "/store2";
  auto untrusted = Fetch("registry://" + ref, options_);
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_NE(untrusted.error().message.find("TLS handshake"), std::string::npos)
      << untrusted.error().message;
}

TEST_F(ProxyTest, HttpsModuleDownloadThroughTheProxyReportsProgress) {
  testing::TestProxy proxy;
  testing::Certificates certs = testing::MakeCertificates();
  const std::vector<std::uint8_t> module = Module("download", 400000);
  testing::HttpSink server({.body = AsString(module),
                            .content_type = "application/wasm",
                            .cert_file = certs.server_cert,
                            .key_file = certs.server_key});
  const std::string authority = "localhost:" + std::to_string(server.port());
  auto pem = ReadFile(certs.ca);
  ASSERT_TRUE(pem.has_value());
  options_.registry.sources.source_authorities[authority] = {*pem};
  options_.registry.sources.proxies = {.https_proxy = proxy.Url()};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  options_.registry.on_module_progress = [&](std::uint64_t received, std::uint64_t total) {
    progress.emplace_back(received, total);
  };

  auto fetched = Fetch("https://" + authority + "/policy.wasm", options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message << "\n" << proxy.Log();
  EXPECT_EQ(ReadFile(fetched->path).value_or(""), AsString(module));
  EXPECT_TRUE(Contains(proxy.Requests(), "CONNECT " + authority + " HTTP/1.1")) << proxy.Log();
  ASSERT_EQ(server.Requests().size(), 1u);
  EXPECT_EQ(server.Requests()[0].target, "/policy.wasm");

  ASSERT_GE(progress.size(), 2u);
  for (std::size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GT(progress[i].first, progress[i - 1].first);
  }
  EXPECT_EQ(progress.back().first, module.size());
  for (const auto& [received, total] : progress) EXPECT_EQ(total, module.size());
}

TEST_F(ProxyTest, RegistryPullReportsModuleProgress) {
  testing::TestRegistry registry;
  const std::string ref = registry.host() + "/kw/big:v1";
  options_.registry.sources.insecure_sources.insert(registry.host());
  const std::vector<std::uint8_t> module = Module("big", 600000);
  PushDirect(module, ref, options_.registry.sources);
  testing::TestProxy proxy;
  options_.registry.sources.proxies = {.http_proxy = proxy.Url()};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  options_.registry.on_module_progress = [&](std::uint64_t received, std::uint64_t total) {
    progress.emplace_back(received, total);
  };

  auto fetched = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
  EXPECT_TRUE(Contains(proxy.Requests(), "GET " + registry.Url() + "/v2/kw/big/blobs/sha256:"))
      << proxy.Log();
  // Only the module's blob is reported (not the manifest), with its declared size.
  ASSERT_GE(progress.size(), 2u);
  for (std::size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GT(progress[i].first, progress[i - 1].first);
  }
  EXPECT_EQ(progress.back().first, module.size());
  for (const auto& [received, total] : progress) EXPECT_EQ(total, module.size());
}

TEST_F(ProxyTest, TokenRequestsGoThroughTheProxy) {
  testing::TestProxy proxy;
  // TLS stand-ins (plain HTTP ones would first sit through the failing TLS attempts).
  testing::Certificates certs = testing::MakeCertificates();
  testing::HttpSink token_server({.body = R"({"token":"t0k3n"})",
                                  .cert_file = certs.server_cert,
                                  .key_file = certs.server_key});
  // A registry that always demands a token from `token_server`.
  testing::HttpSink registry(
      {.status = 401,
       .headers = {{"WWW-Authenticate",
                    "Bearer realm=\"" + token_server.Url() + "/token\",service=\"kw\""}},
       .cert_file = certs.server_cert,
       .key_file = certs.server_key});
  const std::string host = "localhost:" + std::to_string(registry.port());
  auto pem = ReadFile(certs.ca);
  ASSERT_TRUE(pem.has_value());
  options_.registry.sources.source_authorities[host] = {*pem};
  options_.registry.sources.proxies = {.https_proxy = proxy.Url()};

  auto refused = Fetch("registry://" + host + "/kw/token:v1", options_);
  ASSERT_FALSE(refused.has_value());  // the stand-in never accepts the token
  ASSERT_EQ(token_server.Requests().size(), 1u);
  EXPECT_NE(token_server.Requests()[0].target.find("/token?service=kw&scope="), std::string::npos);
  EXPECT_EQ(registry.Requests().back().headers["authorization"], "Bearer t0k3n");
  const std::vector<std::string> requests = proxy.Requests();
  EXPECT_TRUE(Contains(requests, "CONNECT " + host + " HTTP/1.1")) << proxy.Log();
  EXPECT_TRUE(
      Contains(requests, "CONNECT localhost:" + std::to_string(token_server.port()) + " HTTP/1.1"))
      << proxy.Log();
}

TEST_F(ProxyTest, NoProxyBypassesTheProxy) {
  testing::TestRegistry registry;
  const std::string ref = registry.host() + "/kw/bypass:v1";
  options_.registry.sources.insecure_sources.insert(registry.host());
  PushDirect(Module("bypass"), ref, options_.registry.sources);
  // Nothing listens there: any request sent to the proxy fails.
  testing::RefusingLoopbackPort dead_proxy;
  const std::string closed = dead_proxy.Url();

  options_.registry.sources.proxies = {.http_proxy = closed, .https_proxy = closed};
  auto proxied = Fetch("registry://" + ref, options_);
  ASSERT_FALSE(proxied.has_value());
  EXPECT_EQ(proxied.error().kind, ErrorKind::kIo);
  EXPECT_NE(proxied.error().message.find("cannot connect to proxy " + closed), std::string::npos)
      << proxied.error().message;

  for (const std::string& no_proxy :
       std::vector<std::string>{"127.0.0.1", "localhost, 127.0.0.0/8",
                                "127.0.0.1:" + std::to_string(registry.port()), "*"}) {
    options_.registry.sources.proxies.no_proxy = no_proxy;
    options_.store_root = dir_ + "/store-" + std::to_string(std::hash<std::string>()(no_proxy));
    auto direct = Fetch("registry://" + ref, options_);
    ASSERT_TRUE(direct.has_value()) << no_proxy << ": " << direct.error().message;
    EXPECT_TRUE(direct->downloaded);
  }
  // An entry for another port does not exempt this one.
  options_.registry.sources.proxies.no_proxy = "127.0.0.1:1";
  options_.store_root = dir_ + "/store-other-port";
  EXPECT_FALSE(Fetch("registry://" + ref, options_).has_value());
}

TEST_F(ProxyTest, ProxyBasicAuthentication) {
  testing::TestProxy proxy({.username = "alice", .password = "s3cret"});
  testing::TestRegistry tls_registry({.tls = true});
  testing::TestRegistry plain_registry;
  auto pem = ReadFile(tls_registry.certificates().ca);
  ASSERT_TRUE(pem.has_value());
  options_.registry.sources.source_authorities[tls_registry.host()] = {*pem};
  options_.registry.sources.insecure_sources.insert(plain_registry.host());
  const std::string tls_ref = tls_registry.host() + "/kw/auth:v1";
  const std::string plain_ref = plain_registry.host() + "/kw/auth:v1";
  PushDirect(Module("auth"), tls_ref, options_.registry.sources);
  PushDirect(Module("auth"), plain_ref, options_.registry.sources);

  const auto fetch_with = [&](const std::string& proxy_url, const std::string& ref) {
    options_.registry.sources.proxies = {.http_proxy = proxy_url, .https_proxy = proxy_url};
    options_.store_root = testing::MakeTempDir();
    return Fetch("registry://" + ref, options_);
  };

  const std::string right = proxy.UrlWithCredentials("alice", "s3cret");
  auto tunneled = fetch_with(right, tls_ref);
  ASSERT_TRUE(tunneled.has_value()) << tunneled.error().message << "\n" << proxy.Log();
  auto forwarded = fetch_with(right, plain_ref);
  ASSERT_TRUE(forwarded.has_value()) << forwarded.error().message << "\n" << proxy.Log();
  EXPECT_TRUE(Contains(proxy.Requests(), "GET " + plain_registry.Url() + "/v2/kw/auth/"));

  // tinyproxy answers a wrong password with 401 and a missing one with 407.
  const std::string wrong = proxy.UrlWithCredentials("alice", "wrong-pw");
  auto refused = fetch_with(wrong, tls_ref);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("proxy " + proxy.Url() + " refused CONNECT to " +
                                         tls_registry.host() + ": 401"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("wrong-pw"), std::string::npos);
  EXPECT_FALSE(fetch_with(wrong, plain_ref).has_value());

  auto anonymous = fetch_with(proxy.Url(), tls_ref);
  ASSERT_FALSE(anonymous.has_value());
  EXPECT_NE(anonymous.error().message.find("refused CONNECT to " + tls_registry.host() + ": 407"),
            std::string::npos)
      << anonymous.error().message;
  auto anonymous_plain = fetch_with(proxy.Url(), plain_ref);
  ASSERT_FALSE(anonymous_plain.has_value());
  EXPECT_NE(anonymous_plain.error().message.find("proxy " + proxy.Url() + " refused the request"),
            std::string::npos)
      << anonymous_plain.error().message;
}

// The proxy variables of the environment, set for one scope and then restored.
class ScopedProxyEnvironment {
 public:
  explicit ScopedProxyEnvironment(const std::map<std::string, std::string>& values) {
    for (const char* name :
         {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"}) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
      names_.emplace_back(name);
    }
    for (const auto& [name, value] : values) setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedProxyEnvironment() {
    for (const std::string& name : names_) {
      if (auto it = saved_.find(name); it != saved_.end()) {
        setenv(name.c_str(), it->second.c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::string> saved_;
};

TEST_F(ProxyTest, EnvironmentAndSourcesFileOverlayFieldByField) {
  testing::TestProxy proxy;
  testing::TestRegistry registry;
  const std::string ref = registry.host() + "/kw/overlay:v1";
  options_.registry.sources.insecure_sources.insert(registry.host());
  PushDirect(Module("overlay"), ref, options_.registry.sources);
  testing::RefusingLoopbackPort dead_proxy;
  const std::string closed = dead_proxy.Url();

  // The file names a dead proxy and exempts nothing; the environment names the live one and
  // sets only http_proxy.
  const net::ProxySettings file{.http_proxy = closed, .https_proxy = closed};
  net::ProxySettings env;
  {
    ScopedProxyEnvironment scoped({{"HTTP_PROXY", proxy.Url()}, {"https_proxy", ""}});
    env = net::ProxySettingsFromEnvironment();
  }
  ASSERT_EQ(env, net::ProxySettings{.http_proxy = proxy.Url()});

  // kwctl's precedence (environment over file): http_proxy from the environment, https_proxy
  // (used by the TLS attempts, which fail anyway) from the file.
  options_.registry.sources.proxies = net::Overlay(file, env);
  EXPECT_EQ(options_.registry.sources.proxies.https_proxy, closed);
  auto env_wins = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(env_wins.has_value()) << env_wins.error().message;
  EXPECT_TRUE(Contains(proxy.Requests(), "GET " + registry.Url() + "/v2/kw/overlay/"))
      << proxy.Log();

  // policy-server's precedence (file over environment): the dead proxy.
  options_.registry.sources.proxies = net::Overlay(env, file);
  options_.store_root = dir_ + "/store2";
  auto file_wins = Fetch("registry://" + ref, options_);
  ASSERT_FALSE(file_wins.has_value());
  EXPECT_NE(file_wins.error().message.find("cannot connect to proxy " + closed), std::string::npos)
      << file_wins.error().message;

  // The environment's no_proxy alone lifts the file's proxies for the registry.
  {
    ScopedProxyEnvironment scoped(std::map<std::string, std::string>{{"no_proxy", "127.0.0.1"}});
    env = net::ProxySettingsFromEnvironment();
  }
  options_.registry.sources.proxies = net::Overlay(file, env);
  options_.store_root = dir_ + "/store3";
  auto exempt = Fetch("registry://" + ref, options_);
  ASSERT_TRUE(exempt.has_value()) << exempt.error().message;
}

}  // namespace
}  // namespace kw::oci
