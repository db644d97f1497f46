// cel/program.h: compiling a CEL expression once and evaluating it many times.
//
//   auto program = cel::Program::Compile("object.spec.containers.all(c, has(c.resources))");
//   if (!program) return program.error();  // cel-go's "ERROR: <input>:1:5: ..." text
//   cel::MapActivation vars;
//   vars.Bind("object", cel::ParseJson(pod_json).value());
//   cel::Value result = program->Evaluate(vars);  // an error value on failure
//
// Compile parses (cel/parser.h) and plans: identifiers of comprehension variables become frame
// slots, other identifiers are looked up in the activation (once per evaluation, on first
// use), calls keep the overloads of their name (cel/functions.h) and specialise them on
// constant arguments; `ns.f(x)` calls the global "ns.f" when the registry has one. Unknown
// function names fail here, with the checker's "undeclared reference to 'f'". A Program is
// immutable and cheap to copy; Evaluate may run concurrently from several threads, each with
// its own activation.
//
// Semantics are cel-spec's, with cel-go's error texts: "no such overload", "no such key: x",
// "division by zero", "modulus by zero", "integer overflow", "unsigned integer overflow",
// "no such attribute(s): x" (an unbound variable), ... `&&` and `||` are commutative: an
// error or unknown on one side is absorbed when the other decides the result. Unknown values
// propagate (merged) but no partial evaluation is done with them.
//
// Limits (EvalOptions): a cost budget charged 1 per evaluated node (constants are free), plus
// 0.1 per byte or element an operation scans (string functions, concatenation, map lookups,
// list indexes of JSON arrays, `in`, equality, regular expression matching); exceeding it ends
// the evaluation with "operation cancelled: actual cost limit exceeded", which nothing absorbs.
// Strings, bytes and lists built during an evaluation are bounded, and so is the stack its
// recursion takes, so an expression cannot exhaust time, memory or the stack.
//
// Not here yet: the static type checker (type names resolve at evaluation), message
// construction (`Foo{...}` parses and is an error at evaluation), container-qualified names.
#ifndef KW_CEL_PROGRAM_H_
#define KW_CEL_PROGRAM_H_

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cel/ast.h"
#include "cel/functions.h"
#include "cel/parser.h"
#include "cel/value.h"

namespace kw::cel {

// The variables an evaluation reads, by name. Subclass for lazily computed variables.
//
// Names may be qualified: for a select chain `a.b.c` (outside comprehension variables) the
// evaluator asks for "a.b.c", then "a.b", then "a", and uses the first bound, each name at
// most once per evaluation and only when evaluation reaches it. Binding "variables.x" (rather
// than a map "variables") thus lets an activation compute each variable on first read.
class Activation {
 public:
  virtual ~Activation() = default;
  // The value bound to `name`, or nullptr. The pointer must stay valid during the evaluation.
  virtual const Value* Find(std::string_view name) const = 0;
};

class MapActivation : public Activation {
 public:
  void Bind(std::string name, Value value) { values_[std::move(name)] = std::move(value); }
  const Value* Find(std::string_view name) const override;

 private:
  std::map<std::string, Value, std::less<>> values_;
};

struct CompileOptions {
  ParseOptions parse;
  // Must outlive the program.
  const FunctionRegistry* functions = &FunctionRegistry::Standard();
};

struct EvalOptions {
  // Kubernetes' per-expression runtime cost limit (PerCallLimit); 0 means unlimited.
  std::uint64_t cost_limit = 1'000'000;
  // Bounds on what an evaluation builds.
  std::size_t max_string_bytes = 1 << 20;
  std::size_t max_list_elements = 100'000;
  // Stack the evaluation's recursion (one level per level of the expression) may use; past
  // it the result is the error "expression recursion limit exceeded" (see cel/stack.h).
  std::size_t max_stack_bytes = kDefaultStackBudget;
};

// The planned form (program.cc).
struct CompiledProgram;

class Program {
 public:
  static std::expected<Program, std::string> Compile(std::string_view source, const CompileOptions& options = {});
  static std::expected<Program, std::string> Plan(const Expr& expr, const CompileOptions& options = {});

  // The result, or an error value. `cost` (when given) receives the cost charged.
  Value Evaluate(const Activation& activation, const EvalOptions& options = {},
                 std::uint64_t* cost = nullptr) const;

 private:
  explicit Program(std::shared_ptr<const CompiledProgram> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const CompiledProgram> compiled_;
};

}  // namespace kw::cel

#endif  // KW_CEL_PROGRAM_H_
