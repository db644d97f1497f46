#include "certs/certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "verify/crypto.h"

namespace kw::certs {
namespace {

using verify::PKeyPtr;
using verify::X509Ptr;

// Every failure path drains OpenSSL's per-thread error queue, so that whatever the thread does
// next (a TLS handshake reads that queue) does not see our leftovers.
std::unexpected<Error> Invalid(std::string message) {
  ERR_clear_error();
  return Fail(ErrorKind::kInvalidArgument, std::move(message));
}

std::unexpected<Error> OpenSslFailed(std::string_view what) {
  std::string message = "OpenSSL failed to " + std::string(what);
  if (unsigned long code = ERR_peek_last_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += std::string(": ") + reason;
  }
  ERR_clear_error();
  return Fail(ErrorKind::kInternal, std::move(message));
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using AuthorityKeyIdPtr =
    std::unique_ptr<AUTHORITY_KEYID, Deleter<AUTHORITY_KEYID, AUTHORITY_KEYID_free>>;
using OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;

// CA certificates accepted across all of CheckServing's `ca_pems`: a caBundle holds two.
constexpr std::size_t kMaxCaCertificates = 16;
// How far notBefore is set back from `now`: a node or API server whose clock runs behind ours
// must not see a certificate we just issued as not yet valid.
constexpr std::chrono::hours kBackdate{1};
constexpr std::string_view kCaCommonName = "kubewarden-controller-ca";

std::time_t ToTimeT(TimePoint t) { return std::chrono::system_clock::to_time_t(t); }

Result<std::time_t> NotAfterOf(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return Invalid("certificate: unreadable notAfter");
  }
  return timegm(&tm);
}

Result<void> CheckSize(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxPemBytes) {
    return Invalid(std::string(what) + " PEM too large (" + std::to_string(pem.size()) +
                   " bytes, at most " + std::to_string(kMaxPemBytes) + ")");
  }
  return {};
}

// The single certificate of `pem`, as policy-server wants its certificate file and as a Secret's
// ca.crt holds it.
Result<X509Ptr> ParseOneCertificate(std::string_view pem, std::string_view what) {
  KW_TRY(CheckSize(pem, what));
  auto certs = verify::ParseCertificatesPem(pem, 2);
  if (!certs) return Invalid(std::string(what) + ": " + certs.error().message);
  if (certs->size() != 1) {
    return Invalid(std::string(what) + ": expected exactly one PEM certificate, found " +
                   (certs->empty() ? "none" : "several"));
  }
  return std::move(certs->front());
}

// Never asks for a passphrase: OpenSSL's default callback would prompt on the terminal, and an
// encrypted key in a Secret is simply not one we can use.
int NoPassphrase(char*, int, int, void*) { return -1; }

// Whether what is left of `bio` holds another private key. OpenSSL 3.0 sets its decoders up
// afresh for every read, which costs as much as reading the key itself, so the rest is first
// searched for the end of a private key's PEM label: every label PEM_read_bio_PrivateKey accepts
// ("PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ...) ends so.
bool AnotherPrivateKeyFollows(BIO* bio) {
  char* rest = nullptr;
  const long size = BIO_get_mem_data(bio, &rest);
  if (size <= 0 || std::string_view(rest, static_cast<std::size_t>(size))
                           .find("PRIVATE KEY-----") == std::string_view::npos) {
    return false;
  }
  PKeyPtr another(PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr));
  ERR_clear_error();  // the end of the input reads as an error
  return another != nullptr;
}

Result<PKeyPtr> ParseOnePrivateKey(std::string_view pem) {
  KW_TRY(CheckSize(pem, "private key"));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFailed("allocate a buffer");
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) return Invalid("private key: no unencrypted PEM private key found");
  if (AnotherPrivateKeyFollows(bio.get())) {
    return Invalid("private key: expected exactly one PEM private key, found several");
  }
  // Only what TLS peers accept, and bounded: checking a key costs time that grows with its size.
  const int type = EVP_PKEY_get_base_id(key.get());
  if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA && type != EVP_PKEY_ED25519) {
    return Invalid("private key: unsupported key type (EC, RSA or Ed25519 expected)");
  }
  if (type == EVP_PKEY_RSA && EVP_PKEY_get_bits(key.get()) > 8192) {
    return Invalid("private key: RSA keys of more than 8192 bits are not supported");
  }
  // A key file carries its public half too, and that is all X509_check_private_key compares: a
  // damaged private half would pass it and then sign what nobody can verify.
  std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check) return OpenSslFailed("allocate a key check");
  if (EVP_PKEY_pairwise_check(check.get()) != 1) {
    return Invalid("private key: its private and public halves do not belong together");
  }
  return key;
}

Result<void> CheckKeyMatches(X509* cert, EVP_PKEY* key) {
  if (X509_check_private_key(cert, key) != 1) {
    return Invalid("private key does not match the certificate");
  }
  return {};
}

// The keys a CA may have: those EVP_sha256 signatures work with and that every TLS client of a
// cluster (Go's crypto/tls in API servers) accepts.
Result<void> CheckSigningKeyKind(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &length) != 1) {
        return Invalid("CA key: EC key without a named curve");
      }
      const std::string_view name(group, length);
      if (name == "prime256v1" || name == "secp384r1" || name == "secp521r1") return {};
      return Invalid("CA key: unsupported EC curve " + std::string(name));
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) >= 2048) return {};
      return Invalid("CA key: RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) +
                     " bits, at least 2048 needed");
    default:
      return Invalid("CA key: unsupported key type (EC or RSA expected)");
  }
}

// A CA whose serving and client certificates verify: what would make every certificate it signs
// fail (an extension no verifier handles, usages that exclude TLS, names it may not vouch for)
// makes the CA itself unusable, so that it is replaced once instead of leaves re-issued forever.
Result<void> CheckIsCa(X509* cert) {
  const std::uint32_t flags = X509_get_extension_flags(cert);
  ERR_clear_error();
  if ((flags & EXFLAG_INVALID) != 0) return Invalid("CA certificate: invalid extensions");
  if ((flags & EXFLAG_CRITICAL) != 0) {
    return Invalid("CA certificate: an unsupported critical extension");
  }
  if ((flags & EXFLAG_CA) == 0) return Invalid("CA certificate: not a CA (basicConstraints)");
  // Verifiers end chains at a self-signed root; the signature check also catches a damaged one.
  if (X509_check_issued(cert, cert) != X509_V_OK ||
      X509_verify(cert, X509_get0_pubkey(cert)) != 1) {
    return Invalid("CA certificate: not a self-signed root, or its signature does not verify");
  }
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
    return Invalid("CA certificate: keyUsage does not allow signing certificates");
  }
  constexpr std::uint32_t kTls = XKU_SSL_SERVER | XKU_SSL_CLIENT;
  if ((flags & EXFLAG_XKUSAGE) != 0 && (X509_get_extended_key_usage(cert) & kTls) != kTls) {
    return Invalid("CA certificate: extendedKeyUsage lacks serverAuth or clientAuth");
  }
  if (X509_get_ext_by_NID(cert, NID_name_constraints, -1) >= 0 ||
      X509_get_ext_by_NID(cert, NID_policy_constraints, -1) >= 0) {
    return Invalid("CA certificate: name or policy constraints are not supported");
  }
  return {};
}

Result<void> CheckValidAt(X509* cert, TimePoint at, std::string_view what) {
  if (!verify::ValidAt(cert, ToTimeT(at))) {
    return Invalid(std::string(what) + ": not valid at the time checked (expired or not yet valid)");
  }
  return {};
}

struct LoadedCa {
  X509Ptr cert;
  PKeyPtr key;
};

// A CA this library can sign with: a CA certificate and its matching key, of a kind we sign with.
Result<LoadedCa> LoadCa(std::string_view cert_pem, std::string_view key_pem) {
  LoadedCa ca;
  KW_ASSIGN_OR_RETURN(ca.cert, ParseOneCertificate(cert_pem, "CA certificate"));
  KW_TRY(CheckIsCa(ca.cert.get()));
  KW_ASSIGN_OR_RETURN(ca.key, ParseOnePrivateKey(key_pem));
  KW_TRY(CheckSigningKeyKind(ca.key.get()));
  KW_TRY(CheckKeyMatches(ca.cert.get(), ca.key.get()));
  return ca;
}

// Host names as Kubernetes Service DNS names are written: dot-separated labels of letters,
// digits and inner hyphens. Checked so that what goes into a certificate is exactly one name.
Result<void> CheckDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return Invalid("DNS name must have 1 to 253 characters");
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-' || name[i - label] == '-') {
        return Invalid("invalid DNS name '" + std::string(name) + "'");
      }
      label = 0;
      continue;
    }
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-';
    if (!ok) return Invalid("invalid DNS name '" + std::string(name) + "'");
    ++label;
  }
  return {};
}

Result<void> CheckCommonName(std::string_view name) {
  if (name.empty() || name.size() > 64) return Invalid("common name must have 1 to 64 characters");
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) return Invalid("common name must be printable ASCII");
  }
  return {};
}

// What distinguishes the three kinds of certificates made here.
struct Profile {
  std::string_view common_name;
  std::string_view dns_name;  // empty: no subjectAltName
  bool is_ca = false;
  const char* key_usage = "";
  const char* extended_key_usage = "";
};

Result<void> AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) return OpenSslFailed("build a certificate extension");
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) return OpenSslFailed("add a certificate extension");
  return {};
}

// RFC 5280's method 1: SHA-1 of the subjectPublicKey bits.
Result<OctetStringPtr> KeyIdentifier(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (!id || X509_pubkey_digest(cert, EVP_sha1(), digest, &length) != 1 ||
      ASN1_OCTET_STRING_set(id.get(), digest, static_cast<int>(length)) != 1) {
    return OpenSslFailed("compute a key identifier");
  }
  return id;
}

// The issuer's own subject key identifier when it has one (that is what clients match), else
// one computed as ours are. Built by hand: OpenSSL's "keyid:always" refuses issuers without one.
Result<void> AddAuthorityKeyId(X509* cert, X509* issuer) {
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (!akid) return OpenSslFailed("allocate an authority key identifier");
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer); ski != nullptr) {
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
    if (akid->keyid == nullptr) return OpenSslFailed("copy a key identifier");
  } else {
    KW_ASSIGN_OR_RETURN(OctetStringPtr id, KeyIdentifier(issuer));
    akid->keyid = id.release();
  }
  if (X509_add1_ext_i2d(cert, NID_authority_key_identifier, akid.get(), 0, X509V3_ADD_DEFAULT) !=
      1) {
    return OpenSslFailed("add the authority key identifier");
  }
  return {};
}

Result<void> AddDnsSubjectAltName(X509* cert, std::string_view dns_name) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  if (!names || name == nullptr || value == nullptr ||
      ASN1_STRING_set(value, dns_name.data(), static_cast<int>(dns_name.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(value);
    return OpenSslFailed("build a subjectAltName");
  }
  GENERAL_NAME_set0_value(name, GEN_DNS, value);
  if (sk_GENERAL_NAME_push(names.get(), name) <= 0) {
    GENERAL_NAME_free(name);
    return OpenSslFailed("build a subjectAltName");
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslFailed("add the subjectAltName");
  }
  return {};
}

// A uniformly random serial of at most 128 bits, never zero (RFC 5280 wants it positive).
Result<void> SetRandomSerial(X509* cert) {
  BignumPtr serial(BN_new());
  if (!serial) return OpenSslFailed("allocate a serial number");
  do {
    if (BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return OpenSslFailed("draw a random serial number");
    }
  } while (BN_is_zero(serial.get()));
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslFailed("set the serial number");
  }
  return {};
}

// A certificate for `subject_key` following `profile`, signed by `issuer` (nullptr: self-signed
// with `issuer_key`).
Result<X509Ptr> Build(const Profile& profile, EVP_PKEY* subject_key, X509* issuer,
                      EVP_PKEY* issuer_key, std::time_t not_before, std::time_t not_after) {
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslFailed("allocate a certificate");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  // A UTF8String set as is: OpenSSL's string table would cap commonName at 64 characters, and a
  // Service DNS name (`policy-server-<ps>.<ns>.svc`) can be longer; upstream's Go puts it in full.
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_NAME_add_entry_by_NID(subject, NID_commonName, V_ASN1_UTF8STRING,
                                 reinterpret_cast<const unsigned char*>(profile.common_name.data()),
                                 static_cast<int>(profile.common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(),
                           issuer != nullptr ? X509_get_subject_name(issuer) : subject) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslFailed("fill in a certificate");
  }
  KW_TRY(SetRandomSerial(cert.get()));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  KW_TRY(AddConfExtension(cert.get(), &ctx, NID_basic_constraints,
                          profile.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  KW_TRY(AddConfExtension(cert.get(), &ctx, NID_key_usage, profile.key_usage));
  KW_TRY(AddConfExtension(cert.get(), &ctx, NID_ext_key_usage, profile.extended_key_usage));
  if (profile.is_ca) {
    KW_ASSIGN_OR_RETURN(OctetStringPtr ski, KeyIdentifier(cert.get()));
    if (X509_add1_ext_i2d(cert.get(), NID_subject_key_identifier, ski.get(), 0,
                          X509V3_ADD_DEFAULT) != 1) {
      return OpenSslFailed("add the subject key identifier");
    }
  }
  if (issuer != nullptr) KW_TRY(AddAuthorityKeyId(cert.get(), issuer));
  if (!profile.dns_name.empty()) KW_TRY(AddDnsSubjectAltName(cert.get(), profile.dns_name));

  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return OpenSslFailed("sign a certificate");
  }
  return cert;
}

Result<PKeyPtr> NewP256Key() {
  PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslFailed("generate a P-256 key");
  return key;
}

Result<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return OpenSslFailed("encode PEM");
  return std::string(data, static_cast<std::size_t>(length));
}

Result<std::string> CertificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslFailed("encode a certificate as PEM");
  }
  return BioText(bio.get());
}

// "Traditional" is SEC1 (-----BEGIN EC PRIVATE KEY-----) for an EC key, the form upstream's
// controller writes and reads back.
Result<std::string> PrivateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                   nullptr) != 1) {
    return OpenSslFailed("encode a private key as PEM");
  }
  return BioText(bio.get());
}

// A new key and a certificate for it, signed by `ca`, valid until `now` + `validity` or the
// CA's own notAfter, whichever comes first.
Result<IssuedCertificate> IssueLeaf(const CertificateAuthority& ca, const Profile& profile,
                                    TimePoint now, std::chrono::seconds validity) {
  if (validity <= std::chrono::seconds::zero()) return Invalid("validity must be positive");
  KW_ASSIGN_OR_RETURN(LoadedCa issuer, LoadCa(ca.cert_pem, ca.key_pem));
  KW_TRY(CheckValidAt(issuer.cert.get(), now, "CA certificate"));
  KW_ASSIGN_OR_RETURN(std::time_t ca_not_after, NotAfterOf(issuer.cert.get()));
  const std::time_t not_after = std::min(ToTimeT(now + validity), ca_not_after);
  KW_ASSIGN_OR_RETURN(PKeyPtr key, NewP256Key());
  KW_ASSIGN_OR_RETURN(X509Ptr cert, Build(profile, key.get(), issuer.cert.get(), issuer.key.get(),
                                          ToTimeT(now - kBackdate), not_after));
  IssuedCertificate out;
  KW_ASSIGN_OR_RETURN(out.cert_pem, CertificatePem(cert.get()));
  KW_ASSIGN_OR_RETURN(out.key_pem, PrivateKeyPem(key.get()));
  return out;
}

}  // namespace

Result<CertificateAuthority> CreateCa(TimePoint now) {
  const Profile profile{.common_name = kCaCommonName,
                        .is_ca = true,
                        .key_usage = "critical,keyCertSign,digitalSignature,keyEncipherment",
                        .extended_key_usage = "clientAuth,serverAuth"};
  KW_ASSIGN_OR_RETURN(PKeyPtr key, NewP256Key());
  KW_ASSIGN_OR_RETURN(X509Ptr cert, Build(profile, key.get(), nullptr, key.get(),
                                          ToTimeT(now - kBackdate), ToTimeT(now + kCaValidity)));
  CertificateAuthority ca;
  KW_ASSIGN_OR_RETURN(ca.cert_pem, CertificatePem(cert.get()));
  KW_ASSIGN_OR_RETURN(ca.key_pem, PrivateKeyPem(key.get()));
  return ca;
}

Result<IssuedCertificate> IssueServing(const CertificateAuthority& ca, std::string_view dns_name,
                                       TimePoint now, std::chrono::seconds validity) {
  KW_TRY(CheckDnsName(dns_name));
  const Profile profile{.common_name = dns_name,
                        .dns_name = dns_name,
                        .key_usage = "critical,digitalSignature,keyEncipherment",
                        .extended_key_usage = "clientAuth,serverAuth"};
  return IssueLeaf(ca, profile, now, validity);
}

Result<IssuedCertificate> IssueClient(const CertificateAuthority& ca, std::string_view common_name,
                                      TimePoint now, std::chrono::seconds validity) {
  KW_TRY(CheckCommonName(common_name));
  const Profile profile{.common_name = common_name,
                        .key_usage = "critical,digitalSignature,keyEncipherment",
                        .extended_key_usage = "clientAuth"};
  return IssueLeaf(ca, profile, now, validity);
}

Result<void> CheckServing(std::string_view cert_pem, std::optional<std::string_view> key_pem,
                          const std::vector<std::string>& ca_pems, std::string_view dns_name,
                          TimePoint at_time) {
  // An empty name would switch OpenSSL's host check off.
  KW_TRY(CheckDnsName(dns_name));
  KW_ASSIGN_OR_RETURN(X509Ptr cert, ParseOneCertificate(cert_pem, "certificate"));
  std::vector<X509Ptr> anchors;
  for (const std::string& pem : ca_pems) {
    KW_TRY(CheckSize(pem, "CA certificate"));
    auto certs = verify::ParseCertificatesPem(pem, kMaxCaCertificates);
    if (!certs) return Invalid("CA certificates: " + certs.error().message);
    for (X509Ptr& c : *certs) anchors.push_back(std::move(c));
    if (anchors.size() > kMaxCaCertificates) {
      return Invalid("more than " + std::to_string(kMaxCaCertificates) + " CA certificates");
    }
  }
  if (anchors.empty()) return Invalid("no CA certificate to verify against");

  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx) return OpenSslFailed("allocate a certificate store");
  for (const X509Ptr& anchor : anchors) {
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) ERR_clear_error();  // a duplicate
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return OpenSslFailed("start a certificate verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, ToTimeT(at_time));  // sets X509_V_FLAG_USE_CHECK_TIME
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, dns_name.data(), dns_name.size()) != 1 ||
      X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER) != 1) {
    return OpenSslFailed("set up a certificate verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    return Invalid("certificate does not verify for " + std::string(dns_name) + ": " +
                   X509_verify_cert_error_string(error));
  }
  if (key_pem) {
    KW_ASSIGN_OR_RETURN(PKeyPtr key, ParseOnePrivateKey(*key_pem));
    KW_TRY(CheckKeyMatches(cert.get(), key.get()));
  }
  return {};
}

Result<void> CheckCa(std::string_view cert_pem, std::optional<std::string_view> key_pem,
                     TimePoint at_time) {
  if (key_pem) {
    KW_ASSIGN_OR_RETURN(LoadedCa ca, LoadCa(cert_pem, *key_pem));
    return CheckValidAt(ca.cert.get(), at_time, "CA certificate");
  }
  KW_ASSIGN_OR_RETURN(X509Ptr cert, ParseOneCertificate(cert_pem, "CA certificate"));
  KW_TRY(CheckIsCa(cert.get()));
  return CheckValidAt(cert.get(), at_time, "CA certificate");
}

Result<TimePoint> NotAfter(std::string_view pem) {
  KW_TRY(CheckSize(pem, "certificate"));
  auto certs = verify::ParseCertificatesPem(pem, kMaxCaCertificates);
  if (!certs) return Invalid("certificate: " + certs.error().message);
  if (certs->empty()) return Invalid("certificate: no PEM certificate found");
  KW_ASSIGN_OR_RETURN(std::time_t not_after, NotAfterOf(certs->front().get()));
  return std::chrono::system_clock::from_time_t(not_after);
}

}  // namespace kw::certs
