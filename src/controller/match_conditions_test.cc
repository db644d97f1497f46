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

TEST(CheckMatchCondition, TypeChecksInTheAdmissionEnvironment) {
  std::optional<std::string> variable = CheckMatchCondition("objct.metadata.name == 'x'");
  ASSERT_TRUE(variable);
  EXPECT_NE(variable->find("undeclared reference to 'objct' (in container '')"),
            std::string::npos)
      << *variable;
  std::optional<std::string> types = CheckMatchCondition("'a' + 1 == 'a1'");
  ASSERT_TRUE(types);
  EXPECT_NE(types->find("found no matching overload for '_+_' applied to '(string, int)'"),
            std::string::npos)
      << *types;
  std::optional<std::string> not_bool = CheckMatchCondition("size(object.metadata.name)");
  ASSERT_TRUE(not_bool);
  EXPECT_EQ(*not_bool, "compilation failed: must evaluate to bool") << *not_bool;
  // Kubernetes' libraries are there.
  EXPECT_EQ(CheckMatchCondition("object.metadata.name.lowerAscii().startsWith('x') && "
                                "quantity('1Gi').isGreaterThan(quantity('1Mi'))"),
            std::nullopt);
  // The authorizer library is not ours: only parsed.
  EXPECT_EQ(CheckMatchCondition("authorizer.group('').resource('pods').check('get').allowed()"),
            std::nullopt);
}

}  // namespace
}  // namespace kw::controller
