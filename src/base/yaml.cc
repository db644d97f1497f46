#include "base/yaml.h"

#include "base/utf8.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <istream>
#include <limits>
#include <optional>
#include <streambuf>
#include <system_error>

namespace kw {
namespace {

// Hostile input must exhaust neither the stack (deep nesting) nor the heap. Without aliases a
// document's JSON value is proportional to its text; every copy that anchors and aliases make is
// counted (a node and its characters), and copies may cost at most twice what the text itself
// holds: a "billion laughs" stops at a few times its size. The allowance (a few MB at most) lets
// a small document use a block of a few KB many times, as hand-written configuration does.
constexpr std::size_t kMaxDepth = 256;
constexpr std::size_t kCopiesPerWritten = 2;
constexpr std::size_t kCopiesAllowance = 256 * 1024;

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

bool IsNullWord(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> BoolWord(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// YAML 1.1 spellings that older parsers (go-yaml v2, PyYAML) still read as booleans; we never
// read them that way, but we quote them on output so that no reader misunderstands us.
bool IsYaml11BoolWord(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",
                                                "no", "No", "NO",  "on",  "On",  "ON",  "off",
                                                "Off", "OFF"};
  for (auto w : kWords) {
    if (s == w) return true;
  }
  return false;
}

std::string_view StripSign(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s;
}

// `0755`, `-012`: YAML 1.2 says these are strings, and serde_yaml agrees, while YAML 1.1 readers
// take them for octal numbers.
bool IsDigitsWithLeadingZero(std::string_view s) {
  s = StripSign(s);
  if (s.size() < 2 || s[0] != '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<json::value> IntWord(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view body = StripSign(s);
  int base = 10;
  if (body.starts_with("0x")) {
    base = 16;
  } else if (body.starts_with("0o")) {
    base = 8;
  } else if (body.starts_with("0b")) {
    base = 2;
  }
  if (base != 10) body.remove_prefix(2);
  if (body.empty() || body[0] == '+' || body[0] == '-') return std::nullopt;
  if (base == 10 && IsDigitsWithLeadingZero(body)) return std::nullopt;
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), magnitude, base);
  if (ec != std::errc() || end != body.data() + body.size()) return std::nullopt;
  constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
  if (negative) {
    if (magnitude > kInt64Max + 1) return std::nullopt;
    if (magnitude == kInt64Max + 1) return json::value(std::numeric_limits<std::int64_t>::min());
    return json::value(-static_cast<std::int64_t>(magnitude));
  }
  if (magnitude <= kInt64Max) return json::value(static_cast<std::int64_t>(magnitude));
  return json::value(magnitude);
}

// The YAML 1.2 core float syntax: [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool LooksLikeFloat(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// A float, or a non-finite double for the `.inf`/`.nan` spellings.
std::optional<double> FloatWord(std::string_view s) {
  std::string_view unsigned_part = s.starts_with('+') ? s.substr(1) : s;
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF") {
    return std::numeric_limits<double>::infinity();
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  if (!LooksLikeFloat(s) || IsDigitsWithLeadingZero(s)) return std::nullopt;
  double d = 0;
  auto [end, ec] =
      std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(), d);
  if (ec != std::errc() || end != unsigned_part.data() + unsigned_part.size()) return std::nullopt;
  // Out-of-range literals such as 1e999 stay strings, as in serde_yaml.
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

json::value ResolvePlain(std::string_view s) {
  if (IsNullWord(s)) return nullptr;
  if (auto b = BoolWord(s)) return *b;
  if (auto i = IntWord(s)) return *i;
  if (auto d = FloatWord(s)) {
    if (!std::isfinite(*d)) return nullptr;  // JSON has no infinities or NaN
    return *d;
  }
  return json::string(s);
}

// `first_line` is where the parsed text starts within the whole input (documents of a stream are
// parsed one by one), so that errors give lines of the file.
Error ErrorAt(std::string_view what, std::string_view reason, const YAML::Mark& mark,
              std::size_t first_line) {
  std::string msg = std::string(what) + ": " + std::string(reason);
  if (!mark.is_null()) {
    msg += " at line " + std::to_string(first_line + static_cast<std::size_t>(mark.line) + 1) +
           " column " + std::to_string(mark.column + 1);
  }
  return Error(ErrorKind::kInvalidArgument, std::move(msg));
}

// yaml-cpp reads from a std::istream; this one reads the text in place rather than a copy.
class TextStreamBuf : public std::streambuf {
 public:
  explicit TextStreamBuf(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // the get area is only ever read
    setg(begin, begin, begin + text.size());
  }
};

// Builds the JSON value of one document straight from yaml-cpp's parse events. yaml-cpp's own
// node graph (YAML::Load) costs some 70 bytes of memory per byte of text and is built whole
// before anything can be checked; this costs the JSON value, and refuses as it goes. Errors are
// thrown as YAML::ParserException and become kInvalidArgument in CatchYaml.
class JsonBuilder final : public YAML::EventHandler {
 public:
  explicit JsonBuilder(YamlScalars scalars) : scalars_(scalars) {}

  json::value Take() { return std::move(root_); }
  // The root node's tag, "" when it has none (yaml-cpp says "?" or "!" for untagged nodes).
  const std::string& root_tag() const { return root_tag_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    written_ += 1;
    Complete(mark, anchor, nullptr, "null", 1);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& scalar) override {
    // The text around was checked (CheckYamlText), so invalid UTF-8 here can only come from
    // yaml-cpp's decoding of `\N` and `\_`.
    const std::string value = IsValidUtf8(scalar) ? scalar : Latin1StraysToUtf8(scalar);
    if (stack_.empty()) NoteRootTag(tag);
    written_ += 1 + value.size();
    Complete(mark, anchor, ConvertScalar(tag, value), value, 1 + value.size());
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const Anchored* anchored = anchor < anchors_.size() ? &anchors_[anchor] : nullptr;
    if (anchored == nullptr || !anchored->complete) {
      // yaml-cpp checks that the anchor was defined; an unfinished one contains the alias.
      throw YAML::ParserException(mark, "an alias refers to a node that contains it");
    }
    Copied(mark, anchored->cost);
    std::optional<std::string_view> key;
    if (anchored->key_text) key = *anchored->key_text;
    Complete(mark, 0, anchored->value, key, anchored->cost);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (stack_.empty()) NoteRootTag(tag);
    Open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (stack_.empty()) NoteRootTag(tag);
    Open(mark, anchor, json::object());
  }
  void OnMapEnd() override { Close(); }

 private:
  // A sequence or mapping being read.
  struct Frame {
    json::value value;
    YAML::Mark mark;
    YAML::anchor_t anchor = 0;
    std::size_t cost = 1;            // of the node and everything in it so far
    std::optional<std::string> key;  // a mapping's key waiting for its value
  };

  // A node an alias may copy (yaml-cpp numbers anchors 1, 2, ... within a document).
  struct Anchored {
    bool complete = false;
    json::value value;
    std::optional<std::string> key_text;  // scalars and nulls, for use as a mapping key
    std::size_t cost = 0;
  };

  void NoteRootTag(const std::string& tag) {
    root_tag_ = tag == "?" || tag == "!" ? std::string() : tag;
  }

  json::value ConvertScalar(const std::string& tag, const std::string& text) const {
    // yaml-cpp tags quoted and block scalars "!" and plain ones "?"; only plain ones are resolved.
    if (tag == "!" || scalars_ == YamlScalars::kAsStrings) return json::string(text);
    if (tag.starts_with(kCoreTagPrefix)) {
      std::string_view type = std::string_view(tag).substr(kCoreTagPrefix.size());
      if (type == "str" || type == "binary" || type == "timestamp") return json::string(text);
      if (type == "null") return nullptr;
    }
    return ResolvePlain(text);
  }

  void Copied(const YAML::Mark& mark, std::size_t cost) {
    copied_ += cost;
    if (copied_ > kCopiesPerWritten * written_ + kCopiesAllowance) {
      throw YAML::ParserException(
          mark, "anchors and aliases copy more than twice what the document itself holds");
    }
  }

  void Remember(const YAML::Mark& mark, YAML::anchor_t anchor, const json::value& value,
                std::optional<std::string_view> key_text, std::size_t cost) {
    if (anchor == 0) return;
    // Copied now because the node moves into its parent; with nested anchors these copies add
    // up, so they count like the copies aliases make.
    Copied(mark, cost);
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    Anchored& a = anchors_[anchor];
    a.complete = true;
    a.value = value;
    if (key_text) a.key_text = std::string(*key_text);
    a.cost = cost;
  }

  // A node is read whole: it becomes the root, an item, a key, or the value of the last key.
  // `key_text` is what the node reads as when used as a key: set for scalars and nulls.
  void Complete(const YAML::Mark& mark, YAML::anchor_t anchor, json::value value,
                std::optional<std::string_view> key_text, std::size_t cost) {
    Remember(mark, anchor, value, key_text, cost);
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    parent.cost += cost;
    if (json::array* array = parent.value.if_array()) {
      array->push_back(std::move(value));
      return;
    }
    json::object& object = parent.value.get_object();
    if (parent.key) {
      object.emplace(*parent.key, std::move(value));
      parent.key.reset();
      return;
    }
    if (!key_text) throw YAML::ParserException(mark, "mapping keys must be scalars");
    if (object.contains(*key_text)) {
      throw YAML::ParserException(mark, "duplicate mapping key '" + std::string(*key_text) + "'");
    }
    parent.key = std::string(*key_text);
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, json::value container) {
    if (stack_.size() >= kMaxDepth) throw YAML::ParserException(mark, "nesting is too deep");
    if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().key) {
      throw YAML::ParserException(mark, "mapping keys must be scalars");
    }
    written_ += 1;
    if (anchor != 0) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor] = Anchored{};  // an anchor name may be defined again
    }
    stack_.push_back(Frame{.value = std::move(container), .mark = mark, .anchor = anchor});
  }

  void Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Complete(frame.mark, frame.anchor, std::move(frame.value), std::nullopt, frame.cost);
  }

  YamlScalars scalars_;
  json::value root_;  // null until a node is read: an empty document is null
  std::string root_tag_;
  std::vector<Frame> stack_;
  std::vector<Anchored> anchors_;
  std::size_t written_ = 0;  // nodes and characters of the text
  std::size_t copied_ = 0;   // nodes and characters copied by anchors and aliases
};

template <typename Fn>
auto CatchYaml(std::string_view what, std::size_t first_line, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp labels this "bad file"; say what actually happened.
    return std::unexpected(ErrorAt(what, "nesting is too deep", e.mark, first_line));
  } catch (const YAML::Exception& e) {
    return std::unexpected(ErrorAt(what, e.msg, e.mark, first_line));
  } catch (const std::exception& e) {
    return std::unexpected(Error(ErrorKind::kInvalidArgument, std::string(what) + ": " + e.what()));
  }
}

// One YAML document: the first of `text`, which starts at line `first_line` of the input.
Result<TaggedYaml> ParseTaggedDocument(std::string_view text, std::size_t first_line,
                                       std::string_view what, YamlScalars scalars) {
  return CatchYaml(what, first_line, [&]() -> Result<TaggedYaml> {
    TextStreamBuf buffer(text);
    std::istream stream(&buffer);
    YAML::Parser parser(stream);
    JsonBuilder builder(scalars);
    parser.HandleNextDocument(builder);
    return TaggedYaml{builder.root_tag(), builder.Take()};
  });
}

Result<json::value> ParseDocument(std::string_view text, std::size_t first_line,
                                  std::string_view what, YamlScalars scalars) {
  KW_ASSIGN_OR_RETURN(TaggedYaml document, ParseTaggedDocument(text, first_line, what, scalars));
  return std::move(document.value);
}

// ---------------------------------------------------------------------------------------------
// Emitting.

bool StartsWithSpace(std::string_view s) { return !s.empty() && (s[0] == ' ' || s[0] == '\t'); }
bool EndsWithSpace(std::string_view s) {
  return !s.empty() && (s.back() == ' ' || s.back() == '\t');
}

// Characters a plain scalar must not carry: the ones YAML 1.1 treats as line breaks (NEL, LINE
// SEPARATOR, PARAGRAPH SEPARATOR) and the byte-order mark, which readers may strip.
bool HasUnicodeBreak(std::string_view s) {
  return s.find("\xC2\x85") != std::string_view::npos ||
         s.find("\xE2\x80\xA8") != std::string_view::npos ||
         s.find("\xE2\x80\xA9") != std::string_view::npos ||
         s.find("\xEF\xBB\xBF") != std::string_view::npos;
}

bool HasControl(std::string_view s, bool allow_newline) {
  for (unsigned char c : s) {
    if (c == '\n' && allow_newline) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool CanBePlain(std::string_view s) {
  if (s.empty() || StartsWithSpace(s) || EndsWithSpace(s)) return false;
  if (HasControl(s, /*allow_newline=*/false) || HasUnicodeBreak(s)) return false;
  if (!ResolvePlain(s).is_string() || IsYaml11BoolWord(s) || IsDigitsWithLeadingZero(s)) {
    return false;
  }
  if (LooksLikeFloat(s)) return false;  // 1e999 stays a string for us, but not for every reader
  // YAML 1.1 readers take `1_000` and `12:30` (sexagesimal) for numbers.
  if (s.find_first_of("_:") != std::string_view::npos) {
    std::string digits;
    for (char c : s) {
      if (c != '_' && c != ':') digits += c;
    }
    if (!ResolvePlain(digits).is_string() || LooksLikeFloat(digits)) return false;
  }
  if (s == "<<" || s == "=" || s.starts_with("---") || s.starts_with("...")) return false;
  static constexpr std::string_view kAlwaysIndicators = "!&*{}[]|>'\"%@`#,";
  if (kAlwaysIndicators.find(s[0]) != std::string_view::npos) return false;
  // `-`, `?` and `:` only start a plain scalar when a non-space character follows them.
  if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return false;
  }
  if (s.back() == ':') return false;
  return true;
}

void AppendDoubleQuoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      case '\0': out += "\\0"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      continue;
    }
    std::string_view rest = s.substr(i);
    if (rest.starts_with("\xC2\x85")) {
      out += "\\u0085";  // not \N: yaml-cpp decodes that to a lone Latin-1 byte
      i += 1;
    } else if (rest.starts_with("\xE2\x80\xA8")) {
      out += "\\u2028";
      i += 2;
    } else if (rest.starts_with("\xE2\x80\xA9")) {
      out += "\\u2029";
      i += 2;
    } else if (rest.starts_with("\xEF\xBB\xBF")) {
      out += "\\uFEFF";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Multi-line text (usage markdown, certificates) reads far better as a literal block. Leading
// blanks on the first line would need an explicit indentation indicator, so those are quoted.
bool CanBeLiteralBlock(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  std::size_t end = s.find_last_not_of('\n');
  if (end == std::string_view::npos) return false;  // nothing but newlines
  std::string_view body = s.substr(0, end + 1);
  std::size_t first = body.find_first_not_of('\n');
  if (StartsWithSpace(body.substr(first))) return false;
  return !HasControl(s, /*allow_newline=*/true) && !HasUnicodeBreak(s);
}

void AppendSpaces(int n, std::string& out) { out.append(static_cast<std::size_t>(n), ' '); }

// Writes a literal block header and its lines at `indent`; the caller writes the final newline.
void AppendLiteralBlock(std::string_view s, int indent, std::string& out) {
  std::size_t end = s.find_last_not_of('\n');
  std::string_view body = s.substr(0, end + 1);
  std::size_t trailing = s.size() - body.size();
  out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    out += '\n';
    if (!line.empty()) {
      AppendSpaces(indent, out);
      out += line;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (trailing > 1) out.append(trailing - 1, '\n');
}

constexpr std::size_t kMaxImplicitKeyBytes = 512;

void AppendKey(std::string_view key, std::string& out) {
  if (CanBePlain(key)) {
    out += key;
  } else {
    AppendDoubleQuoted(key, out);
  }
}

void AppendDouble(double d, std::string& out) {
  if (std::isnan(d)) {
    out += ".nan";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? ".inf" : "-.inf";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, ec == std::errc() ? static_cast<std::size_t>(end - buf) : 0);
  // `1` would read back as an integer and YAML 1.1 readers want a dot in `1e+20`: write `1.0`
  // and `1.0e+20`.
  std::size_t exponent = text.find_first_of("eE");
  if (text.find('.') != std::string_view::npos) {
    out += text;
  } else if (exponent == std::string_view::npos) {
    out += text;
    out += ".0";
  } else {
    out += text.substr(0, exponent);
    out += ".0";
    out += text.substr(exponent);
  }
}

// Writes a scalar (or an empty container in flow style). `indent` is used by literal blocks.
void AppendScalar(const json::value& v, int indent, std::string& out) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: AppendDouble(v.get_double(), out); break;
    case json::kind::string: {
      std::string_view s = v.get_string();
      if (CanBePlain(s)) {
        out += s;
      } else if (CanBeLiteralBlock(s)) {
        AppendLiteralBlock(s, indent, out);
      } else {
        AppendDoubleQuoted(s, out);
      }
      break;
    }
    case json::kind::array: out += "[]"; break;
    case json::kind::object: out += "{}"; break;
  }
}

void AppendObject(const json::object& o, int indent, bool first_inline, std::string& out);
void AppendArray(const json::array& a, int indent, bool first_inline, std::string& out);

void AppendObject(const json::object& o, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& member : o) {
    if (!(first && first_inline)) AppendSpaces(indent, out);
    first = false;
    if (member.key().size() > kMaxImplicitKeyBytes) {
      // YAML limits implicit keys to 1024 characters; longer ones need the explicit `? ` form.
      out += "? ";
      AppendDoubleQuoted(member.key(), out);
      out += '\n';
      AppendSpaces(indent, out);
    } else {
      AppendKey(member.key(), out);
    }
    out += ':';
    const json::value& v = member.value();
    if (v.is_object() && !v.get_object().empty()) {
      out += '\n';
      AppendObject(v.get_object(), indent + 2, false, out);
    } else if (v.is_array() && !v.get_array().empty()) {
      out += '\n';
      AppendArray(v.get_array(), indent, false, out);
    } else {
      out += ' ';
      AppendScalar(v, indent + 2, out);
      out += '\n';
    }
  }
}

void AppendArray(const json::array& a, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& item : a) {
    if (!(first && first_inline)) AppendSpaces(indent, out);
    first = false;
    out += "- ";
    if (item.is_object() && !item.get_object().empty()) {
      AppendObject(item.get_object(), indent + 2, true, out);
    } else if (item.is_array() && !item.get_array().empty()) {
      AppendArray(item.get_array(), indent + 2, true, out);
    } else {
      AppendScalar(item, indent + 2, out);
      out += '\n';
    }
  }
}

// `line` may end with its newline.
bool IsMarker(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' ||
         line[3] == '\n';
}

bool IsDocumentStart(std::string_view line) { return IsMarker(line, "---"); }
bool IsDocumentEnd(std::string_view line) { return IsMarker(line, "..."); }

// True when `piece` holds anything but blank lines, comments and directives.
bool HasContent(std::string_view piece) {
  std::size_t pos = 0;
  while (pos < piece.size()) {
    std::size_t nl = piece.find('\n', pos);
    std::string_view line = piece.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && line[first] != '%') return true;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return false;
}

// One document of a stream: its text, and the line of the stream (from 0) where the text starts.
struct DocumentText {
  std::string_view text;
  std::size_t first_line;
};

// Splits a multi-document stream at its `---` and `...` markers (which YAML only allows at the
// start of a line, outside any scalar). The pieces are views of `text`: no copies.
std::vector<DocumentText> SplitYamlDocuments(std::string_view text) {
  std::vector<DocumentText> pieces;
  std::size_t start = 0, start_line = 0;  // of the current piece
  bool explicit_start = false;
  auto flush = [&](std::size_t end) {
    std::string_view piece = text.substr(start, end - start);
    if (explicit_start || HasContent(piece)) pieces.push_back({piece, start_line});
    explicit_start = false;
  };
  std::size_t pos = 0, line_number = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    if (IsDocumentStart(line)) {
      flush(pos);
      start = pos;
      start_line = line_number;
      explicit_start = true;
    } else if (IsDocumentEnd(line)) {
      flush(pos);
      start = end;
      start_line = line_number + 1;
    }
    ++line_number;
    pos = end;
  }
  flush(text.size());
  return pieces;
}

// JSON is the text of a document that starts, past any blanks, with `{` or `[`: what the
// controller and most tools write. YAML that starts the same way (a flow collection) is rare.
bool LooksLikeJson(std::string_view text) {
  std::size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

// A document that looks like JSON is parsed as JSON: Boost.JSON is many times faster than
// yaml-cpp, and gives the same value (duplicate keys refused, as YAML does). Flow-style YAML
// that is not JSON (`{a: 1}`, comments) falls back to the YAML parser; if that fails too, the
// JSON error is the one that names what the author most likely got wrong.
// `from_json` makes the JSON value what `parse_yaml` returns.
template <typename ParseYaml, typename FromJson>
auto JsonOrYaml(std::string_view text, std::string_view what, ParseYaml&& parse_yaml,
                FromJson&& from_json) -> decltype(parse_yaml()) {
  auto json = ParseJson(text, what, {.duplicates = DuplicateKeys::kRefuse, .max_depth = kMaxDepth});
  if (json) return from_json(std::move(*json));
  auto yaml = parse_yaml();
  if (yaml) return yaml;
  return std::unexpected(std::move(json).error());
}

// YAML text must be printable Unicode. Checking up front also keeps yaml-cpp from guessing a
// UTF-16/32 encoding from NUL bytes and handing back invalid UTF-8.
Result<void> CheckYamlText(std::string_view text, std::string_view what) {
  if (!IsValidUtf8(text)) return Fail(ErrorKind::kInvalidArgument, std::string(what) + ": not valid UTF-8");
  std::size_t line = 1, column = 1;
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\t' && c != '\n' && c != '\r') || b == 0x7f) {
      return Fail(ErrorKind::kInvalidArgument,
                  std::string(what) + ": control character at line " + std::to_string(line) +
                      " column " + std::to_string(column));
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {};
}

}  // namespace

Result<json::value> ParseYamlAsJson(std::string_view text, std::string_view what,
                                    YamlScalars scalars) {
  auto parse_yaml = [&]() -> Result<json::value> {
    KW_TRY(CheckYamlText(text, what));
    return ParseDocument(text, 0, what, scalars);
  };
  if (scalars == YamlScalars::kResolve && LooksLikeJson(text)) {
    return JsonOrYaml(text, what, parse_yaml, [](json::value v) { return v; });
  }
  return parse_yaml();
}

Result<TaggedYaml> ParseTaggedYamlAsJson(std::string_view text, std::string_view what) {
  KW_TRY(CheckYamlText(text, what));
  return ParseTaggedDocument(text, 0, what, YamlScalars::kResolve);
}

Result<std::vector<json::value>> ParseYamlDocumentsAsJson(std::string_view text,
                                                          std::string_view what,
                                                          YamlScalars scalars) {
  auto parse_yaml = [&]() -> Result<std::vector<json::value>> {
    KW_TRY(CheckYamlText(text, what));
    // Not YAML::LoadAll: yaml-cpp 0.7 loops forever (allocating) on some malformed input such
    // as ",." there. Each document is parsed on its own instead.
    std::vector<json::value> out;
    for (const DocumentText& piece : SplitYamlDocuments(text)) {
      KW_ASSIGN_OR_RETURN(json::value v,
                          ParseDocument(piece.text, piece.first_line, what, scalars));
      out.push_back(std::move(v));
    }
    return out;
  };
  if (scalars == YamlScalars::kResolve && LooksLikeJson(text)) {
    // A JSON text is one document.
    return JsonOrYaml(text, what, parse_yaml, [](json::value v) {
      std::vector<json::value> documents;
      documents.push_back(std::move(v));
      return documents;
    });
  }
  return parse_yaml();
}

std::string JsonToYaml(const json::value& value) {
  std::string out;
  if (value.is_object() && !value.get_object().empty()) {
    AppendObject(value.get_object(), 0, false, out);
  } else if (value.is_array() && !value.get_array().empty()) {
    AppendArray(value.get_array(), 0, false, out);
  } else {
    AppendScalar(value, 2, out);
    out += '\n';
  }
  return out;
}

}  // namespace kw
