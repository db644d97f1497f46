// Untrusted builtin arguments: a Rego policy passes whatever values it likes to the builtins the
// host implements (opa_builtinN). Input: a JSON array `[name, arg1, ...]`. Every builtin must
// answer with a value or an error, never crash or hang, and a value must serialize to JSON.
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "runtime/opa/builtins.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = kw::ParseJson(text);
  if (!parsed || !parsed->is_array() || parsed->as_array().empty()) return 0;
  const kw::json::array& call = parsed->as_array();
  if (!call[0].is_string()) return 0;
  const auto builtin = kw::runtime::opa::FindBuiltin(call[0].as_string());
  if (builtin == nullptr) return 0;
  const std::vector<kw::json::value> args(call.begin() + 1, call.end());
  const kw::runtime::opa::BuiltinContext context{.now_ns = 1700000000123456789};
  if (auto result = builtin(context, args)) {
    if (!kw::ParseJson(kw::ToJson(*result))) __builtin_trap();
  }
  return 0;
}
