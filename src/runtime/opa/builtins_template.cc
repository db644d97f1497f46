// strings.render_template: Go's text/template over the policy's variables, with
// Option("missingkey=error") and the output trimmed of surrounding white space, as OPA runs it.
//
// The subset policies use: text, actions `{{pipeline}}` with `{{-` / `-}}` trimming and
// `{{/* comments */}}`; fields `.a.b`, `.`, `$`, variables (`$x := ...`, `$x = ...`,
// `range $i, $e := ...`) with fields `$x.a`; literals (strings, raw strings, numbers, true,
// false, nil); pipelines `a | b` and parenthesized ones; if / else if / else, range (over arrays,
// sets and objects, with else, break and continue), with / else; the functions and, or, not, len,
// index, print, printf, println, eq, ne, lt, le, gt, ge.
//
// Left out, and refused with Go's "function not defined" or a parse error: define, template,
// block, html, js, urlquery, slice, call, char constants, method calls on values.
//
// Values are the policy's JSON. Go holds its numbers as json.Number (a string type): here they
// stay numbers, so `eq .n 1` compares numbers and printf's %d formats them as OPA's sprintf does,
// where Go would compare or print strings. Truth follows Go: a number from the data is true even
// when 0 (it is a non-empty json.Number text), literals false when zero.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa::internal {
namespace {

constexpr std::string_view kName = "strings.render_template";

// Bounds for a template the policy wrote over variables it chose: nesting of blocks and
// parentheses while parsing, work (commands run, elements ranged over) and output while running.
constexpr std::size_t kMaxNesting = 100;
constexpr std::size_t kMaxSteps = 1'000'000;
constexpr std::size_t kMaxOutputBytes = 16 << 20;

// --- values ---

// A value while running: a JSON value held either in the variables (no copy) or made by a
// function (owned). Literal numbers are Go ints or floats, told apart from the data's numbers
// only by how truth treats them.
struct Value {
  std::shared_ptr<const json::value> json;  // null: Go's nil (a missing field, `nil`)
  bool literal = false;

  static Value Of(json::value v, bool literal = false) {
    return {std::make_shared<const json::value>(std::move(v)), literal};
  }
  // A value inside `parent`, sharing its lifetime.
  static Value Within(const Value& parent, const json::value* inner) {
    return {std::shared_ptr<const json::value>(parent.json, inner), false};
  }
  bool nil() const { return json == nullptr || json->is_null(); }
};

// Go's fmt %v of a value decoded from JSON: strings bare, arrays `[a b]`, objects `map[k:v]`
// with sorted keys, null `<nil>`.
void AppendPrinted(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null:
      out += "<nil>";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::string:
      out += std::string_view(v.get_string());
      return;
    case json::kind::array:
    case json::kind::object:
      if (const json::array* elements = ArrayOrSetElements(v)) {
        out.push_back('[');
        for (std::size_t i = 0; i < elements->size(); ++i) {
          if (i > 0) out.push_back(' ');
          AppendPrinted((*elements)[i], out);
        }
        out.push_back(']');
        return;
      }
      {
        std::vector<const json::key_value_pair*> sorted;
        for (const auto& kv : v.get_object()) sorted.push_back(&kv);
        std::sort(sorted.begin(), sorted.end(),
                  [](auto* a, auto* b) { return a->key() < b->key(); });
        out += "map[";
        for (std::size_t i = 0; i < sorted.size(); ++i) {
          if (i > 0) out.push_back(' ');
          out += std::string_view(sorted[i]->key());
          out.push_back(':');
          AppendPrinted(sorted[i]->value(), out);
        }
        out.push_back(']');
      }
      return;
    default:
      out += NumberText(v);
  }
}

// Go's type name of a value decoded from JSON, for error messages.
std::string_view GoTypeName(const Value& v) {
  if (v.nil()) return "interface {}";
  switch (v.json->kind()) {
    case json::kind::bool_: return "bool";
    case json::kind::string: return "string";
    case json::kind::array: return "[]interface {}";
    case json::kind::object: return IsSet(*v.json) ? "[]interface {}" : "map[string]interface {}";
    default: return v.literal ? (v.json->is_double() ? "float64" : "int") : "json.Number";
  }
}

// text/template's truth: the zero value of its type is false.
bool Truth(const Value& v) {
  if (v.nil()) return false;
  const json::value& j = *v.json;
  switch (j.kind()) {
    case json::kind::bool_: return j.get_bool();
    case json::kind::string: return !j.get_string().empty();
    case json::kind::array:
    case json::kind::object:
      if (const json::array* elements = ArrayOrSetElements(j)) return !elements->empty();
      return !j.get_object().empty();
    default:
      return !v.literal || j.to_number<double>() != 0;
  }
}

// --- syntax ---

struct Pipe;

// One operand of a command.
struct Arg {
  enum class Kind { kDot, kField, kVariable, kLiteral, kFunction, kPipe } kind;
  std::string name;                 // variable ("$x", "$") or function name
  std::vector<std::string> fields;  // the chain after `.`, `$x` or `(...)`
  json::value literal;
  std::shared_ptr<Pipe> pipe;       // kPipe: a parenthesized pipeline
  std::size_t pos = 0;
  std::string text;                 // as written, for "at <...>" in errors
};

struct Command {
  std::vector<Arg> args;
};

struct Pipe {
  std::vector<std::string> variables;  // declared or assigned
  bool declare = false;                // `:=` (else `=`)
  std::vector<Command> commands;
  std::size_t pos = 0;
};

struct Node;
using List = std::vector<Node>;

struct Node {
  enum class Kind { kText, kAction, kIf, kRange, kWith, kBreak, kContinue } kind;
  std::string text;  // kText
  Pipe pipe;
  List list;
  List else_list;
};

Error ParseError(std::size_t line, std::string_view message) {
  return BuiltinError(kName, "template: template:" + std::to_string(line) + ": " + std::string(message));
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Reads a Go string literal ("..." with escapes) starting at `s[i]`; advances `i` past it.
std::optional<std::string> ReadQuoted(std::string_view s, std::size_t& i) {
  std::string out;
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c == '\n') return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case '\\': out.push_back('\\'); break;
      case '"': out.push_back('"'); break;
      case '\'': out.push_back('\''); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'v': out.push_back('\v'); break;
      default: return std::nullopt;  // \x, \u and octal escapes: not in this subset
    }
  }
  return std::nullopt;
}

// The parser: the template text split into text and actions, actions read into pipelines and
// the block structure (if/range/with ... end) into a tree.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<List> Parse() {
    List list;
    KW_ASSIGN_OR_RETURN(std::string_view end, ParseList(list, 0));
    if (!end.empty()) return std::unexpected(ParseError(line_, "unexpected {{" + std::string(end) + "}}"));
    return list;
  }

 private:
  // Parses nodes into `list` until an {{end}} or {{else ...}} (returned: "end", "else", with
  // the rest of an `else if` left in `else_rest_`) or the end of the text (returned empty).
  Result<std::string_view> ParseList(List& list, std::size_t depth) {
    if (depth > kMaxNesting) return std::unexpected(ParseError(line_, "too deeply nested"));
    while (pos_ < text_.size()) {
      std::size_t open = text_.find("{{", pos_);
      std::string_view text = text_.substr(pos_, open == std::string_view::npos ? std::string_view::npos : open - pos_);
      bool trim_left = open != std::string_view::npos && open + 3 < text_.size() &&
                       text_[open + 2] == '-' && IsSpace(text_[open + 3]);
      if (trim_left_next_) {
        while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
        trim_left_next_ = false;
      }
      if (trim_left) {
        while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
      }
      if (!text.empty()) list.push_back(Node{.kind = Node::Kind::kText, .text = std::string(text)});
      line_ += std::count(text_.begin() + pos_, open == std::string_view::npos ? text_.end() : text_.begin() + open, '\n');
      if (open == std::string_view::npos) {
        pos_ = text_.size();
        break;
      }
      std::size_t start = open + (trim_left ? 4 : 2);
      // The action ends at the first "}}" outside a string literal.
      KW_ASSIGN_OR_RETURN(std::size_t close, ActionEnd(start));
      std::size_t body_end = close;
      bool trim_right = close >= start + 2 && text_[close - 1] == '-' && IsSpace(text_[close - 2]);
      if (trim_right) body_end = close - 2;
      std::string_view body = text_.substr(start, body_end - start);
      action_pos_ = start;
      pos_ = close + 2;
      trim_left_next_ = trim_right;
      std::size_t action_line = line_;
      line_ += std::count(body.begin(), body.end(), '\n');
      KW_ASSIGN_OR_RETURN(std::optional<std::string_view> end, ParseAction(body, list, depth, action_line));
      if (end) return *end;
    }
    return std::string_view();
  }

  Result<std::size_t> ActionEnd(std::size_t start) {
    std::size_t i = start;
    // A comment: `/*` right after the delimiter, up to `*/`.
    std::size_t j = start;
    while (j < text_.size() && IsSpace(text_[j])) ++j;
    if (text_.substr(j, 2) == "/*") {
      std::size_t end = text_.find("*/", j + 2);
      if (end == std::string_view::npos) return std::unexpected(ParseError(line_, "unclosed comment"));
      i = end + 2;
    }
    while (i < text_.size()) {
      char c = text_[i];
      if (c == '"') {
        std::size_t k = i;
        if (!ReadQuoted(text_, k)) return std::unexpected(ParseError(line_, "unterminated quoted string"));
        i = k;
        continue;
      }
      if (c == '`') {
        std::size_t end = text_.find('`', i + 1);
        if (end == std::string_view::npos) return std::unexpected(ParseError(line_, "unterminated raw quoted string"));
        i = end + 1;
        continue;
      }
      if (text_.substr(i, 2) == "}}") return i;
      ++i;
    }
    return std::unexpected(ParseError(line_, "unclosed action"));
  }

  // Parses one action's body. Returns the keyword that ends the enclosing list, if it is one.
  Result<std::optional<std::string_view>> ParseAction(std::string_view body, List& list,
                                                      std::size_t depth, std::size_t line) {
    std::string_view trimmed = body;
    while (!trimmed.empty() && IsSpace(trimmed.front())) trimmed.remove_prefix(1);
    while (!trimmed.empty() && IsSpace(trimmed.back())) trimmed.remove_suffix(1);
    if (trimmed.starts_with("/*")) return std::nullopt;  // a comment
    std::string_view keyword = trimmed.substr(0, std::min(trimmed.find_first_of(" \t\r\n("), trimmed.size()));
    std::string_view rest = trimmed.substr(keyword.size());
    std::size_t rest_pos = action_pos_ + static_cast<std::size_t>(rest.data() - body.data());
    if (keyword == "end") {
      if (!TrimmedEmpty(rest)) return std::unexpected(ParseError(line, "unexpected \"" + std::string(TrimmedText(rest)) + "\" in end"));
      return std::optional<std::string_view>("end");
    }
    if (keyword == "else") {
      else_rest_ = std::string(rest);
      else_rest_pos_ = rest_pos;
      return std::optional<std::string_view>("else");
    }
    if (keyword == "if" || keyword == "range" || keyword == "with") {
      Node node{.kind = keyword == "if" ? Node::Kind::kIf : keyword == "range" ? Node::Kind::kRange : Node::Kind::kWith};
      KW_TRY(ParseBlock(node, keyword, rest, rest_pos, depth, line));
      list.push_back(std::move(node));
      return std::nullopt;
    }
    if (keyword == "break" || keyword == "continue") {
      if (range_depth_ == 0) return std::unexpected(ParseError(line, "{{" + std::string(keyword) + "}} outside {{range}}"));
      list.push_back(Node{.kind = keyword == "break" ? Node::Kind::kBreak : Node::Kind::kContinue});
      return std::nullopt;
    }
    if (keyword == "define" || keyword == "template" || keyword == "block") {
      return std::unexpected(ParseError(line, "{{" + std::string(keyword) + "}} is not supported"));
    }
    Node node{.kind = Node::Kind::kAction};
    KW_ASSIGN_OR_RETURN(node.pipe, ParsePipe(body, action_pos_, line, 0, true));
    if (node.pipe.commands.empty()) return std::unexpected(ParseError(line, "missing value for command"));
    list.push_back(std::move(node));
    return std::nullopt;
  }

  // if/range/with: the pipeline, the body, an optional else (or `else if`/`else with`), end.
  Result<void> ParseBlock(Node& node, std::string_view keyword, std::string_view header,
                          std::size_t header_pos, std::size_t depth, std::size_t line) {
    KW_ASSIGN_OR_RETURN(node.pipe, ParsePipe(header, header_pos, line, 0, true));
    if (node.pipe.commands.empty()) return std::unexpected(ParseError(line, "missing value for " + std::string(keyword)));
    if (node.kind == Node::Kind::kRange) ++range_depth_;
    auto end = ParseList(node.list, depth + 1);
    if (node.kind == Node::Kind::kRange) --range_depth_;
    if (!end) return std::unexpected(end.error());
    if (end->empty()) return std::unexpected(ParseError(line_, "unexpected EOF"));
    if (*end == "else") {
      std::string rest = std::move(else_rest_);
      std::size_t rest_pos = else_rest_pos_;
      std::string_view chained = TrimmedText(rest);
      std::string_view chained_keyword = chained.substr(0, std::min(chained.find_first_of(" \t\r\n("), chained.size()));
      if (!chained.empty() && chained_keyword == keyword && keyword != "range") {
        // `{{else if x}}`: a nested block that shares this one's {{end}}.
        Node nested{.kind = node.kind};
        std::size_t offset = static_cast<std::size_t>(chained.data() - rest.data()) + chained_keyword.size();
        KW_TRY(ParseBlock(nested, keyword, std::string_view(rest).substr(offset), rest_pos + offset, depth + 1, line_));
        node.else_list.push_back(std::move(nested));
        return {};
      }
      if (!chained.empty()) return std::unexpected(ParseError(line_, "unexpected \"" + std::string(chained) + "\" in else"));
      KW_ASSIGN_OR_RETURN(std::string_view final_end, ParseList(node.else_list, depth + 1));
      if (final_end != "end") {
        return std::unexpected(ParseError(line_, final_end.empty() ? "unexpected EOF" : "expected end; found {{else}}"));
      }
    }
    return {};
  }

  static bool TrimmedEmpty(std::string_view s) { return TrimmedText(s).empty(); }
  static std::string_view TrimmedText(std::string_view s) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
    return s;
  }

  // A pipeline: optional `$x :=` / `$x, $y :=` (when `declarations`), then commands split by
  // `|`. `base` is the offset of `s` in the template (for positions in errors).
  Result<Pipe> ParsePipe(std::string_view s, std::size_t base, std::size_t line, std::size_t depth,
                         bool declarations) {
    if (depth > kMaxNesting) return std::unexpected(ParseError(line, "too deeply nested"));
    Pipe pipe;
    pipe.pos = base;
    std::size_t i = 0;
    if (declarations) {
      // Look for `$a :=`, `$a =` or `$a, $b :=` at the start.
      std::size_t j = i;
      std::vector<std::string> names;
      for (;;) {
        while (j < s.size() && IsSpace(s[j])) ++j;
        if (j >= s.size() || s[j] != '$') break;
        std::size_t k = j + 1;
        while (k < s.size() && IsAlnum(s[k])) ++k;
        names.emplace_back(s.substr(j, k - j));
        j = k;
        while (j < s.size() && IsSpace(s[j])) ++j;
        if (j < s.size() && s[j] == ',' && names.size() == 1) {
          ++j;
          continue;
        }
        break;
      }
      if (!names.empty() && j < s.size()) {
        if (s.substr(j, 2) == ":=") {
          pipe.declare = true;
          pipe.variables = names;
          i = j + 2;
        } else if (s[j] == '=' && s.substr(j, 2) != "==") {
          pipe.variables = names;
          i = j + 1;
        }
      }
    }
    Command command;
    while (true) {
      while (i < s.size() && IsSpace(s[i])) ++i;
      if (i >= s.size()) break;
      if (s[i] == '|') {
        if (command.args.empty()) return std::unexpected(ParseError(line, "missing value for command"));
        pipe.commands.push_back(std::move(command));
        command = {};
        ++i;
        continue;
      }
      KW_ASSIGN_OR_RETURN(Arg arg, ParseArg(s, i, base, line, depth));
      command.args.push_back(std::move(arg));
    }
    if (!command.args.empty()) {
      pipe.commands.push_back(std::move(command));
    } else if (!pipe.commands.empty()) {
      return std::unexpected(ParseError(line, "missing value for command"));
    }
    if (pipe.commands.empty() && !pipe.variables.empty()) {
      return std::unexpected(ParseError(line, "missing value for command"));
    }
    for (std::size_t c = 0; c < pipe.commands.size(); ++c) {
      const Arg& first = pipe.commands[c].args.front();
      if (first.kind != Arg::Kind::kFunction && pipe.commands[c].args.size() > 1) {
        return std::unexpected(ParseError(line, "can't give argument to non-function " + first.text));
      }
      if (c > 0 && first.kind == Arg::Kind::kLiteral) {
        return std::unexpected(ParseError(line, "non executable command in pipeline stage " + std::to_string(c + 1)));
      }
    }
    return pipe;
  }

  // A `.a.b` chain at s[i] (s[i] == '.'); empty when it is `.` alone.
  static std::vector<std::string> ReadFields(std::string_view s, std::size_t& i) {
    std::vector<std::string> fields;
    while (i < s.size() && s[i] == '.' && i + 1 < s.size() && IsAlnum(s[i + 1])) {
      std::size_t k = i + 1;
      while (k < s.size() && IsAlnum(s[k])) ++k;
      fields.emplace_back(s.substr(i + 1, k - i - 1));
      i = k;
    }
    return fields;
  }

  Result<Arg> ParseArg(std::string_view s, std::size_t& i, std::size_t base, std::size_t line,
                       std::size_t depth) {
    Arg arg;
    arg.pos = base + i;
    std::size_t start = i;
    char c = s[i];
    if (c == '(') {
      // The matching parenthesis, outside string literals.
      std::size_t level = 0, k = i;
      for (; k < s.size(); ++k) {
        if (s[k] == '"') {
          std::size_t q = k;
          if (!ReadQuoted(s, q)) return std::unexpected(ParseError(line, "unterminated quoted string"));
          k = q - 1;
        } else if (s[k] == '`') {
          k = s.find('`', k + 1);
          if (k == std::string_view::npos) return std::unexpected(ParseError(line, "unterminated raw quoted string"));
        } else if (s[k] == '(') {
          ++level;
        } else if (s[k] == ')' && --level == 0) {
          break;
        }
      }
      if (k >= s.size()) return std::unexpected(ParseError(line, "unclosed left paren"));
      auto inner = std::make_shared<Pipe>();
      KW_ASSIGN_OR_RETURN(*inner, ParsePipe(s.substr(i + 1, k - i - 1), base + i + 1, line, depth + 1, false));
      if (inner->commands.empty()) return std::unexpected(ParseError(line, "missing value for parenthesized pipeline"));
      arg.kind = Arg::Kind::kPipe;
      arg.pipe = std::move(inner);
      i = k + 1;
      arg.fields = ReadFields(s, i);
    } else if (c == '.') {
      arg.fields = ReadFields(s, i);
      if (arg.fields.empty()) {
        ++i;
        arg.kind = Arg::Kind::kDot;
      } else {
        arg.kind = Arg::Kind::kField;
      }
    } else if (c == '$') {
      std::size_t k = i + 1;
      while (k < s.size() && IsAlnum(s[k])) ++k;
      arg.kind = Arg::Kind::kVariable;
      arg.name = std::string(s.substr(i, k - i));
      i = k;
      arg.fields = ReadFields(s, i);
    } else if (c == '"') {
      auto text = ReadQuoted(s, i);
      if (!text) return std::unexpected(ParseError(line, "unterminated quoted string"));
      arg.kind = Arg::Kind::kLiteral;
      arg.literal = json::string(*text);
    } else if (c == '`') {
      std::size_t end = s.find('`', i + 1);
      if (end == std::string_view::npos) return std::unexpected(ParseError(line, "unterminated raw quoted string"));
      arg.kind = Arg::Kind::kLiteral;
      arg.literal = json::string(s.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
      std::size_t k = i + 1;
      while (k < s.size() && (IsAlnum(s[k]) || s[k] == '.' || ((s[k] == '-' || s[k] == '+') && (s[k - 1] == 'e' || s[k - 1] == 'E')))) ++k;
      std::string_view number = s.substr(i, k - i);
      auto parsed = ParseJson(number.starts_with('+') ? number.substr(1) : number);
      if (!parsed || !parsed->is_number()) {
        return std::unexpected(ParseError(line, "bad number syntax: \"" + std::string(number) + "\""));
      }
      arg.kind = Arg::Kind::kLiteral;
      arg.literal = std::move(*parsed);
      i = k;
    } else if (IsAlnum(c)) {
      std::size_t k = i;
      while (k < s.size() && IsAlnum(s[k])) ++k;
      std::string word(s.substr(i, k - i));
      i = k;
      if (word == "true" || word == "false") {
        arg.kind = Arg::Kind::kLiteral;
        arg.literal = word == "true";
      } else if (word == "nil") {
        arg.kind = Arg::Kind::kLiteral;
      } else if (IsFunction(word)) {
        arg.kind = Arg::Kind::kFunction;
        arg.name = word;
      } else {
        return std::unexpected(ParseError(line, "function \"" + word + "\" not defined"));
      }
    } else {
      return std::unexpected(ParseError(line, "unexpected \"" + std::string(1, c) + "\" in command"));
    }
    arg.text = std::string(s.substr(start, i - start));
    if (i < s.size() && !IsSpace(s[i]) && s[i] != '|' && s[i] != ')') {
      return std::unexpected(ParseError(line, "unexpected \"" + std::string(1, s[i]) + "\" in operand"));
    }
    return arg;
  }

  static bool IsFunction(std::string_view name) {
    for (std::string_view f : {"and", "or", "not", "len", "index", "print", "printf", "println",
                               "eq", "ne", "lt", "le", "gt", "ge"}) {
      if (f == name) return true;
    }
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t action_pos_ = 0;
  bool trim_left_next_ = false;
  std::string else_rest_;
  std::size_t else_rest_pos_ = 0;
  std::size_t range_depth_ = 0;
};

// --- execution ---

enum class Flow { kNormal, kBreak, kContinue };

class Executor {
 public:
  Executor(std::string_view text, Value data) : text_(text), dot_(data) {
    variables_.emplace_back("$", std::move(data));
  }

  Result<std::string> Run(const List& list) {
    // A {{break}} or {{continue}} only parses inside a range, so the flow here is normal.
    KW_ASSIGN_OR_RETURN(Flow flow, RunList(list, dot_));
    (void)flow;
    return std::move(out_);
  }

 private:
  // Go's ExecError: "template: template:<line>:<col>: executing "template" at <node>: ...".
  Error ExecError(std::size_t pos, std::string_view node, std::string_view message) const {
    std::string_view before = text_.substr(0, std::min(pos, text_.size()));
    std::size_t line = 1 + std::count(before.begin(), before.end(), '\n');
    std::size_t newline = before.rfind('\n');
    std::size_t column = newline == std::string_view::npos ? pos : pos - newline - 1;
    return BuiltinError(kName, "template: template:" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": executing \"template\" at <" +
                                   std::string(node) + ">: " + std::string(message));
  }

  Result<void> Step(std::size_t pos, std::string_view node) {
    if (++steps_ > kMaxSteps) return std::unexpected(ExecError(pos, node, "too much work"));
    return {};
  }

  Result<Flow> RunList(const List& list, const Value& dot) {
    for (const Node& node : list) {
      KW_ASSIGN_OR_RETURN(Flow flow, RunNode(node, dot));
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Result<Flow> RunNode(const Node& node, const Value& dot) {
    switch (node.kind) {
      case Node::Kind::kText:
        KW_TRY(Write(node.text, 0));
        return Flow::kNormal;
      case Node::Kind::kBreak:
        return Flow::kBreak;
      case Node::Kind::kContinue:
        return Flow::kContinue;
      case Node::Kind::kAction: {
        KW_ASSIGN_OR_RETURN(Value v, RunPipe(node.pipe, dot));
        if (node.pipe.variables.empty()) {
          std::string printed;
          if (v.nil()) {  // a nil interface: Go prints what is missing, not <nil>
            printed = "<no value>";
          } else {
            AppendPrinted(*v.json, printed);
          }
          KW_TRY(Write(printed, node.pipe.pos));
        }
        return Flow::kNormal;
      }
      case Node::Kind::kIf:
      case Node::Kind::kWith: {
        std::size_t mark = variables_.size();
        KW_ASSIGN_OR_RETURN(Value v, RunPipe(node.pipe, dot));
        Result<Flow> flow = Flow::kNormal;
        if (Truth(v)) {
          flow = RunList(node.list, node.kind == Node::Kind::kWith ? v : dot);
        } else {
          flow = RunList(node.else_list, dot);
        }
        variables_.resize(mark);
        return flow;
      }
      case Node::Kind::kRange:
        return RunRange(node, dot);
    }
    return Flow::kNormal;
  }

  Result<Flow> RunRange(const Node& node, const Value& dot) {
    std::size_t mark = variables_.size();
    // The variables a range declares take each key and element, not the pipeline's value.
    Pipe pipe = node.pipe;
    std::vector<std::string> names = std::move(pipe.variables);
    pipe.variables.clear();
    KW_ASSIGN_OR_RETURN(Value v, RunPipe(pipe, dot));
    std::vector<std::pair<Value, Value>> items;  // key or index, element
    if (!v.nil()) {
      if (const json::array* elements = ArrayOrSetElements(*v.json)) {
        for (std::size_t i = 0; i < elements->size(); ++i) {
          items.emplace_back(Value::Of(static_cast<std::int64_t>(i), true), Value::Within(v, &(*elements)[i]));
        }
      } else if (v.json->is_object()) {
        std::vector<const json::key_value_pair*> sorted;
        for (const auto& kv : v.json->get_object()) sorted.push_back(&kv);
        std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
        for (const auto* kv : sorted) {
          items.emplace_back(Value::Of(json::string(kv->key())), Value::Within(v, &kv->value()));
        }
      } else {
        std::string printed;
        AppendPrinted(*v.json, printed);
        return std::unexpected(ExecError(node.pipe.pos, "range", "range can't iterate over " + printed));
      }
    }
    if (items.empty()) {
      auto flow = RunList(node.else_list, dot);
      variables_.resize(mark);
      return flow;
    }
    for (auto& [key, element] : items) {
      KW_TRY(Step(node.pipe.pos, "range"));
      variables_.resize(mark);
      if (names.size() == 1) {
        variables_.emplace_back(names[0], element);
      } else if (names.size() == 2) {
        variables_.emplace_back(names[0], key);
        variables_.emplace_back(names[1], element);
      }
      KW_ASSIGN_OR_RETURN(Flow flow, RunList(node.list, element));
      if (flow == Flow::kBreak) break;
    }
    variables_.resize(mark);
    return Flow::kNormal;
  }

  Result<void> Write(std::string_view text, std::size_t pos) {
    if (out_.size() + text.size() > kMaxOutputBytes) {
      return std::unexpected(ExecError(pos, "", "the output is too large"));
    }
    out_ += text;
    return {};
  }

  Result<Value> RunPipe(const Pipe& pipe, const Value& dot) {
    std::optional<Value> last;
    for (const Command& command : pipe.commands) {
      KW_ASSIGN_OR_RETURN(Value v, RunCommand(command, dot, last));
      last = std::move(v);
    }
    Value result = last.value_or(Value{});
    if (!pipe.variables.empty()) {
      if (pipe.declare) {
        variables_.emplace_back(pipe.variables[0], result);
      } else {
        auto it = std::find_if(variables_.rbegin(), variables_.rend(),
                               [&](const auto& v) { return v.first == pipe.variables[0]; });
        if (it == variables_.rend()) {
          return std::unexpected(ExecError(pipe.pos, pipe.variables[0], "undefined variable: " + pipe.variables[0]));
        }
        it->second = result;
      }
    }
    return result;
  }

  // `final`: the previous command's result, passed as the last argument.
  Result<Value> RunCommand(const Command& command, const Value& dot, const std::optional<Value>& final) {
    const Arg& first = command.args.front();
    KW_TRY(Step(first.pos, first.text));
    if (first.kind != Arg::Kind::kFunction) {
      if (final) {
        return std::unexpected(ExecError(first.pos, first.text, "can't give argument to non-function " + first.text));
      }
      return Evaluate(first, dot);
    }
    std::vector<Value> args;
    for (std::size_t i = 1; i < command.args.size(); ++i) {
      // and/or stop at the first argument that decides.
      KW_ASSIGN_OR_RETURN(Value v, Evaluate(command.args[i], dot));
      if ((first.name == "and" && !Truth(v)) || (first.name == "or" && Truth(v))) return v;
      args.push_back(std::move(v));
    }
    if (final) args.push_back(*final);
    return Call(first, args);
  }

  Result<Value> Evaluate(const Arg& arg, const Value& dot) {
    switch (arg.kind) {
      case Arg::Kind::kDot:
        return dot;
      case Arg::Kind::kField:
        return Fields(arg, dot);
      case Arg::Kind::kVariable: {
        auto it = std::find_if(variables_.rbegin(), variables_.rend(),
                               [&](const auto& v) { return v.first == arg.name; });
        if (it == variables_.rend()) {
          return std::unexpected(ExecError(arg.pos, arg.text, "undefined variable: " + arg.name));
        }
        return Fields(arg, it->second);
      }
      case Arg::Kind::kLiteral:
        if (arg.literal.is_null()) return Value{};
        return Value::Of(arg.literal, true);
      case Arg::Kind::kPipe: {
        KW_ASSIGN_OR_RETURN(Value v, RunPipe(*arg.pipe, dot));
        return Fields(arg, v);
      }
      case Arg::Kind::kFunction:
        return Call(arg, {});
    }
    return Value{};
  }

  // Follows arg.fields from `base`: a missing key is an error (missingkey=error).
  Result<Value> Fields(const Arg& arg, Value base) {
    for (const std::string& field : arg.fields) {
      if (base.json == nullptr || base.json->is_null()) {
        return std::unexpected(ExecError(arg.pos, arg.text, "nil pointer evaluating interface {}." + field));
      }
      if (!base.json->is_object() || IsSet(*base.json)) {
        return std::unexpected(ExecError(arg.pos, arg.text,
                                         "can't evaluate field " + field + " in type " + std::string(GoTypeName(base))));
      }
      const json::value* inner = base.json->get_object().if_contains(field);
      if (inner == nullptr) {
        return std::unexpected(ExecError(arg.pos, arg.text, "map has no entry for key " + GoQuote(field)));
      }
      base = Value::Within(base, inner);
    }
    return base;
  }

  Error CallError(const Arg& fn, std::string_view message) const {
    return ExecError(fn.pos, fn.name, "error calling " + fn.name + ": " + std::string(message));
  }

  Result<Value> Call(const Arg& fn, const std::vector<Value>& args) {
    const std::string& name = fn.name;
    auto want = [&](std::size_t n) -> Result<void> {
      if (args.size() == n) return {};
      return std::unexpected(ExecError(fn.pos, fn.name, "wrong number of args for " + name + ": want " +
                                                            std::to_string(n) + " got " + std::to_string(args.size())));
    };
    if (name == "and" || name == "or") {
      if (args.empty()) {
        return std::unexpected(ExecError(fn.pos, fn.name, "wrong number of args for " + name + ": want at least 1 got 0"));
      }
      return args.back();  // every earlier one was not decisive
    }
    if (name == "not") {
      KW_TRY(want(1));
      return Value::Of(!Truth(args[0]), true);
    }
    if (name == "len") {
      KW_TRY(want(1));
      const Value& v = args[0];
      if (!v.nil()) {
        if (v.json->is_string()) return Value::Of(static_cast<std::int64_t>(v.json->get_string().size()), true);
        if (const json::array* elements = ArrayOrSetElements(*v.json)) {
          return Value::Of(static_cast<std::int64_t>(elements->size()), true);
        }
        if (v.json->is_object()) return Value::Of(static_cast<std::int64_t>(v.json->get_object().size()), true);
        if (!v.literal && v.json->is_number()) {  // a json.Number's text
          return Value::Of(static_cast<std::int64_t>(NumberText(*v.json).size()), true);
        }
      }
      return std::unexpected(CallError(fn, "len of type " + std::string(GoTypeName(v))));
    }
    if (name == "index") {
      if (args.empty()) return std::unexpected(ExecError(fn.pos, fn.name, "wrong number of args for index: want at least 1 got 0"));
      Value v = args[0];
      for (std::size_t i = 1; i < args.size(); ++i) {
        KW_ASSIGN_OR_RETURN(v, Index(fn, v, args[i]));
      }
      return v;
    }
    if (name == "print" || name == "println" || name == "printf") {
      return Print(fn, args);
    }
    // Comparisons.
    if (name == "eq") {
      if (args.size() < 2) return std::unexpected(CallError(fn, "missing argument for comparison"));
      for (std::size_t i = 1; i < args.size(); ++i) {
        KW_ASSIGN_OR_RETURN(int c, Compare(fn, args[0], args[i], true));
        if (c == 0) return Value::Of(true, true);
      }
      return Value::Of(false, true);
    }
    KW_TRY(want(2));
    KW_ASSIGN_OR_RETURN(int c, Compare(fn, args[0], args[1], name == "ne"));
    bool result = name == "ne" ? c != 0 : name == "lt" ? c < 0 : name == "le" ? c <= 0 : name == "gt" ? c > 0 : c >= 0;
    return Value::Of(result, true);
  }

  Result<Value> Index(const Arg& fn, const Value& v, const Value& key) {
    if (v.nil()) return std::unexpected(CallError(fn, "index of untyped nil"));
    if (const json::array* elements = ArrayOrSetElements(*v.json)) {
      if (key.nil() || !key.json->is_number()) {
        return std::unexpected(CallError(fn, "cannot index slice/array with type " + std::string(GoTypeName(key))));
      }
      // An integer: a Go int literal or a data number without fraction (both index in Go,
      // one as int, the other converted from json.Number's text).
      if (key.json->is_double()) {
        // Go reads a literal with a dot or exponent as a float64, which does not index.
        double d = key.json->get_double();
        if (key.literal || !(d == std::trunc(d) && std::fabs(d) < 9e18)) {
          return std::unexpected(CallError(fn, "cannot index slice/array with type " + std::string(GoTypeName(key))));
        }
      }
      const std::int64_t i = key.json->is_uint64() ? INT64_MAX
                             : key.json->is_double() ? static_cast<std::int64_t>(key.json->get_double())
                                                     : key.json->get_int64();
      if (i < 0 || static_cast<std::size_t>(i) >= elements->size()) {
        return std::unexpected(CallError(fn, "index out of range: " + std::to_string(i)));
      }
      return Value::Within(v, &(*elements)[static_cast<std::size_t>(i)]);
    }
    if (v.json->is_object()) {
      if (key.nil() || !key.json->is_string()) {
        return std::unexpected(CallError(fn, "value has type " + std::string(GoTypeName(key)) + "; should be string"));
      }
      const json::value* inner = v.json->get_object().if_contains(key.json->get_string());
      if (inner == nullptr) return Value{};  // index gives the zero value, as Go's does for a map
      return Value::Within(v, inner);
    }
    return std::unexpected(CallError(fn, "can't index item of type " + std::string(GoTypeName(v))));
  }

  // Orders two basic values: numbers with numbers, strings with strings, booleans for eq/ne.
  Result<int> Compare(const Arg& fn, const Value& a, const Value& b, bool equality) {
    auto basic = [](const Value& v) { return !v.nil() && !v.json->is_array() && !v.json->is_object(); };
    if (!basic(a) || !basic(b)) {
      if (equality && a.nil() && b.nil()) return 0;
      return std::unexpected(CallError(fn, "invalid type for comparison"));
    }
    const json::value& x = *a.json;
    const json::value& y = *b.json;
    if (x.is_number() && y.is_number()) {
      double dx = x.to_number<double>(), dy = y.to_number<double>();
      return dx < dy ? -1 : dx > dy ? 1 : 0;
    }
    if (x.is_string() && y.is_string()) {
      int c = std::string_view(x.get_string()).compare(std::string_view(y.get_string()));
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    if (x.is_bool() && y.is_bool()) {
      if (!equality) return std::unexpected(CallError(fn, "invalid type for comparison"));
      return x.get_bool() == y.get_bool() ? 0 : 1;
    }
    return std::unexpected(CallError(fn, "incompatible types for comparison"));
  }

  // print: fmt.Sprint (a space between operands when neither is a string); println: spaces
  // always and a newline; printf: Go's fmt through OPA's sprintf.
  Result<Value> Print(const Arg& fn, const std::vector<Value>& args) {
    auto printed = [](const Value& v) {
      std::string s;
      if (v.json == nullptr) {
        s = "<nil>";
      } else {
        AppendPrinted(*v.json, s);
      }
      return s;
    };
    std::string out;
    if (fn.name == "printf") {
      if (args.empty() || args[0].nil() || !args[0].json->is_string()) {
        return std::unexpected(ExecError(fn.pos, fn.name, "wrong number of args for printf: want at least 1 got 0"));
      }
      json::array values;
      for (std::size_t i = 1; i < args.size(); ++i) values.push_back(args[i].json ? *args[i].json : json::value());
      json::array call{*args[0].json, json::value(std::move(values))};
      auto result = Sprintf(BuiltinContext{}, std::span<const json::value>(call.data(), call.size()));
      if (!result) return std::unexpected(CallError(fn, result.error().message));
      return Value::Of(std::move(*result), true);
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (out.size() > kMaxOutputBytes) return std::unexpected(CallError(fn, "the result is too large"));
      bool is_string = !args[i].nil() && args[i].json->is_string();
      bool previous_string = i > 0 && !args[i - 1].nil() && args[i - 1].json->is_string();
      if (i > 0 && (fn.name == "println" || (!is_string && !previous_string))) out.push_back(' ');
      out += printed(args[i]);
    }
    if (fn.name == "println") out.push_back('\n');
    return Value::Of(json::string(out), true);
  }

  std::string_view text_;
  Value dot_;
  std::vector<std::pair<std::string, Value>> variables_;
  std::string out_;
  std::size_t steps_ = 0;
};

Result<json::value> RenderTemplate(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 1));
  if (!args[1].is_object() || IsSet(args[1])) {
    return std::unexpected(OperandTypeError(kName, 2, "object", args[1]));
  }
  KW_ASSIGN_OR_RETURN(List list, Parser(text).Parse());
  Value data{std::shared_ptr<const json::value>(std::shared_ptr<const json::value>(), &args[1]), false};
  KW_ASSIGN_OR_RETURN(std::string out, Executor(text, data).Run(list));
  return json::value(json::string(TrimWhitespace(out)));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"strings.render_template", RenderTemplate},
};

}  // namespace

std::span<const BuiltinEntry> TemplateBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
