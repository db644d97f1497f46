// The standard JMESPath functions (specification §"Built-in Functions").
#include "jmespath_functions.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <kubewarden/decimal.h>

namespace kyverno::jmespath {
namespace {

Value Abs(Call& c) { return c.Need(0, {"number"}) ? Value(std::fabs(c.args[0].as_number())) : Value(); }
Value Ceil(Call& c) { return c.Need(0, {"number"}) ? Value(std::ceil(c.args[0].as_number())) : Value(); }
Value Floor(Call& c) { return c.Need(0, {"number"}) ? Value(std::floor(c.args[0].as_number())) : Value(); }

bool AllNumbers(Call& c, const Array& a) {
  for (const Value& v : a) {
    if (!v.is_number()) {
      c.Fail("Invalid type for argument 1 of " + std::string(c.name) + ": expected array[number]");
      return false;
    }
  }
  return true;
}

Value Avg(Call& c) {
  if (!c.Need(0, {"array"}) || !AllNumbers(c, c.args[0].as_array())) return Value();
  const Array& a = c.args[0].as_array();
  if (a.empty()) return Value();
  double sum = 0;
  for (const Value& v : a) sum += v.as_number();
  return Value(sum / static_cast<double>(a.size()));
}

Value Sum(Call& c) {
  if (!c.Need(0, {"array"}) || !AllNumbers(c, c.args[0].as_array())) return Value();
  double sum = 0;
  for (const Value& v : c.args[0].as_array()) sum += v.as_number();
  return Value(sum);
}

Value Contains(Call& c) {
  if (!c.Need(0, {"array", "string"}) || !c.Need(1, {"any"})) return Value();
  if (c.args[0].is_string()) {
    if (!c.args[1].is_string()) return Value(false);
    return Value(c.args[0].as_string().find(c.args[1].as_string()) != std::string::npos);
  }
  for (const Value& v : c.args[0].as_array()) {
    if (Equal(v, c.args[1])) return Value(true);
  }
  return Value(false);
}

Value StartsWith(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  return Value(c.args[0].as_string().starts_with(c.args[1].as_string()));
}

Value EndsWith(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  return Value(c.args[0].as_string().ends_with(c.args[1].as_string()));
}

Value Join(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"array"})) return Value();
  std::string out;
  bool first = true;
  for (const Value& v : c.args[1].as_array()) {
    if (!v.is_string()) return c.Fail("Invalid type for argument 2 of join: expected array[string]");
    if (!first) out += c.args[0].as_string();
    first = false;
    out += v.as_string();
  }
  return Value(std::move(out));
}

Value Keys(Call& c) {
  if (!c.Need(0, {"object"})) return Value();
  Array keys;
  for (const auto& [k, v] : c.args[0].as_object()) keys.push_back(Value(k));
  return Value(std::move(keys));
}

Value Values(Call& c) {
  if (!c.Need(0, {"object"})) return Value();
  Array values;
  for (const auto& [k, v] : c.args[0].as_object()) values.push_back(v);
  return Value(std::move(values));
}

std::size_t Utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

Value Length(Call& c) {
  if (!c.Need(0, {"string", "array", "object"})) return Value();
  const Value& v = c.args[0];
  if (v.is_string()) return Value(static_cast<double>(Utf8Length(v.as_string())));
  if (v.is_array()) return Value(static_cast<double>(v.as_array().size()));
  return Value(static_cast<double>(v.as_object().size()));
}

Value Map(Call& c) {
  if (!c.Need(0, {"expref"}) || !c.Need(1, {"array"})) return Value();
  Array out;
  for (const Value& e : c.args[1].as_array()) {
    out.emplace_back();
    if (!c.Apply(0, e, &out.back())) return Value();
  }
  return Value(std::move(out));
}

// The elements of a homogeneous array of numbers or of strings, checked.
bool Comparable(Call& c, const Array& a, std::string_view what) {
  if (a.empty()) return true;
  bool numbers = a[0].is_number();
  for (const Value& v : a) {
    if (!(numbers ? v.is_number() : v.is_string())) {
      c.Fail("Invalid type for " + std::string(what) + " of " + std::string(c.name) +
             ": expected array[number] or array[string]");
      return false;
    }
  }
  return true;
}

bool Less(const Value& a, const Value& b) {
  return a.is_number() ? a.as_number() < b.as_number() : a.as_string() < b.as_string();
}

Value MinMax(Call& c, bool max) {
  if (!c.Need(0, {"array"}) || !Comparable(c, c.args[0].as_array(), "argument 1")) return Value();
  const Array& a = c.args[0].as_array();
  if (a.empty()) return Value();
  const Value* best = &a[0];
  for (const Value& v : a) {
    if (max ? Less(*best, v) : Less(v, *best)) best = &v;
  }
  return *best;
}
Value Max(Call& c) { return MinMax(c, true); }
Value Min(Call& c) { return MinMax(c, false); }

// Keys of `items` through the expression reference, checked to be all numbers or all strings.
bool KeysBy(Call& c, const Array& items, Array* keys) {
  for (const Value& e : items) {
    keys->emplace_back();
    if (!c.Apply(1, e, &keys->back())) return false;
  }
  if (!keys->empty() && !keys->front().is_number() && !keys->front().is_string()) {
    c.Fail("Invalid type for expression of " + std::string(c.name) + ": expected number or string");
    return false;
  }
  return Comparable(c, *keys, "expression");
}

Value MinMaxBy(Call& c, bool max) {
  if (!c.Need(0, {"array"}) || !c.Need(1, {"expref"})) return Value();
  const Array& a = c.args[0].as_array();
  Array keys;
  if (!KeysBy(c, a, &keys) || a.empty()) return Value();
  std::size_t best = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (max ? Less(keys[best], keys[i]) : Less(keys[i], keys[best])) best = i;
  }
  return a[best];
}
Value MaxBy(Call& c) { return MinMaxBy(c, true); }
Value MinBy(Call& c) { return MinMaxBy(c, false); }

Value Merge(Call& c) {
  Object merged;
  for (std::size_t i = 0; i < c.args.size(); ++i) {
    if (!c.Need(i, {"object"})) return Value();
    for (const auto& [k, v] : c.args[i].as_object()) merged.insert_or_assign(k, v);
  }
  return Value(std::move(merged));
}

Value NotNull(Call& c) {
  for (const Value& v : c.args) {
    if (!v.is_null()) return v;
  }
  return Value();
}

Value Reverse(Call& c) {
  if (!c.Need(0, {"array", "string"})) return Value();
  if (c.args[0].is_string()) {
    // By code point, not by byte.
    const std::string& s = c.args[0].as_string();
    std::vector<std::string> chars;
    for (std::size_t i = 0; i < s.size();) {
      std::size_t j = i + 1;
      while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
      chars.emplace_back(s.substr(i, j - i));
      i = j;
    }
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
    return Value(std::move(out));
  }
  Array a = c.args[0].as_array();
  std::reverse(a.begin(), a.end());
  return Value(std::move(a));
}

// The positions of keys in stable ascending order (sort and sort_by): a bottom-up merge sort,
// which takes the left run's key on ties. By hand because std::stable_sort's instantiation is
// ~2 KB of the wasm module; a stable order is unique, so the result is the same.
std::vector<std::size_t> StableOrder(const Array& keys) {
  std::size_t n = keys.size();
  std::vector<std::size_t> order(n), merged(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  for (std::size_t width = 1; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::size_t left = lo, right = mid, out = lo;
      while (left < mid && right < hi) {
        merged[out++] = Less(keys[order[right]], keys[order[left]]) ? order[right++] : order[left++];
      }
      while (left < mid) merged[out++] = order[left++];
      while (right < hi) merged[out++] = order[right++];
    }
    order.swap(merged);
  }
  return order;
}

Value Sort(Call& c) {
  if (!c.Need(0, {"array"}) || !Comparable(c, c.args[0].as_array(), "argument 1")) return Value();
  const Array& a = c.args[0].as_array();
  Array out;
  for (std::size_t i : StableOrder(a)) out.push_back(a[i]);
  return Value(std::move(out));
}

Value SortBy(Call& c) {
  if (!c.Need(0, {"array"}) || !c.Need(1, {"expref"})) return Value();
  const Array& a = c.args[0].as_array();
  Array keys;
  if (!KeysBy(c, a, &keys)) return Value();
  Array out;
  for (std::size_t i : StableOrder(keys)) out.push_back(a[i]);
  return Value(std::move(out));
}

Value ToArray(Call& c) {
  if (c.args[0].is_array()) return c.args[0];
  return Value(Array{c.args[0]});
}

Value ToString(Call& c) {
  if (!c.Need(0, {"any"})) return Value();
  if (c.args[0].is_string()) return c.args[0];
  return Value(ToJson(c.args[0]));
}

Value ToNumber(Call& c) {
  if (!c.Need(0, {"any"})) return Value();
  const Value& v = c.args[0];
  if (v.is_number()) return v;
  if (!v.is_string()) return Value();
  // strtod's reading, as before kubewarden/decimal.h: leading white space allowed.
  std::string_view s = v.as_string();
  s.remove_prefix(std::min(s.find_first_not_of(" \t\n\v\f\r"), s.size()));
  kubewarden::DecimalNumber n = kubewarden::ParseDecimal(s);
  if (s.empty() || n.length != s.size() || std::isinf(n.value)) return Value();
  return Value(n.value);
}

Value Type(Call& c) { return c.Need(0, {"any"}) ? Value(TypeName(c.args[0])) : Value(); }

constexpr FunctionSpec kFunctions[] = {
    {"abs", 1, 1, Abs},           {"avg", 1, 1, Avg},
    {"ceil", 1, 1, Ceil},         {"contains", 2, 2, Contains},
    {"ends_with", 2, 2, EndsWith},{"floor", 1, 1, Floor},
    {"join", 2, 2, Join},         {"keys", 1, 1, Keys},
    {"length", 1, 1, Length},     {"map", 2, 2, Map},
    {"max", 1, 1, Max},           {"max_by", 2, 2, MaxBy},
    {"merge", 1, -1, Merge},      {"min", 1, 1, Min},
    {"min_by", 2, 2, MinBy},      {"not_null", 1, -1, NotNull},
    {"reverse", 1, 1, Reverse},   {"sort", 1, 1, Sort},
    {"sort_by", 2, 2, SortBy},    {"starts_with", 2, 2, StartsWith},
    {"sum", 1, 1, Sum},           {"to_array", 1, 1, ToArray},
    {"to_number", 1, 1, ToNumber},{"to_string", 1, 1, ToString},
    {"type", 1, 1, Type},         {"values", 1, 1, Values},
};

}  // namespace

const FunctionSpec* FindFunction(std::string_view name) {
  for (const FunctionSpec& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace kyverno::jmespath
