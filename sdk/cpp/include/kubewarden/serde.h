// kubewarden/serde.h: serde/serde_json-style decode error messages (policies.md §1.3).
//
// Rust-origin policies report settings and object decode failures with serde's texts, e.g.
//   invalid type: string "yes", expected a boolean
//   invalid value: integer `-1`, expected u32
//   missing field `min`
//   unknown variant `Foo`, expected one of `MustRunAs`, `MayRunAs`, `RunAsAny`
// These helpers build them from a json::Value the way serde_json classifies JSON: a number
// without fraction or exponent is an integer (u64, or i64 when negative) unless it overflows 64
// bits, anything else a floating point printed like Rust's f64 Display ("1.0", "0.001").
// Positions (" at line L column C") are never added; the spec makes them optional.
//
// Decode* functions check one value against one Rust type. They return nullopt and set `*error`
// when it does not fit, mirroring what serde would say. All functions are pure.
#ifndef KUBEWARDEN_SERDE_H_
#define KUBEWARDEN_SERDE_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "kubewarden/format.h"
#include "kubewarden/json.h"

namespace kubewarden::serde {

// Rust f64 Display (no exponent; at least one fractional digit, as serde's WithDecimalPoint)
// of a JSON number literal: "1.5E0" -> "1.5", "1e2" -> "100.0", "-2.50e-3" -> "-0.0025".
inline std::string RustFloat(std::string_view literal) {
  std::string digits;
  bool negative = false;
  long exponent = 0;  // value = digits * 10^exponent
  std::size_t i = 0;
  if (i < literal.size() && literal[i] == '-') {
    negative = true;
    ++i;
  }
  bool fraction = false;
  for (; i < literal.size(); ++i) {
    char c = literal[i];
    if (c >= '0' && c <= '9') {
      if (!(digits.empty() && c == '0')) digits.push_back(c);
      if (fraction) --exponent;
    } else if (c == '.') {
      fraction = true;
    } else {
      break;
    }
  }
  if (i < literal.size() && (literal[i] == 'e' || literal[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < literal.size() && (literal[i] == '+' || literal[i] == '-')) {
      exp_negative = literal[i] == '-';
      ++i;
    }
    long e = 0;
    for (; i < literal.size() && e < 100000; ++i) e = e * 10 + (literal[i] - '0');
    exponent += exp_negative ? -e : e;
  }
  while (!digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  std::string out = negative ? "-" : "";
  if (digits.empty()) return out + "0.0";
  long n = static_cast<long>(digits.size());
  if (exponent >= 0) {
    out.append(digits).append(static_cast<std::size_t>(exponent), '0').append(".0");
  } else if (-exponent < n) {
    out.append(digits, 0, static_cast<std::size_t>(n + exponent))
        .append(".")
        .append(digits, static_cast<std::size_t>(n + exponent));
  } else {
    out.append("0.").append(static_cast<std::size_t>(-exponent - n), '0').append(digits);
  }
  return out;
}

// serde's Unexpected for `value`: "null", "boolean `true`", "integer `7`",
// "floating point `1.5`", "string \"abc\"", "sequence", "map".
inline std::string Unexpected(const json::Value& value) {
  switch (value.type()) {
    case json::Type::kNull:
      return "null";
    case json::Type::kBool:
      return *value.AsBool() ? "boolean `true`" : "boolean `false`";
    case json::Type::kNumber: {
      if (value.IsInteger()) {
        if (auto u = value.AsUint64()) {
          char buf[24];
          char* p = json::internal::FormatUint(*u, buf + sizeof buf);
          return "integer `" + std::string(p, buf + sizeof buf) + "`";
        }
        if (auto s = value.AsInt64()) {
          char buf[24];
          return "integer `" + std::string(json::internal::FormatInt(*s, buf)) + "`";
        }
      }
      return "floating point `" + RustFloat(value.NumberText()) + "`";
    }
    case json::Type::kString: {
      std::string out = "string ";
      AppendRustDebug(out, *value.AsString());
      return out;
    }
    case json::Type::kArray:
      return "sequence";
    case json::Type::kObject:
      return "map";
  }
  return "";
}

// "invalid type: <Unexpected(value)>, expected <expected>"
inline std::string InvalidType(const json::Value& value, std::string_view expected) {
  std::string out = "invalid type: " + Unexpected(value);
  out.append(", expected ").append(expected);
  return out;
}

// "invalid value: <Unexpected(value)>, expected <expected>"
inline std::string InvalidValue(const json::Value& value, std::string_view expected) {
  std::string out = "invalid value: " + Unexpected(value);
  out.append(", expected ").append(expected);
  return out;
}

// "missing field `<name>`"
inline std::string MissingField(std::string_view name) {
  std::string out = "missing field `";
  out.append(name).append("`");
  return out;
}

namespace internal {
// serde's OneOf: `a` | `a` or `b` | one of `a`, `b`, `c`.
inline void AppendOneOf(std::string& out, std::initializer_list<std::string_view> names) {
  if (names.size() == 2) {
    out.append("`").append(*names.begin()).append("` or `").append(names.begin()[1]).append("`");
    return;
  }
  if (names.size() > 2) out.append("one of ");
  bool first = true;
  for (std::string_view n : names) {
    if (!first) out.append(", ");
    first = false;
    out.append("`").append(n).append("`");
  }
}
}  // namespace internal

// "unknown variant `<v>`, expected one of `A`, `B`, `C`" (two: "expected `A` or `B`").
inline std::string UnknownVariant(std::string_view variant,
                                  std::initializer_list<std::string_view> expected) {
  std::string out = "unknown variant `";
  out.append(variant).append("`, ");
  if (expected.size() == 0) return out + "there are no variants";
  out.append("expected ");
  internal::AppendOneOf(out, expected);
  return out;
}

// "unknown field `<f>`, expected one of ..." (serde's deny_unknown_fields).
inline std::string UnknownField(std::string_view field,
                                std::initializer_list<std::string_view> expected) {
  std::string out = "unknown field `";
  out.append(field).append("`, ");
  if (expected.size() == 0) return out + "there are no fields";
  out.append("expected ");
  internal::AppendOneOf(out, expected);
  return out;
}

// Rust's name for an integer type, as serde prints it in "expected i32".
template <typename T>
constexpr std::string_view IntegerName() {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 1) return "i8";
    if constexpr (sizeof(T) == 2) return "i16";
    if constexpr (sizeof(T) == 4) return "i32";
    if constexpr (sizeof(T) == 8) return "i64";
  } else {
    if constexpr (sizeof(T) == 1) return "u8";
    if constexpr (sizeof(T) == 2) return "u16";
    if constexpr (sizeof(T) == 4) return "u32";
    if constexpr (sizeof(T) == 8) return "u64";
  }
  return "";
}

// --- One value against one Rust type. ---

inline std::optional<bool> DecodeBool(const json::Value& v, std::string* error) {
  if (auto b = v.AsBool()) return b;
  *error = InvalidType(v, "a boolean");
  return std::nullopt;
}

inline std::optional<std::string_view> DecodeString(const json::Value& v, std::string* error) {
  if (auto s = v.AsString()) return s;
  *error = InvalidType(v, "a string");
  return std::nullopt;
}

// An integer of type T: floats and non-numbers are "invalid type", integers out of T's range
// "invalid value".
template <typename T>
std::optional<T> DecodeInteger(const json::Value& v, std::string* error) {
  constexpr std::string_view kName = IntegerName<T>();
  if (!v.IsInteger()) {
    *error = InvalidType(v, kName);
    return std::nullopt;
  }
  if (auto s = v.AsInt64()) {
    if (*s >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
        (*s < 0 || static_cast<std::uint64_t>(*s) <=
                       static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
      return static_cast<T>(*s);
    }
  } else if (auto u = v.AsUint64()) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(*u);
  } else {
    *error = InvalidType(v, kName);  // beyond 64 bits: serde_json reads a float
    return std::nullopt;
  }
  *error = InvalidValue(v, kName);
  return std::nullopt;
}

// A unit-variant enum spelled as a string: the index of the variant in `variants`.
inline std::optional<std::size_t> DecodeVariant(const json::Value& v,
                                                std::initializer_list<std::string_view> variants,
                                                std::string* error) {
  auto s = v.AsString();
  if (!s) {
    // serde_json asks for a string (unit variant) or a map (other variants).
    *error = InvalidType(v, "string or map");
    return std::nullopt;
  }
  std::size_t i = 0;
  for (std::string_view name : variants) {
    if (name == *s) return i;
    ++i;
  }
  *error = UnknownVariant(*s, variants);
  return std::nullopt;
}

}  // namespace kubewarden::serde

#endif  // KUBEWARDEN_SERDE_H_
