// Go's encoding/json of crypto/x509's Certificate and CertificateRequest, and of the private
// keys of crypto/rsa, crypto/ecdsa and crypto/ed25519, from what OpenSSL parsed.
//
// Details that depend on the Go release OPA is built with, or that are approximations:
// - the x509.Certificate fields up to Go 1.24 (Policies since 1.22; the Inhibit*/
//   RequireExplicitPolicy*/PolicyMappings fields since 1.24 are written with their zero values,
//   their extensions are not read);
// - an elliptic curve marshals as {} (Go >= 1.19; older ones wrote its CurveParams);
// - an RSA key's Precomputed holds Dp, Dq, Qinv and an empty CRTValues (Go >= 1.20's fields);
// - a url.URL is split by a simple RFC 3986 reading: Path is percent-decoded, RawPath is always "";
// - IPv6 addresses are printed by inet_ntop, which agrees with Go's net.IP.String but for
//   IPv4-mapped addresses;
// - DSA keys are written as null;
// - certificate-request Attributes hold the extensionRequest attribute only, as Go reads it
//   (Value: [[{Type, Value}]] per extension, Value the critical flag if present, else the bytes).
#include "runtime/opa/x509_json.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/base64.h"
#include "base/percent_decode.h"
#include "base/utf8.h"
#include "runtime/opa/rego_value.h"
#include "verify/crypto.h"

namespace kw::runtime::opa {
namespace {

using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

json::value Bytes(std::string_view bytes) { return json::string(Base64Encode(bytes)); }

std::string_view View(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

// A string of the certificate as Go's encoding/json writes it: bytes that are no UTF-8 become
// U+FFFD.
json::string Text(const ASN1_STRING* s) { return json::string(ToValidUtf8(View(s))); }

// A big.Int as Go writes it: a JSON number with every digit.
json::value Integer(const BIGNUM* n) {
  if (n == nullptr) return nullptr;
  if (BN_num_bits(n) <= 53) {
    auto magnitude = static_cast<std::int64_t>(BN_get_word(n));
    return BN_is_negative(n) ? -magnitude : magnitude;
  }
  char* text = BN_bn2dec(n);
  if (text == nullptr) return nullptr;
  json::value out = MakeBigNumber(text);
  OPENSSL_free(text);
  return out;
}

json::value KeyInteger(const EVP_PKEY* key, const char* param) {
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &n) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  BnPtr owned(n, BN_free);
  return Integer(n);
}

// The dotted text of an OID ("2.5.29.15"), however long.
std::string OidText(const ASN1_OBJECT* object) {
  int length = OBJ_obj2txt(nullptr, 0, object, 1);
  if (length <= 0) {
    ERR_clear_error();
    return {};
  }
  std::string text(static_cast<std::size_t>(length) + 1, '\0');
  OBJ_obj2txt(text.data(), length + 1, object, 1);
  text.resize(static_cast<std::size_t>(length));
  return text;
}

// An asn1.ObjectIdentifier: the array of its arcs (an arc too large for a double stays exact).
json::value Oid(const ASN1_OBJECT* object) {
  json::array arcs;
  std::string text = OidText(object);
  for (std::size_t start = 0; !text.empty() && start <= text.size();) {
    std::size_t dot = std::min(text.find('.', start), text.size());
    std::string digits = text.substr(start, dot - start);
    if (digits.size() <= 15) {
      arcs.push_back(std::strtoll(digits.c_str(), nullptr, 10));
    } else {
      arcs.push_back(MakeBigNumber(std::move(digits)));
    }
    start = dot + 1;
  }
  return arcs;
}

// --- DER: the raw pieces Go keeps (RawTBSCertificate, RawSubject, ...) ---

struct DerElement {
  std::string_view whole;
  std::string_view contents;
  unsigned char tag = 0;
};

// Reads one element off the front of `in`.
std::optional<DerElement> ReadDer(std::string_view& in) {
  if (in.size() < 2) return std::nullopt;
  std::size_t length = static_cast<unsigned char>(in[1]);
  std::size_t header = 2;
  if (length & 0x80) {
    std::size_t count = length & 0x7f;
    if (count == 0 || count > 4 || in.size() < 2 + count) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) length = length << 8 | static_cast<unsigned char>(in[2 + i]);
    header += count;
  }
  if (in.size() - header < length) return std::nullopt;
  DerElement element{in.substr(0, header + length), in.substr(header, length),
                     static_cast<unsigned char>(in[0])};
  in.remove_prefix(header + length);
  return element;
}

// The first `count` elements inside the outer SEQUENCE's first element (the TBS part of a
// certificate or request), skipping a leading [0] (a certificate's version). Missing ones are "".
std::vector<std::string_view> TbsElements(std::string_view der, std::size_t count,
                                          std::string_view* tbs_out) {
  std::vector<std::string_view> out(count);
  auto outer = ReadDer(der);
  if (!outer) return out;
  std::string_view rest = outer->contents;
  auto tbs = ReadDer(rest);
  if (!tbs) return out;
  *tbs_out = tbs->whole;
  std::string_view fields = tbs->contents;
  for (std::size_t i = 0; i < count;) {
    auto element = ReadDer(fields);
    if (!element) break;
    if (i == 0 && element->tag == 0xa0) continue;
    out[i++] = element->whole;
  }
  return out;
}

// --- the parts of a certificate ---

std::string Rfc3339(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) {
    ERR_clear_error();
    return "0001-01-01T00:00:00Z";  // Go's zero time
  }
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
}

// pkix.Name.
json::value Name(const X509_NAME* name) {
  json::array country, organization, unit, locality, province, street, postal, names;
  json::string serial, common;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* type = X509_NAME_ENTRY_get_object(entry);
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length < 0) {
      ERR_clear_error();
      continue;
    }
    json::string value(ToValidUtf8({reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length)}));
    OPENSSL_free(utf8);
    names.push_back(json::object{{"Type", Oid(type)}, {"Value", value}});
    switch (OBJ_obj2nid(type)) {
      case NID_countryName: country.push_back(value); break;
      case NID_organizationName: organization.push_back(value); break;
      case NID_organizationalUnitName: unit.push_back(value); break;
      case NID_localityName: locality.push_back(value); break;
      case NID_stateOrProvinceName: province.push_back(value); break;
      case NID_streetAddress: street.push_back(value); break;
      case NID_postalCode: postal.push_back(value); break;
      case NID_serialNumber: serial = value; break;
      case NID_commonName: common = value; break;
      default: break;
    }
  }
  auto list = [](json::array& a) -> json::value {
    if (a.empty()) return nullptr;  // a nil slice
    return std::move(a);
  };
  return json::object{
      {"Country", list(country)},   {"Organization", list(organization)},
      {"OrganizationalUnit", list(unit)}, {"Locality", list(locality)},
      {"Province", list(province)}, {"StreetAddress", list(street)},
      {"PostalCode", list(postal)}, {"SerialNumber", serial},
      {"CommonName", common},       {"Names", list(names)},
      {"ExtraNames", nullptr},
  };
}

// x509.SignatureAlgorithm, from the signature's algorithm and digest.
int SignatureAlgorithm(int signature_nid, int digest_nid) {
  switch (signature_nid) {
    case NID_md2WithRSAEncryption: return 1;
    case NID_md5WithRSAEncryption: return 2;
    case NID_sha1WithRSAEncryption: return 3;
    case NID_sha256WithRSAEncryption: return 4;
    case NID_sha384WithRSAEncryption: return 5;
    case NID_sha512WithRSAEncryption: return 6;
    case NID_dsaWithSHA1: return 7;
    case NID_dsa_with_SHA256: return 8;
    case NID_ecdsa_with_SHA1: return 9;
    case NID_ecdsa_with_SHA256: return 10;
    case NID_ecdsa_with_SHA384: return 11;
    case NID_ecdsa_with_SHA512: return 12;
    case NID_rsassaPss:
      return digest_nid == NID_sha256 ? 13 : digest_nid == NID_sha384 ? 14 : digest_nid == NID_sha512 ? 15 : 0;
    case NID_ED25519: return 16;
    default: return 0;
  }
}

// x509.PublicKeyAlgorithm and the key as Go holds it (*rsa.PublicKey, *ecdsa.PublicKey,
// ed25519.PublicKey).
int PublicKeyAlgorithm(const EVP_PKEY* key) {
  switch (key == nullptr ? NID_undef : EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return 1;
    case EVP_PKEY_DSA: return 2;
    case EVP_PKEY_EC: return 3;
    case EVP_PKEY_ED25519: return 4;
    default: return 0;
  }
}

json::value Ed25519Bytes(const EVP_PKEY* key, bool private_key) {
  unsigned char raw[64];
  std::size_t size = 32;
  int ok = private_key ? EVP_PKEY_get_raw_private_key(key, raw, &size)
                       : EVP_PKEY_get_raw_public_key(key, raw, &size);
  if (ok != 1 || size != 32) {
    ERR_clear_error();
    return nullptr;
  }
  if (!private_key) return Bytes({reinterpret_cast<char*>(raw), 32});
  // Go's ed25519.PrivateKey is the seed followed by the public key.
  std::size_t public_size = 32;
  if (EVP_PKEY_get_raw_public_key(key, raw + 32, &public_size) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return Bytes({reinterpret_cast<char*>(raw), 64});
}

json::value PublicKey(const EVP_PKEY* key) {
  switch (PublicKeyAlgorithm(key)) {
    case 1:
      return json::object{{"N", KeyInteger(key, OSSL_PKEY_PARAM_RSA_N)},
                          {"E", KeyInteger(key, OSSL_PKEY_PARAM_RSA_E)}};
    case 3:
      return json::object{{"Curve", json::object{}},
                          {"X", KeyInteger(key, OSSL_PKEY_PARAM_EC_PUB_X)},
                          {"Y", KeyInteger(key, OSSL_PKEY_PARAM_EC_PUB_Y)}};
    case 4: return Ed25519Bytes(key, false);
    default: return nullptr;
  }
}

// A private key as Go's crypto/rsa, crypto/ecdsa or crypto/ed25519 holds it.
json::value PrivateKey(const EVP_PKEY* key) {
  switch (PublicKeyAlgorithm(key)) {
    case 1: {
      json::object out = PublicKey(key).get_object();
      out["D"] = KeyInteger(key, OSSL_PKEY_PARAM_RSA_D);
      out["Primes"] = json::array{KeyInteger(key, OSSL_PKEY_PARAM_RSA_FACTOR1),
                                  KeyInteger(key, OSSL_PKEY_PARAM_RSA_FACTOR2)};
      out["Precomputed"] = json::object{{"Dp", KeyInteger(key, OSSL_PKEY_PARAM_RSA_EXPONENT1)},
                                        {"Dq", KeyInteger(key, OSSL_PKEY_PARAM_RSA_EXPONENT2)},
                                        {"Qinv", KeyInteger(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1)},
                                        {"CRTValues", json::array{}}};
      return out;
    }
    case 3: {
      json::object out = PublicKey(key).get_object();
      out["D"] = KeyInteger(key, OSSL_PKEY_PARAM_PRIV_KEY);
      return out;
    }
    case 4: return Ed25519Bytes(key, true);
    default: return nullptr;
  }
}

std::string IpText(std::string_view bytes) {
  char text[INET6_ADDRSTRLEN] = "";
  if (bytes.size() == 4) inet_ntop(AF_INET, bytes.data(), text, sizeof text);
  if (bytes.size() == 16) inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

// A *url.URL as encoding/json writes it (url.URL has no text form for JSON).
json::value Url(std::string_view text) {
  std::string scheme, opaque, host, path, query, fragment;
  bool has_user = false;
  if (std::size_t hash = text.find('#'); hash != std::string_view::npos) {
    fragment = PercentDecode(text.substr(hash + 1)).value_or(std::string(text.substr(hash + 1)));
    text = text.substr(0, hash);
  }
  if (std::size_t question = text.find('?'); question != std::string_view::npos) {
    query = text.substr(question + 1);
    text = text.substr(0, question);
  }
  if (std::size_t colon = text.find(':');
      colon != std::string_view::npos && colon > 0 && text.substr(0, colon).find('/') == std::string_view::npos) {
    scheme = text.substr(0, colon);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    text = text.substr(colon + 1);
  }
  if (!scheme.empty() && !text.starts_with('/')) {
    opaque = text;
  } else {
    if (text.starts_with("//")) {
      text.remove_prefix(2);
      std::size_t slash = text.find('/');
      std::string_view authority = text.substr(0, slash);
      text = slash == std::string_view::npos ? std::string_view() : text.substr(slash);
      if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        has_user = true;
        authority = authority.substr(at + 1);
      }
      host = authority;
    }
    path = PercentDecode(text).value_or(std::string(text));
  }
  for (std::string* part : {&scheme, &opaque, &host, &path, &query, &fragment}) *part = ToValidUtf8(*part);
  return json::object{
      {"Scheme", scheme},     {"Opaque", opaque},         {"User", has_user ? json::value(json::object{}) : nullptr},
      {"Host", host},         {"Path", path},             {"RawPath", ""},
      {"OmitHost", false},    {"ForceQuery", false},      {"RawQuery", query},
      {"Fragment", fragment}, {"RawFragment", ""},
  };
}

json::value OrNull(json::array array) {
  if (array.empty()) return nullptr;
  return array;
}

template <typename T>
struct Decoded {
  T* value = nullptr;
  void (*free)(T*) = nullptr;
  ~Decoded() {
    if (value != nullptr) free(value);
  }
};

// The subjectAltName entries Go sorts into DNSNames, EmailAddresses, IPAddresses and URIs.
struct AltNames {
  json::array dns, emails, ips, uris, uri_strings;
};

void ReadGeneralNames(const GENERAL_NAMES* names, AltNames& out) {
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    switch (name->type) {
      case GEN_DNS: out.dns.push_back(Text(name->d.dNSName)); break;
      case GEN_EMAIL: out.emails.push_back(Text(name->d.rfc822Name)); break;
      case GEN_IPADD: out.ips.push_back(json::string(IpText(View(name->d.iPAddress)))); break;
      case GEN_URI:
        out.uris.push_back(Url(View(name->d.uniformResourceIdentifier)));
        out.uri_strings.push_back(Text(name->d.uniformResourceIdentifier));
        break;
      default: break;
    }
  }
}

// The URIs among `names`, for OCSPServer, IssuingCertificateURL, CRLDistributionPoints.
void AppendUris(const GENERAL_NAMES* names, json::array& out) {
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI) out.push_back(Text(name->d.uniformResourceIdentifier));
  }
}

// Writes the subject alternative names among `extensions` to `out` as Go's DNSNames,
// EmailAddresses, IPAddresses and URIs (certificates and requests alike); returns them for the
// fields only certificates have (URIStrings).
AltNames WriteSubjectAltNames(const STACK_OF(X509_EXTENSION)* extensions, json::object& out) {
  AltNames alt;
  Decoded<GENERAL_NAMES> san{
      static_cast<GENERAL_NAMES*>(X509V3_get_d2i(extensions, NID_subject_alt_name, nullptr, nullptr)),
      GENERAL_NAMES_free};
  if (san.value != nullptr) ReadGeneralNames(san.value, alt);
  out["DNSNames"] = OrNull(std::move(alt.dns));
  out["EmailAddresses"] = OrNull(std::move(alt.emails));
  out["IPAddresses"] = OrNull(std::move(alt.ips));
  out["URIs"] = OrNull(std::move(alt.uris));
  return alt;
}

// x509.ExtKeyUsage values by OID; the others go to UnknownExtKeyUsage.
constexpr std::pair<std::string_view, int> kExtKeyUsages[] = {
    {"2.5.29.37.0", 0},           {"1.3.6.1.5.5.7.3.1", 1},       {"1.3.6.1.5.5.7.3.2", 2},
    {"1.3.6.1.5.5.7.3.3", 3},     {"1.3.6.1.5.5.7.3.4", 4},       {"1.3.6.1.5.5.7.3.5", 5},
    {"1.3.6.1.5.5.7.3.6", 6},     {"1.3.6.1.5.5.7.3.7", 7},       {"1.3.6.1.5.5.7.3.8", 8},
    {"1.3.6.1.5.5.7.3.9", 9},     {"1.3.6.1.4.1.311.10.3.3", 10}, {"2.16.840.1.113730.4.1", 11},
    {"1.3.6.1.4.1.311.2.1.22", 12}, {"1.3.6.1.4.1.311.61.1.1", 13},
};

// The extended key usages of a certificate: known ones as Go's values, unknown ones as OIDs.
struct ExtKeyUsages {
  json::array known, unknown;
};

ExtKeyUsages ReadExtKeyUsages(const STACK_OF(X509_EXTENSION)* extensions) {
  ExtKeyUsages out;
  Decoded<EXTENDED_KEY_USAGE> eku{
      static_cast<EXTENDED_KEY_USAGE*>(X509V3_get_d2i(extensions, NID_ext_key_usage, nullptr, nullptr)),
      EXTENDED_KEY_USAGE_free};
  for (int i = 0; eku.value != nullptr && i < sk_ASN1_OBJECT_num(eku.value); ++i) {
    const ASN1_OBJECT* oid = sk_ASN1_OBJECT_value(eku.value, i);
    std::string text = OidText(oid);
    bool known = false;
    for (const auto& [name, value] : kExtKeyUsages) {
      if (name == text) {
        out.known.push_back(value);
        known = true;
      }
    }
    if (!known) out.unknown.push_back(Oid(oid));
  }
  return out;
}

// x509.KeyUsage: bit i of the ASN.1 BIT STRING is 1 << i.
int KeyUsage(X509* cert) {
  std::uint32_t bits = X509_get_key_usage(cert);
  if (bits == UINT32_MAX) return 0;  // no extension
  int usage = 0;
  for (int i = 0; i < 8; ++i) {
    if (bits & (0x80u >> i)) usage |= 1 << i;
  }
  if (bits & 0x8000u) usage |= 1 << 8;
  return usage;
}

// The extensions Go's parser understands; other critical ones are UnhandledCriticalExtensions.
bool GoHandles(const ASN1_OBJECT* oid) {
  switch (OBJ_obj2nid(oid)) {
    case NID_key_usage: case NID_basic_constraints: case NID_subject_alt_name:
    case NID_name_constraints: case NID_crl_distribution_points: case NID_authority_key_identifier:
    case NID_ext_key_usage: case NID_subject_key_identifier: case NID_certificate_policies:
    case NID_info_access:
      return true;
    default:
      return false;
  }
}

json::value Extensions(const STACK_OF(X509_EXTENSION)* extensions) {
  json::array out;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions, i);
    out.push_back(json::object{{"Id", Oid(X509_EXTENSION_get_object(e))},
                               {"Critical", X509_EXTENSION_get_critical(e) > 0},
                               {"Value", Bytes(View(X509_EXTENSION_get_data(e)))}});
  }
  return OrNull(std::move(out));
}

// Name constraints: the permitted or excluded subtrees, sorted by kind as Go does.
void ReadSubtrees(const STACK_OF(GENERAL_SUBTREE)* trees, const char* which, json::object& out) {
  json::array dns, ips, emails, uris;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(trees); ++i) {
    const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(trees, i)->base;
    switch (base->type) {
      case GEN_DNS: dns.push_back(Text(base->d.dNSName)); break;
      case GEN_EMAIL: emails.push_back(Text(base->d.rfc822Name)); break;
      case GEN_URI: uris.push_back(Text(base->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        // An address and its mask, each half of the bytes; a net.IPNet's Mask is plain bytes.
        std::string_view both = View(base->d.iPAddress);
        std::size_t half = both.size() / 2;
        ips.push_back(json::object{{"IP", IpText(both.substr(0, half))}, {"Mask", Bytes(both.substr(half))}});
        break;
      }
      default: break;
    }
  }
  std::string prefix(which);
  out[prefix + "DNSDomains"] = OrNull(std::move(dns));
  out[prefix + "IPRanges"] = OrNull(std::move(ips));
  out[prefix + "EmailAddresses"] = OrNull(std::move(emails));
  out[prefix + "URIDomains"] = OrNull(std::move(uris));
}

}  // namespace

json::object GoCertificate(X509* cert, bool with_uri_strings) {
  std::string raw = verify::CertificateDer(cert);
  std::string_view tbs;
  // serial, signature algorithm, issuer, validity, subject, subjectPublicKeyInfo
  std::vector<std::string_view> parts = TbsElements(raw, 6, &tbs);
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, cert);
  int digest_nid = NID_undef;
  X509_get_signature_info(cert, &digest_nid, nullptr, nullptr, nullptr);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  ERR_clear_error();
  const STACK_OF(X509_EXTENSION)* extensions = X509_get0_extensions(cert);

  json::object out;
  out["Raw"] = Bytes(raw);
  out["RawTBSCertificate"] = Bytes(tbs);
  out["RawSubjectPublicKeyInfo"] = Bytes(parts[5]);
  out["RawSubject"] = Bytes(parts[4]);
  out["RawIssuer"] = Bytes(parts[2]);
  out["Signature"] = Bytes(View(signature));
  out["SignatureAlgorithm"] = SignatureAlgorithm(X509_get_signature_nid(cert), digest_nid);
  out["PublicKeyAlgorithm"] = PublicKeyAlgorithm(key);
  out["PublicKey"] = PublicKey(key);
  out["Version"] = X509_get_version(cert) + 1;
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  out["SerialNumber"] = Integer(serial.get());
  out["Issuer"] = Name(X509_get_issuer_name(cert));
  out["Subject"] = Name(X509_get_subject_name(cert));
  out["NotBefore"] = Rfc3339(X509_get0_notBefore(cert));
  out["NotAfter"] = Rfc3339(X509_get0_notAfter(cert));
  out["KeyUsage"] = KeyUsage(cert);
  out["Extensions"] = Extensions(extensions);
  out["ExtraExtensions"] = nullptr;
  json::array unhandled;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions, i);
    if (X509_EXTENSION_get_critical(e) > 0 && !GoHandles(X509_EXTENSION_get_object(e))) {
      unhandled.push_back(Oid(X509_EXTENSION_get_object(e)));
    }
  }
  out["UnhandledCriticalExtensions"] = OrNull(std::move(unhandled));
  ExtKeyUsages eku = ReadExtKeyUsages(extensions);
  out["ExtKeyUsage"] = OrNull(std::move(eku.known));
  out["UnknownExtKeyUsage"] = OrNull(std::move(eku.unknown));

  Decoded<BASIC_CONSTRAINTS> bc{
      static_cast<BASIC_CONSTRAINTS*>(X509V3_get_d2i(extensions, NID_basic_constraints, nullptr, nullptr)),
      BASIC_CONSTRAINTS_free};
  int max_path = 0;
  if (bc.value != nullptr) {
    max_path = -1;
    if (bc.value->pathlen != nullptr) {
      long length = ASN1_INTEGER_get(bc.value->pathlen);
      max_path = length < 0 || length > INT32_MAX ? -1 : static_cast<int>(length);
    }
  }
  out["BasicConstraintsValid"] = bc.value != nullptr;
  out["IsCA"] = bc.value != nullptr && bc.value->ca != 0;
  out["MaxPathLen"] = max_path;
  out["MaxPathLenZero"] = bc.value != nullptr && max_path == 0;

  Decoded<ASN1_OCTET_STRING> ski{
      static_cast<ASN1_OCTET_STRING*>(X509V3_get_d2i(extensions, NID_subject_key_identifier, nullptr, nullptr)),
      ASN1_OCTET_STRING_free};
  out["SubjectKeyId"] = ski.value != nullptr ? Bytes(View(ski.value)) : json::value(nullptr);
  Decoded<AUTHORITY_KEYID> aki{
      static_cast<AUTHORITY_KEYID*>(X509V3_get_d2i(extensions, NID_authority_key_identifier, nullptr, nullptr)),
      AUTHORITY_KEYID_free};
  out["AuthorityKeyId"] = aki.value != nullptr && aki.value->keyid != nullptr
                              ? Bytes(View(aki.value->keyid))
                              : json::value(nullptr);

  json::array ocsp, issuers;
  Decoded<AUTHORITY_INFO_ACCESS> aia{
      static_cast<AUTHORITY_INFO_ACCESS*>(X509V3_get_d2i(extensions, NID_info_access, nullptr, nullptr)),
      AUTHORITY_INFO_ACCESS_free};
  for (int i = 0; aia.value != nullptr && i < sk_ACCESS_DESCRIPTION_num(aia.value); ++i) {
    const ACCESS_DESCRIPTION* d = sk_ACCESS_DESCRIPTION_value(aia.value, i);
    if (d->location->type != GEN_URI) continue;
    json::string uri = Text(d->location->d.uniformResourceIdentifier);
    int method = OBJ_obj2nid(d->method);
    if (method == NID_ad_OCSP) ocsp.push_back(uri);
    if (method == NID_ad_ca_issuers) issuers.push_back(uri);
  }
  out["OCSPServer"] = OrNull(std::move(ocsp));
  out["IssuingCertificateURL"] = OrNull(std::move(issuers));

  AltNames alt = WriteSubjectAltNames(extensions, out);

  int critical = 0;
  Decoded<NAME_CONSTRAINTS> nc{
      static_cast<NAME_CONSTRAINTS*>(X509V3_get_d2i(extensions, NID_name_constraints, &critical, nullptr)),
      NAME_CONSTRAINTS_free};
  out["PermittedDNSDomainsCritical"] = nc.value != nullptr && critical > 0;
  json::object permitted, excluded;
  ReadSubtrees(nc.value != nullptr ? nc.value->permittedSubtrees : nullptr, "Permitted", permitted);
  ReadSubtrees(nc.value != nullptr ? nc.value->excludedSubtrees : nullptr, "Excluded", excluded);
  for (const char* kind : {"DNSDomains", "IPRanges", "EmailAddresses", "URIDomains"}) {
    // Go's field order: PermittedDNSDomains, ExcludedDNSDomains, PermittedIPRanges, ...
    out[std::string("Permitted") + kind] = permitted[std::string("Permitted") + kind];
    out[std::string("Excluded") + kind] = excluded[std::string("Excluded") + kind];
  }

  json::array crl;
  Decoded<CRL_DIST_POINTS> dps{
      static_cast<CRL_DIST_POINTS*>(X509V3_get_d2i(extensions, NID_crl_distribution_points, nullptr, nullptr)),
      CRL_DIST_POINTS_free};
  for (int i = 0; dps.value != nullptr && i < sk_DIST_POINT_num(dps.value); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(dps.value, i);
    if (dp->distpoint != nullptr && dp->distpoint->type == 0) AppendUris(dp->distpoint->name.fullname, crl);
  }
  out["CRLDistributionPoints"] = OrNull(std::move(crl));

  json::array policy_ids, policies;
  Decoded<CERTIFICATEPOLICIES> cp{
      static_cast<CERTIFICATEPOLICIES*>(X509V3_get_d2i(extensions, NID_certificate_policies, nullptr, nullptr)),
      CERTIFICATEPOLICIES_free};
  for (int i = 0; cp.value != nullptr && i < sk_POLICYINFO_num(cp.value); ++i) {
    const ASN1_OBJECT* id = sk_POLICYINFO_value(cp.value, i)->policyid;
    policy_ids.push_back(Oid(id));
    policies.push_back(json::string(OidText(id)));  // x509.OID marshals as its dotted text
  }
  out["PolicyIdentifiers"] = OrNull(std::move(policy_ids));
  out["Policies"] = OrNull(std::move(policies));
  out["InhibitAnyPolicy"] = 0;
  out["InhibitAnyPolicyZero"] = false;
  out["InhibitPolicyMapping"] = 0;
  out["InhibitPolicyMappingZero"] = false;
  out["RequireExplicitPolicy"] = 0;
  out["RequireExplicitPolicyZero"] = false;
  out["PolicyMappings"] = nullptr;
  // OPA adds the URIs as strings, url.URL's JSON being of little use to a policy.
  if (with_uri_strings) out["URIStrings"] = OrNull(std::move(alt.uri_strings));
  ERR_clear_error();
  return out;
}

json::object GoCertificateRequest(X509_REQ* request, std::string_view der) {
  std::string_view info;
  // version, subject, subjectPublicKeyInfo
  std::vector<std::string_view> parts = TbsElements(der, 3, &info);
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* algorithm = nullptr;
  X509_REQ_get0_signature(request, &signature, &algorithm);
  int digest_nid = NID_undef;
  OBJ_find_sigid_algs(X509_REQ_get_signature_nid(request), &digest_nid, nullptr);
  EVP_PKEY* key = X509_REQ_get0_pubkey(request);
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request);
  ERR_clear_error();

  json::object out;
  out["Raw"] = Bytes(der);
  out["RawTBSCertificateRequest"] = Bytes(info);
  out["RawSubjectPublicKeyInfo"] = Bytes(parts[2]);
  out["RawSubject"] = Bytes(parts[1]);
  out["Version"] = X509_REQ_get_version(request);
  out["Signature"] = Bytes(View(signature));
  out["SignatureAlgorithm"] = SignatureAlgorithm(X509_REQ_get_signature_nid(request), digest_nid);
  out["PublicKeyAlgorithm"] = PublicKeyAlgorithm(key);
  out["PublicKey"] = PublicKey(key);
  out["Subject"] = Name(X509_REQ_get_subject_name(request));
  json::array requested;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions, i);
    // Go reads each extension as an AttributeTypeAndValue: its second field is the critical
    // flag when present.
    json::value value = X509_EXTENSION_get_critical(e) > 0 ? json::value(true)
                                                           : Bytes(View(X509_EXTENSION_get_data(e)));
    requested.push_back(json::object{{"Type", Oid(X509_EXTENSION_get_object(e))}, {"Value", value}});
  }
  // Go's Value is a [][]AttributeTypeAndValue: one SET, which holds the extensions. Built with
  // emplace_back, as `json::array{requested}` is a copy of `requested` to clang.
  json::array sets;
  sets.emplace_back(std::move(requested));
  out["Attributes"] = extensions == nullptr
                          ? json::value(nullptr)
                          : json::value(json::array{json::object{
                                {"Type", json::array{1, 2, 840, 113549, 1, 9, 14}},
                                {"Value", std::move(sets)}}});
  out["Extensions"] = Extensions(extensions);
  out["ExtraExtensions"] = nullptr;
  WriteSubjectAltNames(extensions, out);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  ERR_clear_error();
  return out;
}

json::value GoPrivateKey(const EVP_PKEY* key) { return PrivateKey(key); }

GoExtKeyUsage ExtKeyUsageOf(X509* cert) {
  ExtKeyUsages usages = ReadExtKeyUsages(X509_get0_extensions(cert));
  GoExtKeyUsage out;
  for (const json::value& u : usages.known) out.known.push_back(u.to_number<int>());
  out.unknown = usages.unknown.size();
  return out;
}

}  // namespace kw::runtime::opa
