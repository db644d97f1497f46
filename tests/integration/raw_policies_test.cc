// The raw test policies (policies-more.md §22-§26) end to end through a real policy-server's
// /validate_raw: validation and mutation of raw requests in each execution mode that has one
// (waPC, WASI, OPA). Asserts the AdmissionResponse a client gets, patches included. Their
// kwctl cases are in policies/raw-*/tests/cases.yaml.
#include <gtest/gtest.h>

#include <string>

#include "base/base64.h"
#include "base/json.h"
#include "testing/json.h"
#include "testing/policy_server.h"

namespace kw {
namespace {

using testing::J;

std::string Module(const std::string& name) {
  return std::string(KW_TEST_BINARY_DIR) + "/policies/" + name + ".wasm";
}

constexpr char kValidationSettings[] =
    R"({"validUsers": ["tonio"], "validActions": ["eats"], "validResources": ["banana"]})";
constexpr char kMutationSettings[] =
    R"({"forbiddenResources": ["banana"], "defaultResource": "hay"})";

class RawPoliciesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string yml;
    auto add = [&](const char* id, const std::string& module, const char* settings,
                   bool mutate) {
      yml += std::string(id) + ":\n  module: " + Module(module) + "\n  allowedToMutate: " +
             (mutate ? "true" : "false") + "\n  settings: " + settings + "\n";
    };
    add("wapc-validation", "raw-validation-policy", kValidationSettings, false);
    add("wasi-validation", "raw-validation-wasi-policy", kValidationSettings, false);
    add("opa-validation", "raw-validation-opa-policy", "{}", false);
    add("wapc-mutation", "raw-mutation-policy", kMutationSettings, true);
    add("wasi-mutation", "raw-mutation-wasi-policy", kMutationSettings, true);
    add("wapc-mutation-not-allowed", "raw-mutation-policy", kMutationSettings, false);
    server_ = testing::PolicyServer::Start(yml).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // The `response` of /validate_raw/<id> for `request`.
  static json::value Validate(const std::string& id, const std::string& request) {
    EXPECT_NE(server_, nullptr);
    if (server_ == nullptr) return json::value();
    auto answer = server_->Post("/validate_raw/" + id, R"({"request":)" + request + "}");
    EXPECT_EQ(answer.status, 200) << answer.body;
    json::value body = J(answer.body);
    const json::value* response = body.is_object() ? FindKey(body, "response") : nullptr;
    EXPECT_NE(response, nullptr) << answer.body;
    return response ? *response : json::value();
  }

  // The decoded JSON patch of a response.
  static json::value Patch(const json::value& response) {
    EXPECT_EQ(StringAt(response, {"patchType"}), "JSONPatch");
    auto text = Base64Decode(StringAt(response, {"patch"}));
    EXPECT_TRUE(text);
    return text ? J(*text) : json::value();
  }

  static testing::PolicyServer* server_;
};

testing::PolicyServer* RawPoliciesTest::server_ = nullptr;

TEST_F(RawPoliciesTest, WapcValidationAcceptsAndRejects) {
  EXPECT_EQ(Validate("wapc-validation",
                     R"({"uid":"r1","user":"tonio","action":"eats","resource":"banana"})"),
            J(R"({"uid":"r1","allowed":true,"auditAnnotations":null,"warnings":null})"));
  EXPECT_EQ(Validate("wapc-validation",
                     R"({"uid":"r2","user":"jane","action":"eats","resource":"banana"})"),
            J(R"({"uid":"r2","allowed":false,"status":{"message":"this request is not accepted"},)"
              R"("auditAnnotations":null,"warnings":null})"));
}

TEST_F(RawPoliciesTest, WasiValidationAcceptsAndRejects) {
  EXPECT_EQ(Validate("wasi-validation", R"({"user":"tonio","action":"eats","resource":"banana"})"),
            J(R"({"uid":"","allowed":true,"auditAnnotations":null,"warnings":null})"));
  EXPECT_EQ(Validate("wasi-validation", R"({"user":"tonio","action":"runs","resource":"banana"})"),
            J(R"({"uid":"","allowed":false,"status":{"message":"Action 'runs' is not allowed",)"
              R"("code":403},"auditAnnotations":null,"warnings":null})"));
  // Upstream's strict decoding refuses a uid, so a WASI raw request carries none.
  json::value strict = Validate(
      "wasi-validation", R"({"uid":"r3","user":"tonio","action":"eats","resource":"banana"})");
  EXPECT_EQ(strict.at("status"),
            J(R"({"message":"Error deserializing validation request: json: unknown field \"uid\"",)"
              R"("code":400})"));
}

TEST_F(RawPoliciesTest, OpaValidationAcceptsAndRejects) {
  EXPECT_EQ(Validate("opa-validation", R"({"uid":"o1","user":"tonio"})"),
            J(R"({"uid":"o1","allowed":true,"auditAnnotations":null,"warnings":null})"));
  EXPECT_EQ(Validate("opa-validation", R"({"uid":"o2","user":"jane"})"),
            J(R"({"uid":"o2","allowed":false,"status":{"message":"User not allowed"},)"
              R"("auditAnnotations":null,"warnings":null})"));
}

TEST_F(RawPoliciesTest, OpaValidationRepeatsOnOneInstance) {
  // The host rewinds the module's heap between evaluations: many in a row keep working.
  for (int i = 0; i < 50; ++i) {
    std::string user = i % 2 == 0 ? "tonio" : "jane";
    json::value response = Validate("opa-validation", R"({"user":")" + user + R"("})");
    EXPECT_EQ(response.at("allowed"), json::value(i % 2 == 0)) << i;
  }
}

TEST_F(RawPoliciesTest, WapcMutationPatchesTheRawRequest) {
  json::value response =
      Validate("wapc-mutation", R"({"user":"tonio","action":"eats","resource":"banana"})");
  EXPECT_EQ(response.at("allowed"), json::value(true));
  EXPECT_EQ(Patch(response), J(R"([{"op":"replace","path":"/resource","value":"hay"}])"));

  EXPECT_EQ(Validate("wapc-mutation", R"({"user":"tonio","action":"eats","resource":"apple"})"),
            J(R"({"uid":"","allowed":true,"auditAnnotations":null,"warnings":null})"));
}

TEST_F(RawPoliciesTest, WasiMutationPatchesTheRawRequest) {
  json::value response =
      Validate("wasi-mutation", R"({"user":"tonio","action":"eats","resource":"banana"})");
  EXPECT_EQ(response.at("allowed"), json::value(true));
  EXPECT_EQ(Patch(response), J(R"([{"op":"replace","path":"/resource","value":"hay"}])"));

  json::value refused =
      Validate("wasi-mutation", R"({"user":"tonio","action":"eats","resource":"banana","x":1})");
  EXPECT_EQ(refused.at("status"),
            J(R"({"message":"Error deserializing validation request: json: unknown field \"x\"",)"
              R"("code":400})"));
}

TEST_F(RawPoliciesTest, MutationOfAPolicyNotAllowedToMutateIsRejected) {
  json::value response = Validate("wapc-mutation-not-allowed",
                                  R"({"user":"tonio","action":"eats","resource":"banana"})");
  EXPECT_EQ(response.at("allowed"), json::value(false)) << ToJson(response);
  EXPECT_EQ(FindKey(response, "patch"), nullptr) << ToJson(response);
}

}  // namespace
}  // namespace kw
