// JSON on top of Boost.JSON, without exceptions.
//
// Boost.JSON is the one JSON DOM of the project. These helpers parse untrusted text into a value
// with a clear error (never a throw), and serialize compactly.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "base/error.h"

namespace kw {

namespace json = boost::json;

// What an object with a key twice becomes. kLastWins is serde_json's (and Boost's) rule for a
// free-form value; kRefuse is serde_yaml's, for configuration read as JSON or YAML alike
// ("duplicate key 'a'").
enum class DuplicateKeys { kLastWins, kRefuse };

struct JsonLimits {
  DuplicateKeys duplicates = DuplicateKeys::kLastWins;
  std::size_t max_depth = 512;  // deeper: "nesting is too deep"
};

// Parses `text`. On failure: kInvalidArgument, "<what>: <reason> at line L column C". The value
// costs memory in proportion to the text (JSON has no aliases).
Result<json::value> ParseJson(std::string_view text, std::string_view what = "invalid JSON",
                              JsonLimits limits = {});

// Compact serialization.
std::string ToJson(const json::value& value);

// Looks up `key` in `object`, or nullptr (also when `value` is not an object).
const json::value* FindKey(const json::value& value, std::string_view key);

// The value at `path` of nested objects ({"spec", "matchConstraints"}), or nullptr when a key is
// missing or a value on the way is not an object.
const json::value* FindPath(const json::value& value, std::initializer_list<std::string_view> path);

// The string at `path` of nested objects ({"metadata", "name"}), or "" when a key is missing or
// the value there is not a string.
std::string StringAt(const json::value& value, std::initializer_list<std::string_view> path);

}  // namespace kw
