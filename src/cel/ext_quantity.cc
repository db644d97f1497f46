// Kubernetes' quantity library (k8s.io/apiserver library.Quantity) over resource.ParseQuantity:
// isQuantity, quantity(), sign, isGreaterThan, isLessThan, compareTo, add, sub, asInteger,
// asApproximateFloat, isInteger; type kubernetes.Quantity, equal when numerically equal. Parse
// errors are apimachinery's texts ("quantities must match the regular expression '...'",
// "unable to parse quantity's suffix").
//
// Values are held as a count of nano-units (ParseQuantity rounds finer values up, away from
// zero, to 1n), in 128 bits: about ±1.7e29, well past the largest suffix (E, Ei); a quantity
// beyond that is refused ("quantity is too large") where Kubernetes keeps it as a big decimal.
#include <cmath>
#include <expected>
#include <limits>
#include <memory>

#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;
using Int128 = __int128;

constexpr std::string_view kQuantityType = "kubernetes.Quantity";
constexpr Int128 kNano = 1'000'000'000;

const char* const kFormatWrong =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

bool MulOverflow(Int128 a, Int128 b, Int128& out) { return __builtin_mul_overflow(a, b, &out); }

std::expected<Int128, std::string> ParseQuantity(std::string_view s) {
  if (s.empty()) return std::unexpected(kFormatWrong);
  std::size_t pos = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++pos;
  }
  // The number: digits, at most one '.', digits.
  Int128 mantissa = 0;
  int exp10 = 0;
  bool digits = false, dot = false, too_long = false;
  for (; pos < s.size(); ++pos) {
    char c = s[pos];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    digits = true;
    if (mantissa > (std::numeric_limits<Int128>::max() - 9) / 10) {
      too_long = true;  // further digits only scale (integer part) or are dropped (fraction)
      if (!dot) ++exp10;
      continue;
    }
    mantissa = mantissa * 10 + (c - '0');
    if (dot) --exp10;
  }
  if (!digits) return std::unexpected(kFormatWrong);
  // The suffix: letters of "eEinumkKMGTP", then an optional sign and digits.
  std::size_t suffix_start = pos;
  while (pos < s.size() && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos) ++pos;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  if (pos != s.size()) return std::unexpected(kFormatWrong);
  std::string_view suffix = s.substr(suffix_start);
  int binary = 0;  // power of 2
  int decimal = 0;  // power of 10
  static constexpr std::pair<std::string_view, int> kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                                   {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  static constexpr std::pair<std::string_view, int> kDecimal[] = {{"", 0},  {"n", -9}, {"u", -6}, {"m", -3},
                                                                    {"k", 3}, {"M", 6},  {"G", 9},  {"T", 12},
                                                                    {"P", 15}, {"E", 18}};
  bool known = false;
  for (auto [name, e] : kBinary)
    if (suffix == name) known = true, binary = e;
  for (auto [name, e] : kDecimal)
    if (suffix == name) known = true, decimal = e;
  if (!known && suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view num = suffix.substr(1);
    bool neg = num[0] == '-';
    if (num[0] == '-' || num[0] == '+') num.remove_prefix(1);
    known = !num.empty() && num.size() <= 4;
    for (char c : known ? num : std::string_view()) {
      if (c < '0' || c > '9') known = false;
      else decimal = decimal * 10 + (c - '0');
    }
    if (neg) decimal = -decimal;
  }
  if (!known) return std::unexpected("unable to parse quantity's suffix");
  (void)too_long;
  Int128 value = mantissa;
  for (int k = 0; k < binary; ++k)
    if (MulOverflow(value, 2, value)) return std::unexpected("quantity is too large");
  int e = exp10 + decimal + 9;
  if (e >= 0) {
    for (int k = 0; k < e; ++k)
      if (MulOverflow(value, 10, value)) return std::unexpected("quantity is too large");
  } else if (value != 0) {
    // Finer than 1n: rounded up (away from zero, applied to the magnitude before the sign).
    Int128 divisor = 1;
    bool underflow = false;
    for (int k = 0; k < -e; ++k)
      if (MulOverflow(divisor, 10, divisor)) {
        underflow = true;
        break;
      }
    value = underflow ? 1 : (value + divisor - 1) / divisor;
  }
  return negative ? -value : value;
}

class QuantityValue final : public OpaqueValue {
 public:
  explicit QuantityValue(Int128 n) : nanos(n) {}
  std::string_view TypeName() const override { return kQuantityType; }
  bool Equals(const OpaqueValue& o) const override {
    return o.TypeName() == kQuantityType && static_cast<const QuantityValue&>(o).nanos == nanos;
  }
  std::string DebugString() const override {
    Int128 magnitude = nanos < 0 ? -nanos : nanos;
    std::string whole;
    Int128 w = magnitude / kNano;
    do {
      whole.insert(whole.begin(), static_cast<char>('0' + static_cast<int>(w % 10)));
      w /= 10;
    } while (w != 0);
    std::string fraction = std::to_string(static_cast<long long>(magnitude % kNano));
    fraction.insert(0, 9 - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return "quantity(\"" + std::string(nanos < 0 ? "-" : "") + whole + (fraction.empty() ? "" : "." + fraction) + "\")";
  }
  Int128 nanos;
};

const QuantityValue* AsQuantity(const Value& v) {
  return v.kind() == K::kOpaque && v.opaque().TypeName() == kQuantityType ? static_cast<const QuantityValue*>(&v.opaque())
                                                                            : nullptr;
}
Value QuantityOf(Int128 n) { return Value::Opaque(std::make_shared<const QuantityValue>(n)); }

// The nano-units of a quantity or int argument.
std::optional<Int128> Operand(const Value& v) {
  if (const auto* q = AsQuantity(v)) return q->nanos;
  if (v.kind() == K::kInt) return static_cast<Int128>(v.int_value()) * kNano;
  return std::nullopt;
}

std::optional<std::int64_t> AsInt64(Int128 nanos) {
  if (nanos % kNano != 0) return std::nullopt;
  Int128 whole = nanos / kNano;
  if (whole > std::numeric_limits<std::int64_t>::max() || whole < std::numeric_limits<std::int64_t>::min())
    return std::nullopt;
  return static_cast<std::int64_t>(whole);
}

// A receiver function of a quantity and a quantity (or int, `with_int`).
void AddBinary(FunctionRegistry& r, const std::string& name, std::string_view result, bool with_int,
               std::function<Value(Int128, Int128)> f) {
  const std::string returns = ") -> " + std::string(result);
  AddOverload(r, name, true, "(kubernetes.Quantity, kubernetes.Quantity" + returns, [f](Args a, CallContext&) {
    const auto* x = AsQuantity(a[0]);
    const auto* y = AsQuantity(a[1]);
    return x && y ? f(x->nanos, y->nanos) : NoSuchOverload();
  });
  if (!with_int) return;
  AddOverload(r, name, true, "(kubernetes.Quantity, int" + returns, [f](Args a, CallContext&) {
    const auto* x = AsQuantity(a[0]);
    return x ? f(x->nanos, *Operand(a[1])) : NoSuchOverload();
  });
}

// A receiver function of a quantity alone.
void AddUnary(FunctionRegistry& r, const std::string& name, std::string_view result, std::function<Value(Int128)> f) {
  AddOverload(r, name, true, "(kubernetes.Quantity) -> " + std::string(result), [f](Args a, CallContext&) {
    const auto* q = AsQuantity(a[0]);
    return q ? f(q->nanos) : NoSuchOverload();
  });
}

Value Sum(Int128 a, Int128 b) {
  Int128 out;
  if (__builtin_add_overflow(a, b, &out)) return Value::Error("quantity is too large");
  return QuantityOf(out);
}

}  // namespace

void RegisterQuantityLibrary(FunctionRegistry& r) {
  AddOverload(r, "isQuantity", false, "(string) -> bool",
              [](Args a, CallContext&) { return Value::Bool(ParseQuantity(a[0].text()).has_value()); });
  AddOverload(r, "quantity", false, "(string) -> kubernetes.Quantity", [](Args a, CallContext&) {
    auto q = ParseQuantity(a[0].text());
    return q ? QuantityOf(*q) : Value::Error(q.error());
  });
  AddUnary(r, "sign", "int", [](Int128 n) { return Value::Int(n > 0 ? 1 : (n < 0 ? -1 : 0)); });
  AddUnary(r, "isInteger", "bool", [](Int128 n) { return Value::Bool(AsInt64(n).has_value()); });
  AddUnary(r, "asInteger", "int", [](Int128 n) {
    auto i = AsInt64(n);
    return i ? Value::Int(*i) : Value::Error("cannot convert value to integer");
  });
  AddUnary(r, "asApproximateFloat", "double", [](Int128 n) {
    return Value::Double(static_cast<double>(n / kNano) + static_cast<double>(n % kNano) / 1e9);
  });
  AddBinary(r, "isGreaterThan", "bool", false, [](Int128 a, Int128 b) { return Value::Bool(a > b); });
  AddBinary(r, "isLessThan", "bool", false, [](Int128 a, Int128 b) { return Value::Bool(a < b); });
  AddBinary(r, "compareTo", "int", false, [](Int128 a, Int128 b) { return Value::Int(a > b ? 1 : (a < b ? -1 : 0)); });
  AddBinary(r, "add", "kubernetes.Quantity", true, [](Int128 a, Int128 b) { return Sum(a, b); });
  AddBinary(r, "sub", "kubernetes.Quantity", true, [](Int128 a, Int128 b) { return Sum(a, -b); });
}

}  // namespace kw::cel
