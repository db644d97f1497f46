#include "policy/group_expression.h"

#include <gtest/gtest.h>

namespace kw::policy {
namespace {

const std::set<std::string> kMembers = {"signed", "trusted_repo", "is-dev", "a"};

// Evaluates `text` with the given member verdicts; records the order of member calls.
struct Run {
  Result<bool> value;
  std::vector<std::string> calls;
};

Run Eval(std::string_view text, std::map<std::string, bool> verdicts) {
  auto e = GroupExpression::Parse(text, kMembers);
  EXPECT_TRUE(e) << (e ? "" : e.error().message);
  Run run{false, {}};
  if (!e) return run;
  run.value = e->Evaluate([&](const std::string& m) -> Result<bool> {
    run.calls.push_back(m);
    return verdicts.at(m);
  });
  return run;
}

TEST(GroupExpression, EvaluatesOperatorsWithPrecedence) {
  EXPECT_TRUE(*Eval("signed() && trusted_repo()", {{"signed", true}, {"trusted_repo", true}}).value);
  EXPECT_FALSE(*Eval("signed() && trusted_repo()", {{"signed", true}, {"trusted_repo", false}}).value);
  EXPECT_TRUE(*Eval("a() || signed() && trusted_repo()",
                    {{"a", false}, {"signed", true}, {"trusted_repo", true}}).value);
  EXPECT_FALSE(*Eval("(a() || signed()) && trusted_repo()",
                     {{"a", true}, {"signed", true}, {"trusted_repo", false}}).value);
  EXPECT_TRUE(*Eval("!is-dev()", {{"is-dev", false}}).value);
  EXPECT_TRUE(*Eval("!!true", {}).value);
  EXPECT_FALSE(*Eval(" false || ( false ) ", {}).value);
  EXPECT_TRUE(*Eval("is-dev() == false && signed() != false", {{"is-dev", false}, {"signed", true}}).value);
  EXPECT_FALSE(*Eval("a() == !a()", {{"a", true}}).value);
}

TEST(GroupExpression, ShortCircuitsLeftToRightWithoutMemoizing) {
  auto r = Eval("a() || signed()", {{"a", true}, {"signed", false}});
  EXPECT_EQ(r.calls, std::vector<std::string>{"a"});
  r = Eval("a() && signed()", {{"a", false}, {"signed", true}});
  EXPECT_EQ(r.calls, std::vector<std::string>{"a"});
  r = Eval("a() || a()", {{"a", false}});
  EXPECT_EQ(r.calls, (std::vector<std::string>{"a", "a"}));
}

TEST(GroupExpression, ReportsEachShortCircuitWithWhatItSkipped) {
  auto e = GroupExpression::Parse("(a() || !is-dev()) && (signed() || trusted_repo())", kMembers);
  ASSERT_TRUE(e) << e.error().message;
  std::map<std::string, bool> verdicts = {{"a", true}, {"signed", true}};
  std::vector<GroupExpression::ShortCircuit> seen;
  GroupExpression::ShortCircuitObserver observe = [&](GroupExpression::ShortCircuit sc) {
    seen.push_back(std::move(sc));
  };
  auto value = e->Evaluate([&](const std::string& m) -> Result<bool> { return verdicts.at(m); },
                           &observe);
  ASSERT_TRUE(value);
  EXPECT_TRUE(*value);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].op, "||");
  EXPECT_EQ(seen[0].left, "a()");
  EXPECT_TRUE(seen[0].left_value);
  EXPECT_EQ(seen[0].skipped, (std::vector<std::string>{"is-dev"}));
  EXPECT_EQ(seen[1].op, "||");
  EXPECT_EQ(seen[1].left, "signed()");
  EXPECT_EQ(seen[1].skipped, (std::vector<std::string>{"trusted_repo"}));

  seen.clear();
  verdicts = {{"a", false}, {"is-dev", true}};
  value = e->Evaluate([&](const std::string& m) -> Result<bool> { return verdicts.at(m); },
                      &observe);
  ASSERT_TRUE(value);
  EXPECT_FALSE(*value);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].op, "&&");
  EXPECT_EQ(seen[0].left, "a() || !is-dev()");
  EXPECT_FALSE(seen[0].left_value);
  EXPECT_EQ(seen[0].skipped, (std::vector<std::string>{"signed", "trusted_repo"}));
}

TEST(GroupExpression, MemberErrorsStopEvaluation) {
  auto e = GroupExpression::Parse("a() && signed()", kMembers);
  ASSERT_TRUE(e);
  int calls = 0;
  auto r = e->Evaluate([&](const std::string&) -> Result<bool> {
    ++calls;
    return Fail(ErrorKind::kTimeout, "too slow");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "too slow");
  EXPECT_EQ(calls, 1);
}

TEST(GroupExpression, RefusesInvalidExpressionsClearly) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {"", "unexpected end of expression at column 1"},
           {"signed() &&", "unexpected end of expression at column 12"},
           {"unknown()", "unknown policy `unknown`: the group has no member of that name at column 1"},
           {"signed", "`signed` must be called as `signed()` at column 1"},
           {"(signed()", "missing `)` at column 10"},
           {"signed() trusted_repo()", "unexpected `t` (the operators are ==, !=, &&, || and !) at column 10"},
           {"signed() & a()", "unexpected `&` (the operators are ==, !=, &&, || and !) at column 10"},
           {"1 == 1", "`1` is not allowed: the only literals are `true` and `false` at column 1"},
           {"null", "`null` is not allowed: the only literals are `true` and `false` at column 1"},
           {"a() == \"x\"", "a string literal is not allowed: the only literals are `true` and `false` at column 8"},
           {"a() + a()", "unexpected `+` (the operators are ==, !=, &&, || and !) at column 5"},
           {"a() \u00e9", "unexpected `\u00e9` (the operators are ==, !=, &&, || and !) at column 5"},
           {"\u00e9", "unexpected `\u00e9` at column 1"},
           {"a() = true", "unexpected `=` (the operators are ==, !=, &&, || and !) at column 5"},
       }) {
    auto e = GroupExpression::Parse(c.text, kMembers);
    ASSERT_FALSE(e) << c.text;
    EXPECT_EQ(e.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(e.error().message.find(c.message), std::string::npos) << e.error().message;
    EXPECT_TRUE(e.error().message.starts_with("invalid policy group expression '" + c.text + "'"));
  }
  std::string deep(200, '(');
  deep += "true" + std::string(200, ')');
  auto e = GroupExpression::Parse(deep, kMembers);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("nests too deeply"), std::string::npos);
}

}  // namespace
}  // namespace kw::policy
