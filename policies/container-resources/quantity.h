// Kubernetes resource.Quantity (policies.md §1.10): parsing with Kubernetes' grammar and errors,
// exact decimal values (mantissa * 10^exponent, rounded up to the nano), numeric comparison and
// the canonical string form.
//
// The mantissa is an unsigned 128-bit integer kept free of trailing zeros; values needing more
// than ~37 significant digits lose the excess digits (far beyond any real resource amount).
#ifndef CONTAINER_RESOURCES_QUANTITY_H_
#define CONTAINER_RESOURCES_QUANTITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quantity {

using U128 = unsigned __int128;

enum class Format : std::uint8_t { kDecimalSI, kBinarySI, kDecimalExponent };

inline constexpr std::string_view kErrFormat =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
inline constexpr std::string_view kErrNumeric = "unable to parse numeric part of quantity";
inline constexpr std::string_view kErrSuffix = "unable to parse quantity's suffix";

inline constexpr U128 kMantissaLimit = static_cast<U128>(1) << 120;

struct Quantity {
  bool negative = false;
  U128 mantissa = 0;  // 0 means zero; otherwise no trailing decimal zeros
  std::int32_t exponent = 0;
  Format format = Format::kDecimalSI;

  bool IsZero() const { return mantissa == 0; }
};

inline int Digits(U128 m) {
  int n = 0;
  while (m != 0) {
    m /= 10;
    ++n;
  }
  return n;
}

inline void Normalize(Quantity& q) {
  if (q.mantissa == 0) {
    q.negative = false;
    q.exponent = 0;
    return;
  }
  while (q.mantissa % 10 == 0) {
    q.mantissa /= 10;
    ++q.exponent;
  }
}

// Multiplies the mantissa by 10 unless that would overflow (then the value is kept scaled).
inline bool Times10(U128& m) {
  if (m >= kMantissaLimit / 10) return false;
  m *= 10;
  return true;
}

struct ParseResult {
  std::optional<Quantity> value;
  std::string_view error;
};

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Suffix interpretation; false for an unknown suffix.
inline bool InterpretSuffix(std::string_view s, int& base, std::int64_t& exp, Format& format) {
  struct Entry {
    std::string_view suffix;
    int base;
    int exp;
  };
  static constexpr Entry kTable[] = {
      {"", 10, 0},    {"n", 10, -9},  {"u", 10, -6},  {"m", 10, -3},  {"k", 10, 3},
      {"M", 10, 6},   {"G", 10, 9},   {"T", 10, 12},  {"P", 10, 15},  {"E", 10, 18},
      {"Ki", 2, 10},  {"Mi", 2, 20},  {"Gi", 2, 30},  {"Ti", 2, 40},  {"Pi", 2, 50},
      {"Ei", 2, 60}};
  for (const Entry& e : kTable) {
    if (e.suffix == s) {
      base = e.base;
      exp = e.exp;
      format = e.base == 2 ? Format::kBinarySI : Format::kDecimalSI;
      return true;
    }
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    // strconv.ParseInt(s[1:], 10, 64)
    std::string_view d = s.substr(1);
    bool neg = false;
    if (d[0] == '+' || d[0] == '-') {
      neg = d[0] == '-';
      d.remove_prefix(1);
    }
    if (d.empty()) return false;
    std::int64_t v = 0;
    for (char c : d) {
      if (!IsDigit(c)) return false;
      if (v > (INT64_MAX - 9) / 10) return false;
      v = v * 10 + (c - '0');
    }
    base = 10;
    exp = neg ? -v : v;
    format = Format::kDecimalExponent;
    return true;
  }
  return false;
}

// resource.ParseQuantity of the trimmed text.
inline ParseResult Parse(std::string_view str) {
  while (!str.empty() && IsSpace(str.front())) str.remove_prefix(1);
  while (!str.empty() && IsSpace(str.back())) str.remove_suffix(1);
  if (str.empty()) return {std::nullopt, kErrFormat};

  const std::size_t end = str.size();
  std::size_t pos = 0;
  bool negative = false;
  if (str[0] == '-') {
    negative = true;
    ++pos;
  } else if (str[0] == '+') {
    ++pos;
  }
  while (pos < end && str[pos] == '0') ++pos;
  if (pos >= end) return {Quantity{}, {}};  // only a sign and zeros: zero

  std::size_t num_start = pos;
  while (pos < end && IsDigit(str[pos])) ++pos;
  std::string_view num = str.substr(num_start, pos - num_start);
  std::string_view denom;
  bool has_digits = num_start > (negative || str[0] == '+' ? 1u : 0u) || !num.empty();
  if (pos < end && str[pos] == '.') {
    ++pos;
    std::size_t denom_start = pos;
    while (pos < end && IsDigit(str[pos])) ++pos;
    denom = str.substr(denom_start, pos - denom_start);
  }
  if (!denom.empty()) has_digits = true;
  std::size_t suffix_start = pos;
  while (pos < end && std::string_view("eEinumkKMGTP").find(str[pos]) != std::string_view::npos) {
    ++pos;
  }
  if (pos < end && (str[pos] == '-' || str[pos] == '+')) ++pos;
  while (pos < end && IsDigit(str[pos])) ++pos;
  if (pos < end) return {std::nullopt, kErrFormat};
  std::string_view suffix = str.substr(suffix_start);

  int base = 10;
  std::int64_t exp = 0;
  Format format = Format::kDecimalSI;
  if (!InterpretSuffix(suffix, base, exp, format)) return {std::nullopt, kErrSuffix};

  // Kubernetes' fast path (int64 arithmetic) versus the inf.Dec slow path; only the slow path can
  // fail on a value without digits (e.g. ".Ei").
  std::size_t num_len = num.empty() ? 1 : num.size();
  bool fast;
  if (base == 10) {
    fast = static_cast<std::int64_t>(num_len + denom.size()) <= 18 &&
           exp - static_cast<std::int64_t>(denom.size()) >= -9;
  } else {
    fast = denom.empty() &&
           15 - static_cast<int>(num_len) - static_cast<int>(static_cast<float>(exp) * 3 / 10) -
                   1 >=
               0;
  }
  if (!fast && !has_digits) return {std::nullopt, kErrNumeric};

  Quantity q;
  q.format = format;
  q.negative = negative;
  std::int64_t e10 = 0;
  bool sticky = false;  // non-zero digits dropped below the mantissa's precision
  for (char c : num) {
    if (q.mantissa >= kMantissaLimit / 10) {
      ++e10;
      if (c != '0') sticky = true;
      continue;
    }
    q.mantissa = q.mantissa * 10 + static_cast<unsigned>(c - '0');
  }
  for (char c : denom) {
    if (q.mantissa >= kMantissaLimit / 10) {
      if (c != '0') sticky = true;
      continue;
    }
    q.mantissa = q.mantissa * 10 + static_cast<unsigned>(c - '0');
    --e10;
  }
  if (sticky) q.mantissa += 1;
  if (base == 10) {
    e10 += exp;
  } else {
    for (std::int64_t i = 0; i < exp; ++i) {
      while (q.mantissa >= kMantissaLimit / 2) {
        q.mantissa = q.mantissa / 10 + (q.mantissa % 10 != 0 ? 1 : 0);
        ++e10;
      }
      q.mantissa *= 2;
    }
  }
  // Round up (away from zero) to the nano.
  if (q.mantissa != 0 && e10 < -9) {
    std::int64_t drop = -9 - e10;
    U128 m = q.mantissa;
    bool rem = false;
    for (std::int64_t i = 0; i < drop && m != 0; ++i) {
      if (m % 10 != 0) rem = true;
      m /= 10;
    }
    q.mantissa = m + (rem ? 1 : 0);
    e10 = -9;
  }
  if (e10 > INT32_MAX / 2) e10 = INT32_MAX / 2;
  if (e10 < INT32_MIN / 2) e10 = INT32_MIN / 2;
  q.exponent = static_cast<std::int32_t>(e10);
  Normalize(q);
  if (q.format == Format::kBinarySI && q.mantissa != 0 &&
      Digits(q.mantissa) + q.exponent <= 0) {  // 0 < |v| < 1
    q.format = Format::kDecimalSI;
  }
  return {q, {}};
}

// Compares magnitudes of two normalized non-zero values.
inline int CompareMagnitude(const Quantity& a, const Quantity& b) {
  int ma = Digits(a.mantissa) + a.exponent, mb = Digits(b.mantissa) + b.exponent;
  if (ma != mb) return ma < mb ? -1 : 1;
  U128 x = a.mantissa, y = b.mantissa;
  // Same magnitude: scale the one with the larger exponent to the other's exponent.
  for (int i = a.exponent; i > b.exponent; --i) x *= 10;
  for (int i = b.exponent; i > a.exponent; --i) y *= 10;
  return x < y ? -1 : (x > y ? 1 : 0);
}

inline int Compare(const Quantity& a, const Quantity& b) {
  int sa = a.IsZero() ? 0 : (a.negative ? -1 : 1);
  int sb = b.IsZero() ? 0 : (b.negative ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  int c = CompareMagnitude(a, b);
  return sa < 0 ? -c : c;
}

inline std::string U128ToString(U128 m) {
  if (m == 0) return "0";
  char buf[48];
  char* p = buf + sizeof(buf);
  while (m != 0) {
    *--p = static_cast<char>('0' + static_cast<int>(m % 10));
    m /= 10;
  }
  return std::string(p, static_cast<std::size_t>(buf + sizeof(buf) - p));
}

inline std::string FormatDecimal(const Quantity& q, bool exponent_form) {
  U128 m = q.mantissa;
  std::int64_t e = q.exponent;
  while (((e % 3) + 3) % 3 != 0) {
    m *= 10;
    --e;
  }
  std::string out = q.negative ? "-" : "";
  if (exponent_form) {
    out += U128ToString(m);
    if (e != 0) {
      out += 'e';
      if (e < 0) {
        out += '-';
        e = -e;
      }
      out += U128ToString(static_cast<U128>(e));
    }
    return out;
  }
  while (e > 18 && Times10(m)) --e;  // beyond exa: spell out the mantissa
  static constexpr std::string_view kSuffixes[] = {"n", "u", "m", "", "k", "M", "G", "T", "P",
                                                   "E"};
  out += U128ToString(m);
  if (e >= -9 && e <= 18) {
    out += kSuffixes[(e + 9) / 3];
  } else {
    out += 'e';
    out += U128ToString(static_cast<U128>(e));
  }
  return out;
}

// The canonical string (§1.10).
inline std::string Canonical(const Quantity& q) {
  if (q.IsZero()) return "0";
  if (q.format == Format::kDecimalExponent) return FormatDecimal(q, true);
  if (q.format == Format::kDecimalSI) return FormatDecimal(q, false);
  // BinarySI: integers of magnitude >= 1024 use the largest exact power-of-1024 suffix.
  if (q.exponent < 0 || Digits(q.mantissa) + q.exponent > 37) return FormatDecimal(q, false);
  U128 v = q.mantissa;
  for (int i = 0; i < q.exponent; ++i) v *= 10;
  if (v < 1024) return FormatDecimal(q, false);
  static constexpr std::string_view kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int k = 0;
  while (k < 6 && v % 1024 == 0) {
    v /= 1024;
    ++k;
  }
  std::string out = q.negative ? "-" : "";
  out += U128ToString(v);
  out += kSuffixes[k];
  return out;
}

}  // namespace quantity

#endif  // CONTAINER_RESOURCES_QUANTITY_H_
