#include "base/go_json.h"

#include <charconv>
#include <cmath>

#include "base/utf8.h"

namespace kw {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(std::string& out, unsigned code) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xf];
}

void AppendString(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': case '>': case '&': AppendUnicodeEscape(out, c); break;
        default:
          if (c < 0x20) {
            AppendUnicodeEscape(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::optional<Utf8Sequence> sequence = DecodeUtf8(text.substr(i));
    if (!sequence) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (sequence->code_point == 0x2028 || sequence->code_point == 0x2029) {
      AppendUnicodeEscape(out, sequence->code_point);
    } else {
      out += text.substr(i, sequence->length);
    }
    i += sequence->length;
  }
  out += '"';
}

void AppendDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";  // Go refuses these; JSON cannot carry them, and parsed JSON never has them
    return;
  }
  const double magnitude = std::fabs(value);
  char buffer[64];
  const bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value,
                                 exponent ? std::chars_format::scientific
                                          : std::chars_format::fixed);
  (void)ec;
  std::string text(buffer, end);
  if (exponent) {
    // to_chars writes "1e-07" already with two exponent digits; Go also cleans "e-07" the same.
    const std::size_t e = text.find('e');
    if (e != std::string::npos && e + 2 < text.size() && text.size() - (e + 2) < 2) {
      text.insert(e + 2, "0");
    }
  }
  out += text;
}

// `layout` null: compact. Otherwise a new line before each element and the closing bracket.
void Append(std::string& out, const json::value& value, const GoJsonIndent* layout,
            std::size_t depth) {
  auto new_line = [&](std::size_t level) {
    if (layout == nullptr) return;
    out += '\n';
    out += layout->prefix;
    for (std::size_t i = 0; i < level; ++i) out += layout->indent;
  };
  switch (value.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(value.get_int64()); break;
    case json::kind::uint64: out += std::to_string(value.get_uint64()); break;
    case json::kind::double_: AppendDouble(out, value.get_double()); break;
    case json::kind::string: AppendString(out, value.get_string()); break;
    case json::kind::array: {
      const json::array& elements = value.get_array();
      out += '[';
      bool first = true;
      for (const json::value& element : elements) {
        if (!first) out += ',';
        first = false;
        new_line(depth + 1);
        Append(out, element, layout, depth + 1);
      }
      if (!elements.empty()) new_line(depth);
      out += ']';
      break;
    }
    case json::kind::object: {
      const json::object& members = value.get_object();
      out += '{';
      bool first = true;
      for (const auto& [key, field] : members) {
        if (!first) out += ',';
        first = false;
        new_line(depth + 1);
        AppendString(out, key);
        out += layout == nullptr ? ":" : ": ";
        Append(out, field, layout, depth + 1);
      }
      if (!members.empty()) new_line(depth);
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string MarshalLikeGo(const json::value& value) {
  std::string out;
  Append(out, value, nullptr, 0);
  return out;
}

std::string MarshalIndentLikeGo(const json::value& value, GoJsonIndent layout) {
  std::string out;
  Append(out, value, &layout, 0);
  return out;
}

}  // namespace kw
