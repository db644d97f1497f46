// cel-go's ext.Lists and ext.Sets, and Kubernetes' list library (k8s.io/apiserver's
// library.Lists), with their error texts: "cannot slice(S, E), ...", "level must be
// non-negative", "min called on empty list", "max called on empty list".
#include <algorithm>

#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

std::vector<Value> Elements(const Value& list) {
  std::vector<Value> out;
  out.reserve(list.ListSize());
  ListIterator it(list);
  Value e;
  while (it.Next(e)) out.push_back(std::move(e));
  return out;
}

// CEL equality charged to the evaluation (one unit per value visited).
std::optional<bool> ChargedEqual(const Value& a, const Value& b, CallContext& ctx) {
  std::uint64_t budget = ctx.remaining();
  std::uint64_t before = budget;
  auto eq = EqualWithin(a, b, budget);
  if (!ctx.Charge(before - budget) || !eq) return std::nullopt;
  return eq;
}

// The elements' order, or an error value when two are not ordered ("no such overload").
std::optional<Value> CheckComparable(const std::vector<Value>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i].kind() != v[0].kind() || !Compare(v[i - 1], v[i])) return NoSuchOverload();
  return std::nullopt;
}

Value Slice(Args a, CallContext& ctx) {
  std::int64_t start = a[1].int_value(), end = a[2].int_value();
  std::string head = "cannot slice(" + std::to_string(start) + ", " + std::to_string(end) + "), ";
  if (start < 0 || end < 0) return Value::Error(head + "negative indexes not supported");
  if (start > end) return Value::Error(head + "start index must be less than or equal to end index");
  std::size_t size = a[0].ListSize();
  if (static_cast<std::uint64_t>(end) > size) return Value::Error(head + "list is length " + std::to_string(size));
  if (!ctx.Charge(TraversalCost(static_cast<std::size_t>(end)))) return CallContext::CostExceeded();
  std::vector<Value> out;
  ListIterator it(a[0]);
  Value e;
  for (std::int64_t i = 0; i < end && it.Next(e); ++i)
    if (i >= start) out.push_back(e);
  return Value::List(std::move(out));
}

// Appends `list` flattened `depth` levels into `out` (iteratively: lists nest deeply).
Value Flatten(const Value& list, std::int64_t depth, CallContext& ctx) {
  if (depth < 0) return Value::Error("level must be non-negative");
  std::vector<Value> out;
  struct Frame {
    Value list;
    std::size_t index;
    std::int64_t depth;
  };
  std::vector<Frame> stack{{list, 0, depth}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.index == f.list.ListSize()) {
      stack.pop_back();
      continue;
    }
    Value e = f.list.ListAt(f.index++);
    if (!ctx.Charge(1)) return CallContext::CostExceeded();
    if (e.kind() == K::kList && f.depth > 0) {
      std::int64_t d = f.depth - 1;
      stack.push_back({std::move(e), 0, d});
      continue;
    }
    out.push_back(std::move(e));
    if (out.size() > ctx.max_list_elements()) return CallContext::SizeExceeded("list");
  }
  return Value::List(std::move(out));
}

Value Distinct(Args a, CallContext& ctx) {
  std::vector<Value> out;
  ListIterator it(a[0]);
  Value e;
  while (it.Next(e)) {
    bool seen = false;
    for (const Value& o : out) {
      auto eq = ChargedEqual(o, e, ctx);
      if (!eq) return CallContext::CostExceeded();
      if (*eq) {
        seen = true;
        break;
      }
    }
    if (!seen) out.push_back(e);
  }
  return Value::List(std::move(out));
}

Value Sorted(Args a, CallContext& ctx) {
  auto v = Elements(a[0]);
  if (auto error = CheckComparable(v)) return *error;
  std::uint64_t n = v.size();
  std::uint64_t log = 1;
  while ((1ull << log) < n) ++log;
  if (!ctx.Charge(n * log)) return CallContext::CostExceeded();
  std::stable_sort(v.begin(), v.end(), [](const Value& x, const Value& y) { return *Compare(x, y) < 0; });
  return Value::List(std::move(v));
}

Value IsSorted(Args a, CallContext& ctx) {
  auto v = Elements(a[0]);
  if (!ctx.Charge(TraversalCost(v.size()))) return CallContext::CostExceeded();
  if (auto error = CheckComparable(v)) return *error;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (*Compare(v[i - 1], v[i]) > 0) return Value::Bool(false);
  return Value::Bool(true);
}

// cel-go's @sortByAssociatedKeys (what `l.sortBy(x, key)` expands to): the list ordered by the
// keys computed for its elements, stably, with cel-go's texts.
Value SortByKeys(Args a, CallContext& ctx) {
  auto list = Elements(a[0]);
  auto keys = Elements(a[1]);
  if (list.size() != keys.size())
    return Value::Error("@sortByAssociatedKeys() expected a list of the same size as the associated keys list, but got " +
                        std::to_string(list.size()) + " and " + std::to_string(keys.size()) +
                        " elements respectively.");
  if (list.empty()) return a[0];
  switch (keys[0].kind()) {
    case K::kInt: case K::kUint: case K::kDouble: case K::kBool: case K::kString: case K::kBytes:
    case K::kTimestamp: case K::kDuration: break;
    default: return Value::Error("list elements must be comparable");
  }
  for (const Value& key : keys)
    if (key.kind() != keys[0].kind()) return Value::Error("list elements must have the same type");
  std::uint64_t n = list.size();
  std::uint64_t log = 1;
  while ((1ull << log) < n) ++log;
  if (!ctx.Charge(n * log)) return CallContext::CostExceeded();
  std::vector<std::size_t> order(list.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&keys](std::size_t x, std::size_t y) {
    auto c = Compare(keys[x], keys[y]);
    return c && *c < 0;
  });
  std::vector<Value> out;
  out.reserve(list.size());
  for (std::size_t i : order) out.push_back(std::move(list[i]));
  return Value::List(std::move(out));
}

// sum() through the standard `_+_` (so overflow errors and duration sums are the operator's).
Value Sum(Args a, CallContext& ctx) {
  auto v = Elements(a[0]);
  if (!ctx.Charge(TraversalCost(v.size()))) return CallContext::CostExceeded();
  if (v.empty()) return Value::Int(0);
  const auto* plus = FunctionRegistry::Standard().Find("_+_");
  Value total = v[0];
  for (std::size_t i = 1; i < v.size(); ++i) {
    Value pair[2] = {total, v[i]};
    Value next = NoSuchOverload();
    for (const Overload& o : *plus)
      if (o.Accepts(pair)) {
        next = o.impl(pair, ctx);
        break;
      }
    if (next.IsError()) return next;
    total = std::move(next);
  }
  if (total.kind() != K::kInt && total.kind() != K::kUint && total.kind() != K::kDouble &&
      total.kind() != K::kDuration)
    return NoSuchOverload();
  return total;
}

Value Extreme(Args a, CallContext& ctx, bool max) {
  auto v = Elements(a[0]);
  if (v.empty()) return Value::Error(max ? "max called on empty list" : "min called on empty list");
  if (!ctx.Charge(TraversalCost(v.size()))) return CallContext::CostExceeded();
  if (auto error = CheckComparable(v)) return *error;
  Value best = v[0];
  for (const Value& e : v) {
    auto o = *Compare(e, best);
    if (max ? o > 0 : o < 0) best = e;
  }
  return best;
}

Value IndexOfElement(Args a, CallContext& ctx, bool last) {
  auto v = Elements(a[0]);
  std::int64_t found = -1;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::size_t k = last ? v.size() - 1 - i : i;
    auto eq = ChargedEqual(v[k], a[1], ctx);
    if (!eq) return CallContext::CostExceeded();
    if (*eq) {
      found = static_cast<std::int64_t>(k);
      break;
    }
  }
  return Value::Int(found);
}

// Whether every element of `b` is in `a`.
std::optional<bool> ContainsAll(const Value& a, const Value& b, CallContext& ctx) {
  auto av = Elements(a);
  ListIterator it(b);
  Value e;
  while (it.Next(e)) {
    bool found = false;
    for (const Value& x : av) {
      auto eq = ChargedEqual(x, e, ctx);
      if (!eq) return std::nullopt;
      if (*eq) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// cel-go and Kubernetes declare sort, isSorted, min and max once per comparable element type
// (and sum per summable one), so that the checker refuses `[[1]].sort()` and types `[1].max()`.
constexpr const char* kComparableTypes[] = {"int", "uint", "double", "bool", "duration", "timestamp", "string", "bytes"};
constexpr const char* kSummableTypes[] = {"int", "uint", "double", "duration"};

// One overload per element type of `types`, `signature` with T replaced by the type.
template <std::size_t N>
void AddPerElementType(FunctionRegistry& r, const std::string& name, const char* const (&types)[N],
                       std::string_view signature, const FunctionImpl& impl, bool receiver = true) {
  for (const char* type : types) {
    std::string typed;
    for (char c : signature) typed += c == 'T' ? std::string(type) : std::string(1, c);
    AddOverload(r, name, receiver, typed, impl);
  }
}

}  // namespace

void RegisterListsLibrary(FunctionRegistry& r) {
  AddOverload(r, "slice", true, "(list(T), int, int) -> list(T)", Slice);
  AddOverload(r, "flatten", true, "(list(list(T))) -> list(T)",
              [](Args a, CallContext& ctx) { return Flatten(a[0], 1, ctx); });
  AddOverload(r, "flatten", true, "(list(dyn), int) -> list(dyn)",
              [](Args a, CallContext& ctx) { return Flatten(a[0], a[1].int_value(), ctx); });
  AddOverload(r, "distinct", true, "(list(T)) -> list(T)", Distinct);
  AddOverload(r, "reverse", true, "(list(T)) -> list(T)", [](Args a, CallContext& ctx) {
    auto v = Elements(a[0]);
    if (!ctx.Charge(TraversalCost(v.size()))) return CallContext::CostExceeded();
    std::reverse(v.begin(), v.end());
    return Value::List(std::move(v));
  });
  AddPerElementType(r, "sort", kComparableTypes, "(list(T)) -> list(T)", Sorted);
  AddOverload(r, "lists.range", false, "(int) -> list(int)", [](Args a, CallContext& ctx) {
    std::int64_t n = a[0].int_value();
    if (n > static_cast<std::int64_t>(ctx.max_list_elements())) return CallContext::SizeExceeded("list");
    if (n > 0 && !ctx.Charge(TraversalCost(static_cast<std::size_t>(n)))) return CallContext::CostExceeded();
    std::vector<Value> out;
    for (std::int64_t i = 0; i < n; ++i) out.push_back(Value::Int(i));
    return Value::List(std::move(out));
  });
  AddPerElementType(r, "@sortByAssociatedKeys", kComparableTypes, "(list(E), list(T)) -> list(E)", SortByKeys, false);
  AddPerElementType(r, "isSorted", kComparableTypes, "(list(T)) -> bool", IsSorted);
  AddPerElementType(r, "sum", kSummableTypes, "(list(T)) -> T", Sum);
  AddPerElementType(r, "min", kComparableTypes, "(list(T)) -> T",
                    [](Args a, CallContext& ctx) { return Extreme(a, ctx, false); });
  AddPerElementType(r, "max", kComparableTypes, "(list(T)) -> T",
                    [](Args a, CallContext& ctx) { return Extreme(a, ctx, true); });
  AddOverload(r, "indexOf", true, "(list(T), T) -> int",
              [](Args a, CallContext& ctx) { return IndexOfElement(a, ctx, false); });
  AddOverload(r, "lastIndexOf", true, "(list(T), T) -> int",
              [](Args a, CallContext& ctx) { return IndexOfElement(a, ctx, true); });
}

void RegisterSetsLibrary(FunctionRegistry& r) {
  AddOverload(r, "sets.contains", false, "(list(T), list(T)) -> bool", [](Args a, CallContext& ctx) {
    auto c = ContainsAll(a[0], a[1], ctx);
    return c ? Value::Bool(*c) : CallContext::CostExceeded();
  });
  AddOverload(r, "sets.equivalent", false, "(list(T), list(T)) -> bool", [](Args a, CallContext& ctx) {
    auto c = ContainsAll(a[0], a[1], ctx);
    if (!c) return CallContext::CostExceeded();
    if (!*c) return Value::Bool(false);
    auto d = ContainsAll(a[1], a[0], ctx);
    return d ? Value::Bool(*d) : CallContext::CostExceeded();
  });
  AddOverload(r, "sets.intersects", false, "(list(T), list(T)) -> bool", [](Args a, CallContext& ctx) {
    auto av = Elements(a[0]);
    ListIterator it(a[1]);
    Value e;
    while (it.Next(e))
      for (const Value& x : av) {
        auto eq = ChargedEqual(x, e, ctx);
        if (!eq) return CallContext::CostExceeded();
        if (*eq) return Value::Bool(true);
      }
    return Value::Bool(false);
  });
}

}  // namespace kw::cel
