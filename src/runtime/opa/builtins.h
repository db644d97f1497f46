// The OPA builtins the host implements for Rego policies compiled to wasm (policy-server.md
// §4.e.4): the ones `opa build -t wasm` leaves to the host, called by the guest through
// `opa_builtinN`. Everything else OPA compiles into the module itself.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw::runtime::opa {

// What stays the same for every builtin call of one evaluation.
struct BuiltinContext {
  // time.now_ns: the time the evaluation started, so every call in it agrees (as OPA does).
  std::int64_t now_ns = 0;
  // What a builtin drew at random, by its arguments, so that the same call answers the same
  // for the rest of the evaluation (uuid.rfc4122, rand.intn), as OPA guarantees.
  mutable std::map<std::string, json::value, std::less<>> drawn;
};

// A builtin: arguments and result as JSON values (what the guest's opa_json_dump gives and
// opa_json_parse takes). An error aborts the evaluation with the builtin's message.
using Builtin = Result<json::value> (*)(const BuiltinContext& context,
                                        std::span<const json::value> args);

// OPA's undefined result (uuid.parse of a text that is not a UUID, ...): a builtin fails with
// UndefinedResult(), and the host answers the guest with a null value address, which the code
// OPA compiles takes for undefined (as for its own builtins written in C).
Error UndefinedResult();
bool IsUndefinedResult(const Error& error);

// The builtin registered under `name` (as a module's builtins() lists it), or nullptr.
Builtin FindBuiltin(std::string_view name);

// Every registered name, sorted (for `kwctl info`).
std::vector<std::string> BuiltinNames();

}  // namespace kw::runtime::opa
