// The host capabilities end to end: test_policy.wasm (tests/data/policies) asks the host through
// waPC `__host_call`, as its `host_call` settings say, and answers with what it got: accepted
// with the host's answer as the message, or rejected with "host error: <the host's error>".
// Through the real kwctl (`run`, which grants everything unless --allowed-host-capabilities says
// otherwise) and the real policy-server (a policy gets what its `hostCapabilities` grant).
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/json.h"
#include "testing/certificates.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::TestData;

constexpr std::string_view kUnknownIssuer =
    "Certificate is not trusted by the provided cert chain";

std::string Denied(std::string_view capability) {
  return "host error: Policy has not been granted access to the '" + std::string(capability) +
         "' host capability. The violation has been reported.";
}

using testing::TestPolicyHostCall;

json::value DnsLookup(std::string_view host) {
  return TestPolicyHostCall("net", "v1/dns_lookup_host", json::string(host));
}

json::value PemCert(const std::string& path) {
  auto pem = ReadFile(path);
  EXPECT_TRUE(pem) << path;
  json::array data;
  for (unsigned char b : pem.value_or("")) data.emplace_back(b);
  return json::object{{"encoding", "Pem"}, {"data", std::move(data)}};
}

// Is `cert` trusted by `chain` (null: the system's roots)?
json::value IsTrusted(const std::string& cert, json::value chain) {
  return TestPolicyHostCall("crypto", "v1/is_certificate_trusted",
                  json::object{{"cert", PemCert(cert)},
                               {"cert_chain", std::move(chain)},
                               {"not_after", nullptr}});
}

std::string Trust(bool trusted, std::string_view reason) {
  return ToJson(json::object{{"trusted", trusted}, {"reason", reason}});
}

// status.message of an AdmissionResponse ("" when it has none).
std::string Message(const json::value& response) {
  const json::value* status = FindKey(response, "status");
  const json::value* message = status ? FindKey(*status, "message") : nullptr;
  EXPECT_TRUE(message && message->is_string()) << ToJson(response);
  return message && message->is_string() ? std::string(message->get_string()) : std::string();
}

bool Allowed(const json::value& response) {
  const json::value* allowed = FindKey(response, "allowed");
  return allowed && allowed->is_bool() && allowed->get_bool();
}

class HostCapabilitiesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new testing::Certificates(testing::MakeCertificates()); }
  static void TearDownTestSuite() { delete pki_; }
  static testing::Certificates* pki_;
};
testing::Certificates* HostCapabilitiesTest::pki_ = nullptr;

// The AdmissionResponse of `kwctl run test_policy.wasm` with `settings` on pod_plain.json.
json::value KwctlRun(const json::value& settings, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {testing::KwctlBinary(), "run", TestData("test_policy.wasm"),
                                   "-r", testing::SourcePath("tests/data/requests/pod_plain.json"),
                                   "--settings-json", ToJson(settings)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = testing::RunProcess(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return testing::J(r.out);
}

TEST_F(HostCapabilitiesTest, KwctlRunAnswersBoth) {
  auto localhost = KwctlRun(DnsLookup("localhost"));
  EXPECT_TRUE(Allowed(localhost)) << ToJson(localhost);
  EXPECT_TRUE(testing::IsLocalhostLookup(Message(localhost))) << ToJson(localhost);

  auto unknown = KwctlRun(DnsLookup("nonexistent.invalid"));
  EXPECT_FALSE(Allowed(unknown));
  EXPECT_TRUE(Message(unknown).starts_with(
      "host error: DNS lookup of 'nonexistent.invalid' failed: "))
      << ToJson(unknown);

  auto trusted = KwctlRun(IsTrusted(pki_->server_cert, json::array{PemCert(pki_->ca)}));
  EXPECT_TRUE(Allowed(trusted)) << ToJson(trusted);
  EXPECT_EQ(Message(trusted), Trust(true, ""));

  auto untrusted = KwctlRun(IsTrusted(pki_->server_cert, nullptr));
  EXPECT_EQ(Message(untrusted), Trust(false, kUnknownIssuer));

  auto malformed =
      KwctlRun(TestPolicyHostCall("crypto", "v1/is_certificate_trusted", json::array{}));
  EXPECT_EQ(Message(malformed),
            "host error: cannot decode the crypto/v1/is_certificate_trusted payload: field "
            "'payload' must be an object, got a list");
}

TEST_F(HostCapabilitiesTest, KwctlRunGrantsOnlyWhatItIsTold) {
  auto crypto = KwctlRun(IsTrusted(pki_->server_cert, nullptr),
                         {"--allowed-host-capabilities", "net/*"});
  EXPECT_FALSE(Allowed(crypto));
  EXPECT_EQ(Message(crypto), Denied("crypto/v1/is_certificate_trusted"));

  auto dns = KwctlRun(DnsLookup("localhost"),
                      {"--allowed-host-capabilities", "crypto/v1/is_certificate_trusted"});
  EXPECT_EQ(Message(dns), Denied("net/v1/dns_lookup_host"));

  auto granted = KwctlRun(DnsLookup("localhost"), {"--allowed-host-capabilities", "net/*"});
  EXPECT_TRUE(testing::IsLocalhostLookup(Message(granted))) << ToJson(granted);
}

TEST_F(HostCapabilitiesTest, PolicyServerAnswersGrantedPoliciesOnly) {
  const std::string module = TestData("test_policy.wasm");
  auto policy = [&](const std::string& id, const json::value& settings,
                    const std::string& grants) {
    std::string yaml = id + ":\n  module: " + module + "\n  settings: " + ToJson(settings) + "\n";
    if (!grants.empty()) yaml += "  hostCapabilities: " + grants + "\n";
    return yaml;
  };
  const json::value trusted = IsTrusted(pki_->server_cert, json::array{PemCert(pki_->ca)});
  auto server = testing::PolicyServer::Start(
      policy("dns", DnsLookup("localhost"), R"(["net/v1/dns_lookup_host"])") +
      policy("crypto", trusted, R"(["crypto/*"])") +
      policy("stranger", IsTrusted(pki_->server_cert, json::array{}), R"(["*"])") +
      // Without hostCapabilities a policy is granted nothing, as upstream.
      policy("dns-denied", DnsLookup("localhost"), "") +
      policy("crypto-denied", trusted, R"(["net/*"])"));
  ASSERT_TRUE(server);

  auto response = [&](const std::string& id) {
    auto r = server->Post("/validate/" + id,
                          "{\"request\":" + testing::RequestFile("pod_plain.json") + "}");
    EXPECT_TRUE(r.ok()) << r.error;
    json::value review = testing::J(r.body);
    const json::value* inner = FindKey(review, "response");
    EXPECT_TRUE(inner) << r.body;
    return inner ? *inner : json::value();
  };
  auto dns = response("dns");
  EXPECT_TRUE(Allowed(dns));
  EXPECT_TRUE(testing::IsLocalhostLookup(Message(dns))) << ToJson(dns);
  EXPECT_EQ(Message(response("crypto")), Trust(true, ""));
  EXPECT_EQ(Message(response("stranger")), Trust(false, kUnknownIssuer));
  EXPECT_EQ(Message(response("dns-denied")), Denied("net/v1/dns_lookup_host"));
  EXPECT_EQ(Message(response("crypto-denied")), Denied("crypto/v1/is_certificate_trusted"));
}

}  // namespace
}  // namespace kw
