// JSON text as Go's encoding/json writes it: for the documents the controller stores where
// upstream's stores them (the ConfigMap's policies.yml and sources.yml), so that tools and people
// that diff them against upstream's see the same bytes, and for OPA builtins whose result is
// Go's JSON text (json.marshal_with_options).
//
// Go's rules that differ from Boost.JSON's serializer: `<`, `>` and `&` are escaped as \u003c,
// \u003e and \u0026, U+2028 and U+2029 as \u2028 and \u2029, other control characters as \u00XX
// except \b \f \n \r \t; invalid UTF-8 becomes U+FFFD; a non-integral number is written in the
// shortest form that reads back the same, plain between 1e-6 and 1e21 and with an exponent of
// at least two digits outside ("1e-07", "1e+21").
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace kw {

// Object members are written in the value's order (Go sorts a map's keys: sort first when the
// value stands for one).
std::string MarshalLikeGo(const json::value& value);

// json.MarshalIndent's layout: each element on its own line, starting with `prefix` and `indent`
// once per level of nesting; the first line has no prefix, empty arrays and objects stay `[]`
// and `{}`.
struct GoJsonIndent {
  std::string_view prefix;
  std::string_view indent;
};
std::string MarshalIndentLikeGo(const json::value& value, GoJsonIndent layout);

}  // namespace kw
