// kyverno-dsl: Kyverno's overlay pattern matching with anchors (§18.3 "Pattern semantics").
#pragma once

#include <string>

#include "value.h"

namespace kyverno {

struct PatternOutcome {
  enum class Kind { kPass, kFail, kSkip };
  Kind kind = Kind::kPass;
  std::string path;   // where a failure happened ("/spec/containers/0/..."); "" when unknown
  std::string error;  // the matcher's error text (skip: the anchor error)
};

// Matches `resource` against `pattern` (variables already substituted).
PatternOutcome MatchPattern(const Value& resource, const Value& pattern);

// A scalar resource value against a scalar pattern (operators, ranges, wildcards, `|`, `&`).
bool MatchScalar(const Value& value, const Value& pattern);

}  // namespace kyverno
