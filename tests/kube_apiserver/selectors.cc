#include "kube_apiserver/selectors.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace kw::kube_double {
namespace {

constexpr std::size_t kMaxNameLength = 63;
constexpr std::size_t kMaxPrefixLength = 253;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The qualified-name part rule: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?
bool IsNamePart(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > kMaxPrefixLength) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

constexpr std::string_view kNameRule =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr std::string_view kValueRule =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value', "
    " or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

Error SelectorError(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

std::optional<Error> CheckKey(std::string_view key) {
  std::string_view name = key;
  if (auto slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!IsDnsSubdomain(prefix)) {
      return SelectorError("unable to parse requirement: <nil>: Invalid value: \"" +
                           std::string(key) +
                           "\": prefix part a lowercase RFC 1123 subdomain must consist of lower "
                           "case alphanumeric characters, '-' or '.', and must start and end "
                           "with an alphanumeric character");
    }
  }
  if (!IsNamePart(name)) {
    return SelectorError("unable to parse requirement: <nil>: Invalid value: \"" +
                         std::string(key) + "\": " + std::string(kNameRule));
  }
  return std::nullopt;
}

std::optional<Error> CheckValue(std::string_view key, std::string_view value) {
  if (value.empty()) return std::nullopt;
  if (value.size() <= kMaxNameLength && IsNamePart(value)) return std::nullopt;
  return SelectorError("unable to parse requirement: values[0][" + std::string(key) +
                       "]: Invalid value: \"" + std::string(value) + "\": " +
                       std::string(kValueRule));
}

// The label selector lexer: identifiers, operators and punctuation, blanks skipped.
class Lexer {
 public:
  enum class Token { kEnd, kIdentifier, kComma, kOpenParen, kCloseParen, kNot, kEquals,
                     kDoubleEquals, kNotEquals, kIn, kNotIn, kGreater, kLess };

  explicit Lexer(std::string_view text) : text_(text) {}

  Token Next(std::string& literal) {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    literal.clear();
    if (pos_ >= text_.size()) return Token::kEnd;
    char c = text_[pos_];
    auto one = [&](Token t, std::size_t n) {
      literal = std::string(text_.substr(pos_, n));
      pos_ += n;
      return t;
    };
    if (c == ',') return one(Token::kComma, 1);
    if (c == '(') return one(Token::kOpenParen, 1);
    if (c == ')') return one(Token::kCloseParen, 1);
    if (c == '!' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '=') {
      return one(Token::kNotEquals, 2);
    }
    if (c == '!') return one(Token::kNot, 1);
    if (c == '=' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '=') {
      return one(Token::kDoubleEquals, 2);
    }
    if (c == '=') return one(Token::kEquals, 1);
    if (c == '>') return one(Token::kGreater, 1);
    if (c == '<') return one(Token::kLess, 1);
    std::size_t start = pos_;
    while (pos_ < text_.size() && std::string_view(" \t,()!=<>").find(text_[pos_]) ==
                                      std::string_view::npos) {
      ++pos_;
    }
    literal = std::string(text_.substr(start, pos_ - start));
    if (literal == "in") return Token::kIn;
    if (literal == "notin") return Token::kNotIn;
    return Token::kIdentifier;
  }

  Token Peek(std::string& literal) {
    std::size_t saved = pos_;
    Token t = Next(literal);
    pos_ = saved;
    return t;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

using Token = Lexer::Token;

Error Found(std::string_view literal, std::string_view expected) {
  return SelectorError("found '" + std::string(literal) + "', expected: " + std::string(expected));
}

Result<std::vector<std::string>> ParseValueSet(Lexer& lexer) {
  std::string literal;
  if (lexer.Next(literal) != Token::kOpenParen) return std::unexpected(Found(literal, "'('"));
  std::vector<std::string> values;
  Token t = lexer.Next(literal);
  if (t == Token::kCloseParen) return values;  // "in ()": the real parser takes an empty set
  for (;;) {
    if (t == Token::kIdentifier) {
      values.push_back(literal);
      t = lexer.Next(literal);
    } else if (t == Token::kComma || t == Token::kCloseParen) {
      values.push_back("");  // an empty value between commas
    } else {
      return std::unexpected(Found(literal, "',', or identifier"));
    }
    if (t == Token::kCloseParen) return values;
    if (t != Token::kComma) return std::unexpected(Found(literal, "',' or ')'"));
    t = lexer.Next(literal);
  }
}

Result<LabelRequirement> ParseRequirement(Lexer& lexer) {
  std::string literal;
  Token t = lexer.Next(literal);
  LabelRequirement requirement;
  if (t == Token::kNot) {
    if (lexer.Next(literal) != Token::kIdentifier) {
      return std::unexpected(Found(literal, "identifier after '!'"));
    }
    if (auto error = CheckKey(literal)) return std::unexpected(*error);
    requirement.key = literal;
    requirement.op = LabelRequirement::Op::kDoesNotExist;
    return requirement;
  }
  if (t != Token::kIdentifier) {
    return std::unexpected(Found(literal, "!, identifier, or 'end of string'"));
  }
  if (auto error = CheckKey(literal)) return std::unexpected(*error);
  requirement.key = literal;
  t = lexer.Peek(literal);
  if (t == Token::kEnd || t == Token::kComma) {
    requirement.op = LabelRequirement::Op::kExists;
    return requirement;
  }
  lexer.Next(literal);
  switch (t) {
    case Token::kIn:
    case Token::kNotIn: {
      requirement.op = t == Token::kIn ? LabelRequirement::Op::kIn : LabelRequirement::Op::kNotIn;
      KW_ASSIGN_OR_RETURN(requirement.values, ParseValueSet(lexer));
      for (const auto& value : requirement.values) {
        if (auto error = CheckValue(requirement.key, value)) return std::unexpected(*error);
      }
      return requirement;
    }
    case Token::kEquals:
    case Token::kDoubleEquals:
    case Token::kNotEquals:
    case Token::kGreater:
    case Token::kLess: {
      requirement.op = t == Token::kNotEquals ? LabelRequirement::Op::kNotEquals
                       : t == Token::kGreater ? LabelRequirement::Op::kGreater
                       : t == Token::kLess    ? LabelRequirement::Op::kLess
                                              : LabelRequirement::Op::kEquals;
      std::string value;
      Token v = lexer.Peek(value);
      if (v == Token::kIdentifier) {
        lexer.Next(value);
      } else if (v != Token::kEnd && v != Token::kComma) {
        return std::unexpected(Found(value, "identifier"));
      } else {
        value.clear();
      }
      if (requirement.op == LabelRequirement::Op::kGreater ||
          requirement.op == LabelRequirement::Op::kLess) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || end != value.data() + value.size()) {
          return std::unexpected(SelectorError(
              "unable to parse requirement: values[0]: Invalid value: \"" + value +
              "\": for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      } else if (auto error = CheckValue(requirement.key, value)) {
        return std::unexpected(*error);
      }
      requirement.values = {value};
      return requirement;
    }
    default:
      return std::unexpected(
          Found(literal, "'=', '!=', '==', 'in', notin'"));
  }
}

bool Contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::string ScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_null()) return "";
  return ToJson(v);
}

}  // namespace

Result<LabelSelector> ParseLabelSelector(std::string_view text) {
  LabelSelector selector;
  Lexer lexer(text);
  std::string literal;
  if (lexer.Peek(literal) == Token::kEnd) return selector;
  for (;;) {
    KW_ASSIGN_OR_RETURN(auto requirement, ParseRequirement(lexer));
    selector.requirements.push_back(std::move(requirement));
    Token t = lexer.Next(literal);
    if (t == Token::kEnd) return selector;
    if (t != Token::kComma) return std::unexpected(Found(literal, "',' or 'end of string'"));
  }
}

bool LabelSelector::Matches(const json::value* labels) const {
  const json::object* map = labels && labels->is_object() ? &labels->get_object() : nullptr;
  for (const auto& r : requirements) {
    const json::value* v = map ? map->if_contains(r.key) : nullptr;
    std::string value = v ? ScalarText(*v) : "";
    using Op = LabelRequirement::Op;
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!v || !Contains(r.values, value)) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (v && Contains(r.values, value)) return false;
        break;
      case Op::kExists:
        if (!v) return false;
        break;
      case Op::kDoesNotExist:
        if (v) return false;
        break;
      case Op::kGreater:
      case Op::kLess: {
        if (!v) return false;
        std::int64_t have = 0, want = 0;
        auto [e1, c1] = std::from_chars(value.data(), value.data() + value.size(), have);
        if (c1 != std::errc() || e1 != value.data() + value.size()) return false;
        const std::string& w = r.values.front();
        std::from_chars(w.data(), w.data() + w.size(), want);
        if (r.op == Op::kGreater ? !(have > want) : !(have < want)) return false;
        break;
      }
    }
  }
  return true;
}

Result<FieldSelector> ParseFieldSelector(std::string_view text,
                                         const std::vector<std::string>& supported, bool custom) {
  FieldSelector selector;
  std::string_view rest = text;
  while (!rest.empty()) {
    // One term up to an unescaped comma.
    std::string term;
    std::size_t i = 0;
    for (; i < rest.size(); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) {
        term += rest[i];
        term += rest[++i];
        continue;
      }
      if (rest[i] == ',') break;
      term += rest[i];
    }
    rest = i < rest.size() ? rest.substr(i + 1) : std::string_view();
    if (term.empty()) continue;
    // The first unescaped operator splits the term.
    FieldRequirement requirement;
    std::size_t op_at = std::string::npos, op_len = 0;
    for (std::size_t j = 0; j < term.size(); ++j) {
      if (term[j] == '\\') {
        ++j;
        continue;
      }
      if (term.compare(j, 2, "!=") == 0) {
        op_at = j, op_len = 2, requirement.equals = false;
      } else if (term.compare(j, 2, "==") == 0) {
        op_at = j, op_len = 2;
      } else if (term[j] == '=') {
        op_at = j, op_len = 1;
      }
      if (op_at != std::string::npos) break;
    }
    if (op_at == std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid selector: '" + std::string(text) + "'; can't understand '" + term + "'");
    }
    requirement.path = term.substr(0, op_at);
    std::string raw = term.substr(op_at + op_len);
    for (std::size_t j = 0; j < raw.size(); ++j) {
      if (raw[j] == '\\' && j + 1 < raw.size()) {
        char next = raw[j + 1];
        if (next != '\\' && next != ',' && next != '=' && next != '!') {
          return Fail(ErrorKind::kInvalidArgument,
                      "invalid field selector: invalid escape sequence: \\" + std::string(1, next));
        }
        ++j;
      }
      requirement.value += raw[j];
    }
    if (!Contains(supported, requirement.path)) {
      if (custom) {
        std::string list;
        for (const auto& s : supported) list += (list.empty() ? "\"" : ", \"") + s + "\"";
        return Fail(ErrorKind::kInvalidArgument, "\"" + requirement.path +
                                                     "\" is not a known field selector: only " +
                                                     list);
      }
      return Fail(ErrorKind::kInvalidArgument, "field label not supported: " + requirement.path);
    }
    selector.requirements.push_back(std::move(requirement));
  }
  return selector;
}

std::string FieldValue(const json::object& object, std::string_view path) {
  const json::value* at = nullptr;
  const json::object* cursor = &object;
  while (cursor) {
    std::size_t dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    at = cursor->if_contains(key);
    if (!at) return "";
    if (dot == std::string_view::npos) return ScalarText(*at);
    path.remove_prefix(dot + 1);
    cursor = at->if_object();
  }
  return "";
}

bool FieldSelector::Matches(const json::object& object) const {
  for (const auto& r : requirements) {
    if ((FieldValue(object, r.path) == r.value) != r.equals) return false;
  }
  return true;
}

const std::string* FieldSelector::Pinned(std::string_view path) const {
  for (const auto& r : requirements) {
    if (r.equals && r.path == path) return &r.value;
  }
  return nullptr;
}

}  // namespace kw::kube_double
