#include "crd/group_expression.h"

#include <gtest/gtest.h>

namespace kw::crd {
namespace {

const std::set<std::string> kMembers = {"signed", "no_latest", "trusted"};

std::string Problem(std::string_view expression) {
  return CheckGroupExpression(expression, kMembers).value_or("");
}

TEST(GroupExpressionTest, AcceptsThePolicyServersSubset) {
  for (const char* ok : {"signed()", "signed() && no_latest()", "signed() || !(no_latest() && trusted())",
                         "!(signed() != false) == true", "true", "(((trusted())))", "signed() == no_latest()"}) {
    EXPECT_EQ(CheckGroupExpression(ok, kMembers), std::nullopt) << ok;
  }
}

TEST(GroupExpressionTest, SyntaxErrorsAreCelGos) {
  EXPECT_EQ(Problem("signed() &&"),
            "ERROR: <input>:1:12: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', "
            "'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n"
            " | signed() &&\n"
            " | ...........^");
}

TEST(GroupExpressionTest, TypeErrorsAreTheCheckersTexts) {
  EXPECT_EQ(Problem("unknown() || signed()"),
            "ERROR: <input>:1:8: undeclared reference to 'unknown' (in container '')\n"
            " | unknown() || signed()\n"
            " | .......^");
  EXPECT_EQ(Problem("signed() + 1"),
            "ERROR: <input>:1:10: found no matching overload for '_+_' applied to '(bool, int)'\n"
            " | signed() + 1\n"
            " | .........^");
  // A member is a function: its bare name is no variable.
  EXPECT_NE(Problem("signed"), "");
  // Members take no argument.
  EXPECT_NE(Problem("signed(1)"), "");
}

TEST(GroupExpressionTest, TheResultIsABool) {
  EXPECT_EQ(Problem("signed() ? 1 : 2"), "must evaluate to bool");
}

TEST(GroupExpressionTest, RefusesWhatThePolicyServerCannotEvaluate) {
  EXPECT_EQ(Problem("signed() ? true : no_latest()"),
            "ERROR: <input>:1:10: the operator `?_:` is not allowed: a group expression has only member calls, "
            "true, false, ==, !=, &&, || and !\n"
            " | signed() ? true : no_latest()\n"
            " | .........^");
  EXPECT_EQ(Problem("size('ab') == 2 || signed()"),
            "ERROR: <input>:1:5: the function `size` is not allowed: a group expression has only member calls, "
            "true, false, ==, !=, &&, || and !\n"
            " | size('ab') == 2 || signed()\n"
            " | ....^");
  EXPECT_NE(Problem("[true].all(x, x) && signed()"), "");
}

}  // namespace
}  // namespace kw::crd
