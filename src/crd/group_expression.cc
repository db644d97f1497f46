#include "crd/group_expression.h"

#include <algorithm>
#include <array>

#include "cel/checker.h"
#include "cel/parser.h"

namespace kw::crd {
namespace {

constexpr std::array<std::string_view, 5> kOperators = {"_==_", "_!=_", "_&&_", "_||_", "!_"};

// The first node of `expr` (pre-order) outside the policy server's subset, or nullptr. The
// parser bounds the tree's height, so the recursion is bounded too.
const cel::Expr* FirstOutsideSubset(const cel::Expr& expr, const std::set<std::string>& members) {
  switch (expr.kind) {
    case cel::ExprKind::kConstant:
      return expr.constant.kind() == cel::Kind::kBool ? nullptr : &expr;
    case cel::ExprKind::kCall: {
      const bool member_call = !expr.operand && expr.args.empty() && members.contains(expr.name);
      const bool operator_call = !expr.operand && std::find(kOperators.begin(), kOperators.end(), expr.name) !=
                                                      kOperators.end();
      if (!member_call && !operator_call) return &expr;
      for (const cel::ExprPtr& arg : expr.args) {
        if (const cel::Expr* found = FirstOutsideSubset(*arg, members)) return found;
      }
      return nullptr;
    }
    default:
      return &expr;
  }
}

// How a refused node reads in the message: the function or operator of a call, else the kind
// of construct.
std::string Describe(const cel::Expr& expr) {
  switch (expr.kind) {
    case cel::ExprKind::kConstant: return "a literal other than true or false";
    case cel::ExprKind::kIdent: return "`" + expr.name + "`";
    case cel::ExprKind::kSelect: return "a field selection";
    case cel::ExprKind::kCall: {
      std::string name = expr.name;
      // Operators are named _op_ / op_: show the operator itself.
      if (name.size() > 1 && (name.front() == '_' || name.back() == '_')) {
        while (!name.empty() && name.front() == '_') name.erase(0, 1);
        while (!name.empty() && name.back() == '_') name.pop_back();
        return "the operator `" + name + "`";
      }
      return "the function `" + name + "`";
    }
    case cel::ExprKind::kList: return "a list";
    case cel::ExprKind::kMap: return "a map";
    case cel::ExprKind::kStruct: return "a message";
    case cel::ExprKind::kComprehension: return "a macro";
  }
  return "this";
}

}  // namespace

std::optional<std::string> CheckGroupExpression(std::string_view expression, const std::set<std::string>& members) {
  auto parsed = cel::Parse(expression);
  if (!parsed) return parsed.error();

  cel::Declarations declarations;
  const auto bool_of_nothing = cel::ParseSignature("() -> bool");
  for (const std::string& member : members) declarations.AddFunction(member, false, *bool_of_nothing);
  auto checked = cel::Check(**parsed, expression, declarations);
  if (!checked) return checked.error();
  if (checked->result != cel::Type::Bool()) return "must evaluate to bool";

  if (const cel::Expr* outside = FirstOutsideSubset(**parsed, members)) {
    return cel::FormatSourceError(expression, outside->position,
                                  Describe(*outside) + " is not allowed: a group expression has only member calls, "
                                                       "true, false, ==, !=, &&, || and !");
  }
  return std::nullopt;
}

}  // namespace kw::crd
