#include "crd/field_error.h"

#include <gtest/gtest.h>

namespace kw::crd {
namespace {

TEST(FieldError, RendersAsApimachinery) {
  EXPECT_EQ(Required("spec.rules", "a value must be specified").Message(),
            "spec.rules: Required value: a value must be specified");
  EXPECT_EQ(Required("spec.matchConditions[0].name", "").Message(),
            "spec.matchConditions[0].name: Required value");
  EXPECT_EQ(Forbidden("spec.policyServer", "the field is immutable").Message(),
            "spec.policyServer: Forbidden: the field is immutable");
  EXPECT_EQ(InvalidString("metadata.name", "a\"b\n", "bad").Message(),
            "metadata.name: Invalid value: \"a\\\"b\\n\": bad");
  EXPECT_EQ(Invalid("spec.timeoutSeconds", json::value(31), "too long").Message(),
            "spec.timeoutSeconds: Invalid value: 31: too long");
  EXPECT_EQ(Invalid("spec.x", json::value(true), "no").Message(), "spec.x: Invalid value: true: no");
  EXPECT_EQ(Invalid("spec.x", json::value(nullptr), "no").Message(), "spec.x: Invalid value: null: no");
  EXPECT_EQ(Duplicate("spec.matchConditions[1].name", "a").Message(),
            "spec.matchConditions[1].name: Duplicate value: \"a\"");
  EXPECT_EQ(NotSupported("spec.mode", "x", {"protect", "monitor"}).Message(),
            "spec.mode: Unsupported value: \"x\": supported values: \"protect\", \"monitor\"");
  EXPECT_EQ(TooMany("spec.matchConditions", 65, 64).Message(),
            "spec.matchConditions: Too many: 65: must have at most 64 items");
  EXPECT_EQ(TooMany("spec.x", 2, 1).Body(), "Too many: 2: must have at most 1 item");
}

TEST(FieldError, Paths) {
  EXPECT_EQ(Child("", "spec"), "spec");
  EXPECT_EQ(Child("spec", "rules"), "spec.rules");
  EXPECT_EQ(Index("spec.rules", 2), "spec.rules[2]");
  EXPECT_EQ(Key("spec.policies", "happy"), "spec.policies[happy]");
}

TEST(FieldError, InvalidStatusOfOneError) {
  json::object status = InvalidStatus("PolicyServer", "default",
                                      {Forbidden("spec.x", "no")});
  EXPECT_EQ(ToJson(status),
            R"({"metadata":{},"status":"Failure","message":"PolicyServer.policies.kubewarden.io \"default\" is invalid: spec.x: Forbidden: no","reason":"Invalid","details":{"name":"default","group":"policies.kubewarden.io","kind":"PolicyServer","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: no","field":"spec.x"}]},"code":422})");
}

TEST(FieldError, InvalidStatusAggregatesAndFoldsRepeats) {
  json::object status = InvalidStatus(
      "ClusterAdmissionPolicy", "p",
      {Required("spec.rules.operations", "a value must be specified"),
       Required("spec.rules.operations", "a value must be specified"),
       InvalidString("spec.module", "", "empty")});
  EXPECT_EQ(status["message"].as_string(),
            "ClusterAdmissionPolicy.policies.kubewarden.io \"p\" is invalid: [spec.rules.operations: "
            "Required value: a value must be specified, spec.module: Invalid value: \"\": empty]");
  EXPECT_EQ(status["details"].as_object()["causes"].as_array().size(), 3u);
}

TEST(FieldError, InvalidStatusIsUtf8WhateverTheDetails) {
  json::object status = InvalidStatus("PolicyServer", "p", {InvalidString("spec.x", "v", "bad \xdb byte")});
  EXPECT_EQ(status["message"].as_string(),
            "PolicyServer.policies.kubewarden.io \"p\" is invalid: spec.x: Invalid value: \"v\": bad \uFFFD byte");
  EXPECT_EQ(status["details"].as_object()["causes"].as_array()[0].as_object()["message"].as_string(),
            "Invalid value: \"v\": bad \uFFFD byte");
}

}  // namespace
}  // namespace kw::crd
