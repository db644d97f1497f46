// cel/parser.h: CEL source text -> AST (cel/ast.h), macros expanded.
//
// The grammar is cel-spec's (langdef "Syntax"): `?:`, `||`, `&&`, relations (`== != < <= > >=
// in`), `+ -`, `* / %`, unary `! -`, member selection, index, calls and receiver calls, list,
// map and `Name{field: value}` literals, and every literal form (ints, `1u`, hex, doubles,
// strings with all escapes, raw `r"..."`, triple-quoted, bytes `b"..."`). Reserved words
// (`as break const continue else for function if import let loop package namespace return var
// void while`) are refused as identifiers.
//
// Hostile input: the text is bounded (max_code_points), and so is nesting (max_recursion_depth
// counts both the parser's recursion and the depth of the resulting tree; chains of `&&`/`||`
// are balanced as cel-go does so long conjunctions stay shallow), and so is the stack the
// recursion may take (max_stack_bytes: 40 KiB in wasm32 guests, whose stack is 64 KiB).
// Exceeding any is an error ("expression recursion limit exceeded"), never a stack overflow.
//
// Errors read as cel-go prints them:
//   ERROR: <input>:1:5: Syntax error: mismatched input ...
//    | a + + b
//    | ....^
#ifndef KW_CEL_PARSER_H_
#define KW_CEL_PARSER_H_

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "cel/ast.h"
#include "cel/stack.h"

namespace kw::cel {

struct ParseOptions {
  // cel-go's defaults.
  std::size_t max_code_points = 100'000;
  int max_recursion_depth = 250;
  // Stack the parser (and the planner) may use, whatever the depth (see cel/stack.h).
  std::size_t max_stack_bytes = kDefaultStackBudget;
  // cel-go's optional syntax (`a.?b`, `a[?b]`, `[?e]`, `{?k: v}`), for the optional library.
  bool enable_optional_syntax = false;
};

// Formats a message about `position` (a byte offset) of `source` as cel-go does: the ERROR line
// and the source line with a caret under the column.
std::string FormatSourceError(std::string_view source, std::size_t position, std::string_view message);

std::expected<ExprPtr, std::string> Parse(std::string_view source, const ParseOptions& options = {});

}  // namespace kw::cel

#endif  // KW_CEL_PARSER_H_
