// cel/checker.h: CEL's static type checker (cel-go's checker, without protobuf messages).
//
// Between Parse and Program::Plan: every node of a parsed expression gets a type, identifiers
// and calls get references, and what cannot be typed is reported with cel-go's texts, all of
// them (sorted by position), each as FormatSourceError prints it:
//
//   cel::Declarations decls;                         // the standard library of the registry
//   decls.AddVariable("object", cel::Type::Dyn());   // JSON-fed variables are dyn
//   auto checked = cel::Check(**expr, source, decls);
//   // ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(string, int)'
//
// Types: null_type, bool, int, uint, double, string, bytes, list(T), map(K, V),
// google.protobuf.Timestamp, google.protobuf.Duration, type(T), dyn, opaque types by name with
// parameters (optional_type(T), kubernetes.Quantity, net.IP, ...) and type parameters. dyn is
// assignable both ways; type parameters unify (cel-go's rules: `1 == 'a'` does not check).
//
// Function declarations come from the FunctionRegistry: an Overload's `signature` (e.g.
// "(list(A), A) -> bool", every parameter listed, the receiver first) when it has one; else,
// for the standard library's own overloads (the first ones of a standard name in a registry
// copied from Standard()), cel-go's standard declarations; else one derived from the
// overload's parameter kinds (any kind: dyn; list: list(dyn); ...), with a dyn result.
#ifndef KW_CEL_CHECKER_H_
#define KW_CEL_CHECKER_H_

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cel/ast.h"
#include "cel/functions.h"
#include "cel/program.h"

namespace kw::cel {

struct Type {
  enum class Kind : std::uint8_t {
    kDyn, kNull, kBool, kInt, kUint, kDouble, kString, kBytes, kList, kMap, kTimestamp, kDuration,
    kType, kError, kOpaque, kParam,
  };
  Kind kind = Kind::kDyn;
  std::string name;          // kOpaque: the type's name; kParam: the parameter's name
  std::vector<Type> params;  // list: element; map: key, value; type: the type; opaque: parameters

  static Type Of(Kind kind) { return Type{kind, {}, {}}; }
  static Type Dyn() { return Of(Kind::kDyn); }
  static Type Int() { return Of(Kind::kInt); }
  static Type Bool() { return Of(Kind::kBool); }
  static Type String() { return Of(Kind::kString); }
  static Type List(Type element) { return Type{Kind::kList, {}, {std::move(element)}}; }
  static Type Map(Type key, Type value) { return Type{Kind::kMap, {}, {std::move(key), std::move(value)}}; }
  static Type TypeOf(Type t) { return Type{Kind::kType, {}, {std::move(t)}}; }
  static Type Opaque(std::string name, std::vector<Type> params = {}) {
    return Type{Kind::kOpaque, std::move(name), std::move(params)};
  }
  static Type Optional(Type t) { return Opaque("optional_type", {std::move(t)}); }
  static Type Param(std::string name) { return Type{Kind::kParam, std::move(name), {}}; }

  bool operator==(const Type&) const = default;
};

// cel-go's text of a type: "list(int)", "map(string, dyn)", "google.protobuf.Timestamp".
std::string FormatType(const Type& type);
// The inverse of FormatType; "timestamp" and "duration" are accepted for the well-known
// types. A name of one capital letter (optionally followed by digits: A, K, V, T1) is a type
// parameter; any other unknown name is an opaque type.
std::expected<Type, std::string> ParseType(std::string_view text);

struct Signature {
  std::vector<Type> params;  // the receiver first for receiver-style overloads
  Type result;
};
// "(list(A), A) -> bool".
std::expected<Signature, std::string> ParseSignature(std::string_view text);

// What an expression may refer to: variables and function overloads.
class Declarations {
 public:
  struct OverloadDecl {
    std::string id;  // its signature's text, for references
    bool receiver = false;
    Signature signature;
  };

  // Declares the functions of `functions` (nullptr: none) and the type names (int, list, ...).
  explicit Declarations(const FunctionRegistry* functions = &FunctionRegistry::Standard());

  void AddVariable(std::string name, Type type);
  void AddFunction(const std::string& name, bool receiver, Signature signature);

  const Type* FindVariable(std::string_view name) const;
  const std::vector<OverloadDecl>* FindFunction(std::string_view name) const;

 private:
  std::map<std::string, Type, std::less<>> variables_;
  std::map<std::string, std::vector<OverloadDecl>, std::less<>> functions_;
};

struct Reference {
  std::string name;                    // the variable or function
  std::vector<std::string> overloads;  // calls: the ids of the overloads that may apply
};

struct CheckedExpr {
  Type result;
  std::map<std::int64_t, Type> types;  // by Expr::id, every node
  std::map<std::int64_t, Reference> references;
};

// `source` is the text `expr` was parsed from (for messages).
std::expected<CheckedExpr, std::string> Check(const Expr& expr, std::string_view source, const Declarations& decls,
                                              std::size_t max_stack_bytes = kDefaultStackBudget);

// Parse, Check and Plan. With `required`, the result type must be assignable to it (dyn is),
// else the error is Kubernetes' "must evaluate to bool" (cel-policy's validations compile to
// bool, its messageExpressions to string).
std::expected<Program, std::string> CompileChecked(std::string_view source, const Declarations& decls,
                                                   const CompileOptions& options = {},
                                                   const Type* required = nullptr);

}  // namespace kw::cel

#endif  // KW_CEL_CHECKER_H_
