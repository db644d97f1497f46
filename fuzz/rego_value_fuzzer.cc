// Rego value text as a hostile guest's opa_value_dump may write it (rego_value.h). Whatever
// parses must write back to text that parses to the same value; and when the value is an
// array `[name, arg1, ...]` naming a builtin, the builtin runs on those arguments (sets
// included) and must answer with a value or an error, never crash.
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "runtime/opa/builtins.h"
#include "runtime/opa/rego_value.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kw::runtime::opa;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseRegoValue(text);
  if (!parsed) return 0;
  auto again = ParseRegoValue(RegoValueText(*parsed));
  if (!again || *again != *parsed) __builtin_trap();
  if (!kw::ParseJson(kw::ToJson(SetsAsArrays(*parsed)))) __builtin_trap();
  if (!parsed->is_array() || parsed->as_array().empty() || !parsed->as_array()[0].is_string()) {
    return 0;
  }
  const kw::json::array& call = parsed->as_array();
  const auto builtin = FindBuiltin(call[0].as_string());
  if (builtin == nullptr) return 0;
  const std::vector<kw::json::value> args(call.begin() + 1, call.end());
  const BuiltinContext context{.now_ns = 1700000000123456789};
  if (auto result = builtin(context, args)) {
    if (!ParseRegoValue(RegoValueText(*result))) __builtin_trap();
  }
  return 0;
}
