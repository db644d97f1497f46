#include "admission/request.h"
#include "testing/json.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace kw::admission {
namespace {

using testing::J;

constexpr std::string_view kMinimal = R"({
  "uid": "u1",
  "kind": {"group": "", "version": "v1", "kind": "Pod"},
  "resource": {"group": "", "version": "v1", "resource": "pods"},
  "operation": "CREATE",
  "userInfo": {}
})";

constexpr std::string_view kMinimalCompact =
    R"({"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},)"
    R"("resource":{"group":"","version":"v1","resource":"pods"},)"
    R"("operation":"CREATE","userInfo":{}})";

// kMinimal with `members` (text such as `"name":"p"`) added at the end.
std::string MinimalWith(std::string_view members) {
  std::string text(kMinimal);
  text.insert(text.rfind('}'), std::string(",") + std::string(members));
  return text;
}

std::string Review(std::string_view request) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":)" +
         std::string(request) + "}";
}

// The normalized text of an AdmissionRequest, through policy-server's entry point.
std::string Normalized(std::string_view request) {
  auto result = ParseAdmissionReview(Review(request));
  if (!result) return "<error: " + result.error().message + ">";
  return std::string(result->json());
}

std::string NormalizeError(std::string_view request) {
  auto result = ParseAdmissionReview(Review(request));
  if (result) return "<no error>";
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
  return result.error().message;
}

bool IsSyntaxError(const Result<ValidationRequest>& result) {
  return !result && result.error().kind == ErrorKind::kSyntax &&
         result.error().message.starts_with(kInvalidJsonPrefix);
}

// ---------------------------------------------------------------------------------------------
// Normalization.

TEST(NormalizeTest, KeepsAMinimalRequestAsIs) {
  auto result = ParseAdmissionReview(Review(kMinimal));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->kind(), RequestKind::kAdmission);
  EXPECT_EQ(result->json(), kMinimalCompact);
  EXPECT_EQ(result->uid(), "u1");
  EXPECT_EQ(result->namespace_name(), std::nullopt);
}

TEST(NormalizeTest, ReordersAllFieldsAndDropsUnknownOnes) {
  // Every known field, listed backwards, with unknown fields at each level. The free-form
  // values keep their exact text, spaces included.
  const std::string input = R"({
    "extra1": 1,
    "options": {"kind": "CreateOptions"},
    "dryRun": false,
    "oldObject": {"old": true},
    "object": {"metadata": {"name": "p"}, "unknownInsideObjectIsKept": 1},
    "userInfo": {"username": "alice", "uid": "42", "groups": ["g1", "g2"],
                 "extra": {"z": ["1"], "a": ["2", "3"]}, "bogus": "dropped"},
    "operation": "UPDATE",
    "namespace": "ns",
    "name": "p",
    "requestSubResource": "status",
    "requestResource": {"resource": "pods", "version": "v1", "group": "", "x": 1},
    "requestKind": {"kind": "Pod", "version": "v1", "group": ""},
    "subResource": "status",
    "resource": {"resource": "pods", "version": "v1", "group": ""},
    "kind": {"kind": "Pod", "version": "v1", "group": "", "extraKey": "dropped"},
    "uid": "u2",
    "extra2": [1, 2]
  })";
  EXPECT_EQ(Normalized(input),
            R"({"uid":"u2","kind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("resource":{"group":"","version":"v1","resource":"pods"},"subResource":"status",)"
            R"("requestKind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("requestResource":{"group":"","version":"v1","resource":"pods"},)"
            R"("requestSubResource":"status","name":"p","namespace":"ns","operation":"UPDATE",)"
            // k8s-openapi's UserInfo order (alphabetical) and sorted `extra` keys.
            R"("userInfo":{"extra":{"a":["2","3"],"z":["1"]},"groups":["g1","g2"],"uid":"42",)"
            R"("username":"alice"},)"
            R"("object":{"metadata": {"name": "p"}, "unknownInsideObjectIsKept": 1},)"
            R"("oldObject":{"old": true},"dryRun":false,"options":{"kind": "CreateOptions"}})");
  auto result = ParseAdmissionReview(Review(input));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->uid(), "u2");
  EXPECT_EQ(result->namespace_name(), "ns");
}

TEST(NormalizeTest, KeepsRequestKindAndOperationForMetrics) {
  // requestKind.kind (not kind.kind), unescaped...
  auto result = ParseAdmissionReview(Review(MinimalWith(
      R"("requestKind":{"group":"autoscaling","version":"v1","kind":"Scale\u0021"})")));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->resource_kind(), "Scale!");
  EXPECT_EQ(result->operation(), "CREATE");
  // ...and "" when requestKind is absent.
  auto minimal = ParseAdmissionReview(Review(kMinimal));
  ASSERT_TRUE(minimal.has_value());
  EXPECT_EQ(minimal->resource_kind(), "");
  auto raw = ParseRawReview(R"({"request":{"operation":"CREATE"}})");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->resource_kind(), "");
  EXPECT_EQ(raw->operation(), "");
}

TEST(NormalizeTest, NullOptionalsAreOmitted) {
  json::value input = J(kMinimal);
  for (const char* key : {"subResource", "requestKind", "requestResource", "requestSubResource",
                          "name", "namespace", "object", "oldObject", "dryRun", "options"}) {
    input.as_object()[key] = nullptr;
  }
  input.at("userInfo").as_object()["username"] = nullptr;
  input.at("userInfo").as_object()["uid"] = nullptr;
  input.at("userInfo").as_object()["groups"] = nullptr;
  input.at("userInfo").as_object()["extra"] = nullptr;
  EXPECT_EQ(Normalized(json::serialize(input)), kMinimalCompact);
  auto result = ParseAdmissionReview(Review(json::serialize(input)));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->namespace_name(), std::nullopt);
  EXPECT_EQ(result->OriginalObject(), json::value());
}

TEST(NormalizeTest, KwctlRefusesTwoKindsAtTheTop) {
  // One says review, the other request: which one wins would decide what is evaluated.
  const std::string request = MinimalWith(R"("object":{"a":1})");
  const std::string both =
      R"({"kind":"AdmissionReview",)" + request.substr(1, request.size() - 2) +
      R"(,"request":)" + request + "}";
  auto parsed = ParseKwctlRequest(both, /*raw=*/false);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message, "duplicate field `kind`");
}

TEST(NormalizeTest, EveryEntryPointGivesTheSameResult) {
  const std::string request = MinimalWith(R"("oldObject":{"a":[1,2,3]},"zzz":1)");
  auto from_review = ParseAdmissionReview(Review(request));
  auto from_kwctl_review = ParseKwctlRequest(Review(request), /*raw=*/false);
  auto from_kwctl_request = ParseKwctlRequest(request, /*raw=*/false);
  ASSERT_TRUE(from_review.has_value()) << from_review.error().message;
  ASSERT_TRUE(from_kwctl_review.has_value()) << from_kwctl_review.error().message;
  ASSERT_TRUE(from_kwctl_request.has_value()) << from_kwctl_request.error().message;
  EXPECT_EQ(from_review->json(), from_kwctl_review->json());
  EXPECT_EQ(from_review->json(), from_kwctl_request->json());
  json::value expected = J(request);
  expected.as_object().erase("zzz");
  EXPECT_EQ(J(from_review->json()), expected);
}

TEST(NormalizeTest, ReportsEveryMissingRequiredField) {
  const std::pair<const char*, const char*> kCases[] = {
      {"/uid", "missing field `uid`"},
      {"/kind", "missing field `kind`"},
      {"/kind/group", "missing field `kind.group`"},
      {"/kind/version", "missing field `kind.version`"},
      {"/kind/kind", "missing field `kind.kind`"},
      {"/resource", "missing field `resource`"},
      {"/resource/group", "missing field `resource.group`"},
      {"/resource/version", "missing field `resource.version`"},
      {"/resource/resource", "missing field `resource.resource`"},
      {"/operation", "missing field `operation`"},
      {"/userInfo", "missing field `userInfo`"},
  };
  for (const auto& [pointer, expected] : kCases) {
    json::value input = J(kMinimal);
    std::string_view p = pointer;
    const auto slash = p.rfind('/');
    boost::system::error_code ec;
    json::value* parent = slash == 0 ? &input : input.find_pointer(p.substr(0, slash), ec);
    ASSERT_NE(parent, nullptr) << pointer;
    parent->as_object().erase(p.substr(slash + 1));
    EXPECT_EQ(NormalizeError(json::serialize(input)), expected) << pointer;
  }
}

TEST(NormalizeTest, ReportsMistypedFields) {
  const std::pair<const char*, const char*> kCases[] = {
      {R"({"uid": 5})", "invalid type: integer `5`, expected a string at `uid`"},
      {R"({"uid": null})", "invalid type: null, expected a string at `uid`"},
      {R"({"kind": "Pod"})",
       "invalid type: string \"Pod\", expected struct GroupVersionKind at `kind`"},
      {R"({"kind": null})", "invalid type: null, expected struct GroupVersionKind at `kind`"},
      {R"({"kind": {"group": "", "version": 1, "kind": "Pod"}})",
       "invalid type: integer `1`, expected a string at `kind.version`"},
      {R"({"resource": []})",
       "invalid type: sequence, expected struct GroupVersionResource at `resource`"},
      {R"({"resource": {"group": "", "version": "v1", "resource": true}})",
       "invalid type: boolean `true`, expected a string at `resource.resource`"},
      {R"({"requestKind": 1.5})",
       "invalid type: floating point `1.5`, expected struct GroupVersionKind at `requestKind`"},
      {R"({"requestKind": 18446744073709551615})",
       "invalid type: integer `18446744073709551615`, expected struct GroupVersionKind at "
       "`requestKind`"},
      {R"({"requestKind": -3})",
       "invalid type: integer `-3`, expected struct GroupVersionKind at `requestKind`"},
      {R"({"requestResource": {"group": ""}})", "missing field `requestResource.version`"},
      {R"({"subResource": 1})", "invalid type: integer `1`, expected a string at `subResource`"},
      {R"({"requestSubResource": {}})",
       "invalid type: map, expected a string at `requestSubResource`"},
      {R"({"name": false})", "invalid type: boolean `false`, expected a string at `name`"},
      {R"({"namespace": []})", "invalid type: sequence, expected a string at `namespace`"},
      {R"({"operation": ["CREATE"]})", "invalid type: sequence, expected a string at `operation`"},
      {R"({"userInfo": "me"})",
       "invalid type: string \"me\", expected struct UserInfo at `userInfo`"},
      {R"({"userInfo": {"username": 1}})",
       "invalid type: integer `1`, expected a string at `userInfo.username`"},
      {R"({"userInfo": {"uid": {}}})", "invalid type: map, expected a string at `userInfo.uid`"},
      {R"({"userInfo": {"groups": "g"}})",
       "invalid type: string \"g\", expected a sequence at `userInfo.groups`"},
      {R"({"userInfo": {"groups": ["g", 2]}})",
       "invalid type: integer `2`, expected a string at `userInfo.groups[1]`"},
      {R"({"userInfo": {"extra": []}})",
       "invalid type: sequence, expected a map at `userInfo.extra`"},
      {R"({"userInfo": {"extra": {"k": "v"}}})",
       "invalid type: string \"v\", expected a sequence at `userInfo.extra.k`"},
      {R"({"userInfo": {"extra": {"k": [null]}}})",
       "invalid type: null, expected a string at `userInfo.extra.k[0]`"},
      {R"({"dryRun": "true"})", "invalid type: string \"true\", expected a boolean at `dryRun`"},
  };
  for (const auto& [patch, expected] : kCases) {
    json::value input = J(kMinimal);
    const json::value fields = J(patch);
    for (const auto& kv : fields.as_object()) {
      if (kv.value().is_object() && kv.key() == "userInfo") {
        for (const auto& inner : kv.value().as_object()) {
          input.at("userInfo").as_object()[inner.key()] = inner.value();
        }
      } else {
        input.as_object()[kv.key()] = kv.value();
      }
    }
    EXPECT_EQ(NormalizeError(json::serialize(input)), expected) << patch;
  }
}

TEST(NormalizeTest, RejectsNonObjects) {
  EXPECT_EQ(NormalizeError("[]"), "invalid type: sequence, expected struct AdmissionRequest");
  EXPECT_EQ(NormalizeError("null"), "invalid type: null, expected struct AdmissionRequest");
  EXPECT_EQ(NormalizeError("\"x\""),
            "invalid type: string \"x\", expected struct AdmissionRequest");
}

TEST(NormalizeTest, TruncatesHugeStringsInErrors) {
  const std::string huge(100000, 'x');
  json::value input = J(kMinimal);
  input.as_object()["operation"] = json::array{json::string(huge)};
  input.as_object()["uid"] = json::string(huge);
  input.as_object()["kind"] = json::string(huge);
  const std::string message = NormalizeError(json::serialize(input));
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_NE(message.find("...\""), std::string::npos) << message;
}

TEST(NormalizeTest, DuplicateFieldsAreErrorsLikeSerdeStructs) {
  EXPECT_EQ(NormalizeError(MinimalWith(R"("uid":"again")")), "duplicate field `uid`");
  EXPECT_EQ(NormalizeError(MinimalWith(R"("object":{},"object":{})")),
            "duplicate field `object`");
  // Even when the first one is null (serde counts it as given).
  EXPECT_EQ(NormalizeError(MinimalWith(R"("name":null,"name":"n")")), "duplicate field `name`");
  EXPECT_EQ(NormalizeError(MinimalWith(
                R"("requestKind":{"group":"","group":"","version":"v1","kind":"Pod"})")),
            "duplicate field `requestKind.group`");
  // Unknown fields may repeat: they are ignored.
  EXPECT_EQ(Normalized(MinimalWith(R"("x":1,"x":2)")), kMinimalCompact);
  auto review = ParseAdmissionReview(R"({"request":{},"request":{}})");
  ASSERT_FALSE(review.has_value());
  EXPECT_EQ(review.error().message, "duplicate field `request`");
}

TEST(NormalizeTest, UserInfoDuplicatesLastOneWinsLikeK8sOpenapi) {
  const std::string request(R"({"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},)"
                            R"("resource":{"group":"","version":"v1","resource":"pods"},)"
                            R"("operation":"CREATE","userInfo":{"username":"a","username":"b",)"
                            R"("extra":{"k":["1"],"j":[],"k":["2"]}}})");
  EXPECT_EQ(Normalized(request),
            R"({"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("resource":{"group":"","version":"v1","resource":"pods"},)"
            R"("operation":"CREATE","userInfo":{"extra":{"j":[],"k":["2"]},"username":"b"}})");
  // Every entry is still type-checked, the overwritten ones too.
  std::string overwritten(kMinimal);
  overwritten.replace(overwritten.find("{}"), 2, R"({"extra":{"k":[1],"k":["2"]}})");
  EXPECT_EQ(NormalizeError(overwritten),
            "invalid type: integer `1`, expected a string at `userInfo.extra.k[0]`");
}

TEST(NormalizeTest, EmptyUserInfoMembersStayWellFormed) {
  const std::string request(kMinimal);
  const std::size_t at = request.find("{}");
  EXPECT_NE(Normalized(std::string(request).replace(at, 2, R"({"extra":{}})"))
                .find(R"("userInfo":{"extra":{}})"),
            std::string::npos);
  EXPECT_NE(Normalized(std::string(request).replace(at, 2, R"({"groups":[]})"))
                .find(R"("userInfo":{"groups":[]})"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The text of `object`, `oldObject` and `options`.

TEST(RawTextTest, PrettyPrintedInputGivesCompactStructuredFields) {
  const std::string pretty = R"(

  {
    "apiVersion" : "admission.k8s.io/v1" ,
    "kind"       : "AdmissionReview",
    "request"    :
    {
      "uid"       :  "u1" ,
      "kind"      :  { "group" : "" , "version" : "v1" , "kind" : "Pod" } ,
      "resource"  :  { "group" : "" , "version" : "v1" , "resource" : "pods" } ,
      "operation" :  "CREATE" ,
      "userInfo"  :  { "groups" : [ "a" , "b" ] } ,
      "object"    :  {
        "spec" : { "containers" : [ ] }
      }	,
      "dryRun"    :  true
    }
  }

)";
  auto result = ParseAdmissionReview(pretty);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->json(),
            R"({"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",)"
            R"("userInfo":{"groups":["a","b"]},"object":{)"
            "\n        \"spec\" : { \"containers\" : [ ] }\n      }"
            R"(,"dryRun":true})");
  EXPECT_EQ(result->OriginalObject(), J(R"({"spec":{"containers":[]}})"));
}

TEST(RawTextTest, EscapesAndNestingInsideObjectAreCopiedExactly) {
  // Quotes, backslash runs of every parity, brackets and braces inside strings, nested empty
  // containers, keys that need escaping.
  const std::string object =
      R"({"a":"x\"}]\\","b":[[1,[2,{"c":"]"}]],[],{}],"d\"":"\\\\\"","e":"\\","f":{"g":[{}]},)"
      R"("h":"{\"i\":[\"]\"]}","\\":"\/","t":true,"n":null})";
  auto result = ParseKwctlRequest(MinimalWith(R"("object":)" + object + R"(,"oldObject":"\\")"),
                                  /*raw=*/false);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const std::string json(result->json());
  EXPECT_NE(json.find(R"("object":)" + object + R"(,"oldObject":"\\"})"), std::string::npos)
      << json;
  EXPECT_EQ(result->OriginalObject(), J(object));
}

TEST(RawTextTest, UnicodeEscapes) {
  // Structured fields are re-serialized (escapes decoded, as serde_json would print them);
  // `object` keeps the escapes as written. An escaped key is still the key it spells.
  const std::string request =
      R"({"uid":"\u00e9\ud83d\ude00\u0000","kind":{"group":"","version":"v1","kind":"Pod"},)"
      R"("resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",)"
      R"("userInfo":{},"\u006fbject":{"s":"\u00e9\ud83d\ude00 caf\u00E9"}})";
  auto result = ParseKwctlRequest(request, /*raw=*/false);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->uid(), std::string("\xc3\xa9\xf0\x9f\x98\x80\0", 7));
  const std::string json(result->json());
  EXPECT_TRUE(json.starts_with("{\"uid\":\"\xc3\xa9\xf0\x9f\x98\x80\\u0000\"")) << json;
  EXPECT_TRUE(json.ends_with(R"("object":{"s":"\u00e9\ud83d\ude00 caf\u00E9"}})")) << json;
  EXPECT_EQ(result->OriginalObject()->at("s"),
            json::value("\xc3\xa9\xf0\x9f\x98\x80 caf\xc3\xa9"));
  // A lone surrogate is not a character.
  EXPECT_TRUE(IsSyntaxError(ParseKwctlRequest(R"({"uid":"\ud800"})", false)));
}

TEST(RawTextTest, NumbersPassThroughVerbatim) {
  const std::string object =
      R"({"big":12345678901234567890,"neg":-9223372036854775808,"z":-0,"e":1.0E+2,)"
      R"("long":0.1000000000000000055511151231257827021181583404541015625,)"
      R"("max":1.7976931348623157e308,)"
      R"("tiny":5e-324,"under":1e-400})";
  auto result = ParseKwctlRequest(MinimalWith(R"("object":)" + object), /*raw=*/false);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(std::string(result->json()).ends_with(R"("object":)" + object + "}"));
  auto raw = ParseRawReview(R"({"request":12345678901234567890})");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->json(), "12345678901234567890");
}

TEST(RawTextTest, NumbersOutOfRangeAreSyntaxErrors) {
  // simdjson refuses numbers it cannot represent: beyond a double (serde_json refuses those
  // too), and integers beyond 64 bits (which serde_json would read as a double).
  for (const char* number :
       {"1e400", "-1e400", "123456789012345678901234", "18446744073709551616"}) {
    auto result = ParseKwctlRequest(MinimalWith(std::string(R"("object":{"n":)") + number + "}"),
                                    /*raw=*/false);
    EXPECT_TRUE(IsSyntaxError(result)) << number;
  }
}

// ---------------------------------------------------------------------------------------------
// Bad and hostile input.

TEST(BadInputTest, SyntaxErrorsAreTellableFromSchemaErrors) {
  for (const std::string& body :
       {std::string(""), std::string("   "), std::string("{"), std::string(R"({"request":})"),
        std::string(R"({"request":{}} x)"), std::string(R"({"request":{}}})"),
        std::string(R"({"request":{},})"), std::string("{'request':{}}"),
        std::string(R"({"request":[1,]})"), std::string(R"({"request":"a)"),
        std::string(R"({"request":tru})"), std::string(R"({"request":01})"),
        std::string(R"({"request":"tab	inside"})"), std::string("{\"request\":{}}\0", 15)}) {
    for (auto result : {ParseAdmissionReview(body), ParseRawReview(body),
                        ParseKwctlRequest(body, false), ParseKwctlRequest(body, true)}) {
      ASSERT_FALSE(result.has_value()) << body;
      EXPECT_EQ(result.error().kind, ErrorKind::kSyntax);
      EXPECT_TRUE(result.error().message.starts_with(kInvalidJsonPrefix))
          << body << ": " << result.error().message;
      EXPECT_GT(result.error().message.size(), kInvalidJsonPrefix.size());
    }
  }
  // Trailing whitespace is fine; a schema error does not carry the prefix.
  auto schema = ParseAdmissionReview("{\"request\":{}}\n\t ");
  ASSERT_FALSE(schema.has_value());
  EXPECT_EQ(schema.error().message, "missing field `uid`");
}

TEST(BadInputTest, InvalidUtf8IsRejected) {
  for (const char* bytes : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    const std::string in_object = MinimalWith(std::string(R"("object":{"s":")") + bytes + "\"}");
    EXPECT_TRUE(IsSyntaxError(ParseKwctlRequest(in_object, false))) << in_object;
    EXPECT_TRUE(IsSyntaxError(ParseRawReview(std::string(R"({"request":")") + bytes + "\"}")));
  }
}

std::string Nested(std::size_t depth) {
  return std::string(depth, '[') + "1" + std::string(depth, ']');
}

TEST(BadInputTest, DeepNestingIsBounded) {
  // The body counts: {"request": ...} adds one level.
  auto at_limit = ParseRawReview(R"({"request":)" + Nested(kMaxJsonDepth - 1) + "}");
  ASSERT_TRUE(at_limit.has_value()) << at_limit.error().message;
  EXPECT_TRUE(at_limit->OriginalObject().has_value());
  EXPECT_TRUE(IsSyntaxError(ParseRawReview(R"({"request":)" + Nested(kMaxJsonDepth) + "}")));
  auto raw_at_limit = ParseKwctlRequest(Nested(kMaxJsonDepth), true);
  ASSERT_TRUE(raw_at_limit.has_value()) << raw_at_limit.error().message;
  EXPECT_TRUE(raw_at_limit->OriginalObject().has_value());
  // The same once the per-thread parser has grown for a larger body.
  const std::string pad = R"({"pad":")" + std::string(100000, 'x') + R"(","request":)";
  EXPECT_TRUE(ParseRawReview(pad + Nested(kMaxJsonDepth - 1) + "}").has_value());
  EXPECT_TRUE(IsSyntaxError(ParseRawReview(pad + Nested(kMaxJsonDepth) + "}")));
  // Far beyond: an error, not a crash.
  for (const std::size_t depth : {std::size_t{100000}, std::size_t{2000000}}) {
    EXPECT_TRUE(IsSyntaxError(ParseKwctlRequest(MinimalWith(R"("object":)" + Nested(depth)),
                                                false)));
    EXPECT_TRUE(IsSyntaxError(ParseKwctlRequest(std::string(depth, '['), true)));
    EXPECT_TRUE(IsSyntaxError(ParseKwctlRequest(std::string(depth, '{'), true)));
  }
}

TEST(BadInputTest, BodiesBeyondTheParsersCapacityAreRefusedWithoutBeingRead) {
  // 4 GiB of address space, never touched: the size alone decides.
  const std::size_t size = (std::size_t{1} << 32) + 1;
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  const std::string_view huge(static_cast<const char*>(p), size);
  EXPECT_TRUE(IsSyntaxError(ParseAdmissionReview(huge)));
  EXPECT_TRUE(IsSyntaxError(ParseKwctlRequest(huge, true)));
  munmap(p, size);
}

TEST(BadInputTest, LargeBodiesThenSmallOnes) {
  // Above the size the per-thread parser is kept for, then below it again.
  std::string items;
  for (int i = 0; i < 100000; ++i) items += (i ? "," : "") + std::string(R"({"i":)") +
                                            std::to_string(i) + R"(,"s":"x\"y"})";
  const std::string object = "{\"items\":[" + items + "]}";
  ASSERT_GT(object.size(), 1024u * 1024);
  auto large = ParseKwctlRequest(MinimalWith(R"("object":)" + object), false);
  ASSERT_TRUE(large.has_value()) << large.error().message;
  EXPECT_TRUE(std::string(large->json()).ends_with(R"("object":)" + object + "}"));
  auto small = ParseAdmissionReview(Review(kMinimal));
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(small->json(), kMinimalCompact);
}

TEST(BadInputTest, ParsesConcurrently) {
  const std::string body = Review(MinimalWith(R"("object":{"a":[1,2,{"b":"c"}]})"));
  const std::string expected(ParseAdmissionReview(body).value().json());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto r = ParseAdmissionReview(body);
        if (!r || r->json() != expected) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, 0);
}

// ---------------------------------------------------------------------------------------------
// Review wrappers and kwctl files.

TEST(ReviewTest, ApiVersionAndKindAreIgnored) {
  auto result = ParseAdmissionReview(R"({"kind":5,"apiVersion":[],"request":)" +
                                     std::string(kMinimal) + "}");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->json(), kMinimalCompact);
}

TEST(ReviewTest, RequestIsRequired) {
  for (const char* body : {"{}", R"({"kind":"AdmissionReview"})"}) {
    auto review = ParseAdmissionReview(body);
    ASSERT_FALSE(review.has_value());
    EXPECT_EQ(review.error().message, "missing field `request`");
    auto raw = ParseRawReview(body);
    ASSERT_FALSE(raw.has_value());
    EXPECT_EQ(raw.error().message, "missing field `request`");
  }
  EXPECT_EQ(ParseAdmissionReview("[]").error().message,
            "invalid type: sequence, expected struct AdmissionReviewRequest");
  EXPECT_EQ(ParseRawReview("1").error().message,
            "invalid type: integer `1`, expected struct RawReviewRequest");
  EXPECT_EQ(ParseAdmissionReview(R"({"request":null})").error().message,
            "invalid type: null, expected struct AdmissionRequest");
}

TEST(ReviewTest, RawRequestsAreVerbatim) {
  auto result =
      ParseRawReview(R"({ "request" : {"uid": "r-1", "x": [1, 2.50, "\u00e9"]} , "y":1})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->kind(), RequestKind::kRaw);
  EXPECT_EQ(result->json(), R"({"uid": "r-1", "x": [1, 2.50, "\u00e9"]})");
  EXPECT_EQ(result->uid(), "r-1");
  EXPECT_EQ(result->namespace_name(), std::nullopt);
  EXPECT_EQ(result->OriginalObject(), J(R"({"uid":"r-1","x":[1,2.5,"\u00e9"]})"));

  auto null_request = ParseRawReview(R"({"request":null})");
  ASSERT_TRUE(null_request.has_value());
  EXPECT_EQ(null_request->json(), "null");
  EXPECT_EQ(null_request->OriginalObject(), json::value());
}

TEST(ReviewTest, RawUidIsTheStringUidOrEmpty) {
  const std::pair<const char*, const char*> kCases[] = {
      {R"({"uid":"raw-1","x":1})", "raw-1"}, {R"({"uid":7})", ""},
      {R"({"x":1})", ""},                    {R"(["uid"])", ""},
      {R"("uid")", ""},                      {R"({"uid":"\u0041"})", "A"},
  };
  for (const auto& [request, uid] : kCases) {
    auto result = ParseRawReview(R"({"request":)" + std::string(request) + "}");
    ASSERT_TRUE(result.has_value()) << request;
    EXPECT_EQ(result->uid(), uid) << request;
    auto kwctl = ParseKwctlRequest(request, /*raw=*/true);
    ASSERT_TRUE(kwctl.has_value()) << request;
    EXPECT_EQ(kwctl->uid(), uid) << request;
  }
}

TEST(KwctlTest, RawFileIsTheWholeValueWithoutSurroundingSpace) {
  auto result = ParseKwctlRequest("\n  {\"a\" : [1, 2]}\n\n", /*raw=*/true);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->kind(), RequestKind::kRaw);
  EXPECT_EQ(result->json(), R"({"a" : [1, 2]})");
  auto scalar = ParseKwctlRequest(" 42 ", /*raw=*/true);
  ASSERT_TRUE(scalar.has_value());
  EXPECT_EQ(scalar->json(), "42");
}

TEST(KwctlTest, UnwrapsAnAdmissionReview) {
  auto result = ParseKwctlRequest(Review(kMinimal), /*raw=*/false);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->json(), kMinimalCompact);
}

TEST(KwctlTest, TakesABareRequest) {
  // `kind` of an AdmissionRequest is an object, never the string "AdmissionReview".
  auto result = ParseKwctlRequest(kMinimal, /*raw=*/false);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->json(), kMinimalCompact);
}

TEST(KwctlTest, ReviewWithoutRequestIsAnError) {
  auto result = ParseKwctlRequest(R"({"kind":"AdmissionReview"})", false);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "AdmissionReview has no `request` field");
}

TEST(KwctlTest, ReviewWithABadRequestReportsTheField) {
  auto result = ParseKwctlRequest(R"({"kind":"AdmissionReview","request":{"uid":"x"}})", false);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "missing field `kind`");
}

TEST(KwctlTest, NonObjectBodiesAreErrors) {
  for (const char* body : {"[]", "1", "null", "\"AdmissionReview\""}) {
    auto result = ParseKwctlRequest(body, false);
    ASSERT_FALSE(result.has_value()) << body;
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(result.error().message.starts_with("invalid type:")) << result.error().message;
    EXPECT_NE(result.error().message.find("expected an AdmissionReview or AdmissionRequest object"),
              std::string::npos);
  }
  EXPECT_EQ(ParseKwctlRequest("{}", false).error().message, "missing field `uid`");
}

// ---------------------------------------------------------------------------------------------
// Payload and accessors.

TEST(PayloadTest, BuildsTheValidatePayload) {
  auto request = ParseRawReview(R"({"request":{"uid":"u","x":[1,"a\"b"]}})").value();
  EXPECT_EQ(BuildValidatePayload(request, SerializeSettings(J(R"({"k":true})"))),
            R"({"request":{"uid":"u","x":[1,"a\"b"]},"settings":{"k":true}})");
  EXPECT_EQ(BuildValidatePayload(ParseRawReview(R"({"request":1})").value(), "{}"),
            R"({"request":1,"settings":{}})");
  EXPECT_EQ(BuildValidatePayload(ValidationRequest(), "{}"), R"({"request":null,"settings":{}})");
}

TEST(PayloadTest, NullSettingsBecomeAnEmptyObject) {
  EXPECT_EQ(SerializeSettings(json::value()), "{}");
  EXPECT_EQ(SerializeSettings(J(R"({"a":[1,"\u0001"]})")), R"({"a":[1,"\u0001"]})");
}

TEST(PayloadTest, LargePayloadsAreComplete) {
  json::array items;
  for (int i = 0; i < 20000; ++i) items.emplace_back("item-" + std::to_string(i));
  json::value request = J(kMinimal);
  request.as_object()["object"] = json::object{{"items", items}, {"s", "\x01\xc3\xa9/"}};
  auto parsed = ParseKwctlRequest(json::serialize(request), false);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const std::string payload = BuildValidatePayload(*parsed, R"({"a":1})");
  EXPECT_EQ(J(payload), J(R"({"request":)" + json::serialize(request) + R"(,"settings":{"a":1}})"));
}

TEST(OriginalObjectTest, AdmissionUsesObjectRawUsesEverything) {
  auto with_object = ParseKwctlRequest(MinimalWith(R"("object":{"a":1},"oldObject":{"b":2})"),
                                       false);
  ASSERT_TRUE(with_object.has_value());
  EXPECT_EQ(with_object->OriginalObject(), J(R"({"a":1})"));
  auto without = ParseKwctlRequest(MinimalWith(R"("oldObject":{"b":2})"), false);
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->OriginalObject(), json::value());
  auto raw = ParseKwctlRequest(R"({"a":1})", true);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->OriginalObject(), J(R"({"a":1})"));
  EXPECT_EQ(ValidationRequest().OriginalObject(), json::value());
}

TEST(RequestNamespaceTest, OnlyForAdmissionRequests) {
  auto with_ns = ParseKwctlRequest(MinimalWith(R"("namespace":"kube-system")"), false);
  ASSERT_TRUE(with_ns.has_value());
  EXPECT_EQ(with_ns->namespace_name(), "kube-system");
  auto raw = ParseKwctlRequest(R"({"namespace":"kube-system"})", true);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->namespace_name(), std::nullopt);
}

}  // namespace
}  // namespace kw::admission
