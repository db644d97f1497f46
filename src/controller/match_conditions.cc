#include "controller/match_conditions.h"

#include "cel/checker.h"
#include "cel/libraries.h"
#include "cel/parser.h"

namespace kw::controller {
namespace {

// Whether `expr` refers to the variable `name` anywhere. The parser bounds the tree's height, so
// the recursion is bounded too.
bool Mentions(const cel::Expr& expr, std::string_view name) {
  if (expr.kind == cel::ExprKind::kIdent && expr.name == name) return true;
  for (const cel::ExprPtr* child : {&expr.operand, &expr.iter_range, &expr.accu_init,
                                    &expr.loop_condition, &expr.loop_step, &expr.result}) {
    if (*child && Mentions(**child, name)) return true;
  }
  for (const cel::ExprPtr& arg : expr.args) {
    if (arg && Mentions(*arg, name)) return true;
  }
  for (const cel::MapEntry& entry : expr.entries) {
    if ((entry.key && Mentions(*entry.key, name)) || (entry.value && Mentions(*entry.value, name))) {
      return true;
    }
  }
  return false;
}

// The admission environment of matchConditions: the request's objects, fed as JSON (dyn), and
// the libraries Kubernetes enables.
const cel::Declarations& AdmissionDeclarations() {
  static const cel::Declarations declarations = [] {
    cel::Declarations d(&cel::KubernetesLibraries());
    for (const char* variable : {"object", "oldObject", "request"}) {
      d.AddVariable(variable, cel::Type::Dyn());
    }
    return d;
  }();
  return declarations;
}

}  // namespace

std::optional<std::string> CheckMatchCondition(std::string_view expression) {
  auto parsed = cel::Parse(expression);
  if (!parsed) return "compilation failed: " + parsed.error();
  // Kubernetes' authorizer library is not ours yet: a condition using it is only parsed, and
  // the API server checks the rest when the policy's webhook is registered.
  if (Mentions(**parsed, "authorizer")) return std::nullopt;
  static const cel::Type kBool = cel::Type::Bool();
  cel::CompileOptions options;
  options.functions = &cel::KubernetesLibraries();
  auto program = cel::CompileChecked(expression, AdmissionDeclarations(), options, &kBool);
  if (!program) return "compilation failed: " + program.error();
  return std::nullopt;
}

}  // namespace kw::controller
