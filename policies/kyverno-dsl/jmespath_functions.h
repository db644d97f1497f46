// kyverno-dsl: the JMESPath function table (internal to jmespath*.cc and kyverno_functions.cc).
// A function receives its evaluated arguments; arguments written `&expr` arrive as expression
// references that the function applies through Call::Apply.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jmespath_ast.h"
#include "value.h"

namespace kyverno::jmespath {

class Evaluator;

struct Call {
  std::string_view name;
  std::vector<Value> args;
  std::vector<const Node*> exprefs;  // parallel to args; nullptr unless the argument is &expr
  Evaluator* evaluator = nullptr;
  std::string error;

  // Records a runtime error; the returned null is discarded by the evaluator.
  Value Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return Value();
  }
  // Checks that argument `i` has one of the JMESPath `types` ("string", "number", "array",
  // "object", "boolean", "null", "expref", "any"); records the error otherwise.
  bool Need(std::size_t i, std::initializer_list<std::string_view> types);
  // Applies the expression reference of argument `i` to `v`.
  bool Apply(std::size_t i, const Value& v, Value* out);
};

using FunctionImpl = Value (*)(Call& call);

struct FunctionSpec {
  std::string_view name;
  int min_args;
  int max_args;  // -1: variadic
  FunctionImpl impl;
};

// The standard JMESPath functions, then Kyverno's (which win on a clash, as in Kyverno).
const FunctionSpec* FindFunction(std::string_view name);
const FunctionSpec* FindKyvernoFunction(std::string_view name);

}  // namespace kyverno::jmespath
