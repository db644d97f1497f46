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
  // Kubernetes enables the optional syntax.
  EXPECT_EQ(CheckMatchCondition("object.?metadata.?labels.?app.orValue('') == 'web'"), std::nullopt);
}

TEST(CheckMatchCondition, TypeChecksTheAuthorizer) {
  for (const char* valid : {
           "authorizer.group('').resource('pods').check('get').allowed()",
           "authorizer.group('apps').resource('deployments').subresource('scale').namespace('default')"
           ".name('web').check('update').allowed()",
           "!authorizer.path('/healthz').check('get').allowed()",
           "authorizer.serviceAccount('kube-system', 'ci').group('').resource('secrets').check('list')"
           ".reason() == ''",
           "authorizer.requestResource.check('delete').allowed()",
           "authorizer.requestResource.namespace(object.metadata.namespace).check('get').errored()",
           "authorizer.requestResource.check('get').error().startsWith('x')",
           "authorizer.group('').resource('pods').fieldSelector('spec.nodeName=n1')"
           ".labelSelector('app=web').check('list').allowed()",
           "request.userInfo.username == 'admin' || authorizer.group('').resource('nodes')"
           ".check('get').allowed()",
       }) {
    EXPECT_EQ(CheckMatchCondition(valid), std::nullopt) << valid;
  }
  struct Misuse {
    const char* expression;
    const char* text;
  };
  for (const Misuse& misuse : {
           Misuse{"authorizer.resource('pods').check('get').allowed()",
                  "ERROR: <input>:1:20: found no matching overload for 'resource' applied to "
                  "'kubernetes.authorization.Authorizer.(string)'"},
           Misuse{"authorizer.group('').check('get').allowed()",
                  "found no matching overload for 'check' applied to "
                  "'kubernetes.authorization.GroupCheck.(string)'"},
           Misuse{"authorizer.group(1).resource('pods').check('get').allowed()",
                  "found no matching overload for 'group' applied to "
                  "'kubernetes.authorization.Authorizer.(int)'"},
           Misuse{"authorizer.path('/').namespace('x').check('get').allowed()",
                  "found no matching overload for 'namespace' applied to "
                  "'kubernetes.authorization.PathCheck.(string)'"},
           Misuse{"authorizer.serviceAccount('ns').group('').resource('pods').check('get').allowed()",
                  "found no matching overload for 'serviceAccount' applied to "
                  "'kubernetes.authorization.Authorizer.(string)'"},
           Misuse{"authorizer.requestResource.check('get').reason() == true",
                  "found no matching overload for '_==_' applied to '(string, bool)'"},
           Misuse{"authorizer.requestResource.check('get').allowed() && authorizer.bogus('x')",
                  "undeclared reference to 'bogus' (in container '')"},
           Misuse{"authorizer.group('').resource('pods').check('get')",
                  "must evaluate to bool"},
           Misuse{"authorizer.requestResource.name", "does not support field selection"},
       }) {
    std::optional<std::string> error = CheckMatchCondition(misuse.expression);
    ASSERT_TRUE(error) << misuse.expression;
    EXPECT_TRUE(error->starts_with("compilation failed: ")) << *error;
    EXPECT_NE(error->find(misuse.text), std::string::npos) << *error;
  }
}

}  // namespace
}  // namespace kw::controller
