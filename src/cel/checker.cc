// The type checker: cel-go's algorithm (checker.go) over our AST. Type parameters of an
// overload are renamed to fresh variables at each call and bound in one substitution
// (`bindings_`), so that `[].map(x, x + 1)` and `[] + [1]` get list(int); what stays unbound is
// dyn in the result.
#include "cel/checker.h"

#include <algorithm>
#include <set>

#include "cel/parser.h"

namespace kw::cel {
namespace {

using K = Type::Kind;

// cel-go's standard declarations for the names the evaluator knows (stdlib.cc registers them
// with kinds only, e.g. `_==_` as (any, any)).
struct StandardDecl {
  const char* name;
  bool receiver;
  const char* signature;
};
constexpr StandardDecl kStandard[] = {
    {"_?_:_", false, "(bool, A, A) -> A"},
    {"_&&_", false, "(bool, bool) -> bool"},
    {"_||_", false, "(bool, bool) -> bool"},
    {"!_", false, "(bool) -> bool"},
    {"@not_strictly_false", false, "(bool) -> bool"},
    {"_==_", false, "(A, A) -> bool"},
    {"_!=_", false, "(A, A) -> bool"},
    {"-_", false, "(int) -> int"},
    {"-_", false, "(double) -> double"},
    {"_+_", false, "(int, int) -> int"},
    {"_+_", false, "(uint, uint) -> uint"},
    {"_+_", false, "(double, double) -> double"},
    {"_+_", false, "(string, string) -> string"},
    {"_+_", false, "(bytes, bytes) -> bytes"},
    {"_+_", false, "(list(A), list(A)) -> list(A)"},
    {"_+_", false, "(timestamp, duration) -> timestamp"},
    {"_+_", false, "(duration, timestamp) -> timestamp"},
    {"_+_", false, "(duration, duration) -> duration"},
    {"_-_", false, "(int, int) -> int"},
    {"_-_", false, "(uint, uint) -> uint"},
    {"_-_", false, "(double, double) -> double"},
    {"_-_", false, "(timestamp, timestamp) -> duration"},
    {"_-_", false, "(timestamp, duration) -> timestamp"},
    {"_-_", false, "(duration, duration) -> duration"},
    {"_*_", false, "(int, int) -> int"},
    {"_*_", false, "(uint, uint) -> uint"},
    {"_*_", false, "(double, double) -> double"},
    {"_/_", false, "(int, int) -> int"},
    {"_/_", false, "(uint, uint) -> uint"},
    {"_/_", false, "(double, double) -> double"},
    {"_%_", false, "(int, int) -> int"},
    {"_%_", false, "(uint, uint) -> uint"},
    {"_[_]", false, "(list(A), int) -> A"},
    {"_[_]", false, "(map(K, V), K) -> V"},
    {"@in", false, "(A, list(A)) -> bool"},
    {"@in", false, "(A, map(A, B)) -> bool"},
    {"size", false, "(string) -> int"},
    {"size", false, "(bytes) -> int"},
    {"size", false, "(list(A)) -> int"},
    {"size", false, "(map(K, V)) -> int"},
    {"size", true, "(string) -> int"},
    {"size", true, "(bytes) -> int"},
    {"size", true, "(list(A)) -> int"},
    {"size", true, "(map(K, V)) -> int"},
    {"int", false, "(int) -> int"},
    {"int", false, "(uint) -> int"},
    {"int", false, "(double) -> int"},
    {"int", false, "(string) -> int"},
    {"int", false, "(timestamp) -> int"},
    {"uint", false, "(uint) -> uint"},
    {"uint", false, "(int) -> uint"},
    {"uint", false, "(double) -> uint"},
    {"uint", false, "(string) -> uint"},
    {"double", false, "(double) -> double"},
    {"double", false, "(int) -> double"},
    {"double", false, "(uint) -> double"},
    {"double", false, "(string) -> double"},
    {"string", false, "(string) -> string"},
    {"string", false, "(int) -> string"},
    {"string", false, "(uint) -> string"},
    {"string", false, "(double) -> string"},
    {"string", false, "(bool) -> string"},
    {"string", false, "(bytes) -> string"},
    {"string", false, "(timestamp) -> string"},
    {"string", false, "(duration) -> string"},
    {"bool", false, "(bool) -> bool"},
    {"bool", false, "(string) -> bool"},
    {"bytes", false, "(bytes) -> bytes"},
    {"bytes", false, "(string) -> bytes"},
    {"timestamp", false, "(timestamp) -> timestamp"},
    {"timestamp", false, "(string) -> timestamp"},
    {"timestamp", false, "(int) -> timestamp"},
    {"duration", false, "(duration) -> duration"},
    {"duration", false, "(string) -> duration"},
    {"dyn", false, "(A) -> dyn"},
    {"type", false, "(A) -> type(A)"},
    {"contains", true, "(string, string) -> bool"},
    {"startsWith", true, "(string, string) -> bool"},
    {"endsWith", true, "(string, string) -> bool"},
    {"matches", false, "(string, string) -> bool"},
    {"matches", true, "(string, string) -> bool"},
    {"getFullYear", true, "(timestamp) -> int"},
    {"getFullYear", true, "(timestamp, string) -> int"},
    {"getMonth", true, "(timestamp) -> int"},
    {"getMonth", true, "(timestamp, string) -> int"},
    {"getDate", true, "(timestamp) -> int"},
    {"getDate", true, "(timestamp, string) -> int"},
    {"getDayOfMonth", true, "(timestamp) -> int"},
    {"getDayOfMonth", true, "(timestamp, string) -> int"},
    {"getDayOfWeek", true, "(timestamp) -> int"},
    {"getDayOfWeek", true, "(timestamp, string) -> int"},
    {"getDayOfYear", true, "(timestamp) -> int"},
    {"getDayOfYear", true, "(timestamp, string) -> int"},
    {"getHours", true, "(timestamp) -> int"},
    {"getHours", true, "(timestamp, string) -> int"},
    {"getHours", true, "(duration) -> int"},
    {"getMinutes", true, "(timestamp) -> int"},
    {"getMinutes", true, "(timestamp, string) -> int"},
    {"getMinutes", true, "(duration) -> int"},
    {"getSeconds", true, "(timestamp) -> int"},
    {"getSeconds", true, "(timestamp, string) -> int"},
    {"getSeconds", true, "(duration) -> int"},
    {"getMilliseconds", true, "(timestamp) -> int"},
    {"getMilliseconds", true, "(timestamp, string) -> int"},
    {"getMilliseconds", true, "(duration) -> int"},
};

// The operand pairs `<`, `<=`, `>` and `>=` compare (numbers across types, as cel-go).
constexpr const char* kOrderedPairs[] = {
    "(int, int)",       "(int, uint)",       "(int, double)",    "(uint, int)",           "(uint, uint)",
    "(uint, double)",   "(double, int)",     "(double, uint)",   "(double, double)",      "(bool, bool)",
    "(string, string)", "(bytes, bytes)",    "(timestamp, timestamp)", "(duration, duration)",
};
bool IsOrdering(std::string_view name) { return name == "_<_" || name == "_<=_" || name == "_>_" || name == "_>=_"; }

// Operators the evaluator implements itself (no registry entry), always declared.
bool IsSpecialForm(std::string_view name) {
  return name == "_?_:_" || name == "_&&_" || name == "_||_" || name == "@not_strictly_false";
}

Type TypeOfKind(std::optional<Kind> kind) {
  if (!kind) return Type::Dyn();
  switch (*kind) {
    case Kind::kNull: return Type::Of(K::kNull);
    case Kind::kBool: return Type::Bool();
    case Kind::kInt: return Type::Int();
    case Kind::kUint: return Type::Of(K::kUint);
    case Kind::kDouble: return Type::Of(K::kDouble);
    case Kind::kString: return Type::String();
    case Kind::kBytes: return Type::Of(K::kBytes);
    case Kind::kList: return Type::List(Type::Dyn());
    case Kind::kMap: return Type::Map(Type::Dyn(), Type::Dyn());
    case Kind::kTimestamp: return Type::Of(K::kTimestamp);
    case Kind::kDuration: return Type::Of(K::kDuration);
    case Kind::kType: return Type::TypeOf(Type::Dyn());
    default: return Type::Dyn();
  }
}

std::string FormatSignature(const std::string& name, bool receiver, const Signature& sig) {
  std::string out = name + (receiver ? "[receiver](" : "(");
  for (std::size_t i = 0; i < sig.params.size(); ++i) out += (i ? ", " : "") + FormatType(sig.params[i]);
  return out + ") -> " + FormatType(sig.result);
}

bool IsOptional(const Type& t) { return t.kind == K::kOpaque && t.name == "optional_type" && t.params.size() == 1; }

bool IsDynOrError(const Type& t) { return t.kind == K::kDyn || t.kind == K::kError; }

// `a.b.c` as a name, when the expression is only identifiers and selections.
bool QualifiedName(const Expr& e, std::string& out) {
  if (e.kind == ExprKind::kIdent) {
    out = e.name;
    return true;
  }
  if (e.kind != ExprKind::kSelect || e.test_only || !e.operand || !QualifiedName(*e.operand, out)) return false;
  out += "." + e.name;
  return true;
}

class Checker {
 public:
  Checker(std::string_view source, const Declarations& decls, std::size_t max_stack_bytes)
      : source_(source), decls_(decls), stack_(max_stack_bytes) {}

  std::expected<CheckedExpr, std::string> Run(const Expr& root) {
    Visit(root);
    if (!errors_.empty()) {
      // By position, in the order found at the same position (as cel-go sorts them).
      std::sort(errors_.begin(), errors_.end(), [](const ErrorAt& a, const ErrorAt& b) {
        return a.position != b.position ? a.position < b.position : a.sequence < b.sequence;
      });
      std::string out;
      for (const ErrorAt& error : errors_) {
        if (!out.empty()) out += "\n";
        out += FormatSourceError(source_, static_cast<std::size_t>(error.position), error.message);
      }
      return std::unexpected(out);
    }
    CheckedExpr checked;
    for (auto& [id, t] : types_) checked.types[id] = Substitute(t, true);
    checked.result = checked.types[root.id];
    checked.references = std::move(references_);
    return checked;
  }

 private:
  using Bindings = std::map<std::string, Type, std::less<>>;

  void Error(const Expr& e, std::string message) {
    // cel-go stops collecting at 100 errors.
    if (errors_.size() < 100) errors_.push_back(ErrorAt{e.position, errors_.size(), std::move(message)});
  }
  void Set(const Expr& e, Type t) { types_[e.id] = std::move(t); }
  const Type& Get(const Expr& e) { return types_[e.id]; }

  // --- Substitution and unification ---

  Type Substitute(const Type& t, bool unbound_to_dyn) const {
    if (t.kind == K::kParam) {
      auto it = bindings_.find(t.name);
      if (it != bindings_.end()) return Substitute(it->second, unbound_to_dyn);
      return unbound_to_dyn ? Type::Dyn() : t;
    }
    Type out = t;
    for (Type& p : out.params) p = Substitute(p, unbound_to_dyn);
    return out;
  }
  bool Occurs(const std::string& var, const Type& t, const Bindings& b) const {
    if (t.kind == K::kParam) {
      if (t.name == var) return true;
      auto it = b.find(t.name);
      return it != b.end() && Occurs(var, it->second, b);
    }
    for (const Type& p : t.params)
      if (Occurs(var, p, b)) return true;
    return false;
  }
  static const Type& Walk(const Type& t, const Bindings& b) {
    const Type* cur = &t;
    while (cur->kind == K::kParam) {
      auto it = b.find(cur->name);
      if (it == b.end()) break;
      cur = &it->second;
    }
    return *cur;
  }
  // Whether a value of type `from` may be passed where `to` is expected, binding type
  // variables in `bindings_` (each new binding's name is added to `trail`, so that a failed
  // attempt can be undone without copying the bindings).
  bool Unify(const Type& to_in, const Type& from_in, std::vector<std::string>& trail) {
    const Type& to = Walk(to_in, bindings_);
    const Type& from = Walk(from_in, bindings_);
    if (to.kind == K::kParam && from.kind == K::kParam && to.name == from.name) return true;
    if (to.kind == K::kParam || from.kind == K::kParam) {
      const Type& var = to.kind == K::kParam ? to : from;
      const Type& other = to.kind == K::kParam ? from : to;
      if (Occurs(var.name, other, bindings_)) return false;
      trail.push_back(var.name);
      bindings_.emplace(var.name, other);
      return true;
    }
    if (IsDynOrError(to) || IsDynOrError(from)) return true;
    if (to.kind != from.kind) return false;
    if (to.kind == K::kType) return true;
    if (to.kind == K::kOpaque && (to.name != from.name || to.params.size() != from.params.size())) return false;
    for (std::size_t i = 0; i < to.params.size(); ++i)
      if (!Unify(to.params[i], from.params[i], trail)) return false;
    return true;
  }
  void Undo(const std::vector<std::string>& trail) {
    for (const std::string& name : trail) bindings_.erase(name);
  }
  bool Assignable(const Type& to, const Type& from) {
    std::vector<std::string> trail;
    if (Unify(to, from, trail)) return true;
    Undo(trail);
    return false;
  }
  // The less specific of two assignable types (for literal element joins).
  Type MostGeneral(const Type& a, const Type& b) const {
    Type sa = Substitute(a, false), sb = Substitute(b, false);
    if (IsDynOrError(sa) || sa.kind == K::kParam) return sa;
    if (IsDynOrError(sb) || sb.kind == K::kParam) return sb;
    return sa;
  }
  Type Join(const std::optional<Type>& previous, const Type& current) {
    if (!previous) return current;
    if (Assignable(*previous, current)) return MostGeneral(*previous, current);
    return Type::Dyn();  // cel-go's default: mixed literals are dyn
  }
  Type Fresh() { return Type::Param("_var" + std::to_string(next_var_++)); }
  Type Instantiate(const Type& t, Bindings& renames) {
    if (t.kind == K::kParam) {
      auto it = renames.find(t.name);
      if (it == renames.end()) it = renames.emplace(t.name, Fresh()).first;
      return it->second;
    }
    Type out = t;
    for (Type& p : out.params) p = Instantiate(p, renames);
    return out;
  }

  // --- The walk ---

  void Visit(const Expr& e) {
    if (stack_.Exhausted()) {
      if (!stack_failed_) Error(e, "expression recursion limit exceeded");
      stack_failed_ = true;
      Set(e, Type::Of(K::kError));
      return;
    }
    switch (e.kind) {
      case ExprKind::kConstant: Set(e, TypeOfKind(e.constant.kind())); return;
      case ExprKind::kIdent: VisitIdent(e); return;
      case ExprKind::kSelect: VisitSelect(e); return;
      case ExprKind::kCall: VisitCall(e); return;
      case ExprKind::kList: VisitList(e); return;
      case ExprKind::kMap: VisitMap(e); return;
      case ExprKind::kStruct:
        for (const MapEntry& entry : e.entries) Visit(*entry.value);
        Error(e, "undeclared reference to '" + e.name + "' (in container '')");
        Set(e, Type::Of(K::kError));
        return;
      case ExprKind::kComprehension: VisitComprehension(e); return;
    }
  }

  const Type* FindLocal(std::string_view name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
      if (it->first == name) return &it->second;
    return nullptr;
  }
  const Type* FindName(std::string_view name) const {
    if (const Type* local = FindLocal(name)) return local;
    return decls_.FindVariable(name);
  }

  [[gnu::noinline]] void VisitIdent(const Expr& e) {
    if (const Type* t = FindName(e.name)) {
      Set(e, *t);
      references_[e.id] = Reference{e.name, {}};
      return;
    }
    Error(e, "undeclared reference to '" + e.name + "' (in container '')");
    Set(e, Type::Of(K::kError));
  }

  // The type of a field of a value of type `operand_type`: through an optional operand, an
  // optional of the field's type (as `a.?b` is).
  [[gnu::noinline]] Type FieldType(const Expr& e, const Type& operand_type) {
    Type target = Substitute(operand_type, false);
    bool optional = IsOptional(target);
    if (optional) target = Type(target.params[0]);
    Type field;
    switch (target.kind) {
      case K::kMap: field = target.params[1]; break;
      case K::kParam:
        Assignable(Type::Dyn(), target);
        field = Type::Dyn();
        break;
      case K::kDyn:
      case K::kError: field = Type::Dyn(); break;
      default:
        Error(e, "type '" + FormatType(Substitute(target, true)) + "' does not support field selection");
        return Type::Of(K::kError);
    }
    return optional ? Type::Optional(std::move(field)) : field;
  }

  // `a.b.c` declared as a variable of that name (unless `a` is a comprehension variable).
  [[gnu::noinline]] bool ResolveQualifiedVariable(const Expr& e) {
    std::string qualified;
    if (e.test_only || !QualifiedName(e, qualified) || FindLocal(qualified.substr(0, qualified.find('.')))) return false;
    const Type* t = decls_.FindVariable(qualified);
    if (t == nullptr) return false;
    Set(e, *t);
    references_[e.id] = Reference{qualified, {}};
    return true;
  }

  // The Visit* functions recurse: their frames are kept small (lookups, resolution and
  // messages are separate functions), as wasm32 guests have a 40 KiB budget.
  [[gnu::noinline]] void VisitSelect(const Expr& e) {
    if (ResolveQualifiedVariable(e)) return;
    Visit(*e.operand);
    SetSelectType(e);
  }
  [[gnu::noinline]] void SetSelectType(const Expr& e) {
    Type field = FieldType(e, Get(*e.operand));
    Set(e, e.test_only ? Type::Bool() : field);
  }

  // `ns.f(x)` as the global function "ns.f", when declared and `ns` is no variable.
  [[gnu::noinline]] bool ResolveNamespacedCall(const Expr& e) {
    std::string prefix;
    if (!QualifiedName(*e.operand, prefix) || FindName(prefix.substr(0, prefix.find('.')))) return false;
    std::string qualified = prefix + "." + e.name;
    const auto* overloads = decls_.FindFunction(qualified);
    if (overloads == nullptr) return false;
    Resolve(e, qualified, *overloads, nullptr);
    return true;
  }

  [[gnu::noinline]] void VisitCall(const Expr& e) {
    for (const ExprPtr& arg : e.args) Visit(*arg);
    if (e.operand) {
      if (ResolveNamespacedCall(e)) return;
      Visit(*e.operand);
    }
    ResolveCall(e);
  }

  [[gnu::noinline]] void ResolveCall(const Expr& e) {
    if (e.name == "_?._" && e.operand == nullptr && e.args.size() == 2) {
      // a.?b: an optional of b's type (one optional, whether `a` is one or not).
      Type field = FieldType(e, Get(*e.args[0]));
      Set(e, IsOptional(field) || field.kind == K::kError ? field : Type::Optional(std::move(field)));
      return;
    }
    const auto* overloads = decls_.FindFunction(e.name);
    if (overloads == nullptr) {
      Error(e, "undeclared reference to '" + e.name + "' (in container '')");
      Set(e, Type::Of(K::kError));
      return;
    }
    Resolve(e, e.name, *overloads, e.operand.get());
  }

  [[gnu::noinline]] void Resolve(const Expr& e, const std::string& name, const std::vector<Declarations::OverloadDecl>& overloads,
               const Expr* target) {
    std::vector<Type> args;
    if (target) args.push_back(Get(*target));
    for (const ExprPtr& arg : e.args) args.push_back(Get(*arg));
    std::optional<Type> result;
    Reference reference{name, {}};
    for (const auto& overload : overloads) {
      if (overload.receiver != (target != nullptr) || overload.signature.params.size() != args.size()) continue;
      Bindings renames;
      std::vector<std::string> trail;
      bool ok = true;
      for (std::size_t i = 0; i < args.size() && ok; ++i)
        ok = Unify(Instantiate(overload.signature.params[i], renames), args[i], trail);
      if (!ok) {
        Undo(trail);
        continue;
      }
      reference.overloads.push_back(overload.id);
      Type r = Substitute(Instantiate(overload.signature.result, renames), false);
      if (!result) result = std::move(r);
      else if (result->kind != K::kDyn && !(*result == r)) result = Type::Dyn();
    }
    if (!result) {
      std::string applied = "(";
      for (std::size_t i = target ? 1 : 0; i < args.size(); ++i)
        applied += (i > (target ? 1u : 0u) ? ", " : "") + FormatType(Substitute(args[i], true));
      applied += ")";
      if (target) applied = FormatType(Substitute(args[0], true)) + "." + applied;
      Error(e, "found no matching overload for '" + name + "' applied to '" + applied + "'");
      Set(e, Type::Of(K::kError));
      return;
    }
    references_[e.id] = std::move(reference);
    Set(e, std::move(*result));
  }

  static Type Unwrapped(const Type& t) { return IsOptional(t) ? t.params[0] : t; }

  [[gnu::noinline]] void VisitList(const Expr& e) {
    std::optional<Type> element;
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      Visit(*e.args[i]);
      bool optional = std::find(e.optional_indices.begin(), e.optional_indices.end(), static_cast<std::int32_t>(i)) !=
                      e.optional_indices.end();
      JoinInto(element, *e.args[i], optional);
    }
    Set(e, Type::List(element ? *element : Fresh()));
  }

  [[gnu::noinline]] void VisitMap(const Expr& e) {
    std::optional<Type> key, value;
    for (const MapEntry& entry : e.entries) {
      Visit(*entry.key);
      Visit(*entry.value);
      JoinInto(key, *entry.key, false);
      JoinInto(value, *entry.value, entry.optional);
    }
    Set(e, Type::Map(key ? *key : Fresh(), value ? *value : Fresh()));
  }

  // Joins the type of an element (`?e`: of the optional's value) into a literal's element type.
  [[gnu::noinline]] void JoinInto(std::optional<Type>& joined, const Expr& element, bool optional) {
    Type t = Get(element);
    joined = Join(joined, optional ? Unwrapped(Substitute(t, false)) : t);
  }

  [[gnu::noinline]] void AssertType(const Expr& e, const Type& expected) {
    if (Assignable(expected, Get(e))) return;
    Error(e, "expected type '" + FormatType(Substitute(expected, true)) + "' but found '" +
                 FormatType(Substitute(Get(e), true)) + "'");
  }

  [[gnu::noinline]] void VisitComprehension(const Expr& e) {
    Visit(*e.iter_range);
    Visit(*e.accu_init);
    EnterComprehension(e);
    Visit(*e.loop_condition);
    AssertType(*e.loop_condition, Type::Bool());
    Visit(*e.loop_step);
    AssertType(*e.loop_step, locals_[locals_.size() - 2].second);
    locals_.pop_back();
    Visit(*e.result);
    locals_.pop_back();
    SetSubstituted(e, *e.result);
  }

  // Declares the accumulator and the iteration variable (typed by the range).
  [[gnu::noinline]] void EnterComprehension(const Expr& e) {
    Type range = Substitute(Get(*e.iter_range), false);
    Type var;
    switch (range.kind) {
      case K::kList:
      case K::kMap: var = range.params[0]; break;
      case K::kDyn:
      case K::kError:
      case K::kParam:
        Assignable(Type::Dyn(), range);
        var = Type::Dyn();
        break;
      default:
        Error(*e.iter_range, "expression of type '" + FormatType(Substitute(range, true)) +
                                 "' cannot be range of a comprehension (must be list, map, or dynamic)");
        var = Type::Of(K::kError);
    }
    locals_.emplace_back(e.accu_var, Get(*e.accu_init));
    locals_.emplace_back(e.iter_var, std::move(var));
  }

  [[gnu::noinline]] void SetSubstituted(const Expr& e, const Expr& from) { Set(e, Substitute(Get(from), false)); }

  std::string_view source_;
  const Declarations& decls_;
  StackBudget stack_;
  bool stack_failed_ = false;
  struct ErrorAt {
    std::int32_t position;
    std::size_t sequence;
    std::string message;
  };
  std::vector<ErrorAt> errors_;
  std::map<std::int64_t, Type> types_;
  std::map<std::int64_t, Reference> references_;
  std::vector<std::pair<std::string, Type>> locals_;
  Bindings bindings_;
  int next_var_ = 0;
};

}  // namespace

Declarations::Declarations(const FunctionRegistry* functions) {
  for (const char* name : {"bool", "int", "uint", "double", "string", "bytes", "null_type", "dyn",
                           "google.protobuf.Timestamp", "google.protobuf.Duration"})
    variables_[name] = Type::TypeOf(*ParseType(name));
  variables_["list"] = Type::TypeOf(Type::List(Type::Dyn()));
  variables_["map"] = Type::TypeOf(Type::Map(Type::Dyn(), Type::Dyn()));
  variables_["type"] = Type::TypeOf(Type::TypeOf(Type::Dyn()));

  std::set<std::string, std::less<>> standard_added;
  auto add_standard = [&](std::string_view name) {
    if (!standard_added.emplace(name).second) return false;
    bool any = false;
    for (const StandardDecl& d : kStandard) {
      if (name != d.name) continue;
      AddFunction(d.name, d.receiver, *ParseSignature(d.signature));
      any = true;
    }
    if (IsOrdering(name)) {
      for (const char* pair : kOrderedPairs) AddFunction(std::string(name), false, *ParseSignature(std::string(pair) + " -> bool"));
      any = true;
    }
    return any;
  };
  for (const StandardDecl& d : kStandard)
    if (IsSpecialForm(d.name)) add_standard(d.name);
  if (functions == nullptr) return;
  for (const auto& [name, overloads] : functions->all()) {
    // A library's registry holds Standard()'s overloads (declared by the table, they have no
    // signature) in their order, with the libraries' before or after them: the first unsigned
    // overloads of a standard name are the standard library's.
    const auto* standard = FunctionRegistry::Standard().Find(name);
    std::size_t standard_count = standard ? standard->size() : 0;
    std::size_t unsigned_seen = 0;
    for (const Overload& o : overloads) {
      if (!o.signature.empty()) {
        auto sig = ParseSignature(o.signature);
        // A malformed signature is the library author's bug: the overload stays callable as dyn.
        if (sig && sig->params.size() == o.params.size()) {
          AddFunction(name, o.receiver, std::move(*sig));
          continue;
        }
      }
      if (unsigned_seen++ < standard_count && (standard_added.contains(name) || add_standard(name))) continue;
      Signature derived;
      for (const auto& kind : o.params) derived.params.push_back(TypeOfKind(kind));
      derived.result = Type::Dyn();
      AddFunction(name, o.receiver, std::move(derived));
    }
  }
}

void Declarations::AddVariable(std::string name, Type type) { variables_[std::move(name)] = std::move(type); }

void Declarations::AddFunction(const std::string& name, bool receiver, Signature signature) {
  std::string id = FormatSignature(name, receiver, signature);
  auto& overloads = functions_[name];
  for (const OverloadDecl& o : overloads)
    if (o.id == id) return;
  overloads.push_back(OverloadDecl{std::move(id), receiver, std::move(signature)});
}

const Type* Declarations::FindVariable(std::string_view name) const {
  auto it = variables_.find(name);
  return it == variables_.end() ? nullptr : &it->second;
}

const std::vector<Declarations::OverloadDecl>* Declarations::FindFunction(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

std::expected<CheckedExpr, std::string> Check(const Expr& expr, std::string_view source, const Declarations& decls,
                                              std::size_t max_stack_bytes) {
  return Checker(source, decls, max_stack_bytes).Run(expr);
}

std::expected<Program, std::string> CompileChecked(std::string_view source, const Declarations& decls,
                                                   const CompileOptions& options, const Type* required) {
  auto expr = Parse(source, options.parse);
  if (!expr) return std::unexpected(expr.error());
  auto checked = Check(**expr, source, decls, options.parse.max_stack_bytes);
  if (!checked) return std::unexpected(checked.error());
  if (required) {
    Type result = checked->result;
    bool ok = result.kind == K::kDyn || result == *required || required->kind == K::kDyn;
    if (!ok) return std::unexpected("must evaluate to " + FormatType(*required));
  }
  return Program::Plan(**expr, options);
}

}  // namespace kw::cel
