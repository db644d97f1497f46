#include "controller/match_conditions.h"

#include "cel/program.h"

namespace kw::controller {

std::optional<std::string> CheckMatchCondition(std::string_view expression) {
  auto program = cel::Program::Compile(expression);
  if (!program) return "compilation failed: " + program.error();
  return std::nullopt;
}

}  // namespace kw::controller
