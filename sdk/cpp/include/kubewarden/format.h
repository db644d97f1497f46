// kubewarden/format.h: the text forms upstream policies print (policies.md §1.6).
//
// Rust-origin policies format lists and sets with `{:?}` (Debug), Go-origin ones with their own
// helpers. These functions reproduce those forms byte for byte for the inputs policies see:
//   RustDebug("a\"b")       -> "a\"b" (quoted, escaped)
//   RustList({"a", "b"})    -> ["a", "b"]
//   RustSet({"a", "b"})     -> {"a", "b"}      (callers sort: upstream's hash order is arbitrary)
//   GoSet({"a", "b"})       -> Set{a, b}
// All functions are pure.
#ifndef KUBEWARDEN_FORMAT_H_
#define KUBEWARDEN_FORMAT_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kubewarden {

// Appends `s` formatted like Rust's `<str as Debug>`: double-quoted; `"`, `\`, tab, CR, LF and
// NUL escaped as \" \\ \t \r \n \0; other control characters (C0, DEL, C1) as \u{hex}. Other
// characters, non-ASCII included, are copied.
inline void AppendRustDebug(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned cp = c;
    bool escape_hex = false;
    switch (c) {
      case '"':
        out.append("\\\"");
        continue;
      case '\\':
        out.append("\\\\");
        continue;
      case '\t':
        out.append("\\t");
        continue;
      case '\r':
        out.append("\\r");
        continue;
      case '\n':
        out.append("\\n");
        continue;
      case '\0':
        out.append("\\0");
        continue;
      default:
        if (c < 0x20 || c == 0x7f) {
          escape_hex = true;
        } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
          cp = static_cast<unsigned char>(s[++i]);  // C1 control, U+0080..U+009F
          escape_hex = true;
        }
    }
    if (!escape_hex) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    out.append("\\u{");
    if (cp >= 0x10) out.push_back(kHex[cp >> 4]);
    out.push_back(kHex[cp & 0xF]);
    out.push_back('}');
  }
  out.push_back('"');
}

inline std::string RustDebug(std::string_view s) {
  std::string out;
  AppendRustDebug(out, s);
  return out;
}

namespace internal {
template <typename Range>
std::string JoinRustDebug(const Range& items, char open, char close) {
  std::string out(1, open);
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.append(", ");
    first = false;
    AppendRustDebug(out, std::string_view(item));
  }
  out.push_back(close);
  return out;
}
}  // namespace internal

// `["a", "b"]`: the Debug form of a Vec<String>, in the given order.
template <typename Range>
std::string RustList(const Range& items) {
  return internal::JoinRustDebug(items, '[', ']');
}

// `{"a", "b"}`: the Debug form of a set, in the given order (sort first, see above).
template <typename Range>
std::string RustSet(const Range& items) {
  return internal::JoinRustDebug(items, '{', '}');
}

// `Set{a, b}`: the Go-origin policies' set form, unquoted, in the given order.
template <typename Range>
std::string GoSet(const Range& items) {
  std::string out("Set{");
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.append(", ");
    first = false;
    out.append(std::string_view(item));
  }
  out.push_back('}');
  return out;
}

// Sorts `items` in ascending byte order and removes duplicates: the order a port uses where
// upstream iterates a hash set (§1.6).
template <typename T>
void SortUnique(std::vector<T>& items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
}

}  // namespace kubewarden

#endif  // KUBEWARDEN_FORMAT_H_
