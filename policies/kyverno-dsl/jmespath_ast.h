// kyverno-dsl: the JMESPath syntax tree shared by the parser, the evaluator and the functions
// (internal to jmespath*.cc and kyverno_functions.cc).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "value.h"

namespace kyverno::jmespath {

enum class NodeKind {
  kIdentity,         // the current node (also '@')
  kField,            // name
  kIndex,            // [n]
  kSlice,            // [start:stop:step]
  kLiteral,          // `json`, 'raw string'
  kSubexpression,    // left . right
  kIndexExpression,  // left [index]
  kProjection,       // left[*] / left[] / left[:] followed by the projected right side
  kValueProjection,  // left.* followed by the projected right side
  kFilterProjection, // left[?condition] followed by the projected right side
  kFlatten,          // child[]
  kMultiSelectList,  // [a, b]
  kMultiSelectHash,  // {k: a, ...}
  kOr,
  kAnd,
  kNot,
  kComparator,
  kPipe,
  kFunction,
  kExpref,           // &expr
};

enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe };

struct Node {
  NodeKind kind;
  std::string name;                 // field name, function name
  Value literal;                    // literal value
  int index = 0;                    // kIndex
  std::optional<int> slice[3];      // kSlice: start, stop, step
  Comparator comparator = Comparator::kEq;
  std::vector<std::string> keys;    // kMultiSelectHash keys, parallel to children
  std::vector<std::unique_ptr<Node>> children;  // operands (left, right, condition, arguments)
};

}  // namespace kyverno::jmespath
