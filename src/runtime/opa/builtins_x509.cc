// crypto.x509.* and crypto.parse_private_keys: certificates, certificate requests and private
// keys, read with OpenSSL and written as OPA writes them, which is Go's encoding/json of
// crypto/x509's (and crypto/tls's, crypto/rsa's, ...) structs. Field names, their order and their
// JSON types follow Go's; numbers too large for a double (serials, RSA moduli) stay exact
// (rego_value.h's big numbers).
//
// parse_and_verify_certificates_with_options accepts MaxConstraintComparisons and ignores it
// (OpenSSL bounds its name-constraint checks itself). OpenSSL accepts some encodings Go's parser
// rejects, and its errors are not Go's texts but for the ones written out here.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/base64.h"
#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"
#include "runtime/opa/x509_json.h"
#include "verify/crypto.h"

namespace kw::runtime::opa::internal {
namespace {

using verify::PKeyPtr;
using verify::X509Ptr;

template <typename T, void (*kFree)(T*)>
struct Deleter {
  void operator()(T* p) const { kFree(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;

// Inputs come from a policy, bounded by what the guest can hand over; still, no certificate
// bundle a policy means to read is anywhere near this.
constexpr std::size_t kMaxInputBytes = 1 << 20;

json::value CertificatesJson(const std::vector<X509Ptr>& certs) {
  json::array out;
  for (const X509Ptr& cert : certs) out.push_back(GoCertificate(cert.get(), true));
  return out;
}

// --- reading the inputs ---

// Go's base64.StdEncoding.DecodeString, which skips line breaks.
Result<std::string> DecodeBase64(std::string_view builtin, std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != '\r' && c != '\n') compact.push_back(c);
  }
  auto decoded = Base64Decode(compact);
  if (!decoded) return std::unexpected(BuiltinError(builtin, "illegal base64 data"));
  return std::move(*decoded);
}

struct PemBlock {
  std::string type;
  std::string bytes;
};

// Every PEM block of `text`, in order, as Go's pem.Decode finds them one after the other.
std::vector<PemBlock> PemBlocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  while (bio) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    blocks.push_back({name, std::string(reinterpret_cast<char*>(data), static_cast<std::size_t>(length))});
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ERR_clear_error();
  return blocks;
}

// x509.ParseCertificates: DER certificates one after the other.
Result<std::vector<X509Ptr>> ParseDerCertificates(std::string_view builtin, std::string_view der) {
  std::vector<X509Ptr> certs;
  while (!der.empty()) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    ERR_clear_error();
    if (!cert) return std::unexpected(BuiltinError(builtin, "x509: malformed certificate"));
    der.remove_prefix(static_cast<std::size_t>(p - reinterpret_cast<const unsigned char*>(der.data())));
    certs.push_back(std::move(cert));
  }
  return certs;
}

Result<std::vector<X509Ptr>> CertificatesFromPem(std::string_view builtin, std::string_view pem) {
  std::string der;
  for (PemBlock& block : PemBlocks(pem)) {
    if (block.type == "CERTIFICATE") der += block.bytes;
  }
  return ParseDerCertificates(builtin, der);
}

// PEM, base64 of PEM, or base64 of DER: OPA's getX509CertsFromString.
Result<std::vector<X509Ptr>> CertificatesFromString(std::string_view builtin, std::string_view text) {
  if (text.size() > kMaxInputBytes) return std::unexpected(BuiltinError(builtin, "input too large"));
  if (text.starts_with("-----BEGIN")) return CertificatesFromPem(builtin, text);
  KW_ASSIGN_OR_RETURN(std::string decoded, DecodeBase64(builtin, text));
  if (decoded.starts_with("-----BEGIN")) return CertificatesFromPem(builtin, decoded);
  return ParseDerCertificates(builtin, decoded);
}

// A private key block's bytes as Go's parsers try them: PKCS#1 RSA, PKCS#8, SEC1 EC.
PKeyPtr ParsePrivateKeyDer(std::string_view der) {
  auto start = [&der] { return reinterpret_cast<const unsigned char*>(der.data()); };
  const auto size = static_cast<long>(der.size());
  const unsigned char* p = start();
  PKeyPtr key(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, size));
  if (!key) {
    p = start();
    PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, size);
    if (info != nullptr) key.reset(EVP_PKCS82PKEY(info));
    PKCS8_PRIV_KEY_INFO_free(info);
  }
  if (!key) {
    p = start();
    key.reset(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, size));
  }
  ERR_clear_error();
  return key;
}

// --- the builtins ---

// Names of those values in parse_and_verify_certificates_with_options' KeyUsages.
constexpr std::pair<std::string_view, int> kKeyUsageOptions[] = {
    {"KeyUsageAny", 0},
    {"KeyUsageServerAuth", 1},
    {"KeyUsageClientAuth", 2},
    {"KeyUsageCodeSigning", 3},
    {"KeyUsageEmailProtection", 4},
    {"KeyUsageIPSECEndSystem", 5},
    {"KeyUsageIPSECTunnel", 6},
    {"KeyUsageIPSECUser", 7},
    {"KeyUsageTimeStamping", 8},
    {"KeyUsageOCSPSigning", 9},
    {"KeyUsageMicrosoftServerGatedCrypto", 10},
    {"KeyUsageNetscapeServerGatedCrypto", 11},
    {"KeyUsageMicrosoftCommercialCodeSigning", 12},
    {"KeyUsageMicrosoftKernelCodeSigning", 13},
};


Result<json::value> ParseCertificates(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.x509.parse_certificates";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view input, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(auto certs, CertificatesFromString(kName, input));
  return CertificatesJson(certs);
}

// Go's checkChainForKeyUsage: every certificate of the chain that lists extended key usages
// (and not "any") must allow one of `wanted` that the others allow too.
bool ChainAllows(const std::vector<X509Ptr>& chain, std::vector<int> wanted) {
  constexpr int kAny = 0, kServerAuth = 1;  // x509.ExtKeyUsageAny, ExtKeyUsageServerAuth
  if (wanted.empty()) wanted.push_back(kServerAuth);
  if (std::ranges::find(wanted, kAny) != wanted.end()) return true;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    GoExtKeyUsage usages = ExtKeyUsageOf(it->get());
    if (usages.known.empty() && usages.unknown == 0) continue;
    if (std::ranges::find(usages.known, kAny) != usages.known.end()) continue;
    std::erase_if(wanted, [&usages](int w) { return std::ranges::find(usages.known, w) == usages.known.end(); });
    if (wanted.empty()) return false;
  }
  return true;
}

struct VerifyOptions {
  std::string dns_name;
  std::optional<std::int64_t> current_time_ns;
  std::vector<int> key_usages;
};

// OPA's verifyX509CertificateChain: the first certificate is the root, the last the leaf, the
// rest intermediates. [true, chain from the leaf to the root] or [false, []].
json::value VerifyChain(const BuiltinContext& context, const std::vector<X509Ptr>& certs,
                        const VerifyOptions& options) {
  const json::value invalid = json::array{false, json::array{}};
  if (certs.size() < 2) return invalid;
  std::vector<X509Ptr> roots, intermediates;
  for (std::size_t i = 0; i + 1 < certs.size(); ++i) {
    if (X509_up_ref(certs[i].get()) != 1) return invalid;
    (i == 0 ? roots : intermediates).emplace_back(certs[i].get());
  }
  std::int64_t now_ns = options.current_time_ns.value_or(context.now_ns);
  // Floor division: a time before 1970 is still a time.
  std::int64_t seconds = now_ns / 1'000'000'000 - (now_ns % 1'000'000'000 < 0 ? 1 : 0);
  auto chain = verify::VerifiedChain(
      certs.back().get(), roots, intermediates,
      verify::ChainRequirements{.at_time = seconds, .max_depth = certs.size() + 1, .host = options.dns_name});
  if (!chain || !ChainAllows(*chain, options.key_usages)) return invalid;
  return json::array{true, CertificatesJson(*chain)};
}

Result<json::value> ParseAndVerifyCertificates(const BuiltinContext& context,
                                               std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.x509.parse_and_verify_certificates";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view input, StringOperand(kName, args, 1));
  auto certs = CertificatesFromString(kName, input);
  if (!certs) return json::value(json::array{false, json::array{}});
  return VerifyChain(context, *certs, {});
}

// OPA's extractVerifyOpts.
Result<VerifyOptions> ReadVerifyOptions(std::string_view builtin, const json::object& object) {
  VerifyOptions options;
  for (const auto& kv : object) {
    std::string_view key(kv.key());
    const json::value& v = kv.value();
    if (key == "DNSName") {
      if (!v.is_string()) return std::unexpected(BuiltinError(builtin, "'DNSName' should be a string"));
      options.dns_name = v.get_string();
    } else if (key == "CurrentTime") {
      if (!v.is_number()) return std::unexpected(BuiltinError(builtin, "'CurrentTime' should be a number"));
      std::error_code ec;
      auto ns = v.to_number<std::int64_t>(ec);
      if (ec) return std::unexpected(BuiltinError(builtin, "'CurrentTime' should be a valid int64 number"));
      options.current_time_ns = ns;
    } else if (key == "MaxConstraintComparisons") {
      if (!v.is_number()) {
        return std::unexpected(BuiltinError(builtin, "'MaxConstraintComparisons' should be a number"));
      }
      std::error_code ec;
      (void)v.to_number<std::int64_t>(ec);
      if (ec) return std::unexpected(BuiltinError(builtin, "'MaxConstraintComparisons' should be a valid number"));
    } else if (key == "KeyUsages") {
      const json::array* usages = ArrayOrSetElements(v);
      if (usages == nullptr) return std::unexpected(BuiltinError(builtin, "'KeyUsages' should be an Array or Set"));
      std::string invalid;
      for (const json::value& u : *usages) {
        if (!u.is_string()) continue;
        std::string_view name(u.get_string());
        bool found = false;
        for (const auto& [option, value] : kKeyUsageOptions) {
          if (option == name) {
            options.key_usages.push_back(value);
            found = true;
          }
        }
        if (!found) invalid += (invalid.empty() ? "" : " ") + std::string(name);
      }
      if (!invalid.empty()) {
        return std::unexpected(BuiltinError(builtin, "invalid entries for 'KeyUsages' found: [" + invalid + "]"));
      }
    } else {
      return std::unexpected(BuiltinError(builtin, "invalid key option"));
    }
  }
  return options;
}

Result<json::value> ParseAndVerifyCertificatesWithOptions(const BuiltinContext& context,
                                                          std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.x509.parse_and_verify_certificates_with_options";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view input, StringOperand(kName, args, 1));
  if (!args[1].is_object() || IsSet(args[1])) {
    return std::unexpected(OperandTypeError(kName, 2, "object", args[1]));
  }
  auto certs = CertificatesFromString(kName, input);
  if (!certs) return json::value(json::array{false, json::array{}});
  KW_ASSIGN_OR_RETURN(VerifyOptions options, ReadVerifyOptions(kName, args[1].get_object()));
  return VerifyChain(context, *certs, options);
}

Result<json::value> ParseCertificateRequest(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.x509.parse_certificate_request";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view input, StringOperand(kName, args, 1));
  if (input.size() > kMaxInputBytes) return std::unexpected(BuiltinError(kName, "input too large"));
  std::string bytes(input);
  if (!input.starts_with("-----BEGIN CERTIFICATE REQUEST-----")) {
    KW_ASSIGN_OR_RETURN(bytes, DecodeBase64(kName, input));
  }
  if (std::vector<PemBlock> blocks = PemBlocks(bytes); !blocks.empty()) {
    if (blocks.front().type != "CERTIFICATE REQUEST") {
      return std::unexpected(BuiltinError(kName, "invalid PEM-encoded certificate signing request"));
    }
    bytes = std::move(blocks.front().bytes);
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  ReqPtr request(d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size())));
  ERR_clear_error();
  if (!request || p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) {
    return std::unexpected(BuiltinError(kName, "x509: malformed certificate request"));
  }
  return GoCertificateRequest(request.get(), bytes);
}

// tls.X509KeyPair, written as a tls.Certificate (Go >= 1.23 fills Leaf).
Result<json::value> ParseKeyPair(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.x509.parse_keypair";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view cert_input, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view key_input, StringOperand(kName, args, 2));
  if (cert_input.size() > kMaxInputBytes || key_input.size() > kMaxInputBytes) {
    return std::unexpected(BuiltinError(kName, "input too large"));
  }
  // Base64 is decoded; what is not PEM then is DER: a certificate, a PKCS#8 key.
  auto read = [](std::string_view input, const char* der_type) -> Result<std::vector<PemBlock>> {
    std::string text(input);
    if (!input.starts_with("-----BEGIN")) {
      KW_ASSIGN_OR_RETURN(text, DecodeBase64(kName, input));
    }
    if (!text.starts_with("-----BEGIN")) return std::vector<PemBlock>{{der_type, std::move(text)}};
    return PemBlocks(text);
  };
  KW_ASSIGN_OR_RETURN(std::vector<PemBlock> cert_blocks, read(cert_input, "CERTIFICATE"));
  KW_ASSIGN_OR_RETURN(std::vector<PemBlock> key_blocks, read(key_input, "PRIVATE KEY"));
  json::array ders;
  for (const PemBlock& block : cert_blocks) {
    if (block.type == "CERTIFICATE") ders.push_back(json::string(Base64Encode(block.bytes)));
  }
  if (ders.empty()) {
    return std::unexpected(BuiltinError(
        kName, cert_blocks.empty() ? "tls: failed to find any PEM data in certificate input"
                                   : "tls: failed to find \"CERTIFICATE\" PEM block in certificate input"));
  }
  const PemBlock* key_block = nullptr;
  for (const PemBlock& block : key_blocks) {
    if (block.type == "PRIVATE KEY" || block.type.ends_with(" PRIVATE KEY")) {
      key_block = &block;
      break;
    }
  }
  if (key_block == nullptr) {
    return std::unexpected(BuiltinError(
        kName, key_blocks.empty() ? "tls: failed to find any PEM data in key input"
                                  : "tls: failed to find \"PRIVATE KEY\" PEM block in key input"));
  }
  std::string_view leaf_der = cert_blocks.front().bytes;
  for (const PemBlock& block : cert_blocks) {
    if (block.type == "CERTIFICATE") {
      leaf_der = block.bytes;
      break;
    }
  }
  auto leaf = verify::ParseCertificateDer(leaf_der);
  if (!leaf) return std::unexpected(BuiltinError(kName, "x509: malformed certificate"));
  PKeyPtr key = ParsePrivateKeyDer(key_block->bytes);
  if (!key) return std::unexpected(BuiltinError(kName, "tls: failed to parse private key"));
  EVP_PKEY* public_key = X509_get0_pubkey(leaf->get());
  if (public_key == nullptr || EVP_PKEY_get_base_id(public_key) != EVP_PKEY_get_base_id(key.get())) {
    ERR_clear_error();
    return std::unexpected(BuiltinError(kName, "tls: private key type does not match public key type"));
  }
  int matches = EVP_PKEY_eq(public_key, key.get());
  ERR_clear_error();
  if (matches != 1) return std::unexpected(BuiltinError(kName, "tls: private key does not match public key"));
  return json::object{
      {"Certificate", std::move(ders)},
      {"PrivateKey", GoPrivateKey(key.get())},
      {"SupportedSignatureAlgorithms", nullptr},
      {"OCSPStaple", nullptr},
      {"SignedCertificateTimestamps", nullptr},
      {"Leaf", GoCertificate(leaf->get(), false)},
  };
}

// crypto.parse_private_keys: every private key of the PEM (or base64 of PEM) input that Go's
// PKCS#1, PKCS#8 or SEC1 parsers read; the other blocks are skipped. null for "".
Result<json::value> ParsePrivateKeys(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.parse_private_keys";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view input, StringOperand(kName, args, 1));
  if (input.empty()) return json::value(nullptr);
  if (input.size() > kMaxInputBytes) return std::unexpected(BuiltinError(kName, "input too large"));
  std::string text(input);
  if (auto decoded = DecodeBase64(kName, input)) text = std::move(*decoded);
  json::array keys;
  for (const PemBlock& block : PemBlocks(text)) {
    if (PKeyPtr key = ParsePrivateKeyDer(block.bytes)) keys.push_back(GoPrivateKey(key.get()));
  }
  return keys;
}

constexpr BuiltinEntry kBuiltins[] = {
    {"crypto.parse_private_keys", ParsePrivateKeys},
    {"crypto.x509.parse_and_verify_certificates", ParseAndVerifyCertificates},
    {"crypto.x509.parse_and_verify_certificates_with_options", ParseAndVerifyCertificatesWithOptions},
    {"crypto.x509.parse_certificate_request", ParseCertificateRequest},
    {"crypto.x509.parse_certificates", ParseCertificates},
    {"crypto.x509.parse_keypair", ParseKeyPair},
};

}  // namespace

std::span<const BuiltinEntry> X509Builtins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
