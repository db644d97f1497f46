#include "yaml.h"

#include <cstdlib>
#include <vector>

#include "scalars.h"

namespace kyverno {
namespace {

struct Line {
  int number;         // 1-based
  int indent;         // columns of leading spaces
  std::string text;   // after the indentation, comment and trailing blanks removed
  std::string raw;    // the whole line (for block scalars)
};

// Removes a comment (" #" or a leading "#") outside quotes, and trailing blanks.
std::string StripComment(std::string_view s) {
  char quote = 0;
  std::size_t end = s.size();
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
      end = i;
      break;
    } else if ((c == '"' || c == '\'') && (i == 0 || std::string_view(" \t[{,:-").find(s[i - 1]) != std::string_view::npos)) {
      quote = c;
    }
  }
  while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r')) --end;
  return std::string(s.substr(0, end));
}

std::optional<Value> ResolvePlain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  for (std::string_view t : kTrue) {
    if (s == t) return Value(true);
  }
  for (std::string_view f : kFalse) {
    if (s == f) return Value(false);
  }
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o')) {
    int base = body[1] == 'x' ? 16 : 8;
    std::string_view digits = body.substr(2);
    UnsignedPrefix n = ParseUnsignedPrefix(digits, base);
    if (n.length == digits.size()) return Value(negative ? -static_cast<double>(n.value) : static_cast<double>(n.value));
  }
  if (body.size() > 1 && body[0] == '0' && body.find_first_not_of("01234567") == std::string_view::npos) {
    // YAML 1.1 octal (0755), as go-yaml v2 reads it.
    double n = static_cast<double>(ParseUnsignedPrefix(body, 8).value);
    return Value(negative ? -n : n);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN") {
    return std::nullopt;  // JSON cannot carry them; treated as an error by the caller
  }
  if (std::optional<double> n = ParseNumber(s)) {
    if (s.find_first_of("0123456789") != std::string_view::npos) return Value(*n);
  }
  return Value(std::string(s));
}

class Reader {
 public:
  Reader(std::string_view text, std::string* error) : error_(error) {
    int number = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t nl = text.find('\n', pos);
      std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      ++number;
      int indent = 0;
      while (static_cast<std::size_t>(indent) < raw.size() && raw[indent] == ' ') ++indent;
      lines_.push_back(Line{number, indent, StripComment(raw.substr(indent)), std::string(raw)});
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
  }

  bool Document(Value* out) {
    Skip();
    if (i_ < lines_.size() && lines_[i_].indent == 0 && (lines_[i_].text == "---" || lines_[i_].text.starts_with("--- "))) {
      std::string rest = lines_[i_].text.substr(3);
      if (rest.find_first_not_of(' ') != std::string::npos) return Fail(lines_[i_].number, "content after '---' is not supported");
      ++i_;
      Skip();
    }
    if (i_ >= lines_.size()) {
      *out = Value();
      return true;
    }
    if (!Node(0, 0, out)) return false;
    Skip();
    if (i_ < lines_.size()) {
      if (lines_[i_].text == "---" || lines_[i_].text == "...") return true;  // later documents are ignored
      return Fail(lines_[i_].number, "did not find expected key");
    }
    return true;
  }

 private:
  void Skip() {
    while (i_ < lines_.size() && lines_[i_].text.empty()) ++i_;
  }

  bool Fail(int line, std::string_view reason) {
    if (error_->empty()) *error_ = "yaml: line " + std::to_string(line) + ": " + std::string(reason);
    return false;
  }

  static bool IsSequenceItem(std::string_view t) { return t == "-" || t.starts_with("- "); }

  // Where a "key:" ends in a line (the colon's index), or npos when the line is not a mapping entry.
  static std::size_t KeyColon(std::string_view t) {
    if (t.empty() || t[0] == '[' || t[0] == '{') return std::string_view::npos;
    std::size_t i = 0;
    if (t[0] == '"' || t[0] == '\'') {
      char q = t[0];
      for (i = 1; i < t.size(); ++i) {
        if (q == '"' && t[i] == '\\') {
          ++i;
        } else if (t[i] == q) {
          if (q == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
      }
      ++i;
      while (i < t.size() && t[i] == ' ') ++i;
      return i < t.size() && t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ') ? i : std::string_view::npos;
    }
    for (; i < t.size(); ++i) {
      if (t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ' || t[i + 1] == '\t')) return i;
    }
    return std::string_view::npos;
  }

  bool Node(int min_indent, int depth, Value* out) {
    if (depth > kMaxYamlDepth) return Fail(lines_[i_].number, "exceeded max depth");
    Skip();
    if (i_ >= lines_.size() || lines_[i_].indent < min_indent) {
      *out = Value();
      return true;
    }
    const Line& line = lines_[i_];
    if (IsSequenceItem(line.text)) return Sequence(line.indent, depth, out);
    if (KeyColon(line.text) != std::string_view::npos) return Mapping(line.indent, depth, out);
    return Inline(line.indent - 1, depth, std::string(line.text), out);
  }

  bool Sequence(int indent, int depth, Value* out) {
    Array items;
    while (true) {
      Skip();
      if (i_ >= lines_.size() || lines_[i_].indent != indent || !IsSequenceItem(lines_[i_].text)) break;
      Line& line = lines_[i_];
      std::size_t rest = line.text.find_first_not_of(' ', 1);
      items.emplace_back();
      if (rest == std::string::npos) {
        ++i_;
        Skip();
        if (i_ < lines_.size() && lines_[i_].indent > indent) {
          if (!Node(indent + 1, depth + 1, &items.back())) return false;
        }
        continue;
      }
      // "- content": the content is a node of its own, indented where it starts.
      line.indent += static_cast<int>(rest);
      line.text = line.text.substr(rest);
      if (!Node(line.indent, depth + 1, &items.back())) return false;
    }
    if (i_ < lines_.size() && lines_[i_].indent > indent && !lines_[i_].text.empty()) {
      return Fail(lines_[i_].number, "did not find expected '-' indicator");
    }
    *out = Value(std::move(items));
    return true;
  }

  bool Key(std::string_view text, int line, std::string* key) {
    if (text.empty()) return Fail(line, "empty mapping key");
    if (text[0] == '"' || text[0] == '\'') {
      std::size_t end = 0;
      return Quoted(text, line, &end, key);
    }
    if (text[0] == '&' || text[0] == '*' || text[0] == '!' || text[0] == '?') return Fail(line, "anchors, aliases, tags and complex keys are not supported");
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    // A plain key resolves like a value; JSON keys are text ("n" → false → "false").
    std::optional<Value> resolved = ResolvePlain(text);
    *key = resolved ? (resolved->is_null() ? "null" : ScalarText(*resolved)) : std::string(text);
    return true;
  }

  bool Mapping(int indent, int depth, Value* out) {
    Object members;
    while (true) {
      Skip();
      if (i_ >= lines_.size() || lines_[i_].indent < indent) break;
      const Line& line = lines_[i_];
      if (line.indent > indent) return Fail(line.number, "mapping values are not allowed in this context");
      if (IsSequenceItem(line.text)) break;
      std::size_t colon = KeyColon(line.text);
      if (colon == std::string_view::npos) return Fail(line.number, "could not find expected ':'");
      std::string key;
      if (!Key(std::string_view(line.text).substr(0, colon), line.number, &key)) return false;
      if (key == "<<") return Fail(line.number, "merge keys are not supported");
      int number = line.number;
      std::string rest = line.text.substr(colon + 1);
      std::size_t first = rest.find_first_not_of(' ');
      rest = first == std::string::npos ? "" : rest.substr(first);
      Value value;
      if (rest.empty()) {
        ++i_;
        Skip();
        if (i_ < lines_.size() && (lines_[i_].indent > indent || (lines_[i_].indent == indent && IsSequenceItem(lines_[i_].text)))) {
          if (!Node(lines_[i_].indent, depth + 1, &value)) return false;
        }
      } else if (rest[0] == '|' || rest[0] == '>') {
        if (!BlockScalar(indent, rest, &value)) return false;
      } else {
        if (!Inline(indent, depth, rest, &value)) return false;
      }
      if (members.count(key) != 0) {
        return Fail(number, "key \"" + key + "\" already set in map");
      }
      members.emplace(std::move(key), std::move(value));
    }
    *out = Value(std::move(members));
    return true;
  }

  // A value written after "key: " or "- " (or alone), continued on lines indented more than
  // `parent_indent` (plain multi-line scalars, flow collections and quoted strings may wrap).
  bool Inline(int parent_indent, int depth, std::string text, Value* out) {
    int number = lines_[i_].number;
    ++i_;
    if (text[0] == '&' || text[0] == '*' || text[0] == '!') return Fail(number, "anchors, aliases and tags are not supported");
    auto continuation = [&]() {
      return i_ < lines_.size() && (lines_[i_].text.empty() || lines_[i_].indent > parent_indent);
    };
    if (text[0] == '[' || text[0] == '{' || text[0] == '"' || text[0] == '\'') {
      // Gather continuation lines until the text parses as one whole node.
      while (true) {
        std::size_t end = 0;
        std::string probe_error;
        std::string* saved = error_;
        error_ = &probe_error;
        Value v;
        bool ok = Flow(text, 0, depth, &end, &v);
        error_ = saved;
        if (ok) {
          std::size_t tail = text.find_first_not_of(' ', end);
          if (tail != std::string::npos) return Fail(number, "did not find expected <document start>");
          *out = std::move(v);
          return true;
        }
        if (!continuation()) return Fail(number, probe_error.empty() ? "did not find expected node content" : probe_error);
        std::string next = lines_[i_].text.empty() ? "" : lines_[i_].raw.substr(lines_[i_].indent);
        if (text[0] != '"' && text[0] != '\'') next = StripComment(next);
        text += text[0] == '"' || text[0] == '\'' ? (next.empty() ? "\n" : " ") + next : " " + next;
        ++i_;
      }
    }
    while (continuation()) {
      Skip();
      if (i_ >= lines_.size() || lines_[i_].indent <= parent_indent) break;
      if (KeyColon(lines_[i_].text) != std::string_view::npos) return Fail(lines_[i_].number, "mapping values are not allowed in this context");
      text += " " + lines_[i_].text;
      ++i_;
    }
    if (KeyColon(text) != std::string_view::npos) return Fail(number, "mapping values are not allowed in this context");
    std::optional<Value> v = ResolvePlain(text);
    if (!v) return Fail(number, "cannot represent infinity or NaN in JSON");
    *out = std::move(*v);
    return true;
  }

  bool BlockScalar(int indent, std::string_view header, Value* out) {
    int number = lines_[i_].number;
    bool literal = header[0] == '|';
    char chomp = 0;
    int explicit_indent = 0;
    for (char c : header.substr(1)) {
      if (c == '-' || c == '+') {
        chomp = c;
      } else if (c >= '1' && c <= '9') {
        explicit_indent = c - '0';
      } else if (c != ' ') {
        return Fail(number, "did not find expected comment or line break");
      }
    }
    ++i_;
    int content_indent = explicit_indent > 0 ? indent + explicit_indent : -1;
    std::vector<std::string> body;
    while (i_ < lines_.size()) {
      const Line& line = lines_[i_];
      bool blank = line.raw.find_first_not_of(" \r") == std::string::npos;
      if (!blank) {
        if (content_indent < 0) content_indent = line.indent;
        if (line.indent < content_indent || line.indent <= indent) break;
      }
      std::string content = blank ? "" : line.raw.substr(content_indent);
      if (!content.empty() && content.back() == '\r') content.pop_back();
      body.push_back(std::move(content));
      ++i_;
    }
    std::size_t trailing = 0;
    while (!body.empty() && body.back().empty()) {
      body.pop_back();
      ++trailing;
    }
    std::string s;
    for (std::size_t k = 0; k < body.size(); ++k) {
      if (k > 0) {
        bool fold = !literal && !body[k - 1].empty() && !body[k].empty() && body[k][0] != ' ' && body[k - 1][0] != ' ';
        s += fold ? " " : "\n";
      }
      s += body[k];
    }
    if (!body.empty() && chomp != '-') s += "\n";
    if (chomp == '+') s.append(trailing, '\n');
    *out = Value(std::move(s));
    return true;
  }

  // Quoted scalar at text[0]; `end` receives the index after the closing quote.
  bool Quoted(std::string_view text, int line, std::size_t* end, std::string* out) {
    char q = text[0];
    out->clear();
    for (std::size_t i = 1; i < text.size(); ++i) {
      char c = text[i];
      if (q == '\'' && c == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          *out += '\'';
          ++i;
          continue;
        }
        *end = i + 1;
        return true;
      }
      if (q == '"' && c == '"') {
        *end = i + 1;
        return true;
      }
      if (q == '"' && c == '\\' && i + 1 < text.size()) {
        char e = text[++i];
        switch (e) {
          case 'n': *out += '\n'; break;
          case 't': *out += '\t'; break;
          case 'r': *out += '\r'; break;
          case '0': *out += '\0'; break;
          case ' ': *out += ' '; break;
          case '/': *out += '/'; break;
          case '\\': *out += '\\'; break;
          case '"': *out += '"'; break;
          case 'x': case 'u': case 'U': {
            std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (i + n >= text.size() + 0 && i + n > text.size() - 1) return Fail(line, "found invalid escape in a double-quoted scalar");
            std::string_view hex = text.substr(i + 1, n);
            UnsignedPrefix cp = ParseUnsignedPrefix(hex, 16);
            if (cp.length != hex.size() || cp.value > 0x10FFFF) return Fail(line, "found invalid escape in a double-quoted scalar");
            AppendUtf8(out, static_cast<std::uint32_t>(cp.value));
            i += n;
            break;
          }
          default: return Fail(line, "found unknown escape character while parsing a quoted scalar");
        }
        continue;
      }
      *out += c;
    }
    return Fail(line, "found unexpected end of stream while scanning a quoted scalar");
  }

  static void AppendUtf8(std::string* out, std::uint32_t cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // A flow node at text[pos]: [..], {..}, a quoted or a plain scalar (ending at , ] } or ": ").
  bool Flow(const std::string& text, std::size_t pos, int depth, std::size_t* end, Value* out) {
    int line = i_ > 0 ? lines_[i_ - 1].number : 1;
    if (depth > kMaxYamlDepth) return Fail(line, "exceeded max depth");
    auto skip = [&](std::size_t p) {
      while (p < text.size() && (text[p] == ' ' || text[p] == '\n' || text[p] == '\t')) ++p;
      return p;
    };
    pos = skip(pos);
    if (pos >= text.size()) return Fail(line, "did not find expected node content");
    char c = text[pos];
    if (c == '"' || c == '\'') {
      std::string s;
      std::size_t e = 0;
      if (!Quoted(std::string_view(text).substr(pos), line, &e, &s)) return false;
      *end = pos + e;
      *out = Value(std::move(s));
      return true;
    }
    if (c == '[' || c == '{') {
      char close = c == '[' ? ']' : '}';
      Array items;
      Object members;
      pos = skip(pos + 1);
      while (true) {
        if (pos >= text.size()) return Fail(line, "did not find expected ',' or '" + std::string(1, close) + "'");
        if (text[pos] == close) {
          *end = pos + 1;
          break;
        }
        Value item;
        std::size_t e = 0;
        if (!Flow(text, pos, depth + 1, &e, &item)) return false;
        pos = skip(e);
        if (c == '{') {
          if (pos >= text.size() || text[pos] != ':') return Fail(line, "did not find expected ':'");
          if (!item.is_string() && !item.is_number() && !item.is_bool()) return Fail(line, "invalid map key");
          Value member;
          if (!Flow(text, pos + 1, depth + 1, &e, &member)) return false;
          members.insert_or_assign(ScalarText(item), std::move(member));
          pos = skip(e);
        } else {
          items.push_back(std::move(item));
        }
        if (pos < text.size() && text[pos] == ',') {
          pos = skip(pos + 1);
        } else if (pos >= text.size() || text[pos] != close) {
          return Fail(line, "did not find expected ',' or '" + std::string(1, close) + "'");
        }
      }
      *out = c == '[' ? Value(std::move(items)) : Value(std::move(members));
      return true;
    }
    if (c == '&' || c == '*' || c == '!') return Fail(line, "anchors, aliases and tags are not supported");
    std::size_t e = pos;
    while (e < text.size() && text[e] != ',' && text[e] != ']' && text[e] != '}' &&
           !(text[e] == ':' && (e + 1 == text.size() || text[e + 1] == ' '))) {
      ++e;
    }
    std::size_t trimmed = e;
    while (trimmed > pos && (text[trimmed - 1] == ' ' || text[trimmed - 1] == '\n')) --trimmed;
    std::optional<Value> v = ResolvePlain(std::string_view(text).substr(pos, trimmed - pos));
    if (!v) return Fail(line, "cannot represent infinity or NaN in JSON");
    *end = e;
    *out = std::move(*v);
    return true;
  }

  std::vector<Line> lines_;
  std::size_t i_ = 0;
  std::string* error_;
};

}  // namespace

bool ParseYaml(std::string_view text, Value* out, std::string* error) {
  error->clear();
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    std::string json_error;
    if (ParseJson(text, out, &json_error)) return true;
  }
  if (text.find('\t') != std::string_view::npos) {
    // Tabs cannot indent YAML; reject the ones at the start of a line as go-yaml does.
    std::size_t pos = 0;
    int line = 1;
    while (pos < text.size()) {
      std::size_t k = pos;
      while (k < text.size() && text[k] == ' ') ++k;
      if (k < text.size() && text[k] == '\t') {
        *error = "error converting YAML to JSON: yaml: line " + std::to_string(line) + ": found character that cannot start any token";
        return false;
      }
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
      ++line;
    }
  }
  std::string reason;
  Reader reader(text, &reason);
  if (!reader.Document(out)) {
    *error = "error converting YAML to JSON: " + reason;
    return false;
  }
  return true;
}

}  // namespace kyverno
