#include "verify/crypto.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <charconv>
#include <ctime>

namespace kw::verify {
namespace {

// OpenSSL keeps a per-thread error queue; a failed parse must not leak entries into whatever
// the thread does next (TLS code reads that queue), so every failure path drains it.
std::unexpected<Error> Invalid(std::string message) {
  ERR_clear_error();
  return Fail(ErrorKind::kInvalidArgument, std::move(message));
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemBio(std::string_view bytes) {
  // BIO_new_mem_buf takes an int length; callers cap sizes far below INT_MAX.
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

constexpr std::size_t kMaxKeyBytes = 64 << 10;
constexpr std::size_t kMaxCertBytes = 64 << 10;

const EVP_MD* DigestFor(EVP_PKEY* key, std::string* why) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &len) != 1) {
        *why = "EC key without a named curve";
        return nullptr;
      }
      std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256") return EVP_sha256();
      if (g == "secp384r1" || g == "P-384") return EVP_sha384();
      if (g == "secp521r1" || g == "P-521") return EVP_sha512();
      *why = "unsupported EC curve " + std::string(g);
      return nullptr;
    }
    case EVP_PKEY_RSA: return EVP_sha256();
    default: *why = "unsupported key type"; return nullptr;
  }
}

// The raw contents of extension `oid` (its OCTET STRING), if the certificate has it.
std::optional<std::string> ExtensionBytes(X509* cert, const char* oid) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, /*no_name=*/1);
  if (obj == nullptr) return std::nullopt;
  int index = X509_get_ext_by_OBJ(cert, obj, -1);
  ASN1_OBJECT_free(obj);
  if (index < 0) return std::nullopt;
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, index));
  if (data == nullptr) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

}  // namespace

Result<PKeyPtr> ParsePublicKeyPem(std::string_view pem) {
  if (pem.size() > kMaxKeyBytes) return Invalid("public key too large");
  BioPtr bio = MemBio(pem);
  if (!bio) return Invalid("out of memory");
  PKeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Invalid("not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");
  std::string why;
  if (DigestFor(key.get(), &why) == nullptr &&
      EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Invalid(why);
  }
  return key;
}

Result<PKeyPtr> ParsePublicKeyDer(std::string_view der) {
  if (der.size() > kMaxKeyBytes) return Invalid("public key too large");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PKeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return Invalid("not a DER SubjectPublicKeyInfo");
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Invalid("trailing bytes after the public key");
  }
  return key;
}

Result<void> VerifySignature(EVP_PKEY* key, std::string_view signature, std::string_view data) {
  const EVP_MD* md = nullptr;
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    std::string why;
    md = DigestFor(key, &why);
    if (md == nullptr) return Invalid(why);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) {
    return Invalid("cannot initialize signature verification");
  }
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  if (ok != 1) return Invalid("signature does not verify");
  return {};
}

Result<std::vector<X509Ptr>> ParseCertificatesPem(std::string_view pem, std::size_t max_certs) {
  if (pem.size() > kMaxCertBytes * max_certs) return Invalid("certificate PEM too large");
  std::vector<X509Ptr> certs;
  BioPtr bio = MemBio(pem);
  if (!bio) return Invalid("out of memory");
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      // End of input is PEM_R_NO_START_LINE after at least zero blocks; anything else is a
      // broken block.
      unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) break;
      return Invalid("malformed PEM certificate");
    }
    if (certs.size() == max_certs) {
      return Invalid("more than " + std::to_string(max_certs) + " certificates");
    }
    certs.push_back(std::move(cert));
  }
  return certs;
}

Result<X509Ptr> ParseCertificateDer(std::string_view der) {
  if (der.size() > kMaxCertBytes) return Invalid("certificate too large");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return Invalid("not a DER certificate");
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Invalid("trailing bytes after the certificate");
  }
  return cert;
}

std::string CertificateDer(X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_free(buf);
  return out;
}

namespace {

struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // does not own the certs
};

}  // namespace

std::optional<std::vector<X509Ptr>> VerifiedChain(X509* leaf, const std::vector<X509Ptr>& anchors,
                                                  const std::vector<X509Ptr>& intermediates,
                                                  const ChainRequirements& requirements) {
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
  if (!store || !ctx || !untrusted) return std::nullopt;
  for (const X509Ptr& c : anchors) {
    if (X509_STORE_add_cert(store.get(), c.get()) != 1) {
      ERR_clear_error();
      return std::nullopt;
    }
  }
  for (const X509Ptr& c : intermediates) {
    if (sk_X509_push(untrusted.get(), c.get()) <= 0) return std::nullopt;
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(requirements.at_time));
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(requirements.max_depth));
  if (!requirements.host.empty()) {
    // An address is matched against the iPAddress names, anything else against the DNS ones.
    const std::string& host = requirements.host;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
    ERR_clear_error();
    int set = ip != nullptr ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                            : X509_VERIFY_PARAM_set1_host(param, host.data(), host.size());
    ASN1_OCTET_STRING_free(ip);
    if (set != 1) {
      ERR_clear_error();
      return std::nullopt;
    }
  }
  bool ok = X509_verify_cert(ctx.get()) == 1;
  ERR_clear_error();
  if (!ok) return std::nullopt;
  std::vector<X509Ptr> chain;
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(built); ++i) {
    X509* cert = sk_X509_value(built, i);
    if (X509_up_ref(cert) != 1) return std::nullopt;
    chain.emplace_back(cert);
  }
  return chain;
}

bool ChainsToAnchors(X509* leaf, const std::vector<X509Ptr>& anchors,
                     const std::vector<X509Ptr>& intermediates, std::int64_t at_time,
                     std::size_t max_depth) {
  return VerifiedChain(leaf, anchors, intermediates,
                       ChainRequirements{.at_time = at_time, .max_depth = max_depth})
      .has_value();
}

bool IsCodeSigningCertificate(X509* cert) {
  return (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) != 0 &&
         (X509_get_extended_key_usage(cert) & XKU_CODE_SIGN) != 0;
}

bool ValidAt(X509* cert, std::int64_t at_time) {
  const auto at = static_cast<time_t>(at_time);
  const int not_before = ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), at);
  const int not_after = ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), at);
  ERR_clear_error();
  return not_before != -2 && not_after != -2 && not_before <= 0 && not_after >= 0;
}

Result<CertificateIdentity> ReadIdentity(X509* cert) {
  CertificateIdentity id;
  int crit = 0;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr));
  if (names == nullptr && crit == -2) return Invalid("certificate has several SAN extensions");
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      if (name->type != GEN_EMAIL && name->type != GEN_URI) continue;
      const ASN1_IA5STRING* s = name->d.ia5;
      std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                        static_cast<std::size_t>(ASN1_STRING_length(s)));
      (name->type == GEN_EMAIL ? id.emails : id.uris).push_back(std::move(value));
    }
    GENERAL_NAMES_free(names);
  }
  ERR_clear_error();
  if (auto v2 = ExtensionBytes(cert, "1.3.6.1.4.1.57264.1.8")) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(v2->data());
    ASN1_UTF8STRING* s = d2i_ASN1_UTF8STRING(nullptr, &p, static_cast<long>(v2->size()));
    if (s == nullptr) {
      return Invalid("issuer extension (1.3.6.1.4.1.57264.1.8) is not a UTF8String");
    }
    id.issuer = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                            static_cast<std::size_t>(ASN1_STRING_length(s)));
    ASN1_UTF8STRING_free(s);
  } else if (auto v1 = ExtensionBytes(cert, "1.3.6.1.4.1.57264.1.1")) {
    id.issuer = std::move(*v1);
  }
  id.github_workflow_repository = ExtensionBytes(cert, "1.3.6.1.4.1.57264.1.5");
  return id;
}

Result<std::int64_t> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  auto number = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > text.size()) return false;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && p == text.data() + pos + len;
  };
  int year, month, day, hour, minute, second;
  bool ok = text.size() >= 20 && number(0, 4, year) && text[4] == '-' && number(5, 2, month) &&
            text[7] == '-' && number(8, 2, day) && (text[10] == 'T' || text[10] == 't') &&
            number(11, 2, hour) && text[13] == ':' && number(14, 2, minute) && text[16] == ':' &&
            number(17, 2, second);
  std::size_t pos = 19;
  if (ok && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos, ++digits;
    ok = digits > 0;
  }
  int offset_minutes = 0;
  if (ok && pos + 1 == text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    // UTC
  } else if (int oh, om; ok && pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
                         number(pos + 1, 2, oh) && text[pos + 3] == ':' &&
                         number(pos + 4, 2, om) && oh <= 23 && om <= 59) {
    offset_minutes = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    ok = false;
  }
  ok = ok && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
       second <= 60;
  if (!ok) {
    return Invalid("not an RFC 3339 timestamp: '" + std::string(text.substr(0, 64)) + "'");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&tm)) - std::int64_t{offset_minutes} * 60;
}

}  // namespace kw::verify
