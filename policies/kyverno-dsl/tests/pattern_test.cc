// Kyverno's overlay pattern matcher: scalars, operators, anchors, lists and paths.
#include <gtest/gtest.h>

#include <string>

#include "pattern.h"
#include "value.h"
#include "yaml.h"
#include "yaml_value.h"

namespace kyverno {
namespace {

struct ScalarCase {
  const char* value;    // YAML scalar
  const char* pattern;  // YAML scalar
  bool matches;
};

const ScalarCase kScalars[] = {
    {"true", "true", true},
    {"false", "true", false},
    {"'true'", "true", false},
    {"false", "'false'", true},
    {"1", "'1'", true},
    {"1", "1", true},
    {"'1'", "1", true},
    {"1.5", "1.5", true},
    {"2", "1", false},
    {"null", "null", true},
    {"0", "null", true},
    {"''", "null", true},
    {"false", "null", true},
    {"x", "null", false},
    {"nginx", "nginx", true},
    {"nginx", "ngin*", true},
    {"nginx", "?ginx", true},
    {"nginx", "apache", false},
    {"nginx", "'!apache'", true},
    {"nginx", "'!nginx'", false},
    {"nginx", "'!ngi*'", false},
    {"5", "'>3'", true},
    {"5", "'>=5'", true},
    {"5", "'<5'", false},
    {"5", "'<=5'", true},
    {"'5'", "'>3'", true},
    {"2Gi", "'<= 4Gi'", true},
    {"8Gi", "'<= 4Gi'", false},
    {"500m", "'< 1'", true},
    {"1500m", "'> 1'", true},
    {"'1.5e3'", "'>= 15e2'", true},
    {"'1.5e3'", "'> 1.5e3'", false},
    {"'0.1e23'", "'<= 1e22'", true},  // exactly 10^22 as a quantity; 0.1 × 10^23 is not
    {"30s", "'>= 1m'", false},
    {"2h", "'> 1h'", true},
    {"5", "1-10", true},
    {"11", "1-10", false},
    {"10", "1-10", true},
    {"0", "1!-10", true},
    {"5", "1!-10", false},
    {"a", "a | b", true},
    {"b", "a | b", true},
    {"c", "a | b", false},
    {"5", "'>1 & <10'", true},
    {"15", "'>1 & <10'", false},
    {"15", "'<10 | >12'", true},
    {"IfNotPresent", "IfNotPresent | Always", true},
    {"[1]", "1", false},
};

TEST(PatternScalar, Table) {
  for (const ScalarCase& c : kScalars) {
    EXPECT_EQ(MatchScalar(Y(c.value), Y(c.pattern)), c.matches) << c.value << " vs " << c.pattern;
  }
}

PatternOutcome Match(const char* resource, const char* pattern) { return MatchPattern(Y(resource), Y(pattern)); }

TEST(Pattern, MapPassAndFailPath) {
  const char* pod = "spec: {containers: [{name: a, securityContext: {privileged: true}}]}";
  PatternOutcome ok = Match(pod, "spec: {containers: [{name: '*'}]}");
  EXPECT_EQ(ok.kind, PatternOutcome::Kind::kPass);
  PatternOutcome fail = Match(pod, "spec: {containers: [{=(securityContext): {=(privileged): 'false'}}]}");
  ASSERT_EQ(fail.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(fail.path, "/spec/containers/0/securityContext/privileged/");
  EXPECT_EQ(fail.error, "resource value 'true' does not match 'false' at path /spec/containers/0/securityContext/privileged/");
}

TEST(Pattern, EqualityAnchorAbsentPasses) {
  EXPECT_EQ(Match("spec: {containers: [{name: a}]}",
                  "spec: {containers: [{=(securityContext): {=(privileged): 'false'}}]}").kind,
            PatternOutcome::Kind::kPass);
}

TEST(Pattern, StarRequiresPresence) {
  PatternOutcome o = Match("metadata: {labels: {a: b}}", "metadata: {labels: {app: '*'}}");
  EXPECT_EQ(o.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(o.path, "/metadata/labels/");
  EXPECT_EQ(o.error, "/metadata/labels//app not found");
  EXPECT_EQ(Match("metadata: {labels: {app: b}}", "metadata: {labels: {app: '?*'}}").kind, PatternOutcome::Kind::kPass);
}

TEST(Pattern, ConditionalAnchorSkipsMap) {
  // Only containers with image nginx* must have a limit.
  const char* pattern = "spec: {containers: [{(image): 'nginx*', resources: {limits: {memory: '?*'}}}]}";
  EXPECT_EQ(Match("spec: {containers: [{image: busybox}]}", pattern).kind, PatternOutcome::Kind::kSkip);
  EXPECT_EQ(Match("spec: {containers: [{image: busybox}, {image: nginx, resources: {limits: {memory: 1Gi}}}]}", pattern).kind,
            PatternOutcome::Kind::kPass);
  PatternOutcome fail = Match("spec: {containers: [{image: nginx}]}", pattern);
  EXPECT_EQ(fail.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(fail.path, "/spec/containers/0/resources/");
}

TEST(Pattern, ConditionalAnchorMissingEverywhereHasNoPath) {
  PatternOutcome o = Match("spec: {containers: [{image: a, x: 1}]}", "spec: {(hostNetwork): true, containers: [{x: 2}]}");
  EXPECT_EQ(o.kind, PatternOutcome::Kind::kSkip);
}

TEST(Pattern, GlobalAnchorSkips) {
  const char* pattern = "spec: {containers: [{<(image): 'corp.io/*'}], imagePullSecrets: [{name: regcred}]}";
  EXPECT_EQ(Match("spec: {containers: [{image: docker.io/x}]}", pattern).kind, PatternOutcome::Kind::kSkip);
  PatternOutcome fail = Match("spec: {containers: [{image: corp.io/x}]}", pattern);
  EXPECT_EQ(fail.kind, PatternOutcome::Kind::kFail);
}

TEST(Pattern, NegationAnchor) {
  const char* pattern = "spec: {X(hostPath): null}";
  EXPECT_EQ(Match("spec: {a: 1}", pattern).kind, PatternOutcome::Kind::kPass);
  PatternOutcome o = Match("spec: {hostPath: {path: /}}", pattern);
  EXPECT_EQ(o.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(o.path, "/spec/hostPath/");
  EXPECT_EQ(o.error, "negation anchor matched in resource: /spec/hostPath/ is not allowed");
}

TEST(Pattern, ExistenceAnchor) {
  const char* pattern = "spec: {^(containers): [{image: 'nginx*'}]}";
  EXPECT_EQ(Match("spec: {containers: [{image: a}, {image: nginx}]}", pattern).kind, PatternOutcome::Kind::kPass);
  PatternOutcome o = Match("spec: {containers: [{image: a}]}", pattern);
  EXPECT_EQ(o.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(o.error, "existence anchor validation failed at path /spec/containers/");
}

TEST(Pattern, ListsOfScalarsAndPositions) {
  EXPECT_EQ(Match("a: [x, x]", "a: [x]").kind, PatternOutcome::Kind::kPass);
  EXPECT_EQ(Match("a: [x, y]", "a: [x]").kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(Match("a: [[1], [2]]", "a: [[1], [2]]").kind, PatternOutcome::Kind::kPass);
  PatternOutcome shorter = Match("a: [[1]]", "a: [[1], [2]]");
  EXPECT_EQ(shorter.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(Match("a: [x, x]", "a: x").kind, PatternOutcome::Kind::kPass);  // a scalar pattern against a list
  EXPECT_EQ(Match("a: []", "a: [{b: 1}]").kind, PatternOutcome::Kind::kPass);
}

TEST(Pattern, TypeMismatchFailsAtPath) {
  PatternOutcome o = Match("spec: 1", "spec: {a: 1}");
  EXPECT_EQ(o.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(o.path, "/spec/");
  PatternOutcome list = Match("spec: {a: 1}", "spec: [1]");
  EXPECT_EQ(list.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(list.error, "validation rule failed at path /spec/, resource does not satisfy the expected overlay pattern");
}

TEST(Pattern, WildcardKeysInMetadata) {
  const char* pattern = "metadata: {annotations: {'container.apparmor.security.beta.kubernetes.io/*': 'runtime/default'}}";
  EXPECT_EQ(Match("metadata: {annotations: {'container.apparmor.security.beta.kubernetes.io/a': runtime/default}}", pattern).kind,
            PatternOutcome::Kind::kPass);
  PatternOutcome o = Match(
      "metadata: {annotations: {'container.apparmor.security.beta.kubernetes.io/a': runtime/default, "
      "'container.apparmor.security.beta.kubernetes.io/b': unconfined}}",
      pattern);
  EXPECT_EQ(o.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(o.path, "/metadata/annotations/container.apparmor.security.beta.kubernetes.io/b/");
}

TEST(Pattern, ReferencesToOtherPatternValues) {
  // The value at ../min in the pattern, with an operator, and an absolute path.
  const char* pattern = "spec: {min: 2, replicas: '$(>=../min)', name: '$(/spec/expected)', expected: web}";
  EXPECT_EQ(Match("spec: {min: 2, replicas: 3, name: web, expected: web}", pattern).kind, PatternOutcome::Kind::kPass);
  PatternOutcome low = Match("spec: {min: 2, replicas: 1, name: web, expected: web}", pattern);
  EXPECT_EQ(low.kind, PatternOutcome::Kind::kFail);
  EXPECT_EQ(low.error, "resource value '1' does not match '>=2' at path /spec/replicas/");
  EXPECT_EQ(Match("spec: {min: 2, replicas: 3, name: db, expected: web}", pattern).kind, PatternOutcome::Kind::kFail);
}

TEST(Pattern, HostileDepthIsAFailureNotACrash) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 300; ++i) deep += "}";
  Value v;
  std::string error;
  ASSERT_TRUE(ParseJson(deep, &v, &error));
  EXPECT_EQ(MatchPattern(v, v).kind, PatternOutcome::Kind::kFail);
}

TEST(Yaml, BlockStyles) {
  Value v = Y(
      "# comment\n"
      "a: 1\n"
      "b:\n"
      "  - x\n"
      "  - yy: 2\n"
      "    z: [1, 'two', \"th\\\"ree\"]\n"
      "c: |\n"
      "  line1\n"
      "  line2\n"
      "d: >-\n"
      "  folded\n"
      "  text\n"
      "e: {k: v, m: null}\n"
      "f: 'it''s'\n"
      "g: yes\n"
      "h: ~\n"
      "i:\n"
      "- 1\n"
      "- 2.5\n"
      "j: plain # trailing comment\n");
  EXPECT_EQ(ToJson(v),
            R"({"a":1,"b":["x",{"yy":2,"z":[1,"two","th\"ree"]}],"c":"line1\nline2\n","d":"folded text",)"
            R"("e":{"k":"v","m":null},"f":"it's","g":true,"h":null,"i":[1,2.5],"j":"plain"})");
}

TEST(Yaml, KeysResolveLikeValuesAndBecomeText) {
  // go-yaml v2 reads y/n/yes/no/on/off as booleans, also as keys, which JSON then spells out.
  EXPECT_EQ(ToJson(Y("n: 1\n1.50: 2\n'y': 3\n")), R"({"1.5":2,"false":1,"y":3})");
  EXPECT_EQ(ToJson(Y("{n: 1, on: 2}")), R"({"false":1,"true":2})");
}

TEST(Yaml, Errors) {
  Value v;
  std::string error;
  EXPECT_FALSE(ParseYaml("a: b: c", &v, &error));
  EXPECT_EQ(error, "error converting YAML to JSON: yaml: line 1: mapping values are not allowed in this context");
  EXPECT_FALSE(ParseYaml("a: 1\na: 2", &v, &error));
  EXPECT_FALSE(ParseYaml("a: [1, 2", &v, &error));
  EXPECT_FALSE(ParseYaml("a: &x 1", &v, &error));
  EXPECT_FALSE(ParseYaml("\ta: 1", &v, &error));
}

}  // namespace
}  // namespace kyverno
