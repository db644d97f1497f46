#include "net/http_client.h"

#include <gtest/gtest.h>

#include "testing/certificates.h"
#include "testing/http_sink.h"

namespace kw::net {
namespace {

TEST(ResolveLocation, HandlesTheFormsRegistriesSend) {
  auto base = ParseHttpUrl("https://r.example:5000/v2/a/blobs/uploads/?x=1");
  ASSERT_TRUE(base.has_value());
  EXPECT_EQ(ResolveLocation(*base, "/v2/a/blobs/uploads/u1?_state=s")->ToString(),
            "https://r.example:5000/v2/a/blobs/uploads/u1?_state=s");
  EXPECT_EQ(ResolveLocation(*base, "http://other:1/p")->ToString(), "http://other:1/p");
  EXPECT_EQ(ResolveLocation(*base, "//cdn.example/blob")->ToString(), "https://cdn.example/blob");
  EXPECT_EQ(ResolveLocation(*base, "u2")->ToString(),
            "https://r.example:5000/v2/a/blobs/uploads/u2");
  EXPECT_FALSE(ResolveLocation(*base, "ftp://x/").has_value());
}

TEST(Send, ReturnsStatusHeadersAndBody) {
  testing::HttpSink sink({.status = 201, .body = "hello", .content_type = "text/plain"});
  auto response = Send({.method = "PUT",
                        .url = sink.Url() + "/x?y=1",
                        .headers = {{"X-Test", "1"}},
                        .body = "payload"},
                       nullptr);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201u);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->Header("content-type"), "text/plain");
  auto requests = sink.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/x?y=1");
  EXPECT_EQ(requests[0].headers["x-test"], "1");
  EXPECT_EQ(requests[0].body, "payload");
}

TEST(Send, CapsTheResponseBody) {
  testing::HttpSink sink({.body = std::string(4096, 'x')});
  auto response = Send({.url = sink.Url(), .max_response_bytes = 1000}, nullptr);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kIo);
  EXPECT_NE(response.error().message.find("larger than 1000"), std::string::npos);
}

TEST(Send, VerifiesTlsUnlessInsecure) {
  testing::Certificates certs = testing::MakeCertificates();
  testing::HttpSink sink(
      {.body = "ok", .cert_file = certs.server_cert, .key_file = certs.server_key});
  auto system_only = TlsConfig::Create({});
  ASSERT_TRUE(system_only.has_value());
  auto refused = Send({.url = sink.Url()}, system_only->get());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTls);
  EXPECT_NE(refused.error().message.find("TLS handshake"), std::string::npos);

  auto with_ca = TlsConfig::Create({.ca_file = certs.ca});
  ASSERT_TRUE(with_ca.has_value());
  auto trusted = Send({.url = sink.Url()}, with_ca->get());
  ASSERT_TRUE(trusted.has_value()) << trusted.error().message;
  EXPECT_EQ(trusted->body, "ok");

  auto insecure = TlsConfig::Create({.verify = false});
  ASSERT_TRUE(insecure.has_value());
  auto accepted = Send({.url = sink.Url()}, insecure->get());
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
  EXPECT_EQ(accepted->status, 200u);

  EXPECT_FALSE(Send({.url = sink.Url()}, nullptr).has_value());
}

}  // namespace
}  // namespace kw::net

namespace kw::net {
namespace {

TEST(Send, FollowsRedirectsOnlyWhenAskedAndDropsCredentialsAcrossHosts) {
  testing::HttpSink storage({.body = "blob"});
  testing::HttpSink registry(
      {.status = 307, .body = "", .headers = {{"Location", storage.Url() + "/data?sig=1"}}});
  const HttpRequest request{.url = registry.Url() + "/v2/r/blobs/sha256:x",
                            .headers = {{"Authorization", "Bearer secret"}, {"X-Keep", "1"}},
                            .max_redirects = 3};
  auto followed = Send(request, nullptr);
  ASSERT_TRUE(followed.has_value()) << followed.error().message;
  EXPECT_EQ(followed->status, 200u);
  EXPECT_EQ(followed->body, "blob");
  EXPECT_EQ(followed->url, storage.Url() + "/data?sig=1");
  ASSERT_EQ(storage.Requests().size(), 1u);
  EXPECT_EQ(storage.Requests()[0].headers.count("authorization"), 0u);
  EXPECT_EQ(storage.Requests()[0].headers["x-keep"], "1");
  EXPECT_EQ(registry.Requests()[0].headers["authorization"], "Bearer secret");

  HttpRequest not_followed = request;
  not_followed.max_redirects = 0;
  auto redirect = Send(not_followed, nullptr);
  ASSERT_TRUE(redirect.has_value());
  EXPECT_EQ(redirect->status, 307u);
  EXPECT_EQ(storage.Requests().size(), 1u);
}

TEST(Send, RefusesHeaderInjectionAndHttpsWithoutTls) {
  testing::HttpSink sink;
  auto injected = Send({.url = sink.Url(), .headers = {{"X", "a\r\nEvil: 1"}}}, nullptr);
  ASSERT_FALSE(injected.has_value());
  EXPECT_EQ(injected.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(sink.Requests().empty());
  auto https = Send({.url = "https://127.0.0.1:1/"}, nullptr);
  ASSERT_FALSE(https.has_value());
  EXPECT_EQ(https.error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace kw::net
