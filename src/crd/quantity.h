// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity): "500m", "1.5Gi",
// "1e3", "-2". The admission webhooks compare PolicyServer requests with limits; CEL and the
// audit will need the same reading.
//
// Grammar (apimachinery's):
//   quantity := ["+" | "-"] number suffix
//   number   := digits | digits "." [digits] | "." digits
//   suffix   := "" | binary | decimal | ("e" | "E") ["+" | "-"] digits
//   binary   := Ki | Mi | Gi | Ti | Pi | Ei            (powers of 1024)
//   decimal  := n | u | m | k | M | G | T | P | E      (powers of 1000)
// "1E" is an exa, "1E3" an exponent. The value is kept exactly (an arbitrary decimal, binary
// suffixes multiplied out), so comparisons never round. Texts longer than kMaxQuantityLength
// and exponents past ±kMaxQuantityExponent are refused: no real quantity needs them, and they
// bound the work a hostile one can cause. Immutable and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::crd {

inline constexpr std::size_t kMaxQuantityLength = 128;
inline constexpr std::int64_t kMaxQuantityExponent = 1'000'000;

class Quantity {
 public:
  // Fails with kInvalidArgument and apimachinery's texts: "quantities must match the regular
  // expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" or "unable to parse quantity's
  // suffix".
  static Result<Quantity> Parse(std::string_view text);

  bool IsNegative() const { return negative_; }
  bool IsZero() const { return digits_.empty(); }
  // Negative, zero or positive as *this is less than, equal to or greater than `other`.
  int Compare(const Quantity& other) const;

  // The text it was parsed from.
  const std::string& text() const { return text_; }

  // The text the API server writes for it (apimachinery's Quantity.String()): the text as
  // written when it is already canonical ("100Mi", "1E3", "+1"), else the value with its
  // format's suffix, the exponent a multiple of three ("1000m" → "1", "0.5" → "500m",
  // "1.5Gi" → "1536Mi", "1024Mi" → "1Gi"). nullopt for what this does not model: values with
  // digits below a nano (rounded up by the server), binary values past 2^63 - 1 (capped), and
  // exponents outside the suffixes.
  const std::optional<std::string>& canonical() const { return canonical_; }

 private:
  std::string text_;
  bool negative_ = false;     // never true for zero
  std::string digits_;        // the significant decimal digits, no leading or trailing zeros
  std::int64_t exponent_ = 0;  // value = digits_ × 10^exponent_
  std::optional<std::string> canonical_;
};

}  // namespace kw::crd
