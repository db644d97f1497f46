#include "pattern.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "scalars.h"

namespace kyverno {
namespace {

enum class Anchor { kNone, kCondition, kGlobal, kNegation, kEquality, kExistence, kAdd };

struct ParsedKey {
  Anchor anchor = Anchor::kNone;
  std::string key;
};

ParsedKey ParseKey(const std::string& k) {
  if (k.size() >= 2 && k.front() == '(' && k.back() == ')') return {Anchor::kCondition, k.substr(1, k.size() - 2)};
  if (k.size() >= 3 && k.back() == ')' && k[1] == '(') {
    std::string inner = k.substr(2, k.size() - 3);
    switch (k[0]) {
      case '<': return {Anchor::kGlobal, inner};
      case 'X': return {Anchor::kNegation, inner};
      case '=': return {Anchor::kEquality, inner};
      case '^': return {Anchor::kExistence, inner};
      case '+': return {Anchor::kAdd, inner};
      default: break;
    }
  }
  return {Anchor::kNone, k};
}

constexpr std::string_view kConditionalError = "conditional anchor mismatch";
constexpr std::string_view kGlobalError = "global anchor mismatch";

bool IsSkip(const std::string& error) {
  return error.find(kConditionalError) != std::string::npos || error.find(kGlobalError) != std::string::npos;
}

struct Failure {
  std::string path;
  std::string error;
  bool failed = false;
  bool skip_list = false;  // every element of a list was skipped
};

Failure Ok() { return {}; }
Failure Fail(std::string path, std::string error) { return {std::move(path), std::move(error), true, false}; }

class Matcher {
 public:
  Failure Element(const Value& resource, const Value& pattern, const std::string& path, int depth) {
    if (depth > 256) return Fail(path, "pattern nests too deeply");
    if (pattern.is_object()) {
      if (!resource.is_object()) {
        return Fail(path, "pattern and resource have different structures. Path: " + path +
                              ". Expected map[string]interface {}, found " + GoType(resource));
      }
      NoteAnchors(pattern, resource);
      return Map(resource, pattern, path, depth);
    }
    if (pattern.is_array()) {
      if (!resource.is_array()) {
        return Fail(path, "validation rule failed at path " + path + ", resource does not satisfy the expected overlay pattern");
      }
      return List(resource.as_array(), pattern.as_array(), path, depth);
    }
    Value actual = pattern;
    if (IsReference(pattern)) actual = Actualize(pattern.as_string(), path);
    auto mismatch = [&] {
      return Fail(path, "resource value '" + GoString(resource) + "' does not match '" + GoString(actual) + "' at path " + path);
    };
    if (resource.is_array()) {
      for (const Value& e : resource.as_array()) {
        if (!MatchScalar(e, actual)) return mismatch();
      }
      return Ok();
    }
    if (!MatchScalar(resource, actual)) return mismatch();
    return Ok();
  }

  void SetOrigin(const Value& pattern) { origin_ = &pattern; }

  // Whether a conditional, existence or negation anchor key was absent everywhere.
  bool KeysMissing() const {
    for (const auto& [k, seen] : anchors_) {
      if (!seen) return true;
    }
    return false;
  }

 private:
  static std::string GoType(const Value& v) {
    switch (v.type()) {
      case Value::Type::kNull: return "<nil>";
      case Value::Type::kBool: return "bool";
      case Value::Type::kNumber: return "float64";
      case Value::Type::kString: return "string";
      case Value::Type::kArray: return "[]interface {}";
      case Value::Type::kObject: return "map[string]interface {}";
    }
    return "";
  }

  void NoteAnchors(const Value& pattern, const Value& resource) {
    for (const auto& [k, v] : pattern.as_object()) {
      ParsedKey pk = ParseKey(k);
      if (pk.anchor != Anchor::kCondition && pk.anchor != Anchor::kExistence && pk.anchor != Anchor::kNegation) continue;
      bool present = resource.Find(pk.key) != nullptr;
      auto same_key = [&k](const std::pair<std::string, bool>& a) { return a.first == k; };
      auto it = std::find_if(anchors_.begin(), anchors_.end(), same_key);
      if (it == anchors_.end()) {
        anchors_.emplace_back(k, present);
      } else {
        it->second = it->second || present;
      }
    }
  }

  static bool HasNestedAnchors(const Value& v) {
    if (v.is_object()) {
      for (const auto& [k, e] : v.as_object()) {
        if (ParseKey(k).anchor != Anchor::kNone || HasNestedAnchors(e)) return true;
      }
    } else if (v.is_array()) {
      for (const Value& e : v.as_array()) {
        if (HasNestedAnchors(e)) return true;
      }
    }
    return false;
  }

  // Wildcard keys under metadata.labels/annotations stand for every resource key they match.
  static Value ExpandMetadata(const Value& pattern, const Value& resource) {
    const Value* meta = pattern.Find("metadata");
    if (meta == nullptr || !meta->is_object()) return pattern;
    Object new_meta = meta->as_object();
    bool changed = false;
    for (const char* field : {"labels", "annotations"}) {
      auto it = new_meta.find(field);
      if (it == new_meta.end() || !it->second.is_object()) continue;
      const Value* have = resource.Path(std::string("metadata.") + field);
      Object expanded;
      for (const auto& [k, v] : it->second.as_object()) {
        ParsedKey pk = ParseKey(k);
        if (pk.key.find_first_of("*?") == std::string::npos || have == nullptr || !have->is_object()) {
          expanded.insert_or_assign(k, v);
          continue;
        }
        bool any = false;
        for (const auto& [rk, rv] : have->as_object()) {
          if (!Wildcard(pk.key, rk)) continue;
          any = true;
          std::string key = k;
          key.replace(key.find(pk.key), pk.key.size(), rk);
          expanded.insert_or_assign(key, v);
        }
        if (!any) expanded.insert_or_assign(k, v);
        changed = true;
      }
      it->second = Value(std::move(expanded));
    }
    if (!changed) return pattern;
    Object p = pattern.as_object();
    p["metadata"] = Value(std::move(new_meta));
    return Value(std::move(p));
  }

  Failure Map(const Value& resource, const Value& raw_pattern, const std::string& path, int depth) {
    Value pattern = ExpandMetadata(raw_pattern, resource);
    std::vector<std::string> anchored, front, back;
    for (const auto& [k, v] : pattern.as_object()) {
      Anchor a = ParseKey(k).anchor;
      if (a == Anchor::kCondition || a == Anchor::kExistence || a == Anchor::kEquality || a == Anchor::kNegation) {
        anchored.push_back(k);
      } else if (a == Anchor::kGlobal || HasNestedAnchors(v)) {
        front.insert(front.begin(), k);
      } else {
        back.push_back(k);
      }
    }
    for (const std::string& k : anchored) {
      Failure f = Handle(resource, k, *pattern.Find(k), path, depth);
      if (f.failed) return f;
    }
    for (const auto* keys : {&front, &back}) {
      for (const std::string& k : *keys) {
        Failure f = Handle(resource, k, *pattern.Find(k), path, depth);
        if (f.failed) return f;
      }
    }
    return Ok();
  }

  Failure Handle(const Value& resource, const std::string& raw_key, const Value& pattern, const std::string& path,
                 int depth) {
    ParsedKey pk = ParseKey(raw_key);
    std::string current = path + pk.key + "/";
    const Value* value = resource.Find(pk.key);
    switch (pk.anchor) {
      case Anchor::kCondition: {
        if (value == nullptr) {
          return Fail(current, std::string(kConditionalError) + ": conditional anchor key doesn't exist in the resource");
        }
        Failure f = Element(*value, pattern, current, depth + 1);
        if (f.failed) f.error = std::string(kConditionalError) + ": " + f.error;
        return f;
      }
      case Anchor::kGlobal: {
        if (value == nullptr) return Ok();
        Failure f = Element(*value, pattern, current, depth + 1);
        if (f.failed) f.error = std::string(kGlobalError) + ": " + f.error;
        return f;
      }
      case Anchor::kNegation:
        if (value != nullptr) return Fail(current, "negation anchor matched in resource: " + current + " is not allowed");
        return Ok();
      case Anchor::kEquality:
        if (value == nullptr) return Ok();
        return Element(*value, pattern, current, depth + 1);
      case Anchor::kExistence: {
        if (value == nullptr) return Ok();
        if (!value->is_array()) {
          return Fail(current, "invalid resource type " + GoType(*value) +
                                   ": Existence ^ () anchor can be used only on list/array type resource");
        }
        if (!pattern.is_array()) {
          return Fail(current, "invalid pattern type " + GoType(pattern) +
                                   ": Pattern has to be of list to compare against resource");
        }
        for (const Value& p : pattern.as_array()) {
          if (!p.is_object()) {
            return Fail(current, "invalid pattern type " + GoType(pattern) +
                                     ": Pattern has to be of type map to compare against items in resource");
          }
          bool found = false;
          const Array& items = value->as_array();
          for (std::size_t i = 0; i < items.size() && !found; ++i) {
            found = !Element(items[i], p, current + std::to_string(i) + "/", depth + 1).failed;
          }
          if (!found) return Fail(current, "existence anchor validation failed at path " + current);
        }
        return Ok();
      }
      case Anchor::kAdd:
      case Anchor::kNone:
        break;
    }
    if (pattern.is_string() && pattern.as_string() == "*") {
      if (value != nullptr && !value->is_null()) return Ok();
      return Fail(path, path + "/" + pk.key + " not found");
    }
    return Element(value != nullptr ? *value : Value(), pattern, current, depth + 1);
  }

  Failure List(const Array& resource, const Array& pattern, const std::string& path, int depth) {
    if (pattern.empty()) return Fail(path, "pattern Array empty");
    const Value& first = pattern[0];
    if (first.is_object()) {
      for (const Value& p : pattern) {
        Failure f = ListOfMaps(resource, p, path, depth);
        if (f.failed) return f;
      }
      return Ok();
    }
    if (!first.is_array()) return Element(Value(resource), first, path, depth + 1);
    if (resource.size() < pattern.size()) {
      return Fail("", "validate Array failed, array length mismatch, resource Array len is " +
                          std::to_string(resource.size()) + " and pattern Array len is " + std::to_string(pattern.size()));
    }
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      Failure f = Element(resource[i], pattern[i], path + std::to_string(i) + "/", depth + 1);
      if (f.failed) return f;
    }
    return Ok();
  }

  Failure ListOfMaps(const Array& resource, const Value& pattern, const std::string& path, int depth) {
    int applied = 0;
    std::string skipped;
    for (std::size_t i = 0; i < resource.size(); ++i) {
      Failure f = Element(resource[i], pattern, path + std::to_string(i) + "/", depth + 1);
      if (f.failed) {
        if (IsSkip(f.error)) {
          skipped += (skipped.empty() ? "" : "; ") + f.error;
          continue;
        }
        return f;
      }
      ++applied;
    }
    if (applied == 0 && !skipped.empty()) {
      Failure f = Fail(path, skipped);
      f.skip_list = true;
      return f;
    }
    return Ok();
  }

  // "$(<path>)": a value taken from elsewhere in the pattern, the path relative to the current
  // one ("../name") or absolute, optionally after an operator ("$(>=../min)").
  static bool IsReference(const Value& v) {
    if (!v.is_string()) return false;
    const std::string& s = v.as_string();
    return s.size() >= 4 && s[0] == '$' && s[1] == '(' && s.back() == ')';
  }

  Value Actualize(const std::string& reference, const std::string& path) const {
    std::string_view inner = std::string_view(reference).substr(2, reference.size() - 3);
    std::string_view op;
    for (std::string_view candidate : {">=", "<=", ">", "<", "!"}) {
      if (inner.starts_with(candidate)) {
        op = candidate;
        break;
      }
    }
    inner.remove_prefix(op.size());
    std::string target = CleanPath(inner.starts_with("/") ? std::string(inner) : path + "/" + std::string(inner));
    const Value* v = origin_;
    std::size_t pos = 1;
    while (v != nullptr && pos < target.size()) {
      std::size_t slash = target.find('/', pos);
      std::string key = target.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      pos = slash == std::string::npos ? target.size() : slash + 1;
      if (v->is_array()) {
        std::size_t index = static_cast<std::size_t>(ParseUnsignedPrefix(key, 10).value);
        v = index < v->as_array().size() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos
                ? &v->as_array()[index]
                : nullptr;
        continue;
      }
      const Value* found = nullptr;
      for (const auto& [k, e] : v->as_object()) {
        if (ParseKey(k).key == key) found = &e;
      }
      v = found;
    }
    if (v == nullptr) return Value(reference);  // unresolved: compared as written
    if (op.empty()) return *v;
    return Value(std::string(op) + ScalarText(*v));
  }

  // Anchor key -> seen in some resource. A pattern has a handful of anchors: a vector scanned
  // linearly costs less code and fewer allocations than a tree.
  std::vector<std::pair<std::string, bool>> anchors_;
  const Value* origin_ = nullptr;
};

enum class Op { kEqual, kNotEqual, kMore, kMoreEqual, kLess, kLessEqual, kInRange, kNotInRange };

// A range operand: an optional '-', digits with an optional fraction, then letters (a unit).
bool RangeOperand(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t digits = i;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  if (i == digits) return false;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
  return i == s.size();
}

bool SplitRange(std::string_view s, std::string_view sep, std::string* left, std::string* right) {
  for (std::size_t at = s.find(sep, 1); at != std::string_view::npos; at = s.find(sep, at + 1)) {
    auto trim = [](std::string_view x) {
      std::size_t b = x.find_first_not_of(' ');
      std::size_t e = x.find_last_not_of(' ');
      return b == std::string_view::npos ? std::string_view() : x.substr(b, e - b + 1);
    };
    std::string_view l = trim(s.substr(0, at)), r = trim(s.substr(at + sep.size()));
    if (RangeOperand(l) && RangeOperand(r)) {
      *left = std::string(l);
      *right = std::string(r);
      return true;
    }
  }
  return false;
}

bool Compare(double a, double b, Op op) {
  switch (op) {
    case Op::kEqual: return a == b;
    case Op::kNotEqual: return a != b;
    case Op::kMore: return a > b;
    case Op::kMoreEqual: return a >= b;
    case Op::kLess: return a < b;
    case Op::kLessEqual: return a <= b;
    default: return false;
  }
}

bool MatchOperand(const Value& value, std::string_view pattern);

bool MatchString(const Value& value, std::string_view operand, Op op) {
  std::string text = ScalarText(value);
  if (value.is_string()) {
    if (std::optional<double> a = ParseGoDuration(text), b = ParseGoDuration(operand); a && b) {
      if (Compare(*a, *b, op)) return true;
    }
  }
  if (value.is_string() || value.is_number()) {
    if (std::optional<double> a = ParseQuantity(text), b = ParseQuantity(operand); a && b) {
      if (Compare(*a, *b, op)) return true;
    }
  }
  if (op == Op::kEqual) return Wildcard(operand, text);
  if (op == Op::kNotEqual) return !Wildcard(operand, text);
  return false;
}

bool MatchOperand(const Value& value, std::string_view pattern) {
  std::string left, right;
  if (pattern.find("!-") != std::string_view::npos && SplitRange(pattern, "!-", &left, &right)) {
    return MatchOperand(value, "< " + left) || MatchOperand(value, "> " + right);
  }
  if (pattern.size() >= 2 && pattern[0] != '!' && pattern[0] != '<' && pattern[0] != '>' && SplitRange(pattern, "-", &left, &right)) {
    return MatchOperand(value, ">= " + left) && MatchOperand(value, "<= " + right);
  }
  Op op = Op::kEqual;
  std::size_t skip = 0;
  if (pattern.size() >= 2) {
    if (pattern.starts_with(">=")) op = Op::kMoreEqual, skip = 2;
    else if (pattern.starts_with("<=")) op = Op::kLessEqual, skip = 2;
    else if (pattern[0] == '>') op = Op::kMore, skip = 1;
    else if (pattern[0] == '<') op = Op::kLess, skip = 1;
    else if (pattern[0] == '!') op = Op::kNotEqual, skip = 1;
  }
  std::string_view operand = pattern.substr(skip);
  std::size_t b = operand.find_first_not_of(' ');
  operand = b == std::string_view::npos ? std::string_view() : operand.substr(b);
  while (!operand.empty() && operand.back() == ' ') operand.remove_suffix(1);
  return MatchString(value, operand, op);
}

std::string_view Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

}  // namespace

bool MatchScalar(const Value& value, const Value& pattern) {
  switch (pattern.type()) {
    case Value::Type::kBool: return value.is_bool() && value.as_bool() == pattern.as_bool();
    case Value::Type::kNumber: {
      if (value.is_number()) return value.as_number() == pattern.as_number();
      if (value.is_string()) {
        std::optional<double> n = ParseNumber(value.as_string());
        return n && *n == pattern.as_number();
      }
      return false;
    }
    case Value::Type::kNull:
      return value.is_null() || (value.is_number() && value.as_number() == 0) ||
             (value.is_string() && value.as_string().empty()) || (value.is_bool() && !value.as_bool());
    case Value::Type::kString: {
      const std::string& p = pattern.as_string();
      if (value.is_string() && value.as_string() == p) return true;
      if (value.is_object() || value.is_array()) return false;
      std::string_view rest = p;
      while (true) {
        std::size_t bar = rest.find('|');
        std::string_view alternative = Trim(rest.substr(0, bar));
        bool all = true;
        std::string_view conj = alternative;
        while (all) {
          std::size_t amp = conj.find('&');
          all = MatchOperand(value, Trim(conj.substr(0, amp)));
          if (amp == std::string_view::npos) break;
          conj = conj.substr(amp + 1);
        }
        if (all) return true;
        if (bar == std::string_view::npos) return false;
        rest = rest.substr(bar + 1);
      }
    }
    default: return false;
  }
}

PatternOutcome MatchPattern(const Value& resource, const Value& pattern) {
  Matcher m;
  m.SetOrigin(pattern);
  Failure f = m.Element(resource, pattern, "/", 0);
  PatternOutcome out;
  if (!f.failed) return out;
  out.error = f.error;
  if (f.skip_list || IsSkip(f.error)) {
    out.kind = PatternOutcome::Kind::kSkip;
    return out;
  }
  out.kind = PatternOutcome::Kind::kFail;
  bool negation = f.error.find("negation anchor matched in resource") != std::string::npos;
  out.path = !negation && m.KeysMissing() ? "" : f.path;
  return out;
}

}  // namespace kyverno
