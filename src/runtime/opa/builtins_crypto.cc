// crypto.* digests and HMACs, and io.jwt.decode / io.jwt.verify_*: the ones that need no
// network and no certificate store, on OpenSSL's libcrypto (as src/base/sha256.cc).
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "base/base64.h"
#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

using Digest = const EVP_MD* (*)();

std::string DigestOf(Digest md, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &size, md(), nullptr) != 1) size = 0;
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string HmacOf(Digest md, std::string_view key, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(md(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out,
           &size) == nullptr) {
    size = 0;
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

template <const char* kName, Digest kMd>
Result<json::value> HashBuiltin(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand(kName, args, 1));
  return json::value(json::string(HexText(DigestOf(kMd, in))));
}

template <const char* kName, Digest kMd>
Result<json::value> HmacBuiltin(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view message, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view key, StringOperand(kName, args, 2));
  return json::value(json::string(HexText(HmacOf(kMd, key, message))));
}

constexpr char kMd5[] = "crypto.md5";
constexpr char kSha1[] = "crypto.sha1";
constexpr char kSha256[] = "crypto.sha256";
constexpr char kHmacMd5[] = "crypto.hmac.md5";
constexpr char kHmacSha1[] = "crypto.hmac.sha1";
constexpr char kHmacSha256[] = "crypto.hmac.sha256";
constexpr char kHmacSha512[] = "crypto.hmac.sha512";

// Constant time in the length of the inputs, as Go's hmac.Equal.
Result<json::value> HmacEqual(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.hmac.equal";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view a, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view b, StringOperand(kName, args, 2));
  return json::value(a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// --- io.jwt ---

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Go's base64.RawURLEncoding.DecodeString; its error is Go's CorruptInputError text.
Result<std::string> RawBase64UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    int v = Base64UrlValue(text[i]);
    if (v < 0) {
      return Fail(ErrorKind::kInvalidArgument,
                  "illegal base64 data at input byte " + std::to_string(i));
    }
    bits = bits << 6 | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>(bits >> 16));
      out.push_back(static_cast<char>(bits >> 8));
      out.push_back(static_cast<char>(bits));
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) {
    return Fail(ErrorKind::kInvalidArgument,
                "illegal base64 data at input byte " + std::to_string(text.size() - 1));
  }
  if (count == 2) out.push_back(static_cast<char>(bits >> 4));
  if (count == 3) {
    out.push_back(static_cast<char>(bits >> 10));
    out.push_back(static_cast<char>(bits >> 2));
  }
  return out;
}

// A compact JWS split into its three parts, decoded, as OPA's decodeJWT checks it.
struct Jwt {
  std::string_view signing_input;  // "<header>.<payload>", as signed
  json::value header;
  std::string payload;  // bytes
  std::string signature;
};

Result<Jwt> SplitJwt(std::string_view builtin, std::string_view token) {
  auto fail = [builtin](std::string message) {
    return std::unexpected(BuiltinError(builtin, message));
  };
  if (token.find('.') == std::string_view::npos) {
    return fail("encoded JWT had no period separators");
  }
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 3) {
    return fail("encoded JWT must have 3 sections, found " + std::to_string(parts.size()));
  }
  Jwt jwt;
  jwt.signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  auto header = RawBase64UrlDecode(parts[0]);
  if (!header) return fail("JWT header had invalid encoding: " + header.error().message);
  auto header_json = ParseJson(*header);
  if (!header_json || !header_json->is_object()) return fail("invalid JWT header");
  jwt.header = std::move(*header_json);
  auto payload = RawBase64UrlDecode(parts[1]);
  if (!payload) return fail("JWT payload had invalid encoding: " + payload.error().message);
  jwt.payload = std::move(*payload);
  auto signature = RawBase64UrlDecode(parts[2]);
  if (!signature) return fail("JWT signature had invalid encoding: " + signature.error().message);
  jwt.signature = std::move(*signature);
  return jwt;
}

// io.jwt.decode: [header, payload, signature as hex]; nothing is verified.
Result<json::value> JwtDecode(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "io.jwt.decode";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view token, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(Jwt jwt, SplitJwt(kName, token));
  if (const json::value* cty = jwt.header.get_object().if_contains("cty");
      cty != nullptr && cty->is_string() && std::string_view(cty->get_string()) == "JWT") {
    // A nested token: OPA would decode the inner one; a policy server has no use for it.
    return std::unexpected(BuiltinError(kName, "nested JWTs are not supported"));
  }
  auto payload = ParseJson(jwt.payload);
  if (!payload || !payload->is_object()) {
    return std::unexpected(BuiltinError(kName, "JWT payload had invalid JSON"));
  }
  return json::value(json::array{std::move(jwt.header), std::move(*payload),
                                 json::string(HexText(jwt.signature))});
}

template <const char* kName, Digest kMd>
Result<json::value> JwtVerifyHmac(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view token, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view secret, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(Jwt jwt, SplitJwt(kName, token));
  std::string mac = HmacOf(kMd, secret, jwt.signing_input);
  return json::value(mac.size() == jwt.signature.size() &&
                     CRYPTO_memcmp(mac.data(), jwt.signature.data(), mac.size()) == 0);
}

// --- io.jwt.verify_rs*/ps*/es*: a PEM certificate or public key ---

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A JWK's RSA or EC key ("kty", "n"/"e" or "crv"/"x"/"y", base64url), through OpenSSL 3's
// key-from-parameters interface. With `private_key`, also its private part ("d", and for RSA
// the CRT values "p", "q", "dp", "dq", "qi" when present), for signing.
std::optional<PkeyPtr> JwkKey(const json::object& jwk, bool private_key = false) {
  auto field = [&jwk](std::string_view name) -> std::optional<std::string> {
    const json::value* v = jwk.if_contains(name);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    auto decoded = RawBase64UrlDecode(std::string_view(v->get_string()));
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
  };
  const json::value* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) return std::nullopt;
  std::string_view type(kty->get_string());
  auto builder = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>(
      OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  std::vector<std::unique_ptr<BIGNUM, decltype(&BN_free)>> numbers;
  auto push_number = [&](const char* name, const std::string& bytes) {
    numbers.emplace_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                   static_cast<int>(bytes.size()), nullptr),
                         BN_free);
    return numbers.back() && OSSL_PARAM_BLD_push_BN(builder.get(), name, numbers.back().get()) == 1;
  };
  std::string point;
  const char* algorithm = nullptr;
  if (type == "RSA") {
    auto n = field("n"), e = field("e");
    if (!n || !e || !push_number(OSSL_PKEY_PARAM_RSA_N, *n) || !push_number(OSSL_PKEY_PARAM_RSA_E, *e)) {
      return std::nullopt;
    }
    if (private_key) {
      auto d = field("d");
      if (!d || !push_number(OSSL_PKEY_PARAM_RSA_D, *d)) return std::nullopt;
      static constexpr std::pair<const char*, const char*> kCrt[] = {
          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},     {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
          {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},  {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
          {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
      };
      // All or none: OpenSSL signs without them, only slower.
      std::vector<std::string> crt;
      for (const auto& [name, param] : kCrt) {
        if (auto value = field(name)) crt.push_back(std::move(*value));
      }
      if (crt.size() == std::size(kCrt)) {
        for (std::size_t i = 0; i < crt.size(); ++i) {
          if (!push_number(kCrt[i].second, crt[i])) return std::nullopt;
        }
      }
    }
    algorithm = "RSA";
  } else if (type == "EC") {
    const json::value* crv = jwk.if_contains("crv");
    auto x = field("x"), y = field("y");
    if (crv == nullptr || !crv->is_string() || !x || !y || x->size() != y->size()) return std::nullopt;
    std::string_view curve(crv->get_string());
    const char* group = curve == "P-256"   ? "prime256v1"
                        : curve == "P-384" ? "secp384r1"
                        : curve == "P-521" ? "secp521r1"
                                           : nullptr;
    if (group == nullptr) return std::nullopt;
    point = "\x04" + *x + *y;  // uncompressed
    if (OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return std::nullopt;
    }
    if (private_key) {
      auto d = field("d");
      if (!d || !push_number(OSSL_PKEY_PARAM_PRIV_KEY, *d)) return std::nullopt;
    }
    algorithm = "EC";
  } else {
    return std::nullopt;
  }
  auto params = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>(
      OSSL_PARAM_BLD_to_param(builder.get()), OSSL_PARAM_free);
  auto ctx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>(
      EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, private_key ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return PkeyPtr(key);
}

// The public keys of a PEM "CERTIFICATE" or "PUBLIC KEY" block, or of a JWK or a JWKS
// (`{"keys": [...]}`): what OPA's io.jwt.verify_* take as their second operand.
Result<std::vector<PkeyPtr>> PublicKeys(std::string_view builtin, std::string_view text) {
  if (text.size() > 1 << 20) return std::unexpected(BuiltinError(builtin, "key too large"));
  std::vector<PkeyPtr> keys;
  if (text.find("-----BEGIN") == std::string_view::npos) {
    auto parsed = ParseJson(text);
    if (!parsed || !parsed->is_object()) {
      return std::unexpected(BuiltinError(builtin, "failed to parse a JWK key (set)"));
    }
    const json::value* set = parsed->get_object().if_contains("keys");
    if (set != nullptr && set->is_array()) {
      for (const json::value& jwk : set->get_array()) {
        if (!jwk.is_object()) continue;
        if (auto key = JwkKey(jwk.get_object())) keys.push_back(std::move(*key));
      }
    } else if (auto key = JwkKey(parsed->get_object())) {
      keys.push_back(std::move(*key));
    }
    if (keys.empty()) return std::unexpected(BuiltinError(builtin, "failed to parse a JWK key (set)"));
    return keys;
  }
  auto bio = std::unique_ptr<BIO, decltype(&BIO_free)>(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert != nullptr) {
      PkeyPtr key(X509_get_pubkey(cert));
      X509_free(cert);
      if (key) keys.push_back(std::move(key));
    }
    if (keys.empty()) return std::unexpected(BuiltinError(builtin, "failed to parse a PEM certificate"));
    return keys;
  }
  if (PkeyPtr key{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)}) {
    keys.push_back(std::move(key));
    return keys;
  }
  return std::unexpected(BuiltinError(builtin, "failed to parse a PEM public key"));
}

enum class Scheme { kPkcs1, kPss, kEcdsa };

// ECDSA signatures in a JWS are r || s, each as wide as the curve's order; OpenSSL wants DER.
std::optional<std::string> EcdsaDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0) return std::nullopt;
  std::size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + half), static_cast<int>(half), nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool VerifySignature(EVP_PKEY* key, Digest md, Scheme scheme, std::string_view input,
                     std::string_view signature) {
  int id = EVP_PKEY_base_id(key);
  if ((scheme == Scheme::kEcdsa) != (id == EVP_PKEY_EC)) return false;
  if (scheme != Scheme::kEcdsa && id != EVP_PKEY_RSA) return false;
  std::string der;
  if (scheme == Scheme::kEcdsa) {
    auto converted = EcdsaDer(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  auto ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md(), nullptr, key) != 1) return false;
  if (scheme == Scheme::kPss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

// Signs `input` as a JWS does: PKCS#1 v1.5; PSS with a salt as long as the digest (RFC 7518
// §3.5); ECDSA as r || s, each as wide as the curve's order (RFC 7518 §3.4).
std::optional<std::string> SignWith(EVP_PKEY* key, Digest md, Scheme scheme, std::string_view input) {
  int id = EVP_PKEY_base_id(key);
  if (id != (scheme == Scheme::kEcdsa ? EVP_PKEY_EC : EVP_PKEY_RSA)) return std::nullopt;
  auto ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t size = 0;
  bool ok = ctx && EVP_DigestSignInit(ctx.get(), &pctx, md(), nullptr, key) == 1 &&
            (scheme != Scheme::kPss ||
             (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
            EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) == 1;
  std::string signature(size, '\0');
  ok = ok && EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data,
                            input.size()) == 1;
  ERR_clear_error();
  if (!ok) return std::nullopt;
  signature.resize(size);
  if (scheme != Scheme::kEcdsa) return signature;
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  if (sig == nullptr) return std::nullopt;
  const int width = (EVP_PKEY_get_bits(key) + 7) / 8;
  std::string raw(static_cast<std::size_t>(2 * width), '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, width) == width &&
       BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + width, width) == width;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return raw;
}

template <const char* kName, Digest kMd, Scheme kScheme>
Result<json::value> JwtVerifyKey(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view token, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view pem, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(Jwt jwt, SplitJwt(kName, token));
  KW_ASSIGN_OR_RETURN(auto keys, PublicKeys(kName, pem));
  for (const PkeyPtr& key : keys) {
    if (VerifySignature(key.get(), kMd, kScheme, jwt.signing_input, jwt.signature)) {
      return json::value(true);
    }
  }
  return json::value(false);
}

constexpr char kVerifyRs256[] = "io.jwt.verify_rs256";
constexpr char kVerifyRs384[] = "io.jwt.verify_rs384";
constexpr char kVerifyRs512[] = "io.jwt.verify_rs512";
constexpr char kVerifyPs256[] = "io.jwt.verify_ps256";
constexpr char kVerifyPs384[] = "io.jwt.verify_ps384";
constexpr char kVerifyPs512[] = "io.jwt.verify_ps512";
constexpr char kVerifyEs256[] = "io.jwt.verify_es256";
constexpr char kVerifyEs384[] = "io.jwt.verify_es384";
constexpr char kVerifyEs512[] = "io.jwt.verify_es512";

constexpr char kVerifyHs256[] = "io.jwt.verify_hs256";
constexpr char kVerifyHs384[] = "io.jwt.verify_hs384";
constexpr char kVerifyHs512[] = "io.jwt.verify_hs512";

// --- io.jwt.decode_verify ---

// The JWS algorithms and how each verifies.
struct Algorithm {
  std::string_view name;
  Digest md;
  std::optional<Scheme> scheme;  // nullopt: HMAC with the secret
};

constexpr Algorithm kAlgorithms[] = {
    {"ES256", EVP_sha256, Scheme::kEcdsa}, {"ES384", EVP_sha384, Scheme::kEcdsa},
    {"ES512", EVP_sha512, Scheme::kEcdsa}, {"HS256", EVP_sha256, std::nullopt},
    {"HS384", EVP_sha384, std::nullopt},   {"HS512", EVP_sha512, std::nullopt},
    {"PS256", EVP_sha256, Scheme::kPss},   {"PS384", EVP_sha384, Scheme::kPss},
    {"PS512", EVP_sha512, Scheme::kPss},   {"RS256", EVP_sha256, Scheme::kPkcs1},
    {"RS384", EVP_sha384, Scheme::kPkcs1}, {"RS512", EVP_sha512, Scheme::kPkcs1},
};

// A NumericDate claim ("exp", "nbf") in seconds, when present and a number.
std::optional<double> NumericClaim(const json::object& payload, std::string_view name) {
  const json::value* v = payload.if_contains(name);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

// io.jwt.decode_verify(jwt, constraints): [valid, header, payload], [false, {}, {}] when the
// signature, algorithm, issuer, audience or validity period does not hold. Constraints: "cert"
// (PEM, JWK or JWKS) or "secret", optional "alg", "iss", "aud", "time" (ns; the evaluation's time by default).
Result<json::value> JwtDecodeVerify(const BuiltinContext& context,
                                    std::span<const json::value> args) {
  static constexpr std::string_view kName = "io.jwt.decode_verify";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view token, StringOperand(kName, args, 1));
  if (!args[1].is_object()) return std::unexpected(OperandTypeError(kName, 2, "object", args[1]));
  std::optional<std::string_view> cert, secret, alg, iss, aud;
  double now_seconds = static_cast<double>(context.now_ns) / 1e9;
  for (const auto& kv : args[1].get_object()) {
    std::string_view key(kv.key());
    const json::value& v = kv.value();
    if (key == "time") {
      if (!v.is_number()) return std::unexpected(BuiltinError(kName, "time constraint: must be a number"));
      now_seconds = v.to_number<double>() / 1e9;
      continue;
    }
    std::optional<std::string_view>* slot = key == "cert"     ? &cert
                                            : key == "secret" ? &secret
                                            : key == "alg"    ? &alg
                                            : key == "iss"    ? &iss
                                            : key == "aud"    ? &aud
                                                              : nullptr;
    if (slot == nullptr) {
      return std::unexpected(BuiltinError(kName, "unknown token validation constraint: " + std::string(key)));
    }
    if (!v.is_string()) {
      return std::unexpected(BuiltinError(kName, std::string(key) + " constraint: must be a string"));
    }
    *slot = std::string_view(v.get_string());
  }
  if (cert.has_value() == secret.has_value()) {
    return std::unexpected(BuiltinError(kName, "exactly one of cert or secret is required"));
  }
  const json::value invalid = json::array{false, json::object(), json::object()};
  KW_ASSIGN_OR_RETURN(Jwt jwt, SplitJwt(kName, token));
  const json::value* header_alg = jwt.header.get_object().if_contains("alg");
  if (header_alg == nullptr || !header_alg->is_string()) return invalid;
  std::string_view token_alg(header_alg->get_string());
  if (alg && *alg != token_alg) return invalid;
  const Algorithm* algorithm = nullptr;
  for (const Algorithm& a : kAlgorithms) {
    if (a.name == token_alg) algorithm = &a;
  }
  if (algorithm == nullptr) return invalid;
  bool signed_ok = false;
  if (!algorithm->scheme) {
    if (!secret) return invalid;
    std::string mac = HmacOf(algorithm->md, *secret, jwt.signing_input);
    signed_ok = mac.size() == jwt.signature.size() &&
                CRYPTO_memcmp(mac.data(), jwt.signature.data(), mac.size()) == 0;
  } else {
    if (!cert) return invalid;
    KW_ASSIGN_OR_RETURN(auto keys, PublicKeys(kName, *cert));
    for (const PkeyPtr& key : keys) {
      signed_ok = signed_ok || VerifySignature(key.get(), algorithm->md, *algorithm->scheme,
                                               jwt.signing_input, jwt.signature);
    }
  }
  if (!signed_ok) return invalid;
  auto payload = ParseJson(jwt.payload);
  if (!payload || !payload->is_object()) return invalid;
  const json::object& claims = payload->get_object();
  if (auto exp = NumericClaim(claims, "exp"); exp && now_seconds >= *exp) return invalid;
  if (auto nbf = NumericClaim(claims, "nbf"); nbf && now_seconds < *nbf) return invalid;
  if (iss) {
    const json::value* v = claims.if_contains("iss");
    if (v == nullptr || !v->is_string() || std::string_view(v->get_string()) != *iss) return invalid;
  }
  // An audience in the token must be expected, and an expected one must be in the token.
  if (const json::value* v = claims.if_contains("aud")) {
    if (!aud) return invalid;
    bool found = v->is_string() && std::string_view(v->get_string()) == *aud;
    if (v->is_array()) {
      for (const json::value& e : v->get_array()) {
        if (e.is_string() && std::string_view(e.get_string()) == *aud) found = true;
      }
    }
    if (!found) return invalid;
  } else if (aud) {
    return invalid;
  }
  return json::value(json::array{true, std::move(jwt.header), std::move(*payload)});
}

// --- io.jwt.encode_sign / encode_sign_raw: HMAC with an "oct" JWK, RSA and EC with theirs ---

// Signs "<header>.<payload>" (both already base64url) with the JWK `key` as `alg` says.
Result<std::string> SignCompact(std::string_view builtin, std::string_view header,
                                std::string_view payload, const json::value& header_value,
                                const json::value& key) {
  const json::value* alg = header_value.is_object() ? header_value.get_object().if_contains("alg") : nullptr;
  if (alg == nullptr || !alg->is_string()) {
    return std::unexpected(BuiltinError(builtin, "the header must have an alg"));
  }
  const Algorithm* algorithm = nullptr;
  for (const Algorithm& a : kAlgorithms) {
    if (a.name == std::string_view(alg->get_string())) algorithm = &a;
  }
  if (algorithm == nullptr) {
    return std::unexpected(BuiltinError(builtin, "unsupported signing algorithm " +
                                                     GoQuote(std::string_view(alg->get_string()))));
  }
  std::string input = Base64UrlNoPad(header) + "." + Base64UrlNoPad(payload);
  if (algorithm->scheme) {
    std::optional<PkeyPtr> private_key;
    if (key.is_object()) private_key = JwkKey(key.get_object(), true);
    if (!private_key) {
      return std::unexpected(BuiltinError(
          builtin, "the key must be an " +
                       std::string(*algorithm->scheme == Scheme::kEcdsa ? "EC" : "RSA") +
                       " JWK with its private part for " + std::string(algorithm->name)));
    }
    auto signature = SignWith(private_key->get(), algorithm->md, *algorithm->scheme, input);
    if (!signature) {
      return std::unexpected(BuiltinError(builtin, "the key cannot sign with " + std::string(algorithm->name)));
    }
    return input + "." + Base64UrlNoPad(*signature);
  }
  const json::value* k = key.is_object() ? key.get_object().if_contains("k") : nullptr;
  if (k == nullptr || !k->is_string()) {
    return std::unexpected(BuiltinError(builtin, "the key must be an oct JWK with a k"));
  }
  auto secret = RawBase64UrlDecode(std::string_view(k->get_string()));
  if (!secret) return std::unexpected(BuiltinError(builtin, "the key's k: " + secret.error().message));
  std::string mac = HmacOf(algorithm->md, *secret, input);
  return input + "." + Base64UrlNoPad(mac);
}

// encode_sign_raw: the header, payload and key as JSON texts, the first two signed as given.
Result<json::value> JwtEncodeSignRaw(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "io.jwt.encode_sign_raw";
  KW_TRY(CheckArity(kName, args, 3));
  KW_ASSIGN_OR_RETURN(std::string_view header, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view payload, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view key, StringOperand(kName, args, 3));
  auto header_value = ParseJson(header);
  auto key_value = ParseJson(key);
  if (!header_value || !key_value) return std::unexpected(BuiltinError(kName, "invalid JSON"));
  KW_ASSIGN_OR_RETURN(std::string token, SignCompact(kName, header, payload, *header_value, *key_value));
  return json::value(json::string(token));
}

// encode_sign: objects, written as Go's json.Marshal does (keys sorted).
Result<json::value> JwtEncodeSign(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "io.jwt.encode_sign";
  KW_TRY(CheckArity(kName, args, 3));
  for (std::size_t n = 1; n <= 3; ++n) {
    if (!args[n - 1].is_object()) return std::unexpected(OperandTypeError(kName, n, "object", args[n - 1]));
  }
  KW_ASSIGN_OR_RETURN(std::string token, SignCompact(kName, ToJson(SortedKeys(args[0])),
                                                     ToJson(SortedKeys(args[1])),
                                                     args[0], args[2]));
  return json::value(json::string(token));
}

// --- crypto.x509.parse_rsa_private_key ---

// crypto.x509.parse_rsa_private_key: a PKCS#1 or PKCS#8 RSA private key (PEM, or base64 of
// the PEM) as the JWK OPA writes for it (kty, n, e, d, p, q, dp, dq, qi).
Result<json::value> ParseRsaPrivateKey(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "crypto.x509.parse_rsa_private_key";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view input, StringOperand(kName, args, 1));
  std::string pem(input);
  if (!input.starts_with("-----BEGIN")) {
    auto decoded = Base64Decode(input);
    if (!decoded) return std::unexpected(BuiltinError(kName, "illegal base64 data"));
    pem = std::move(*decoded);
  }
  std::size_t begin = pem.find("-----BEGIN ");
  std::size_t type_end = begin == std::string::npos ? begin : pem.find("-----", begin + 11);
  if (type_end == std::string::npos) {
    return std::unexpected(BuiltinError(kName, "failed to parse PEM block containing the key"));
  }
  std::string type = pem.substr(begin + 11, type_end - begin - 11);
  if (type != "RSA PRIVATE KEY" && type != "PRIVATE KEY") {
    return std::unexpected(BuiltinError(
        kName, "PEM block type is '" + type + "', expected RSA PRIVATE KEY"));
  }
  auto bio = std::unique_ptr<BIO, decltype(&BIO_free)>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return std::unexpected(BuiltinError(kName, "failed to parse the private key"));
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return std::unexpected(BuiltinError(kName, "the key is not an RSA key"));
  }
  static constexpr std::pair<const char*, const char*> kFields[] = {
      {"n", OSSL_PKEY_PARAM_RSA_N},           {"e", OSSL_PKEY_PARAM_RSA_E},
      {"d", OSSL_PKEY_PARAM_RSA_D},           {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},     {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
  };
  json::object jwk;
  jwk["kty"] = "RSA";
  for (const auto& [field, param] : kFields) {
    BIGNUM* number = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), param, &number) != 1) {
      return std::unexpected(BuiltinError(kName, "the key lacks its " + std::string(field)));
    }
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(number)), '\0');
    BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(number);
    jwk[field] = json::string(Base64UrlNoPad(bytes));
  }
  return json::value(std::move(jwk));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"crypto.hmac.equal", HmacEqual},
    {kHmacMd5, HmacBuiltin<kHmacMd5, EVP_md5>},
    {kHmacSha1, HmacBuiltin<kHmacSha1, EVP_sha1>},
    {kHmacSha256, HmacBuiltin<kHmacSha256, EVP_sha256>},
    {kHmacSha512, HmacBuiltin<kHmacSha512, EVP_sha512>},
    {kMd5, HashBuiltin<kMd5, EVP_md5>},
    {kSha1, HashBuiltin<kSha1, EVP_sha1>},
    {kSha256, HashBuiltin<kSha256, EVP_sha256>},
    {"crypto.x509.parse_rsa_private_key", ParseRsaPrivateKey},
    {"io.jwt.decode", JwtDecode},
    {"io.jwt.decode_verify", JwtDecodeVerify},
    {"io.jwt.encode_sign", JwtEncodeSign},
    {"io.jwt.encode_sign_raw", JwtEncodeSignRaw},
    {kVerifyEs256, JwtVerifyKey<kVerifyEs256, EVP_sha256, Scheme::kEcdsa>},
    {kVerifyEs384, JwtVerifyKey<kVerifyEs384, EVP_sha384, Scheme::kEcdsa>},
    {kVerifyEs512, JwtVerifyKey<kVerifyEs512, EVP_sha512, Scheme::kEcdsa>},
    {kVerifyHs256, JwtVerifyHmac<kVerifyHs256, EVP_sha256>},
    {kVerifyHs384, JwtVerifyHmac<kVerifyHs384, EVP_sha384>},
    {kVerifyHs512, JwtVerifyHmac<kVerifyHs512, EVP_sha512>},
    {kVerifyPs256, JwtVerifyKey<kVerifyPs256, EVP_sha256, Scheme::kPss>},
    {kVerifyPs384, JwtVerifyKey<kVerifyPs384, EVP_sha384, Scheme::kPss>},
    {kVerifyPs512, JwtVerifyKey<kVerifyPs512, EVP_sha512, Scheme::kPss>},
    {kVerifyRs256, JwtVerifyKey<kVerifyRs256, EVP_sha256, Scheme::kPkcs1>},
    {kVerifyRs384, JwtVerifyKey<kVerifyRs384, EVP_sha384, Scheme::kPkcs1>},
    {kVerifyRs512, JwtVerifyKey<kVerifyRs512, EVP_sha512, Scheme::kPkcs1>},
};

}  // namespace

std::span<const BuiltinEntry> CryptoBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
