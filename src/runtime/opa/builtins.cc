#include "runtime/opa/builtins.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "admission/json_patch.h"
#include "base/semver.h"
#include "base/utf8.h"
#include "base/yaml.h"
#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa {
namespace internal {

std::string_view TypeName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

Error OperandTypeError(std::string_view builtin, std::size_t n, std::string_view want,
                       const json::value& got) {
  return Error(ErrorKind::kInvalidArgument,
               std::string(builtin) + ": operand " + std::to_string(n) + " must be " +
                   std::string(want) + " but got " + std::string(TypeName(got)));
}

Error BuiltinError(std::string_view builtin, std::string_view message) {
  return Error(ErrorKind::kInvalidArgument, std::string(builtin) + ": " + std::string(message));
}

Result<void> CheckArity(std::string_view builtin, std::span<const json::value> args,
                        std::size_t count) {
  if (args.size() == count) return {};
  return std::unexpected(BuiltinError(builtin, "expects " + std::to_string(count) +
                                                   " arguments, got " +
                                                   std::to_string(args.size())));
}

Result<std::string_view> StringOperand(std::string_view builtin,
                                       std::span<const json::value> args, std::size_t n) {
  const json::value& arg = args[n - 1];
  if (!arg.is_string()) return std::unexpected(OperandTypeError(builtin, n, "string", arg));
  const json::string& s = arg.get_string();
  return std::string_view(s.data(), s.size());
}

std::string NumberText(const json::value& number) {
  if (number.is_int64()) return std::to_string(number.get_int64());
  if (number.is_uint64()) return std::to_string(number.get_uint64());
  double d = number.to_number<double>();
  // Go's encoding/json layout (what OPA prints for a float): plain decimals between 1e-6 and
  // 1e21, an exponent outside.
  char buf[64];
  double a = std::fabs(d);
  auto format = a == 0 || (a >= 1e-6 && a < 1e21) ? std::chars_format::fixed
                                                  : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, format);
  std::string text(buf, ec == std::errc() ? end : buf);
  // Go shortens a negative exponent's leading zero: "1e-07" → "1e-7" (and keeps "1e+21").
  if (std::size_t n = text.size(); n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' &&
                                   text[n - 2] == '0') {
    text.erase(n - 2, 1);
  }
  return text;
}

void AppendRegoString(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      out += NumberText(value);
      return;
    case json::kind::string:
      out += GoQuote(std::string_view(value.get_string()));
      return;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& element : value.get_array()) {
        if (!first) out += ", ";
        first = false;
        AppendRegoString(element, out);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      const json::object& object = value.get_object();
      std::vector<const json::key_value_pair*> sorted;
      sorted.reserve(object.size());
      for (const auto& kv : object) sorted.push_back(&kv);
      std::sort(sorted.begin(), sorted.end(),
                [](auto* a, auto* b) { return a->key() < b->key(); });
      out.push_back('{');
      bool first = true;
      for (const auto* kv : sorted) {
        if (!first) out += ", ";
        first = false;
        out += GoQuote(std::string_view(kv->key()));
        out += ": ";
        AppendRegoString(kv->value(), out);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace internal

namespace {

using internal::BuiltinError;
using internal::CheckArity;
using internal::OperandTypeError;
using internal::StringOperand;

constexpr char kHexDigits[] = "0123456789abcdef";

// --- trace, encodings ---

Result<json::value> Trace(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("trace", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view note, StringOperand("trace", args, 1));
  spdlog::info("policy trace: {}", note);
  return json::value(true);
}

Result<json::value> Base64UrlEncodeNoPad(const BuiltinContext&,
                                         std::span<const json::value> args) {
  static constexpr std::string_view kName = "base64url.encode_no_pad";
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand(kName, args, 1));
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16 |
                      static_cast<unsigned char>(in[i + 1]) << 8 |
                      static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return json::value(json::string(out));
}

Result<json::value> HexEncode(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("hex.encode", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand("hex.encode", args, 1));
  std::string out;
  out.reserve(in.size() * 2);
  for (unsigned char c : in) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 15]);
  }
  return json::value(json::string(out));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's encoding/hex InvalidByteError text, "encoding/hex: invalid byte: %#U" of the byte as a
// rune: "U+0067 'g'", with the character only when Go deems it printable.
std::string InvalidHexByte(char c) {
  char buf[64];
  auto b = static_cast<unsigned char>(c);
  std::snprintf(buf, sizeof buf, "encoding/hex: invalid byte: U+%04X", b);
  std::string out = buf;
  if ((b >= 0x20 && b < 0x7F) || (b >= 0xA1 && b != 0xAD)) {
    out += " '";
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back(static_cast<char>(0xC0 | b >> 6));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
    out += "'";
  }
  return out;
}

Result<json::value> HexDecode(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("hex.decode", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand("hex.decode", args, 1));
  std::string out;
  out.reserve(in.size() / 2);
  // Go checks the pairs first and reports an odd length only when every complete pair is
  // valid, so the loop runs before the length check.
  std::size_t i = 0;
  for (; i + 1 < in.size(); i += 2) {
    int hi = HexValue(in[i]);
    if (hi < 0) return std::unexpected(BuiltinError("hex.decode", InvalidHexByte(in[i])));
    int lo = HexValue(in[i + 1]);
    if (lo < 0) return std::unexpected(BuiltinError("hex.decode", InvalidHexByte(in[i + 1])));
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  if (i < in.size()) {
    if (HexValue(in[i]) < 0) {
      return std::unexpected(BuiltinError("hex.decode", InvalidHexByte(in[i])));
    }
    return std::unexpected(BuiltinError("hex.decode", "encoding/hex: odd length hex string"));
  }
  // Go's string holds the bytes as they are; the guest gets them through JSON, as Go's
  // encoding/json would write them.
  return json::value(json::string(ToValidUtf8(out)));
}

// --- urlquery: Go's net/url query escaping ---

void QueryEscapeAppend(std::string_view in, std::string& out) {
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back("0123456789ABCDEF"[c >> 4]);
      out.push_back("0123456789ABCDEF"[c & 15]);
    }
  }
}

// url.QueryUnescape; the error is Go's `invalid URL escape "%zz"`.
Result<std::string> QueryUnescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) {
        return Fail(ErrorKind::kInvalidArgument,
                    "invalid URL escape " + internal::GoQuote(in.substr(i, 3)));
      }
      out.push_back(static_cast<char>(HexValue(in[i + 1]) << 4 | HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return ToValidUtf8(out);  // as hex.decode's result
}

Result<json::value> UrlQueryEncode(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("urlquery.encode", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand("urlquery.encode", args, 1));
  std::string out;
  QueryEscapeAppend(in, out);
  return json::value(json::string(out));
}

Result<json::value> UrlQueryDecode(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("urlquery.decode", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand("urlquery.decode", args, 1));
  auto decoded = QueryUnescape(in);
  if (!decoded) return std::unexpected(BuiltinError("urlquery.decode", decoded.error().message));
  return json::value(json::string(*decoded));
}

Result<json::value> UrlQueryEncodeObject(const BuiltinContext&,
                                         std::span<const json::value> args) {
  static constexpr std::string_view kName = "urlquery.encode_object";
  KW_TRY(CheckArity(kName, args, 1));
  if (!args[0].is_object()) return std::unexpected(OperandTypeError(kName, 1, "object", args[0]));
  // url.Values.Encode: keys sorted bytewise, each value in its given order.
  std::map<std::string_view, std::vector<std::string_view>> values;
  for (const auto& kv : args[0].get_object()) {
    auto& list = values[std::string_view(kv.key())];
    const json::value& v = kv.value();
    if (v.is_string()) {
      list.push_back(std::string_view(v.get_string()));
      continue;
    }
    if (v.is_array()) {
      bool ok = true;
      for (const json::value& element : v.get_array()) {
        if (!element.is_string()) {
          ok = false;
          break;
        }
        list.push_back(std::string_view(element.get_string()));
      }
      if (ok) continue;
    }
    return std::unexpected(BuiltinError(
        kName, "query parameter value must be string, array[string], or set[string]"));
  }
  std::string out;
  for (const auto& [key, list] : values) {
    for (std::string_view value : list) {
      if (!out.empty()) out.push_back('&');
      QueryEscapeAppend(key, out);
      out.push_back('=');
      QueryEscapeAppend(value, out);
    }
  }
  return json::value(json::string(out));
}

Result<json::value> UrlQueryDecodeObject(const BuiltinContext&,
                                         std::span<const json::value> args) {
  static constexpr std::string_view kName = "urlquery.decode_object";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view query, StringOperand(kName, args, 1));
  // url.ParseQuery: '&'-separated pairs, empty ones skipped, a pair without '=' has the value
  // "". Go keeps going after a bad pair and returns an error at the end; OPA fails on it.
  json::object out;
  std::optional<std::string> first_error;  // what Go's ParseQuery would return
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      // Go overwrites any earlier error with this one, unlike the unescaping errors.
      first_error = "invalid semicolon separator in query";
      continue;
    }
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto key = QueryUnescape(raw_key);
    if (!key) {
      if (!first_error) first_error = key.error().message;
      continue;
    }
    auto value = QueryUnescape(raw_value);
    if (!value) {
      if (!first_error) first_error = value.error().message;
      continue;
    }
    json::value& slot = out[*key];
    if (!slot.is_array()) slot = json::array();
    slot.get_array().emplace_back(json::string(*value));
  }
  if (first_error) return std::unexpected(BuiltinError(kName, *first_error));
  return json::value(std::move(out));
}

// --- JSON and YAML ---

Result<json::value> JsonIsValid(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("json.is_valid", args, 1));
  if (!args[0].is_string()) return json::value(false);  // OPA: not a string, not valid JSON
  return json::value(ParseJson(std::string_view(args[0].get_string())).has_value());
}

// Go's yaml.v2 (behind OPA's yaml.marshal) writes map keys sorted.
json::value SortedKeys(const json::value& value) {
  if (value.is_array()) {
    json::array out;
    out.reserve(value.get_array().size());
    for (const json::value& element : value.get_array()) out.push_back(SortedKeys(element));
    return out;
  }
  if (!value.is_object()) return value;
  std::vector<const json::key_value_pair*> sorted;
  for (const auto& kv : value.get_object()) sorted.push_back(&kv);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  json::object out;
  out.reserve(sorted.size());
  for (const auto* kv : sorted) out.emplace(kv->key(), SortedKeys(kv->value()));
  return out;
}

Result<json::value> YamlMarshal(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("yaml.marshal", args, 1));
  return json::value(json::string(JsonToYaml(SortedKeys(args[0]))));
}

// One document exactly: a stream of several is ambiguous, and burrego (serde_yaml) rejects it.
Result<json::value> ParseOneYamlDocument(std::string_view builtin, std::string_view text) {
  auto documents = ParseYamlDocumentsAsJson(text, "invalid YAML");
  if (!documents) return std::unexpected(BuiltinError(builtin, documents.error().message));
  if (documents->size() > 1) {
    return std::unexpected(
        BuiltinError(builtin, "a YAML stream of more than one document is not supported"));
  }
  if (documents->empty()) return json::value(nullptr);
  return std::move(documents->front());
}

Result<json::value> YamlUnmarshal(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("yaml.unmarshal", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand("yaml.unmarshal", args, 1));
  return ParseOneYamlDocument("yaml.unmarshal", text);
}

Result<json::value> YamlIsValid(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("yaml.is_valid", args, 1));
  if (!args[0].is_string()) return json::value(false);
  return json::value(
      ParseOneYamlDocument("yaml.is_valid", std::string_view(args[0].get_string())).has_value());
}

Result<json::value> JsonPatch(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "json.patch";
  KW_TRY(CheckArity(kName, args, 2));
  if (!args[1].is_array()) return std::unexpected(OperandTypeError(kName, 2, "array", args[1]));
  // OPA also accepts a path given as an array of segments; turn those into JSON Pointers.
  json::array patch = args[1].get_array();
  for (json::value& op : patch) {
    if (!op.is_object()) return std::unexpected(BuiltinError(kName, "a patch must be an object"));
    for (std::string_view field : {"path", "from"}) {
      json::value* path = op.get_object().if_contains(field);
      if (path == nullptr || !path->is_array()) continue;
      std::string pointer;
      for (const json::value& segment : path->get_array()) {
        if (segment.is_string()) {
          admission::AppendPointerToken(pointer, std::string_view(segment.get_string()));
        } else if (segment.is_int64() || segment.is_uint64()) {
          admission::AppendPointerToken(pointer, internal::NumberText(segment));
        } else {
          return std::unexpected(
              BuiltinError(kName, "a path segment must be a string or an integer"));
        }
      }
      *path = json::string(pointer);
    }
  }
  auto patched = admission::ApplyPatch(args[0], patch);
  if (!patched) return std::unexpected(BuiltinError(kName, patched.error().message));
  return std::move(*patched);
}

// --- glob ---

Result<json::value> GlobQuoteMeta(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("glob.quote_meta", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand("glob.quote_meta", args, 1));
  // gobwas/glob's syntax.Special characters.
  std::string out;
  out.reserve(in.size() * 2);
  for (char c : in) {
    if (std::string_view("*?\\[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return json::value(json::string(out));
}

// --- semver: SemVer 2.0.0 (base/semver.h) ---

Result<json::value> SemVerIsValid(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("semver.is_valid", args, 1));
  if (!args[0].is_string()) return json::value(false);
  return json::value(ParseSemVer(std::string_view(args[0].get_string())).has_value());
}

Result<json::value> SemVerCompare(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "semver.compare";
  KW_TRY(CheckArity(kName, args, 2));
  std::array<SemVer, 2> versions;
  for (std::size_t n = 1; n <= 2; ++n) {
    KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, n));
    auto v = ParseSemVer(text);
    if (!v) {
      return std::unexpected(BuiltinError(kName, "operand " + std::to_string(n) + ": string " +
                                                     internal::GoQuote(text) +
                                                     " is not a valid SemVer"));
    }
    versions[n - 1] = std::move(*v);
  }
  return json::value(CompareSemVer(versions[0], versions[1]));
}

// --- time ---

Result<json::value> TimeNowNs(const BuiltinContext& context, std::span<const json::value> args) {
  KW_TRY(CheckArity("time.now_ns", args, 0));
  return json::value(context.now_ns);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The inverse: {year, month, day} of a day count.
std::array<std::int64_t, 3> CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
std::optional<int> Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Why time.Parse refused a text, as Go's time.ParseError holds it: either the part of the text
// that does not fit an element of the layout, or a message of Go's own (a field out of range,
// trailing text), which starts with ": ".
struct TimeParseError {
  std::string value_element;
  std::string_view layout_element;
  std::string message;
};

// time.Parse(time.RFC3339, s) followed by UnixNano: "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)".
// Walks the layout's elements as Go does, so that a failure is Go's: the rest of the text that
// is not the element expected, or `: day out of range`, `: extra text: "<rest>"` and the like.
std::optional<TimeParseError> ParseRfc3339Ns(std::string_view s, std::int64_t& ns) {
  std::string_view rest = s;
  auto cannot = [&rest](std::string_view element) {
    return TimeParseError{.value_element = std::string(rest), .layout_element = element};
  };
  auto with_message = [](std::string message) {
    return TimeParseError{.message = std::move(message)};
  };
  auto literal = [&rest](char c) {
    if (rest.empty() || rest[0] != c) return false;
    rest.remove_prefix(1);
    return true;
  };
  // A fixed-width number of `n` digits, as Go's getnum(value, fixed=true) and atoi.
  auto number = [&rest](std::size_t n) -> std::optional<int> {
    auto v = Digits(rest, 0, n);
    if (v) rest.remove_prefix(n);
    return v;
  };
  auto year = number(4);
  if (!year) return cannot("2006");
  if (!literal('-')) return cannot("-");
  auto month = number(2);
  if (!month) return cannot("01");
  if (*month < 1 || *month > 12) return with_message(": month out of range");
  if (!literal('-')) return cannot("-");
  auto day = number(2);
  if (!day) return cannot("02");
  if (!literal('T')) return cannot("T");
  auto hour = number(2);
  if (!hour) return cannot("15");
  if (*hour > 23) return with_message(": hour out of range");
  if (!literal(':')) return cannot(":");
  auto minute = number(2);
  if (!minute) return cannot("04");
  if (*minute > 59) return with_message(": minute out of range");
  if (!literal(':')) return cannot(":");
  auto second = number(2);
  if (!second) return cannot("05");
  if (*second > 59) return with_message(": second out of range");
  // A fractional second the layout does not mention is still accepted; Go reads at most nine
  // digits of it and skips the rest.
  std::int64_t fraction = 0;
  if (rest.size() >= 2 && (rest[0] == '.' || rest[0] == ',') && rest[1] >= '0' &&
      rest[1] <= '9') {
    std::size_t n = 1;
    int digits = 0;
    for (; n < rest.size() && rest[n] >= '0' && rest[n] <= '9'; ++n) {
      if (digits < 9) {
        fraction = fraction * 10 + (rest[n] - '0');
        ++digits;
      }
    }
    for (; digits < 9; ++digits) fraction *= 10;
    rest.remove_prefix(n);
  }
  std::int64_t offset = 0;
  if (!rest.empty() && rest[0] == 'Z') {
    rest.remove_prefix(1);
  } else {
    if (rest.size() < 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') {
      return cannot("Z07:00");
    }
    auto oh = Digits(rest, 1, 2), om = Digits(rest, 4, 2);
    if (!oh || !om) return cannot("Z07:00");
    if (*oh > 24) return with_message(": time zone offset hour out of range");
    if (*om > 60) return with_message(": time zone offset minute out of range");
    offset = (*oh * 3600 + *om * 60) * (rest[0] == '-' ? -1 : 1);
    rest.remove_prefix(6);
  }
  if (!rest.empty()) return with_message(": extra text: " + internal::GoQuote(rest));
  if (*day < 1 || static_cast<unsigned>(*day) > DaysInMonth(*year, *month)) {
    return with_message(": day out of range");
  }
  std::int64_t seconds = DaysFromCivil(*year, *month, *day) * 86400 + *hour * 3600 +
                         *minute * 60 + *second - offset;
  // UnixNano is only defined for the years 1678 to 2262; OPA would return a wrapped value.
  std::int64_t scaled;
  if (__builtin_mul_overflow(seconds, std::int64_t{1'000'000'000}, &scaled) ||
      __builtin_add_overflow(scaled, fraction, &ns)) {
    return with_message(": time out of the range of nanoseconds since the epoch");
  }
  return std::nullopt;
}

Result<json::value> ParseRfc3339NsBuiltin(const BuiltinContext&,
                                          std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.parse_rfc3339_ns";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 1));
  std::int64_t ns = 0;
  if (auto error = ParseRfc3339Ns(text, ns)) {
    // As Go's ParseError.Error(): `parsing time "v": day out of range` for a message of its
    // own, else the layout and the element the text did not fit.
    std::string message = "parsing time " + internal::GoQuote(text);
    if (error->message.empty()) {
      message += " as \"2006-01-02T15:04:05Z07:00\": cannot parse " +
                 internal::GoQuote(error->value_element) + " as \"" +
                 std::string(error->layout_element) + "\"";
    } else {
      message += error->message;
    }
    return std::unexpected(BuiltinError(kName, message));
  }
  return json::value(ns);
}

// A time zone read from the system's TZif files (/usr/share/zoneinfo): the UTC offsets in
// force from each transition on. Past the last transition the last offset stays in force, so
// (with the "fat" files Debian ships, which list transitions up to 2037) dates after 2037 in a
// zone with daylight saving time may be an hour off.
struct Zone {
  std::vector<std::int64_t> transitions;  // seconds since the epoch, ascending
  std::vector<std::int32_t> offsets;      // offsets[i]: in force from transitions[i]
  std::int32_t initial_offset = 0;        // before the first transition

  std::int32_t OffsetAt(std::int64_t seconds) const {
    auto it = std::upper_bound(transitions.begin(), transitions.end(), seconds);
    if (it == transitions.begin()) return initial_offset;
    return offsets[static_cast<std::size_t>(it - transitions.begin()) - 1];
  }
};

std::uint64_t BigEndian(std::string_view data, std::size_t pos, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(data[pos + i]);
  return v;
}

// Parses a TZif file (RFC 8536), preferring the 64-bit data of version 2 and later.
std::optional<Zone> ParseTzif(std::string_view data) {
  auto parse_block = [&data](std::size_t pos, std::size_t time_size,
                             std::size_t* end) -> std::optional<Zone> {
    if (data.size() < pos + 44 || data.substr(pos, 4) != "TZif") return std::nullopt;
    std::uint64_t isutcnt = BigEndian(data, pos + 20, 4), isstdcnt = BigEndian(data, pos + 24, 4),
                  leapcnt = BigEndian(data, pos + 28, 4), timecnt = BigEndian(data, pos + 32, 4),
                  typecnt = BigEndian(data, pos + 36, 4), charcnt = BigEndian(data, pos + 40, 4);
    std::uint64_t size = timecnt * time_size + timecnt + typecnt * 6 + charcnt +
                         leapcnt * (time_size + 4) + isstdcnt + isutcnt;
    std::size_t body = pos + 44;
    if (typecnt == 0 || timecnt > data.size() || typecnt > 256 || size > data.size() - body) {
      return std::nullopt;
    }
    Zone zone;
    std::size_t indices = body + timecnt * time_size, types = indices + timecnt;
    auto offset_of = [&](std::uint64_t type) {
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(BigEndian(data, types + type * 6, 4)));
    };
    for (std::uint64_t i = 0; i < timecnt; ++i) {
      std::uint64_t raw = BigEndian(data, body + i * time_size, time_size);
      std::int64_t t = time_size == 8 ? static_cast<std::int64_t>(raw)
                                      : static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
      auto type = static_cast<unsigned char>(data[indices + i]);
      if (type >= typecnt) return std::nullopt;
      zone.transitions.push_back(t);
      zone.offsets.push_back(offset_of(type));
    }
    zone.initial_offset = offset_of(0);
    *end = body + size;
    return zone;
  };
  std::size_t end = 0;
  auto v1 = parse_block(0, 4, &end);
  if (!v1) return std::nullopt;
  if (data[4] >= '2') {
    std::size_t end2 = 0;
    if (auto v2 = parse_block(end, 8, &end2)) return v2;
  }
  return v1;
}

// Go's time.LoadLocation over the system's zoneinfo: the error texts are Go's.
Result<Zone> LoadZone(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos ||
      name.find('\\') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Fail(ErrorKind::kInvalidArgument, "time: invalid location name");
  }
  std::string path = "/usr/share/zoneinfo/" + std::string(name);
  std::ifstream file(path, std::ios::binary);
  std::string data;
  if (file) {
    // A TZif file is a few kilobytes; anything far larger is not one.
    data.resize(1 << 16);
    file.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(file.gcount()));
  }
  auto zone = ParseTzif(data);
  if (!zone) return Fail(ErrorKind::kInvalidArgument, "unknown time zone " + std::string(name));
  return std::move(*zone);
}

// LoadZone behind a process-wide cache, so that a policy calling time.date in a loop reads
// each zone's file once. Only zones that loaded are kept, so the cache holds at most the
// system's zone files (about 600).
Result<std::shared_ptr<const Zone>> CachedZone(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Zone>, std::less<>> cache;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
  }
  KW_ASSIGN_OR_RETURN(Zone zone, LoadZone(name));
  auto shared = std::make_shared<const Zone>(std::move(zone));
  std::lock_guard lock(mutex);
  cache.emplace(std::string(name), shared);
  return shared;
}

Result<json::value> Date(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.date";
  static constexpr std::string_view kWant = "either number (ns) or [number (ns), string (tz)]";
  KW_TRY(CheckArity(kName, args, 1));
  const json::value* ns_value = &args[0];
  std::string_view tz;
  if (args[0].is_array()) {
    const json::array& pair = args[0].get_array();
    if (pair.empty()) return std::unexpected(OperandTypeError(kName, 1, kWant, args[0]));
    ns_value = &pair[0];
    if (pair.size() > 1) {
      if (!pair[1].is_string()) return std::unexpected(OperandTypeError(kName, 1, "string", pair[1]));
      tz = std::string_view(pair[1].get_string());
    }
  }
  if (!ns_value->is_number()) {
    return std::unexpected(OperandTypeError(
        kName, 1, args[0].is_array() ? std::string_view("number") : kWant, *ns_value));
  }
  std::int64_t ns;
  if (ns_value->is_int64()) {
    ns = ns_value->get_int64();
  } else {
    // OPA requires the number to be an exact int64.
    double d = ns_value->to_number<double>();
    if (ns_value->is_uint64() || d != std::trunc(d) || !(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) {
      return std::unexpected(BuiltinError(kName, "timestamp too big"));
    }
    ns = static_cast<std::int64_t>(d);
  }
  // Floor division: a time before the epoch belongs to the previous second.
  std::int64_t seconds = ns / 1'000'000'000 - (ns % 1'000'000'000 < 0 ? 1 : 0);
  // "Local" is the host's zone in OPA; a policy server's answer must not depend on the zone
  // of the machine it runs on, and containers run in UTC, so Local is UTC here.
  if (!tz.empty() && tz != "UTC" && tz != "Local") {
    auto zone = CachedZone(tz);
    if (!zone) return std::unexpected(BuiltinError(kName, zone.error().message));
    seconds += (*zone)->OffsetAt(seconds);
  }
  std::int64_t days = seconds / 86400 - (seconds % 86400 < 0 ? 1 : 0);
  auto [y, m, d] = CivilFromDays(days);
  return json::value(json::array{y, m, d});
}

struct Entry {
  std::string_view name;
  Builtin builtin;
};

// Sorted by name, so that lookups can bisect and BuiltinNames() is this list.
constexpr Entry kBuiltins[] = {
    {"base64url.encode_no_pad", Base64UrlEncodeNoPad},
    {"date", Date},
    {"glob.quote_meta", GlobQuoteMeta},
    {"hex.decode", HexDecode},
    {"hex.encode", HexEncode},
    {"json.is_valid", JsonIsValid},
    {"json.patch", JsonPatch},
    {"parse_rfc3339_ns", ParseRfc3339NsBuiltin},
    {"regex.find_n", internal::RegexFindN},
    {"regex.split", internal::RegexSplit},
    {"regex.template_match", internal::RegexTemplateMatch},
    {"semver.compare", SemVerCompare},
    {"semver.is_valid", SemVerIsValid},
    {"sprintf", internal::Sprintf},
    {"time.date", Date},
    {"time.now_ns", TimeNowNs},
    {"time.parse_rfc3339_ns", ParseRfc3339NsBuiltin},
    {"trace", Trace},
    {"urlquery.decode", UrlQueryDecode},
    {"urlquery.decode_object", UrlQueryDecodeObject},
    {"urlquery.encode", UrlQueryEncode},
    {"urlquery.encode_object", UrlQueryEncodeObject},
    {"yaml.is_valid", YamlIsValid},
    {"yaml.marshal", YamlMarshal},
    {"yaml.unmarshal", YamlUnmarshal},
};

static_assert(std::is_sorted(std::begin(kBuiltins), std::end(kBuiltins),
                             [](const Entry& a, const Entry& b) { return a.name < b.name; }));

}  // namespace

Builtin FindBuiltin(std::string_view name) {
  auto it = std::lower_bound(std::begin(kBuiltins), std::end(kBuiltins), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  return it != std::end(kBuiltins) && it->name == name ? it->builtin : nullptr;
}

std::vector<std::string> BuiltinNames() {
  std::vector<std::string> names;
  for (const Entry& e : kBuiltins) names.emplace_back(e.name);
  return names;
}

}  // namespace kw::runtime::opa
