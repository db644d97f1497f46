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
};

Result<Suffix> ParseSuffix(std::string_view s) {
  static constexpr std::pair<std::string_view, int> kBinary[] = {
      {"Ki", 1}, {"Mi", 2}, {"Gi", 3}, {"Ti", 4}, {"Pi", 5}, {"Ei", 6}};
  static constexpr std::pair<std::string_view, int> kDecimal[] = {
      {"", 0}, {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3}, {"M", 6},
      {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}};
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
  return Suffix{0, negative ? -exponent : exponent};
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
  for (; i < s.size() && (IsDigit(s[i]) || s[i] == '.'); ++i) {
    if (s[i] == '.') {
      if (seen_point) return FormatWrong();
      seen_point = true;
      continue;
    }
    digits.push_back(s[i]);
    if (seen_point) --exponent;
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
  for (int p = 0; p < suffix.binary_power; ++p) digits = MultiplyDecimal(digits, 1024);
  exponent += suffix.decimal_exponent;

  // Normalize: no leading zeros, trailing zeros folded into the exponent.
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return q;  // zero, whatever its sign
  digits.erase(0, first);
  std::size_t last = digits.find_last_not_of('0');
  exponent += static_cast<std::int64_t>(digits.size() - last - 1);
  digits.erase(last + 1);
  q.negative_ = negative;
  q.digits_ = std::move(digits);
  q.exponent_ = exponent;
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
