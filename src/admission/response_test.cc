#include "admission/response.h"
#include "testing/json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admission/json_patch.h"
#include "base/base64.h"

namespace kw::admission {
namespace {

using testing::J;

// ---- ParsePolicyValidationResponse ----

TEST(PolicyResponseTest, ParsesAMinimalResponse) {
  auto r = ParsePolicyValidationResponse(R"({"accepted":true})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->accepted);
  EXPECT_FALSE(r->message || r->code || r->mutated_object || r->audit_annotations || r->warnings);
}

TEST(PolicyResponseTest, AcceptsSurroundingWhitespace) {
  // WASI policies typically print the response followed by a newline.
  auto r = ParsePolicyValidationResponse(" \n{\"accepted\":false}\n");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->accepted);
}

TEST(PolicyResponseTest, ParsesEveryField) {
  auto r = ParsePolicyValidationResponse(
      R"({"accepted":false,"message":"no","code":403,"mutated_object":{"a":[1]},)"
      R"("audit_annotations":{"k":"v","a":"b"},"warnings":["w1","w2"],"unknown":{"x":[]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->accepted);
  EXPECT_EQ(r->message, "no");
  EXPECT_EQ(r->code, 403);
  EXPECT_EQ(r->mutated_object, R"({"a":[1]})");
  EXPECT_EQ(r->audit_annotations, (std::map<std::string, std::string>{{"a", "b"}, {"k", "v"}}));
  EXPECT_EQ(r->warnings, (std::vector<std::string>{"w1", "w2"}));
}

TEST(PolicyResponseTest, NullOptionalsAreAbsent) {
  auto r = ParsePolicyValidationResponse(
      R"({"accepted":true,"message":null,"code":null,"mutated_object":null,)"
      R"("audit_annotations":null,"warnings":null})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->message || r->code || r->mutated_object || r->audit_annotations || r->warnings);
}

TEST(PolicyResponseTest, MutatedObjectMayBeAnyJson) {
  for (const char* v : {"5", "\"s\"", "[1,2]", "false", "{}"}) {
    auto r = ParsePolicyValidationResponse(std::string(R"({"accepted":true,"mutated_object":)") +
                                           v + "}");
    ASSERT_TRUE(r.has_value()) << v;
    EXPECT_EQ(r->mutated_object, v);
  }
}

TEST(PolicyResponseTest, CodeBoundaries) {
  EXPECT_EQ(ParsePolicyValidationResponse(R"({"accepted":true,"code":0})")->code, 0);
  EXPECT_EQ(ParsePolicyValidationResponse(R"({"accepted":true,"code":65535})")->code, 65535);
}

TEST(PolicyResponseTest, RejectsHostileOutputs) {
  const std::pair<std::string, std::string> kCases[] = {
      {"[]", "invalid type: sequence, expected struct ValidationResponse"},
      {"null", "invalid type: null, expected struct ValidationResponse"},
      {"\"accepted\"", "invalid type: string \"accepted\", expected struct ValidationResponse"},
      {"42", "invalid type: integer `42`, expected struct ValidationResponse"},
      {"{}", "missing field `accepted`"},
      {R"({"message":"hi"})", "missing field `accepted`"},
      {R"({"accepted":null})", "invalid type: null, expected a boolean at `accepted`"},
      {R"({"accepted":"true"})", "invalid type: string \"true\", expected a boolean at `accepted`"},
      {R"({"accepted":1})", "invalid type: integer `1`, expected a boolean at `accepted`"},
      {R"({"accepted":{}})", "invalid type: map, expected a boolean at `accepted`"},
      {R"({"accepted":true,"code":70000})",
       "invalid value: integer `70000`, expected u16 at `code`"},
      {R"({"accepted":true,"code":65536})",
       "invalid value: integer `65536`, expected u16 at `code`"},
      {R"({"accepted":true,"code":-1})", "invalid value: integer `-1`, expected u16 at `code`"},
      {R"({"accepted":true,"code":18446744073709551615})",
       "invalid value: integer `18446744073709551615`, expected u16 at `code`"},
      {R"({"accepted":true,"code":18446744073709551616})",
       "invalid type: floating point `18446744073709551616`, expected u16 at `code`"},
      {R"({"accepted":true,"code":1e400})",
       "invalid JSON: number out of range at line 1 column 30"},
      {R"({"accepted":true,"code":200.0})",
       "invalid type: floating point `200`, expected u16 at `code`"},
      {R"({"accepted":true,"code":1.5})",
       "invalid type: floating point `1.5`, expected u16 at `code`"},
      {R"({"accepted":true,"code":"200"})", "invalid type: string \"200\", expected u16 at `code`"},
      {R"({"accepted":true,"code":[200]})", "invalid type: sequence, expected u16 at `code`"},
      {R"({"accepted":true,"message":5})",
       "invalid type: integer `5`, expected a string at `message`"},
      {R"({"accepted":true,"message":["a"]})",
       "invalid type: sequence, expected a string at `message`"},
      {R"({"accepted":true,"audit_annotations":[]})",
       "invalid type: sequence, expected a map at `audit_annotations`"},
      {R"({"accepted":true,"audit_annotations":[["k","v"]]})",
       "invalid type: sequence, expected a map at `audit_annotations`"},
      {R"({"accepted":true,"audit_annotations":{"k":1}})",
       "invalid type: integer `1`, expected a string at `audit_annotations.k`"},
      {R"({"accepted":true,"audit_annotations":{"k":null}})",
       "invalid type: null, expected a string at `audit_annotations.k`"},
      {R"({"accepted":true,"warnings":"w"})",
       "invalid type: string \"w\", expected a sequence at `warnings`"},
      {R"({"accepted":true,"warnings":{"0":"w"}})",
       "invalid type: map, expected a sequence at `warnings`"},
      {R"({"accepted":true,"warnings":["ok",1]})",
       "invalid type: integer `1`, expected a string at `warnings[1]`"},
      {R"({"accepted":true,"warnings":[null]})",
       "invalid type: null, expected a string at `warnings[0]`"},
      {R"({"accepted":true,"mutated_object":{"a":[1e400]}})",
       "invalid JSON: number out of range at line 1 column 46"},
  };
  for (const auto& [input, expected] : kCases) {
    auto r = ParsePolicyValidationResponse(input);
    ASSERT_FALSE(r.has_value()) << input;
    EXPECT_EQ(r.error().kind, ErrorKind::kPolicyResponse) << input;
    EXPECT_EQ(r.error().message, expected) << input;
  }
}

TEST(PolicyResponseTest, RejectsMalformedJson) {
  for (const std::string& input :
       {std::string(), std::string("{"), std::string(R"({"accepted":tru})"),
        std::string(R"({"accepted":true}garbage)"), std::string("\xff\xfe"),
        std::string(R"({"accepted":true,"message":"\xc3"})"),
        std::string(R"({"accepted":true,"mutated_object":)") + std::string(100000, '[')}) {
    auto r = ParsePolicyValidationResponse(input);
    ASSERT_FALSE(r.has_value()) << input.substr(0, 40);
    EXPECT_EQ(r.error().kind, ErrorKind::kPolicyResponse);
    EXPECT_TRUE(r.error().message.starts_with("invalid JSON")) << r.error().message;
  }
}

TEST(PolicyResponseTest, HugeStringsAreNotEchoedInFull) {
  const std::string huge(1 << 20, 'x');
  auto r = ParsePolicyValidationResponse(R"({"accepted":")" + huge + "\"}");
  ASSERT_FALSE(r.has_value());
  EXPECT_LT(r.error().message.size(), 200u);
}

TEST(PolicyResponseTest, FromJsonSerializesTheMutatedObject) {
  json::value v = J(R"({"accepted":true,"mutated_object":{ "big" : [1, 2, 3] }})");
  auto r = PolicyValidationResponseFromJson(std::move(v));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->mutated_object, R"({"big":[1,2,3]})");
}

// ---- ParseSettingsValidationResponse ----

TEST(SettingsResponseTest, ParsesValidAndInvalid) {
  auto valid = ParseSettingsValidationResponse(R"({"valid":true})");
  ASSERT_TRUE(valid.has_value());
  EXPECT_TRUE(valid->valid);
  EXPECT_FALSE(valid->message);

  auto invalid = ParseSettingsValidationResponse(R"({"valid":false,"message":"bad","x":1})");
  ASSERT_TRUE(invalid.has_value());
  EXPECT_FALSE(invalid->valid);
  EXPECT_EQ(invalid->message, "bad");

  auto null_message = ParseSettingsValidationResponse(R"({"valid":false,"message":null})");
  ASSERT_TRUE(null_message.has_value());
  EXPECT_FALSE(null_message->message);
}

TEST(SettingsResponseTest, RejectsBadShapes) {
  const std::pair<const char*, const char*> kCases[] = {
      {"{}", "missing field `valid`"},
      {R"({"valid":"yes"})", "invalid type: string \"yes\", expected a boolean at `valid`"},
      {R"({"valid":true,"message":7})",
       "invalid type: integer `7`, expected a string at `message`"},
      {"[true]", "invalid type: sequence, expected struct SettingsValidationResponse"},
  };
  for (const auto& [input, expected] : kCases) {
    auto r = ParseSettingsValidationResponse(input);
    ASSERT_FALSE(r.has_value()) << input;
    EXPECT_EQ(r.error().kind, ErrorKind::kPolicyResponse);
    EXPECT_EQ(r.error().message, expected);
  }
  EXPECT_FALSE(ParseSettingsValidationResponse("").has_value());
}

// ---- AdmissionResponse serialization ----

AdmissionResponse FullResponse() {
  AdmissionResponse r;
  r.uid = "u-full";
  r.allowed = false;
  r.patch_type = "JSONPatch";
  r.patch = "W10=";
  AdmissionResponseStatus& s = r.status.emplace();
  s.status = "Failure";
  s.message = "denied";
  s.reason = "Forbidden";
  StatusDetails& d = s.details.emplace();
  d.name = "n";
  d.group = "g";
  d.kind = "k";
  d.uid = "du";
  d.causes.push_back({std::nullopt, "original", std::nullopt});
  d.causes.push_back({"r", "m", "f"});
  d.retry_after_seconds = 3;
  s.code = 403;
  r.audit_annotations = std::map<std::string, std::string>{{"b", "2"}, {"a", "1"}};
  r.warnings = std::vector<std::string>{"w1", "w2"};
  return r;
}

constexpr std::string_view kFullResponseJson =
    R"({"uid":"u-full","allowed":false,"patchType":"JSONPatch","patch":"W10=",)"
    R"("status":{"status":"Failure","message":"denied","reason":"Forbidden",)"
    R"("details":{"name":"n","group":"g","kind":"k","uid":"du",)"
    R"("causes":[{"reason":null,"message":"original","field":null},)"
    R"({"reason":"r","message":"m","field":"f"}],"retry_after_seconds":3},"code":403},)"
    R"("auditAnnotations":{"a":"1","b":"2"},"warnings":["w1","w2"]})";

TEST(AdmissionResponseJsonTest, SpecExampleByteForByte) {
  AdmissionResponse r;
  r.uid = "u1";
  r.allowed = true;
  EXPECT_EQ(AdmissionReviewJson(r),
            R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":)"
            R"({"uid":"u1","allowed":true,"auditAnnotations":null,"warnings":null}})");
}

// `text` parsed and serialized again by Boost.JSON: equal to `text` when our writer wrote valid
// JSON, escaped as Boost.JSON's serializer escapes.
std::string BoostReserialized(const std::string& text) {
  auto parsed = ParseJson(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? json::serialize(*parsed) : "";
}

TEST(AdmissionResponseJsonTest, FullResponseKeyOrder) {
  EXPECT_EQ(AdmissionResponseJson(FullResponse()), kFullResponseJson);
}

TEST(AdmissionResponseJsonTest, ReviewWrappers) {
  AdmissionResponse r;
  r.uid = "x";
  EXPECT_EQ(RawReviewJson(r),
            R"({"response":{"uid":"x","allowed":false,"auditAnnotations":null,"warnings":null}})");
  EXPECT_EQ(AdmissionReviewJson(FullResponse()),
            std::string(R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1",)"
                        R"("response":)") +
                std::string(kFullResponseJson) + "}");
}

TEST(AdmissionResponseJsonTest, StatusKeysAreOmittedWhenAbsent) {
  AdmissionResponse r;
  r.uid = "u";
  r.status.emplace();
  EXPECT_EQ(AdmissionResponseJson(r),
            R"({"uid":"u","allowed":false,"status":{},"auditAnnotations":null,"warnings":null})");
  r.status->code = 500;
  EXPECT_EQ(AdmissionResponseJson(r),
            R"({"uid":"u","allowed":false,"status":{"code":500},"auditAnnotations":null,)"
            R"("warnings":null})");
  r.status->code.reset();
  r.status->details.emplace();  // no causes: `causes` omitted
  EXPECT_EQ(AdmissionResponseJson(r),
            R"({"uid":"u","allowed":false,"status":{"details":{}},"auditAnnotations":null,)"
            R"("warnings":null})");
  r.status->details->causes.emplace_back();
  EXPECT_EQ(AdmissionResponseJson(r),
            R"({"uid":"u","allowed":false,"status":{"details":{"causes":[)"
            R"({"reason":null,"message":null,"field":null}]}},"auditAnnotations":null,)"
            R"("warnings":null})");
}

TEST(AdmissionResponseJsonTest, EmptyCollectionsAreNotNull) {
  AdmissionResponse r;
  r.uid = "u";
  r.allowed = true;
  r.audit_annotations.emplace();
  r.warnings.emplace();
  EXPECT_EQ(AdmissionResponseJson(r),
            R"({"uid":"u","allowed":true,"auditAnnotations":{},"warnings":[]})");
}

TEST(AdmissionResponseJsonTest, EscapesStringsLikeBoostJson) {
  AdmissionResponse r;
  r.uid = "q\"b\\s/\x01\x1f\b\f\n\r\t\x7f";
  r.allowed = true;
  r.warnings = std::vector<std::string>{"caf\xc3\xa9 \xf0\x9f\x98\x80"};
  const std::string direct = AdmissionResponseJson(r);
  EXPECT_EQ(direct, BoostReserialized(direct));
  EXPECT_EQ(direct,
            "{\"uid\":\"q\\\"b\\\\s/\\u0001\\u001f\\b\\f\\n\\r\\t\x7f\",\"allowed\":true,"
            "\"auditAnnotations\":null,\"warnings\":[\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]}");
  auto parsed = ParseJson(direct);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->at("uid").as_string(), r.uid);
}

TEST(AdmissionResponseJsonTest, InvalidUtf8IsReplaced) {
  AdmissionResponse r;
  r.uid = "u";
  r.status.emplace().message = "bad \xff byte, truncated \xe2\x82 and overlong \xc0\xaf end";
  const std::string direct = AdmissionResponseJson(r);
  EXPECT_EQ(direct, BoostReserialized(direct));
  auto parsed = ParseJson(direct);
  ASSERT_TRUE(parsed.has_value()) << direct;
  EXPECT_EQ(
      parsed->at("status").at("message").as_string(),
      "bad \xef\xbf\xbd byte, truncated \xef\xbf\xbd and overlong \xef\xbf\xbd\xef\xbf\xbd end");
}

TEST(AdmissionResponseJsonTest, WritesWhatBoostJsonWouldAndReadsBack) {
  std::vector<AdmissionResponse> cases;
  cases.push_back(FullResponse());
  cases.push_back(RejectInternal("u", "boom"));
  AdmissionResponse a;
  a.uid = "";
  cases.push_back(a);
  a.status.emplace().reason = "only reason";
  cases.push_back(a);
  a.status->details.emplace().retry_after_seconds = -5;
  cases.push_back(a);
  a.status->details->uid = "x";
  cases.push_back(a);
  a.patch = "p";
  cases.push_back(a);
  a.audit_annotations = std::map<std::string, std::string>{{"k\"", "v\n"}};
  cases.push_back(a);
  for (const auto& r : cases) {
    const std::string text = AdmissionResponseJson(r);
    EXPECT_EQ(text, BoostReserialized(text));
    auto back = AdmissionResponseFromJson(J(text));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(AdmissionResponseJson(*back), text);
  }
}

// ---- AdmissionResponseFromJson ----

TEST(AdmissionResponseFromJsonTest, RoundTripsTheFullResponse) {
  auto r = AdmissionResponseFromJson(J(kFullResponseJson));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, FullResponse());
}

TEST(AdmissionResponseFromJsonTest, ReadsAConventionalOpaResponse) {
  auto r = AdmissionResponseFromJson(
      J(R"({"uid":"abc","allowed":false,"status":{"message":"nope"},"extra":1})"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(AdmissionResponseJson(*r),
            R"({"uid":"abc","allowed":false,"status":{"message":"nope"},"auditAnnotations":null,)"
            R"("warnings":null})");
}

TEST(AdmissionResponseFromJsonTest, NullsAreAbsent) {
  auto r = AdmissionResponseFromJson(
      J(R"({"uid":"u","allowed":true,"patchType":null,"patch":null,"auditAnnotations":null,)"
        R"("warnings":null,"status":{"status":null,"message":null,"details":{"causes":null},)"
        R"("code":null}})"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->patch || r->patch_type || r->audit_annotations || r->warnings);
  ASSERT_TRUE(r->status.has_value());
  EXPECT_FALSE(r->status->status || r->status->message || r->status->code);
  ASSERT_TRUE(r->status->details.has_value());
  EXPECT_TRUE(r->status->details->causes.empty());
}

TEST(AdmissionResponseFromJsonTest, RejectsBadShapes) {
  const std::pair<const char*, const char*> kCases[] = {
      {R"([])", "invalid type: sequence, expected struct AdmissionResponse"},
      {R"({"allowed":true})", "missing field `uid`"},
      {R"({"uid":"u"})", "missing field `allowed`"},
      {R"({"uid":1,"allowed":true})", "invalid type: integer `1`, expected a string at `uid`"},
      {R"({"uid":"u","allowed":"yes"})",
       "invalid type: string \"yes\", expected a boolean at `allowed`"},
      {R"({"uid":"u","allowed":true,"patchType":"Merge"})",
       "unknown variant `Merge`, expected `JSONPatch` at `patchType`"},
      {R"({"uid":"u","allowed":true,"patch":[]})",
       "invalid type: sequence, expected a string at `patch`"},
      {R"({"uid":"u","allowed":true,"status":"bad"})",
       "invalid type: string \"bad\", expected struct AdmissionResponseStatus at `status`"},
      {R"({"uid":"u","allowed":true,"status":{"status":"Meh"}})",
       "unknown variant `Meh`, expected `Success` or `Failure` at `status.status`"},
      {R"({"uid":"u","allowed":true,"status":{"code":70000}})",
       "invalid value: integer `70000`, expected u16 at `status.code`"},
      {R"({"uid":"u","allowed":true,"status":{"message":1}})",
       "invalid type: integer `1`, expected a string at `status.message`"},
      {R"({"uid":"u","allowed":true,"status":{"details":[]}})",
       "invalid type: sequence, expected struct StatusDetails at `status.details`"},
      {R"({"uid":"u","allowed":true,"status":{"details":{"causes":{}}}})",
       "invalid type: map, expected a sequence at `status.details.causes`"},
      {R"({"uid":"u","allowed":true,"status":{"details":{"causes":[{},1]}}})",
       "invalid type: integer `1`, expected struct StatusCause at `status.details.causes[1]`"},
      {R"({"uid":"u","allowed":true,"status":{"details":{"causes":[{"field":2}]}}})",
       "invalid type: integer `2`, expected a string at `status.details.causes[0].field`"},
      {R"({"uid":"u","allowed":true,"status":{"details":{"retry_after_seconds":2147483648}}})",
       "invalid value: integer `2147483648`, expected i32 at `status.details.retry_after_seconds`"},
      {R"({"uid":"u","allowed":true,"warnings":[1]})",
       "invalid type: integer `1`, expected a string at `warnings[0]`"},
      {R"({"uid":"u","allowed":true,"auditAnnotations":{"a":false}})",
       "invalid type: boolean `false`, expected a string at `auditAnnotations.a`"},
  };
  for (const auto& [input, expected] : kCases) {
    auto r = AdmissionResponseFromJson(J(input));
    ASSERT_FALSE(r.has_value()) << input;
    EXPECT_EQ(r.error().kind, ErrorKind::kPolicyResponse);
    EXPECT_EQ(r.error().message, expected) << input;
  }
}

// ---- FromPolicyResponse ----

PolicyValidationResponse Policy(std::string_view json) {
  auto r = ParsePolicyValidationResponse(json);
  EXPECT_TRUE(r.has_value()) << json;
  return r ? std::move(*r) : PolicyValidationResponse{};
}

json::array DecodePatch(const AdmissionResponse& r) {
  EXPECT_EQ(r.patch_type, "JSONPatch");
  auto bytes = Base64Decode(*r.patch);
  EXPECT_TRUE(bytes.has_value());
  auto parsed = ParseJson(*bytes);
  EXPECT_TRUE(parsed.has_value());
  return parsed->as_array();
}

TEST(FromPolicyResponseTest, AcceptedWithoutExtras) {
  auto r = FromPolicyResponse("uid-1", Policy(R"({"accepted":true})"), R"({"a":1})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(AdmissionResponseJson(*r),
            R"({"uid":"uid-1","allowed":true,"auditAnnotations":null,"warnings":null})");
}

TEST(FromPolicyResponseTest, StatusWhenMessageOrCodeEvenIfAccepted) {
  auto with_message =
      FromPolicyResponse("u", Policy(R"({"accepted":true,"message":"hi"})"), std::nullopt);
  EXPECT_EQ(AdmissionResponseJson(*with_message),
            R"({"uid":"u","allowed":true,"status":{"message":"hi"},"auditAnnotations":null,)"
            R"("warnings":null})");
  auto with_code = FromPolicyResponse("u", Policy(R"({"accepted":false,"code":418})"), std::nullopt);
  EXPECT_EQ(AdmissionResponseJson(*with_code),
            R"({"uid":"u","allowed":false,"status":{"code":418},"auditAnnotations":null,)"
            R"("warnings":null})");
  auto both =
      FromPolicyResponse("u", Policy(R"({"accepted":false,"code":403,"message":"m"})"), std::nullopt);
  EXPECT_EQ(AdmissionResponseJson(*both),
            R"({"uid":"u","allowed":false,"status":{"message":"m","code":403},)"
            R"("auditAnnotations":null,"warnings":null})");
}

TEST(FromPolicyResponseTest, CopiesWarningsAndAnnotations) {
  auto r = FromPolicyResponse(
      "u", Policy(R"({"accepted":true,"warnings":["w"],"audit_annotations":{"k":"v"}})"), std::nullopt);
  EXPECT_EQ(AdmissionResponseJson(*r),
            R"({"uid":"u","allowed":true,"auditAnnotations":{"k":"v"},"warnings":["w"]})");
}

TEST(FromPolicyResponseTest, MutationBecomesABase64JsonPatch) {
  const json::value original = J(R"({"metadata":{"name":"p","labels":{"a":"1"}},"spec":{}})");
  const json::value mutated =
      J(R"({"metadata":{"name":"p","labels":{"a":"1","b/c":"2"}},"spec":{"x":[1]}})");
  PolicyValidationResponse policy = Policy(R"({"accepted":true,"warnings":["w"]})");
  policy.mutated_object = json::serialize(mutated);
  auto r = FromPolicyResponse("u", std::move(policy), json::serialize(original));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->allowed);
  ASSERT_TRUE(r->patch.has_value());
  const json::array patch = DecodePatch(*r);
  auto applied = ApplyPatch(original, patch);
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(*applied, mutated);
  EXPECT_EQ(r->warnings, std::vector<std::string>{"w"});
  EXPECT_FALSE(r->status.has_value());
  // Key order: patchType before patch.
  const std::string text = AdmissionResponseJson(*r);
  EXPECT_TRUE(text.starts_with(R"({"uid":"u","allowed":true,"patchType":"JSONPatch","patch":")"))
      << text;
}

TEST(FromPolicyResponseTest, IdenticalMutationGivesNoPatch) {
  auto r = FromPolicyResponse("u", Policy(R"({"accepted":true,"mutated_object":{"a":[1,2]}})"),
                              R"({ "a" : [1, 2] })");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->patch.has_value());
  EXPECT_FALSE(r->patch_type.has_value());
}

TEST(FromPolicyResponseTest, MutatingANullObjectIsRejected) {
  for (const std::optional<std::string_view> original :
       {std::optional<std::string_view>(), std::optional<std::string_view>(" null ")}) {
    auto r = FromPolicyResponse(
        "del-1",
        Policy(R"({"accepted":true,"message":"m","code":201,"mutated_object":{"a":1},)"
               R"("warnings":["w"],"audit_annotations":{"k":"v"}})"),
        original);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(AdmissionResponseJson(*r),
              R"({"uid":"del-1","allowed":false,"status":{"message":"Incoming object is null, )"
              R"(which happens only with DELETE operations, but the policy is attempting a )"
              R"(mutation. This is not allowed"},"auditAnnotations":null,"warnings":null})");
  }
}

TEST(FromPolicyResponseTest, RawRequestsDiffAgainstTheWholeRequest) {
  auto r = FromPolicyResponse(
      "", Policy(R"({"accepted":true,"mutated_object":{"user":"alice","action":"drink"}})"),
      R"({"user":"alice","action":"eat"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(json::value(DecodePatch(*r)),
            J(R"([{"op":"replace","path":"/action","value":"drink"}])"));
}

TEST(PolicyResponseTest, FastAndReferencePathsAgree) {
  // simdjson reads most answers; Boost.JSON the ones simdjson refuses. Both must give the same
  // fields, and the last of duplicate keys must count in both.
  const std::string answer =
      R"({"accepted":false,"code":7,"accepted":true,"message":"m","mutated_object":{"a":1.0},)"
      R"("warnings":["x"],"mutated_object":{"b":[2]}})";
  auto fast = ParsePolicyValidationResponse(answer);
  auto reference = PolicyValidationResponseFromJson(J(answer));
  ASSERT_TRUE(fast.has_value() && reference.has_value());
  EXPECT_TRUE(fast->accepted);
  EXPECT_EQ(fast->code, 7);
  EXPECT_EQ(fast->mutated_object, R"({"b":[2]})");
  EXPECT_EQ(fast->mutated_object, reference->mutated_object);
  EXPECT_EQ(fast->message, reference->message);
  EXPECT_EQ(fast->warnings, reference->warnings);
  // Integers beyond 64 bits are refused by simdjson and read by Boost.JSON as floats.
  auto big = ParsePolicyValidationResponse(
      R"({"accepted":true,"mutated_object":{"n":123456789012345678901234567890}})");
  ASSERT_TRUE(big.has_value()) << big.error().message;
  auto diffed = FromPolicyResponse("u", std::move(*big), R"({"n":1})");
  ASSERT_TRUE(diffed.has_value()) << diffed.error().message;
  EXPECT_EQ(DecodePatch(*diffed).at(0).at("value"), json::value(1.2345678901234568e+29));
}

TEST(FromPolicyResponseTest, RejectionsCanStillCarryAPatch) {
  // Upstream computes the patch regardless of `accepted`; the response handler decides later.
  auto r =
      FromPolicyResponse("u", Policy(R"({"accepted":false,"mutated_object":{"a":2}})"), R"({"a":1})");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->allowed);
  EXPECT_TRUE(r->patch.has_value());
}

TEST(RejectInternalTest, Shape) {
  EXPECT_EQ(AdmissionResponseJson(RejectInternal("u", "boom")),
            R"({"uid":"u","allowed":false,"status":{"message":"boom","code":500},)"
            R"("auditAnnotations":null,"warnings":null})");
  EXPECT_EQ(RejectInternal("u", "x", 404).status->code, 404);
}

}  // namespace
}  // namespace kw::admission
