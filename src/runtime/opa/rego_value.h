// Rego values on the host: JSON values, plus sets, which JSON has no form for.
//
// OPA's wasm ABI dumps a value either as JSON (opa_json_dump: a set becomes an array) or as
// Rego value text (opa_value_dump: sets as `{1,2}` and `set()`, objects with keys of any type).
// The host reads builtin arguments through the second when the module exports it, so that
// sprintf prints `{"a"}` for a set as OPA does, and set-typed builtins can tell sets apart.
//
// A set is held as an object with the single key kSetKey, whose value is the array of its
// elements in Rego's order. The key starts with a NUL byte: a policy could still build such an
// object, and would only fool its own builtins. Objects whose keys are not strings (legal in
// Rego) are held with each key's JSON text as the key, as opa_json_dump does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace kw::runtime::opa {

inline constexpr std::string_view kSetKey{"\0rego.set", 9};

// A number too large for a double (a certificate's serial, an RSA modulus), held as an object
// with the single key kBigNumberKey whose value is its decimal text ("-"? digits). OPA's values
// keep such numbers exact, and so does the guest when it reads the text.
inline constexpr std::string_view kBigNumberKey{"\0rego.number", 12};

bool IsSet(const json::value& value);
// The integer written in `decimal` ("-"? digits; anything else makes no big number).
json::value MakeBigNumber(std::string decimal);
bool IsBigNumber(const json::value& value);
// The set of `elements`, sorted and without duplicates (Rego's order for a set's elements).
json::value MakeSet(json::array elements);
// A set's elements, or an array itself; nullptr for anything else.
const json::array* ArrayOrSetElements(const json::value& value);

// Rego's order of values (ast.Compare): <0, 0 or >0. Numbers compare by value (1 == 1.0).
int CompareRegoValues(const json::value& a, const json::value& b);

// How a Rego value stands as an object key here: a string as itself, any other value as its
// JSON text (sets as arrays), as opa_json_dump writes it.
std::string ObjectKeyText(const json::value& key);

// Parses what opa_value_dump writes. The text comes from the guest: hostile. Nesting deeper
// than `max_depth` and anything malformed is kInvalidArgument.
Result<json::value> ParseRegoValue(std::string_view text, std::size_t max_depth = 256);

// `value` as opa_value_parse reads it (sets as `{...}` / `set()`), strings JSON-escaped.
std::string RegoValueText(const json::value& value);

// `value` with every set turned into the array of its elements: what opa_json_parse can take
// when the module has no opa_value_parse.
json::value SetsAsArrays(const json::value& value);

// `value` as JSON text for opa_json_parse: sets as arrays, big numbers as their digits.
std::string JsonText(const json::value& value);

}  // namespace kw::runtime::opa
