// kyverno-dsl: a Kyverno ClusterPolicy's validation rules applied to one AdmissionRequest
// (§18.2 steps 3-6, §18.3): autogen, match/exclude, context variables, preconditions and the
// validate forms (deny, pattern, anyPattern, foreach).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "value.h"

namespace kyverno {

// The settings' `policy` text: YAML (or JSON) converted and checked as Go decodes a
// ClusterPolicy. On failure `error` carries the full message ("failed to convert policy to
// JSON: ..." or "cannot unmarshal policy: ...").
bool DecodePolicy(std::string_view text, Value* policy, std::string* error);

struct RuleResponse {
  enum class Status { kPass, kFail, kError, kSkip };
  std::string rule;
  Status status = Status::kPass;
  std::string message;
};

// A decoded policy with its rules after autogen, computed once per settings.
struct PreparedPolicy {
  Value policy;
  Array rules;  // spec.rules, then the autogen rules
};
PreparedPolicy Prepare(Value policy);

// Evaluates every validation rule against `request` (the AdmissionRequest). Rules whose
// match/exclude do not apply yield no response.
std::vector<RuleResponse> Evaluate(const PreparedPolicy& policy, const Value& request);

// The verdict text: "[i] - <message>" for every response, joined by ",".
std::string VerdictMessage(const std::vector<RuleResponse>& responses);

}  // namespace kyverno
