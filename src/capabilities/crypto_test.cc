#include "capabilities/crypto.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>

#include "base/files.h"
#include "base/json.h"
#include "capabilities/capabilities.h"
#include "testing/certificates.h"
#include "verify/crypto.h"

namespace kw::capabilities {
namespace {

const host::HostCapabilities kAll = host::HostCapabilities::AllowAll();

Result<std::string> IsTrusted(std::string_view payload) {
  static const host::DispatcherSharedPtr dispatcher = MakeDispatcher();
  host::CallContext ctx{"crypto-test", &kAll};
  return dispatcher->Call(ctx, "kubewarden", "crypto", "v1/is_certificate_trusted", payload);
}

// upstream's Cert: {"encoding": ..., "data": [bytes]}.
json::value Cert(std::string_view encoding, std::string_view bytes) {
  json::array data;
  for (unsigned char b : bytes) data.emplace_back(b);
  return json::object{{"encoding", encoding}, {"data", std::move(data)}};
}

std::string Read(const std::string& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text) << path;
  return text ? *text : std::string();
}

std::string Der(const std::string& pem) {
  auto certs = verify::ParseCertificatesPem(pem, 1);
  EXPECT_TRUE(certs && certs->size() == 1);
  return certs && certs->size() == 1 ? verify::CertificateDer((*certs)[0].get()) : std::string();
}

std::string Payload(const json::value& cert, const json::value& chain = nullptr,
                    const json::value& not_after = nullptr) {
  return ToJson(json::object{{"cert", cert}, {"cert_chain", chain}, {"not_after", not_after}});
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string Answer(bool trusted, std::string_view reason) {
  return ToJson(json::object{{"trusted", trusted}, {"reason", reason}});
}

constexpr std::string_view kUnknownIssuer =
    "Certificate is not trusted by the provided cert chain";

class CertificateTrusted : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new kw::testing::Certificates(kw::testing::MakeCertificates());
    other_pki_ = new kw::testing::Certificates(kw::testing::MakeCertificates());
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete other_pki_;
  }
  static std::string ServerPem() { return Read(pki_->server_cert); }
  static std::string CaPem() { return Read(pki_->ca); }

  static kw::testing::Certificates* pki_;
  static kw::testing::Certificates* other_pki_;
};
kw::testing::Certificates* CertificateTrusted::pki_ = nullptr;
kw::testing::Certificates* CertificateTrusted::other_pki_ = nullptr;

TEST_F(CertificateTrusted, ByItsIssuerInPemAndDer) {
  auto pem = IsTrusted(Payload(Cert("Pem", ServerPem()), json::array{Cert("Pem", CaPem())}));
  ASSERT_TRUE(pem) << pem.error().message;
  EXPECT_EQ(*pem, Answer(true, ""));

  auto der = IsTrusted(
      Payload(Cert("Der", Der(ServerPem())), json::array{Cert("Der", Der(CaPem()))}, ""));
  ASSERT_TRUE(der) << der.error().message;
  EXPECT_EQ(*der, Answer(true, ""));

  // Anchors need not be roots: the certificate's issuer is enough, whatever else the chain holds.
  auto mixed = IsTrusted(Payload(Cert("Pem", ServerPem()),
                                 json::array{Cert("Pem", Read(other_pki_->ca)),
                                             Cert("Der", Der(CaPem()))}));
  ASSERT_TRUE(mixed) << mixed.error().message;
  EXPECT_EQ(*mixed, Answer(true, ""));
}

TEST_F(CertificateTrusted, UntilNotAfterOnly) {
  const auto now = std::chrono::system_clock::now();
  // The test certificates are valid for a day.
  auto within = IsTrusted(Payload(Cert("Pem", ServerPem()), json::array{Cert("Pem", CaPem())},
                                  json::string(Rfc3339(now + std::chrono::hours(1)))));
  ASSERT_TRUE(within) << within.error().message;
  EXPECT_EQ(*within, Answer(true, ""));

  auto after = IsTrusted(Payload(Cert("Pem", ServerPem()), json::array{Cert("Pem", CaPem())},
                                 json::string(Rfc3339(now + std::chrono::hours(48)))));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(*after, Answer(false, "Certificate is being used after its expiration date"));

  // An offset is RFC 3339 too.
  auto before = IsTrusted(Payload(Cert("Pem", ServerPem()), json::array{Cert("Pem", CaPem())},
                                  "2001-02-03T04:05:06+02:00"));
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(*before, Answer(false, "Certificate is being used before its validity date"));
}

TEST_F(CertificateTrusted, NotByAStrangerChainOrTheSystemStore) {
  auto stranger = IsTrusted(
      Payload(Cert("Pem", ServerPem()), json::array{Cert("Pem", Read(other_pki_->ca))}));
  ASSERT_TRUE(stranger) << stranger.error().message;
  EXPECT_EQ(*stranger, Answer(false, kUnknownIssuer));

  auto empty_chain = IsTrusted(Payload(Cert("Pem", ServerPem()), json::array{}));
  ASSERT_TRUE(empty_chain) << empty_chain.error().message;
  EXPECT_EQ(*empty_chain, Answer(false, kUnknownIssuer));

  // No chain: the system's roots, which do not know the test CA (nor its self-signed cert).
  for (const std::string& pem : {ServerPem(), CaPem()}) {
    auto system = IsTrusted(Payload(Cert("Pem", pem)));
    ASSERT_TRUE(system) << system.error().message;
    EXPECT_EQ(*system, Answer(false, kUnknownIssuer));
  }
}

TEST_F(CertificateTrusted, ASystemRootWithoutAChain) {
  const std::string bundle = "/etc/ssl/certs/ca-certificates.crt";
  if (!std::filesystem::exists(bundle)) GTEST_SKIP() << "no system trust store";
  auto roots = verify::ParseCertificatesPem(Read(bundle), 1000);
  ASSERT_TRUE(roots && !roots->empty());
  // The first root of the bundle that is valid now (the bundle may hold expired ones).
  for (const auto& root : *roots) {
    std::string der = verify::CertificateDer(root.get());
    auto answer = IsTrusted(Payload(Cert("Der", der)));
    ASSERT_TRUE(answer) << answer.error().message;
    if (answer->find("expiration date") != std::string::npos) continue;
    EXPECT_EQ(*answer, Answer(true, ""));
    return;
  }
  FAIL() << "no valid root in " << bundle;
}

TEST_F(CertificateTrusted, ABrokenSignatureIsOpenSslsReason) {
  std::string der = Der(ServerPem());
  der.back() ^= 0x01;  // the last byte of the ECDSA signature
  auto answer = IsTrusted(Payload(Cert("Der", der), json::array{Cert("Pem", CaPem())}));
  ASSERT_TRUE(answer) << answer.error().message;
  auto v = ParseJson(*answer);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("trusted"), false);
  std::string reason(v->at("reason").as_string());
  EXPECT_TRUE(reason.starts_with("Certificate not trusted: ")) << reason;
  EXPECT_NE(reason, "Certificate not trusted: ");
}

TEST_F(CertificateTrusted, BadPayloadsAreClearHostErrors) {
  const std::string prefix = "cannot decode the crypto/v1/is_certificate_trusted payload: ";
  const std::string server = ServerPem();
  struct Case {
    std::string payload;
    std::string message;  // a prefix of the error
  };
  for (const Case& c : std::vector<Case>{
           {"not json", prefix},
           {"[]", prefix + "field 'payload' must be an object, got a list"},
           {"{}", prefix + "missing field 'cert'"},
           {R"({"cert":"PEM"})", prefix + "field 'cert' must be an object, got a string"},
           {R"({"cert":{"encoding":"pem","data":[]}})",
            prefix + "field 'cert.encoding': unknown value 'pem', expected one of: Pem, Der"},
           {R"({"cert":{"encoding":"Pem"}})", prefix + "missing field 'cert.data'"},
           {R"({"cert":{"encoding":"Pem","data":"LS0t"}})",
            prefix + "field 'cert.data' must be a list of bytes (numbers from 0 to 255), got a "
                     "string"},
           {R"({"cert":{"encoding":"Pem","data":[45,256]}})",
            prefix + "field 'cert.data[1]' must be a byte (a number from 0 to 255), got 256"},
           {R"({"cert":{"encoding":"Pem","data":[-1]}})",
            prefix + "field 'cert.data[0]' must be a byte (a number from 0 to 255), got -1"},
           {R"({"cert":{"encoding":"Pem","data":[1.5]}})",
            prefix + "field 'cert.data[0]' must be a byte (a number from 0 to 255), got 1.5E0"},
           {Payload(Cert("Pem", server), "not a list"),
            prefix + "field 'cert_chain' must be a list of certificates or null, got a string"},
           {Payload(Cert("Pem", server), json::array{json::object{{"encoding", "Der"}}}),
            prefix + "missing field 'cert_chain[0].data'"},
           {Payload(Cert("Pem", server), nullptr, 42),
            prefix + "field 'not_after' must be a string, got a number"},
           {Payload(Cert("Pem", server), nullptr, "tomorrow"),
            prefix + "field 'not_after': not an RFC 3339 timestamp: 'tomorrow'"},
           {std::string(kMaxCertificateTrustPayload + 1, ' '),
            prefix + std::to_string(kMaxCertificateTrustPayload + 1) +
                " bytes is more than the limit of " +
                std::to_string(kMaxCertificateTrustPayload) + " bytes"},
           // Well-formed payloads whose bytes are no certificate.
           {Payload(Cert("Pem", "hello")), "cert: no PEM certificate in the data"},
           {Payload(Cert("Pem", Der(server))), "cert: no PEM certificate in the data"},
           {Payload(Cert("Der", server)), "cert: not a DER certificate"},
           {Payload(Cert("Der", "")), "cert: not a DER certificate"},
           {Payload(Cert("Pem", server + server)), "cert: more than 1 certificates"},
           {Payload(Cert("Pem", server), json::array{Cert("Der", "junk")}),
            "cert_chain[0]: not a DER certificate"},
       }) {
    auto answer = IsTrusted(c.payload);
    ASSERT_FALSE(answer) << c.payload.substr(0, 200) << " -> " << *answer;
    EXPECT_EQ(answer.error().kind, ErrorKind::kHostError);
    EXPECT_TRUE(answer.error().message.starts_with(c.message))
        << c.payload.substr(0, 200) << "\n  -> " << answer.error().message;
  }
}

TEST_F(CertificateTrusted, IsDeniedWithoutTheGrant) {
  auto net_only = host::HostCapabilities::Parse({"net/v1/dns_lookup_host"});
  ASSERT_TRUE(net_only);
  host::CallContext ctx{"crypto-test", &*net_only};
  auto answer = MakeDispatcher()->Call(ctx, "kubewarden", "crypto", "v1/is_certificate_trusted",
                                       Payload(Cert("Pem", ServerPem())));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().message,
            "Policy has not been granted access to the 'crypto/v1/is_certificate_trusted' host "
            "capability. The violation has been reported.");
}

}  // namespace
}  // namespace kw::capabilities
