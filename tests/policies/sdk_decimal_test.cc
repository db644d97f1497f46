// kubewarden/decimal.h against the host's strtod (correctly rounded, as the policies' musl
// strtod it replaces): the same double, bit for bit, and the same length read.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "kubewarden/decimal.h"

namespace {

void ExpectAsStrtod(const std::string& text) {
  char* end = nullptr;
  double expected = std::strtod(text.c_str(), &end);
  std::size_t expected_length = static_cast<std::size_t>(end - text.c_str());
  kubewarden::DecimalNumber got = kubewarden::ParseDecimal(text);
  ASSERT_EQ(got.length, expected_length) << text;
  if (expected_length == 0) return;
  ASSERT_EQ(std::bit_cast<std::uint64_t>(got.value), std::bit_cast<std::uint64_t>(expected)) << text;
}

TEST(Decimal, ReadsWhatStrtodReads) {
  for (const char* text : {"0", "-0", "+0", "0.0", "-0.0e5", "1", "-1", "12.5", ".5", "5.", "-.5", "007.25",
                           "0.000123", "1e10", "1E-10", "1e+3", "1e", "1e+", "1e-x", "2.e3", ".e3", ".", "-", "+",
                           "", "abc", "1.2.3", "12abc", "9007199254740993", "9007199254740992.5",
                           "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
                           "1e309", "-1e400", "4.9406564584124654e-324", "2.4703282292062327e-324",
                           "2.4703282292062328e-324", "2.2250738585072011e-308", "2.2250738585072014e-308",
                           "1e-400", "123456789012345678901234567890", "0.1", "0.3", "1e22", "1e23",
                           "8.98846567431158e307", "1e-5", "3.14159265358979323846264338327950288",
                           "0.000000000000000000000000000000000000000000001", "100000000000000000000000e-30",
                           "1e99999999999", "1e-99999999999", "0e99999999999"}) {
    ExpectAsStrtod(text);
  }
}

// Random digit strings and exponents over the whole range, and the exact halfway points between
// neighbouring doubles (and one digit either side of them), where rounding is decided.
TEST(Decimal, RandomNumbersRoundExactlyAsStrtod) {
  std::mt19937_64 random(20261207);
  for (int n = 0; n < 50000; ++n) {
    std::string text = random() % 2 ? "-" : "";
    int digits = 1 + static_cast<int>(random() % (n % 10 == 0 ? 60 : 20));
    int point = static_cast<int>(random() % static_cast<unsigned>(digits + 1));
    for (int k = 0; k < digits; ++k) {
      if (k == point && k > 0) text += '.';
      text += static_cast<char>('0' + random() % 10);
    }
    if (random() % 3) text += "e" + std::to_string(static_cast<int>(random() % 700) - 350);
    ExpectAsStrtod(text);
  }
  char buf[1100];
  for (int n = 0; n < 25000; ++n) {
    double a = std::bit_cast<double>(random() & 0x7FEFFFFFFFFFFFFFull);
    double b = std::nextafter(a, INFINITY);
    long double mid = (static_cast<long double>(a) + b) / 2;  // exact: x87 / 128-bit long double
    std::snprintf(buf, sizeof buf, "%.800Le", mid);
    std::string text = buf;
    std::size_t e = text.find('e');
    std::string mantissa = text.substr(0, e), exponent = text.substr(e);
    while (mantissa.back() == '0') mantissa.pop_back();
    ExpectAsStrtod(mantissa + exponent);
    ExpectAsStrtod(mantissa + "1" + exponent);
    std::string below = mantissa;
    std::size_t last = below.size() - 1;
    if (below[last] != '.' && below[last] > '0') {
      --below[last];
      ExpectAsStrtod(below + "9999" + exponent);
    }
    std::snprintf(buf, sizeof buf, "%.17g", a);
    ExpectAsStrtod(buf);
  }
}

}  // namespace
