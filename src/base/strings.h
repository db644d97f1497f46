// Small string helpers: for the parsers of header-like values, and for messages.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace kw {

// `s` without its leading and trailing spaces and tabs (HTTP's optional whitespace).
constexpr std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `s` without its leading and trailing ASCII whitespace (Go's strings.TrimSpace on ASCII text):
// for the contents of small files such as tokens, where a trailing newline is an accident.
constexpr std::string_view TrimWhitespace(std::string_view s) {
  constexpr std::string_view kWhitespace = " \t\r\n\v\f";
  const std::size_t first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kWhitespace) - first + 1);
}

// ASCII-only case folding: header names, URL schemes and host names are ASCII, and the C
// locale's tolower must not see negative chars.
constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return AsciiLower(c); });
  return out;
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

// Bytes (a module, a digest) seen as the text APIs take them.
inline std::string_view AsText(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A size for people, in binary units: "300 bytes", "4 MiB" (exact), "62.0 MiB" (one decimal,
// rounded), so that a limit and the size that broke it read alike in one message.
inline std::string ByteSize(std::uint64_t n) {
  constexpr std::pair<std::uint64_t, std::string_view> kUnits[] = {
      {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& [unit, name] : kUnits) {
    if (n < unit) continue;
    std::uint64_t whole = n / unit;
    if (n % unit == 0) return std::to_string(whole) + " " + std::string(name);
    std::uint64_t tenths = (n % unit * 10 + unit / 2) / unit;  // n % unit * 10 cannot overflow
    if (tenths == 10) {
      ++whole;
      tenths = 0;
    }
    return std::to_string(whole) + "." + std::to_string(tenths) + " " + std::string(name);
  }
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

}  // namespace kw
