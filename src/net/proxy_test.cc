#include "net/proxy.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "base/base64.h"
#include "net/http_client.h"
#include "testing/http_sink.h"

namespace kw::net {
namespace {

TEST(NoProxyMatches, DomainsMatchThemselvesAndTheirSubdomains) {
  EXPECT_TRUE(NoProxyMatches("corp.example", "corp.example", "443"));
  EXPECT_TRUE(NoProxyMatches("corp.example", "a.b.corp.example", "443"));
  EXPECT_TRUE(NoProxyMatches(".corp.example", "corp.example", "80"));
  EXPECT_TRUE(NoProxyMatches(".corp.example", "x.corp.example", "80"));
  EXPECT_TRUE(NoProxyMatches("*.corp.example", "x.corp.example", "80"));
  EXPECT_FALSE(NoProxyMatches("corp.example", "notcorp.example", "443"));
  EXPECT_FALSE(NoProxyMatches("corp.example", "corp.example.org", "443"));
  EXPECT_FALSE(NoProxyMatches("corp.example", "example", "443"));
}

TEST(NoProxyMatches, IgnoresCaseBlanksAndEmptyEntries) {
  EXPECT_TRUE(NoProxyMatches(" , other.example ,  Corp.Example  ", "REGISTRY.corp.example", "443"));
  EXPECT_TRUE(NoProxyMatches("corp.example.", "registry.corp.example.", "443"));
  EXPECT_FALSE(NoProxyMatches("", "corp.example", "443"));
  EXPECT_FALSE(NoProxyMatches(" , ,", "corp.example", "443"));
}

TEST(NoProxyMatches, StarMatchesEverything) {
  EXPECT_TRUE(NoProxyMatches("*", "anything.example", "443"));
  EXPECT_TRUE(NoProxyMatches("a.example, *", "10.1.2.3", "80"));
  EXPECT_TRUE(NoProxyMatches("*", "::1", "80"));
}

TEST(NoProxyMatches, AddressesMatchExactly) {
  EXPECT_TRUE(NoProxyMatches("127.0.0.1", "127.0.0.1", "5000"));
  EXPECT_FALSE(NoProxyMatches("127.0.0.1", "127.0.0.2", "5000"));
  EXPECT_FALSE(NoProxyMatches("127.0.0.1", "localhost", "5000"));
  EXPECT_TRUE(NoProxyMatches("::1", "::1", "443"));
  EXPECT_TRUE(NoProxyMatches("[::1]", "0:0:0:0:0:0:0:1", "443"));
  EXPECT_FALSE(NoProxyMatches("::1", "::2", "443"));
  EXPECT_FALSE(NoProxyMatches("::1", "127.0.0.1", "443"));
}

TEST(NoProxyMatches, CidrBlocksMatchTheirAddresses) {
  EXPECT_TRUE(NoProxyMatches("10.0.0.0/8", "10.200.3.4", "443"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8", "11.0.0.1", "443"));
  EXPECT_TRUE(NoProxyMatches("192.168.1.0/25", "192.168.1.127", "443"));
  EXPECT_FALSE(NoProxyMatches("192.168.1.0/25", "192.168.1.128", "443"));
  EXPECT_TRUE(NoProxyMatches("0.0.0.0/0", "8.8.8.8", "443"));
  EXPECT_TRUE(NoProxyMatches("fd00::/8", "fd12:3456::1", "443"));
  EXPECT_FALSE(NoProxyMatches("fd00::/8", "fe80::1", "443"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8", "ten.example", "443"));
  // Malformed blocks match nothing.
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/33", "10.0.0.1", "443"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/", "10.0.0.1", "443"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/x", "10.0.0.1", "443"));
}

TEST(NoProxyMatches, AnEntryWithAPortNeedsThatPort) {
  EXPECT_TRUE(NoProxyMatches("corp.example:5000", "r.corp.example", "5000"));
  EXPECT_FALSE(NoProxyMatches("corp.example:5000", "r.corp.example", "443"));
  EXPECT_TRUE(NoProxyMatches("127.0.0.1:8080", "127.0.0.1", "8080"));
  EXPECT_FALSE(NoProxyMatches("127.0.0.1:8080", "127.0.0.1", "80"));
  EXPECT_TRUE(NoProxyMatches("[::1]:8080", "::1", "8080"));
  EXPECT_FALSE(NoProxyMatches("[::1]:8080", "::1", "8081"));
  EXPECT_TRUE(NoProxyMatches("10.0.0.0/8:443", "10.1.1.1", "443"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8:443", "10.1.1.1", "80"));
}

TEST(ParseProxyUrl, ReadsHostPortAndCredentials) {
  auto plain = ParseProxyUrl("http://proxy.example:3128");
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ(plain->host, "proxy.example");
  EXPECT_EQ(plain->port, "3128");
  EXPECT_FALSE(plain->authorization.has_value());
  EXPECT_EQ(plain->display, "http://proxy.example:3128");

  auto bare = ParseProxyUrl("  proxy.example:8080/ ");
  ASSERT_TRUE(bare.has_value()) << bare.error().message;
  EXPECT_EQ(bare->host, "proxy.example");
  EXPECT_EQ(bare->port, "8080");

  auto default_port = ParseProxyUrl("HTTP://proxy.example");
  ASSERT_TRUE(default_port.has_value()) << default_port.error().message;
  EXPECT_EQ(default_port->port, "80");
  EXPECT_EQ(default_port->display, "http://proxy.example:80");

  auto v6 = ParseProxyUrl("http://[::1]:3128");
  ASSERT_TRUE(v6.has_value()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->display, "http://[::1]:3128");

  auto with_user = ParseProxyUrl("http://al%40ice:p%3Ass@proxy.example:3128");
  ASSERT_TRUE(with_user.has_value()) << with_user.error().message;
  EXPECT_EQ(with_user->authorization, "Basic " + Base64Encode("al@ice:p:ss"));
  EXPECT_EQ(with_user->display, "http://proxy.example:3128");
}

TEST(ParseProxyUrl, RefusesWhatItCannotSpeakWithoutLeakingCredentials) {
  auto tls = ParseProxyUrl("https://user:secret@proxy.example");
  ASSERT_FALSE(tls.has_value());
  EXPECT_EQ(tls.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(tls.error().message.find("TLS"), std::string::npos) << tls.error().message;
  EXPECT_EQ(tls.error().message.find("secret"), std::string::npos) << tls.error().message;

  auto socks = ParseProxyUrl("socks5://proxy.example:1080");
  ASSERT_FALSE(socks.has_value());
  EXPECT_NE(socks.error().message.find("socks5"), std::string::npos);

  EXPECT_FALSE(ParseProxyUrl("http://").has_value());
  EXPECT_FALSE(ParseProxyUrl("http://user:pw@").has_value());
  auto bad_port = ParseProxyUrl("http://user:secret@proxy.example:99999");
  ASSERT_FALSE(bad_port.has_value());
  EXPECT_EQ(bad_port.error().message.find("secret"), std::string::npos) << bad_port.error().message;
  EXPECT_FALSE(ParseProxyUrl("http://u:%zz@proxy.example").has_value());
  auto slash = ParseProxyUrl("http://user:se/cr@et@proxy.example:bad");
  ASSERT_FALSE(slash.has_value());
  EXPECT_EQ(slash.error().message.find("se/cr"), std::string::npos) << slash.error().message;
  auto lenient = ParseProxyUrl("http://user:se/cr@et@proxy.example:3128");
  ASSERT_TRUE(lenient.has_value()) << lenient.error().message;
  EXPECT_EQ(lenient->authorization, "Basic " + Base64Encode("user:se/cr@et"));
}

TEST(ProxyFor, PicksTheSchemesProxyUnlessNoProxyMatches) {
  const ProxySettings settings{.http_proxy = "http://h:1",
                               .https_proxy = "http://s:2",
                               .no_proxy = "internal.example,127.0.0.1"};
  auto http = ProxyFor(settings, false, "registry.example", "80");
  ASSERT_TRUE(http.has_value());
  ASSERT_TRUE(http->has_value());
  EXPECT_EQ((*http)->display, "http://h:1");
  auto https = ProxyFor(settings, true, "registry.example", "443");
  ASSERT_TRUE(https.has_value() && https->has_value());
  EXPECT_EQ((*https)->display, "http://s:2");
  auto exempt = ProxyFor(settings, true, "r.internal.example", "443");
  ASSERT_TRUE(exempt.has_value());
  EXPECT_FALSE(exempt->has_value());
  auto loopback = ProxyFor(settings, false, "127.0.0.1", "5000");
  ASSERT_TRUE(loopback.has_value());
  EXPECT_FALSE(loopback->has_value());

  auto none = ProxyFor({.https_proxy = "  "}, true, "registry.example", "443");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto only_http = ProxyFor({.http_proxy = "http://h:1"}, true, "registry.example", "443");
  ASSERT_TRUE(only_http.has_value());
  EXPECT_FALSE(only_http->has_value());

  auto bad = ProxyFor({.https_proxy = "ftp://x"}, true, "registry.example", "443");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("https_proxy"), std::string::npos) << bad.error().message;
}

TEST(Overlay, TakesEachFieldFromTopWhenSet) {
  const ProxySettings file{.http_proxy = "http://file-http:1", .https_proxy = "http://file-s:2"};
  const ProxySettings env{.https_proxy = "http://env-s:3", .no_proxy = "env.example"};
  EXPECT_EQ(Overlay(file, env), (ProxySettings{.http_proxy = "http://file-http:1",
                                               .https_proxy = "http://env-s:3",
                                               .no_proxy = "env.example"}));
  EXPECT_EQ(Overlay(env, file), (ProxySettings{.http_proxy = "http://file-http:1",
                                               .https_proxy = "http://file-s:2",
                                               .no_proxy = "env.example"}));
  EXPECT_EQ(Overlay(file, {}), file);
  EXPECT_EQ(Overlay(file, {.http_proxy = " "}), file);
  EXPECT_EQ(Overlay({}, env), env);
}

// Sets proxy variables for one test and restores the previous environment afterwards.
class ProxyEnvironmentTest : public ::testing::Test {
 protected:
  static constexpr const char* kNames[] = {"HTTP_PROXY",  "http_proxy", "HTTPS_PROXY",
                                           "https_proxy", "NO_PROXY",   "no_proxy"};
  void SetUp() override {
    for (const char* name : kNames) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kNames) {
      if (auto it = saved_.find(name); it != saved_.end()) {
        setenv(name, it->second.c_str(), 1);
      } else {
        unsetenv(name);
      }
    }
  }
  std::map<std::string, std::string> saved_;
};

TEST_F(ProxyEnvironmentTest, UnsetMeansNoProxies) {
  EXPECT_EQ(ProxySettingsFromEnvironment(), ProxySettings{});
}

TEST_F(ProxyEnvironmentTest, ReadsEitherSpellingAndUpperCaseWins) {
  setenv("http_proxy", "http://lower-http:1", 1);
  setenv("HTTPS_PROXY", "http://upper-https:2", 1);
  setenv("https_proxy", "http://lower-https:3", 1);
  setenv("no_proxy", "lower.example", 1);
  setenv("NO_PROXY", "upper.example", 1);
  EXPECT_EQ(ProxySettingsFromEnvironment(), (ProxySettings{.http_proxy = "http://lower-http:1",
                                                           .https_proxy = "http://upper-https:2",
                                                           .no_proxy = "upper.example"}));
}

TEST_F(ProxyEnvironmentTest, EmptyValuesCountAsUnset) {
  setenv("HTTP_PROXY", "", 1);
  setenv("http_proxy", "http://lower:1", 1);
  setenv("HTTPS_PROXY", "", 1);
  setenv("NO_PROXY", "", 1);
  EXPECT_EQ(ProxySettingsFromEnvironment(), ProxySettings{.http_proxy = "http://lower:1"});
}

// An HttpSink stands in for a proxy: it records what a proxy would be sent.
TEST(SendThroughProxy, PlainHttpUsesTheAbsoluteFormAndProxyAuthorization) {
  testing::HttpSink proxy({.body = "proxied"});
  auto response = Send({.url = "http://registry.invalid:5000/v2/?x=1",
                        .headers = {{"Authorization", "Bearer t"}},
                        .proxies = {.http_proxy = "http://us%3Aer:pa%40ss@127.0.0.1:" +
                                                  std::to_string(proxy.port())}},
                       nullptr);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "proxied");
  auto requests = proxy.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "http://registry.invalid:5000/v2/?x=1");
  EXPECT_EQ(requests[0].headers["host"], "registry.invalid:5000");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer t");
  EXPECT_EQ(requests[0].headers["proxy-authorization"], "Basic " + Base64Encode("us:er:pa@ss"));
}

TEST(SendThroughProxy, NoProxyGoesDirect) {
  testing::HttpSink server({.body = "direct"});
  auto response = Send({.url = server.Url() + "/x",
                        .proxies = {.http_proxy = "http://127.0.0.1:9", .no_proxy = "127.0.0.1"}},
                       nullptr);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "direct");
  EXPECT_EQ(server.Requests().at(0).target, "/x");
}

TEST(SendThroughProxy, ErrorsNameTheProxy) {
  auto refused =
      Send({.url = "http://registry.invalid/", .proxies = {.http_proxy = "127.0.0.1:9"}}, nullptr);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ErrorKind::kIo);
  EXPECT_NE(refused.error().message.find("cannot connect to proxy http://127.0.0.1:9"),
            std::string::npos)
      << refused.error().message;

  auto tls = TlsConfig::Create({});
  ASSERT_TRUE(tls.has_value());
  testing::HttpSink forbidding({.status = 403});
  auto forbidden =
      Send({.url = "https://registry.invalid:8443/v2/",
            .proxies = {.https_proxy = "http://127.0.0.1:" + std::to_string(forbidding.port())}},
           tls->get());
  ASSERT_FALSE(forbidden.has_value());
  EXPECT_NE(
      forbidden.error().message.find("proxy http://127.0.0.1:" + std::to_string(forbidding.port()) +
                                     " refused CONNECT to registry.invalid:8443: 403"),
      std::string::npos)
      << forbidden.error().message;
  auto connects = forbidding.Requests();
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].method, "CONNECT");
  EXPECT_EQ(connects[0].target, "registry.invalid:8443");
  EXPECT_EQ(connects[0].headers["host"], "registry.invalid:8443");

  testing::HttpSink needs_auth({.status = 407});
  auto unauthorized =
      Send({.url = "http://registry.invalid/",
            .proxies = {.http_proxy = "http://127.0.0.1:" + std::to_string(needs_auth.port())}},
           nullptr);
  ASSERT_FALSE(unauthorized.has_value());
  EXPECT_NE(unauthorized.error().message.find("407"), std::string::npos);
  EXPECT_NE(unauthorized.error().message.find("proxy http://127.0.0.1:"), std::string::npos);

  auto invalid =
      Send({.url = "http://registry.invalid/", .proxies = {.http_proxy = "socks5://x"}}, nullptr);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().kind, ErrorKind::kInvalidArgument);
}

TEST(SendThroughProxy, RefusesATunnelThatStartsWithTheProxysOwnData) {
  // Answers CONNECT with 200 and a body: nothing may arrive before the TLS handshake.
  testing::HttpSink hostile({.status = 200, .body = "not TLS"});
  auto tls = TlsConfig::Create({});
  ASSERT_TRUE(tls.has_value());
  auto response =
      Send({.url = "https://registry.invalid/",
            .proxies = {.https_proxy = "http://127.0.0.1:" + std::to_string(hostile.port())}},
           tls->get());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kIo);
}

TEST(SendThroughProxy, EachRedirectHopDecidesItsProxyAgain) {
  testing::HttpSink proxy({.body = "from the proxy"});
  // The first hop is exempt (no_proxy) and redirects to a host that is not.
  testing::HttpSink origin({.status = 302, .headers = {{"Location", "http://cdn.invalid/blob"}}});
  auto response = Send({.url = origin.Url() + "/v2/blob",
                        .headers = {{"Authorization", "Bearer t"}},
                        .max_redirects = 2,
                        .proxies = {.http_proxy = "127.0.0.1:" + std::to_string(proxy.port()),
                                    .no_proxy = "127.0.0.1"}},
                       nullptr);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body, "from the proxy");
  EXPECT_EQ(response->url, "http://cdn.invalid/blob");
  ASSERT_EQ(origin.Requests().size(), 1u);
  EXPECT_EQ(origin.Requests()[0].target, "/v2/blob");
  auto proxied = proxy.Requests();
  ASSERT_EQ(proxied.size(), 1u);
  EXPECT_EQ(proxied[0].target, "http://cdn.invalid/blob");
  EXPECT_EQ(proxied[0].headers.count("authorization"), 0u);  // another host: credentials dropped
}

TEST(SendThroughProxy, TheDeadlineCoversTheConnectExchange) {
  // A listener that never accepts: connecting succeeds (the backlog), no answer ever comes.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t size = sizeof address;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  auto tls = TlsConfig::Create({});
  ASSERT_TRUE(tls.has_value());
  auto response =
      Send({.url = "https://registry.invalid/",
            .timeout = std::chrono::milliseconds(300),
            .proxies = {.https_proxy = "127.0.0.1:" + std::to_string(ntohs(address.sin_port))}},
           tls->get());
  close(fd);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kIo);
  EXPECT_NE(response.error().message.find("did not answer CONNECT"), std::string::npos)
      << response.error().message;
}

TEST(SendProgress, ReportsGrowingCountsUpToTheContentLength) {
  const std::string body(300000, 'x');
  testing::HttpSink server({.body = body});
  std::vector<std::pair<std::uint64_t, std::optional<std::uint64_t>>> calls;
  auto response = Send({.url = server.Url(),
                        .max_response_bytes = body.size(),
                        .on_progress =
                            [&](std::uint64_t received, std::optional<std::uint64_t> total) {
                              calls.emplace_back(received, total);
                            }},
                       nullptr);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  ASSERT_FALSE(calls.empty());
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back().first, body.size());
  EXPECT_EQ(calls.back().second, body.size());
}

TEST(SendProgress, IsSilentForErrorAnswers) {
  testing::HttpSink server({.status = 404, .body = "not here"});
  int calls = 0;
  auto response =
      Send({.url = server.Url(), .on_progress = [&](std::uint64_t, auto) { ++calls; }}, nullptr);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 404u);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace kw::net
