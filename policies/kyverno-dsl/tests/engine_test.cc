// The rule engine through its public interface: decode a ClusterPolicy, evaluate it against an
// AdmissionRequest, read the responses.
#include <gtest/gtest.h>

#include <string>

#include "engine.h"
#include "value.h"
#include "variables.h"
#include "yaml.h"
#include "yaml_value.h"

namespace kyverno {
namespace {

PreparedPolicy Policy(const char* text) {
  Value p;
  std::string error;
  EXPECT_TRUE(DecodePolicy(text, &p, &error)) << error;
  return Prepare(std::move(p));
}

Value PodRequest(const char* object, const char* operation = "CREATE") {
  Object r;
  r["uid"] = Value("1");
  r["kind"] = Y("{group: '', version: v1, kind: Pod}");
  r["namespace"] = Value("default");
  r["operation"] = Value(operation);
  r["userInfo"] = Y("{username: alice}");
  r["object"] = Y(object);
  return Value(std::move(r));
}

std::string Verdict(const PreparedPolicy& policy, const Value& request) {
  return VerdictMessage(Evaluate(policy, request));
}

TEST(DecodePolicy, Errors) {
  Value p;
  std::string error;
  EXPECT_FALSE(DecodePolicy("spec: {rules: x}", &p, &error));
  EXPECT_EQ(error, "cannot unmarshal policy: json: cannot unmarshal string into Go struct field Spec.spec.rules of type []v1.Rule");
  EXPECT_FALSE(DecodePolicy("spec: {rules: [{name: 1}]}", &p, &error));
  EXPECT_EQ(error, "cannot unmarshal policy: json: cannot unmarshal number into Go struct field Rule.spec.rules.name of type string");
  EXPECT_FALSE(DecodePolicy("spec: [", &p, &error));
  EXPECT_TRUE(error.starts_with("failed to convert policy to JSON: error converting YAML to JSON: yaml: line 1: ")) << error;
  EXPECT_FALSE(DecodePolicy("[1]", &p, &error));
  EXPECT_EQ(error, "cannot unmarshal policy: json: cannot unmarshal array into Go value of type v1.ClusterPolicy");
}

constexpr char kDenyPolicy[] = R"(
metadata: {name: p}
spec:
  rules:
    - name: no-latest
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        message: "image {{ request.object.spec.containers[0].image }} uses latest"
        deny:
          conditions:
            any:
              - key: "{{ request.object.spec.containers[0].image }}"
                operator: Equals
                value: "*:latest"
)";

TEST(Evaluate, DenyFailsAndPasses) {
  PreparedPolicy policy = Policy(kDenyPolicy);
  EXPECT_EQ(Verdict(policy, PodRequest("{metadata: {name: a}, spec: {containers: [{image: 'nginx:latest'}]}}")),
            "[0] - image nginx:latest uses latest");
  EXPECT_EQ(Verdict(policy, PodRequest("{metadata: {name: a}, spec: {containers: [{image: 'nginx:1'}]}}")),
            "[0] - validation rule 'no-latest' passed.");
}

TEST(Evaluate, AutogenAddsControllerRules) {
  PreparedPolicy policy = Policy(kDenyPolicy);
  Object r = PodRequest("{}").as_object();
  r["kind"] = Y("{group: apps, version: v1, kind: Deployment}");
  r["object"] = Y("{metadata: {name: d}, spec: {template: {spec: {containers: [{image: 'x:latest'}]}}}}");
  std::vector<RuleResponse> responses = Evaluate(policy, Value(r));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].rule, "autogen-no-latest");
  EXPECT_EQ(responses[0].message, "image x:latest uses latest");
}

TEST(Evaluate, PreconditionsSkip) {
  PreparedPolicy policy = Policy(R"(
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod]}}]}
      preconditions:
        all:
          - key: "{{ request.object.metadata.labels.app || '' }}"
            operator: NotEquals
            value: ""
            message: no app label
      validate:
        deny: {}
)");
  EXPECT_EQ(Verdict(policy, PodRequest("{metadata: {name: a}}")), "[0] - preconditions not met; no app label");
  EXPECT_EQ(Verdict(policy, PodRequest("{metadata: {name: a, labels: {app: x}}}")), "[0] - validation error: rule r failed");
}

TEST(Evaluate, ForeachAndVariables) {
  PreparedPolicy policy = Policy(R"(
spec:
  rules:
    - name: images
      match: {any: [{resources: {kinds: [Pod]}}]}
      context:
        - name: registry
          variable: {value: corp.io}
      validate:
        message: "bad image"
        foreach:
          - list: request.object.spec.containers
            deny:
              conditions:
                all:
                  - key: "{{ element.image }}"
                    operator: NotEquals
                    value: "{{ registry }}/*"
)");
  EXPECT_EQ(Verdict(policy, PodRequest("{spec: {containers: [{image: corp.io/a}, {image: corp.io/b}]}}")),
            "[0] - rule passed");
  EXPECT_EQ(Verdict(policy, PodRequest("{spec: {containers: [{image: corp.io/a}, {image: docker.io/b}]}}")),
            "[0] - validation failure: bad image");
}

TEST(Evaluate, ExcludeAndNoMatch) {
  PreparedPolicy policy = Policy(R"(
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod]}}]}
      exclude: {any: [{resources: {namespaces: [kube-*]}}]}
      validate: {deny: {}}
)");
  Object r = PodRequest("{metadata: {name: a}}").as_object();
  r["namespace"] = Value("kube-system");
  EXPECT_TRUE(Evaluate(policy, Value(r)).empty());
  EXPECT_EQ(Evaluate(policy, PodRequest("{metadata: {name: a}}")).size(), 1u);
}

TEST(Variables, TypedAndTextSubstitution) {
  Value context = Y("{request: {object: {count: 3, s: x, m: {a: 1}}}}");
  VariableScope scope{&context, false, nullptr};
  Value out;
  std::string error;
  ASSERT_TRUE(SubstituteString("{{ request.object.count }}", scope, &out, &error));
  EXPECT_EQ(ToJson(out), "3");
  ASSERT_TRUE(SubstituteString("n={{request.object.count}} m={{ request.object.m }}", scope, &out, &error));
  EXPECT_EQ(out.as_string(), "n=3 m={\"a\":1}");
  ASSERT_TRUE(SubstituteString("\\{{ request.object.s }}", scope, &out, &error));
  EXPECT_EQ(out.as_string(), "{{ request.object.s }}");
  ASSERT_TRUE(SubstituteString("{{ request.object.{{ 's' }} }}", scope, &out, &error));
  EXPECT_EQ(ToJson(out), "\"x\"");
  EXPECT_FALSE(SubstituteString("{{ request.[ }}", scope, &out, &error));
}

}  // namespace
}  // namespace kyverno
