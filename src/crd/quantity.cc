#include "crd/quantity.h"

#include <algorithm>
#include <utility>

namespace kw::crd {
namespace {

std::unexpected<Error> FormatWrong() {
  return Fail(ErrorKind::kInvalidArgument,
              "quantities must match the regular expression "
              "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

std::unexpected<Error> BadSuffix() {
  return Fail(ErrorKind::kInvalidArgument, "unable to parse quantity's suffix");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `digits` (most significant first) times `factor`, exactly.
std::string MultiplyDecimal(const std::string& digits, unsigned factor) {
  std::string out;
  unsigned carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    unsigned v = static_cast<unsigned>(*it - '0') * factor + carry;
    out.push_back(static_cast<char>('0' + v % 10));
    carry = v / 10;
  }
  while (carry > 0) {
    out.push_back(static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

struct Suffix {
  int binary_power = 0;    // × 1024^binary_power
  std::int64_t decimal_exponent = 0;  // × 10^decimal_exponent
  bool exponent_form = false;  // "e3", "E-2": apimachinery's DecimalExponent format
};

// The suffixes, read and written: binary ones by power of 1024, decimal ones by power of 10.
constexpr std::pair<std::string_view, int> kBinary[] = {
    {"Ki", 1}, {"Mi", 2}, {"Gi", 3}, {"Ti", 4}, {"Pi", 5}, {"Ei", 6}};
constexpr std::pair<std::string_view, int> kDecimal[] = {
    {"", 0}, {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3}, {"M", 6},
    {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}};

Result<Suffix> ParseSuffix(std::string_view s) {
  for (const auto& [name, power] : kBinary) {
    if (s == name) return Suffix{power, 0};
  }
  for (const auto& [name, exponent] : kDecimal) {
    if (s == name) return Suffix{0, exponent};
  }
  if (s.size() < 2 || (s[0] != 'e' && s[0] != 'E')) return BadSuffix();
  std::string_view rest = s.substr(1);
  bool negative = false;
  if (rest[0] == '+' || rest[0] == '-') {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty()) return BadSuffix();
  std::int64_t exponent = 0;
  for (char c : rest) {
    if (!IsDigit(c)) return BadSuffix();
    exponent = exponent * 10 + (c - '0');
    if (exponent > kMaxQuantityExponent) return BadSuffix();
  }
  return Suffix{0, negative ? -exponent : exponent, true};
}

// apimachinery keeps the text it parsed as the quantity's String() when the value is already in
// canonical form and fits its fast path (an int64 of at most 18 digits at a scale ≥ nano). `num`
// and `denom` are the digits before and after the point, as written.
bool KeptAsWritten(std::string_view num, std::string_view denom, const Suffix& suffix) {
  const std::string shifted = std::string(num) + std::string(denom);
  if (suffix.binary_power > 0) {
    if (!denom.empty()) return false;
    const int exponent = suffix.binary_power * 10;
    const int precision = 15 - static_cast<int>(num.size()) - exponent * 3 / 10 - 1;
    if (precision < 0) return false;  // which also keeps value × 1024^power within an int64
    std::uint64_t value = 0;
    for (char c : num) value = value * 10 + static_cast<unsigned>(c - '0');
    return (value & 0x07) != 0;
  }
  if (static_cast<int>(shifted.size()) > 18) return false;
  const std::int64_t scale = suffix.decimal_exponent - static_cast<std::int64_t>(denom.size());
  if (scale < -9) return false;
  return scale % 3 == 0 && !shifted.ends_with("000") && shifted[0] != '0';
}

// The canonical text of digits × 10^exponent (no leading or trailing zeros in `digits`) in
// apimachinery's format: BinarySI (a binary suffix was written), DecimalSI or DecimalExponent.
std::optional<std::string> CanonicalText(bool negative, const std::string& digits,
                                         std::int64_t exponent, const Suffix& suffix) {
  if (digits.empty()) return "0";
  if (exponent < -9) return std::nullopt;  // rounded up to a nano by the server
  const std::string sign = negative ? "-" : "";
  const std::int64_t order = static_cast<std::int64_t>(digits.size()) + exponent;
  if (suffix.binary_power > 0 && exponent >= 0 && order > 19) return std::nullopt;  // capped
  if (suffix.binary_power > 0 && exponent >= 0 && order > 3) {
    // An integer of at least 1024 in magnitude is written base 1024 (one below, or with a
    // fraction, stays decimal so as not to round).
    unsigned __int128 value = 0;
    for (char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');
    for (std::int64_t i = 0; i < exponent; ++i) value *= 10;
    if (value >= 1024 && value <= static_cast<unsigned __int128>(INT64_MAX)) {
      int power = 0;
      while (value % 1024 == 0) {
        value /= 1024;
        ++power;
      }
      if (power > 6) return std::nullopt;
      const std::string_view name = power == 0 ? "" : kBinary[power - 1].first;
      return sign + std::to_string(static_cast<std::uint64_t>(value)) + std::string(name);
    }
    if (value > static_cast<unsigned __int128>(INT64_MAX)) return std::nullopt;  // capped
  }
  // Decimal: the exponent brought down to a multiple of three.
  const std::int64_t extra = ((exponent % 3) + 3) % 3;
  const std::string mantissa = digits + std::string(static_cast<std::size_t>(extra), '0');
  const std::int64_t scaled = exponent - extra;
  // What could not be read back is left alone (no real quantity comes near).
  if (mantissa.size() + 24 > kMaxQuantityLength || scaled > kMaxQuantityExponent) {
    return std::nullopt;
  }
  if (suffix.exponent_form) {
    return sign + mantissa + (scaled == 0 ? "" : "e" + std::to_string(scaled));
  }
  for (const auto& [name, power] : kDecimal) {
    if (power == scaled) return sign + mantissa + std::string(name);
  }
  return std::nullopt;
}

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxQuantityLength) return FormatWrong();
  Quantity q;
  q.text_ = std::string(text);
  std::string_view s = text;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  // The number: digits with at most one point, at least one digit.
  std::string digits;
  std::int64_t exponent = 0;
  bool seen_point = false;
  std::size_t i = 0;
  std::size_t integer_digits = 0;
  for (; i < s.size() && (IsDigit(s[i]) || s[i] == '.'); ++i) {
    if (s[i] == '.') {
      if (seen_point) return FormatWrong();
      seen_point = true;
      continue;
    }
    digits.push_back(s[i]);
    if (seen_point) {
      --exponent;
    } else {
      ++integer_digits;
    }
  }
  if (digits.empty()) return FormatWrong();
  // The suffix: apimachinery's regular expression first, then its meaning.
  std::string_view suffix_text = s.substr(i);
  std::size_t letters = suffix_text.find_first_not_of("eEinumkKMGTP");
  if (letters != std::string_view::npos) {
    std::string_view tail = suffix_text.substr(letters);
    if (tail[0] == '+' || tail[0] == '-') tail.remove_prefix(1);
    if (!std::all_of(tail.begin(), tail.end(), IsDigit)) return FormatWrong();
  }
  KW_ASSIGN_OR_RETURN(Suffix suffix, ParseSuffix(suffix_text));
  const bool kept = KeptAsWritten(std::string_view(digits).substr(0, integer_digits),
                                  std::string_view(digits).substr(integer_digits), suffix);
  for (int p = 0; p < suffix.binary_power; ++p) digits = MultiplyDecimal(digits, 1024);
  exponent += suffix.decimal_exponent;

  // Normalize: no leading zeros, trailing zeros folded into the exponent.
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {  // zero, whatever its sign
    q.canonical_ = "0";
    return q;
  }
  digits.erase(0, first);
  std::size_t last = digits.find_last_not_of('0');
  exponent += static_cast<std::int64_t>(digits.size() - last - 1);
  digits.erase(last + 1);
  q.negative_ = negative;
  q.digits_ = std::move(digits);
  q.exponent_ = exponent;
  q.canonical_ = kept ? std::optional<std::string>(q.text_)
                      : CanonicalText(negative, q.digits_, exponent, suffix);
  // The server writes a quantity twice, the request into storage and storage into its answer,
  // and the second may rewrite the first: a binary value that is no whole number of Ki comes
  // out of the first as a plain decimal ("62.5Ki" -> "64000" -> "64k"). Two rounds settle.
  // (Only when the text changed: a canonical text the fast path does not keep, "1Ei", would
  // otherwise be read again forever.)
  if (q.canonical_ && *q.canonical_ != q.text_) {
    if (auto again = Parse(*q.canonical_); again && again->canonical_ &&
                                           *again->canonical_ != *q.canonical_) {
      q.canonical_ = again->canonical_;
    }
  }
  return q;
}

int Quantity::Compare(const Quantity& other) const {
  if (negative_ != other.negative_) return negative_ ? -1 : 1;
  if (IsZero() || other.IsZero()) {
    if (IsZero() && other.IsZero()) return 0;
    // Same sign, one of them zero: zero is not negative, so the other one is positive.
    return IsZero() ? -1 : 1;
  }
  // Both non-zero with the same sign: compare magnitudes, then flip for negatives.
  int magnitude = 0;
  const std::int64_t order = static_cast<std::int64_t>(digits_.size()) + exponent_;
  const std::int64_t other_order = static_cast<std::int64_t>(other.digits_.size()) + other.exponent_;
  if (order != other_order) {
    magnitude = order < other_order ? -1 : 1;
  } else {
    // Same position of the leading digit: the digit strings compare as decimals after the point.
    int c = digits_.compare(other.digits_);
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return negative_ ? -magnitude : magnitude;
}

}  // namespace kw::crd
