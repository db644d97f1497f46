// json.verify_schema and json.match_schema: JSON Schema drafts 4, 6 and 7 as OPA checks them
// with gojsonschema, in its hybrid mode (the keywords of every draft understood together):
// gojsonschema's error types, fields and descriptions, and OPA's result shapes
// ([bool, null | "jsonschema: <error>"] and [bool, [{error, type, field, desc}]]).
//
// References: "#", "#/json/pointer" within the schema itself (definitions, properties, ...).
// Others (another document, a URL, an "$id" anchor) are refused: the host fetches nothing.
// Formats checked: date-time, date, time, email, hostname, ipv4, ipv6, uri, uri-reference,
// uuid, regex, json-pointer; any other format passes, as in gojsonschema.
//
// Unsure against gojsonschema: the texts of schema errors beyond the common ones (written
// after its locale's patterns), the order of errors (gojsonschema walks object members in Go's
// random map order; here they come sorted), and which failing branch of anyOf/oneOf/contains
// lends its errors (gojsonschema's "score"; here the branch with the fewest errors).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/go_json.h"
#include "base/utf8.h"
#include "goregex/regex.h"
#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa::internal {
namespace {

// A policy's schema may refer to itself ({"$ref": "#"}) or fan out through references:
// bound how deep one validation goes and how many (sub)schemas it applies in all.
constexpr std::size_t kMaxDepth = 200;
constexpr std::size_t kMaxSteps = 2'000'000;

// --- values ---

// The JSON Schema type of an instance, "integer" for a number without fraction (as
// gojsonschema reports it).
std::string_view InstanceType(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return IsSet(v) ? "array" : "object";
    case json::kind::double_: {
      double d = v.get_double();
      return std::isfinite(d) && d == std::trunc(d) ? "integer" : "number";
    }
    default: return "integer";
  }
}

// The elements of an array (or a set, which the guest hands as one).
const json::array* Elements(const json::value& v) { return ArrayOrSetElements(v); }

bool IsObject(const json::value& v) { return v.is_object() && !IsSet(v); }

bool Equal(const json::value& a, const json::value& b) { return CompareRegoValues(a, b) == 0; }

// Orders values for finding duplicates in O(n log n).
struct ValueLess {
  bool operator()(const json::value* a, const json::value* b) const { return CompareRegoValues(*a, *b) < 0; }
};

// A number in a message, as gojsonschema prints its big.Float (%v: 10 significant digits).
std::string NumberDetail(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", d);
  return buf;
}

// The JSON text of a value in a message (enum's allowed values, const), as Go marshals it.
std::string MarshalDetail(const json::value& v) { return MarshalLikeGo(SortedKeys(SetsAsArrays(v))); }

// --- formats ---

bool IsHostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (s.back() == '.') s.remove_suffix(1);
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// An absolute URI: a scheme (letter, then letters, digits, + - .), a colon, no spaces.
bool IsUri(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return s.find_first_of(" \t\r\n") == std::string_view::npos;
}

bool IsJsonPointer(std::string_view s) {
  if (s.empty()) return true;
  if (s.front() != '/') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '~' && (i + 1 >= s.size() || (s[i + 1] != '0' && s[i + 1] != '1'))) return false;
  }
  return true;
}

// Whether `text` is of `format`; unknown formats always are.
bool MatchesFormat(std::string_view format, std::string_view text) {
  if (format == "date-time") return IsRfc3339Time(text);
  if (format == "date") return text.size() == 10 && IsRfc3339Time(std::string(text) + "T00:00:00Z");
  if (format == "time") return IsRfc3339Time("1970-01-01T" + std::string(text));
  if (format == "email" || format == "idn-email") {
    std::size_t at = text.rfind('@');
    return at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
           text.find_first_of(" \t\r\n<>") == std::string_view::npos;
  }
  if (format == "hostname") return IsHostname(text);
  if (format == "ipv4") return IsGoIpAddress(text) && text.find('.') != std::string_view::npos;
  if (format == "ipv6") return IsGoIpAddress(text) && text.find(':') != std::string_view::npos;
  if (format == "uri" || format == "iri") return IsUri(text);
  if (format == "uri-reference" || format == "iri-reference") {
    return text.find_first_of(" \t\r\n") == std::string_view::npos;
  }
  if (format == "uuid") return IsUuid(text);
  if (format == "regex") return goregex::Regexp::Compile(text).has_value();
  if (format == "json-pointer") return IsJsonPointer(text);
  return true;
}

// --- the schema document ---

// gojsonschema's locale for a keyword of the wrong type: "Invalid type. Expected: X, given: K".
std::string WrongKeywordType(std::string_view expected, std::string_view keyword) {
  return "Invalid type. Expected: " + std::string(expected) + ", given: " + std::string(keyword);
}

// A JSON Pointer token, "~1" and "~0" unescaped, then percent-decoding as in a URI fragment.
std::string PointerToken(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out.push_back(token[i + 1] == '0' ? '~' : '/');
      ++i;
    } else if (token[i] == '%' && i + 2 < token.size() && HexValue(token[i + 1]) >= 0 &&
               HexValue(token[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(token[i + 1]) << 4 | HexValue(token[i + 2])));
      i += 2;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

// The root schema, with its references resolved and its patterns compiled once.
class SchemaDocument {
 public:
  explicit SchemaDocument(const json::value& root) : root_(root) {}

  // Checks the whole schema (gojsonschema.NewSchema): every keyword of the right type, every
  // pattern compiling, every reference resolving. The message is gojsonschema's.
  Result<void> Check() { return CheckSchema(root_, 0); }

  Result<const json::value*> Resolve(std::string_view ref) const {
    if (ref.empty() || ref.front() != '#') {
      return Fail(ErrorKind::kInvalidArgument,
                  "Reference " + std::string(ref) + " is not supported: only references within the schema are");
    }
    std::string_view pointer = ref.substr(1);
    const json::value* at = &root_;
    if (pointer.empty()) return at;
    if (pointer.front() != '/') {
      return Fail(ErrorKind::kInvalidArgument,
                  "Reference " + std::string(ref) + " is not supported: only references within the schema are");
    }
    pointer.remove_prefix(1);
    while (true) {
      std::size_t slash = pointer.find('/');
      std::string token = PointerToken(pointer.substr(0, slash));
      const json::value* next = nullptr;
      if (IsObject(*at)) {
        next = at->get_object().if_contains(token);
      } else if (const json::array* elements = Elements(*at)) {
        char* end = nullptr;
        unsigned long i = std::strtoul(token.c_str(), &end, 10);
        if (!token.empty() && *end == '\0' && i < elements->size()) next = &(*elements)[i];
      }
      if (next == nullptr) return Fail(ErrorKind::kInvalidArgument, "Object has no key '" + token + "'");
      at = next;
      if (slash == std::string_view::npos) return at;
      pointer.remove_prefix(slash + 1);
    }
  }

  const goregex::Regexp* Pattern(std::string_view pattern) const {
    auto it = patterns_.find(pattern);
    return it == patterns_.end() ? nullptr : &it->second;
  }

 private:
  Result<void> Bad(std::string message) { return Fail(ErrorKind::kInvalidArgument, std::move(message)); }

  Result<void> CheckPattern(std::string_view pattern) {
    if (patterns_.contains(pattern)) return {};
    auto compiled = goregex::Regexp::Compile(pattern);
    if (!compiled) return Bad("Invalid regex pattern '" + std::string(pattern) + "'");
    patterns_.emplace(std::string(pattern), std::move(*compiled));
    return {};
  }

  Result<void> CheckSchema(const json::value& schema, std::size_t depth) {
    if (depth > kMaxDepth) return Bad("the schema nests too deeply");
    if (schema.is_bool()) return {};
    if (!IsObject(schema)) return Bad(WrongKeywordType("object", "schema"));
    const json::object& s = schema.get_object();
    auto number_keyword = [&](std::string_view key, bool allow_bool) -> Result<void> {
      const json::value* v = s.if_contains(key);
      if (v == nullptr || v->is_number() || (allow_bool && v->is_bool())) return {};
      return Bad(WrongKeywordType(allow_bool ? "number/boolean" : "number", key));
    };
    auto count_keyword = [&](std::string_view key) -> Result<void> {
      const json::value* v = s.if_contains(key);
      if (v == nullptr) return {};
      if (!v->is_number() || InstanceType(*v) != "integer") return Bad(WrongKeywordType("integer", key));
      if (v->to_number<double>() < 0) return Bad(std::string(key) + " must be greater than or equal to 0");
      return {};
    };
    auto schema_keyword = [&](std::string_view key) -> Result<void> {
      const json::value* v = s.if_contains(key);
      if (v == nullptr) return {};
      if (!IsObject(*v) && !v->is_bool()) return Bad(WrongKeywordType("object", key));
      return CheckSchema(*v, depth + 1);
    };
    auto schema_list_keyword = [&](std::string_view key) -> Result<void> {
      const json::value* v = s.if_contains(key);
      if (v == nullptr) return {};
      const json::array* list = Elements(*v);
      if (list == nullptr) return Bad(WrongKeywordType("array", key));
      for (const json::value& sub : *list) KW_TRY(CheckSchema(sub, depth + 1));
      return {};
    };
    auto schema_map_keyword = [&](std::string_view key) -> Result<void> {
      const json::value* v = s.if_contains(key);
      if (v == nullptr) return {};
      if (!IsObject(*v)) return Bad(WrongKeywordType("object", key));
      for (const auto& kv : v->get_object()) {
        if (key == "patternProperties") KW_TRY(CheckPattern(kv.key()));
        KW_TRY(CheckSchema(kv.value(), depth + 1));
      }
      return {};
    };

    if (const json::value* ref = s.if_contains("$ref")) {
      if (!ref->is_string()) return Bad(WrongKeywordType("string", "$ref"));
      KW_ASSIGN_OR_RETURN(const json::value* target, Resolve(std::string_view(ref->get_string())));
      if (!target->is_bool() && !IsObject(*target)) return Bad(WrongKeywordType("object", "$ref"));
    }
    if (const json::value* type = s.if_contains("type")) {
      std::vector<const json::value*> names;
      if (type->is_string()) {
        names.push_back(type);
      } else if (const json::array* list = Elements(*type)) {
        for (const json::value& t : *list) {
          if (!t.is_string()) return Bad(WrongKeywordType("string", "type"));
          names.push_back(&t);
        }
      } else {
        return Bad(WrongKeywordType("string/array of strings", "type"));
      }
      for (const json::value* name : names) {
        std::string_view n = name->get_string();
        if (n != "array" && n != "boolean" && n != "integer" && n != "number" && n != "null" &&
            n != "object" && n != "string") {
          return Bad("has a primitive type that is NOT VALID -- given: " + std::string(n) +
                     " Expected valid values are:[array boolean integer number null object string]");
        }
      }
    }
    for (std::string_view key : {"minimum", "maximum", "multipleOf"}) KW_TRY(number_keyword(key, false));
    for (std::string_view key : {"exclusiveMinimum", "exclusiveMaximum"}) KW_TRY(number_keyword(key, true));
    if (const json::value* m = s.if_contains("multipleOf"); m != nullptr && m->to_number<double>() <= 0) {
      return Bad("multipleOf must be strictly greater than 0");
    }
    for (std::string_view key : {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
      KW_TRY(count_keyword(key));
    }
    if (const json::value* pattern = s.if_contains("pattern")) {
      if (!pattern->is_string()) return Bad(WrongKeywordType("string", "pattern"));
      KW_TRY(CheckPattern(std::string_view(pattern->get_string())));
    }
    if (const json::value* format = s.if_contains("format"); format != nullptr && !format->is_string()) {
      return Bad(WrongKeywordType("string", "format"));
    }
    if (const json::value* required = s.if_contains("required")) {
      const json::array* list = Elements(*required);
      if (list == nullptr) return Bad(WrongKeywordType("array", "required"));
      std::set<std::string_view> seen;
      for (const json::value& name : *list) {
        if (!name.is_string()) return Bad(WrongKeywordType("string", "required"));
        if (!seen.insert(std::string_view(name.get_string())).second) return Bad("required items must be unique");
      }
    }
    if (const json::value* values = s.if_contains("enum")) {
      const json::array* list = Elements(*values);
      if (list == nullptr) return Bad("enum must be of an array");
      std::set<const json::value*, ValueLess> seen;
      for (const json::value& v : *list) {
        if (!seen.insert(&v).second) return Bad("enum items must be unique");
      }
    }
    if (const json::value* unique = s.if_contains("uniqueItems"); unique != nullptr && !unique->is_bool()) {
      return Bad(WrongKeywordType("boolean", "uniqueItems"));
    }
    if (const json::value* items = s.if_contains("items")) {
      if (Elements(*items) != nullptr) {
        KW_TRY(schema_list_keyword("items"));
      } else if (IsObject(*items) || items->is_bool()) {
        KW_TRY(CheckSchema(*items, depth + 1));
      } else {
        return Bad(WrongKeywordType("object/array", "items"));
      }
    }
    for (std::string_view key : {"additionalItems", "additionalProperties"}) KW_TRY(schema_keyword(key));
    for (std::string_view key : {"contains", "propertyNames", "not", "if", "then", "else"}) {
      KW_TRY(schema_keyword(key));
    }
    for (std::string_view key : {"allOf", "anyOf", "oneOf"}) {
      KW_TRY(schema_list_keyword(key));
      if (const json::value* v = s.if_contains(key); v != nullptr && Elements(*v)->empty()) {
        return Bad(std::string(key) + " must have at least 1 element");
      }
    }
    for (std::string_view key : {"properties", "patternProperties", "definitions"}) KW_TRY(schema_map_keyword(key));
    if (const json::value* dependencies = s.if_contains("dependencies")) {
      if (!IsObject(*dependencies)) return Bad(WrongKeywordType("object", "dependencies"));
      for (const auto& kv : dependencies->get_object()) {
        if (const json::array* names = Elements(kv.value())) {
          for (const json::value& name : *names) {
            if (!name.is_string()) return Bad(WrongKeywordType("string", "dependencies"));
          }
        } else if (IsObject(kv.value()) || kv.value().is_bool()) {
          KW_TRY(CheckSchema(kv.value(), depth + 1));
        } else {
          return Bad(WrongKeywordType("array/schema", "dependencies"));
        }
      }
    }
    return {};
  }

  const json::value& root_;
  std::map<std::string, goregex::Regexp, std::less<>> patterns_;
};

// --- validation ---

struct Failure {
  std::string type;
  std::string field;
  std::string description;
};

// What applying a schema found: gojsonschema's errors, and how many checks passed (its
// "score", which picks the branch of an anyOf that the errors talk about).
struct Outcome {
  std::vector<Failure> failures;
  std::size_t passed = 0;
  bool valid() const { return failures.empty(); }
  void Merge(Outcome&& other) {
    for (Failure& f : other.failures) failures.push_back(std::move(f));
    passed += other.passed;
  }
};

// A path in the instance, as gojsonschema's context prints it: "(root)", "(root).a.0".
class Context {
 public:
  Context() = default;
  Context Child(std::string_view name) const {
    Context c;
    c.path_ = path_ + "." + std::string(name);
    return c;
  }
  // gojsonschema's Field(): the path without the leading "(root).".
  std::string Field() const { return path_ == "(root)" ? path_ : path_.substr(7); }

 private:
  std::string path_ = "(root)";
};

class Validator {
 public:
  explicit Validator(const SchemaDocument& document) : document_(document) {}

  Result<Outcome> Apply(const json::value& schema, const json::value& instance, const Context& context,
                        std::size_t depth) {
    if (depth > kMaxDepth) {
      return Fail(ErrorKind::kInvalidArgument, "the schema refers to itself too deeply");
    }
    if (++steps_ > kMaxSteps) return Fail(ErrorKind::kInvalidArgument, "the validation takes too many steps");
    Outcome out;
    if (schema.is_bool()) {
      if (!schema.get_bool()) Add(out, "false", context, "False always fails validation");
      return out;
    }
    const json::object& s = schema.get_object();
    // Up to draft 7, a reference replaces the keywords beside it.
    if (const json::value* ref = s.if_contains("$ref")) {
      KW_ASSIGN_OR_RETURN(const json::value* target, document_.Resolve(std::string_view(ref->get_string())));
      return Apply(*target, instance, context, depth + 1);
    }
    const std::string_view type = InstanceType(instance);
    if (const json::value* types = s.if_contains("type")) {
      std::vector<std::string_view> names;
      if (types->is_string()) {
        names.push_back(types->get_string());
      } else {
        for (const json::value& t : *Elements(*types)) names.push_back(t.get_string());
      }
      bool ok = std::any_of(names.begin(), names.end(), [&](std::string_view n) {
        return n == type || (n == "number" && type == "integer");
      });
      if (!ok) {
        std::string expected;
        if (names.size() == 1) {
          expected = names[0];
        } else {
          expected = "[";
          for (std::size_t i = 0; i < names.size(); ++i) expected += (i ? "," : "") + std::string(names[i]);
          expected += "]";
        }
        Add(out, "invalid_type", context,
            "Invalid type. Expected: " + expected + ", given: " + std::string(type));
        return out;
      }
      ++out.passed;
    }
    KW_TRY(ApplyCombinators(s, instance, context, depth, out));
    if (IsObject(instance)) {
      KW_TRY(ApplyObject(s, instance.get_object(), context, depth, out));
    } else if (const json::array* elements = Elements(instance)) {
      KW_TRY(ApplyArray(s, *elements, context, depth, out));
    } else if (instance.is_string()) {
      ApplyString(s, std::string_view(instance.get_string()), context, out);
    } else if (instance.is_number()) {
      ApplyNumber(s, instance.to_number<double>(), context, out);
    }
    ApplyCommon(s, instance, context, out);
    return out;
  }

 private:
  static void Add(Outcome& out, std::string_view type, const Context& context, std::string description) {
    out.failures.push_back({std::string(type), context.Field(), std::move(description)});
  }

  // Of several failing branches, the one whose errors to report: the most checks passed,
  // then the fewest errors.
  static bool Closer(const Outcome& a, const std::optional<Outcome>& best) {
    if (!best) return true;
    if (a.passed != best->passed) return a.passed > best->passed;
    return a.failures.size() < best->failures.size();
  }

  Result<void> ApplyCombinators(const json::object& s, const json::value& instance, const Context& context,
                                std::size_t depth, Outcome& out) {
    if (const json::value* all = s.if_contains("allOf")) {
      bool every = true;
      for (const json::value& sub : *Elements(*all)) {
        KW_ASSIGN_OR_RETURN(Outcome o, Apply(sub, instance, context, depth + 1));
        every = every && o.valid();
        out.Merge(std::move(o));
      }
      if (!every) Add(out, "number_all_of", context, "Must validate all the schemas (allOf)");
    }
    if (const json::value* any = s.if_contains("anyOf")) {
      std::optional<Outcome> best;
      bool one = false;
      for (const json::value& sub : *Elements(*any)) {
        KW_ASSIGN_OR_RETURN(Outcome o, Apply(sub, instance, context, depth + 1));
        if (o.valid()) {
          one = true;
          break;
        }
        if (Closer(o, best)) best = std::move(o);
      }
      if (one) {
        ++out.passed;
      } else {
        Add(out, "number_any_of", context, "Must validate at least one schema (anyOf)");
        if (best) out.Merge(std::move(*best));
      }
    }
    if (const json::value* one_of = s.if_contains("oneOf")) {
      std::optional<Outcome> best;
      std::size_t matched = 0;
      for (const json::value& sub : *Elements(*one_of)) {
        KW_ASSIGN_OR_RETURN(Outcome o, Apply(sub, instance, context, depth + 1));
        if (o.valid()) {
          ++matched;
        } else if (Closer(o, best)) {
          best = std::move(o);
        }
      }
      if (matched == 1) {
        ++out.passed;
      } else {
        Add(out, "number_one_of", context, "Must validate one and only one schema (oneOf)");
        if (matched == 0 && best) out.Merge(std::move(*best));
      }
    }
    if (const json::value* negated = s.if_contains("not")) {
      KW_ASSIGN_OR_RETURN(Outcome o, Apply(*negated, instance, context, depth + 1));
      if (o.valid()) {
        Add(out, "number_not", context, "Must not validate the schema (not)");
      } else {
        ++out.passed;
      }
    }
    if (const json::value* condition = s.if_contains("if")) {
      KW_ASSIGN_OR_RETURN(Outcome o, Apply(*condition, instance, context, depth + 1));
      const bool then = o.valid();
      const json::value* branch = s.if_contains(then ? "then" : "else");
      if (branch != nullptr) {
        KW_ASSIGN_OR_RETURN(Outcome b, Apply(*branch, instance, context, depth + 1));
        if (!b.valid()) {
          Add(out, then ? "condition_then" : "condition_else", context,
              then ? "Must validate \"then\" as \"if\" was valid" : "Must validate \"else\" as \"if\" was not valid");
          out.Merge(std::move(b));
        } else {
          ++out.passed;
        }
      }
    }
    if (const json::value* dependencies = s.if_contains("dependencies"); dependencies != nullptr && IsObject(instance)) {
      const json::object& members = instance.get_object();
      for (const auto& kv : dependencies->get_object()) {
        if (!members.contains(kv.key())) continue;
        if (const json::array* names = Elements(kv.value())) {
          for (const json::value& name : *names) {
            if (members.contains(name.get_string())) {
              ++out.passed;
            } else {
              Add(out, "missing_dependency", context, "Has a dependency on " + std::string(name.get_string()));
            }
          }
        } else {
          KW_ASSIGN_OR_RETURN(Outcome o, Apply(kv.value(), instance, context, depth + 1));
          out.Merge(std::move(o));
        }
      }
    }
    return {};
  }

  Result<void> ApplyObject(const json::object& s, const json::object& members, const Context& context,
                           std::size_t depth, Outcome& out) {
    const std::size_t count = members.size();
    if (const json::value* max = s.if_contains("maxProperties")) {
      if (static_cast<double>(count) > max->to_number<double>()) {
        Add(out, "array_max_properties", context, "Must have at most " + NumberDetail(max->to_number<double>()) + " properties");
      }
    }
    if (const json::value* min = s.if_contains("minProperties")) {
      if (static_cast<double>(count) < min->to_number<double>()) {
        Add(out, "array_min_properties", context, "Must have at least " + NumberDetail(min->to_number<double>()) + " properties");
      }
    }
    if (const json::value* required = s.if_contains("required")) {
      for (const json::value& name : *Elements(*required)) {
        if (members.contains(name.get_string())) {
          ++out.passed;
        } else {
          Add(out, "required", context, std::string(name.get_string()) + " is required");
        }
      }
    }
    // Members in key order (gojsonschema's is Go's map order, which varies).
    std::vector<const json::key_value_pair*> sorted;
    for (const auto& kv : members) sorted.push_back(&kv);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    const json::value* properties = s.if_contains("properties");
    const json::value* patterns = s.if_contains("patternProperties");
    const json::value* additional = s.if_contains("additionalProperties");
    for (const auto* kv : sorted) {
      std::string_view key = kv->key();
      const Context child = context.Child(key);
      bool described = false;
      if (properties != nullptr) {
        if (const json::value* sub = properties->get_object().if_contains(key)) {
          described = true;
          KW_ASSIGN_OR_RETURN(Outcome o, Apply(*sub, kv->value(), child, depth + 1));
          out.Merge(std::move(o));
        }
      }
      if (patterns != nullptr) {
        for (const auto& pattern : patterns->get_object()) {
          const goregex::Regexp* re = document_.Pattern(pattern.key());
          if (re == nullptr || !re->Match(key)) continue;
          described = true;
          KW_ASSIGN_OR_RETURN(Outcome o, Apply(pattern.value(), kv->value(), child, depth + 1));
          out.Merge(std::move(o));
        }
      }
      if (!described && additional != nullptr) {
        if (additional->is_bool()) {
          if (!additional->get_bool()) {
            Add(out, "additional_property_not_allowed", context,
                "Additional property " + std::string(key) + " is not allowed");
          }
        } else {
          KW_ASSIGN_OR_RETURN(Outcome o, Apply(*additional, kv->value(), child, depth + 1));
          out.Merge(std::move(o));
        }
      }
    }
    if (const json::value* names = s.if_contains("propertyNames")) {
      for (const auto* kv : sorted) {
        KW_ASSIGN_OR_RETURN(Outcome o, Apply(*names, json::value(kv->key()), context, depth + 1));
        if (!o.valid()) {
          Add(out, "invalid_property_name", context,
              "Property name of \"" + std::string(kv->key()) + "\" does not match");
          out.Merge(std::move(o));
        }
      }
    }
    return {};
  }

  Result<void> ApplyArray(const json::object& s, const json::array& elements, const Context& context,
                          std::size_t depth, Outcome& out) {
    const std::size_t count = elements.size();
    if (const json::value* items = s.if_contains("items")) {
      if (const json::array* tuple = Elements(*items)) {
        for (std::size_t i = 0; i < count && i < tuple->size(); ++i) {
          KW_ASSIGN_OR_RETURN(Outcome o, Apply((*tuple)[i], elements[i], context.Child(std::to_string(i)), depth + 1));
          out.Merge(std::move(o));
        }
        if (const json::value* additional = s.if_contains("additionalItems"); additional != nullptr && count > tuple->size()) {
          if (additional->is_bool()) {
            if (!additional->get_bool()) Add(out, "array_no_additional_items", context, "No additional items allowed on array");
          } else {
            for (std::size_t i = tuple->size(); i < count; ++i) {
              KW_ASSIGN_OR_RETURN(Outcome o, Apply(*additional, elements[i], context.Child(std::to_string(i)), depth + 1));
              out.Merge(std::move(o));
            }
          }
        }
      } else {
        for (std::size_t i = 0; i < count; ++i) {
          KW_ASSIGN_OR_RETURN(Outcome o, Apply(*items, elements[i], context.Child(std::to_string(i)), depth + 1));
          out.Merge(std::move(o));
        }
      }
    }
    if (const json::value* min = s.if_contains("minItems"); min != nullptr && static_cast<double>(count) < min->to_number<double>()) {
      Add(out, "array_min_items", context, "Array must have at least " + NumberDetail(min->to_number<double>()) + " items");
    }
    if (const json::value* max = s.if_contains("maxItems"); max != nullptr && static_cast<double>(count) > max->to_number<double>()) {
      Add(out, "array_max_items", context, "Array must have at most " + NumberDetail(max->to_number<double>()) + " items");
    }
    if (const json::value* unique = s.if_contains("uniqueItems"); unique != nullptr && unique->get_bool()) {
      std::map<const json::value*, std::size_t, ValueLess> seen;
      for (std::size_t j = 0; j < count; ++j) {
        auto [it, inserted] = seen.emplace(&elements[j], j);
        if (!inserted) {
          Add(out, "unique", context,
              "array items[" + std::to_string(it->second) + "," + std::to_string(j) + "] must be unique");
          break;
        }
      }
    }
    if (const json::value* contains = s.if_contains("contains")) {
      std::optional<Outcome> best;
      bool one = false;
      for (std::size_t i = 0; i < count; ++i) {
        KW_ASSIGN_OR_RETURN(Outcome o, Apply(*contains, elements[i], context.Child(std::to_string(i)), depth + 1));
        if (o.valid()) {
          one = true;
          break;
        }
        if (Closer(o, best)) best = std::move(o);
      }
      if (!one) {
        Add(out, "contains", context, "At least one of the items must match");
        if (best) out.Merge(std::move(*best));
      }
    }
    return {};
  }

  void ApplyString(const json::object& s, std::string_view text, const Context& context, Outcome& out) {
    const double length = static_cast<double>(CountRunes(text));
    if (const json::value* min = s.if_contains("minLength"); min != nullptr && length < min->to_number<double>()) {
      Add(out, "string_gte", context,
          "String length must be greater than or equal to " + NumberDetail(min->to_number<double>()));
    }
    if (const json::value* max = s.if_contains("maxLength"); max != nullptr && length > max->to_number<double>()) {
      Add(out, "string_lte", context,
          "String length must be less than or equal to " + NumberDetail(max->to_number<double>()));
    }
    if (const json::value* pattern = s.if_contains("pattern")) {
      const goregex::Regexp* re = document_.Pattern(std::string_view(pattern->get_string()));
      if (re != nullptr && !re->Match(text)) {
        Add(out, "pattern", context, "Does not match pattern '" + std::string(pattern->get_string()) + "'");
      }
    }
    if (const json::value* format = s.if_contains("format")) {
      if (!MatchesFormat(std::string_view(format->get_string()), text)) {
        Add(out, "format", context, "Does not match format '" + std::string(format->get_string()) + "'");
      }
    }
  }

  void ApplyNumber(const json::object& s, double value, const Context& context, Outcome& out) {
    if (const json::value* m = s.if_contains("multipleOf")) {
      const double divisor = m->to_number<double>();
      const double quotient = value / divisor;
      // Decimal steps (0.01) are inexact in binary: allow for the rounding of the division.
      if (!std::isfinite(quotient) || std::fabs(quotient - std::round(quotient)) > 1e-9 * std::max(1.0, std::fabs(quotient))) {
        Add(out, "multiple_of", context, "Must be a multiple of " + NumberDetail(divisor));
      }
    }
    // Draft 4 writes an exclusive bound as a boolean beside minimum/maximum; drafts 6 and 7
    // as a number of its own.
    const json::value* exclusive_max = s.if_contains("exclusiveMaximum");
    const json::value* exclusive_min = s.if_contains("exclusiveMinimum");
    if (const json::value* max = s.if_contains("maximum")) {
      const double bound = max->to_number<double>();
      if (exclusive_max != nullptr && exclusive_max->is_bool() && exclusive_max->get_bool()) {
        if (value >= bound) Add(out, "number_lt", context, "Must be less than " + NumberDetail(bound));
      } else if (value > bound) {
        Add(out, "number_lte", context, "Must be less than or equal to " + NumberDetail(bound));
      }
    }
    if (exclusive_max != nullptr && exclusive_max->is_number() && value >= exclusive_max->to_number<double>()) {
      Add(out, "number_lt", context, "Must be less than " + NumberDetail(exclusive_max->to_number<double>()));
    }
    if (const json::value* min = s.if_contains("minimum")) {
      const double bound = min->to_number<double>();
      if (exclusive_min != nullptr && exclusive_min->is_bool() && exclusive_min->get_bool()) {
        if (value <= bound) Add(out, "number_gt", context, "Must be greater than " + NumberDetail(bound));
      } else if (value < bound) {
        Add(out, "number_gte", context, "Must be greater than or equal to " + NumberDetail(bound));
      }
    }
    if (exclusive_min != nullptr && exclusive_min->is_number() && value <= exclusive_min->to_number<double>()) {
      Add(out, "number_gt", context, "Must be greater than " + NumberDetail(exclusive_min->to_number<double>()));
    }
  }

  // const and enum, for any type.
  void ApplyCommon(const json::object& s, const json::value& instance, const Context& context, Outcome& out) {
    if (const json::value* constant = s.if_contains("const")) {
      if (!Equal(*constant, instance)) {
        Add(out, "const", context, context.Field() + " does not match: " + MarshalDetail(*constant));
      }
    }
    if (const json::value* values = s.if_contains("enum")) {
      const json::array& list = *Elements(*values);
      bool found = std::any_of(list.begin(), list.end(), [&](const json::value& v) { return Equal(v, instance); });
      if (!found) {
        std::string allowed;
        for (std::size_t i = 0; i < list.size(); ++i) allowed += (i ? ", " : "") + MarshalDetail(list[i]);
        Add(out, "enum", context, context.Field() + " must be one of the following: " + allowed);
      }
    }
  }

  const SchemaDocument& document_;
  std::size_t steps_ = 0;
};

// OPA's astValueToJSONSchemaLoader: a JSON text (checked to parse) or an object.
Result<json::value> SchemaInput(const json::value& v) {
  if (v.is_string()) {
    auto parsed = ParseJson(std::string_view(v.get_string()));
    if (!parsed) return Fail(ErrorKind::kInvalidArgument, "invalid JSON string");
    return std::move(*parsed);
  }
  if (IsObject(v)) return v;
  return Fail(ErrorKind::kInvalidArgument, "wrong type, expected string or object");
}

json::value Pair(bool valid, json::value second) {
  return json::value(json::array{json::value(valid), std::move(second)});
}

Result<json::value> VerifySchema(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "json.verify_schema";
  KW_TRY(CheckArity(kName, args, 1));
  auto schema = SchemaInput(args[0]);
  if (!schema) return Pair(false, json::string("jsonschema: " + schema.error().message));
  SchemaDocument document(*schema);
  if (auto checked = document.Check(); !checked) {
    return Pair(false, json::string("jsonschema: " + checked.error().message));
  }
  return Pair(true, nullptr);
}

Result<json::value> MatchSchema(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "json.match_schema";
  KW_TRY(CheckArity(kName, args, 2));
  auto instance = SchemaInput(args[0]);
  if (!instance) return std::unexpected(BuiltinError(kName, instance.error().message));
  auto schema = SchemaInput(args[1]);
  if (!schema) return std::unexpected(BuiltinError(kName, schema.error().message));
  SchemaDocument document(*schema);
  if (auto checked = document.Check(); !checked) {
    return std::unexpected(BuiltinError(kName, checked.error().message));
  }
  auto outcome = Validator(document).Apply(*schema, SetsAsArrays(*instance), Context(), 0);
  if (!outcome) return std::unexpected(BuiltinError(kName, outcome.error().message));
  json::array errors;
  for (const Failure& f : outcome->failures) {
    // In key order, as OPA prints an object.
    errors.emplace_back(json::object{{"desc", f.description},
                                     {"error", f.field + ": " + f.description},
                                     {"field", f.field},
                                     {"type", f.type}});
  }
  return Pair(outcome->valid(), json::value(std::move(errors)));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"json.match_schema", MatchSchema},
    {"json.verify_schema", VerifySchema},
};

}  // namespace

std::span<const BuiltinEntry> JsonSchemaBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
