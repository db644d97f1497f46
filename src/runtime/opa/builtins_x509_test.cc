// crypto.x509.*, crypto.parse_private_keys, and io.jwt signing with RSA and EC keys.
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "base/base64.h"
#include "base/files.h"
#include "runtime/opa/builtins.h"
#include "runtime/opa/rego_value.h"
#include "testing/certificates.h"

namespace kw::runtime::opa {
namespace {

// 2026-12-07T00:00:00Z: within the fixture's validity.
constexpr std::int64_t kFixtureTimeNs = 1796601600LL * 1'000'000'000;

Result<json::value> Call(std::string_view name, const json::array& args,
                         std::int64_t now_ns = kFixtureTimeNs) {
  Builtin builtin = FindBuiltin(name);
  if (builtin == nullptr) return Fail(ErrorKind::kNotFound, "no builtin " + std::string(name));
  BuiltinContext context{.now_ns = now_ns};
  return builtin(context, std::span<const json::value>(args.data(), args.size()));
}

// The result as the guest reads it (big numbers as digits), or "error: <message>".
std::string Text(const Result<json::value>& result) {
  if (!result) return "error: " + result.error().message;
  return JsonText(*result);
}

// The JSON text of field `key` of `value` (an object), after the guest has read it.
std::string Field(const json::value& value, std::string_view key) {
  const json::value* v = value.is_object() ? value.get_object().if_contains(key) : nullptr;
  return v == nullptr ? "<missing>" : JsonText(*v);
}

// A self-signed CA made with the openssl CLI (EC P-256), whose fields the expectations below
// read off `openssl x509 -text` and `openssl asn1parse`:
//   serial 4660; C=DE, O=Kubewarden, OU=Tests, CN=Fixture CA (issuer and subject);
//   valid 2026-12-06 22:07:27 to 2036-12-03 22:07:27 UTC;
//   basicConstraints critical CA:TRUE pathlen:1 (30 06 01 01 ff 02 01 01);
//   keyUsage critical digitalSignature keyCertSign cRLSign (03 02 01 86);
//   extendedKeyUsage serverAuth clientAuth; SKI 19:9A:04:7B:ED:FE:4B:D6:DD:BE:E6:1D:93:9E:12:09:3C:1E:F9:84;
//   subjectAltName DNS:example.com, email:admin@example.com, IP:192.0.2.1,
//   URI:spiffe://example.org/ns/kw; public key point 04 bfa9ad...(X) 7bb6bd...(Y).
constexpr std::string_view kFixtureCa = R"(-----BEGIN CERTIFICATE-----
MIICMDCCAdegAwIBAgICEjQwCgYIKoZIzj0EAwIwRzELMAkGA1UEBhMCREUxEzAR
BgNVBAoMCkt1YmV3YXJkZW4xDjAMBgNVBAsMBVRlc3RzMRMwEQYDVQQDDApGaXh0
dXJlIENBMB4XDTI2MTIwNjIyMDcyN1oXDTM2MTIwMzIyMDcyN1owRzELMAkGA1UE
BhMCREUxEzARBgNVBAoMCkt1YmV3YXJkZW4xDjAMBgNVBAsMBVRlc3RzMRMwEQYD
VQQDDApGaXh0dXJlIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEv6mtIWDz
i25gFcGQG1nWEpsAc9btRzU5xb1zwF6/rYl7tr07gRs3qeYNVBgScWqKxztn0dE+
T8i2u2zrN/+kOaOBsjCBrzASBgNVHRMBAf8ECDAGAQH/AgEBMA4GA1UdDwEB/wQE
AwIBhjAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwHQYDVR0OBBYEFBma
BHvt/kvW3b7mHZOeEgk8HvmEMEsGA1UdEQREMEKCC2V4YW1wbGUuY29tgRFhZG1p
bkBleGFtcGxlLmNvbYcEwAACAYYac3BpZmZlOi8vZXhhbXBsZS5vcmcvbnMva3cw
CgYIKoZIzj0EAwIDRwAwRAIgEi6enqKKg78SR08opAwb8Ign1oBE7yeX57h5KBmb
W38CIFp7X2FEP67pf5FgVjgYFZ2F/rjX3M6WiXTERb+uu2im
-----END CERTIFICATE-----
)";

// The PEM body, on one line: base64 of the DER.
std::string FixtureBase64() {
  std::string out;
  for (std::string_view line : {kFixtureCa}) {
    std::size_t start = line.find('\n') + 1;
    std::size_t end = line.find("-----END");
    for (char c : line.substr(start, end - start)) {
      if (c != '\n') out.push_back(c);
    }
  }
  return out;
}

TEST(OpaX509, ParsesACertificateAsGoMarshalsIt) {
  auto result = Call("crypto.x509.parse_certificates", {json::string(kFixtureCa)});
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_TRUE(result->is_array());
  ASSERT_EQ(result->get_array().size(), 1u);
  const json::value& cert = result->get_array()[0];
  EXPECT_EQ(Field(cert, "Raw"), "\"" + FixtureBase64() + "\"");
  EXPECT_EQ(Field(cert, "Version"), "3");
  EXPECT_EQ(Field(cert, "SerialNumber"), "4660");
  EXPECT_EQ(Field(cert, "SignatureAlgorithm"), "10");  // x509.ECDSAWithSHA256
  EXPECT_EQ(Field(cert, "PublicKeyAlgorithm"), "3");   // x509.ECDSA
  EXPECT_EQ(Field(cert, "PublicKey"),
            R"({"Curve":{},"X":86691546135357830373774924364623869118228612968219316239001598337712276876681,)"
            R"("Y":55957352575824310725415887858696229489906896791037080769368460591250246968377})");
  const std::string name =
      R"({"Country":["DE"],"Organization":["Kubewarden"],"OrganizationalUnit":["Tests"],"Locality":null,)"
      R"("Province":null,"StreetAddress":null,"PostalCode":null,"SerialNumber":"","CommonName":"Fixture CA",)"
      R"("Names":[{"Type":[2,5,4,6],"Value":"DE"},{"Type":[2,5,4,10],"Value":"Kubewarden"},)"
      R"({"Type":[2,5,4,11],"Value":"Tests"},{"Type":[2,5,4,3],"Value":"Fixture CA"}],"ExtraNames":null})";
  EXPECT_EQ(Field(cert, "Issuer"), name);
  EXPECT_EQ(Field(cert, "Subject"), name);
  EXPECT_EQ(Field(cert, "NotBefore"), R"("2026-12-06T22:07:27Z")");
  EXPECT_EQ(Field(cert, "NotAfter"), R"("2036-12-03T22:07:27Z")");
  EXPECT_EQ(Field(cert, "KeyUsage"), "97");  // DigitalSignature | CertSign | CRLSign
  EXPECT_EQ(Field(cert, "Extensions"),
            R"([{"Id":[2,5,29,19],"Critical":true,"Value":"MAYBAf8CAQE="},)"
            R"({"Id":[2,5,29,15],"Critical":true,"Value":"AwIBhg=="},)"
            R"({"Id":[2,5,29,37],"Critical":false,"Value":"MBQGCCsGAQUFBwMBBggrBgEFBQcDAg=="},)"
            R"({"Id":[2,5,29,14],"Critical":false,"Value":"BBQZmgR77f5L1t2+5h2TnhIJPB75hA=="},)"
            R"({"Id":[2,5,29,17],"Critical":false,"Value":"MEKCC2V4YW1wbGUuY29tgRFhZG1pbkBleGFtcGxlLmNvbYcEwAACAYYac3BpZmZlOi8vZXhhbXBsZS5vcmcvbnMva3c="}])");
  EXPECT_EQ(Field(cert, "UnhandledCriticalExtensions"), "null");
  EXPECT_EQ(Field(cert, "ExtKeyUsage"), "[1,2]");  // ServerAuth, ClientAuth
  EXPECT_EQ(Field(cert, "UnknownExtKeyUsage"), "null");
  EXPECT_EQ(Field(cert, "BasicConstraintsValid"), "true");
  EXPECT_EQ(Field(cert, "IsCA"), "true");
  EXPECT_EQ(Field(cert, "MaxPathLen"), "1");
  EXPECT_EQ(Field(cert, "MaxPathLenZero"), "false");
  EXPECT_EQ(Field(cert, "SubjectKeyId"), R"("GZoEe+3+S9bdvuYdk54SCTwe+YQ=")");
  EXPECT_EQ(Field(cert, "AuthorityKeyId"), "null");
  EXPECT_EQ(Field(cert, "DNSNames"), R"(["example.com"])");
  EXPECT_EQ(Field(cert, "EmailAddresses"), R"(["admin@example.com"])");
  EXPECT_EQ(Field(cert, "IPAddresses"), R"(["192.0.2.1"])");
  EXPECT_EQ(Field(cert, "URIs"),
            R"([{"Scheme":"spiffe","Opaque":"","User":null,"Host":"example.org","Path":"/ns/kw",)"
            R"("RawPath":"","OmitHost":false,"ForceQuery":false,"RawQuery":"","Fragment":"","RawFragment":""}])");
  EXPECT_EQ(Field(cert, "URIStrings"), R"(["spiffe://example.org/ns/kw"])");
  EXPECT_EQ(Field(cert, "CRLDistributionPoints"), "null");
  EXPECT_EQ(Field(cert, "PermittedDNSDomainsCritical"), "false");
  // The TBS part is the DER's first element: it starts right after the outer header (4 bytes).
  std::string raw = *Base64Decode(FixtureBase64());
  auto tbs = Base64Decode(std::string(cert.get_object().at("RawTBSCertificate").get_string()));
  ASSERT_TRUE(tbs);
  EXPECT_EQ(*tbs, raw.substr(4, tbs->size()));
  EXPECT_EQ(tbs->substr(0, 4), std::string("\x30\x82\x01\xd7", 4));
}

TEST(OpaX509, ReadsPemBase64OfPemAndBase64OfDer) {
  std::string pem(kFixtureCa);
  std::string expected = Text(Call("crypto.x509.parse_certificates", {json::string(pem)}));
  EXPECT_EQ(Text(Call("crypto.x509.parse_certificates", {json::string(FixtureBase64())})), expected);
  EXPECT_EQ(Text(Call("crypto.x509.parse_certificates", {json::string(Base64Encode(pem))})), expected);
  // Several, and other blocks skipped.
  auto two = Call("crypto.x509.parse_certificates",
                  {json::string(pem + "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n" + pem)});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->get_array().size(), 2u);
  EXPECT_EQ(Text(Call("crypto.x509.parse_certificates", {json::string("not base64!")})),
            "error: crypto.x509.parse_certificates: illegal base64 data");
  EXPECT_EQ(Text(Call("crypto.x509.parse_certificates", {json::string("AAAA")})),
            "error: crypto.x509.parse_certificates: x509: malformed certificate");
  EXPECT_EQ(Text(Call("crypto.x509.parse_certificates", {json::value(1)})),
            "error: crypto.x509.parse_certificates: operand 1 must be string but got number");
}

std::string Pem(const std::string& path) { return *ReadFile(path); }

TEST(OpaX509, VerifiesAChainRootFirstAndAnswersItLeafFirst) {
  testing::Certificates pki = testing::MakeCertificates();
  std::string ca = Pem(pki.ca), server = Pem(pki.server_cert);
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto valid = Call("crypto.x509.parse_and_verify_certificates", {json::string(ca + server)}, now);
  ASSERT_TRUE(valid) << valid.error().message;
  ASSERT_EQ(valid->get_array().size(), 2u);
  EXPECT_EQ(valid->get_array()[0], json::value(true));
  const json::array& chain = valid->get_array()[1].get_array();
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(Field(chain[0], "DNSNames"), R"(["localhost","kubernetes","kubernetes.default",)"
                                         R"("kubernetes.default.svc","kubernetes.default.svc.cluster.local"])")
      << "the leaf first";
  EXPECT_EQ(Field(chain[1], "IsCA"), "true");
  const std::string invalid = "[false,[]]";
  // The leaf given first, a single certificate, a chain at a time it is not valid.
  EXPECT_EQ(Text(Call("crypto.x509.parse_and_verify_certificates", {json::string(server + ca)}, now)), invalid);
  EXPECT_EQ(Text(Call("crypto.x509.parse_and_verify_certificates", {json::string(server)}, now)), invalid);
  EXPECT_EQ(Text(Call("crypto.x509.parse_and_verify_certificates", {json::string(ca + server)}, 0)), invalid);
  EXPECT_EQ(Text(Call("crypto.x509.parse_and_verify_certificates", {json::string("!")}, now)), invalid);
  // Another CA's leaf.
  testing::Certificates other = testing::MakeCertificates();
  EXPECT_EQ(Text(Call("crypto.x509.parse_and_verify_certificates",
                      {json::string(Pem(other.ca) + server)}, now)),
            invalid);
}

TEST(OpaX509, VerifyOptions) {
  constexpr std::string_view kName = "crypto.x509.parse_and_verify_certificates_with_options";
  std::string both = std::string(kFixtureCa) + std::string(kFixtureCa);
  auto verify = [&](std::string_view options) {
    auto result = Call(kName, {json::string(both), *ParseJson(options)});
    if (!result) return "error: " + result.error().message;
    return JsonText(result->get_array()[0]);
  };
  EXPECT_EQ(verify("{}"), "true");
  EXPECT_EQ(verify(R"({"DNSName": "example.com"})"), "true");
  EXPECT_EQ(verify(R"({"DNSName": "192.0.2.1"})"), "true");
  EXPECT_EQ(verify(R"({"DNSName": "example.org"})"), "false");
  EXPECT_EQ(verify(R"({"DNSName": "Fixture CA"})"), "false") << "the CN is not a name";
  EXPECT_EQ(verify(R"({"KeyUsages": ["KeyUsageClientAuth"]})"), "true");
  EXPECT_EQ(verify(R"({"KeyUsages": ["KeyUsageCodeSigning"]})"), "false");
  EXPECT_EQ(verify(R"({"KeyUsages": ["KeyUsageCodeSigning", "KeyUsageServerAuth"]})"), "true");
  EXPECT_EQ(verify(R"({"KeyUsages": ["KeyUsageAny"]})"), "true");
  // 2025: before NotBefore; 2030: within.
  EXPECT_EQ(verify(R"({"CurrentTime": 1735689600000000000})"), "false");
  EXPECT_EQ(verify(R"({"CurrentTime": 1893456000000000000, "MaxConstraintComparisons": 10})"), "true");
  EXPECT_EQ(verify(R"({"KeyUsages": ["KeyUsageFoo", "Bar"]})"),
            std::string("error: ") + std::string(kName) + ": invalid entries for 'KeyUsages' found: [KeyUsageFoo Bar]");
  EXPECT_EQ(verify(R"({"KeyUsages": "KeyUsageAny"})"),
            std::string("error: ") + std::string(kName) + ": 'KeyUsages' should be an Array or Set");
  EXPECT_EQ(verify(R"({"DNSName": 1})"), std::string("error: ") + std::string(kName) + ": 'DNSName' should be a string");
  EXPECT_EQ(verify(R"({"CurrentTime": "now"})"),
            std::string("error: ") + std::string(kName) + ": 'CurrentTime' should be a number");
  EXPECT_EQ(verify(R"({"Foo": 1})"), std::string("error: ") + std::string(kName) + ": invalid key option");
  // Sets work as arrays.
  auto with_set = Call(kName, {json::string(both), json::object{{"KeyUsages", MakeSet({json::string("KeyUsageClientAuth")})}}});
  ASSERT_TRUE(with_set);
  EXPECT_EQ(with_set->get_array()[0], json::value(true));
}

// A request made with `openssl req -new -subj /O=Kubewarden/CN=csr.example.com -addext
// subjectAltName=DNS:csr.example.com,IP:10.0.0.1` and the P-256 key of kEcJwk below.
constexpr std::string_view kRequest = R"(-----BEGIN CERTIFICATE REQUEST-----
MIIBHjCBxAIBADAvMRMwEQYDVQQKDApLdWJld2FyZGVuMRgwFgYDVQQDDA9jc3Iu
ZXhhbXBsZS5jb20wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQh3+sCxbOMxu5a
VjEnWTKTLk37LfzIFZqPX7V1fEDJl2QPeB7dZIUbJWUUKDCMU8auqMOnBwnxT5rN
RizaPJ6/oDMwMQYJKoZIhvcNAQkOMSQwIjAgBgNVHREEGTAXgg9jc3IuZXhhbXBs
ZS5jb22HBAoAAAEwCgYIKoZIzj0EAwIDSQAwRgIhAK5OFn66cTgePnR9brm2VYSF
zuVAZQpWEjdxbzB9jlu3AiEAgqo1lOTbe35R7LaIZIb6CHw9KAQlmYx3dqMqa57e
dXs=
-----END CERTIFICATE REQUEST-----
)";

TEST(OpaX509, ParsesACertificateRequest) {
  constexpr std::string_view kName = "crypto.x509.parse_certificate_request";
  auto request = Call(kName, {json::string(kRequest)});
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(Field(*request, "Version"), "0");
  EXPECT_EQ(Field(*request, "SignatureAlgorithm"), "10");
  EXPECT_EQ(Field(*request, "PublicKeyAlgorithm"), "3");
  EXPECT_EQ(Field(request->get_object().at("PublicKey"), "X"),
            "15321952883825143646290724556274108080454344614703286339260984157023397530007");
  EXPECT_EQ(Field(request->get_object().at("Subject"), "CommonName"), R"("csr.example.com")");
  EXPECT_EQ(Field(*request, "DNSNames"), R"(["csr.example.com"])");
  EXPECT_EQ(Field(*request, "IPAddresses"), R"(["10.0.0.1"])");
  EXPECT_EQ(Field(*request, "Attributes"),
            R"([{"Type":[1,2,840,113549,1,9,14],"Value":[[{"Type":[2,5,29,17],"Value":"MBeCD2Nzci5leGFtcGxlLmNvbYcECgAAAQ=="}]]}])");
  EXPECT_EQ(Field(*request, "Extensions"),
            R"([{"Id":[2,5,29,17],"Critical":false,"Value":"MBeCD2Nzci5leGFtcGxlLmNvbYcECgAAAQ=="}])");
  EXPECT_EQ(Text(Call(kName, {json::string(Base64Encode(kRequest))})), Text(request));
  EXPECT_EQ(Text(Call(kName, {json::string(Base64Encode(kFixtureCa))})),
            "error: crypto.x509.parse_certificate_request: invalid PEM-encoded certificate signing request");
  EXPECT_EQ(Text(Call(kName, {json::string("AAAA")})),
            "error: crypto.x509.parse_certificate_request: x509: malformed certificate request");
}

// kRequest's key, and the same as a JWK.
constexpr std::string_view kEcKey = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIDdiqp2jEwVDMtA5rD6hinUfS195xa896bMqEUoZw8ceoAoGCCqGSM49
AwEHoUQDQgAEId/rAsWzjMbuWlYxJ1kyky5N+y38yBWaj1+1dXxAyZdkD3ge3WSF
GyVlFCgwjFPGrqjDpwcJ8U+azUYs2jyevw==
-----END EC PRIVATE KEY-----
)";
constexpr std::string_view kEcJwk = R"({"kty":"EC","crv":"P-256","x":"Id_rAsWzjMbuWlYxJ1kyky5N-y38yBWaj1-1dXxAyZc","y":"ZA94Ht1khRslZRQoMIxTxq6ow6cHCfFPms1GLNo8nr8","d":"N2KqnaMTBUMy0DmsPqGKdR9LX3nFrz3psyoRShnDxx4"})";
constexpr std::string_view kEcGoKey =
    R"({"Curve":{},"X":15321952883825143646290724556274108080454344614703286339260984157023397530007,)"
    R"("Y":45258616605973697450292571984604501403024637419980348904325901421308519685823,)"
    R"("D":25051535231192242308450378815762619081088934995443274064814734364802554251038})";

TEST(OpaX509, ParsesPrivateKeys) {
  constexpr std::string_view kName = "crypto.parse_private_keys";
  EXPECT_EQ(Text(Call(kName, {json::string(kEcKey)})), "[" + std::string(kEcGoKey) + "]");
  EXPECT_EQ(Text(Call(kName, {json::string(Base64Encode(std::string(kEcKey) + std::string(kFixtureCa) +
                                                         std::string(kEcKey)))})),
            "[" + std::string(kEcGoKey) + "," + std::string(kEcGoKey) + "]");
  EXPECT_EQ(Text(Call(kName, {json::string("")})), "null");
  EXPECT_EQ(Text(Call(kName, {json::string("no PEM here")})), "[]");
}

TEST(OpaX509, ParsesAKeyPair) {
  constexpr std::string_view kName = "crypto.x509.parse_keypair";
  testing::Certificates pki = testing::MakeCertificates();
  std::string cert = Pem(pki.server_cert), key = Pem(pki.server_key), ca = Pem(pki.ca);
  auto pair = Call(kName, {json::string(cert + ca), json::string(Base64Encode(key))});
  ASSERT_TRUE(pair) << pair.error().message;
  const json::object& fields = pair->get_object();
  ASSERT_EQ(fields.at("Certificate").get_array().size(), 2u);
  auto leaf = Call("crypto.x509.parse_certificates", {fields.at("Certificate").get_array()[0]});
  ASSERT_TRUE(leaf);
  EXPECT_EQ(Field(fields.at("Leaf"), "DNSNames"), Field(leaf->get_array()[0], "DNSNames"));
  EXPECT_EQ(Field(fields.at("Leaf"), "URIStrings"), "<missing>") << "a plain x509.Certificate";
  auto keys = Call("crypto.parse_private_keys", {json::string(key)});
  ASSERT_TRUE(keys);
  EXPECT_EQ(Field(*pair, "PrivateKey"), JsonText(keys->get_array()[0]));
  EXPECT_EQ(Field(*pair, "SupportedSignatureAlgorithms"), "null");
  EXPECT_EQ(Field(*pair, "OCSPStaple"), "null");
  EXPECT_EQ(Text(Call(kName, {json::string(cert), json::string(kEcKey)})),
            "error: crypto.x509.parse_keypair: tls: private key does not match public key");
  EXPECT_EQ(Text(Call(kName, {json::string(cert), json::string(cert)})),
            "error: crypto.x509.parse_keypair: tls: failed to find \"PRIVATE KEY\" PEM block in key input");
  EXPECT_EQ(Text(Call(kName, {json::string(key), json::string(key)})),
            "error: crypto.x509.parse_keypair: tls: failed to find \"CERTIFICATE\" PEM block in certificate input");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

// A throwaway P-521 key.
constexpr std::string_view kEc521Jwk = R"({"kty":"EC","crv":"P-521","x":"AahE-BqDhgtMqxejZSIniccGlIkt2H16ty_a4qhd_c6UyoEeVMztq5Vg0lFCHFKQVoajGhQwo0oEuGQDU_f5jhnD","y":"APttVDezT7vPmyfRgSvakWyh6jv_uNpnV8Bwc4JNaUWEkdrkjhfBxN7IjgfJwGiymh-wjRbGFMExDLAiIzePk6MU","d":"AJXCDbIIcmfLk55atihVVw83MMxbGcTCIledCCsEsepjzrFLBtlRnIJvaxAeLJM4vC93YhSGVAnm_DE_doc18kHT"})";

// The private half of builtins_test.cc's kRsaPublicKey, as a JWK.
constexpr std::string_view kRsaJwk = R"({"kty":"RSA","n":"nwkHETuc-Zzd5XAGKAh62oAXUI5bFqCf_XtENLxPucw9xUVbN68PoyH8EUYJyfjPKoYEiR5K7mKGjKhMUJZxXHUxe5H9xzsc7NblYt_6gu5I-sqZre48uKyNwn4QQ5yzTak5ULjPIrBmFvsNA1rijW2RJPrSq6k-SRuhJP_Uios","e":"AQAB","d":"RXGCtYKrW8-kkRAmkAqL4qc2BwXyPmIrGlteAA0OXxoRCvfrCdiWYmxvjfdgROIxS-czSdCBdbBuAjNnB3V5z-5g_pvTLhz_dwijLmx5kWn5YP6aO862VBD6Bo8IhWtdUTdIw48EsNIGvmM6Ru6KaV6HFIijqZy6HCbMGv_ySKk","p":"yumRvIGigGrnSCtCMmVmtMcxjbWrW10RxOAj_68JdodXeMifI5VwygujyJAi3Y4MEL_BndNcJi_udgJipvARJw","q":"yKS1JSqc1USbLtOvX973mts1ONF9HOMdrwYov9pW3_fNiNC1qgNVSYVJkq8rG4hEISw2ro3E5POiX-mnlxAR_Q","dp":"Olc7osJ3EYsrInHln43OIO4gzkjMkwFIaZ20XABcrSquuLieIOIHwt_j4HeovqDn0S0BIzqxBP3FB0MaUDs4Aw","dq":"bp6AUHFh7iLY-8QxmEWxdWsNuLmmpNqCbxCSPtP9uZVBeAC5Z3ZW-yXFHl39Ajzqcu-RZkM7Ho9EImULxLlTcQ","qi":"GSe_2Jo1XSW1Uu6BnwoQiD7_ATV4U1BFpAgv2B8nhPSasi57NESoQpMlq0n0x5ExldGaAfPSdefE4qbXa_enIw"})";

// A throwaway 2048-bit RSA key: PS512 needs room for a 64-byte salt and digest.
constexpr std::string_view kRsa2048Jwk =
    R"({"kty":"RSA","n":"7-R1MIAKElCuMBHrvOykGwxQ3tPJerHocKvErISoF-jrdMQQHGnCvHrr8R0WFOm2Rcqf3HntAkFyercpBgVhMyxLj9XquYsLUzsIwph0w6XeGnUNrlc9G80pIbioX7a3y9ms1okjvIa5Hc510LhxjpYdCychljv6FyjLidefZ6mAFLaILBlMcT7q6TZ1T1xjO24iVenO4rhRj3up2NCRd1U2y_yXKTz5tkh23236JCoeAyT3NJDwUGDnsn0WEE_ZZeP-PLdmIBaPgGDkarDNu_btvDvclfe6CaOjvPOh3E4RX1rIOnKVwBAQlWyLfPWPpH2U_pkfswC3uKpiQhmbuQ","e":"AQAB","d":"AjqBMYd7sUoe_szCy0HJ_EhkSfxow5IBEdzvqaqe8kSVM5XTNJfAXR1rUg7Qp1c8ROm1lcFrY3eDqsrXkcwVQNJlPTQdErm5l1zCKU5EjFg61yguz1PpK13fAk65xPvoojjh0Bxln_nooMw036y8tqhv-9BIog3ivKz0wPI-NSmI7ZVtfYgYcUvwlXG7w07_JWYRYXBeNWMKYCbEOiZRi5m6qZyLuu8Kxy_oT4yoN5XE7vv6zXts7DmPSHHdIjSmA9GGLh9yOuCOsQgbMx8zZgB3a_qsKky5PJQ9FM_MzZteTCsGW5p1z9SVbtswnmEYlvqhZr6SQM7N8n0zk9dB","p":"_nesc-ZlThTP3HBqF4xKD3ziBqHRj7nzZYysJchcEsoOlE4DVBZbZGundhRmHA9J_6hcbQD9QOSyae_pDFTKZopiuix6ZwwXT-oHmMQAfs224BTDlzdQuFVi8jyl-D4TKKXI-NHdxd3EWTO1PcD7p4SaPyCusKs5erPFtHOzY1k","q":"8VZQHj2pX6xb-uoF_lDVQzuqNNaNAm6gc0tM_Ba3Vw5Qa_SPVt9B2vPZn7pHXKSOx3uFSYAjflEmX--jSb8VqGWeLtIvZHvhsaLX8pL2XU2_EQvZw0dr5wWHq_h4zN1huFvyNuK3lLMkljGrcvCPTMAsO2moYBxhHs3VXM6sz2E","dp":"_mDPykSlPLrdV7YguE2Ls5PZt1uITC9NO1S2ukZilH3cuTCLb0GyNt7PVuDpel9mT-YUDvuQL5DvMaucwrD4bC0mqInSCrUxkLeYxIQbIqeuiq73H3EyhjMFaLZsC46yRE4Ga4YQNr6Mi8d_BK6oYzvRng2j1AQ2v4x6tPt8dnE","dq":"2kQ94ZvS-3xfE-dj1EY3Gr9ziKYikfiLlLqdvcCtwEZp5bkhimgQn327bQKEV_1cRH4qZfdGIpAyLMIG5EO1yr9c-OuPgUmpLYch13mi52_RRhF5uWt241HVCmuGlYIDR0GhJpKVhh8fD9eMQD_g2oFTf8hnR8Vi8QEn3u_sywE","qi":"MABn5Ee5Jh8PpLJmFoqfhiICJsPi0YEXaU2JLd-7o9fTQA54Amni3tFoCJR1IXyLyQyPYPxJ2LogR8JbsvQwB9l9iRFntTcN6pYgF0WK2jlGRzp2TYl6kwYyOIQT89oKLMLK_fHmwRMf203JinhDxbw4ZdOtDmhBX2oL5-yqCYs"})";

// The public part of a JWK (what verifies), as a JWK text.
std::string PublicJwk(std::string_view jwk) {
  json::object key = ParseJson(jwk)->get_object();
  for (const char* field : {"d", "p", "q", "dp", "dq", "qi"}) key.erase(field);
  return ToJson(key);
}

std::string SignRaw(std::string_view header, std::string_view payload, std::string_view jwk) {
  auto token = Call("io.jwt.encode_sign_raw", {json::string(header), json::string(payload), json::string(jwk)});
  if (!token) return "error: " + token.error().message;
  return std::string(token->get_string());
}

bool Verifies(std::string_view builtin, const std::string& token, const std::string& key) {
  auto result = Call(builtin, {json::string(token), json::string(key)});
  return result && *result == json::value(true);
}

TEST(OpaJwtSigning, RsaPkcs1IsDeterministic) {
  // builtins_test.cc's kRs256 (signed by another implementation), signed again.
  EXPECT_EQ(SignRaw(R"({"alg":"RS256","typ":"JWT"})", R"({"sub":"kw"})", kRsaJwk),
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrdyJ9.hcfIUUpc2vdRKZRLwyUSm3I39XXr2OEpfWrNNKATBCWGkTiesumpshyrsN0XRxCR9ePpJ3ruwEsHMhmf3CPK4eNbP_9Szp9cJk6oa9Uwn54NefQYXbybOxWjnGmzDUvl9ha87f0WDXviAHN0LIyxWZc81HvHpOx-5y3Pu55Hupk");
}

TEST(OpaJwtSigning, EveryAlgorithmSignsWhatItsVerifierAccepts) {
  const std::string rsa(kRsaJwk), rsa_public = PublicJwk(kRsaJwk);
  const std::string rsa2048(kRsa2048Jwk), rsa2048_public = PublicJwk(kRsa2048Jwk);
  const std::string ec(kEcJwk), ec_public = PublicJwk(kEcJwk);
  const std::string ec521(kEc521Jwk), ec521_public = PublicJwk(kEc521Jwk);
  struct Case {
    const char* alg;
    const std::string& key;
    const std::string& public_key;
  };
  for (const Case& c : {Case{"RS256", rsa, rsa_public}, Case{"RS384", rsa, rsa_public},
                        Case{"RS512", rsa, rsa_public}, Case{"PS256", rsa, rsa_public},
                        Case{"PS384", rsa, rsa_public}, Case{"PS512", rsa2048, rsa2048_public},
                        Case{"ES256", ec, ec_public}, Case{"ES384", ec, ec_public},
                        Case{"ES512", ec521, ec521_public}}) {
    std::string alg = c.alg;
    std::string token = SignRaw(R"({"alg":")" + alg + R"("})", R"({"iss":"kw"})", c.key);
    ASSERT_FALSE(token.starts_with("error")) << alg << ": " << token;
    std::string verifier = "io.jwt.verify_" + alg;
    for (char& ch : verifier) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_TRUE(Verifies(verifier, token, c.public_key)) << alg;
    // decode_verify agrees, and a tampered payload fails.
    auto decoded = Call("io.jwt.decode_verify",
                        {json::string(token), json::object{{"cert", json::string(c.public_key)}, {"alg", json::string(alg)}}});
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->get_array()[0], json::value(true)) << alg;
    std::string tampered = token;
    tampered[tampered.find('.') + 2] ^= 1;
    EXPECT_FALSE(Verifies(verifier, tampered, c.public_key)) << alg;
  }
  // ECDSA signatures are r || s at the curve's width: 64 bytes for P-256, 132 for P-521.
  std::string es256 = SignRaw(R"({"alg":"ES256"})", "{}", kEcJwk);
  EXPECT_EQ(es256.size() - es256.rfind('.') - 1, 86u);
  std::string es512 = SignRaw(R"({"alg":"ES512"})", "{}", kEc521Jwk);
  EXPECT_EQ(es512.size() - es512.rfind('.') - 1, 176u);
}

TEST(OpaJwtSigning, RejectsKeysThatCannotSign) {
  EXPECT_EQ(SignRaw(R"({"alg":"ES256"})", "{}", kRsaJwk),
            "error: io.jwt.encode_sign_raw: the key cannot sign with ES256");
  // RFC 7518 §3.5: the salt is as long as the digest, which a 1024-bit key has no room for.
  EXPECT_EQ(SignRaw(R"({"alg":"PS512"})", "{}", kRsaJwk),
            "error: io.jwt.encode_sign_raw: the key cannot sign with PS512");
  EXPECT_EQ(SignRaw(R"({"alg":"RS256"})", "{}", PublicJwk(kRsaJwk)),
            "error: io.jwt.encode_sign_raw: the key must be an RSA JWK with its private part for RS256");
  EXPECT_EQ(SignRaw(R"({"alg":"none"})", "{}", kRsaJwk),
            "error: io.jwt.encode_sign_raw: unsupported signing algorithm \"none\"");
}

// RFC 7515 appendix A.3: an ES256 JWS and the key that made it (ECDSA is randomized: verify only).
TEST(OpaJwtSigning, VerifiesRfc7515Es256) {
  constexpr std::string_view kToken =
      "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  constexpr std::string_view kKey =
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
  EXPECT_TRUE(Verifies("io.jwt.verify_es256", std::string(kToken), std::string(kKey)));
}

}  // namespace
}  // namespace kw::runtime::opa
