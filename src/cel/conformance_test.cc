// The conformance table: tests/cel/*.cases, written from the CEL language definition.
//
// Each non-blank line that is not a comment (#) is a case or a directive:
//   EXPR ==> EXPECTED   EXPR evaluates to the value of the CEL expression EXPECTED (evaluated
//                       without bindings), equal under CEL equality and of the same kinds
//                       throughout (1 is not 1u); NaN matches NaN.
//   EXPR !! TEXT        EXPR evaluates to an error whose message contains TEXT.
//   EXPR ?? TEXT        EXPR fails to compile with a message containing TEXT.
//   let NAME = JSON     binds NAME (as the JSON value) for the cases that follow in the file,
//   reset               until this.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cel/libraries.h"
#include "cel/program.h"

namespace kw::cel {
namespace {

struct Case {
  std::string file;
  int line = 0;
  std::string expr;
  char mode = '=';  // '=' value, '!' eval error, '?' compile error
  std::string expected;
  std::vector<std::pair<std::string, std::string>> bindings;
};

bool SameShape(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.kind() == Kind::kDouble && std::isnan(a.double_value())) return std::isnan(b.double_value());
  if (a.kind() == Kind::kList) {
    if (a.ListSize() != b.ListSize()) return false;
    for (std::size_t i = 0; i < a.ListSize(); ++i)
      if (!SameShape(a.ListAt(i), b.ListAt(i))) return false;
    return true;
  }
  if (a.kind() == Kind::kMap) {
    if (a.MapSize() != b.MapSize()) return false;
    MapIterator it(a);
    Value k, v;
    while (it.Next(k, v)) {
      auto other = b.MapFind(k);
      if (!other || !SameShape(v, *other)) return false;
    }
    return true;
  }
  return Equal(a, b);
}

std::vector<std::filesystem::path> CaseFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(KW_CEL_CASES_DIR))
    if (entry.path().extension() == ".cases" && !entry.path().filename().string().starts_with("checker_")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Case> LoadCases(const std::filesystem::path& path) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::string line;
  int number = 0;
  std::vector<std::pair<std::string, std::string>> bindings;
  while (std::getline(in, line)) {
    ++number;
    std::string_view l = line;
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    if (l.empty() || l.front() == '#') continue;
    bool is_case = l.find(" ==> ") != std::string_view::npos || l.find(" !! ") != std::string_view::npos ||
                   l.find(" ?? ") != std::string_view::npos;
    if (!is_case && l.starts_with("let ") && l.find(" = ") != std::string_view::npos) {
      auto eq = l.find(" = ");
      bindings.emplace_back(std::string(l.substr(4, eq - 4)), std::string(l.substr(eq + 3)));
      continue;
    }
    if (l == "reset") {
      bindings.clear();
      continue;
    }
    Case c;
    c.file = path.filename().string();
    c.line = number;
    c.bindings = bindings;
    std::size_t at = std::string_view::npos;
    for (auto [sep, mode] : {std::pair{" ==> ", '='}, {" !! ", '!'}, {" ?? ", '?'}}) {
      std::size_t p = l.rfind(sep);
      if (p != std::string_view::npos && (at == std::string_view::npos || p > at)) {
        at = p;
        c.mode = mode;
      }
    }
    if (at == std::string_view::npos) {
      c.mode = 'x';  // malformed line: reported as a failure
      c.expr = std::string(l);
    } else {
      c.expr = std::string(l.substr(0, at));
      c.expected = std::string(l.substr(at + (c.mode == '=' ? 5 : 4)));
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// Checks one case; the failures carry the case's file and line.
void Check(const Case& c) {
  SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + ": " + c.expr);
  ASSERT_NE(c.mode, 'x') << "malformed case line";
  // The ext_*.cases run with Kubernetes' libraries and the optional syntax (cel/libraries.h);
  // the others with the standard library alone.
  CompileOptions options;
  if (c.file.starts_with("ext_")) {
    options.functions = &KubernetesLibraries();
    options.parse.enable_optional_syntax = true;
  }
  auto program = Program::Compile(c.expr, options);
  if (c.mode == '?') {
    ASSERT_FALSE(program.has_value()) << "compiled";
    EXPECT_NE(program.error().find(c.expected), std::string::npos) << program.error();
    return;
  }
  ASSERT_TRUE(program.has_value()) << program.error();
  MapActivation vars;
  for (const auto& [name, json] : c.bindings) {
    auto v = ParseJson(json);
    ASSERT_TRUE(v.has_value()) << name << ": " << v.error();
    vars.Bind(name, *v);
  }
  Value result = program->Evaluate(vars);
  if (c.mode == '!') {
    ASSERT_TRUE(result.IsError()) << DebugString(result);
    EXPECT_NE(result.text().find(c.expected), std::string::npos) << result.text();
    return;
  }
  auto expected_program = Program::Compile(c.expected, options);
  ASSERT_TRUE(expected_program.has_value()) << "expected: " << expected_program.error();
  Value expected = expected_program->Evaluate(MapActivation());
  ASSERT_FALSE(expected.IsError()) << "expected: " << expected.text();
  EXPECT_TRUE(SameShape(result, expected)) << DebugString(result) << " != " << DebugString(expected);
}

// One test per file (thousands of cases as separate tests would cost a process each in ctest).
class Conformance : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(Conformance, File) {
  for (const Case& c : LoadCases(GetParam())) Check(c);
}

INSTANTIATE_TEST_SUITE_P(Cases, Conformance, testing::ValuesIn(CaseFiles()),
                         [](const testing::TestParamInfo<std::filesystem::path>& info) {
                           return info.param.stem().string();
                         });

TEST(ConformanceTable, HasManyCases) {
  std::size_t total = 0;
  for (const auto& file : CaseFiles()) total += LoadCases(file).size();
  EXPECT_GT(total, 1000u);
}

}  // namespace
}  // namespace kw::cel
