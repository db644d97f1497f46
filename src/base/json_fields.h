// Reading typed fields out of JSON configuration (metadata, policies.yml, ...), with errors that
// name the field by its dotted path: "field 'rules[0].operations' must be a list of strings, got
// a number", "missing field 'module'".
//
// Header-only templates aside, everything is in json_fields.cc. Pure and thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw::json_fields {

// "null", "a boolean", "a number", "a string", "a list", "an object".
std::string_view KindName(const json::value& v);

std::unexpected<Error> Invalid(std::string message);
std::unexpected<Error> WrongType(std::string_view field, std::string_view expected,
                                 const json::value& got);

// "<field>[<index>]".
std::string Indexed(std::string_view field, std::size_t index);

// The keys of `object` outside `known`, in the object's order: the fields a parser refuses
// (upstream's deny_unknown_fields) or warns about (where upstream ignores them).
std::vector<std::string> UnknownKeys(const json::object& object,
                                     std::span<const std::string_view> known);
// "a, b, c": the known fields, for a message about an unknown one.
std::string JoinNames(std::span<const std::string_view> names);

// A key with a default: absent and null both mean "use the default" (nullptr).
const json::value* FindSet(const json::object& object, std::string_view key);
// A required key; `path` names it in the error.
Result<const json::value*> FindRequired(const json::object& object, std::string_view key,
                                        std::string_view path);

Result<std::string> GetString(const json::value& v, std::string_view field);
Result<bool> GetBool(const json::value& v, std::string_view field);
Result<std::uint64_t> GetUnsigned(const json::value& v, std::string_view field);
Result<std::vector<std::string>> GetStringList(const json::value& v, std::string_view field);
// A list of numbers from 0 to 255 (serde's Vec<u8>, not base64), as the bytes they are.
Result<std::string> GetBytes(const json::value& v, std::string_view field);

// A string that must be one of `names`.
template <typename Enum, std::size_t N>
Result<Enum> GetEnum(const json::value& v, std::string_view field,
                     const std::pair<std::string_view, Enum> (&names)[N]) {
  KW_ASSIGN_OR_RETURN(std::string s, GetString(v, field));
  std::string expected;
  for (const auto& [name, value] : names) {
    if (s == name) return value;
    if (!expected.empty()) expected += ", ";
    expected += name;
  }
  return Invalid("field '" + std::string(field) + "': unknown value '" + s +
                 "', expected one of: " + expected);
}

}  // namespace kw::json_fields
