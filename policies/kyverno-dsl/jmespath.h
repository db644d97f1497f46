// kyverno-dsl: JMESPath (https://jmespath.org/specification.html), the query language of
// Kyverno's `{{ }}` variables, with the standard functions and the Kyverno functions
// (§18.3 "Variables").
//
//   std::string error;
//   auto expr = kyverno::jmespath::Expression::Parse("spec.containers[?image=='nginx'].name", &error);
//   kyverno::Value result;
//   if (expr && expr->Evaluate(document, &result, &error)) ...
//
// Parsing is bounded (expressions of at most kMaxExpressionLength bytes, kMaxDepth nesting), so
// hostile text gets an error, never a stack overflow. Errors are texts; nothing throws.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "value.h"

namespace kyverno::jmespath {

struct Node;

inline constexpr std::size_t kMaxExpressionLength = 64 * 1024;
inline constexpr int kMaxDepth = 200;

class Expression {
 public:
  // nullopt with `error` set when `text` is not a JMESPath expression.
  static std::optional<Expression> Parse(std::string_view text, std::string* error);
  // Evaluates against `data`; false with `error` set on a runtime error (a wrong argument type,
  // an unknown function, ...).
  bool Evaluate(const Value& data, Value* out, std::string* error) const;

 private:
  explicit Expression(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

// Parses and evaluates in one go.
bool Search(std::string_view expression, const Value& data, Value* out, std::string* error);

}  // namespace kyverno::jmespath
