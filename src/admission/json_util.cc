#include "admission/json_util.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace kw::admission {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 when it is invalid (overlong,
// surrogate, beyond U+10FFFF or truncated). Follows RFC 3629's table.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const std::size_t left = s.size() - i;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    return left >= 2 && (b(1) & 0xc0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || (b(1) & 0xc0) != 0x80 || (b(2) & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || (b(1) & 0xc0) != 0x80 || (b(2) & 0xc0) != 0x80 || (b(3) & 0xc0) != 0x80) {
      return 0;
    }
    if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

// How many bytes of an invalid sequence at `s[i]` one U+FFFD stands for: the lead byte plus
// the continuation bytes that could still have belonged to it ("maximal subpart" rule, the
// one Rust's from_utf8_lossy follows).
std::size_t InvalidSubpartLength(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 1;
  }
  std::size_t n = 1;
  for (std::size_t k = 0; k < need && i + n < s.size(); ++k) {
    const auto cc = static_cast<unsigned char>(s[i + n]);
    if (cc < lo || cc > hi) break;
    ++n;
    lo = 0x80;
    hi = 0xbf;
  }
  return n;
}

constexpr std::string_view kReplacement = "\xef\xbf\xbd";

template <typename T>
void AppendSerialized(std::string& out, const T& value) {
  json::serializer sr;
  sr.reset(&value);
  while (!sr.done()) {
    const std::size_t old = out.size();
    // Write into the spare capacity (at least 256 bytes); std::string grows geometrically.
    const std::size_t room = std::max<std::size_t>(out.capacity() - old, 256);
    out.resize_and_overwrite(old + room, [&](char* data, std::size_t) {
      return old + sr.read(data + old, room).size();
    });
  }
}

}  // namespace

void AppendJson(std::string& out, const json::value& value) { AppendSerialized(out, value); }
void AppendJson(std::string& out, const json::array& value) { AppendSerialized(out, value); }

namespace {

// Whether any of the 8 bytes of `word` is a control character, '"', '\\' or non-ASCII: the
// bytes the loop below must look at one by one. (SWAR: a byte is below 0x20 when subtracting
// 0x20 borrows into its high bit, and equal to c when xor-ing with c makes it zero.)
bool NeedsAttention(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  return ((word | ((word - 0x20 * kOnes) & ~word)) & kHighs) != 0 ||
         has_zero(word ^ ('"' * kOnes)) != 0 || has_zero(word ^ ('\\' * kOnes)) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t i = 0;
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  const auto flush = [&](std::size_t end) { out.append(text.data() + run, end - run); };
  while (i < text.size()) {
    // Plain ASCII is passed over 8 bytes at a time.
    std::uint64_t word;
    if (text.size() - i >= sizeof word) {
      std::memcpy(&word, text.data() + i, sizeof word);
      if (!NeedsAttention(word)) {
        i += sizeof word;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t len = Utf8SequenceLength(text, i);
      if (len != 0) {
        i += len;
        continue;
      }
      flush(i);
      out.append(kReplacement);
      i += InvalidSubpartLength(text, i);
      run = i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(esc, sizeof esc);
      }
    }
    ++i;
    run = i;
  }
  flush(i);
  out.push_back('"');
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    if (const std::size_t len = Utf8SequenceLength(text, i); len != 0) {
      i += len;
      continue;
    }
    if (out.empty()) out.reserve(text.size() + 8);
    out.append(text.data() + run, i - run);
    out.append(kReplacement);
    i += InvalidSubpartLength(text, i);
    run = i;
  }
  if (run == 0) return std::string(text);
  out.append(text.data() + run, text.size() - run);
  return out;
}

std::string DescribeJsonDouble(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return "floating point `" + std::string(buf, ec == std::errc() ? end : buf) + "`";
}

std::string DescribeJsonString(std::string_view value) {
  // Bound the echo: the value may be a hostile multi-megabyte string.
  constexpr std::size_t kMax = 64;
  std::string out = "string ";
  if (value.size() <= kMax) {
    AppendJsonString(out, value);
  } else {
    AppendJsonString(out, value.substr(0, kMax));
    out.insert(out.size() - 1, "...");
  }
  return out;
}

std::string DescribeJson(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return value.get_bool() ? "boolean `true`" : "boolean `false`";
    case json::kind::int64:
      return "integer `" + std::to_string(value.get_int64()) + "`";
    case json::kind::uint64:
      return "integer `" + std::to_string(value.get_uint64()) + "`";
    case json::kind::double_:
      return DescribeJsonDouble(value.get_double());
    case json::kind::string:
      return DescribeJsonString(value.get_string());
    case json::kind::array:
      return "sequence";
    case json::kind::object:
      return "map";
  }
  return "unknown";
}

std::string InvalidType(const json::value& found, std::string_view expected) {
  return "invalid type: " + DescribeJson(found) + ", expected " + std::string(expected);
}

}  // namespace kw::admission
