// cel-go's optional types (cel.OptionalTypes): optional.of, optional.none,
// optional.ofNonZeroValue, hasValue, value ("optional.none() dereference"), orValue, or, a
// list's first()/last() (version 2), and
// what the parser's optional syntax turns into: `a.?b` ("_?._"), `a[?i]` ("_[?_]") and the
// optional list elements / map entries `[?e]`, `{?k: v}` (the planner's "@optional_elements").
#include <memory>

#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

class OptionalValue final : public OpaqueValue {
 public:
  explicit OptionalValue(std::optional<Value> value) : value_(std::move(value)) {}
  std::string_view TypeName() const override { return kOptionalTypeName; }
  bool Equals(const OpaqueValue& other) const override {
    if (other.TypeName() != kOptionalTypeName) return false;
    const auto& o = static_cast<const OptionalValue&>(other);
    if (!value_ || !o.value_) return !value_ && !o.value_;
    return Equal(*value_, *o.value_);
  }
  std::string DebugString() const override {
    return value_ ? "optional.of(" + cel::DebugString(*value_) + ")" : "optional.none()";
  }
  const std::optional<Value>& value() const { return value_; }

 private:
  std::optional<Value> value_;
};

Value Of(Value v) { return Value::Opaque(std::make_shared<const OptionalValue>(std::move(v))); }
Value None() {
  static const Value none = Value::Opaque(std::make_shared<const OptionalValue>(std::nullopt));
  return none;
}

const OptionalValue* AsOptional(const Value& v) {
  if (v.kind() != K::kOpaque || v.opaque().TypeName() != kOptionalTypeName) return nullptr;
  return static_cast<const OptionalValue*>(&v.opaque());
}

bool IsZeroValue(const Value& v) {
  switch (v.kind()) {
    case K::kNull: return true;
    case K::kBool: return !v.bool_value();
    case K::kInt: return v.int_value() == 0;
    case K::kUint: return v.uint_value() == 0;
    case K::kDouble: return v.double_value() == 0;
    case K::kString:
    case K::kBytes: return v.text().empty();
    case K::kList: return v.ListSize() == 0;
    case K::kMap: return v.MapSize() == 0;
    case K::kDuration: return v.duration_nanos() == 0;
    case K::kTimestamp: return v.timestamp_seconds() == 0 && v.timestamp_nanos() == 0;
    default: return false;
  }
}

// Applies `f` to the value inside an optional (none stays none), or to a plain value.
template <typename F>
Value Chained(const Value& operand, F f) {
  if (const auto* opt = AsOptional(operand)) return opt->value() ? f(*opt->value()) : None();
  return f(operand);
}

Value OptionalField(const Value& operand, std::string_view field, CallContext& ctx) {
  return Chained(operand, [&](const Value& v) {
    if (v.kind() != K::kMap)
      return Value::Error("type '" + std::string(v.TypeName()) + "' does not support field selection");
    if (!ctx.Charge(TraversalCost(v.MapSize()))) return CallContext::CostExceeded();
    auto found = v.MapFind(field);
    return found ? Of(std::move(*found)) : None();
  });
}

Value OptionalIndex(const Value& operand, const Value& index, CallContext& ctx) {
  return Chained(operand, [&](const Value& v) {
    if (v.kind() == K::kMap) {
      if (!ctx.Charge(TraversalCost(v.MapSize()))) return CallContext::CostExceeded();
      auto found = v.MapFind(index);
      return found ? Of(std::move(*found)) : None();
    }
    if (v.kind() != K::kList) return NoSuchOverload();
    std::optional<std::int64_t> i;
    if (index.kind() == K::kInt) i = index.int_value();
    if (index.kind() == K::kUint && index.uint_value() <= static_cast<std::uint64_t>(INT64_MAX))
      i = static_cast<std::int64_t>(index.uint_value());
    if (index.kind() == K::kDouble && index.double_value() == static_cast<double>(static_cast<std::int64_t>(index.double_value())))
      i = static_cast<std::int64_t>(index.double_value());
    if (!i) return Value::Error("unsupported index type '" + std::string(index.TypeName()) + "' in list");
    if (*i < 0 || static_cast<std::uint64_t>(*i) >= v.ListSize()) return None();
    if (!ctx.Charge(TraversalCost(static_cast<std::size_t>(*i)))) return CallContext::CostExceeded();
    return Of(v.ListAt(static_cast<std::size_t>(*i)));
  });
}

}  // namespace

const std::string_view kOptionalTypeName = "optional_type";

Value OptionalOf(Value value) { return Of(std::move(value)); }
Value OptionalNone() { return None(); }

void RegisterOptionalLibrary(FunctionRegistry& r) {
  AddOverload(r, "optional.of", false, "(T) -> optional_type(T)", [](Args a, CallContext&) { return Of(a[0]); });
  AddOverload(r, "optional.none", false, "() -> optional_type(T)", [](Args, CallContext&) { return None(); });
  AddOverload(r, "optional.ofNonZeroValue", false, "(T) -> optional_type(T)",
              [](Args a, CallContext&) { return IsZeroValue(a[0]) ? None() : Of(a[0]); });
  AddOverload(r, "hasValue", true, "(optional_type(T)) -> bool", [](Args a, CallContext&) {
    const auto* opt = AsOptional(a[0]);
    return opt ? Value::Bool(opt->value().has_value()) : NoSuchOverload();
  });
  AddOverload(r, "value", true, "(optional_type(T)) -> T", [](Args a, CallContext&) {
    const auto* opt = AsOptional(a[0]);
    if (!opt) return NoSuchOverload();
    return opt->value() ? *opt->value() : Value::Error("optional.none() dereference");
  });
  AddOverload(r, "orValue", true, "(optional_type(T), T) -> T", [](Args a, CallContext&) {
    const auto* opt = AsOptional(a[0]);
    if (!opt) return NoSuchOverload();
    return opt->value() ? *opt->value() : a[1];
  });
  AddOverload(r, "or", true, "(optional_type(T), optional_type(T)) -> optional_type(T)", [](Args a, CallContext&) {
    const auto* opt = AsOptional(a[0]);
    if (!opt || !AsOptional(a[1])) return NoSuchOverload();
    return opt->value() ? a[0] : a[1];
  });
  // The checker types `a.?b` itself (as a field selection).
  AddOverload(r, "_?._", false, "(dyn, string) -> optional_type(dyn)",
              [](Args a, CallContext& ctx) { return OptionalField(a[0], a[1].text(), ctx); });
  // cel-go's declarations of `a[?i]` and of `o[i]` on an optional (which chains like `o[?i]`);
  // one implementation takes any kinds, as a dyn index may be a whole double or a uint.
  auto add_index = [&r](std::string name, const char* signature, FunctionImpl impl) {
    Overload o;
    o.params = {std::nullopt, std::nullopt};
    o.impl = std::move(impl);
    o.signature = signature;
    r.Add(std::move(name), std::move(o));
  };
  const FunctionImpl opt_index = [](Args a, CallContext& ctx) { return OptionalIndex(a[0], a[1], ctx); };
  add_index("_[?_]", "(list(V), int) -> optional_type(V)", opt_index);
  add_index("_[?_]", "(optional_type(list(V)), int) -> optional_type(V)", opt_index);
  add_index("_[?_]", "(map(K, V), K) -> optional_type(V)", opt_index);
  add_index("_[?_]", "(optional_type(map(K, V)), K) -> optional_type(V)", opt_index);
  const FunctionImpl index_optional = [](Args a, CallContext& ctx) {
    return AsOptional(a[0]) ? OptionalIndex(a[0], a[1], ctx) : NoSuchOverload();
  };
  AddOverload(r, "_[_]", false, "(optional_type(list(V)), int) -> optional_type(V)", index_optional);
  AddOverload(r, "_[_]", false, "(optional_type(map(K, V)), K) -> optional_type(V)", index_optional);
  // Optional types version 2: a list's first and last elements.
  AddOverload(r, "first", true, "(list(T)) -> optional_type(T)", [](Args a, CallContext&) {
    return a[0].ListSize() == 0 ? None() : Of(a[0].ListAt(0));
  });
  AddOverload(r, "last", true, "(list(T)) -> optional_type(T)", [](Args a, CallContext& ctx) {
    std::size_t n = a[0].ListSize();
    if (n == 0) return None();
    if (!ctx.Charge(TraversalCost(n))) return CallContext::CostExceeded();  // JSON arrays index linearly
    return Of(a[0].ListAt(n - 1));
  });
  AddOverload(r, "@optional_elements", false, "(optional_type(T)) -> list(T)", [](Args a, CallContext&) {
    const auto* opt = AsOptional(a[0]);
    if (!opt) return NoSuchOverload();
    return opt->value() ? Value::List({*opt->value()}) : Value::List({});
  });
}

}  // namespace kw::cel
