#include "controller/match_conditions.h"

#include <gtest/gtest.h>

namespace kw::controller {
namespace {

TEST(CheckMatchCondition, AcceptsWhatCompilesAndExplainsTheRest) {
  EXPECT_EQ(CheckMatchCondition("request.resource.group != 'rbac.authorization.k8s.io'"),
            std::nullopt);
  EXPECT_EQ(CheckMatchCondition("!(has(object.metadata.labels) && "
                                "'skip' in object.metadata.labels)"),
            std::nullopt);
  std::optional<std::string> syntax = CheckMatchCondition("object.metadata.name ==");
  ASSERT_TRUE(syntax);
  EXPECT_TRUE(syntax->starts_with("compilation failed: ERROR: <input>:1:24: Syntax error:"))
      << *syntax;
  std::optional<std::string> unknown = CheckMatchCondition("nosuchfunction(object)");
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->find("undeclared reference to 'nosuchfunction'"), std::string::npos)
      << *unknown;
}

}  // namespace
}  // namespace kw::controller
