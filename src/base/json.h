// JSON on top of Boost.JSON, without exceptions.
//
// Boost.JSON is the one JSON DOM of the project. These helpers parse untrusted text into a value
// with a clear error (never a throw), and serialize compactly.
#pragma once

#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "base/error.h"

namespace kw {

namespace json = boost::json;

// Parses `text`. On failure: kInvalidArgument, "<what>: <reason> at line L column C".
Result<json::value> ParseJson(std::string_view text, std::string_view what = "invalid JSON");

// Compact serialization.
std::string ToJson(const json::value& value);

// Looks up `key` in `object`, or nullptr (also when `value` is not an object).
const json::value* FindKey(const json::value& value, std::string_view key);

}  // namespace kw
