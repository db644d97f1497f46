// cel/functions.h: the function registry the evaluator dispatches calls through.
//
// A function is a name ("_+_", "size", "startsWith") with overloads, each declaring whether it
// is called as a receiver (`s.startsWith(x)`) or globally (`size(x)`), the kinds of its
// parameters (nullopt accepts any kind), and an implementation. At plan time a call site keeps
// the overloads of its name, style and arity; at evaluation the first whose kinds match runs,
// and none matching is the error "no such overload". Libraries (strings, lists, Kubernetes'
// quantity/url/ip, ...) add themselves with Add on their own registry built from Standard():
//
//   FunctionRegistry registry = FunctionRegistry::Standard();
//   registry.Add("lowerAscii", {.receiver = true, .params = {Kind::kString}, .impl = LowerAscii});
//
// Strictness: unless an overload is non_strict, its arguments are never error or unknown (the
// evaluator propagates those itself: unknowns merged first, else the first error).
//
// Cost: implementations charge what their work costs in proportion to their inputs through
// CallContext::Charge (the evaluator already charges 1 per call); sizes of what they build are
// bounded by CallContext's limits.
#ifndef KW_CEL_FUNCTIONS_H_
#define KW_CEL_FUNCTIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cel/value.h"

namespace kw::cel {

// What an implementation may use of the evaluation that calls it.
class CallContext {
 public:
  CallContext(std::uint64_t& cost, std::uint64_t cost_limit, std::size_t max_string_bytes,
              std::size_t max_list_elements)
      : cost_(cost), cost_limit_(cost_limit), max_string_bytes_(max_string_bytes),
        max_list_elements_(max_list_elements) {}

  // Adds `units` to the evaluation's cost. False once the budget is exceeded: return
  // CostExceeded() then (the evaluator stops at its next step anyway).
  bool Charge(std::uint64_t units) {
    cost_ += units;
    return cost_limit_ == 0 || cost_ <= cost_limit_;
  }
  // What is left of the budget (UINT64_MAX when unlimited).
  std::uint64_t remaining() const {
    if (cost_limit_ == 0) return UINT64_MAX;
    return cost_ >= cost_limit_ ? 0 : cost_limit_ - cost_;
  }
  static Value CostExceeded() { return Value::Error("operation cancelled: actual cost limit exceeded"); }

  std::size_t max_string_bytes() const { return max_string_bytes_; }
  std::size_t max_list_elements() const { return max_list_elements_; }
  // The error for a string/bytes/list that would grow past its bound.
  static Value SizeExceeded(std::string_view what) {
    return Value::Error(std::string(what) + " size exceeds the evaluation limit");
  }

 private:
  std::uint64_t& cost_;
  std::uint64_t cost_limit_;
  std::size_t max_string_bytes_;
  std::size_t max_list_elements_;
};

// Kubernetes' traversal cost: 0.1 per byte or element scanned, rounded up.
inline std::uint64_t TraversalCost(std::size_t n) { return (n + 9) / 10; }

using FunctionImpl = std::function<Value(std::span<const Value> args, CallContext& ctx)>;

struct Overload {
  bool receiver = false;
  std::vector<std::optional<Kind>> params;
  FunctionImpl impl;
  // Receives error and unknown arguments itself.
  bool non_strict = false;
  // Called once at plan time with the call's constant arguments (nullptr where an argument is
  // not a constant); may return an implementation specialised for them (e.g. with the regular
  // expression of `matches` compiled once), or an empty function to keep `impl`.
  std::function<FunctionImpl(std::span<const Value* const> constants)> specialize;
  // For the type checker (cel/checker.h): every parameter's type, the receiver first, and the
  // result, e.g. "(list(A), A) -> bool". Empty: derived from `params`, with a dyn result.
  std::string signature;
  // For opaque parameters, the opaque type a value must have (by parameter; empty: any
  // opaque type), so that libraries can share a name (quantity's and semver's compareTo).
  // AddOverload (cel/libraries.h) fills it from the signature.
  std::vector<std::string> opaque_types;

  bool Accepts(std::span<const Value> args) const;
};

class FunctionRegistry {
 public:
  void Add(std::string name, Overload overload);
  // All overloads of `name` (nullptr when none).
  const std::vector<Overload>* Find(std::string_view name) const;
  // Every function, by name (for the type checker's declarations).
  const std::map<std::string, std::vector<Overload>, std::less<>>& all() const { return functions_; }

  // CEL's standard library (langdef "Standard Definitions"): operators, size, conversions,
  // contains/startsWith/endsWith/matches, timestamp and duration accessors.
  static const FunctionRegistry& Standard();

 private:
  std::map<std::string, std::vector<Overload>, std::less<>> functions_;
};

// Adds the standard library to `registry`.
void RegisterStandardLibrary(FunctionRegistry& registry);

// The error of a call no overload accepts.
Value NoSuchOverload();

}  // namespace kw::cel

#endif  // KW_CEL_FUNCTIONS_H_
