#include "testing/cosign.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace kw::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what);
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key NewKey() {
  Key k(EVP_EC_gen("P-256"));
  Check(k != nullptr, "EVP_EC_gen");
  return k;
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string PrivatePem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr) == 1, "pem key");
  return BioString(bio);
}

std::string PublicPem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PUBKEY(bio, k) == 1, "pem pubkey");
  return BioString(bio);
}

std::string PublicDer(EVP_PKEY* k) {
  unsigned char* buf = nullptr;
  int len = i2d_PUBKEY(k, &buf);
  Check(len > 0, "i2d_PUBKEY");
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string CertPem(X509* c) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(bio, c) == 1, "pem cert");
  return BioString(bio);
}

std::string CertDer(X509* c) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(c, &buf);
  Check(len > 0, "i2d_X509");
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_free(buf);
  return out;
}

Key ReadPrivate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Key k(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  Check(k != nullptr, "read private key");
  return k;
}

std::string Sign(EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Check(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1, "sign init");
  std::size_t len = 0;
  auto* in = reinterpret_cast<const unsigned char*>(data.data());
  Check(EVP_DigestSign(ctx, nullptr, &len, in, data.size()) == 1, "sign size");
  std::string sig(len, '\0');
  Check(
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, data.size()) == 1,
      "sign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "extension");
  Check(X509_add_ext(cert, ext, -1) == 1, "add extension");
  X509_EXTENSION_free(ext);
}

void AddRawExtension(X509* cert, const char* oid, const std::string& der) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(der.data()),
                        static_cast<int>(der.size()));
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, data);
  Check(ext != nullptr, "raw extension");
  Check(X509_add_ext(cert, ext, -1) == 1, "add raw extension");
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(data);
  ASN1_OBJECT_free(obj);
}

std::string Utf8StringDer(const std::string& s) {
  ASN1_UTF8STRING* u = ASN1_UTF8STRING_new();
  ASN1_STRING_set(u, s.data(), static_cast<int>(s.size()));
  unsigned char* buf = nullptr;
  int len = i2d_ASN1_UTF8STRING(u, &buf);
  ASN1_UTF8STRING_free(u);
  Check(len > 0, "utf8string");
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_free(buf);
  return out;
}

// A certificate for `key`, issued by `issuer` (self-signed when null) with `issuer_key`.
Cert NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
             std::int64_t not_before, std::int64_t not_after, bool ca) {
  static long serial = 1;
  Cert c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial);
  Check(ASN1_TIME_set(X509_getm_notBefore(c.get()), static_cast<time_t>(not_before)) != nullptr,
        "notBefore");
  Check(ASN1_TIME_set(X509_getm_notAfter(c.get()), static_cast<time_t>(not_after)) != nullptr,
        "notAfter");
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  if (!cn.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("sigstore.dev"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* issuer_cert = issuer ? issuer : c.get();
  if (ca) {
    AddExtension(c.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(c.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  AddExtension(c.get(), issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer) AddExtension(c.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
  return c;
}

constexpr std::int64_t kCaStart = 1577836800;  // 2020-01-01
constexpr std::int64_t kCaEnd = 2208988800;    // 2040-01-01

}  // namespace

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

CosignKey GenerateCosignKey() {
  Key k = NewKey();
  return {PrivatePem(k.get()), PublicPem(k.get())};
}

std::string SimpleSigningPayload(const std::string& docker_reference,
                                 const std::string& manifest_digest, const StringMap& annotations) {
  std::string optional = "null";
  if (!annotations.empty()) {
    optional = "{";
    for (const auto& [k, v] : annotations) {
      if (optional.size() > 1) optional += ",";
      optional += JsonString(k) + ":" + JsonString(v);
    }
    optional += "}";
  }
  return "{\"critical\":{\"identity\":{\"docker-reference\":" + JsonString(docker_reference) +
         "},\"image\":{\"docker-manifest-digest\":" + JsonString(manifest_digest) +
         "},\"type\":\"cosign container image signature\"},\"optional\":" + optional + "}";
}

std::string SignBase64(const std::string& private_pem, std::string_view data) {
  Key k = ReadPrivate(private_pem);
  return Base64(Sign(k.get(), data));
}

void RefreshDigest(CosignLayer& layer) { layer.digest = "sha256:" + Sha256Hex(layer.payload); }

CosignLayer KeyedLayer(const CosignKey& key, const std::string& payload) {
  CosignLayer layer;
  layer.payload = payload;
  RefreshDigest(layer);
  layer.annotations["dev.cosignproject.cosign/signature"] = SignBase64(key.private_pem, payload);
  return layer;
}

struct FakeSigstore::State {
  Key root_key, intermediate_key, rogue_key, rekor_key;
  Cert root, intermediate, rogue;
  long log_index = 1000;
};

FakeSigstore::FakeSigstore() : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.root_key = NewKey();
  s.intermediate_key = NewKey();
  s.rogue_key = NewKey();
  s.rekor_key = NewKey();
  s.root = NewCert(s.root_key.get(), "sigstore", nullptr, s.root_key.get(), kCaStart, kCaEnd, true);
  Check(X509_sign(s.root.get(), s.root_key.get(), EVP_sha256()) > 0, "sign root");
  s.intermediate = NewCert(s.intermediate_key.get(), "sigstore-intermediate", s.root.get(),
                           s.root_key.get(), kCaStart, kCaEnd, true);
  Check(X509_sign(s.intermediate.get(), s.root_key.get(), EVP_sha256()) > 0, "sign inter");
  s.rogue =
      NewCert(s.rogue_key.get(), "sigstore", nullptr, s.rogue_key.get(), kCaStart, kCaEnd, true);
  Check(X509_sign(s.rogue.get(), s.rogue_key.get(), EVP_sha256()) > 0, "sign rogue");
}

FakeSigstore::~FakeSigstore() = default;

std::string FakeSigstore::Bundle(const std::string& payload, const std::string& signature_b64,
                                 const std::string& cert_pem, std::int64_t integrated_time,
                                 const std::string& set_key_pem) const {
  std::string body =
      "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{"
      "\"algorithm\":\"sha256\",\"value\":\"" +
      Sha256Hex(payload) + "\"}},\"signature\":{\"content\":\"" + signature_b64 +
      "\",\"publicKey\":{\"content\":\"" + Base64(cert_pem) + "\"}}}}";
  std::string body_b64 = Base64(body);
  std::string log_id = Sha256Hex(PublicDer(state_->rekor_key.get()));
  long index = ++state_->log_index;
  std::string canonical =
      "{\"body\":\"" + body_b64 + "\",\"integratedTime\":" + std::to_string(integrated_time) +
      ",\"logID\":\"" + log_id + "\",\"logIndex\":" + std::to_string(index) + "}";
  std::string set = set_key_pem.empty() ? Base64(Sign(state_->rekor_key.get(), canonical))
                                        : SignBase64(set_key_pem, canonical);
  return "{\"SignedEntryTimestamp\":\"" + set + "\",\"Payload\":{\"body\":\"" + body_b64 +
         "\",\"integratedTime\":" + std::to_string(integrated_time) +
         ",\"logIndex\":" + std::to_string(index) + ",\"logID\":\"" + log_id + "\"}}";
}

CosignLayer FakeSigstore::KeylessLayer(const std::string& payload, const LeafOptions& leaf,
                                       std::int64_t integrated_time) {
  State& s = *state_;
  Key ephemeral = NewKey();
  std::int64_t not_before = leaf.not_before ? leaf.not_before : integrated_time - 60;
  std::int64_t not_after = leaf.not_after ? leaf.not_after : not_before + 600;
  X509* issuer = leaf.rogue_ca ? s.rogue.get() : s.intermediate.get();
  EVP_PKEY* issuer_key = leaf.rogue_ca ? s.rogue_key.get() : s.intermediate_key.get();
  // Fulcio leaves have an empty subject and a critical SAN.
  Cert cert = NewCert(ephemeral.get(), "", issuer, issuer_key, not_before, not_after, false);
  AddExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
  if (leaf.code_signing) AddExtension(cert.get(), issuer, NID_ext_key_usage, "codeSigning");
  std::string san;
  if (!leaf.email.empty()) san = "email:" + leaf.email;
  if (!leaf.uri.empty()) san += (san.empty() ? "" : ",") + std::string("URI:") + leaf.uri;
  if (!san.empty())
    AddExtension(cert.get(), issuer, NID_subject_alt_name, ("critical," + san).c_str());
  if (leaf.legacy_issuer) {
    AddRawExtension(cert.get(), "1.3.6.1.4.1.57264.1.1", leaf.issuer);
  } else {
    AddRawExtension(cert.get(), "1.3.6.1.4.1.57264.1.8", Utf8StringDer(leaf.issuer));
  }
  if (!leaf.workflow_repository.empty()) {
    AddRawExtension(cert.get(), "1.3.6.1.4.1.57264.1.5", leaf.workflow_repository);
  }
  Check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "sign leaf");

  CosignLayer layer;
  layer.payload = payload;
  RefreshDigest(layer);
  std::string signature = Base64(Sign(ephemeral.get(), payload));
  std::string cert_pem = CertPem(cert.get());
  layer.annotations["dev.cosignproject.cosign/signature"] = signature;
  layer.annotations["dev.sigstore.cosign/certificate"] = cert_pem;
  layer.annotations["dev.sigstore.cosign/chain"] =
      leaf.rogue_ca ? CertPem(s.rogue.get())
                    : CertPem(s.intermediate.get()) + CertPem(s.root.get());
  layer.annotations["dev.sigstore.cosign/bundle"] =
      Bundle(payload, signature, cert_pem, integrated_time);
  return layer;
}

std::string FakeSigstore::TrustedRootJson() const {
  std::string rekor_der = PublicDer(state_->rekor_key.get());
  unsigned char id[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(rekor_der.data()), rekor_der.size(), id);
  std::string log_id(reinterpret_cast<char*>(id), sizeof(id));
  return R"({"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",)"
         R"("tlogs":[{"baseUrl":"https://rekor.example","hashAlgorithm":"SHA2_256",)"
         R"("publicKey":{"rawBytes":")" +
         Base64(rekor_der) +
         R"(","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2020-01-01T00:00:00Z"}},)"
         R"("logId":{"keyId":")" +
         Base64(log_id) +
         R"("}}],)"
         R"("certificateAuthorities":[{)"
         R"("subject":{"organization":"sigstore.dev","commonName":"sigstore"},)"
         R"("uri":"https://fulcio.example","certChain":{"certificates":[{"rawBytes":")" +
         Base64(CertDer(state_->intermediate.get())) + R"("},{"rawBytes":")" +
         Base64(CertDer(state_->root.get())) +
         R"("}]},"validFor":{"start":"2020-01-01T00:00:00.000Z"}}],)"
         R"("ctlogs":[],"timestampAuthorities":[]})";
}

}  // namespace kw::testing
