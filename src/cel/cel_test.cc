// Unit tests of the CEL core through its public interfaces: parser errors and limits, JSON
// values, cost and size limits. The language itself is covered by the conformance table
// (conformance_test.cc, tests/cel/*.cases).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cel/parser.h"
#include "cel/program.h"
#include "cel/value.h"

namespace kw::cel {
namespace {

Value Eval(std::string_view expr, const Activation& vars = MapActivation(), const EvalOptions& options = {}) {
  auto program = Program::Compile(expr);
  if (!program) return Value::Error("compile: " + program.error());
  return program->Evaluate(vars, options);
}

TEST(Parser, ErrorsReadAsCelGo) {
  auto r = Parse("a + + ");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(),
            "ERROR: <input>:1:5: Syntax error: mismatched input '+' expecting {'[', '{', '(', '.', '-', '!', "
            "'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n"
            " | a + + \n"
            " | ....^");
  r = Parse("1 +\n  if");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "ERROR: <input>:2:3: reserved identifier: if\n |   if\n | ..^");
}

TEST(Parser, ErrorColumnsCountCodePoints) {
  auto r = Parse("'héllo' + \n  'wörld' +");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().substr(0, r.error().find('\n')),
            "ERROR: <input>:2:12: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', "
            "'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}");
  EXPECT_EQ(FormatSourceError("ab\ncdé#", 6, "boom"), "ERROR: <input>:2:4: boom\n | cdé#\n | ...^");
  r = Parse("a.b(1) # c");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("1:8: Syntax error: token recognition error at: '#'"), std::string::npos) << r.error();
  r = Parse(std::string(100001, '1'));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "expression code point size exceeds limit: size: 100001, limit 100000");
  EXPECT_FALSE(Parse("\xff").has_value());
}

TEST(Parser, DeepNestingIsAnError) {
  std::string deep(100000, '(');
  auto r = Parse(deep + "1" + std::string(100000, ')'));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("exceeds limit"), std::string::npos) << r.error();
  std::string nested(5000, '[');
  r = Parse(nested);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("recursion limit exceeded"), std::string::npos) << r.error();
  std::string chain = "a";
  for (int i = 0; i < 5000; ++i) chain += ".b";
  r = Parse(chain);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("recursion limit exceeded"), std::string::npos);
  std::string sum = "1";
  for (int i = 0; i < 5000; ++i) sum += " + 1";
  EXPECT_FALSE(Parse(sum).has_value());
  std::string unary(5000, '!');
  EXPECT_FALSE(Parse(unary + "true").has_value());
}

// The stack budget stops the recursion wherever the depth limit would not (a wasm32 policy
// has 64 KiB of stack).
TEST(Parser, StackBudget) {
  std::string nested = std::string(200, '(') + "1" + std::string(200, ')');
  EXPECT_TRUE(Parse(nested).has_value());
  ParseOptions small;
  small.max_stack_bytes = 8 * 1024;
  auto r = Parse(nested, small);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("expression recursion limit exceeded: nesting needs more than the stack budget"),
            std::string::npos) << r.error();
  std::string deep = "1";
  for (int i = 0; i < 200; ++i) deep = "-(" + deep + ")";
  auto program = Program::Compile(deep);
  ASSERT_TRUE(program.has_value());
  EvalOptions options;
  options.max_stack_bytes = 4 * 1024;
  Value v = program->Evaluate(MapActivation(), options);
  ASSERT_TRUE(v.IsError());
  EXPECT_NE(v.text().find("expression recursion limit exceeded"), std::string::npos);
  EXPECT_EQ(program->Evaluate(MapActivation()).kind(), Kind::kInt);
}

TEST(Parser, OptionalSyntaxWhenEnabled) {
  EXPECT_FALSE(Parse("a.?b").has_value());
  EXPECT_FALSE(Parse("[?a]").has_value());
  ParseOptions options;
  options.enable_optional_syntax = true;
  auto select = Parse("a.?b", options);
  ASSERT_TRUE(select.has_value()) << select.error();
  EXPECT_EQ((*select)->kind, ExprKind::kCall);
  EXPECT_EQ((*select)->name, "_?._");
  EXPECT_EQ((*select)->args[1]->constant.text(), "b");
  auto index = Parse("a[?0]", options);
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ((*index)->name, "_[?_]");
  auto list = Parse("[1, ?a, 3]", options);
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ((*list)->optional_indices, std::vector<std::int32_t>{1});
  auto map = Parse("{?'k': v, 'x': 1}", options);
  ASSERT_TRUE(map.has_value());
  EXPECT_TRUE((*map)->entries[0].optional);
  EXPECT_FALSE((*map)->entries[1].optional);
  CompileOptions compile;
  compile.parse = options;
  EXPECT_FALSE(Program::Compile("[?a]", compile).has_value());
  // Still a conditional when no member follows the dot.
  EXPECT_TRUE(Eval("true ? 1 : 2").kind() == Kind::kInt);
}

TEST(Parser, LongConjunctionsAreBalanced) {
  std::string expr = "true";
  for (int i = 0; i < 2000; ++i) expr += " && true";
  EXPECT_TRUE(Eval(expr).IsBool(true));
}

TEST(Json, FieldsAreViewsOfTheDocument) {
  auto pod = ParseJson(R"({"metadata":{"name":"web","labels":{"app":"x"}},"spec":{"containers":[{"name":"a","image":"nginx:1"},{"name":"b","image":"redis"}]},"n":1.5,"big":18446744073709551615})");
  ASSERT_TRUE(pod.has_value()) << pod.error();
  MapActivation vars;
  vars.Bind("object", *pod);
  EXPECT_TRUE(Eval("object.metadata.name == 'web'", vars).IsBool(true));
  EXPECT_TRUE(Eval("object.spec.containers.all(c, c.image.contains(':')) == false", vars).IsBool(true));
  EXPECT_TRUE(Eval("object.spec.containers.map(c, c.name) == ['a', 'b']", vars).IsBool(true));
  EXPECT_TRUE(Eval("object.n == 1.5 && type(object.big) == double", vars).IsBool(true));
  Value missing = Eval("object.metadata.namespace", vars);
  ASSERT_TRUE(missing.IsError());
  EXPECT_EQ(missing.text(), "no such key: namespace");
  auto json = ToJson(*pod);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(ParseJson(*json).value().MapSize(), 4u);
}

// JSON documents nest up to 1024 deep (the SDK parser's bound): comparing them must not
// recurse that deep (a policy's stack is 64 KiB).
TEST(Json, DeepDocumentsCompareWithoutRecursion) {
  std::string deep = std::string(1000, '[') + "1" + std::string(1000, ']');
  std::string deep_map;
  for (int i = 0; i < 1000; ++i) deep_map += "{\"a\":";
  deep_map += "1" + std::string(1000, '}');
  MapActivation vars;
  vars.Bind("a", ParseJson(deep).value());
  vars.Bind("b", ParseJson(deep).value());
  vars.Bind("m", ParseJson(deep_map).value());
  EXPECT_TRUE(Eval("a == b && m == m && a != m", vars).IsBool(true));
  EXPECT_FALSE(ToJson(vars.Find("m") ? *vars.Find("m") : Value()).has_value());
}

TEST(Json, WritesValues) {
  Value v = Eval("{'a': [1, 2u, 1.5, true, null, b'\\x00', timestamp('2020-01-01T00:00:00Z'), duration('1.5s')]}");
  auto json = ToJson(v);
  ASSERT_TRUE(json.has_value()) << json.error();
  EXPECT_EQ(*json, R"({"a":[1,2,1.5,true,null,"AA==","2020-01-01T00:00:00Z","1.5s"]})");
  EXPECT_FALSE(ToJson(Value::Double(1.0 / 0.0)).has_value());
  EXPECT_EQ(ToJson(Eval("[1000000.0, 0.5, 1e21, 1e-7, -0.000001, 123456789.125]")).value(),
            "[1000000,0.5,1e+21,1e-7,-0.000001,123456789.125]");
  EXPECT_FALSE(ParseJson("{").has_value());
}

TEST(Limits, CostBudgetStopsRunawayExpressions) {
  EvalOptions options;
  options.cost_limit = 10'000;
  Value v = Eval("[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, a + b + c + d > 0))))",
                 MapActivation(), options);
  ASSERT_TRUE(v.IsError());
  EXPECT_EQ(v.text(), "operation cancelled: actual cost limit exceeded");
  std::uint64_t cost = 0;
  auto program = Program::Compile("1 + 2 == 3");
  EXPECT_TRUE(program->Evaluate(MapActivation(), {}, &cost).IsBool(true));
  EXPECT_GT(cost, 0u);
}

TEST(Limits, GrowthIsBounded) {
  Value v = Eval("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30].map(x, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa').all(s, s + s + s + s + s + s + s + s != '')");
  EXPECT_TRUE(v.IsBool(true));
  EvalOptions small;
  small.max_string_bytes = 10;
  v = Eval("'abcdef' + 'ghijkl'", MapActivation(), small);
  ASSERT_TRUE(v.IsError());
  small.max_list_elements = 3;
  v = Eval("[1, 2].map(x, x) + [3, 4]", MapActivation(), small);
  ASSERT_TRUE(v.IsError());
  v = Eval("[1, 2, 3, 4].map(x, x)", MapActivation(), small);
  ASSERT_TRUE(v.IsError());
}

// A large JSON document: lookups scan it, so they cost in proportion to it, and so does
// comparing it; nothing quadratic runs for free.
TEST(Limits, LargeDocumentsCostWhatTheyScan) {
  std::string json = "{";
  for (int i = 0; i < 50000; ++i) json += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  json += "}";
  MapActivation vars;
  vars.Bind("object", ParseJson(json).value());
  Value v = Eval("object.map(k, object[k]).size()", vars);
  ASSERT_TRUE(v.IsError());
  EXPECT_EQ(v.text(), "operation cancelled: actual cost limit exceeded");
  v = Eval("object.all(k, object == object)", vars);
  ASSERT_TRUE(v.IsError());
  EXPECT_EQ(v.text(), "operation cancelled: actual cost limit exceeded");
  EXPECT_TRUE(Eval("object == object && object.k49999 == 49999", vars).IsBool(true));
  std::string array = "[0";
  for (int i = 1; i < 100000; ++i) array += ",0";
  vars.Bind("array", ParseJson(array + "]").value());
  v = Eval("array.map(x, array[99999]).size()", vars);
  ASSERT_TRUE(v.IsError());
  EXPECT_EQ(v.text(), "operation cancelled: actual cost limit exceeded");
  v = Eval("array.all(x, 0 in array)", vars);
  ASSERT_TRUE(v.IsError());
  EXPECT_EQ(v.text(), "operation cancelled: actual cost limit exceeded");
}

TEST(Program, UnboundVariableAndUnknownFunction) {
  Value v = Eval("x + 1");
  ASSERT_TRUE(v.IsError());
  EXPECT_EQ(v.text(), "no such attribute(s): x");
  auto p = Program::Compile("nope(1)");
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().find("undeclared reference to 'nope'"), std::string::npos);
}

TEST(Program, CustomFunctions) {
  FunctionRegistry registry = FunctionRegistry::Standard();
  Overload twice;
  twice.receiver = true;
  twice.params = {Kind::kString};
  twice.impl = [](std::span<const Value> args, CallContext&) {
    return Value::String(std::string(args[0].text()) + std::string(args[0].text()));
  };
  registry.Add("twice", std::move(twice));
  Overload greatest;
  greatest.params = {Kind::kInt, Kind::kInt};
  greatest.impl = [](std::span<const Value> args, CallContext&) {
    return Value::Int(std::max(args[0].int_value(), args[1].int_value()));
  };
  registry.Add("math.greatest", std::move(greatest));
  CompileOptions options;
  options.functions = &registry;
  auto p = Program::Compile("'ab'.twice() == 'abab' && size('x') == 1 && math.greatest(1, 7) == 7", options);
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_TRUE(p->Evaluate(MapActivation()).IsBool(true));
  // A comprehension variable named like the namespace is a receiver, not the namespace.
  EXPECT_FALSE(Program::Compile("[3].all(math, math.greatest(2, 1) == 2)", options).has_value());
}

TEST(Program, UnknownsPropagate) {
  MapActivation vars;
  vars.Bind("u", Value::Unknown("u"));
  vars.Bind("v", Value::Unknown("v"));
  EXPECT_TRUE(Eval("u && false", vars).IsBool(false));
  EXPECT_TRUE(Eval("true || u", vars).IsBool(true));
  EXPECT_TRUE(Eval("u + 1", vars).IsUnknown());
  EXPECT_TRUE(Eval("u.field", vars).IsUnknown());
  EXPECT_TRUE(Eval("(1 / 0 > 0) && u", vars).IsUnknown());
  Value both = Eval("u || v", vars);
  ASSERT_TRUE(both.IsUnknown());
  EXPECT_EQ(both.text(), "u, v");
  EXPECT_EQ(Eval("size([u, v])", vars).kind(), Kind::kUnknown);
}

TEST(Program, LazyActivation) {
  struct Counting : Activation {
    mutable int lookups = 0;
    Value x = Value::Int(2);
    const Value* Find(std::string_view name) const override {
      ++lookups;
      return name == "x" ? &x : nullptr;
    }
  } vars;
  EXPECT_TRUE(Eval("x * x + x == 6", vars).IsBool(true));
  EXPECT_EQ(vars.lookups, 1);
}

// A variable bound under a qualified name ("variables.a") is what `variables.a` reads, resolved
// only when evaluation reaches it and once per evaluation: an activation can compute each one
// lazily, and one that fails matters only to the expressions that read it.
TEST(Program, QualifiedNamesResolveLazily) {
  struct Lazy : Activation {
    mutable std::vector<std::string> asked;
    Value a = Value::Int(3);
    Value bad = Value::Error("variable failed");
    const Value* Find(std::string_view name) const override {
      asked.emplace_back(name);
      if (name == "variables.a") return &a;
      if (name == "variables.bad") return &bad;
      return nullptr;
    }
  } vars;
  EXPECT_TRUE(Eval("variables.a * variables.a == 9", vars).IsBool(true));
  EXPECT_EQ(vars.asked, (std::vector<std::string>{"variables.a"}));

  vars.asked.clear();
  EXPECT_TRUE(Eval("false && variables.bad", vars).IsBool(false));
  EXPECT_TRUE(vars.asked.empty());
  Value failed = Eval("variables.a == 3 && variables.bad", vars);
  ASSERT_TRUE(failed.IsError());
  EXPECT_EQ(failed.text(), "variable failed");

  // Longest name first, then the shorter ones, down to the plain variable and its fields.
  vars.asked.clear();
  EXPECT_EQ(Eval("variables.missing.x", vars).text(), "no such attribute(s): variables");
  EXPECT_EQ(vars.asked, (std::vector<std::string>{"variables.missing.x", "variables.missing", "variables"}));
  MapActivation plain;
  plain.Bind("o", ParseJson(R"({"a": {"b": 1}})").value());
  plain.Bind("o.a", Value::Int(7));
  EXPECT_TRUE(Eval("o.a == 7 && o['a'].b == 1", plain).IsBool(true));
  // Comprehension variables are never qualified names.
  EXPECT_TRUE(Eval("[{'a': 1}].all(o, o.a == 1)", plain).IsBool(true));
}

}  // namespace
}  // namespace kw::cel
