// units.parse and units.parse_bytes: amounts with SI or IEC suffixes ("10Mi", "1.5G", "300m"),
// as OPA's topdown reads them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "base/strings.h"
#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

// OPA's extractNumAndUnit: the leading run of digits and dots, and the rest.
std::pair<std::string_view, std::string_view> SplitAmount(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  return {s.substr(0, i), s.substr(i)};
}

// OPA drops double quotes (a quoted amount from YAML) and refuses spaces.
Result<std::string> Cleaned(std::string_view builtin, std::string_view raw) {
  std::string s;
  for (char c : raw) {
    if (c != '"') s.push_back(c);
  }
  if (s.find(' ') != std::string::npos) {
    return std::unexpected(BuiltinError(builtin, "operand 1 spaces not allowed in resource strings"));
  }
  return s;
}

// The multiplier of an SI or IEC suffix: 10^(3·power) or 2^(10·power).
long double UnitFactor(int power, bool binary) {
  return binary ? std::ldexp(1.0L, 10 * power) : std::pow(1000.0L, power);
}

// The number of a decimal amount ("12", "1.5", ".5", "3."): digits and at most one dot.
std::optional<long double> Amount(std::string_view text) {
  if (text.empty() || text == "." || std::count(text.begin(), text.end(), '.') > 1) {
    return std::nullopt;
  }
  std::string copy(text);
  return std::strtold(copy.c_str(), nullptr);
}

// A number result: exact as an integer when it is one that int64 holds.
json::value NumberValue(long double v) {
  if (v == std::trunc(v) && std::fabs(v) < 9.2e18L) return json::value(static_cast<std::int64_t>(v));
  return json::value(static_cast<double>(v));
}

Result<json::value> UnitsParse(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "units.parse";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view raw, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string s, Cleaned(kName, raw));
  auto [number, unit_text] = SplitAmount(s);
  if (number.empty()) return std::unexpected(BuiltinError(kName, "operand 1 no amount provided"));
  // Only the letters after the first are case-insensitive, so that "m" (milli) and "M" (mega)
  // stay apart.
  std::string unit(unit_text);
  for (std::size_t i = 1; i < unit.size(); ++i) unit[i] = AsciiLower(unit[i]);
  static constexpr std::string_view kPrefixes = "kmgtpe";
  long double factor = 1;
  bool milli = unit == "m";
  if (!unit.empty() && !milli) {
    std::size_t power = kPrefixes.find(AsciiLower(unit[0]));
    bool binary = unit.size() == 2 && unit[1] == 'i';
    if (power == std::string_view::npos || (unit.size() != 1 && !binary)) {
      return std::unexpected(BuiltinError(kName, "operand 1 unit " + unit + " not recognized"));
    }
    factor = UnitFactor(static_cast<int>(power) + 1, binary);
  }
  auto amount = Amount(number);
  if (!amount) {
    return std::unexpected(BuiltinError(kName, "operand 1 could not parse amount to a number"));
  }
  long double v = milli ? *amount / 1000 : *amount * factor;
  return NumberValue(v);
}

Result<json::value> UnitsParseBytes(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "units.parse_bytes";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view raw, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string s, Cleaned(kName, raw));
  for (char& c : s) c = AsciiLower(c);
  auto [number, unit] = SplitAmount(s);
  if (number.empty()) {
    return std::unexpected(BuiltinError(kName, "operand 1 no byte amount provided"));
  }
  static constexpr std::string_view kPrefixes = "kmgtpe";
  long double factor = 1;
  if (!unit.empty()) {
    std::size_t power = kPrefixes.find(unit[0]);
    std::string_view rest = unit.substr(1);
    bool binary = rest == "i" || rest == "ib";
    if (power == std::string_view::npos || !(binary || rest.empty() || rest == "b")) {
      return std::unexpected(
          BuiltinError(kName, "operand 1 byte unit " + std::string(unit) + " not recognized"));
    }
    factor = UnitFactor(static_cast<int>(power) + 1, binary);
  }
  auto amount = Amount(number);
  if (!amount) {
    return std::unexpected(
        BuiltinError(kName, "operand 1 could not parse byte amount to a number"));
  }
  // big.Float's 64-bit mantissa (long double's on x86-64), truncated to an integer.
  return NumberValue(std::trunc(*amount * factor));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"units.parse", UnitsParse},
    {"units.parse_bytes", UnitsParseBytes},
};

}  // namespace

std::span<const BuiltinEntry> UnitsBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
