// The type checker through its public interface: exact texts of reports, types of nodes,
// declarations from the registry, and the table in tests/cel/checker_*.cases:
//   decl NAME TYPE      declares a variable for the cases that follow in the file (until reset)
//   EXPR :: TYPE        EXPR checks, and its result type is TYPE (FormatType's text)
//   EXPR ?? TEXT        EXPR fails to check (or parse) with a report containing TEXT
// (checker_ext*.cases are checked with KubernetesLibraries(), the others with the standard library).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cel/checker.h"
#include "cel/libraries.h"
#include "cel/parser.h"

namespace kw::cel {
namespace {

std::expected<CheckedExpr, std::string> CheckText(std::string_view source, const Declarations& decls) {
  auto expr = Parse(source, ParseOptions{.enable_optional_syntax = true});
  if (!expr) return std::unexpected(expr.error());
  return Check(**expr, source, decls);
}

Declarations KubernetesLike() {
  Declarations decls;
  decls.AddVariable("object", Type::Dyn());
  decls.AddVariable("variables", Type::Map(Type::String(), Type::Dyn()));
  return decls;
}

TEST(CheckerTest, ReportsAsCelGoPrintsThem) {
  Declarations decls;
  auto r = CheckText("'a' + 1", decls);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(),
            "ERROR: <input>:1:5: found no matching overload for '_+_' applied to '(string, int)'\n"
            " | 'a' + 1\n"
            " | ....^");
  r = CheckText("x", decls);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "ERROR: <input>:1:1: undeclared reference to 'x' (in container '')\n | x\n | ^");
}

TEST(CheckerTest, ReportsEveryErrorInSourceOrder) {
  Declarations decls;
  auto r = CheckText("y + 1 == 2 && size(1) > 0 &&\n  'a'.startsWith(2)", decls);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(),
            "ERROR: <input>:1:1: undeclared reference to 'y' (in container '')\n"
            " | y + 1 == 2 && size(1) > 0 &&\n"
            " | ^\n"
            "ERROR: <input>:1:19: found no matching overload for 'size' applied to '(int)'\n"
            " | y + 1 == 2 && size(1) > 0 &&\n"
            " | ..................^\n"
            "ERROR: <input>:2:17: found no matching overload for 'startsWith' applied to 'string.(int)'\n"
            " |   'a'.startsWith(2)\n"
            " | ................^");
}

TEST(CheckerTest, TypesEveryNodeAndReferencesNamesAndOverloads) {
  Declarations decls = KubernetesLike();
  auto expr = Parse("[1, 2].map(x, x * 2)[0] + size(object.items)");
  ASSERT_TRUE(expr.has_value());
  auto r = Check(**expr, "[1, 2].map(x, x * 2)[0] + size(object.items)", decls);
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(FormatType(r->result), "int");
  std::size_t nodes = 0;
  std::vector<const Expr*> todo{expr->get()};
  while (!todo.empty()) {
    const Expr* e = todo.back();
    todo.pop_back();
    ++nodes;
    EXPECT_TRUE(r->types.contains(e->id)) << e->id;
    for (const Expr* child : {e->operand.get(), e->iter_range.get(), e->accu_init.get(), e->loop_condition.get(),
                              e->loop_step.get(), e->result.get()})
      if (child) todo.push_back(child);
    for (const auto& a : e->args) todo.push_back(a.get());
    for (const auto& m : e->entries) {
      if (m.key) todo.push_back(m.key.get());
      todo.push_back(m.value.get());
    }
  }
  EXPECT_EQ(r->types.size(), nodes);
  const Reference& top = r->references.at((*expr)->id);
  EXPECT_EQ(top.name, "_+_");
  ASSERT_EQ(top.overloads.size(), 1u);
  EXPECT_EQ(top.overloads[0], "_+_(int, int) -> int");
  bool object_referenced = false;
  for (const auto& [id, ref] : r->references) object_referenced |= ref.name == "object";
  EXPECT_TRUE(object_referenced);
}

TEST(CheckerTest, LibrarySignaturesComeFromTheRegistry) {
  FunctionRegistry registry = FunctionRegistry::Standard();
  registry.Add("lowerAscii", {.receiver = true, .params = {Kind::kString}, .impl = {}, .signature = "(string) -> string"});
  registry.Add("isSorted", {.receiver = true, .params = {Kind::kList}, .impl = {}, .signature = "(list(A)) -> bool"});
  registry.Add("untyped", {.receiver = false, .params = {Kind::kInt, std::nullopt}, .impl = {}});
  // A library's overload of a standard name, without a signature: derived, next to the standard ones.
  registry.Add("contains", {.receiver = true, .params = {Kind::kList, std::nullopt}, .impl = {}});
  registry.Add("quantity", {.receiver = false, .params = {Kind::kString}, .impl = {},
                            .signature = "(string) -> kubernetes.Quantity"});
  registry.Add("isGreaterThan", {.receiver = true, .params = {Kind::kOpaque, Kind::kOpaque}, .impl = {},
                                 .signature = "(kubernetes.Quantity, kubernetes.Quantity) -> bool"});
  Declarations decls(&registry);
  auto type_of = [&](std::string_view source) {
    auto r = CheckText(source, decls);
    return r ? FormatType(r->result) : r.error();
  };
  EXPECT_EQ(type_of("'A'.lowerAscii()"), "string");
  EXPECT_EQ(type_of("[1, 2].isSorted()"), "bool");
  EXPECT_EQ(type_of("untyped(1, 'x')"), "dyn");
  EXPECT_EQ(type_of("quantity('1Gi')"), "kubernetes.Quantity");
  EXPECT_EQ(type_of("[1].contains(1)"), "dyn");
  EXPECT_EQ(type_of("'abc'.contains('b')"), "bool");
  EXPECT_EQ(type_of("quantity('1Gi').isGreaterThan(quantity('1Mi'))"), "bool");
  EXPECT_EQ(type_of("quantity('1Gi') + 1"),
            "ERROR: <input>:1:17: found no matching overload for '_+_' applied to '(kubernetes.Quantity, int)'\n"
            " | quantity('1Gi') + 1\n"
            " | ................^");
  EXPECT_EQ(type_of("1.lowerAscii()"),
            "ERROR: <input>:1:13: found no matching overload for 'lowerAscii' applied to 'int.()'\n"
            " | 1.lowerAscii()\n"
            " | ............^");
  // Without a registry only the operators the evaluator implements itself are declared.
  Declarations bare(nullptr);
  auto r = CheckText("true && 1 + 1 == 2", bare);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("undeclared reference to '_+_'"), std::string::npos) << r.error();
}

TEST(CheckerTest, TypesParseAndFormat) {
  for (std::string_view text : {"int", "list(map(string, dyn))", "type(list(A))", "optional_type(int)",
                                "google.protobuf.Timestamp", "kubernetes.Quantity", "net.IP", "null_type"}) {
    auto t = ParseType(text);
    ASSERT_TRUE(t.has_value()) << t.error();
    EXPECT_EQ(FormatType(*t), text);
  }
  EXPECT_EQ(FormatType(*ParseType("timestamp")), "google.protobuf.Timestamp");
  EXPECT_EQ(ParseType("T1")->kind, Type::Kind::kParam);
  EXPECT_FALSE(ParseType("list(int").has_value());
  EXPECT_FALSE(ParseType("list(int, int)").has_value());
  EXPECT_FALSE(ParseType("int)").has_value());
  EXPECT_FALSE(ParseSignature("(int) int").has_value());
  auto sig = ParseSignature("(list(A), A) -> bool");
  ASSERT_TRUE(sig.has_value()) << sig.error();
  EXPECT_EQ(sig->params.size(), 2u);
  EXPECT_EQ(ParseSignature("() -> int")->params.size(), 0u);
}

TEST(CheckerTest, CompileCheckedRequiresTheResultType) {
  Declarations decls = KubernetesLike();
  Type boolean = Type::Bool();
  Type string = Type::String();
  EXPECT_TRUE(CompileChecked("object.spec.replicas > 1", decls, {}, &boolean).has_value());
  EXPECT_TRUE(CompileChecked("object.metadata.name", decls, {}, &boolean).has_value());  // dyn
  auto r = CompileChecked("'replicas: ' + string(object.spec.replicas)", decls, {}, &boolean);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "must evaluate to bool");
  EXPECT_TRUE(CompileChecked("'replicas: ' + string(object.spec.replicas)", decls, {}, &string).has_value());
  r = CompileChecked("object.spec.name + 'x' == 'ax'", decls);
  EXPECT_TRUE(r.has_value());  // dyn + string checks (as string)
  r = CompileChecked("size(object) + 'x'", decls);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("found no matching overload for '_+_' applied to '(int, string)'"), std::string::npos);
  auto program = CompileChecked("variables.limit * 2", decls);
  ASSERT_TRUE(program.has_value()) << program.error();
  MapActivation vars;
  vars.Bind("variables", *ParseJson(R"({"limit": 21})"));
  EXPECT_EQ(program->Evaluate(vars).int_value(), 42);
}

TEST(CheckerTest, DeepExpressionsStayWithinTheStackBudget) {
  std::string source(200, '[');
  source += "1";
  source += std::string(200, ']');
  auto expr = Parse(source);
  ASSERT_TRUE(expr.has_value()) << expr.error();
  auto r = Check(**expr, source, Declarations(), 2048);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("expression recursion limit exceeded"), std::string::npos);
  EXPECT_TRUE(Check(**expr, source, Declarations()).has_value());
}

TEST(CheckerTest, ComprehensionConditionsMustBeBool) {
  // Macros always build bool conditions; a hand-built comprehension shows the check.
  std::string source = "[1].all(x, x > 0)";
  auto expr = Parse(source);
  ASSERT_TRUE(expr.has_value()) << expr.error();
  ASSERT_EQ((*expr)->kind, ExprKind::kComprehension);
  (*expr)->loop_condition->kind = ExprKind::kConstant;
  (*expr)->loop_condition->constant = Value::Int(1);
  (*expr)->loop_condition->args.clear();
  auto r = Check(**expr, source, Declarations());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().substr(0, r.error().find('\n')),
            "ERROR: <input>:1:8: expected type 'bool' but found 'int'");
}

TEST(CheckerTest, LongConjunctionsCheck) {
  // Every `==` binds a fresh type variable (the checker undoes failed attempts rather than
  // copying its bindings per overload tried).
  std::string source = "x == 0";
  for (int i = 1; i < 5000; ++i) source += " && x == " + std::to_string(i);
  Declarations decls;
  decls.AddVariable("x", Type::Int());
  auto r = CheckText(source, decls);
  ASSERT_TRUE(r.has_value()) << r.error().substr(0, 200);
  EXPECT_EQ(FormatType(r->result), "bool");
}

// --- The table ---

struct TableCase {
  std::string where;
  std::string expr;
  bool well_typed = true;
  std::string expected;
  std::vector<std::pair<std::string, std::string>> decls;
  bool libraries = false;
};

std::vector<TableCase> LoadTable() {
  std::vector<TableCase> cases;
  for (const auto& entry : std::filesystem::directory_iterator(KW_CEL_CASES_DIR)) {
    std::string file = entry.path().filename().string();
    if (!file.starts_with("checker_") || entry.path().extension() != ".cases") continue;
    std::ifstream in(entry.path());
    std::string line;
    int number = 0;
    std::vector<std::pair<std::string, std::string>> decls;
    while (std::getline(in, line)) {
      ++number;
      std::string_view l = line;
      if (l.empty() || l.front() == '#') continue;
      if (l == "reset") {
        decls.clear();
        continue;
      }
      if (l.starts_with("decl ")) {
        l.remove_prefix(5);
        auto space = l.find(' ');
        decls.emplace_back(std::string(l.substr(0, space)),
                           space == std::string_view::npos ? "" : std::string(l.substr(space + 1)));
        continue;
      }
      TableCase c;
      c.where = file + ":" + std::to_string(number);
      c.decls = decls;
      c.libraries = file.starts_with("checker_ext");
      auto typed = l.rfind(" :: ");
      auto failed = l.rfind(" ?? ");
      if (typed == std::string_view::npos && failed == std::string_view::npos) {
        c.expr = std::string(l);
        c.expected = "<malformed line>";
      } else if (failed == std::string_view::npos || (typed != std::string_view::npos && typed > failed)) {
        c.expr = std::string(l.substr(0, typed));
        c.expected = std::string(l.substr(typed + 4));
      } else {
        c.expr = std::string(l.substr(0, failed));
        c.expected = std::string(l.substr(failed + 4));
        c.well_typed = false;
      }
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

// Every overload of the extension libraries carries its declared signature (only the standard
// library's own overloads, typed by the checker's table, have none).
TEST(CheckerTest, EveryLibraryOverloadIsTyped) {
  for (const auto& [name, overloads] : KubernetesLibraries().all()) {
    const auto* standard = FunctionRegistry::Standard().Find(name);
    std::size_t unsigned_count = 0;
    for (const Overload& o : overloads) {
      if (o.signature.empty()) {
        ++unsigned_count;
        continue;
      }
      auto sig = ParseSignature(o.signature);
      ASSERT_TRUE(sig.has_value()) << name << " " << o.signature << ": " << sig.error();
      EXPECT_EQ(sig->params.size(), o.params.size()) << name << " " << o.signature;
    }
    EXPECT_LE(unsigned_count, standard ? standard->size() : 0u) << name << " has overloads without a signature";
  }
}

TEST(CheckerTest, Table) {
  auto cases = LoadTable();
  EXPECT_GT(cases.size(), 300u);
  for (const TableCase& c : cases) {
    SCOPED_TRACE(c.where + ": " + c.expr);
    if (c.expected == "<malformed line>") {
      ADD_FAILURE() << "malformed line";
      continue;
    }
    Declarations decls(c.libraries ? &KubernetesLibraries() : &FunctionRegistry::Standard());
    for (const auto& [name, type] : c.decls) {
      auto t = ParseType(type);
      EXPECT_TRUE(t.has_value()) << t.error();
      if (t) decls.AddVariable(name, *t);
    }
    auto r = CheckText(c.expr, decls);
    if (c.well_typed) {
      EXPECT_TRUE(r.has_value()) << r.error();
      if (r) {
        EXPECT_EQ(FormatType(r->result), c.expected);
      }
    } else {
      EXPECT_FALSE(r.has_value()) << "checked as " << FormatType(r->result);
      if (!r) {
        EXPECT_NE(r.error().find(c.expected), std::string::npos) << r.error();
      }
    }
  }
}

}  // namespace
}  // namespace kw::cel
