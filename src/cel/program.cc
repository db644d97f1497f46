#include "cel/program.h"

#include <algorithm>
#include <vector>

namespace kw::cel {

const Value* MapActivation::Find(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

enum class Op : std::uint8_t {
  kConstant,
  kLocal,          // slot
  kGlobal,         // global index
  kSelect,         // children[0].name
  kHas,            // has(children[0].name)
  kCall,           // overloads over children
  kAnd,
  kOr,
  kTernary,
  kNotStrictlyFalse,
  kList,
  kMap,            // children: key, value, key, value...
  kStruct,
  kComprehension,  // children: range, init, condition, step, result; slot (iter), slot2 (accu)
  kAppendAccu,     // accu (slot) + [children[0]], in place
};

struct CallTarget {
  const Overload* overload;
  FunctionImpl impl;  // specialised, or a copy of overload->impl
};

struct PlanNode {
  Op op = Op::kConstant;
  std::int32_t position = 0;
  Value constant;
  std::string name;
  int slot = -1;
  int slot2 = -1;
  std::vector<PlanNode> children;
  std::vector<CallTarget> targets;
  // An optional list element or map value (`[?e]`, `{?k: v}`): a call to the optional
  // library's "@optional_elements", whose list of 0 or 1 values is spliced in.
  bool spread = false;
};

struct CompiledProgram {
  PlanNode root;
  std::vector<std::string> globals;
  int slots = 0;
};

namespace {

bool IsTypeName(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
      "google.protobuf.Timestamp", "google.protobuf.Duration"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// The static name of a built-in type (a Value::Type must not point into a temporary).
std::string_view StaticTypeName(std::string_view name) {
  for (Kind k : {Kind::kInt, Kind::kUint, Kind::kDouble, Kind::kBool, Kind::kString, Kind::kBytes, Kind::kList,
                 Kind::kMap, Kind::kNull, Kind::kType, Kind::kTimestamp, Kind::kDuration})
    if (KindName(k) == name) return KindName(k);
  return {};
}

// "a.b.c" for a select chain over identifiers, or nothing.
std::optional<std::string> DottedName(const Expr& e) {
  if (e.kind == ExprKind::kIdent) return e.name;
  if (e.kind != ExprKind::kSelect || e.test_only) return std::nullopt;
  auto inner = DottedName(*e.operand);
  if (!inner) return std::nullopt;
  return *inner + "." + e.name;
}

class Planner {
 public:
  Planner(const CompileOptions& options, CompiledProgram& out)
      : options_(options), out_(out), stack_(options.parse.max_stack_bytes) {}

  std::expected<PlanNode, std::string> Run(const Expr& root) {
    PlanNode n = Plan(root);
    if (!error_.empty()) return std::unexpected(error_);
    return n;
  }

 private:
  int LookupLocal(std::string_view name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
      if (it->first == name) return it->second;
    return -1;
  }

  // The slot of a name looked up in the activation.
  int GlobalSlot(const std::string& name) {
    auto it = std::find(out_.globals.begin(), out_.globals.end(), name);
    if (it == out_.globals.end()) it = out_.globals.insert(it, name);
    return static_cast<int>(it - out_.globals.begin());
  }

  PlanNode Plan(const Expr& e) {
    PlanNode n;
    n.position = e.position;
    if (stack_.Exhausted()) {
      if (error_.empty()) error_ = "ERROR: <input>: expression recursion limit exceeded: planning needs more stack";
      return n;
    }
    switch (e.kind) {
      case ExprKind::kConstant:
        n.constant = e.constant;
        break;
      case ExprKind::kIdent: {
        int slot = LookupLocal(e.name);
        if (slot >= 0) {
          n.op = Op::kLocal;
          n.slot = slot;
        } else if (IsTypeName(e.name)) {
          n.constant = Value::Type(StaticTypeName(e.name));
        } else {
          n.op = Op::kGlobal;
          n.name = e.name;
          n.slot = GlobalSlot(e.name);
        }
        break;
      }
      case ExprKind::kSelect: {
        if (auto dotted = DottedName(e); dotted && IsTypeName(*dotted) && LookupLocal(e.name) < 0) {
          n.constant = Value::Type(StaticTypeName(*dotted));
          break;
        }
        n.op = e.test_only ? Op::kHas : Op::kSelect;
        n.name = e.name;
        // `a.b.c` may name a variable bound as a whole (cel-spec's qualified identifiers): the
        // activation is asked for "a.b.c" first, then "a.b", then "a" (a slot each, so once per
        // evaluation). This is how a lazily computed `variables.x` is bound.
        if (auto dotted = DottedName(e); dotted && LookupLocal(dotted->substr(0, dotted->find('.'))) < 0)
          n.slot = GlobalSlot(*dotted);
        n.children.push_back(Plan(*e.operand));
        // Selecting a field of an opaque value (an optional: `o.f` chains as `o.?f`) goes to the
        // optional library's "_?._" when the registry has it; `has(o.f)` then asks the
        // optional's hasValue (cel-go: whether `o` has a value that has the field).
        if (const auto* overloads = options_.functions->Find("_?._"))
          for (const auto& o : *overloads)
            if (!o.receiver && o.params.size() == 2) n.targets.push_back({&o, o.impl});
        if (const auto* overloads = options_.functions->Find("hasValue"); e.test_only && overloads && !n.targets.empty()) {
          for (const auto& o : *overloads)
            if (o.receiver && o.params.size() == 1 && o.params[0] == Kind::kOpaque) n.targets.push_back({&o, o.impl});
          if (n.targets.size() < 2) n.targets.clear();
        }
        break;
      }
      case ExprKind::kCall:
        PlanCall(e, n);
        break;
      case ExprKind::kList:
        n.op = Op::kList;
        for (std::size_t i = 0; i < e.args.size(); ++i) {
          bool optional = std::find(e.optional_indices.begin(), e.optional_indices.end(),
                                    static_cast<std::int32_t>(i)) != e.optional_indices.end();
          n.children.push_back(optional ? PlanOptional(*e.args[i], "optional list elements ('[?e]')") : Plan(*e.args[i]));
        }
        break;
      case ExprKind::kMap:
        n.op = Op::kMap;
        for (const auto& entry : e.entries) {
          n.children.push_back(Plan(*entry.key));
          n.children.push_back(entry.optional ? PlanOptional(*entry.value, "optional map entries ('{?k: v}')")
                                              : Plan(*entry.value));
        }
        break;
      case ExprKind::kStruct:
        n.op = Op::kStruct;
        n.name = e.name;
        for (const auto& entry : e.entries) n.children.push_back(Plan(*entry.value));
        break;
      case ExprKind::kComprehension: {
        n.op = Op::kComprehension;
        n.children.push_back(Plan(*e.iter_range));
        n.children.push_back(Plan(*e.accu_init));
        n.slot = out_.slots++;
        n.slot2 = out_.slots++;
        scopes_.emplace_back(e.accu_var, n.slot2);
        n.children.push_back(Plan(*e.loop_condition));
        scopes_.emplace_back(e.iter_var, n.slot);
        n.children.push_back(PlanStep(*e.loop_step, n.slot2));
        scopes_.pop_back();
        n.children.push_back(Plan(*e.result));
        scopes_.pop_back();
        break;
      }
    }
    return n;
  }

  // The step of map/filter (`accu + [x]`, possibly under `?:`) appends in place.
  [[gnu::noinline]] PlanNode PlanStep(const Expr& step, int accu_slot) {
    auto is_append = [&](const Expr& e) {
      return e.kind == ExprKind::kCall && e.name == "_+_" && !e.operand && e.args.size() == 2 &&
             e.args[0]->kind == ExprKind::kIdent && LookupLocal(e.args[0]->name) == accu_slot &&
             e.args[1]->kind == ExprKind::kList && e.args[1]->args.size() == 1;
    };
    auto append = [&](const Expr& e) {
      PlanNode n;
      n.op = Op::kAppendAccu;
      n.position = e.position;
      n.slot = accu_slot;
      n.children.push_back(Plan(*e.args[1]->args[0]));
      return n;
    };
    if (is_append(step)) return append(step);
    if (step.kind == ExprKind::kCall && step.name == "_?_:_" && step.args.size() == 3 && is_append(*step.args[1])) {
      PlanNode n;
      n.op = Op::kTernary;
      n.position = step.position;
      n.children.push_back(Plan(*step.args[0]));
      n.children.push_back(append(*step.args[1]));
      n.children.push_back(Plan(*step.args[2]));
      return n;
    }
    return Plan(step);
  }

  [[gnu::noinline]] void PlanCall(const Expr& e, PlanNode& n) {
    // `math.greatest(1, 2)`, `base64.encode(b)`: a receiver that spells a namespace names a
    // global function when one is registered under the qualified name (and the receiver's
    // root is no comprehension variable).
    if (e.operand) {
      auto dotted = DottedName(*e.operand);
      if (dotted && LookupLocal(dotted->substr(0, dotted->find('.'))) < 0) {
        std::string qualified = *dotted + "." + e.name;
        if (const auto* overloads = options_.functions->Find(qualified)) {
          bool any_global = false;
          for (const auto& o : *overloads) any_global = any_global || !o.receiver;
          if (any_global) {
            PlanResolvedCall(qualified, nullptr, e.args, n);
            return;
          }
        }
      }
    }
    PlanResolvedCall(e.name, e.operand.get(), e.args, n);
  }

  [[gnu::noinline]] void PlanResolvedCall(const std::string& fn, const Expr* target, const std::vector<ExprPtr>& args, PlanNode& n) {
    bool global = target == nullptr;
    if (global && (fn == "_&&_" || fn == "_||_") && args.size() == 2) {
      n.op = fn == "_&&_" ? Op::kAnd : Op::kOr;
    } else if (global && fn == "_?_:_" && args.size() == 3) {
      n.op = Op::kTernary;
    } else if (global && fn == "@not_strictly_false" && args.size() == 1) {
      n.op = Op::kNotStrictlyFalse;
    } else {
      n.op = Op::kCall;
      n.name = fn;
      if (target) n.children.push_back(Plan(*target));
      for (const auto& a : args) n.children.push_back(Plan(*a));
      std::size_t arity = n.children.size();
      const auto* overloads = options_.functions->Find(fn);
      if (overloads != nullptr) {
        std::vector<const Value*> constants;
        for (const auto& c : n.children) constants.push_back(c.op == Op::kConstant ? &c.constant : nullptr);
        for (const auto& o : *overloads) {
          if (o.receiver != !global || o.params.size() != arity) continue;
          CallTarget t{&o, nullptr};
          if (o.specialize) t.impl = o.specialize(constants);
          if (!t.impl) t.impl = o.impl;
          n.targets.push_back(std::move(t));
        }
      }
      if (n.targets.empty() && error_.empty()) {
        // cel-go's checker text; without a checker this is the earliest place to say it.
        error_ = "ERROR: <input>: undeclared reference to '" + fn + "' (in container '')";
      }
      return;
    }
    for (const auto& a : args) n.children.push_back(Plan(*a));
  }

  // An optional element or entry value, evaluated by the optional library (cel/libraries.h);
  // without it in the registry, planning refuses them.
  [[gnu::noinline]] PlanNode PlanOptional(const Expr& e, std::string_view what) {
    PlanNode n;
    n.op = Op::kCall;
    n.position = e.position;
    n.name = "@optional_elements";
    n.spread = true;
    n.children.push_back(Plan(e));
    if (const auto* overloads = options_.functions->Find(n.name))
      for (const auto& o : *overloads)
        if (!o.receiver && o.params.size() == 1) n.targets.push_back({&o, o.impl});
    if (n.targets.empty()) Unsupported(what);
    return n;
  }

  void Unsupported(std::string_view what) {
    if (error_.empty()) error_ = "ERROR: <input>: " + std::string(what) + " need the optional library";
  }

  const CompileOptions& options_;
  CompiledProgram& out_;
  StackBudget stack_;
  std::vector<std::pair<std::string, int>> scopes_;
  std::string error_;
};

[[gnu::noinline]] Value StackExhausted() {
  return Value::Error("expression recursion limit exceeded: evaluation needs more than its stack budget");
}

[[gnu::noinline]] Value NoSuchKey(std::string_view key) { return Value::Error("no such key: " + std::string(key)); }

// cel-go: selecting a field of a value that has none.
[[gnu::noinline]] Value NoFieldSelection(const Value& operand) {
  return Value::Error("type '" + std::string(operand.TypeName()) + "' does not support field selection");
}

Value MergeUnknowns(const Value& a, const Value& b) {
  return Value::Unknown(std::string(a.text()) + ", " + std::string(b.text()));
}

class Evaluator {
 public:
  Evaluator(const CompiledProgram& program, const Activation& activation, const EvalOptions& options)
      : program_(program), activation_(activation), options_(options),
        ctx_(cost_, options.cost_limit, options.max_string_bytes, options.max_list_elements),
        stack_(options.max_stack_bytes),
        locals_(program.slots), globals_(program.globals.size()), resolved_(program.globals.size()) {}

  // Past the budget the result is the cancellation, even where `||`/`&&` would have absorbed it.
  Value Run() {
    Value result = Eval(program_.root);
    return OverBudget() ? CallContext::CostExceeded() : result;
  }
  std::uint64_t cost() const { return cost_; }

 private:
  bool OverBudget() { return options_.cost_limit != 0 && cost_ > options_.cost_limit; }

  Value Eval(const PlanNode& n) {
    if (n.op == Op::kConstant) return n.constant;
    if (++cost_, OverBudget()) return CallContext::CostExceeded();
    if (stack_.Exhausted()) return StackExhausted();
    switch (n.op) {
      case Op::kConstant: return n.constant;
      case Op::kLocal: return locals_[n.slot];
      case Op::kGlobal: return Global(n);
      case Op::kSelect:
      case Op::kHas: return Select(n);
      case Op::kCall: return Call(n);
      case Op::kAnd:
      case Op::kOr: return Logic(n);
      case Op::kTernary: return Ternary(n);
      case Op::kNotStrictlyFalse: return Value::Bool(!Eval(n.children[0]).IsBool(false));
      case Op::kList: return List(n);
      case Op::kMap: return Map(n);
      case Op::kStruct: return Value::Error("unknown type: " + n.name);
      case Op::kComprehension: return Comprehension(n);
      case Op::kAppendAccu: return AppendAccu(n);
    }
    return Value::Error("invalid plan");
  }

  // Eval recurses once per level of the expression, through the helpers below: they are kept
  // out of its frame (noinline) so that the stack per level stays small (wasm32 policies).
  [[gnu::noinline]] Value Ternary(const PlanNode& n) {
    Value c = Eval(n.children[0]);
    if (c.IsErrorOrUnknown()) return c;
    if (c.kind() != Kind::kBool) return NoSuchOverload();
    return Eval(n.children[c.bool_value() ? 1 : 2]);
  }

  // The activation's value of the name of global slot `slot`, or nullptr (asked once).
  const Value* Resolve(int slot) {
    if (!resolved_[slot]) {
      resolved_[slot] = true;
      globals_[slot] = activation_.Find(program_.globals[slot]);
    }
    return globals_[slot];
  }

  [[gnu::noinline]] Value Global(const PlanNode& n) {
    const Value* value = Resolve(n.slot);
    if (value == nullptr) return Value::Error("no such attribute(s): " + n.name);
    return *value;
  }

  [[gnu::noinline]] Value List(const PlanNode& n) {
    std::vector<Value> elements;
    elements.reserve(n.children.size());
    for (const auto& c : n.children) {
      Value v = Eval(c);
      if (v.IsErrorOrUnknown()) return v;
      if (c.spread) {
        ListIterator it(v);
        Value e;
        while (it.Next(e)) elements.push_back(std::move(e));
        continue;
      }
      elements.push_back(std::move(v));
    }
    return Value::List(std::move(elements));
  }

  [[gnu::noinline]] Value Map(const PlanNode& n) {
    std::vector<std::pair<Value, Value>> entries;
    entries.reserve(n.children.size() / 2);
    for (std::size_t i = 0; i < n.children.size(); i += 2) {
      Value k = Eval(n.children[i]);
      if (k.IsErrorOrUnknown()) return k;
      Value v = Eval(n.children[i + 1]);
      if (v.IsErrorOrUnknown()) return v;
      if (n.children[i + 1].spread) {
        if (v.ListSize() == 0) continue;
        v = v.ListAt(0);
      }
      entries.emplace_back(std::move(k), std::move(v));
    }
    return Value::Map(std::move(entries));
  }

  [[gnu::noinline]] Value AppendAccu(const PlanNode& n) {
    Value element = Eval(n.children[0]);
    if (element.IsErrorOrUnknown()) return element;
    Value accu = std::move(locals_[n.slot]);
    locals_[n.slot] = Value();
    if (accu.kind() != Kind::kList) return accu;  // an earlier error stays
    if (accu.ListSize() >= options_.max_list_elements) return CallContext::SizeExceeded("list");
    accu.ListAppend(std::move(element));
    return accu;
  }

  [[gnu::noinline]] Value Select(const PlanNode& n) {
    if (n.slot >= 0 && n.op == Op::kSelect) {
      if (const Value* qualified = Resolve(n.slot)) return *qualified;
    }
    Value operand = Eval(n.children[0]);
    if (operand.IsErrorOrUnknown()) return operand;
    if (operand.kind() == Kind::kMap) {
      // Lookups scan the map (JSON objects and map literals keep no index).
      if (!ctx_.Charge(TraversalCost(operand.MapSize()))) return CallContext::CostExceeded();
      auto found = operand.MapFind(std::string_view(n.name));
      if (n.op == Op::kHas) return Value::Bool(found.has_value());
      if (!found) return NoSuchKey(n.name);
      return std::move(*found);
    }
    if (operand.kind() == Kind::kOpaque && !n.targets.empty()) {
      Value args[2] = {operand, Value::String(n.name)};
      if (n.targets[0].overload->Accepts(args)) {
        Value selected = n.targets[0].impl(args, ctx_);
        if (n.op != Op::kHas || selected.IsErrorOrUnknown()) return selected;
        Value present[1] = {std::move(selected)};
        return n.targets[1].impl(present, ctx_);
      }
    }
    return NoFieldSelection(operand);
  }

  [[gnu::noinline]] Value Logic(const PlanNode& n) {
    bool is_and = n.op == Op::kAnd;
    Value a = Eval(n.children[0]);
    if (a.IsBool(!is_and)) return a;  // false && _, true || _
    Value b = Eval(n.children[1]);
    if (b.IsBool(!is_and)) return b;
    if (a.kind() == Kind::kBool && b.kind() == Kind::kBool) return a;
    if (a.IsUnknown() && b.IsUnknown()) return MergeUnknowns(a, b);
    if (a.IsUnknown()) return a;
    if (b.IsUnknown()) return b;
    if (a.IsError()) return a;
    if (b.IsError()) return b;
    return NoSuchOverload();
  }

  [[gnu::noinline]] Value Call(const PlanNode& n) {
    // Up to 3 arguments live on the stack.
    Value small[3];
    std::vector<Value> large;
    Value* args = small;
    std::size_t count = n.children.size();
    if (count > 3) {
      large.resize(count);
      args = large.data();
    }
    bool strict_problem = false;
    for (std::size_t i = 0; i < count; ++i) {
      args[i] = Eval(n.children[i]);
      if (args[i].IsErrorOrUnknown()) strict_problem = true;
    }
    std::span<const Value> span(args, count);
    if (strict_problem) return StrictProblem(n, span);
    for (const auto& t : n.targets) {
      if (t.overload->Accepts(span)) {
        Value r = t.impl(span, ctx_);
        if (OverBudget()) return CallContext::CostExceeded();
        return r;
      }
    }
    return NoSuchOverload();
  }

  // A strict call with error or unknown arguments: a non-strict overload that accepts them,
  // else the unknowns merged, else the first error.
  [[gnu::noinline]] Value StrictProblem(const PlanNode& n, std::span<const Value> args) {
    for (const auto& t : n.targets)
      if (t.overload->non_strict && t.overload->Accepts(args)) return t.impl(args, ctx_);
    std::optional<Value> unknown;
    for (const Value& a : args) {
      if (!a.IsUnknown()) continue;
      unknown = unknown ? MergeUnknowns(*unknown, a) : a;
    }
    if (unknown) return *unknown;
    for (const Value& a : args)
      if (a.IsError()) return a;
    return NoSuchOverload();
  }

  [[gnu::noinline]] Value Comprehension(const PlanNode& n) {
    Value range = Eval(n.children[0]);
    if (range.IsErrorOrUnknown()) return range;
    Value accu = Eval(n.children[1]);
    if (range.kind() != Kind::kList && range.kind() != Kind::kMap) return NoSuchOverload();
    // Iterating a map binds its keys.
    auto step = [&](Value item) -> bool {
      locals_[n.slot2] = std::move(accu);
      Value cond = Eval(n.children[2]);
      if (!cond.IsBool(true)) {
        accu = std::move(locals_[n.slot2]);
        if (cond.IsError() && OverBudget()) accu = cond;
        return false;
      }
      locals_[n.slot] = std::move(item);
      accu = Eval(n.children[3]);
      return !OverBudget();
    };
    if (range.kind() == Kind::kList) {
      ListIterator it(range);
      Value e;
      while (it.Next(e))
        if (!step(std::move(e))) break;
    } else {
      MapIterator it(range);
      Value k, v;
      while (it.Next(k, v))
        if (!step(std::move(k))) break;
    }
    if (OverBudget()) return CallContext::CostExceeded();
    locals_[n.slot] = Value();
    locals_[n.slot2] = std::move(accu);
    Value result = Eval(n.children[4]);
    locals_[n.slot2] = Value();
    return result;
  }

  const CompiledProgram& program_;
  const Activation& activation_;
  const EvalOptions& options_;
  std::uint64_t cost_ = 0;
  CallContext ctx_;
  StackBudget stack_;
  std::vector<Value> locals_;
  std::vector<const Value*> globals_;
  std::vector<bool> resolved_;
};

}  // namespace

std::expected<Program, std::string> Program::Compile(std::string_view source, const CompileOptions& options) {
  auto expr = Parse(source, options.parse);
  if (!expr) return std::unexpected(expr.error());
  return Plan(**expr, options);
}

std::expected<Program, std::string> Program::Plan(const Expr& expr, const CompileOptions& options) {
  auto compiled = std::make_shared<CompiledProgram>();
  Planner planner(options, *compiled);
  auto root = planner.Run(expr);
  if (!root) return std::unexpected(root.error());
  compiled->root = std::move(*root);
  return Program(std::move(compiled));
}

Value Program::Evaluate(const Activation& activation, const EvalOptions& options, std::uint64_t* cost) const {
  Evaluator evaluator(*compiled_, activation, options);
  Value result = evaluator.Run();
  if (cost != nullptr) *cost = evaluator.cost();
  return result;
}

}  // namespace kw::cel
