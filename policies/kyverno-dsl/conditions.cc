#include "conditions.h"

#include <cctype>
#include <charconv>

#include "scalars.h"

namespace kyverno {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<double> AsNumber(const Value& v) {
  if (v.is_number()) return v.as_number();
  if (v.is_string()) return ParseNumber(v.as_string());
  return std::nullopt;
}

bool EqualsOp(const Value& key, const Value& value) {
  if (key.is_object() || key.is_array() || value.is_object() || value.is_array()) return Equal(key, value);
  if (key.is_bool() || value.is_bool()) return key.is_bool() && value.is_bool() && key.as_bool() == value.as_bool();
  if (key.is_null() || value.is_null()) return key.is_null() && value.is_null();
  if (key.is_number() || value.is_number()) {
    std::optional<double> a = AsNumber(key), b = AsNumber(value);
    if (a && b) return *a == *b;
    // A number against a non-numeric string: the value is a wildcard over the key's text.
    return Wildcard(ScalarText(value), ScalarText(key));
  }
  const std::string& k = key.as_string();
  const std::string& v = value.as_string();
  if (std::optional<double> a = ParseGoDuration(k), b = ParseGoDuration(v); a && b) return *a == *b;
  if (std::optional<double> a = ParseQuantity(k), b = ParseQuantity(v); a && b) return *a == *b;
  return Wildcard(v, k);
}

// Both sides as numbers, durations, quantities or semantic versions; -2 when incomparable.
int Order(const Value& key, const Value& value) {
  auto cmp = [](double a, double b) { return a < b ? -1 : a > b ? 1 : 0; };
  if (key.is_number() && value.is_number()) return cmp(key.as_number(), value.as_number());
  std::string k = ScalarText(key), v = ScalarText(value);
  if (!(key.is_number() || key.is_string()) || !(value.is_number() || value.is_string())) return -2;
  if (std::optional<double> a = ParseGoDuration(k), b = ParseGoDuration(v); a && b) return cmp(*a, *b);
  if (std::optional<double> a = ParseQuantity(k), b = ParseQuantity(v); a && b) return cmp(*a, *b);
  if (std::optional<double> a = ParseNumber(k), b = ParseNumber(v); a && b) return cmp(*a, *b);
  // Semantic versions: compare the numeric parts.
  auto parts = [](std::string s, long long out[3]) {
    if (!s.empty() && s[0] == 'v') s.erase(0, 1);
    int n = 0;
    std::size_t i = 0;
    while (n < 3 && i < s.size()) {
      std::size_t j = i;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j == i || j - i > 15) return false;
      std::from_chars(s.data() + i, s.data() + j, out[n++]);  // not stoll: no strtoll in the module
      if (j == s.size()) break;
      if (s[j] != '.') return false;
      i = j + 1;
    }
    return n == 3;
  };
  long long a[3], b[3];
  if (parts(k, a) && parts(v, b)) {
    for (int i = 0; i < 3; ++i) {
      if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
  }
  return -2;
}

// The value side of the set operators: a list, or a string that is a JSON array, a range
// "a-b", a wildcard or a single literal.
Array ValueSet(const Value& value, bool* is_range, double* lo, double* hi) {
  *is_range = false;
  if (value.is_array()) return value.as_array();
  if (value.is_string()) {
    const std::string& s = value.as_string();
    Value parsed;
    std::string error;
    if (!s.empty() && s[0] == '[' && ParseJson(s, &parsed, &error) && parsed.is_array()) return parsed.as_array();
    std::size_t dash = s.find('-', 1);
    if (dash != std::string::npos) {
      std::optional<double> a = ParseNumber(s.substr(0, dash)), b = ParseNumber(s.substr(dash + 1));
      if (a && b) {
        *is_range = true;
        *lo = *a;
        *hi = *b;
        return {};
      }
    }
  }
  return Array{value};
}

bool InSet(const Value& element, const Array& set, bool is_range, double lo, double hi) {
  if (is_range) {
    std::optional<double> n = AsNumber(element);
    return n && *n >= lo && *n <= hi;
  }
  std::string text = ScalarText(element);
  for (const Value& candidate : set) {
    std::string c = ScalarText(candidate);
    if (Wildcard(c, text) || Wildcard(text, c)) return true;
  }
  return false;
}

}  // namespace

bool EvaluateOperator(const Value& key, std::string_view op_name, const Value& value, bool* holds, std::string* error) {
  std::string op = Lower(op_name);
  if (op == "equals" || op == "equal") {
    *holds = EqualsOp(key, value);
  } else if (op == "notequals" || op == "notequal") {
    *holds = !EqualsOp(key, value);
  } else if (op == "anyin" || op == "allin" || op == "anynotin" || op == "allnotin" || op == "in" || op == "notin") {
    bool is_range = false;
    double lo = 0, hi = 0;
    Array set = ValueSet(value, &is_range, &lo, &hi);
    Array keys = key.is_array() ? key.as_array() : Array{key};
    if (op == "in" || op == "notin") {
      // Deprecated forms: a list key must be a subset; a scalar key a member.
      bool all = true;
      for (const Value& k : keys) all = all && InSet(k, set, is_range, lo, hi);
      *holds = op == "in" ? all : !all;
    } else {
      bool any_in = false, all_in = true;
      for (const Value& k : keys) {
        bool in = InSet(k, set, is_range, lo, hi);
        any_in = any_in || in;
        all_in = all_in && in;
      }
      bool any_out = !all_in, all_out = !any_in;
      if (keys.empty()) any_in = false, all_in = true, any_out = false, all_out = true;
      *holds = op == "anyin" ? any_in : op == "allin" ? all_in : op == "anynotin" ? any_out : all_out;
    }
  } else if (op == "greaterthan" || op == "greaterthanorequals" || op == "lessthan" || op == "lessthanorequals" ||
             op == "durationgreaterthan" || op == "durationgreaterthanorequals" || op == "durationlessthan" ||
             op == "durationlessthanorequals") {
    int r = Order(key, value);
    if (r == -2) {
      *holds = false;
    } else if (op.ends_with("greaterthan")) {
      *holds = r > 0;
    } else if (op.ends_with("greaterthanorequals")) {
      *holds = r >= 0;
    } else if (op.ends_with("lessthan")) {
      *holds = r < 0;
    } else {
      *holds = r <= 0;
    }
  } else {
    *error = "unsupported operator: " + std::string(op_name);
    return false;
  }
  return true;
}

namespace {

bool EvaluateOne(const Value& condition, const VariableScope& scope, bool* holds, std::string* message,
                 std::string* error) {
  Value key, value;
  const Value* raw_key = condition.Find("key");
  const Value* raw_value = condition.Find("value");
  if (!SubstituteAll(raw_key != nullptr ? *raw_key : Value(), scope, &key, error)) return false;
  if (!SubstituteAll(raw_value != nullptr ? *raw_value : Value(), scope, &value, error)) return false;
  *message = std::string(condition.StringAt("message"));
  if (!message->empty()) {
    Value m;
    if (SubstituteString(*message, scope, &m, error) && m.is_string()) *message = m.as_string();
    error->clear();
  }
  return EvaluateOperator(key, condition.StringAt("operator"), value, holds, error);
}

}  // namespace

bool EvaluateBlock(const Value& block, const VariableScope& scope, BlockResult* result, std::string* error) {
  *result = BlockResult();
  if (block.is_null()) return true;
  auto each = [&](const Array& conditions, bool any) -> std::optional<bool> {
    bool acc = !any;
    for (const Value& c : conditions) {
      bool holds = false;
      std::string message;
      if (!EvaluateOne(c, scope, &holds, &message, error)) return std::nullopt;
      (holds ? result->true_messages : result->false_messages).push_back(message);
      acc = any ? (acc || holds) : (acc && holds);
    }
    return acc;
  };
  if (block.is_array()) {
    std::optional<bool> all = each(block.as_array(), false);
    if (!all) return false;
    result->holds = *all;
    return true;
  }
  bool holds = true;
  if (const Value* any = block.Find("any"); any != nullptr && any->is_array() && !any->as_array().empty()) {
    std::optional<bool> r = each(any->as_array(), true);
    if (!r) return false;
    holds = holds && *r;
  }
  if (const Value* all = block.Find("all"); all != nullptr && all->is_array() && !all->as_array().empty()) {
    std::optional<bool> r = each(all->as_array(), false);
    if (!r) return false;
    holds = holds && *r;
  }
  result->holds = holds;
  return true;
}

}  // namespace kyverno
