#include "admission/response_handler.h"

#include <gtest/gtest.h>

namespace kw::admission {
namespace {

constexpr std::string_view kMutationRejected =
    "Request rejected by policy my-policy. The policy attempted to mutate the request, but it is "
    "currently configured to not allow mutations.";

AdmissionResponse Mutating(bool allowed) {
  AdmissionResponse r;
  r.uid = "u";
  r.allowed = allowed;
  r.patch_type = "JSONPatch";
  r.patch = "W10=";
  r.warnings = std::vector<std::string>{"w"};
  r.audit_annotations = std::map<std::string, std::string>{{"k", "v"}};
  return r;
}

AdmissionResponse Rejected(std::optional<std::string> message, std::optional<uint16_t> code) {
  AdmissionResponse r;
  r.uid = "u";
  r.allowed = false;
  if (message || code) {
    r.status.emplace().message = std::move(message);
    r.status->code = code;
  }
  return r;
}

PolicyResponseOptions Options(bool monitor, bool allowed_to_mutate,
                              std::optional<std::string> custom = std::nullopt) {
  return {"my-policy", monitor, allowed_to_mutate, std::move(custom)};
}

TEST(ResponseHandlerTest, ProtectModePassesThroughWhenNothingApplies) {
  const AdmissionResponse allowed_mutation = Mutating(true);
  EXPECT_EQ(ApplyResponseHandler(allowed_mutation, Options(false, true)), allowed_mutation);
  const AdmissionResponse rejected = Rejected("no", 403);
  EXPECT_EQ(ApplyResponseHandler(rejected, Options(false, false)), rejected);
}

TEST(ResponseHandlerTest, MonitorModeAllowsAndStripsPatchAndStatus) {
  AdmissionResponse input = Mutating(false);
  input.status.emplace().message = "denied";
  const AdmissionResponse out = ApplyResponseHandler(input, Options(true, false, "custom"));
  EXPECT_EQ(AdmissionResponseJson(out),
            R"({"uid":"u","allowed":true,"auditAnnotations":{"k":"v"},"warnings":["w"]})");
}

TEST(ResponseHandlerTest, MonitorModeWinsOverMutationGateAndCustomMessage) {
  // Neither rule b nor c applies after a: the result is allowed with no status at all.
  for (bool allowed_to_mutate : {false, true}) {
    const AdmissionResponse out =
        ApplyResponseHandler(Rejected("no", 500), Options(true, allowed_to_mutate, "custom"));
    EXPECT_TRUE(out.allowed);
    EXPECT_FALSE(out.status.has_value());
  }
}

TEST(ResponseHandlerTest, MutationGateRejectsPatches) {
  const AdmissionResponse out = ApplyResponseHandler(Mutating(true), Options(false, false));
  EXPECT_EQ(AdmissionResponseJson(out),
            std::string(R"({"uid":"u","allowed":false,"status":{"message":")") +
                std::string(kMutationRejected) +
                R"("},"auditAnnotations":{"k":"v"},"warnings":["w"]})");
}

TEST(ResponseHandlerTest, MutationGateReplacesAnExistingStatus) {
  AdmissionResponse input = Mutating(true);
  input.status.emplace().message = "policy said something";
  input.status->code = 299;
  const AdmissionResponse out = ApplyResponseHandler(input, Options(false, false));
  ASSERT_TRUE(out.status.has_value());
  EXPECT_EQ(out.status->message, kMutationRejected);
  EXPECT_FALSE(out.status->code.has_value());
}

TEST(ResponseHandlerTest, MutationGateIgnoresResponsesWithoutPatch) {
  AdmissionResponse input;
  input.uid = "u";
  input.allowed = true;
  EXPECT_EQ(ApplyResponseHandler(input, Options(false, false, "custom")), input);
}

TEST(ResponseHandlerTest, CustomMessageMovesTheOriginalIntoACause) {
  AdmissionResponse input = Rejected("original", 403);
  input.status->reason = "Forbidden";
  const AdmissionResponse out = ApplyResponseHandler(input, Options(false, true, "custom"));
  EXPECT_EQ(AdmissionResponseJson(out),
            R"({"uid":"u","allowed":false,"status":{"message":"custom","reason":"Forbidden",)"
            R"("details":{"causes":[{"reason":null,"message":"original","field":null}]},)"
            R"("code":403},"auditAnnotations":null,"warnings":null})");
}

TEST(ResponseHandlerTest, CustomMessageAppendsAfterExistingCauses) {
  AdmissionResponse input = Rejected("original", std::nullopt);
  input.status->details.emplace().causes.push_back({"r", "first", "f"});
  const AdmissionResponse out = ApplyResponseHandler(input, Options(false, true, "custom"));
  ASSERT_EQ(out.status->details->causes.size(), 2u);
  EXPECT_EQ(out.status->details->causes[0], (StatusCause{"r", "first", "f"}));
  EXPECT_EQ(out.status->details->causes[1], (StatusCause{std::nullopt, "original", std::nullopt}));
}

TEST(ResponseHandlerTest, CustomMessageWithoutOriginalStatus) {
  const AdmissionResponse out =
      ApplyResponseHandler(Rejected(std::nullopt, std::nullopt), Options(false, true, "custom"));
  EXPECT_EQ(AdmissionResponseJson(out),
            R"({"uid":"u","allowed":false,"status":{"message":"custom","details":{"causes":[)"
            R"({"reason":null,"message":"","field":null}]}},"auditAnnotations":null,)"
            R"("warnings":null})");
  // A status with a code but no message also contributes "".
  const AdmissionResponse coded =
      ApplyResponseHandler(Rejected(std::nullopt, 500), Options(false, true, "custom"));
  EXPECT_EQ(coded.status->details->causes[0].message, "");
  EXPECT_EQ(coded.status->code, 500);
}

TEST(ResponseHandlerTest, CustomMessageDoesNotTouchAcceptedResponses) {
  AdmissionResponse input;
  input.uid = "u";
  input.allowed = true;
  input.status.emplace().message = "fine";
  EXPECT_EQ(ApplyResponseHandler(input, Options(false, true, "custom")), input);
}

TEST(ResponseHandlerTest, MutationGateThenCustomMessage) {
  // Rule b's message becomes the cause under rule c's custom message.
  const AdmissionResponse out = ApplyResponseHandler(Mutating(true), Options(false, false, "nope"));
  ASSERT_TRUE(out.status.has_value());
  EXPECT_FALSE(out.allowed);
  EXPECT_FALSE(out.patch.has_value());
  EXPECT_FALSE(out.patch_type.has_value());
  EXPECT_EQ(out.status->message, "nope");
  ASSERT_EQ(out.status->details->causes.size(), 1u);
  EXPECT_EQ(out.status->details->causes[0].message, kMutationRejected);
  EXPECT_EQ(out.warnings, std::vector<std::string>{"w"});
}

}  // namespace
}  // namespace kw::admission
