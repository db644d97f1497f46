// kyverno-dsl: Kyverno conditions ({key, operator, value, message}) and condition blocks
// ({any: [...], all: [...]} or a legacy list that must all hold), used by preconditions and
// deny rules (§18.3 "Condition operators").
#pragma once

#include <string>
#include <vector>

#include "value.h"
#include "variables.h"

namespace kyverno {

// One condition with key and value already substituted. False with `error` on an unknown
// operator.
bool EvaluateOperator(const Value& key, std::string_view op, const Value& value, bool* holds, std::string* error);

struct BlockResult {
  bool holds = true;
  std::vector<std::string> true_messages;   // messages of conditions that held (deny)
  std::vector<std::string> false_messages;  // messages of conditions that did not (preconditions)
};

// A whole block; substitutes variables in keys and values. An absent (null) block holds.
bool EvaluateBlock(const Value& block, const VariableScope& scope, BlockResult* result, std::string* error);

}  // namespace kyverno
