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

// cel-go's math.greatest/least is a macro over math.@max/@min, declared per numeric type: one
// number or a list of one type gives that type, two of different types dyn. Three or more
// become a list literal there (list(int) gives int, mixed numbers dyn); here each arity up to
// 32 is an overload of dyn arguments and result (precise only if the checker joined arguments
// as it joins a list literal's elements).
void AddExtreme(FunctionRegistry& r, const std::string& name, bool greatest) {
  std::string_view op = greatest ? "max" : "min";
  auto of_list = [greatest, op](Args a, CallContext& ctx) {
    std::vector<Value> v;
    ListIterator it(a[0]);
    Value e;
    while (it.Next(e)) v.push_back(e);
    return Extreme(v, greatest, op, ctx);
  };
  auto of_args = [greatest, op](Args a, CallContext& ctx) { return Extreme(a, greatest, op, ctx); };
  for (const char* t : {"int", "uint", "double"}) {
    std::string type(t);
    AddOverload(r, name, false, "(" + type + ") -> " + type, [](Args a, CallContext&) { return a[0]; });
    AddOverload(r, name, false, "(list(" + type + ")) -> " + type, of_list);
    for (const char* u : {"int", "uint", "double"}) {
      std::string other(u);
      AddOverload(r, name, false, "(" + type + ", " + other + ") -> " + (type == other ? type : "dyn"), of_args);
    }
  }
  // Variadic in cel-go; here up to 32 arguments.
  for (std::size_t n = 3; n <= 32; ++n) {
    std::string signature = "(dyn";
    for (std::size_t i = 1; i < n; ++i) signature += ", dyn";
    AddOverload(r, name, false, signature + ") -> dyn", of_args);
  }
}

void AddDouble(FunctionRegistry& r, const std::string& name, double (*f)(double)) {
  AddOverload(r, name, false, "(double) -> double", [f](Args a, CallContext&) { return Value::Double(f(a[0].double_value())); });
}

void AddPredicate(FunctionRegistry& r, const std::string& name, bool (*f)(double)) {
  AddOverload(r, name, false, "(double) -> bool", [f](Args a, CallContext&) { return Value::Bool(f(a[0].double_value())); });
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
  AddOverload(r, "math.abs", false, "(int) -> int", [](Args a, CallContext&) {
    std::int64_t i = a[0].int_value();
    if (i == std::numeric_limits<std::int64_t>::min()) return Value::Error("integer overflow");
    return Value::Int(i < 0 ? -i : i);
  });
  AddOverload(r, "math.abs", false, "(uint) -> uint", [](Args a, CallContext&) { return a[0]; });
  AddDouble(r, "math.abs", [](double d) { return std::fabs(d); });
  AddOverload(r, "math.sign", false, "(int) -> int", [](Args a, CallContext&) {
    std::int64_t i = a[0].int_value();
    return Value::Int(i > 0 ? 1 : (i < 0 ? -1 : 0));
  });
  AddOverload(r, "math.sign", false, "(uint) -> uint",
              [](Args a, CallContext&) { return Value::Uint(a[0].uint_value() > 0 ? 1 : 0); });
  AddDouble(r, "math.sign", [](double d) { return std::isnan(d) ? d : (d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0)); });
  AddOverload(r, "math.sqrt", false, "(double) -> double", [](Args a, CallContext&) { return Value::Double(std::sqrt(a[0].double_value())); });
  AddOverload(r, "math.sqrt", false, "(int) -> double",
              [](Args a, CallContext&) { return Value::Double(std::sqrt(static_cast<double>(a[0].int_value()))); });
  AddOverload(r, "math.sqrt", false, "(uint) -> double",
              [](Args a, CallContext&) { return Value::Double(std::sqrt(static_cast<double>(a[0].uint_value()))); });
  for (K k : {K::kInt, K::kUint}) {
    const std::string t = k == K::kInt ? "int" : "uint";
    auto bitwise = [k](std::uint64_t (*f)(std::uint64_t, std::uint64_t)) {
      return [k, f](Args a, CallContext&) {
        if (k == K::kInt)
          return Value::Int(static_cast<std::int64_t>(
              f(static_cast<std::uint64_t>(a[0].int_value()), static_cast<std::uint64_t>(a[1].int_value()))));
        return Value::Uint(f(a[0].uint_value(), a[1].uint_value()));
      };
    };
    const std::string binary = "(" + t + ", " + t + ") -> " + t;
    AddOverload(r, "math.bitAnd", false, binary, bitwise([](std::uint64_t x, std::uint64_t y) { return x & y; }));
    AddOverload(r, "math.bitOr", false, binary, bitwise([](std::uint64_t x, std::uint64_t y) { return x | y; }));
    AddOverload(r, "math.bitXor", false, binary, bitwise([](std::uint64_t x, std::uint64_t y) { return x ^ y; }));
    AddOverload(r, "math.bitNot", false, "(" + t + ") -> " + t, [k](Args a, CallContext&) {
      return k == K::kInt ? Value::Int(~a[0].int_value()) : Value::Uint(~a[0].uint_value());
    });
    const std::string shift = "(" + t + ", int) -> " + t;
    AddOverload(r, "math.bitShiftLeft", false, shift, [](Args a, CallContext&) { return Shift(a, true); });
    AddOverload(r, "math.bitShiftRight", false, shift, [](Args a, CallContext&) { return Shift(a, false); });
  }
}

}  // namespace kw::cel
