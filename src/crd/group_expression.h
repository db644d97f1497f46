// The CEL check of a policy group's `expression` (crd::ValidatePolicy).
//
// Upstream's controller compiles a group's expression with CEL, each member of the group being
// a function of no argument returning bool; the policy server then evaluates the expression
// with a language of its own that has only `==`, `!=`, `&&`, `||`, `!`, parentheses, `true`,
// `false` and member calls. So an expression is accepted only when it
//   1. parses as CEL (cel-go's syntax errors),
//   2. type-checks with the members declared as `() -> bool` (cel-go's texts: "undeclared
//      reference to 'x' (in container '')", "found no matching overload for ..."),
//   3. evaluates to bool ("must evaluate to bool"),
//   4. uses nothing but the policy server's subset (else "`<what>` is not allowed: a group
//      expression has only member calls, true, false, ==, !=, &&, || and !", with CEL's
//      position line), so that what the controller admits the policy server can evaluate.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace kw::crd {

// nullopt when `expression` is a valid expression over `members`, else why not.
std::optional<std::string> CheckGroupExpression(std::string_view expression, const std::set<std::string>& members);

}  // namespace kw::crd
