// Helpers shared by the builtin implementation files (builtins.cc and builtins_<family>.cc).
// Not part of the runtime's interface: only those files include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/go_quote.h"
#include "base/json.h"
#include "runtime/opa/builtins.h"

namespace kw::runtime::opa::internal {

// OPA's name for the type of `value` ("null", "boolean", "number", "string", "array",
// "object"), as its type errors print it.
std::string_view TypeName(const json::value& value);

// OPA's operand type error: "<builtin>: operand <n> must be <want> but got <type>".
Error OperandTypeError(std::string_view builtin, std::size_t n, std::string_view want,
                       const json::value& got);

// Any other failure of `builtin`: "<builtin>: <message>", kInvalidArgument (the policy gave
// the builtin a value it cannot work with).
Error BuiltinError(std::string_view builtin, std::string_view message);

// Fails unless there are exactly `count` arguments. The guest's compiled code always passes
// the arity OPA type-checked, so this guards against a hand-crafted module only.
Result<void> CheckArity(std::string_view builtin, std::span<const json::value> args,
                        std::size_t count);

// Argument `n` (1-based, as in the messages) as a string, or OPA's type error.
Result<std::string_view> StringOperand(std::string_view builtin,
                                       std::span<const json::value> args, std::size_t n);

// Argument `n` as an int64 (OPA's IntOperand: a number without fraction), or OPA's errors.
Result<std::int64_t> IntOperand(std::string_view builtin, std::span<const json::value> args,
                                std::size_t n);

// OPA's type error for an operand that may be of several types:
// "<builtin>: operand <n> must be one of {string, set, array} but got number".
Error OperandTypesError(std::string_view builtin, std::size_t n,
                        std::initializer_list<std::string_view> want, const json::value& got);

using ::kw::GoQuote;  // base/go_quote.h

// How OPA's ast prints a value (ast.Value.String()): Rego syntax, strings quoted with Go's
// strconv.Quote, ", " between elements, object keys sorted. `out` grows by at most what the
// value needs; a value is bounded by what the guest could serialize.
void AppendRegoString(const json::value& value, std::string& out);

// `value` with every object's keys in sorted order, as Go writes a map (yaml.marshal, JSON in
// io.jwt.encode_sign).
json::value SortedKeys(const json::value& value);

// `bytes` in base64url without padding (base64url.encode_no_pad, JWS parts).
std::string Base64UrlNoPad(std::string_view bytes);

// `bytes` as lower-case hex digits (hex.encode, the crypto digests).
std::string HexText(std::string_view bytes);

// The value of a hex digit (either case), or -1.
int HexValue(char c);

// Shortest decimal text of a JSON number that reads back to the same value.
std::string NumberText(const json::value& number);

// Whether Go's net.ParseIP takes `text` (builtins_net.cc), for json.match_schema's formats.
bool IsGoIpAddress(std::string_view text);

// Whether Go's time.Parse(time.RFC3339, text) takes `text` (builtins_time.cc).
bool IsRfc3339Time(std::string_view text);

// One registered builtin. Each family file lists its own; FindBuiltin merges the lists.
struct BuiltinEntry {
  std::string_view name;
  Builtin builtin;
};

std::span<const BuiltinEntry> StringsBuiltins();     // builtins_strings.cc
std::span<const BuiltinEntry> CryptoBuiltins();      // builtins_crypto.cc
std::span<const BuiltinEntry> X509Builtins();        // builtins_x509.cc
std::span<const BuiltinEntry> NetBuiltins();         // builtins_net.cc
std::span<const BuiltinEntry> UnitsBuiltins();       // builtins_units.cc
std::span<const BuiltinEntry> TimeBuiltins();        // builtins_time.cc
std::span<const BuiltinEntry> RandomBuiltins();      // builtins_random.cc
std::span<const BuiltinEntry> GraphBuiltins();       // builtins_graph.cc
std::span<const BuiltinEntry> UuidBuiltins();        // builtins_uuid.cc
std::span<const BuiltinEntry> NumbersBuiltins();     // builtins_numbers.cc
std::span<const BuiltinEntry> TemplateBuiltins();    // builtins_template.cc
std::span<const BuiltinEntry> JsonSchemaBuiltins();  // builtins_json_schema.cc
std::span<const BuiltinEntry> JsonPathsBuiltins();   // builtins_json_paths.cc
std::span<const BuiltinEntry> RegexBuiltins();       // builtins_regex.cc

// The builtins defined in the other files.
Result<json::value> Sprintf(const BuiltinContext& context, std::span<const json::value> args);

}  // namespace kw::runtime::opa::internal
