// CEL expressions (src/cel/parser.h) as policy authors and webhook configurations write them:
// every input parses or is refused with cel-go's "ERROR: <input>:L:C: ..." text, within the
// nesting and size limits, and what parses also plans (or is refused as undeclared) and
// type-checks (src/cel/checker.h: a type for every node, or cel-go's "ERROR: <input>:L:C:"
// reports). With the optional syntax, Kubernetes' libraries and the authorizer's declarations
// (the matchConditions environment), so the libraries' signatures and macros are exercised.
#include <cstdint>
#include <string_view>

#include "cel/checker.h"
#include "cel/libraries.h"
#include "cel/parser.h"
#include "cel/program.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const kw::cel::ParseOptions kParse{.enable_optional_syntax = true};
  auto expr = kw::cel::Parse(text, kParse);
  if (!expr) {
    Check(!expr.error().empty());
    return 0;
  }
  Check(*expr != nullptr);
  Check((*expr)->height <= kParse.max_recursion_depth);
  static const kw::cel::FunctionRegistry* functions = [] {
    auto* r = new kw::cel::FunctionRegistry(kw::cel::KubernetesLibraries());
    kw::cel::RegisterAuthorizerLibrary(*r);
    return r;
  }();
  static const kw::cel::Declarations* decls = [] {
    auto* d = new kw::cel::Declarations(functions);
    d->AddVariable("object", kw::cel::Type::Dyn());
    d->AddVariable("variables", kw::cel::Type::Map(kw::cel::Type::String(), kw::cel::Type::Dyn()));
    d->AddVariable("i", kw::cel::Type::Int());
    d->AddVariable("l", kw::cel::Type::List(kw::cel::Type::String()));
    d->AddVariable("authorizer", kw::cel::Type::Opaque(std::string(kw::cel::kAuthorizerTypeName)));
    return d;
  }();
  auto checked = kw::cel::Check(**expr, text, *decls);
  if (checked) Check(checked->types.contains((*expr)->id));
  else Check(checked.error().starts_with("ERROR: <input>:"));
  kw::cel::CompileOptions options;
  options.parse = kParse;
  options.functions = functions;
  auto program = kw::cel::Program::Plan(**expr, options);
  if (!program) Check(program.error().find("undeclared reference") != std::string::npos);
  return 0;
}
