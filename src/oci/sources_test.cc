#include "oci/sources.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/json.h"
#include "testing/certificates.h"
#include "testing/process.h"

namespace kw::oci {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ParseSources, ReadsEveryKey) {
  testing::Certificates certs = testing::MakeCertificates();
  const std::string pem = ReadAll(certs.ca);
  // The same CA, DER-encoded, as a Path entry.
  const std::string der = certs.dir + "/ca.der";
  ASSERT_EQ(testing::RunProcess(
                {"/usr/bin/openssl", "x509", "-in", certs.ca, "-outform", "DER", "-out", der})
                .exit_code,
            0);
  json::string quoted(pem);
  const std::string yaml =
      "insecure_sources: [\"dev.example.com\", \"host:5500\"]\n"
      "source_authorities:\n"
      "  \"pre.example.com:5000\":\n"
      "    - {type: Path, path: " +
      der +
      "}\n"
      "    - {type: Data, data: " +
      json::serialize(quoted) +
      "}\n"
      "proxies: {http_proxy: \"http://p:3128\", no_proxy: localhost}\n"
      "unknown_key: ignored\n";
  auto sources = ParseSources(yaml);
  ASSERT_TRUE(sources.has_value()) << sources.error().message;
  EXPECT_TRUE(sources->IsInsecure("dev.example.com"));
  EXPECT_TRUE(sources->IsInsecure("host:5500"));
  EXPECT_FALSE(sources->IsInsecure("host"));  // exact host[:port] match
  const auto cas = sources->AuthoritiesFor("pre.example.com:5000");
  ASSERT_EQ(cas.size(), 2u);
  EXPECT_EQ(cas[0], cas[1]);  // DER and PEM of one certificate give the same PEM
  EXPECT_TRUE(cas[0].starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_TRUE(sources->AuthoritiesFor("pre.example.com").empty());
  EXPECT_EQ(sources->AllAuthorities().size(), 2u);
  EXPECT_EQ(sources->proxies.http_proxy, "http://p:3128");
  EXPECT_EQ(sources->proxies.no_proxy, "localhost");
  EXPECT_FALSE(sources->proxies.https_proxy.has_value());
}

TEST(ParseSources, EmptyAndJsonWork) {
  auto empty = ParseSources("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->insecure_sources.empty());
  auto json = ParseSources(R"({"insecure_sources": ["a:1"]})");
  ASSERT_TRUE(json.has_value());
  EXPECT_TRUE(json->IsInsecure("a:1"));
}

TEST(ParseSources, RejectsBadEntriesNamingThem) {
  const struct {
    const char* yaml;
    const char* mentions;
  } cases[] = {
      {"insecure_sources: host", "insecure_sources"},
      {"source_authorities: [1]", "source_authorities"},
      {"source_authorities: {h: [{type: Data, data: not a certificate}]}",
       "source_authorities.h[0]"},
      {"source_authorities: {h: [{type: Url, data: x}]}", "Path or Data"},
      {"source_authorities: {h: [{type: Path, path: /nonexistent/ca.pem}]}", "/nonexistent"},
      {"source_authorities: {h: [{data: x}]}", "type"},
      {"proxies: 3", "proxies"},
      {"- a list", "sources"},
  };
  for (const auto& c : cases) {
    auto sources = ParseSources(c.yaml);
    ASSERT_FALSE(sources.has_value()) << c.yaml;
    EXPECT_NE(sources.error().message.find(c.mentions), std::string::npos)
        << c.yaml << " -> " << sources.error().message;
  }
}

TEST(LoadSources, NamesTheFile) {
  auto missing = LoadSources("/nonexistent/sources.yaml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace kw::oci
