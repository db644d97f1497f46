// CEL expressions (src/cel/parser.h) as policy authors and webhook configurations write them:
// every input parses or is refused with cel-go's "ERROR: <input>:L:C: ..." text, within the
// nesting and size limits, and what parses also plans (or is refused as undeclared).
#include <cstdint>
#include <string_view>

#include "cel/parser.h"
#include "cel/program.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = kw::cel::Parse(text);
  if (!expr) {
    Check(!expr.error().empty());
    return 0;
  }
  Check(*expr != nullptr);
  Check((*expr)->height <= kw::cel::ParseOptions().max_recursion_depth);
  auto program = kw::cel::Program::Plan(**expr);
  if (!program) Check(program.error().find("undeclared reference") != std::string::npos);
  return 0;
}
