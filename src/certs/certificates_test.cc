// The certificates made here are checked by parsing their PEM with OpenSSL directly, and by using
// them the way their consumers do: a TLS handshake, OpenSSL's chain verification.
#include "certs/certificates.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <functional>
#include <memory>

#include "base/base64.h"
#include "base/files.h"
#include "testing/certificates.h"
#include "testing/process.h"
#include "verify/crypto.h"

namespace kw::certs {
namespace {

using namespace std::chrono;
using verify::PKeyPtr;
using verify::X509Ptr;

const TimePoint kNow = sys_days{2026y / December / 6} + 13h;
constexpr std::string_view kHost = "policy-server-default.kubewarden.svc";

X509Ptr Cert(std::string_view pem) {
  auto certs = verify::ParseCertificatesPem(pem, 4);
  if (!certs || certs->size() != 1) {
    ADD_FAILURE() << "not one certificate: " << pem;
    return nullptr;
  }
  return std::move(certs->front());
}

PKeyPtr Key(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_NE(key, nullptr) << pem;
  return key;
}

std::string CommonName(X509* cert) {
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
  return name;
}

std::string CurveOf(EVP_PKEY* key) {
  char group[64] = {};
  std::size_t length = 0;
  EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length);
  return std::string(group, length);
}

TimePoint Time(const ASN1_TIME* t) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return system_clock::from_time_t(timegm(&tm));
}

int SerialBits(X509* cert) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  EXPECT_FALSE(BN_is_negative(serial.get()));
  EXPECT_FALSE(BN_is_zero(serial.get()));
  return BN_num_bits(serial.get());
}

bool ExtensionIsCritical(X509* cert, int nid) {
  return X509_EXTENSION_get_critical(X509_get_ext(cert, X509_get_ext_by_NID(cert, nid, -1))) == 1;
}

std::vector<std::string> DnsNames(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    EXPECT_EQ(name->type, GEN_DNS);
    if (name->type != GEN_DNS) continue;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                     ASN1_STRING_length(name->d.dNSName));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string ReadOrDie(const std::string& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text) << path;
  return text.value_or("");
}

CertificateAuthority NewCa(TimePoint now = kNow) {
  auto ca = CreateCa(now);
  EXPECT_TRUE(ca) << ca.error().message;
  return ca.value_or(CertificateAuthority{});
}

IssuedCertificate Serving(const CertificateAuthority& ca, std::string_view host = kHost,
                          TimePoint now = kNow) {
  auto issued = IssueServing(ca, host, now);
  EXPECT_TRUE(issued) << issued.error().message;
  return issued.value_or(IssuedCertificate{});
}

TEST(CreateCa, HasTheProfileUpstreamGenerates) {
  const CertificateAuthority ca = NewCa();
  X509Ptr cert = Cert(ca.cert_pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(CommonName(cert.get()), "kubewarden-controller-ca");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);

  auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, nullptr, nullptr));
  ASSERT_NE(constraints, nullptr);
  EXPECT_TRUE(constraints->ca);
  BASIC_CONSTRAINTS_free(constraints);
  EXPECT_TRUE(ExtensionIsCritical(cert.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_key_usage(cert.get()),
            std::uint32_t{KU_KEY_CERT_SIGN | KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT});
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), std::uint32_t{XKU_SSL_CLIENT | XKU_SSL_SERVER});
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_GE(SerialBits(cert.get()), 64);  // below only once in 2^64 draws
  EXPECT_LE(SerialBits(cert.get()), 128);

  EXPECT_LE(Time(X509_get0_notBefore(cert.get())), kNow);
  EXPECT_EQ(Time(X509_get0_notAfter(cert.get())), kNow + days{3650});

  EXPECT_TRUE(ca.key_pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n")) << ca.key_pem;
  PKeyPtr key = Key(ca.key_pem);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
  EXPECT_EQ(CurveOf(key.get()), "prime256v1");
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1);  // self-signed

  EXPECT_TRUE(CheckCa(ca.cert_pem, ca.key_pem, kNow));
  auto not_after = NotAfter(ca.cert_pem);
  ASSERT_TRUE(not_after) << not_after.error().message;
  EXPECT_EQ(*not_after, kNow + days{3650});
}

TEST(CreateCa, DrawsANewKeyAndSerialEachTime) {
  X509Ptr a = Cert(NewCa().cert_pem);
  X509Ptr b = Cert(NewCa().cert_pem);
  ASSERT_TRUE(a && b);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
  EXPECT_NE(EVP_PKEY_eq(X509_get0_pubkey(a.get()), X509_get0_pubkey(b.get())), 1);
}

TEST(IssueServing, HasTheProfilePolicyServersAreGiven) {
  const CertificateAuthority ca = NewCa();
  const IssuedCertificate leaf = Serving(ca);
  X509Ptr cert = Cert(leaf.cert_pem);
  X509Ptr ca_cert = Cert(ca.cert_pem);
  ASSERT_TRUE(cert && ca_cert);

  EXPECT_EQ(CommonName(cert.get()), kHost);
  EXPECT_EQ(DnsNames(cert.get()), std::vector<std::string>{std::string(kHost)});
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_key_usage(cert.get()),
            std::uint32_t{KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT});
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), std::uint32_t{XKU_SSL_CLIENT | XKU_SSL_SERVER});
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ca_cert.get())),
            0);
  const ASN1_OCTET_STRING* authority = X509_get0_authority_key_id(cert.get());
  ASSERT_NE(authority, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(authority, X509_get0_subject_key_id(ca_cert.get())), 0);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(ca_cert.get())), 1);
  EXPECT_GE(SerialBits(cert.get()), 64);
  EXPECT_LE(SerialBits(cert.get()), 128);
  EXPECT_LE(Time(X509_get0_notBefore(cert.get())), kNow);
  EXPECT_EQ(Time(X509_get0_notAfter(cert.get())), kNow + days{365});

  EXPECT_TRUE(leaf.key_pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
  PKeyPtr key = Key(leaf.key_pem);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(CurveOf(key.get()), "prime256v1");

  auto checked = CheckServing(leaf.cert_pem, leaf.key_pem, {ca.cert_pem}, kHost, kNow);
  EXPECT_TRUE(checked) << checked.error().message;
}

TEST(IssueServing, NeverOutlivesItsCa) {
  const CertificateAuthority ca = NewCa();
  const IssuedCertificate leaf = Serving(ca, kHost, kNow + days{3600});
  auto leaf_expiry = NotAfter(leaf.cert_pem);
  auto ca_expiry = NotAfter(ca.cert_pem);
  ASSERT_TRUE(leaf_expiry && ca_expiry);
  EXPECT_EQ(*leaf_expiry, *ca_expiry);
}

TEST(IssueServing, TakesServiceNamesLongerThanACommonNameUsuallyIs) {
  const CertificateAuthority ca = NewCa();
  // The longest a Service name (a DNS label) and a namespace can be.
  const std::string host =
      "policy-server-" + std::string(49, 'p') + "." + std::string(63, 'n') + ".svc";
  const IssuedCertificate leaf = Serving(ca, host);
  X509Ptr cert = Cert(leaf.cert_pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(DnsNames(cert.get()), std::vector<std::string>{host});
  EXPECT_TRUE(CheckServing(leaf.cert_pem, leaf.key_pem, {ca.cert_pem}, host, kNow));
}

TEST(IssueServing, RefusesWhatIsNotOneDnsName) {
  const CertificateAuthority ca = NewCa();
  for (const std::string& bad :
       {std::string(), std::string("a.svc,DNS:evil.example"), std::string("-a.svc"),
        std::string("a..svc"), std::string("a.svc."), std::string("*.svc"),
        std::string("a\0b.svc", 7), std::string(64, 'a') + ".svc",
        std::string(127, 'a') + "." + std::string(127, 'b')}) {
    auto issued = IssueServing(ca, bad, kNow);
    ASSERT_FALSE(issued) << bad;
    EXPECT_EQ(issued.error().kind, ErrorKind::kInvalidArgument);
  }
}

TEST(IssueClient, MakesTheAuditScannerCertificate) {
  const CertificateAuthority ca = NewCa();
  auto client = IssueClient(ca, "audit-scanner-client", kNow);
  ASSERT_TRUE(client) << client.error().message;
  X509Ptr cert = Cert(client->cert_pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(CommonName(cert.get()), "audit-scanner-client");
  EXPECT_TRUE(DnsNames(cert.get()).empty());
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), std::uint32_t{XKU_SSL_CLIENT});
  EXPECT_EQ(Time(X509_get0_notAfter(cert.get())), kNow + days{365});

  EXPECT_FALSE(IssueClient(ca, "", kNow));
  EXPECT_FALSE(IssueClient(ca, std::string(65, 'c'), kNow));
  EXPECT_FALSE(IssueClient(ca, "line\nbreak", kNow));
}

TEST(CheckServing, SaysWhatIsWrong) {
  const CertificateAuthority ca = NewCa();
  const CertificateAuthority stranger = NewCa();
  const IssuedCertificate leaf = Serving(ca);
  const IssuedCertificate other = Serving(ca);
  auto expect_error = [&](Result<void> r, std::string_view words) {
    ASSERT_FALSE(r) << words;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  };
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {ca.cert_pem}, "other.kubewarden.svc",
                            kNow),
               "hostname mismatch");
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {stranger.cert_pem}, kHost, kNow),
               "unable to get local issuer certificate");
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {ca.cert_pem}, kHost, kNow + days{366}),
               "certificate has expired");
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {ca.cert_pem}, kHost, kNow - days{1}),
               "not yet valid");
  expect_error(CheckServing(leaf.cert_pem, other.key_pem, {ca.cert_pem}, kHost, kNow),
               "does not match");
  expect_error(CheckServing(leaf.cert_pem, "", {ca.cert_pem}, kHost, kNow), "no unencrypted");
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem + other.key_pem, {ca.cert_pem}, kHost,
                            kNow),
               "several");
  expect_error(CheckServing(leaf.cert_pem + ca.cert_pem, leaf.key_pem, {ca.cert_pem}, kHost, kNow),
               "exactly one");
  expect_error(CheckServing("garbage", leaf.key_pem, {ca.cert_pem}, kHost, kNow), "found none");
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {}, kHost, kNow), "no CA certificate");
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {"garbage"}, kHost, kNow),
               "no CA certificate");
  // A certificate cannot vouch for itself, nor for others as a CA when it is not one.
  expect_error(CheckServing(leaf.cert_pem, leaf.key_pem, {leaf.cert_pem}, kHost, kNow), "");
  expect_error(CheckServing(other.cert_pem, std::nullopt, {leaf.cert_pem}, kHost, kNow), "");
}

TEST(CheckServing, TrustsAnyCaOfABundle) {
  const CertificateAuthority old_ca = NewCa();
  const CertificateAuthority new_ca = NewCa();
  const IssuedCertificate leaf = Serving(old_ca);
  EXPECT_TRUE(CheckServing(leaf.cert_pem, std::nullopt, {new_ca.cert_pem + old_ca.cert_pem}, kHost,
                           kNow));
  EXPECT_TRUE(CheckServing(leaf.cert_pem, std::nullopt, {new_ca.cert_pem, old_ca.cert_pem}, kHost,
                           kNow));
}

TEST(CheckCa, RefusesHostileSecrets) {
  const CertificateAuthority ca = NewCa();
  const CertificateAuthority other = NewCa();
  const IssuedCertificate leaf = Serving(ca);
  EXPECT_FALSE(CheckCa("garbage", ca.key_pem, kNow));
  EXPECT_FALSE(CheckCa(ca.cert_pem, "garbage", kNow));
  EXPECT_FALSE(CheckCa(ca.cert_pem, other.key_pem, kNow));            // the key of another CA
  EXPECT_FALSE(CheckCa(leaf.cert_pem, leaf.key_pem, kNow));           // not a CA
  EXPECT_FALSE(CheckCa(ca.cert_pem + other.cert_pem, ca.key_pem, kNow));  // several certificates
  EXPECT_FALSE(CheckCa(ca.cert_pem, ca.key_pem, kNow + days{3651}));  // expired
  EXPECT_FALSE(CheckCa(ca.cert_pem, std::nullopt, kNow - days{1}));   // not yet valid
  // A huge input is refused before OpenSSL sees it, whatever it contains.
  std::string huge;
  while (huge.size() <= kMaxPemBytes) huge += ca.cert_pem;
  auto r = CheckCa(huge, ca.key_pem, kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("too large"), std::string::npos) << r.error().message;
  EXPECT_FALSE(NotAfter(huge));
  EXPECT_FALSE(NotAfter("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  EXPECT_FALSE(IssueServing({ca.cert_pem, other.key_pem}, kHost, kNow));
  EXPECT_FALSE(IssueServing({leaf.cert_pem, leaf.key_pem}, kHost, kNow));
  EXPECT_FALSE(IssueServing({"", ""}, kHost, kNow));
  EXPECT_FALSE(IssueServing(ca, kHost, kNow + days{3651}));  // an expired CA
  EXPECT_FALSE(IssueServing(ca, kHost, kNow, seconds{0}));
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left on OpenSSL's error queue
}

// `key` as PKCS#8 PEM, encrypted with `passphrase` unless it is empty.
std::string Pkcs8Pem(EVP_PKEY* key, std::string passphrase = "") {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key,
                                          passphrase.empty() ? nullptr : EVP_aes_128_cbc(),
                                          passphrase.data(), int(passphrase.size()), nullptr,
                                          nullptr),
            1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, length);
}

TEST(CheckCa, RefusesKeysTlsPeersDoNotTake) {
  PKeyPtr ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  ASSERT_NE(ed448, nullptr);
  auto r = CheckCa(NewCa().cert_pem, Pkcs8Pem(ed448.get()), kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unsupported key type"), std::string::npos)
      << r.error().message;
}

TEST(CheckCa, RefusesAnEncryptedKeyWithoutAskingForAPassphrase) {
  const CertificateAuthority ca = NewCa();
  PKeyPtr key = Key(ca.key_pem);
  auto r = CheckCa(ca.cert_pem, Pkcs8Pem(key.get(), "secret"), kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no unencrypted"), std::string::npos) << r.error().message;
}

// A key file may carry other PEM blocks after its key, but not a second key, whatever its label.
TEST(CheckCa, TakesOneKeyFollowedByOtherBlocksButNotTwoKeys) {
  const CertificateAuthority ca = NewCa();
  const CertificateAuthority other = NewCa();
  EXPECT_TRUE(CheckCa(ca.cert_pem, ca.key_pem + ca.cert_pem, kNow));
  EXPECT_TRUE(CheckCa(ca.cert_pem, ca.key_pem + "trailing words\n", kNow));
  PKeyPtr other_key = Key(other.key_pem);
  for (const std::string& second : {other.key_pem, Pkcs8Pem(other_key.get())}) {
    auto r = CheckCa(ca.cert_pem, ca.key_pem + "between\n" + second, kNow);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("found several"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

// A CA made by `openssl req -x509 <args>`, valid for a day from now.
CertificateAuthority OpenSslCa(const std::vector<std::string>& args) {
  const std::string dir = testing::MakeTempDir();
  std::vector<std::string> argv = {"/usr/bin/openssl", "req", "-x509", "-nodes", "-keyout",
                                   dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "1",
                                   "-subj", "/CN=made-elsewhere"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto made = testing::RunProcess(argv);
  EXPECT_EQ(made.exit_code, 0) << made.err;
  return {ReadOrDie(dir + "/ca.pem"), ReadOrDie(dir + "/ca.key")};
}

// `pem` (one block labelled `label`) with its DER bytes changed by `change`.
std::string ChangeDer(std::string_view pem, std::string_view label,
                      const std::function<void(std::string&)>& change) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----\n";
  const std::string end = "-----END " + std::string(label) + "-----\n";
  EXPECT_TRUE(pem.starts_with(begin) && pem.ends_with(end)) << pem;
  std::string body(pem.substr(begin.size(), pem.size() - begin.size() - end.size()));
  std::erase(body, '\n');
  std::string der = Base64Decode(body).value_or("");
  change(der);
  return begin + Base64Encode(der) + "\n" + end;
}

// A SEC1 key carries its public half: one whose private half was damaged still "matches" its
// certificate by that half, and would sign what nobody can verify.
TEST(CheckCa, RefusesAKeyWhosePrivateHalfIsDamaged) {
  const CertificateAuthority ca = NewCa();
  const std::string damaged = ChangeDer(ca.key_pem, "EC PRIVATE KEY", [](std::string& der) {
    der[7] ^= 1;  // SEC1: 30 77 02 01 01 04 20, then the private scalar
  });
  auto checked = CheckCa(ca.cert_pem, damaged, kNow);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("do not belong together"), std::string::npos)
      << checked.error().message;
  EXPECT_FALSE(IssueServing({ca.cert_pem, damaged}, kHost, kNow));
}

// Verifiers end chains at a self-signed root: a CA certificate whose subject or signature was
// changed is no root, whatever its key.
TEST(CheckCa, RefusesACaCertificateThatIsNotItsOwnIssuer) {
  const CertificateAuthority ca = NewCa();
  const std::string renamed = ChangeDer(ca.cert_pem, "CERTIFICATE", [](std::string& der) {
    der[der.rfind("kubewarden-controller-ca")] = 'K';  // the subject, after the issuer
  });
  auto checked = CheckCa(renamed, ca.key_pem, kNow);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("self-signed"), std::string::npos)
      << checked.error().message;
  const std::string resigned = ChangeDer(ca.cert_pem, "CERTIFICATE", [](std::string& der) {
    der[der.size() - 3] ^= 1;  // inside the signature
  });
  EXPECT_FALSE(CheckCa(resigned, ca.key_pem, kNow));
}

// What an older install or a user may have put in `kubewarden-ca`: made by the openssl CLI,
// PKCS#8 keys; an RSA root too.
TEST(CheckCa, TakesCasMadeElsewhere) {
  const testing::Certificates pki = testing::MakeCertificates();
  TimePoint now = system_clock::now();  // after openssl made the CA: its notBefore is its "now"
  const CertificateAuthority ec_ca{ReadOrDie(pki.ca), ReadOrDie(pki.dir + "/ca.key")};
  auto checked = CheckCa(ec_ca.cert_pem, ec_ca.key_pem, now);
  EXPECT_TRUE(checked) << checked.error().message;
  const IssuedCertificate from_ec = Serving(ec_ca, kHost, now);
  checked = CheckServing(from_ec.cert_pem, from_ec.key_pem, {ec_ca.cert_pem}, kHost, now);
  EXPECT_TRUE(checked) << checked.error().message;

  for (const char* bits : {"2048", "1024"}) {
    const CertificateAuthority rsa_ca = OpenSslCa({"-newkey", std::string("rsa:") + bits});
    now = system_clock::now();
    if (std::string_view(bits) == "1024") {
      auto refused = CheckCa(rsa_ca.cert_pem, rsa_ca.key_pem, now);
      ASSERT_FALSE(refused);
      EXPECT_NE(refused.error().message.find("2048"), std::string::npos);
      EXPECT_FALSE(IssueServing(rsa_ca, kHost, now));
      continue;
    }
    checked = CheckCa(rsa_ca.cert_pem, rsa_ca.key_pem, now);
    EXPECT_TRUE(checked) << checked.error().message;
    const IssuedCertificate from_rsa = Serving(rsa_ca, kHost, now);
    checked = CheckServing(from_rsa.cert_pem, from_rsa.key_pem, {rsa_ca.cert_pem}, kHost, now);
    EXPECT_TRUE(checked) << checked.error().message;
  }
}

// A root whose leaves would never verify is no CA for us: replaced once rather than its leaves
// re-issued at every pass.
TEST(CheckCa, RefusesCasWhoseCertificatesWouldNotVerify) {
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"};
  for (const char* extension :
       {"extendedKeyUsage=clientAuth", "nameConstraints=permitted;DNS:.example.com",
        "policyConstraints=critical,requireExplicitPolicy:0", "basicConstraints=critical,CA:FALSE",
        "keyUsage=digitalSignature"}) {
    std::vector<std::string> args = ec;
    args.insert(args.end(), {"-addext", extension});
    const CertificateAuthority ca = OpenSslCa(args);
    const TimePoint now = system_clock::now();
    auto checked = CheckCa(ca.cert_pem, ca.key_pem, now);
    ASSERT_FALSE(checked) << extension;
    EXPECT_TRUE(checked.error().message.starts_with("CA certificate: ")) << checked.error().message;
    EXPECT_FALSE(CheckCa(ca.cert_pem, std::nullopt, now)) << extension;
    EXPECT_FALSE(IssueServing(ca, kHost, now)) << extension;
  }
}

// A TLS handshake over a pair of memory BIOs, the client trusting `ca_pem` and checking
// `host`; the server asks for a client certificate signed by the same CA when `mutual`.
struct Handshake {
  bool ok = false;
  long client_verify = X509_V_OK;
};

Handshake Connect(const IssuedCertificate& server_cert, const std::string& ca_pem,
                  const std::string& host, const IssuedCertificate* client_cert = nullptr,
                  bool mutual = false) {
  using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
  using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;
  CtxPtr server_ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  CtxPtr client_ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  X509Ptr ca = Cert(ca_pem);
  X509Ptr cert = Cert(server_cert.cert_pem);
  PKeyPtr key = Key(server_cert.key_pem);
  EXPECT_EQ(SSL_CTX_use_certificate(server_ctx.get(), cert.get()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(server_ctx.get(), key.get()), 1);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx.get()), ca.get());
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (mutual) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(server_ctx.get()), ca.get());
    SSL_CTX_set_verify(server_ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       nullptr);
  }
  X509Ptr client_x509;
  PKeyPtr client_key;
  if (client_cert != nullptr) {
    client_x509 = Cert(client_cert->cert_pem);
    client_key = Key(client_cert->key_pem);
    EXPECT_EQ(SSL_CTX_use_certificate(client_ctx.get(), client_x509.get()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(client_ctx.get(), client_key.get()), 1);
  }

  SslPtr server(SSL_new(server_ctx.get()), SSL_free);
  SslPtr client(SSL_new(client_ctx.get()), SSL_free);
  SSL_set_tlsext_host_name(client.get(), host.c_str());
  EXPECT_EQ(SSL_set1_host(client.get(), host.c_str()), 1);
  BIO* client_io = nullptr;
  BIO* server_io = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&client_io, 0, &server_io, 0), 1);
  SSL_set_bio(client.get(), client_io, client_io);
  SSL_set_bio(server.get(), server_io, server_io);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());

  Handshake result;
  for (int round = 0; round < 50; ++round) {
    const int c = SSL_do_handshake(client.get());
    const int s = SSL_do_handshake(server.get());
    if (c == 1 && s == 1) {
      result.ok = true;
      break;
    }
    auto stuck = [](SSL* ssl, int rc) {
      const int error = SSL_get_error(ssl, rc);
      return rc != 1 && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
    };
    if (stuck(client.get(), c) || stuck(server.get(), s)) break;
  }
  result.client_verify = SSL_get_verify_result(client.get());
  ERR_clear_error();
  return result;
}

TEST(Handshake, ClientTrustingTheCaAcceptsTheServingCertificateForItsName) {
  const TimePoint now = system_clock::now();
  const CertificateAuthority ca = NewCa(now);
  const IssuedCertificate server = Serving(ca, kHost, now);
  const Handshake good = Connect(server, ca.cert_pem, std::string(kHost));
  EXPECT_TRUE(good.ok);
  EXPECT_EQ(good.client_verify, X509_V_OK);

  const Handshake wrong_name = Connect(server, ca.cert_pem, "policy-server-other.kubewarden.svc");
  EXPECT_FALSE(wrong_name.ok);
  EXPECT_EQ(wrong_name.client_verify, X509_V_ERR_HOSTNAME_MISMATCH);

  const Handshake wrong_ca = Connect(server, NewCa(now).cert_pem, std::string(kHost));
  EXPECT_FALSE(wrong_ca.ok);
  EXPECT_NE(wrong_ca.client_verify, X509_V_OK);
}

TEST(Handshake, ServerAsksForTheAuditScannerClientCertificate) {
  const TimePoint now = system_clock::now();
  const CertificateAuthority ca = NewCa(now);
  const IssuedCertificate server = Serving(ca, kHost, now);
  auto client = IssueClient(ca, "audit-scanner-client", now);
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_TRUE(Connect(server, ca.cert_pem, std::string(kHost), &*client, /*mutual=*/true).ok);
  EXPECT_FALSE(Connect(server, ca.cert_pem, std::string(kHost), nullptr, /*mutual=*/true).ok);
  auto stranger = IssueClient(NewCa(now), "audit-scanner-client", now);
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(Connect(server, ca.cert_pem, std::string(kHost), &*stranger, /*mutual=*/true).ok);
}

}  // namespace
}  // namespace kw::certs
