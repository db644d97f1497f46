#include "runtime/opa/rego_value.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace kw::runtime::opa {
namespace {

// Rego's order of types: null < boolean < number < string < array < object < set.
int TypeRank(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return 0;
    case json::kind::bool_:
      return 1;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return 2;
    case json::kind::string:
      return 3;
    case json::kind::array:
      return 4;
    case json::kind::object:
      return IsSet(v) ? 6 : 5;
  }
  return 7;
}

int Compare(const json::value& a, const json::value& b);

int CompareArrays(const json::array& a, const json::array& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (int c = Compare(a[i], b[i]); c != 0) return c;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

std::vector<const json::key_value_pair*> SortedPairs(const json::object& o) {
  std::vector<const json::key_value_pair*> out;
  for (const auto& kv : o) out.push_back(&kv);
  std::sort(out.begin(), out.end(), [](auto* x, auto* y) { return x->key() < y->key(); });
  return out;
}

// Rego's value order (ast.Compare), for sorting a set's elements.
int Compare(const json::value& a, const json::value& b) {
  int ra = TypeRank(a), rb = TypeRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 1:
      return static_cast<int>(a.get_bool()) - static_cast<int>(b.get_bool());
    case 2: {
      if (a.is_int64() && b.is_int64()) {
        return a.get_int64() < b.get_int64() ? -1 : a.get_int64() > b.get_int64() ? 1 : 0;
      }
      double x = a.to_number<double>(), y = b.to_number<double>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3: {
      int c = std::string_view(a.get_string()).compare(std::string_view(b.get_string()));
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    case 4:
      return CompareArrays(a.get_array(), b.get_array());
    case 5: {
      auto pa = SortedPairs(a.get_object()), pb = SortedPairs(b.get_object());
      for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
        int c = std::string_view(pa[i]->key()).compare(std::string_view(pb[i]->key()));
        if (c != 0) return c < 0 ? -1 : 1;
        if (int v = Compare(pa[i]->value(), pb[i]->value()); v != 0) return v;
      }
      return pa.size() < pb.size() ? -1 : pa.size() > pb.size() ? 1 : 0;
    }
    case 6:
      return CompareArrays(*ArrayOrSetElements(a), *ArrayOrSetElements(b));
    default:
      return 0;
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  Result<json::value> Document() {
    KW_ASSIGN_OR_RETURN(json::value v, Value(0));
    SkipSpace();
    if (pos_ != text_.size()) return Bad("extra text");
    return v;
  }

 private:
  std::unexpected<Error> Bad(std::string_view why) {
    return std::unexpected(Error(ErrorKind::kInvalidArgument,
                                 "invalid Rego value: " + std::string(why) + " at byte " +
                                     std::to_string(pos_)));
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Take(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // A scalar token handed to the JSON parser, which knows its grammar.
  Result<json::value> Scalar(std::size_t end) {
    auto v = ParseJson(text_.substr(pos_, end - pos_), "invalid Rego value");
    if (!v) return Bad("malformed scalar");
    pos_ = end;
    return std::move(*v);
  }

  Result<json::value> Value(std::size_t depth) {
    if (depth >= max_depth_) return Bad("nesting is too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Bad("unexpected end");
    char c = text_[pos_];
    if (c == '"') {
      std::size_t end = pos_ + 1;
      while (end < text_.size() && text_[end] != '"') end += text_[end] == '\\' ? 2 : 1;
      if (end >= text_.size()) return Bad("unterminated string");
      return Scalar(end + 1);
    }
    if (c == '[') {
      ++pos_;
      json::array out;
      if (Take(']')) return json::value(std::move(out));
      do {
        KW_ASSIGN_OR_RETURN(json::value element, Value(depth + 1));
        out.push_back(std::move(element));
      } while (Take(','));
      if (!Take(']')) return Bad("expected ',' or ']'");
      return json::value(std::move(out));
    }
    if (c == '{') return Braces(depth);
    if (text_.substr(pos_).starts_with("set()")) {
      pos_ += 5;
      return MakeSet({});
    }
    std::size_t end = pos_;
    while (end < text_.size() &&
           std::string_view("0123456789+-.eEtrufalsn").find(text_[end]) != std::string_view::npos) {
      ++end;
    }
    if (end == pos_) return Bad("unexpected character");
    return Scalar(end);
  }

  // An object `{k: v, ...}` (keys of any type) or a set `{a, ...}`.
  Result<json::value> Braces(std::size_t depth) {
    ++pos_;
    if (Take('}')) return json::value(json::object());
    KW_ASSIGN_OR_RETURN(json::value first, Value(depth + 1));
    if (!Take(':')) {
      json::array elements;
      elements.push_back(std::move(first));
      while (Take(',')) {
        KW_ASSIGN_OR_RETURN(json::value element, Value(depth + 1));
        elements.push_back(std::move(element));
      }
      if (!Take('}')) return Bad("expected ',' or '}'");
      return MakeSet(std::move(elements));
    }
    json::object out;
    json::value key = std::move(first);
    for (;;) {
      KW_ASSIGN_OR_RETURN(json::value value, Value(depth + 1));
      // A key that is not a string is held as its JSON text, as opa_json_dump writes it.
      std::string name = ObjectKeyText(key);
      if (name == kSetKey) return Bad("reserved object key");  // would read back as a set
      out[name] = std::move(value);
      if (!Take(',')) break;
      KW_ASSIGN_OR_RETURN(key, Value(depth + 1));
      if (!Take(':')) return Bad("expected ':'");
    }
    if (!Take('}')) return Bad("expected ',' or '}'");
    return json::value(std::move(out));
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::size_t pos_ = 0;
};

// Rego value text, or JSON text (sets as arrays) when `json_only`.
void AppendText(const json::value& value, std::string& out, bool json_only) {
  if (IsBigNumber(value)) {
    out += value.get_object().begin()->value().get_string();
    return;
  }
  if (const json::array* elements = ArrayOrSetElements(value)) {
    bool set = IsSet(value) && !json_only;
    if (set && elements->empty()) {
      out += "set()";
      return;
    }
    out.push_back(set ? '{' : '[');
    for (std::size_t i = 0; i < elements->size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendText((*elements)[i], out, json_only);
    }
    out.push_back(set ? '}' : ']');
    return;
  }
  if (value.is_object()) {
    out.push_back('{');
    bool first = true;
    for (const auto& kv : value.get_object()) {
      if (!first) out.push_back(',');
      first = false;
      out += json::serialize(json::string(kv.key()));
      out.push_back(':');
      AppendText(kv.value(), out, json_only);
    }
    out.push_back('}');
    return;
  }
  out += json::serialize(value);
}

}  // namespace

int CompareRegoValues(const json::value& a, const json::value& b) { return Compare(a, b); }

std::string ObjectKeyText(const json::value& key) {
  return key.is_string() ? std::string(key.get_string()) : ToJson(SetsAsArrays(key));
}

bool IsSet(const json::value& value) {
  const json::object* o = value.if_object();
  return o != nullptr && o->size() == 1 && o->begin()->key() == kSetKey &&
         o->begin()->value().is_array();
}

json::value MakeBigNumber(std::string decimal) {
  json::object o;
  o[kBigNumberKey] = json::string(decimal);
  return o;
}

bool IsBigNumber(const json::value& value) {
  const json::object* o = value.if_object();
  if (o == nullptr || o->size() != 1 || o->begin()->key() != kBigNumberKey) return false;
  const json::string* digits = o->begin()->value().if_string();
  if (digits == nullptr) return false;
  std::string_view text(*digits);
  if (text.starts_with('-')) text.remove_prefix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
}

json::value MakeSet(json::array elements) {
  std::sort(elements.begin(), elements.end(),
            [](const json::value& a, const json::value& b) { return Compare(a, b) < 0; });
  elements.erase(std::unique(elements.begin(), elements.end(),
                             [](const json::value& a, const json::value& b) {
                               return Compare(a, b) == 0;
                             }),
                 elements.end());
  json::object o;
  o[kSetKey] = std::move(elements);
  return o;
}

const json::array* ArrayOrSetElements(const json::value& value) {
  if (value.is_array()) return &value.get_array();
  if (IsSet(value)) return &value.get_object().begin()->value().get_array();
  return nullptr;
}

Result<json::value> ParseRegoValue(std::string_view text, std::size_t max_depth) {
  return Parser(text, max_depth).Document();
}

std::string RegoValueText(const json::value& value) {
  std::string out;
  AppendText(value, out, false);
  return out;
}

std::string JsonText(const json::value& value) {
  std::string out;
  AppendText(value, out, true);
  return out;
}

json::value SetsAsArrays(const json::value& value) {
  if (const json::array* elements = ArrayOrSetElements(value)) {
    json::array out;
    out.reserve(elements->size());
    for (const json::value& e : *elements) out.push_back(SetsAsArrays(e));
    return out;
  }
  if (value.is_object()) {
    json::object out;
    for (const auto& kv : value.get_object()) out[kv.key()] = SetsAsArrays(kv.value());
    return out;
  }
  return value;
}

}  // namespace kw::runtime::opa
