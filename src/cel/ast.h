// cel/ast.h: the parsed form of a CEL expression (cel-spec's Expr, without protobuf).
//
// Macros are already expanded: has(a.b) is a Select with test_only, e.all(x, p) and its
// siblings are Comprehensions (the fold cel-spec defines: iterate iter_range binding iter_var,
// accumulate into accu_var from accu_init while loop_condition holds, with loop_step, then
// evaluate result). Operators are Calls of their cel-spec names: "_+_", "_==_", "!_", "-_",
// "_?_:_", "_&&_", "_||_", "_[_]", "@in", ... With the optional syntax, `a.?b` is
// "_?._"(a, "b") and `a[?b]` is "_[?_]"(a, b) (functions of the optional library). Every node has a unique id and the byte offset of
// its token in the source, for messages.
#ifndef KW_CEL_AST_H_
#define KW_CEL_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cel/value.h"

namespace kw::cel {

enum class ExprKind : std::uint8_t {
  kConstant,       // constant
  kIdent,          // name
  kSelect,         // operand.name; test_only for has()
  kCall,           // [target.]name(args)
  kList,           // [args...]
  kMap,            // {entries: key: value}
  kStruct,         // name{entries: field (name in field) : value}; parsed, refused at evaluation
  kComprehension,  // see above
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct MapEntry {
  std::int64_t id = 0;
  bool optional = false;  // `{?key: value}` (optional syntax)
  ExprPtr key;          // kMap
  std::string field;    // kStruct
  ExprPtr value;
};

struct Expr {
  std::int64_t id = 0;
  std::int32_t position = 0;  // byte offset in the source
  // Height of the subtree (1 for a leaf): the parser bounds it, so that walking the tree
  // recursively (planning, evaluation, destruction) stays within the stack.
  std::int32_t height = 1;
  ExprKind kind = ExprKind::kConstant;

  Value constant;
  // Ident, select field, call function, struct type name.
  std::string name;
  // Select operand, call receiver (null for a global call).
  ExprPtr operand;
  bool test_only = false;
  // Call arguments, list elements.
  std::vector<ExprPtr> args;
  // List elements written `?e` (optional syntax).
  std::vector<std::int32_t> optional_indices;
  std::vector<MapEntry> entries;

  // Comprehension.
  std::string iter_var, accu_var;
  ExprPtr iter_range, accu_init, loop_condition, loop_step, result;
};

// The accumulator's name in expanded macros (cel-go's; not a valid identifier, so no user
// variable can shadow it).
inline constexpr const char* kAccumulatorName = "@result";

}  // namespace kw::cel

#endif  // KW_CEL_AST_H_
