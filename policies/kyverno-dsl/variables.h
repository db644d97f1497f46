// kyverno-dsl: `{{ <JMESPath> }}` substitution (§18.3 "Variables"). A string that is exactly one
// variable becomes the typed result; otherwise each result is inserted as text (strings as
// they are, other values as JSON). Inner variables resolve first; `\{{` escapes one. On DELETE
// every `request.object` in a variable reads `request.oldObject`.
#pragma once

#include <string>
#include <string_view>

#include "value.h"

namespace kyverno {

struct VariableScope {
  const Value* context = nullptr;   // {"request": ..., "element": ..., <context variables>}
  bool is_delete = false;
  // For patterns: `{{@}}` is the value of `resource` at the path of the string being replaced.
  const Value* resource = nullptr;
};

// Substitutes in one string.
bool SubstituteString(std::string_view text, const VariableScope& scope, Value* out, std::string* error);
// Substitutes in every string of `in` (object keys are kept as written).
bool SubstituteAll(const Value& in, const VariableScope& scope, Value* out, std::string* error);
// Evaluates a JMESPath query in the scope (the DELETE rewrite applies).
bool Query(std::string_view expression, const VariableScope& scope, Value* out, std::string* error);

}  // namespace kyverno
