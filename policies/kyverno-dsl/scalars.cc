#include "scalars.h"

#include <kubewarden/decimal.h>
#include <kubewarden/wildcard.h>

#include <cmath>
#include <vector>

#include "cel/time.h"

namespace kyverno {

std::optional<double> ParseGoDuration(std::string_view text) {
  std::optional<std::int64_t> nanos = kw::cel::ParseDuration(text);
  if (!nanos) return std::nullopt;
  return static_cast<double>(*nanos);
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  kubewarden::DecimalNumber n = kubewarden::ParseDecimal(text);
  if (n.length != text.size() || std::isinf(n.value)) return std::nullopt;
  return n.value;
}

UnsignedPrefix ParseUnsignedPrefix(std::string_view text, int base) {
  std::size_t i = text.find_first_not_of(" \t\n\v\f\r");
  if (i == std::string_view::npos) return {};
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
  auto digit = [&](std::size_t at) -> int {
    if (at >= text.size()) return -1;
    char c = text[at];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    return d < base ? d : -1;
  };
  if (base == 16 && (text.substr(i, 2) == "0x" || text.substr(i, 2) == "0X") && digit(i + 2) >= 0) i += 2;
  UnsignedPrefix out;
  bool overflow = false;
  std::size_t start = i;
  for (int d; (d = digit(i)) >= 0; ++i) {
    if (out.value > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) overflow = true;
    out.value = out.value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
  }
  if (i == start) return {};
  out.length = i;
  if (overflow) out.value = UINT64_MAX;
  else if (negative) out.value = 0 - out.value;
  return out;
}

std::optional<double> ParseQuantity(std::string_view text) {
  // <signedNumber><suffix>: digits with an optional fraction, then a binary suffix (Ki..Ei),
  // a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  bool any = i > digits_start;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t frac = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    any = any || i > frac;
  }
  if (!any) return std::nullopt;
  std::optional<double> number = ParseNumber(text.substr(0, i));
  if (!number) return std::nullopt;
  std::string_view suffix = text.substr(i);
  static constexpr struct {
    std::string_view suffix;
    double factor;
  } kSuffixes[] = {
      {"", 1},        {"n", 1e-9},     {"u", 1e-6},     {"m", 1e-3},     {"k", 1e3},
      {"M", 1e6},     {"G", 1e9},      {"T", 1e12},     {"P", 1e15},     {"E", 1e18},
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0},
  };
  for (const auto& s : kSuffixes) {
    if (s.suffix == suffix) return *number * s.factor;
  }
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::size_t k = 1;
    if (suffix[k] == '+' || suffix[k] == '-') ++k;
    if (k == suffix.size()) return std::nullopt;
    for (std::size_t j = k; j < suffix.size(); ++j) {
      if (suffix[j] < '0' || suffix[j] > '9') return std::nullopt;
    }
    std::optional<double> exponent = ParseNumber(suffix.substr(1));
    if (!exponent || std::fabs(*exponent) > 400) return std::nullopt;
    // The number with its exponent, read as one decimal: one rounding, the correct one (and
    // no pow() in the module).
    return kubewarden::ParseDecimal(std::string(text.substr(0, i)) + "e" + std::string(suffix.substr(1))).value;
  }
  return std::nullopt;
}

bool Wildcard(std::string_view pattern, std::string_view text) {
  return kubewarden::WildcardMatch(pattern, text);
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string CleanPath(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part.empty() || part == ".") {
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

std::string ScalarText(const Value& v) {
  if (v.is_string()) return v.as_string();
  return GoString(v);
}

}  // namespace kyverno
