// Go's encoding/json of crypto/x509 values (x509.Certificate, x509.CertificateRequest) and of
// private keys (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey), as OPA's crypto.x509.*
// builtins answer them: Go's field names and order, []byte as base64, big.Int as a number with
// every digit (rego_value.h's big numbers), nil slices as null. x509_json.cc lists what is
// approximate.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace kw::runtime::opa {

// x509.Certificate; with OPA's extra URIStrings (the URIs as text) when `with_uri_strings`.
json::object GoCertificate(X509* cert, bool with_uri_strings);

// x509.CertificateRequest of `request`, whose DER is `der`.
json::object GoCertificateRequest(X509_REQ* request, std::string_view der);

// The private key as Go holds it (RSA, EC, Ed25519; null for other kinds).
json::value GoPrivateKey(const EVP_PKEY* key);

// A certificate's extended key usages: x509.ExtKeyUsage values, and how many OIDs Go does not
// know (its UnknownExtKeyUsage).
struct GoExtKeyUsage {
  std::vector<int> known;
  std::size_t unknown = 0;
};
GoExtKeyUsage ExtKeyUsageOf(X509* cert);

}  // namespace kw::runtime::opa
