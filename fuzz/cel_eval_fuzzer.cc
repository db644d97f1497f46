// CEL evaluation (src/cel/program.h) of hostile expressions over a hostile JSON document: the
// first line of the input is the expression, the rest the JSON bound as `object` (and as
// `params`), compiled with Kubernetes' libraries and the optional syntax (cel/libraries.h).
// Every evaluation ends, within the cost budget and size bounds, with a value or an error
// value; what it returns can be written back as JSON or explains why not.
#include <cstdint>
#include <string_view>

#include "cel/libraries.h"
#include "cel/program.h"
#include "cel/value.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newline = input.find('\n');
  std::string_view source = input.substr(0, newline);
  std::string_view json = newline == std::string_view::npos ? "{}" : input.substr(newline + 1);
  kw::cel::CompileOptions compile;
  compile.functions = &kw::cel::KubernetesLibraries();
  compile.parse.enable_optional_syntax = true;
  auto program = kw::cel::Program::Compile(source, compile);
  if (!program) return 0;
  kw::cel::MapActivation vars;
  auto object = kw::cel::ParseJson(json);
  if (object) {
    vars.Bind("object", *object);
    vars.Bind("params", *object);
  }
  kw::cel::EvalOptions options;
  options.cost_limit = 100'000;
  options.max_string_bytes = 1 << 16;
  options.max_list_elements = 10'000;
  std::uint64_t cost = 0;
  kw::cel::Value result = program->Evaluate(vars, options, &cost);
  // Past the budget, nothing but the cancellation comes back (no error absorbed by || or &&).
  if (cost > options.cost_limit)
    Check(result.IsError() && result.text() == "operation cancelled: actual cost limit exceeded");
  (void)kw::cel::DebugString(result);
  (void)kw::cel::ToJson(result);
  Check(kw::cel::Equal(result, result) || result.kind() == kw::cel::Kind::kDouble ||
        result.kind() == kw::cel::Kind::kList || result.kind() == kw::cel::Kind::kMap ||
        result.IsErrorOrUnknown());
  return 0;
}
