#include "base/utf8.h"

#include <cstdint>

namespace kw {
namespace {

// The length of the well-formed UTF-8 sequence at `p` (1-4), or 0 when there is none.
std::size_t SequenceLength(const std::uint8_t* p, const std::uint8_t* end) {
  const std::uint8_t c = *p;
  if (c < 0x80) return 1;
  int extra;
  std::uint32_t cp;
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
    return 0;
  }
  if (end - p <= extra) return 0;
  for (int i = 1; i <= extra; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return static_cast<std::size_t>(extra) + 1;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const std::size_t n = SequenceLength(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

namespace {

// `s` with each byte that starts no well-formed sequence replaced by `stray(byte, out)`.
template <typename Stray>
std::string RewriteStrays(std::string_view s, Stray&& stray) {
  std::string out;
  out.reserve(s.size());
  const auto* begin = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto* end = begin + s.size();
  for (const auto* p = begin; p < end;) {
    const std::size_t n = SequenceLength(p, end);
    if (n == 0) {
      stray(*p, out);
      ++p;
    } else {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    }
  }
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
