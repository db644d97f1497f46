#include "runtime/opa/builtins.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "admission/json_patch.h"
#include "base/go_json.h"
#include "base/semver.h"
#include "base/utf8.h"
#include "base/yaml.h"
#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

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
      return IsSet(value) ? "set" : "object";
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

Result<std::int64_t> IntOperand(std::string_view builtin, std::span<const json::value> args,
                                std::size_t n) {
  const json::value& arg = args[n - 1];
  if (!arg.is_number()) return std::unexpected(OperandTypeError(builtin, n, "number", arg));
  if (arg.is_int64()) return arg.get_int64();
  // OPA's Number.Int(): an integer that fits int64; anything else is "floating-point".
  if (arg.is_double()) {
    double d = arg.get_double();
    if (d == std::trunc(d) && d >= -9.2233720368547758e18 && d < 9.2233720368547758e18) {
      return static_cast<std::int64_t>(d);
    }
  }
  return std::unexpected(BuiltinError(builtin, "operand " + std::to_string(n) +
                                                   " must be integer number but got "
                                                   "floating-point number"));
}

Error OperandTypesError(std::string_view builtin, std::size_t n,
                        std::initializer_list<std::string_view> want, const json::value& got) {
  std::string list;
  for (std::string_view w : want) {
    if (!list.empty()) list += ", ";
    list += w;
  }
  return OperandTypeError(builtin, n, "one of {" + list + "}", got);
}

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

std::string Base64UrlNoPad(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
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
  return out;
}

std::string HexText(std::string_view bytes) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 15]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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
      if (IsSet(value)) {
        // OPA prints a set's elements in its order, which MakeSet kept.
        const json::array& elements = *ArrayOrSetElements(value);
        if (elements.empty()) {
          out += "set()";
          return;
        }
        out.push_back('{');
        for (std::size_t i = 0; i < elements.size(); ++i) {
          if (i > 0) out += ", ";
          AppendRegoString(elements[i], out);
        }
        out.push_back('}');
        return;
      }
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

// --- trace, encodings ---

Result<json::value> Trace(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("trace", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view note, StringOperand("trace", args, 1));
  spdlog::info("policy trace: {}", note);
  return json::value(true);
}

// internal.print, what Rego's print(...) compiles to: one array of operands, each the set of the
// values the operand took (empty when undefined). OPA prints a line per combination of values,
// strings bare, other values as Rego text, "<undefined>" for an empty set.
Result<json::value> Print(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "internal.print";
  // A policy printing the cross product of large sets would flood the log: a few lines is what
  // print is for.
  static constexpr std::size_t kMaxLines = 100;
  KW_TRY(CheckArity(kName, args, 1));
  if (!args[0].is_array()) return std::unexpected(OperandTypeError(kName, 1, "array", args[0]));
  const json::array& operands = args[0].get_array();
  std::vector<std::vector<std::string>> texts;
  for (const json::value& operand : operands) {
    const json::array* values = IsSet(operand) ? ArrayOrSetElements(operand) : nullptr;
    if (values == nullptr) return std::unexpected(BuiltinError(kName, "illegal argument type: " + std::string(internal::TypeName(operand))));
    std::vector<std::string>& options = texts.emplace_back();
    if (values->empty()) options.emplace_back("<undefined>");
    for (const json::value& v : *values) {
      std::string text;
      if (v.is_string()) {
        text = std::string(v.get_string());
      } else {
        internal::AppendRegoString(v, text);
      }
      options.push_back(std::move(text));
    }
  }
  // The combinations in order, as an odometer over the operands' values.
  std::vector<std::size_t> at(texts.size(), 0);
  for (std::size_t line = 0; line < kMaxLines; ++line) {
    std::string out;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out += texts[i][at[i]];
    }
    spdlog::info("policy print: {}", out);
    std::size_t i = texts.size();
    while (i > 0 && ++at[i - 1] == texts[i - 1].size()) at[--i] = 0;
    if (i == 0) break;
  }
  return json::value(true);  // not undefined: the rule goes on
}

// opa.runtime: OPA's answer when it runs without runtime information, as a policy server
// would not hand its environment to policies.
Result<json::value> OpaRuntime(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("opa.runtime", args, 0));
  return json::value(json::object());
}

Result<json::value> Base64UrlEncodeNoPad(const BuiltinContext&,
                                         std::span<const json::value> args) {
  static constexpr std::string_view kName = "base64url.encode_no_pad";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand(kName, args, 1));
  return json::value(json::string(internal::Base64UrlNoPad(in)));
}

Result<json::value> HexEncode(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("hex.encode", args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view in, StringOperand("hex.encode", args, 1));
  return json::value(json::string(internal::HexText(in)));
}

using internal::HexValue;

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
    if (const json::array* elements = ArrayOrSetElements(v)) {
      bool ok = true;
      for (const json::value& element : *elements) {
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

// json.marshal_with_options: Go's json.Marshal, or json.MarshalIndent when the options ask for
// it ("pretty", or implicitly "prefix" / "indent"); OPA prefixes the first line too.
Result<json::value> JsonMarshalWithOptions(const BuiltinContext&,
                                           std::span<const json::value> args) {
  static constexpr std::string_view kName = "json.marshal_with_options";
  KW_TRY(CheckArity(kName, args, 2));
  if (!args[1].is_object() || IsSet(args[1])) {
    return std::unexpected(OperandTypeError(kName, 2, "object", args[1]));
  }
  std::string prefix;
  std::string indent = "\t";
  bool implicit_pretty = false;
  std::optional<bool> explicit_pretty;
  // OPA goes through the options in key order and names the failing one by its index there.
  const json::value options = internal::SortedKeys(args[1]);
  std::size_t index = 0;
  for (const auto& kv : options.get_object()) {
    std::string_view key = kv.key();
    const json::value& value = kv.value();
    const std::string operand = "operand " + std::to_string(index);
    if (key == "prefix" || key == "indent") {
      if (!value.is_string()) {
        return std::unexpected(BuiltinError(
            kName, "operand 2 key " + std::string(key) + " failed cast to string: " + operand +
                       " must be string but got " + std::string(internal::TypeName(value))));
      }
      (key == "prefix" ? prefix : indent) = std::string(value.get_string());
      implicit_pretty = true;
    } else if (key == "pretty") {
      if (!value.is_bool()) {
        return std::unexpected(BuiltinError(
            kName, "operand 2 key pretty failed cast to bool: " + operand +
                       " must be boolean but got " + std::string(internal::TypeName(value))));
      }
      explicit_pretty = value.get_bool();
    } else {
      return std::unexpected(BuiltinError(
          kName, "operand 2 object contained unknown key " + internal::GoQuote(key)));
    }
    ++index;
  }
  const json::value document = internal::SortedKeys(SetsAsArrays(args[0]));
  if (!explicit_pretty.value_or(implicit_pretty)) {
    return json::value(json::string(MarshalLikeGo(document)));
  }
  return json::value(json::string(prefix + MarshalIndentLikeGo(document, {prefix, indent})));
}

Result<json::value> YamlMarshal(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("yaml.marshal", args, 1));
  return json::value(json::string(JsonToYaml(internal::SortedKeys(args[0]))));
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

using internal::BuiltinEntry;

// The builtins of this file (burrego's set); the families in builtins_<family>.cc add theirs.
constexpr BuiltinEntry kCoreBuiltins[] = {
    {"base64url.encode_no_pad", Base64UrlEncodeNoPad},
    {"glob.quote_meta", GlobQuoteMeta},
    {"hex.decode", HexDecode},
    {"hex.encode", HexEncode},
    {"internal.print", Print},
    {"json.is_valid", JsonIsValid},
    {"json.marshal_with_options", JsonMarshalWithOptions},
    {"json.patch", JsonPatch},
    {"opa.runtime", OpaRuntime},
    {"semver.compare", SemVerCompare},
    {"semver.is_valid", SemVerIsValid},
    {"sprintf", internal::Sprintf},
    {"trace", Trace},
    {"urlquery.decode", UrlQueryDecode},
    {"urlquery.decode_object", UrlQueryDecodeObject},
    {"urlquery.encode", UrlQueryEncode},
    {"urlquery.encode_object", UrlQueryEncodeObject},
    {"yaml.is_valid", YamlIsValid},
    {"yaml.marshal", YamlMarshal},
    {"yaml.unmarshal", YamlUnmarshal},
};

// Every family's list, merged and sorted by name once, so that lookups can bisect. A name
// registered twice is a programming error, caught by the unit tests (BuiltinNames() is unique).
const std::vector<BuiltinEntry>& Registry() {
  static const std::vector<BuiltinEntry> registry = [] {
    std::vector<BuiltinEntry> all(std::begin(kCoreBuiltins), std::end(kCoreBuiltins));
    for (auto family : {internal::StringsBuiltins(), internal::CryptoBuiltins(),
                        internal::X509Builtins(), internal::NetBuiltins(),
                        internal::UnitsBuiltins(), internal::TimeBuiltins(),
                        internal::RandomBuiltins(), internal::GraphBuiltins(),
                        internal::UuidBuiltins(), internal::NumbersBuiltins(),
                        internal::TemplateBuiltins(), internal::JsonSchemaBuiltins(),
                        internal::JsonPathsBuiltins(), internal::RegexBuiltins()}) {
      all.insert(all.end(), family.begin(), family.end());
    }
    std::sort(all.begin(), all.end(),
              [](const BuiltinEntry& a, const BuiltinEntry& b) { return a.name < b.name; });
    return all;
  }();
  return registry;
}

}  // namespace

// A kind and message no builtin error has: the message cannot start with "<builtin>: ".
constexpr std::string_view kUndefinedMessage = "(undefined)";

Error UndefinedResult() { return Error(ErrorKind::kNotFound, std::string(kUndefinedMessage)); }

bool IsUndefinedResult(const Error& error) {
  return error.kind == ErrorKind::kNotFound && error.message == kUndefinedMessage;
}

Builtin FindBuiltin(std::string_view name) {
  const auto& registry = Registry();
  auto it = std::lower_bound(registry.begin(), registry.end(), name,
                             [](const BuiltinEntry& e, std::string_view n) { return e.name < n; });
  return it != registry.end() && it->name == name ? it->builtin : nullptr;
}

std::vector<std::string> BuiltinNames() {
  std::vector<std::string> names;
  for (const BuiltinEntry& e : Registry()) names.emplace_back(e.name);
  return names;
}

}  // namespace kw::runtime::opa
