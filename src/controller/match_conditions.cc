#include "controller/match_conditions.h"

#include "cel/checker.h"
#include "cel/libraries.h"

namespace kw::controller {
namespace {

// The functions of the admission environment: the libraries Kubernetes enables, and the
// authorizer's declarations (checked, never evaluated: the controller only compiles).
const cel::FunctionRegistry& AdmissionFunctions() {
  static const cel::FunctionRegistry* functions = [] {
    auto* registry = new cel::FunctionRegistry(cel::KubernetesLibraries());
    cel::RegisterAuthorizerLibrary(*registry);
    return registry;
  }();
  return *functions;
}

// The variables of matchConditions: the request's objects, fed as JSON (dyn), and the
// authorizer with the request's resource check.
const cel::Declarations& AdmissionDeclarations() {
  static const cel::Declarations declarations = [] {
    cel::Declarations d(&AdmissionFunctions());
    for (const char* variable : {"object", "oldObject", "request"}) {
      d.AddVariable(variable, cel::Type::Dyn());
    }
    d.AddVariable("authorizer", cel::Type::Opaque(std::string(cel::kAuthorizerTypeName)));
    d.AddVariable("authorizer.requestResource", cel::Type::Opaque(std::string(cel::kResourceCheckTypeName)));
    return d;
  }();
  return declarations;
}

}  // namespace

std::optional<std::string> CheckMatchCondition(std::string_view expression) {
  static const cel::Type kBool = cel::Type::Bool();
  cel::CompileOptions options;
  options.functions = &AdmissionFunctions();
  options.parse.enable_optional_syntax = true;  // Kubernetes enables optional types (1.28+)
  auto program = cel::CompileChecked(expression, AdmissionDeclarations(), options, &kBool);
  if (!program) return "compilation failed: " + program.error();
  return std::nullopt;
}

}  // namespace kw::controller
