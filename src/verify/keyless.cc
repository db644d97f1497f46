#include "verify/keyless.h"

#include <openssl/err.h>

#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "base/sha256.h"

namespace kw::verify {
namespace {

// Real trust roots have a handful of entries; the caps only bound hostile or broken files.
constexpr std::size_t kMaxAuthorities = 64;
constexpr std::size_t kMaxTlogs = 64;
constexpr std::size_t kMaxChainCertificates = 10;
constexpr std::size_t kMaxBundleBytes = 1u << 20;

std::unexpected<Error> Invalid(std::string message) {
  ERR_clear_error();
  return Fail(ErrorKind::kInvalidArgument, std::move(message));
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> StringAt(const json::value& v, std::initializer_list<std::string_view> keys,
                             std::string_view name) {
  const json::value* s = FindPath(v, keys);
  if (s == nullptr || !s->is_string()) {
    return Invalid("missing or non-string '" + std::string(name) + "'");
  }
  return std::string(s->get_string());
}

Result<std::string> Base64At(const json::value& v, std::initializer_list<std::string_view> keys,
                             std::string_view name) {
  KW_ASSIGN_OR_RETURN(std::string text, StringAt(v, keys, name));
  auto bytes = Base64Decode(text);
  if (!bytes) return Invalid("'" + std::string(name) + "' is not valid base64");
  return *bytes;
}

Result<std::int64_t> IntegerAt(const json::value& v, std::string_view key, std::string_view name) {
  const json::value* n = FindKey(v, key);
  if (n != nullptr && n->is_int64()) return n->get_int64();
  if (n != nullptr && n->is_uint64() && n->get_uint64() <= INT64_MAX) {
    return static_cast<std::int64_t>(n->get_uint64());
  }
  return Invalid("missing or non-integer '" + std::string(name) + "'");
}

Result<TrustRoot::Impl::Validity> ParseValidity(const json::value* v, std::string_view name) {
  TrustRoot::Impl::Validity validity;
  if (v == nullptr || v->is_null()) return validity;
  if (!v->is_object()) return Invalid("'" + std::string(name) + "' must be an object");
  for (auto [key, slot] : {std::pair{"start", &validity.start}, std::pair{"end", &validity.end}}) {
    const json::value* t = FindKey(*v, key);
    if (t == nullptr || t->is_null()) continue;
    if (!t->is_string()) return Invalid("'" + std::string(name) + "." + key + "' must be a string");
    auto seconds = ParseRfc3339(t->get_string());
    if (!seconds) {
      return Invalid("'" + std::string(name) + "." + key + "': " + seconds.error().message);
    }
    *slot = *seconds;
  }
  return validity;
}

Result<std::unique_ptr<TrustRoot::Impl>> ParseTrustedRoot(const json::value& doc) {
  auto impl = std::make_unique<TrustRoot::Impl>();
  const json::value* cas = FindKey(doc, "certificateAuthorities");
  if (cas == nullptr || !cas->is_array() || cas->as_array().empty()) {
    return Invalid("'certificateAuthorities' must be a non-empty list");
  }
  if (cas->as_array().size() > kMaxAuthorities) return Invalid("too many certificateAuthorities");
  for (std::size_t i = 0; i < cas->as_array().size(); ++i) {
    const json::value& ca = cas->as_array()[i];
    std::string name = "certificateAuthorities[" + std::to_string(i) + "]";
    const json::value* certs = FindPath(ca, {"certChain", "certificates"});
    if (certs == nullptr || !certs->is_array() || certs->as_array().empty() ||
        certs->as_array().size() > kMaxChainCertificates) {
      return Invalid("'" + name + ".certChain.certificates' must be a list of 1 to " +
                     std::to_string(kMaxChainCertificates) + " certificates");
    }
    TrustRoot::Impl::CertificateAuthority authority;
    for (std::size_t j = 0; j < certs->as_array().size(); ++j) {
      std::string cname = name + ".certChain.certificates[" + std::to_string(j) + "].rawBytes";
      KW_ASSIGN_OR_RETURN(std::string der, Base64At(certs->as_array()[j], {"rawBytes"}, cname));
      auto cert = ParseCertificateDer(der);
      if (!cert) return Invalid("'" + cname + "': " + cert.error().message);
      authority.certificates.push_back(std::move(*cert));
    }
    KW_ASSIGN_OR_RETURN(authority.valid_for,
                        ParseValidity(FindKey(ca, "validFor"), name + ".validFor"));
    impl->certificate_authorities.push_back(std::move(authority));
  }
  const json::value* tlogs = FindKey(doc, "tlogs");
  if (tlogs == nullptr || !tlogs->is_array() || tlogs->as_array().empty()) {
    return Invalid("'tlogs' must be a non-empty list");
  }
  if (tlogs->as_array().size() > kMaxTlogs) return Invalid("too many tlogs");
  for (std::size_t i = 0; i < tlogs->as_array().size(); ++i) {
    const json::value& tlog = tlogs->as_array()[i];
    std::string name = "tlogs[" + std::to_string(i) + "]";
    KW_ASSIGN_OR_RETURN(std::string der,
                        Base64At(tlog, {"publicKey", "rawBytes"}, name + ".publicKey.rawBytes"));
    auto key = ParsePublicKeyDer(der);
    if (!key) return Invalid("'" + name + ".publicKey.rawBytes': " + key.error().message);
    TrustRoot::Impl::TransparencyLog log;
    log.key = std::move(*key);
    if (FindPath(tlog, {"logId", "keyId"}) != nullptr) {
      KW_ASSIGN_OR_RETURN(std::string id,
                          Base64At(tlog, {"logId", "keyId"}, name + ".logId.keyId"));
      log.log_id_hex = Hex(id);
    } else {
      // Rekor's log ID is the SHA-256 of its DER public key.
      log.log_id_hex = Sha256Hex(Sha256(AsBytes(der)));
    }
    KW_ASSIGN_OR_RETURN(log.valid_for, ParseValidity(FindPath(tlog, {"publicKey", "validFor"}),
                                                     name + ".publicKey.validFor"));
    impl->tlogs.push_back(std::move(log));
  }
  return impl;
}

// Whether `leaf` chains to `authority` at `at_time`, helped by untrusted `intermediates`. Every
// certificate the trust root lists is trusted as is (a root may list an intermediate only).
bool ChainsTo(X509* leaf, const TrustRoot::Impl::CertificateAuthority& authority,
              const std::vector<X509Ptr>& intermediates, std::int64_t at_time) {
  return ChainsToAnchors(leaf, authority.certificates, intermediates, at_time,
                         kMaxChainCertificates);
}

}  // namespace

TrustRoot::TrustRoot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrustRoot::~TrustRoot() = default;

Result<std::shared_ptr<const TrustRoot>> TrustRoot::Parse(std::string_view text) {
  auto wrap = [](const Error& e) { return std::unexpected(e.Wrap("sigstore trust root")); };
  auto doc = ParseJson(text);
  if (!doc) return wrap(doc.error());
  // A ClientTrustConfig wraps the TrustedRoot; only that part is used (spec §1.4).
  const json::value* root = &*doc;
  if (const json::value* inner = FindKey(*doc, "trustedRoot")) root = inner;
  if (!root->is_object()) return wrap(Error(ErrorKind::kInvalidArgument, "not a JSON object"));
  auto impl = ParseTrustedRoot(*root);
  if (!impl) return wrap(impl.error());
  return std::shared_ptr<const TrustRoot>(new TrustRoot(std::move(*impl)));
}

Result<std::shared_ptr<const TrustRoot>> TrustRoot::Load(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  auto root = Parse(text);
  if (!root) return std::unexpected(root.error().Wrap(path));
  return root;
}

Result<std::string> LeafDer(std::string_view cert_pem) {
  KW_ASSIGN_OR_RETURN(auto certs, ParseCertificatesPem(cert_pem, 1));
  if (certs.size() != 1) return Invalid("expected one PEM certificate");
  return CertificateDer(certs[0].get());
}

Result<VerifiedBundle> VerifyBundle(const TrustRoot::Impl& root, std::string_view bundle_json,
                                    std::string_view payload, std::string_view signature,
                                    const std::string* leaf_der) {
  if (bundle_json.size() > kMaxBundleBytes) return Invalid("bundle too large");
  auto doc = ParseJson(bundle_json, "bundle is not JSON");
  if (!doc) return Invalid(doc.error().message);
  KW_ASSIGN_OR_RETURN(std::string set,
                      Base64At(*doc, {"SignedEntryTimestamp"}, "SignedEntryTimestamp"));
  const json::value* p = FindKey(*doc, "Payload");
  if (p == nullptr || !p->is_object()) return Invalid("bundle has no 'Payload' object");
  KW_ASSIGN_OR_RETURN(std::string body, StringAt(*p, {"body"}, "Payload.body"));
  KW_ASSIGN_OR_RETURN(std::int64_t integrated_time,
                      IntegerAt(*p, "integratedTime", "Payload.integratedTime"));
  KW_ASSIGN_OR_RETURN(std::int64_t log_index, IntegerAt(*p, "logIndex", "Payload.logIndex"));
  KW_ASSIGN_OR_RETURN(std::string log_id, StringAt(*p, {"logID"}, "Payload.logID"));

  const TrustRoot::Impl::TransparencyLog* tlog = nullptr;
  for (const auto& t : root.tlogs) {
    if (t.log_id_hex == log_id) tlog = &t;
  }
  if (tlog == nullptr) {
    return Invalid("bundle is from an unknown transparency log " + log_id.substr(0, 80));
  }
  if (!tlog->valid_for.Contains(integrated_time)) {
    return Invalid("transparency log key was not valid at the bundle's integratedTime");
  }
  // Rekor signs the canonical JSON of the entry: keys sorted, no whitespace.
  std::string canonical = "{\"body\":" + json::serialize(json::string(body)) +
                          ",\"integratedTime\":" + std::to_string(integrated_time) +
                          ",\"logID\":" + json::serialize(json::string(log_id)) +
                          ",\"logIndex\":" + std::to_string(log_index) + "}";
  if (!VerifySignature(tlog->key.get(), set, canonical)) {
    return Invalid("bundle's signed entry timestamp does not verify with the Rekor key");
  }

  // The SET only proves Rekor logged *something*; the body must be this signature.
  auto body_bytes = Base64Decode(body);
  if (!body_bytes) return Invalid("bundle body is not valid base64");
  auto entry = ParseJson(*body_bytes, "bundle body is not JSON");
  if (!entry) return Invalid(entry.error().message);
  KW_ASSIGN_OR_RETURN(std::string kind, StringAt(*entry, {"kind"}, "body.kind"));
  if (kind != "hashedrekord" && kind != "rekord") {
    return Invalid("bundle body has unsupported kind '" + kind.substr(0, 40) + "'");
  }
  KW_ASSIGN_OR_RETURN(std::string alg, StringAt(*entry, {"spec", "data", "hash", "algorithm"},
                                                "body hash algorithm"));
  KW_ASSIGN_OR_RETURN(std::string hash,
                      StringAt(*entry, {"spec", "data", "hash", "value"}, "body hash value"));
  if (alg != "sha256" || hash != Sha256Hex(Sha256(AsBytes(payload)))) {
    return Invalid("bundle body does not record this payload's sha256");
  }
  KW_ASSIGN_OR_RETURN(std::string logged_signature,
                      Base64At(*entry, {"spec", "signature", "content"}, "body signature"));
  if (logged_signature != signature) return Invalid("bundle body records another signature");
  if (leaf_der != nullptr) {
    KW_ASSIGN_OR_RETURN(
        std::string logged_pem,
        Base64At(*entry, {"spec", "signature", "publicKey", "content"}, "body public key"));
    auto logged_der = LeafDer(logged_pem);
    if (!logged_der || *logged_der != *leaf_der) {
      return Invalid("bundle body records another certificate");
    }
  }
  return VerifiedBundle{integrated_time};
}

Result<CertificateIdentity> VerifyCertificate(const TrustRoot::Impl& root,
                                              std::string_view cert_pem, std::string_view chain_pem,
                                              std::int64_t at_time, std::string_view payload,
                                              std::string_view signature) {
  KW_ASSIGN_OR_RETURN(auto leaf, ParseCertificatesPem(cert_pem, 1));
  if (leaf.size() != 1) return Invalid("certificate annotation holds no certificate");
  auto chain = ParseCertificatesPem(chain_pem, kMaxChainCertificates);
  if (!chain) return Invalid("certificate chain annotation: " + chain.error().message);
  bool trusted = false;
  for (const auto& authority : root.certificate_authorities) {
    if (!authority.valid_for.Contains(at_time)) continue;
    if (ChainsTo(leaf[0].get(), authority, *chain, at_time)) {
      trusted = true;
      break;
    }
  }
  if (!trusted) {
    return Invalid("certificate does not chain to a trusted Fulcio root at the signing time");
  }
  // Fulcio issues code-signing certificates only; anything else is not a signing identity.
  if (!IsCodeSigningCertificate(leaf[0].get())) {
    return Invalid("certificate is not for code signing");
  }
  EVP_PKEY* key = X509_get0_pubkey(leaf[0].get());
  if (key == nullptr) return Invalid("certificate has an unreadable public key");
  if (!VerifySignature(key, signature, payload)) {
    return Invalid("signature does not verify with the certificate's key");
  }
  return ReadIdentity(leaf[0].get());
}

}  // namespace kw::verify
