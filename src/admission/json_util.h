// JSON helpers shared by the admission files: fast append-serialization and serde-like type
// descriptions for error messages.
//
// The serializers write straight into a caller's std::string (no intermediate DOM or temporary
// strings), because request payloads and responses are built on every evaluation. String
// escaping is byte-for-byte what Boost.JSON's serializer (and serde_json) emit: `"`, `\` and
// control characters only, lower-case `\u00xx`, `/` and non-ASCII left alone. Invalid UTF-8
// given to AppendJsonString is replaced by U+FFFD (like Rust's `from_utf8_lossy`), so what we
// hand to the API server is always valid JSON.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace kw::admission {

// Appends the compact serialization of `value` to `out`.
void AppendJson(std::string& out, const json::value& value);
void AppendJson(std::string& out, const json::array& value);

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view text);

// Returns `text` unchanged when it is valid UTF-8, else a copy with each invalid sequence
// replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);

// Describes `value` the way serde does in "invalid type" errors: `null`, `boolean `true``,
// `integer `5``, `floating point `1.5``, `string "abc"`, `sequence`, `map`.
std::string DescribeJson(const json::value& value);

// The floating-point and string cases of DescribeJson, for describing values of other DOMs
// (simdjson's, in request.cc). Strings longer than 64 bytes are cut, with "..." appended.
std::string DescribeJsonDouble(double value);
std::string DescribeJsonString(std::string_view value);

// serde's "invalid type: <found>, expected <expected>".
std::string InvalidType(const json::value& found, std::string_view expected);

}  // namespace kw::admission
