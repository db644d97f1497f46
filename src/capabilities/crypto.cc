#include "capabilities/crypto.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>
#include <memory>

#include "base/json.h"
#include "base/json_fields.h"
#include "verify/crypto.h"

namespace kw::capabilities {
namespace {

using json_fields::Invalid;
using verify::X509Ptr;

constexpr std::string_view kWhat = "cannot decode the crypto/v1/is_certificate_trusted payload";
// Certificates one chain entry may hold (a PEM bundle).
constexpr std::size_t kMaxCertificatesPerEntry = 256;

Result<Certificate> DecodeCertificate(const json::value& value, const std::string& field) {
  if (!value.is_object()) return json_fields::WrongType(field, "an object", value);
  const json::object& object = value.get_object();
  static constexpr std::pair<std::string_view, Certificate::Encoding> kEncodings[] = {
      {"Pem", Certificate::Encoding::kPem}, {"Der", Certificate::Encoding::kDer}};
  Certificate cert;
  KW_ASSIGN_OR_RETURN(const json::value* encoding,
                      json_fields::FindRequired(object, "encoding", field + ".encoding"));
  KW_ASSIGN_OR_RETURN(cert.encoding, json_fields::GetEnum(*encoding, field + ".encoding",
                                                          kEncodings));
  KW_ASSIGN_OR_RETURN(const json::value* data,
                      json_fields::FindRequired(object, "data", field + ".data"));
  KW_ASSIGN_OR_RETURN(cert.data, json_fields::GetBytes(*data, field + ".data"));
  return cert;
}

Result<CertificateTrustRequest> DecodeFields(const json::value& value) {
  if (!value.is_object()) return json_fields::WrongType("payload", "an object", value);
  const json::object& object = value.get_object();
  CertificateTrustRequest request;
  KW_ASSIGN_OR_RETURN(const json::value* cert, json_fields::FindRequired(object, "cert", "cert"));
  KW_ASSIGN_OR_RETURN(request.cert, DecodeCertificate(*cert, "cert"));
  if (const json::value* chain = json_fields::FindSet(object, "cert_chain")) {
    if (!chain->is_array()) {
      return json_fields::WrongType("cert_chain", "a list of certificates or null", *chain);
    }
    request.chain.emplace();
    const json::array& entries = chain->get_array();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      KW_ASSIGN_OR_RETURN(Certificate entry,
                          DecodeCertificate(entries[i], json_fields::Indexed("cert_chain", i)));
      request.chain->push_back(std::move(entry));
    }
  }
  if (const json::value* not_after = json_fields::FindSet(object, "not_after")) {
    KW_ASSIGN_OR_RETURN(std::string text, json_fields::GetString(*not_after, "not_after"));
    if (!text.empty()) {
      auto seconds = verify::ParseRfc3339(text);
      if (!seconds) return Invalid("field 'not_after': " + seconds.error().message);
      request.not_after = *seconds;
    }
  }
  return request;
}

// The certificates of `cert` (one for DER, at most `max` for PEM).
Result<std::vector<X509Ptr>> Load(const Certificate& cert, const std::string& field,
                                  std::size_t max) {
  std::vector<X509Ptr> certs;
  if (cert.encoding == Certificate::Encoding::kDer) {
    auto der = verify::ParseCertificateDer(cert.data);
    if (!der) return Invalid(field + ": " + der.error().message);
    certs.push_back(std::move(*der));
    return certs;
  }
  auto pem = verify::ParseCertificatesPem(cert.data, max);
  if (!pem) return Invalid(field + ": " + pem.error().message);
  if (pem->empty()) return Invalid(field + ": no PEM certificate in the data");
  return std::move(*pem);
}

struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
using StorePtr = std::unique_ptr<X509_STORE, StoreDeleter>;

// The system's trust anchors, loaded once; an X509_STORE is safe to share for verification.
X509_STORE* SystemStore() {
  static X509_STORE* const store = [] {
    X509_STORE* s = X509_STORE_new();
    if (s != nullptr && X509_STORE_set_default_paths(s) != 1) ERR_clear_error();
    return s;
  }();
  return store;
}

CertificateTrust Untrusted(std::string reason) { return {false, std::move(reason)}; }

constexpr std::string_view kExpired = "Certificate is being used after its expiration date";
constexpr std::string_view kNotYetValid = "Certificate is being used before its validity date";
constexpr std::string_view kUnknownIssuer = "Certificate is not trusted by the provided cert chain";

CertificateTrust FromVerifyError(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Untrusted(std::string(kExpired));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Untrusted(std::string(kNotYetValid));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return Untrusted(std::string(kUnknownIssuer));
    default:
      return Untrusted(std::string("Certificate not trusted: ") +
                       X509_verify_cert_error_string(error));
  }
}

}  // namespace

Result<CertificateTrustRequest> DecodeCertificateTrustRequest(std::string_view payload) {
  if (payload.size() > kMaxCertificateTrustPayload) {
    return Invalid(std::string(kWhat) + ": " + std::to_string(payload.size()) +
                   " bytes is more than the limit of " +
                   std::to_string(kMaxCertificateTrustPayload) + " bytes");
  }
  KW_ASSIGN_OR_RETURN(json::value value, ParseJson(payload, kWhat));
  auto request = DecodeFields(value);
  if (!request) return std::unexpected(request.error().Wrap(kWhat));
  return request;
}

Result<CertificateTrust> CheckCertificateTrust(const CertificateTrustRequest& request) {
  KW_ASSIGN_OR_RETURN(std::vector<X509Ptr> leaf, Load(request.cert, "cert", 1));
  const std::time_t at = request.not_after ? static_cast<std::time_t>(*request.not_after)
                                           : std::time(nullptr);
  // webpki looks at the certificate's own validity before its issuer; so do we, for its reasons.
  const int not_after = ASN1_TIME_cmp_time_t(X509_get0_notAfter(leaf[0].get()), at);
  const int not_before = ASN1_TIME_cmp_time_t(X509_get0_notBefore(leaf[0].get()), at);
  if (not_after == -2 || not_before == -2) {
    ERR_clear_error();
    return Untrusted("Certificate not trusted: its validity dates cannot be read");
  }
  if (not_after < 0) return Untrusted(std::string(kExpired));
  if (not_before > 0) return Untrusted(std::string(kNotYetValid));

  StorePtr own;
  X509_STORE* store = SystemStore();
  if (request.chain) {
    own.reset(X509_STORE_new());
    store = own.get();
    for (std::size_t i = 0; i < request.chain->size(); ++i) {
      KW_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs,
                          Load((*request.chain)[i], json_fields::Indexed("cert_chain", i),
                               kMaxCertificatesPerEntry));
      for (const X509Ptr& c : certs) {
        if (store != nullptr) X509_STORE_add_cert(store, c.get());  // takes its own reference
      }
    }
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (store == nullptr || !ctx ||
      X509_STORE_CTX_init(ctx.get(), store, leaf[0].get(), nullptr) != 1) {
    ERR_clear_error();
    return Fail(ErrorKind::kInternal, "cannot set up certificate verification (out of memory?)");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // Any certificate of the chain is an anchor, as webpki's trust anchors are.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, at);
  const bool verified = X509_verify_cert(ctx.get()) == 1;
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (verified) return CertificateTrust{true, ""};
  return FromVerifyError(error);
}

void RegisterCrypto(host::Dispatcher& dispatcher) {
  dispatcher.Register(
      "crypto", {"v1/is_certificate_trusted"},
      [](const host::CallContext&, std::string_view,
         std::string_view payload) -> Result<std::string> {
        KW_ASSIGN_OR_RETURN(CertificateTrustRequest request,
                            DecodeCertificateTrustRequest(payload));
        KW_ASSIGN_OR_RETURN(CertificateTrust trust, CheckCertificateTrust(request));
        return ToJson(json::object{{"trusted", trust.trusted}, {"reason", trust.reason}});
      });
}

}  // namespace kw::capabilities
