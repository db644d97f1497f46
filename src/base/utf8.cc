#include "base/utf8.h"

#include <cstdint>

namespace kw {

std::optional<Utf8Sequence> DecodeUtf8(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::uint8_t c = p[0];
  if (c < 0x80) return Utf8Sequence{c, 1};
  std::size_t extra;
  char32_t cp;
  if ((c & 0xe0) == 0xc0) {
    extra = 1;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    extra = 2;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return std::nullopt;
  }
  if (s.size() <= extra) return std::nullopt;
  for (std::size_t i = 1; i <= extra; ++i) {
    if ((p[i] & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  return Utf8Sequence{cp, extra + 1};
}

Utf8Sequence DecodeUtf8OrReplacement(std::string_view s) {
  return DecodeUtf8(s).value_or(Utf8Sequence{0xFFFD, 1});
}

std::size_t CountRunes(std::string_view s) {
  std::size_t count = 0;
  for (; !s.empty(); ++count) s.remove_prefix(DecodeUtf8OrReplacement(s).length);
  return count;
}

bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    auto sequence = DecodeUtf8(s);
    if (!sequence) return false;
    s.remove_prefix(sequence->length);
  }
  return true;
}

namespace {

// `s` with each byte that starts no well-formed sequence replaced by `stray(byte, out)`. Runs of
// well-formed text are copied whole: these strings can be long (a parser's message quoting a
// hostile document), and a copy per character made them the costliest step of an answer.
template <typename Stray>
std::string RewriteStrays(std::string_view s, Stray&& stray) {
  std::string out;
  out.reserve(s.size());
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<std::uint8_t>(s[i]) < 0x80) {
      ++i;
    } else if (auto sequence = DecodeUtf8(s.substr(i))) {
      i += sequence->length;
    } else {
      out.append(s.substr(run_start, i - run_start));
      stray(static_cast<std::uint8_t>(s[i]), out);
      run_start = ++i;
    }
  }
  out.append(s.substr(run_start));
  return out;
}

}  // namespace

std::string ToValidUtf8(std::string_view s) {
  return RewriteStrays(s, [](std::uint8_t, std::string& out) { out.append("\xEF\xBF\xBD"); });
}

std::string Latin1StraysToUtf8(std::string_view s) {
  return RewriteStrays(s, [](std::uint8_t byte, std::string& out) {
    out.push_back(static_cast<char>(0xC0 | (byte >> 6)));
    out.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
  });
}

}  // namespace kw
