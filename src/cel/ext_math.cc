// cel-go's ext.Math library (version 1+), with its error texts: "math.@max(list) argument must
// not be empty", "math.bitShiftLeft() negative offset: N", "integer overflow".
#include <cmath>
#include <limits>

#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

// math.greatest/least over values of any numeric kinds, keeping the winner's kind.
Value Extreme(std::span<const Value> values, bool greatest, std::string_view op, CallContext& ctx) {
  if (values.empty()) return Value::Error("math.@" + std::string(op) + "(list) argument must not be empty");
  if (!ctx.Charge(TraversalCost(values.size()))) return CallContext::CostExceeded();
  Value best = values[0];
  for (const Value& v : values) {
    if (v.kind() != K::kInt && v.kind() != K::kUint && v.kind() != K::kDouble) return NoSuchOverload();
    if (v.kind() == K::kDouble && std::isnan(v.double_value())) return v;
    if (best.kind() == K::kDouble && std::isnan(best.double_value())) continue;
    auto o = Compare(v, best);
    if (o && (greatest ? *o > 0 : *o < 0)) best = v;
  }
  return best;
}

void AddExtreme(FunctionRegistry& r, const std::string& name, bool greatest) {
  std::string_view op = greatest ? "max" : "min";
  AddOverload(r, name, false, {K::kList}, [greatest, op](Args a, CallContext& ctx) {
    std::vector<Value> v;
    ListIterator it(a[0]);
    Value e;
    while (it.Next(e)) v.push_back(e);
    return Extreme(v, greatest, op, ctx);
  });
  // Variadic in cel-go (a macro); here up to 32 arguments.
  for (std::size_t n = 1; n <= 32; ++n) {
    std::vector<std::optional<Kind>> params(n, std::nullopt);
    if (n == 1) {
      for (K k : {K::kInt, K::kUint, K::kDouble})
        AddOverload(r, name, false, {k}, [](Args a, CallContext&) { return a[0]; });
      continue;
    }
    AddOverload(r, name, false, std::move(params),
                [greatest, op](Args a, CallContext& ctx) { return Extreme(a, greatest, op, ctx); });
  }
}

void AddDouble(FunctionRegistry& r, const std::string& name, double (*f)(double)) {
  AddOverload(r, name, false, {K::kDouble}, [f](Args a, CallContext&) { return Value::Double(f(a[0].double_value())); });
}

void AddPredicate(FunctionRegistry& r, const std::string& name, bool (*f)(double)) {
  AddOverload(r, name, false, {K::kDouble}, [f](Args a, CallContext&) { return Value::Bool(f(a[0].double_value())); });
}

Value Shift(Args a, bool left) {
  std::int64_t by = a[1].int_value();
  if (by < 0)
    return Value::Error(std::string("math.bitShift") + (left ? "Left" : "Right") + "() negative offset: " +
                        std::to_string(by));
  bool is_int = a[0].kind() == K::kInt;
  std::uint64_t bits = is_int ? static_cast<std::uint64_t>(a[0].int_value()) : a[0].uint_value();
  std::uint64_t out = by > 63 ? 0 : (left ? bits << by : bits >> by);
  return is_int ? Value::Int(static_cast<std::int64_t>(out)) : Value::Uint(out);
}

}  // namespace

void RegisterMathLibrary(FunctionRegistry& r) {
  AddExtreme(r, "math.greatest", true);
  AddExtreme(r, "math.least", false);
  AddDouble(r, "math.ceil", [](double d) { return std::ceil(d); });
  AddDouble(r, "math.floor", [](double d) { return std::floor(d); });
  AddDouble(r, "math.round", [](double d) { return std::round(d); });
  AddDouble(r, "math.trunc", [](double d) { return std::trunc(d); });
  AddPredicate(r, "math.isInf", [](double d) { return std::isinf(d); });
  AddPredicate(r, "math.isNaN", [](double d) { return std::isnan(d); });
  AddPredicate(r, "math.isFinite", [](double d) { return std::isfinite(d); });
  AddOverload(r, "math.abs", false, {K::kInt}, [](Args a, CallContext&) {
    std::int64_t i = a[0].int_value();
    if (i == std::numeric_limits<std::int64_t>::min()) return Value::Error("integer overflow");
    return Value::Int(i < 0 ? -i : i);
  });
  AddOverload(r, "math.abs", false, {K::kUint}, [](Args a, CallContext&) { return a[0]; });
  AddDouble(r, "math.abs", [](double d) { return std::fabs(d); });
  AddOverload(r, "math.sign", false, {K::kInt}, [](Args a, CallContext&) {
    std::int64_t i = a[0].int_value();
    return Value::Int(i > 0 ? 1 : (i < 0 ? -1 : 0));
  });
  AddOverload(r, "math.sign", false, {K::kUint},
              [](Args a, CallContext&) { return Value::Uint(a[0].uint_value() > 0 ? 1 : 0); });
  AddDouble(r, "math.sign", [](double d) { return std::isnan(d) ? d : (d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0)); });
  AddOverload(r, "math.sqrt", false, {K::kDouble}, [](Args a, CallContext&) { return Value::Double(std::sqrt(a[0].double_value())); });
  AddOverload(r, "math.sqrt", false, {K::kInt},
              [](Args a, CallContext&) { return Value::Double(std::sqrt(static_cast<double>(a[0].int_value()))); });
  AddOverload(r, "math.sqrt", false, {K::kUint},
              [](Args a, CallContext&) { return Value::Double(std::sqrt(static_cast<double>(a[0].uint_value()))); });
  for (K k : {K::kInt, K::kUint}) {
    auto bitwise = [k](std::uint64_t (*f)(std::uint64_t, std::uint64_t)) {
      return [k, f](Args a, CallContext&) {
        if (k == K::kInt)
          return Value::Int(static_cast<std::int64_t>(
              f(static_cast<std::uint64_t>(a[0].int_value()), static_cast<std::uint64_t>(a[1].int_value()))));
        return Value::Uint(f(a[0].uint_value(), a[1].uint_value()));
      };
    };
    AddOverload(r, "math.bitAnd", false, {k, k}, bitwise([](std::uint64_t x, std::uint64_t y) { return x & y; }));
    AddOverload(r, "math.bitOr", false, {k, k}, bitwise([](std::uint64_t x, std::uint64_t y) { return x | y; }));
    AddOverload(r, "math.bitXor", false, {k, k}, bitwise([](std::uint64_t x, std::uint64_t y) { return x ^ y; }));
    AddOverload(r, "math.bitNot", false, {k}, [k](Args a, CallContext&) {
      return k == K::kInt ? Value::Int(~a[0].int_value()) : Value::Uint(~a[0].uint_value());
    });
    AddOverload(r, "math.bitShiftLeft", false, {k, K::kInt}, [](Args a, CallContext&) { return Shift(a, true); });
    AddOverload(r, "math.bitShiftRight", false, {k, K::kInt}, [](Args a, CallContext&) { return Shift(a, false); });
  }
}

}  // namespace kw::cel
