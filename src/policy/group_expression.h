// Policy-group expressions: the boolean language of a policy group's `expression`.
//
// It covers what upstream's Rhai expressions use in practice:
//   expr    := or
//   or      := and ("||" and)*
//   and     := eq ("&&" eq)*
//   eq      := unary (("==" | "!=") unary)*
//   unary   := "!" unary | primary
//   primary := "true" | "false" | member "(" ")" | "(" expr ")"
// where `member` names a policy of the group. Evaluation is left to right and short-circuits, as
// Rhai does: a member is evaluated only when its value is needed, and each time it is called
// (no memoization). Parsing checks that every member exists, so a bad expression is refused
// when the group is loaded rather than on each request.
//
// A GroupExpression is immutable and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::policy {

class GroupExpression {
 public:
  // Parses `text`. `members` are the names a call may use. Errors are kInvalidArgument and say
  // what is wrong and where (1-based column).
  static Result<GroupExpression> Parse(std::string_view text, const std::set<std::string>& members);

  // A short-circuit: `op` ("&&" or "||") left its right side unevaluated because its left side,
  // `left` (as text), was `left_value`; `skipped` are the member calls of that right side, in
  // order.
  struct ShortCircuit {
    std::string_view op;
    std::string left;
    bool left_value = false;
    std::vector<std::string> skipped;
  };
  using ShortCircuitObserver = std::function<void(ShortCircuit)>;

  // Evaluates with `call_member(name)` giving each member's verdict. The first error a member
  // call returns stops the evaluation and is returned. `on_short_circuit`, when given, hears of
  // every short-circuit (what an explained decision shows); nothing is built otherwise.
  Result<bool> Evaluate(const std::function<Result<bool>(const std::string&)>& call_member,
                        const ShortCircuitObserver* on_short_circuit = nullptr) const;

  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace kw::policy
