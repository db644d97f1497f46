// kubewarden/decimal.h: decimal text to the nearest double, exactly as strtod rounds it, without
// strtod. In a wasm module strtod brings musl's scanner and the 128-bit long double arithmetic
// it computes with (~12 KB); this is ~2 KB. Numbers of at most 19 significant digits within
// 10^±22 of an exact double take one multiplication or division (exact operands, so the one
// rounding is the correct one); the others are scaled by powers of two on their decimal digits,
// the bounded-buffer method of Go's strconv, which rounds exactly too.
#ifndef KUBEWARDEN_DECIMAL_H_
#define KUBEWARDEN_DECIMAL_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kubewarden {

struct DecimalNumber {
  double value = 0;
  std::size_t length = 0;  // bytes read; 0 when `text` does not start with a number
};

namespace internal {

// value = 0.d[0]d[1]...d[count-1] × 10^point; digits beyond the buffer are dropped, and
// `truncated` remembers whether any of them was not zero (it decides halfway cases).
struct DecimalDigits {
  static constexpr int kCapacity = 800;  // enough for any double's rounding decision
  static constexpr int kMaxShift = 60;   // 9 << 60 plus a carry still fits 64 bits
  std::uint8_t d[kCapacity];
  int count = 0;
  int point = 0;
  bool truncated = false;

  void Trim() {
    while (count > 0 && d[count - 1] == 0) --count;
    if (count == 0) point = 0;
  }

  // Divides by 2^k (k <= kMaxShift).
  void ShiftRight(int k) {
    int read = 0, write = 0;
    std::uint64_t n = 0;
    for (; n >> k == 0; ++read) {
      if (read >= count) {
        if (n == 0) {
          count = 0;
          return;
        }
        while (n >> k == 0) {
          n *= 10;
          ++read;
        }
        break;
      }
      n = n * 10 + d[read];
    }
    point -= read - 1;
    std::uint64_t mask = (std::uint64_t{1} << k) - 1;
    for (; read < count; ++read) {
      std::uint64_t next = d[read];
      d[write++] = static_cast<std::uint8_t>(n >> k);
      n = (n & mask) * 10 + next;
    }
    while (n > 0) {
      std::uint64_t digit = n >> k;
      n &= mask;
      if (write < kCapacity) {
        d[write++] = static_cast<std::uint8_t>(digit);
      } else if (digit > 0) {
        truncated = true;
      }
      n *= 10;
    }
    count = write;
    Trim();
  }

  // Multiplies by 2^k (k <= kMaxShift): the product's digits right to left into `out`, then
  // back into the buffer (as many as fit).
  void ShiftLeft(int k) {
    std::uint8_t out[kCapacity + 20];
    int start = sizeof out;
    std::uint64_t n = 0;
    for (int read = count; read-- > 0 || n > 0;) {
      if (read >= 0) n += std::uint64_t{d[read]} << k;
      std::uint64_t quotient = n / 10;
      out[--start] = static_cast<std::uint8_t>(n - 10 * quotient);
      n = quotient;
    }
    int produced = static_cast<int>(sizeof out) - start;
    point += produced - count;
    count = produced < kCapacity ? produced : kCapacity;
    for (int i = count; i < produced; ++i) truncated = truncated || out[start + i] != 0;
    std::memcpy(d, out + start, static_cast<std::size_t>(count));
    Trim();
  }

  void Shift(int k) {
    if (count == 0) return;
    for (; k > kMaxShift; k -= kMaxShift) ShiftLeft(kMaxShift);
    for (; k < -kMaxShift; k += kMaxShift) ShiftRight(kMaxShift);
    if (k > 0) ShiftLeft(k);
    if (k < 0) ShiftRight(-k);
  }

  // The integer part, rounded half to even on the digits after the point (point <= 19).
  std::uint64_t RoundedInteger() const {
    std::uint64_t n = 0;
    int i = 0;
    for (; i < point && i < count; ++i) n = n * 10 + d[i];
    for (; i < point; ++i) n *= 10;
    if (point >= 0 && point < count) {
      bool halfway = d[point] == 5 && point + 1 == count;
      if (halfway ? truncated || (point > 0 && d[point - 1] % 2 == 1) : d[point] >= 5) ++n;
    }
    return n;
  }

  // The bits of the nearest double (positive).
  std::uint64_t DoubleBits() {
    constexpr int kBias = -1023, kMantissaBits = 52;
    constexpr std::uint64_t kInfinity = std::uint64_t{0x7FF} << kMantissaBits;
    if (count == 0) return 0;
    if (point > 310) return kInfinity;
    if (point < -330) return 0;
    // Binary exponent first: scale into [0.5, 1) by powers of two, the larger the further away
    // (2^k for 10^point's k below: shifting by k keeps at least one digit before the point).
    static constexpr int kPowers[] = {1, 3, 6, 9, 13, 16, 19, 23, 26};
    auto step = [](int distance) { return distance < 9 ? kPowers[distance] : 27; };
    int exponent = 0;
    while (point > 0) {
      int k = step(point);
      Shift(-k);
      exponent += k;
    }
    while (point < 0 || (point == 0 && d[0] < 5)) {
      int k = step(-point);
      Shift(k);
      exponent -= k;
    }
    --exponent;  // [1, 2)
    if (exponent < kBias + 1) {  // subnormal: fewer mantissa bits
      int k = kBias + 1 - exponent;
      Shift(-k);
      exponent += k;
    }
    if (exponent - kBias >= 0x7FF) return kInfinity;
    Shift(1 + kMantissaBits);
    std::uint64_t mantissa = RoundedInteger();
    if (mantissa == std::uint64_t{2} << kMantissaBits) {  // rounded up to the next power of two
      mantissa >>= 1;
      if (++exponent - kBias >= 0x7FF) return kInfinity;
    }
    if ((mantissa & (std::uint64_t{1} << kMantissaBits)) == 0) exponent = kBias;
    return (mantissa & ((std::uint64_t{1} << kMantissaBits) - 1)) |
           static_cast<std::uint64_t>((exponent - kBias) & 0x7FF) << kMantissaBits;
  }
};

// 10^0 .. 10^22, the powers of ten that are exact doubles.
inline double ExactPowerOfTen(int n) {
  double p = 1;
  for (double base = 10; n > 0; n >>= 1, base *= base) {
    if (n & 1) p *= base;
  }
  return p;
}

}  // namespace internal

// Reads the longest prefix of `text` that is a decimal number as strtod reads one:
// [+-] digits [. digits] [(e|E) [+-] digits], with at least one digit before or after the point
// (no leading spaces, hex, "inf" or "nan"). Out of range gives ±infinity or ±0, as strtod.
inline DecimalNumber ParseDecimal(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  internal::DecimalDigits digits;
  std::uint64_t first19 = 0;  // the first 19 significant digits
  int significant = 0;        // all significant digits (from the first non-zero one)
  bool any = false, dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (c == '0' && digits.count == 0) {
      if (dot) --digits.point;  // a leading zero after the point
      continue;
    }
    if (!dot) ++digits.point;
    if (significant++ < 19) first19 = first19 * 10 + static_cast<std::uint64_t>(c - '0');
    if (digits.count < internal::DecimalDigits::kCapacity) {
      digits.d[digits.count++] = static_cast<std::uint8_t>(c - '0');
    } else if (c != '0') {
      digits.truncated = true;
    }
  }
  if (!any) return {};
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    bool negative_exponent = false;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) negative_exponent = text[j++] == '-';
    if (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      int e = 0;
      for (; j < text.size() && text[j] >= '0' && text[j] <= '9'; ++j) {
        if (e < 100000) e = e * 10 + (text[j] - '0');
      }
      digits.point += negative_exponent ? -e : e;
      i = j;
    }
  }
  double value;
  // Fast path: an integer below 2^53 times or over an exact power of ten.
  int scale = digits.point - significant;  // value = first19 × 10^scale when significant <= 19
  if (digits.count == 0) {
    value = 0;
  } else if (significant <= 19 && first19 <= (std::uint64_t{1} << 53) && scale >= -22 && scale <= 22) {
    value = scale < 0 ? static_cast<double>(first19) / internal::ExactPowerOfTen(-scale)
                      : static_cast<double>(first19) * internal::ExactPowerOfTen(scale);
  } else {
    value = std::bit_cast<double>(digits.DoubleBits());
  }
  return {negative ? -value : value, i};
}

}  // namespace kubewarden

#endif  // KUBEWARDEN_DECIMAL_H_
