#include "base/go_quote.h"

#include <cstdint>
#include <cstdio>
#include <optional>

#include "base/utf8.h"

namespace kw {

namespace {

// unicode.IsPrint for the runes above ASCII, approximately: Go's tables are not available
// here, so this excludes the non-printable ranges a policy is likely to meet (C1 controls,
// the non-ASCII spaces, format characters, surrogates, private use, non-characters) and
// treats every other rune as printable, unassigned code points included (Go escapes those).
bool IsPrintable(std::int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA1) return false;  // C1 controls and U+00A0 (a space other than U+0020)
  if (r == 0xAD || r == 0x1680 || r == 0x180E || r == 0x3000 || r == 0xFEFF) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;
  if (r >= 0x2028 && r <= 0x202F) return false;
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r >= 0xD800 && r <= 0xF8FF) return false;  // surrogates and private use
  if (r >= 0xFFF9 && r <= 0xFFFB) return false;
  // The other format characters (category Cf).
  if ((r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F || r == 0x8E2 ||
      r == 0x110BD || r == 0x110CD || (r >= 0x13430 && r <= 0x1343F) ||
      (r >= 0x1BCA0 && r <= 0x1BCA3) || (r >= 0x1D173 && r <= 0x1D17A) ||
      (r >= 0xE0000 && r <= 0xE0FFF && !(r >= 0xE0100 && r <= 0xE01EF))) {
    return false;
  }
  if ((r & 0xFFFE) == 0xFFFE) return false;  // non-characters U+xFFFE, U+xFFFF
  if (r >= 0xF0000) return false;            // planes 15 and 16: private use
  return true;
}

}  // namespace

std::string GoQuote(std::string_view text, bool ascii_only) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    std::optional<Utf8Sequence> d = DecodeUtf8(text.substr(i));
    if (!d) {  // a byte that starts no well-formed sequence
      out += "\\x";
      out.push_back(kHex[static_cast<unsigned char>(text[i]) >> 4]);
      out.push_back(kHex[static_cast<unsigned char>(text[i]) & 15]);
      ++i;
      continue;
    }
    const auto r = static_cast<std::int32_t>(d->code_point);
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (r < 0x80 ? IsPrintable(r) : (!ascii_only && IsPrintable(r))) {
      out.append(text.substr(i, d->length));
    } else {
      switch (r) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default: {
          char buf[16];
          if (r < 0x20 || r == 0x7F) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(r));
          } else if (r < 0x10000) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r));
          } else {
            std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(r));
          }
          out += buf;
        }
      }
    }
    i += d->length;
  }
  out.push_back('"');
  return out;
}

}  // namespace kw
