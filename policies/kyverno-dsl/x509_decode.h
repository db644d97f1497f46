// kyverno-dsl: Kyverno 1.10's x509_decode(string). The first PEM block of the text is read as
// Go's x509.ParseCertificate (Go 1.20) reads DER, and the certificate is returned the way
// Kyverno hands it to JMESPath: encoding/json of *x509.Certificate decoded back into a generic
// map. So every number is a float64 (a serial number keeps only float64's precision), []byte is
// base64, times are RFC 3339, nil slices are null, and an RSA PublicKey is Kyverno's {N, E} with
// N as its decimal text.
//
// The input is untrusted: lengths are checked against the input, the structure is read to a
// fixed depth, and integers beyond kMaxIntegerBytes are refused rather than converted.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "value.h"

namespace kyverno {

// Integers (serial numbers, RSA moduli) longer than this are refused: writing them in decimal
// is quadratic. Go has no such limit; real keys are at most 2 KiB.
inline constexpr std::size_t kMaxIntegerBytes = 4096;

// The certificate of the first PEM block of `pem`, or the error Kyverno reports: "invalid
// certificate" when there is no PEM block, Go's x509 error texts ("x509: malformed
// certificate", "x509: trailing data", ...) when the DER is not a certificate.
std::expected<Value, std::string> DecodeX509(std::string_view pem);

}  // namespace kyverno
