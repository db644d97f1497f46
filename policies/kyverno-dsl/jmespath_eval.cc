// JMESPath evaluation over kyverno::Value, following the specification's semantics: fields of
// non-objects and indexes of non-arrays are null, projections drop null results, comparisons
// order numbers only.
#include <algorithm>

#include "jmespath.h"
#include "jmespath_ast.h"
#include "jmespath_functions.h"

namespace kyverno::jmespath {

class Evaluator {
 public:
  bool Eval(const Node& n, const Value& cur, Value* out) {
    if (!error_.empty()) return false;
    switch (n.kind) {
      case NodeKind::kIdentity: *out = cur; return true;
      case NodeKind::kLiteral: *out = n.literal; return true;
      case NodeKind::kField: {
        const Value* v = cur.Find(n.name);
        *out = v != nullptr ? *v : Value();
        return true;
      }
      case NodeKind::kIndex: {
        *out = Value();
        if (!cur.is_array()) return true;
        const Array& a = cur.as_array();
        long long i = n.index < 0 ? static_cast<long long>(a.size()) + n.index : n.index;
        if (i >= 0 && i < static_cast<long long>(a.size())) *out = a[static_cast<std::size_t>(i)];
        return true;
      }
      case NodeKind::kSlice: return Slice(n, cur, out);
      case NodeKind::kSubexpression:
      case NodeKind::kIndexExpression: {
        Value left;
        return Eval(*n.children[0], cur, &left) && Eval(*n.children[1], left, out);
      }
      case NodeKind::kProjection: {
        Value left;
        if (!Eval(*n.children[0], cur, &left)) return false;
        *out = Value();
        if (!left.is_array()) return true;
        return Project(left.as_array(), *n.children[1], out);
      }
      case NodeKind::kValueProjection: {
        Value left;
        if (!Eval(*n.children[0], cur, &left)) return false;
        *out = Value();
        if (!left.is_object()) return true;
        Array values;
        for (const auto& [k, v] : left.as_object()) values.push_back(v);
        return Project(values, *n.children[1], out);
      }
      case NodeKind::kFilterProjection: {
        Value left;
        if (!Eval(*n.children[0], cur, &left)) return false;
        *out = Value();
        if (!left.is_array()) return true;
        Array kept;
        for (const Value& e : left.as_array()) {
          Value cond;
          if (!Eval(*n.children[2], e, &cond)) return false;
          if (Truthy(cond)) kept.push_back(e);
        }
        return Project(kept, *n.children[1], out);
      }
      case NodeKind::kFlatten: {
        Value child;
        if (!Eval(*n.children[0], cur, &child)) return false;
        *out = Value();
        if (!child.is_array()) return true;
        Array flat;
        for (const Value& e : child.as_array()) {
          if (e.is_array()) {
            flat.insert(flat.end(), e.as_array().begin(), e.as_array().end());
          } else {
            flat.push_back(e);
          }
        }
        *out = Value(std::move(flat));
        return CheckWeight(*out);
      }
      case NodeKind::kMultiSelectList: {
        *out = Value();
        if (cur.is_null()) return true;
        Array list;
        for (const auto& c : n.children) {
          list.emplace_back();
          if (!Eval(*c, cur, &list.back())) return false;
        }
        *out = Value(std::move(list));
        return CheckWeight(*out);
      }
      case NodeKind::kMultiSelectHash: {
        *out = Value();
        if (cur.is_null()) return true;
        Object hash;
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          Value v;
          if (!Eval(*n.children[i], cur, &v)) return false;
          hash.insert_or_assign(n.keys[i], std::move(v));
        }
        *out = Value(std::move(hash));
        return CheckWeight(*out);
      }
      case NodeKind::kOr:
      case NodeKind::kAnd: {
        Value left;
        if (!Eval(*n.children[0], cur, &left)) return false;
        bool short_circuit = n.kind == NodeKind::kOr ? Truthy(left) : !Truthy(left);
        if (short_circuit) {
          *out = std::move(left);
          return true;
        }
        return Eval(*n.children[1], cur, out);
      }
      case NodeKind::kNot: {
        Value v;
        if (!Eval(*n.children[0], cur, &v)) return false;
        *out = Value(!Truthy(v));
        return true;
      }
      case NodeKind::kComparator: {
        Value l, r;
        if (!Eval(*n.children[0], cur, &l) || !Eval(*n.children[1], cur, &r)) return false;
        *out = Compare(n.comparator, l, r);
        return true;
      }
      case NodeKind::kPipe: {
        Value left;
        return Eval(*n.children[0], cur, &left) && Eval(*n.children[1], left, out);
      }
      case NodeKind::kFunction: return CallFunction(n, cur, out);
      case NodeKind::kExpref:
        // Only meaningful as a function argument (handled in CallFunction).
        *out = Value();
        return true;
    }
    return false;
  }

  const std::string& error() const { return error_; }
  bool CheckWeight(const Value& v) {
    if (v.weight() > kMaxValueWeight) return Fail("the result is too large");
    return true;
  }
  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

 private:
  bool Project(const Array& items, const Node& right, Value* out) {
    Array result;
    for (const Value& e : items) {
      Value v;
      if (!Eval(right, e, &v)) return false;
      if (!v.is_null()) result.push_back(std::move(v));
    }
    *out = Value(std::move(result));
    return CheckWeight(*out);
  }

  bool Slice(const Node& n, const Value& cur, Value* out) {
    *out = Value();
    if (!cur.is_array()) return true;
    const Array& a = cur.as_array();
    long long len = static_cast<long long>(a.size());
    long long step = n.slice[2].value_or(1);
    auto adjust = [&](std::optional<int> v, bool is_start) -> long long {
      if (!v) return step > 0 ? (is_start ? 0 : len) : (is_start ? len - 1 : -1);
      long long x = *v;
      if (x < 0) {
        x += len;
        if (x < 0) x = step < 0 ? -1 : 0;
      } else if (x >= len) {
        x = step < 0 ? len - 1 : len;
      }
      return x;
    };
    long long start = adjust(n.slice[0], true);
    long long stop = adjust(n.slice[1], false);
    Array result;
    if (step > 0) {
      for (long long i = start; i < stop; i += step) result.push_back(a[static_cast<std::size_t>(i)]);
    } else {
      for (long long i = start; i > stop; i += step) result.push_back(a[static_cast<std::size_t>(i)]);
    }
    *out = Value(std::move(result));
    return true;
  }

  static Value Compare(Comparator op, const Value& l, const Value& r) {
    if (op == Comparator::kEq) return Value(Equal(l, r));
    if (op == Comparator::kNe) return Value(!Equal(l, r));
    if (!l.is_number() || !r.is_number()) return Value();
    double a = l.as_number(), b = r.as_number();
    switch (op) {
      case Comparator::kLt: return Value(a < b);
      case Comparator::kLe: return Value(a <= b);
      case Comparator::kGt: return Value(a > b);
      case Comparator::kGe: return Value(a >= b);
      default: return Value();
    }
  }

  bool CallFunction(const Node& n, const Value& cur, Value* out) {
    const FunctionSpec* spec = FindKyvernoFunction(n.name);
    if (spec == nullptr) spec = FindFunction(n.name);
    if (spec == nullptr) return Fail("Unknown function: " + n.name);
    int argc = static_cast<int>(n.children.size());
    if (argc < spec->min_args || (spec->max_args >= 0 && argc > spec->max_args)) {
      return Fail("Invalid arity for function " + n.name + ": got " + std::to_string(argc) + " arguments");
    }
    Call call;
    call.name = n.name;
    call.evaluator = this;
    for (const auto& c : n.children) {
      if (c->kind == NodeKind::kExpref) {
        call.args.emplace_back();
        call.exprefs.push_back(c->children[0].get());
      } else {
        call.args.emplace_back();
        if (!Eval(*c, cur, &call.args.back())) return false;
        call.exprefs.push_back(nullptr);
      }
    }
    for (const Value& arg : call.args) {
      if (!CheckWeight(arg)) return false;
    }
    *out = spec->impl(call);
    if (!call.error.empty()) return Fail(call.error);
    if (!CheckWeight(*out)) return false;
    return error_.empty();
  }

  std::string error_;
};

bool Call::Need(std::size_t i, std::initializer_list<std::string_view> types) {
  if (i >= args.size()) {
    Fail("Invalid arity for function " + std::string(name));
    return false;
  }
  std::string_view actual = exprefs[i] != nullptr ? "expref" : TypeName(args[i]);
  for (std::string_view t : types) {
    if (t == "any" ? exprefs[i] == nullptr : t == actual) return true;
  }
  std::string expected;
  for (std::string_view t : types) {
    if (!expected.empty()) expected += " or ";
    expected += t;
  }
  Fail("Invalid type for argument " + std::to_string(i + 1) + " of " + std::string(name) + ": expected " +
       expected + ", got " + std::string(actual));
  return false;
}

bool Call::Apply(std::size_t i, const Value& v, Value* out) {
  if (!evaluator->Eval(*exprefs[i], v, out)) {
    Fail(evaluator->error());
    return false;
  }
  return true;
}

bool Expression::Evaluate(const Value& data, Value* out, std::string* error) const {
  Evaluator evaluator;
  if (!evaluator.Eval(*root_, data, out) || !evaluator.CheckWeight(*out)) {
    *error = evaluator.error();
    return false;
  }
  return true;
}

}  // namespace kyverno::jmespath
