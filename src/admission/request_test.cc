#include "admission/request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kw::admission {
namespace {

json::value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::value();
}

constexpr std::string_view kMinimal = R"({
  "uid": "u1",
  "kind": {"group": "", "version": "v1", "kind": "Pod"},
  "resource": {"group": "", "version": "v1", "resource": "pods"},
  "operation": "CREATE",
  "userInfo": {}
})";

std::vector<std::string> Keys(const json::value& v) {
  std::vector<std::string> keys;
  for (const auto& kv : v.as_object()) keys.emplace_back(kv.key());
  return keys;
}

std::string NormalizeError(std::string_view text) {
  auto result = NormalizeAdmissionRequest(J(text));
  if (result) return "<no error>";
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
  return result.error().message;
}

TEST(NormalizeTest, KeepsAMinimalRequestAsIs) {
  auto result = NormalizeAdmissionRequest(J(kMinimal));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(json::serialize(*result),
            R"({"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("resource":{"group":"","version":"v1","resource":"pods"},)"
            R"("operation":"CREATE","userInfo":{}})");
}

TEST(NormalizeTest, ReordersAllFieldsAndDropsUnknownOnes) {
  // Every known field, listed backwards, with unknown fields at each level.
  const json::value input = J(R"({
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
  })");
  auto result = NormalizeAdmissionRequest(input);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(Keys(*result),
            (std::vector<std::string>{"uid", "kind", "resource", "subResource", "requestKind",
                                      "requestResource", "requestSubResource", "name", "namespace",
                                      "operation", "userInfo", "object", "oldObject", "dryRun",
                                      "options"}));
  EXPECT_EQ(json::serialize(result->at("kind")), R"({"group":"","version":"v1","kind":"Pod"})");
  EXPECT_EQ(json::serialize(result->at("requestResource")),
            R"({"group":"","version":"v1","resource":"pods"})");
  // k8s-openapi's UserInfo order (alphabetical) and sorted `extra` keys.
  EXPECT_EQ(json::serialize(result->at("userInfo")),
            R"({"extra":{"a":["2","3"],"z":["1"]},"groups":["g1","g2"],"uid":"42",)"
            R"("username":"alice"})");
  EXPECT_EQ(result->at("object"), J(R"({"metadata":{"name":"p"},"unknownInsideObjectIsKept":1})"));
  EXPECT_EQ(result->at("dryRun"), json::value(false));
}

TEST(NormalizeTest, NullOptionalsAreOmitted) {
  json::value input = J(kMinimal);
  for (const char* key : {"subResource", "requestKind", "requestResource", "requestSubResource",
                          "name", "namespace", "object", "oldObject", "dryRun", "options"}) {
    input.as_object()[key] = nullptr;
  }
  input.at("userInfo").as_object()["username"] = nullptr;
  input.at("userInfo").as_object()["groups"] = nullptr;
  input.at("userInfo").as_object()["extra"] = nullptr;
  auto result = NormalizeAdmissionRequest(input);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(*result, J(kMinimal));
  EXPECT_EQ(Keys(*result),
            (std::vector<std::string>{"uid", "kind", "resource", "operation", "userInfo"}));
}

TEST(NormalizeTest, RvalueOverloadGivesTheSameResult) {
  const json::value input = J(R"({"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},
    "resource":{"group":"","version":"v1","resource":"pods"},"operation":"DELETE",
    "userInfo":{"username":"u"},"oldObject":{"a":[1,2,3]},"zzz":1})");
  auto by_copy = NormalizeAdmissionRequest(input);
  auto by_move = NormalizeAdmissionRequest(json::value(input));
  ASSERT_TRUE(by_copy.has_value());
  ASSERT_TRUE(by_move.has_value());
  EXPECT_EQ(json::serialize(*by_copy), json::serialize(*by_move));
  EXPECT_EQ(input.at("zzz"), json::value(1));  // the const overload leaves its input alone
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
    auto result = NormalizeAdmissionRequest(input);
    ASSERT_FALSE(result.has_value()) << pointer;
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(result.error().message, expected);
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

TEST(ExtractTest, UnwrapsAnAdmissionReview) {
  const std::string review =
      std::string(R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":)") +
      std::string(kMinimal) + "}";
  auto from_const = ExtractAdmissionRequest(J(review));
  ASSERT_TRUE(from_const.has_value()) << from_const.error().message;
  EXPECT_EQ(*from_const, J(kMinimal));
  auto from_rvalue = ExtractAdmissionRequest(json::value(J(review)));
  ASSERT_TRUE(from_rvalue.has_value());
  EXPECT_EQ(*from_rvalue, J(kMinimal));
}

TEST(ExtractTest, TakesABareRequest) {
  auto result = ExtractAdmissionRequest(J(kMinimal));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(*result, J(kMinimal));
  // `kind` of an AdmissionRequest is an object, never the string "AdmissionReview".
  EXPECT_EQ(result->at("kind").at("kind"), json::value("Pod"));
}

TEST(ExtractTest, ReviewWithoutRequestIsAnError) {
  for (auto result : {ExtractAdmissionRequest(J(R"({"kind":"AdmissionReview"})")),
                      ExtractAdmissionRequest(json::value(J(R"({"kind":"AdmissionReview"})")))}) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message, "AdmissionReview has no `request` field");
  }
}

TEST(ExtractTest, ReviewWithABadRequestReportsTheField) {
  auto result = ExtractAdmissionRequest(J(R"({"kind":"AdmissionReview","request":{"uid":"x"}})"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "missing field `kind`");
}

TEST(ExtractTest, NonObjectBodiesAreErrors) {
  for (const char* body : {"[]", "1", "null", "\"AdmissionReview\""}) {
    auto a = ExtractAdmissionRequest(J(body));
    auto b = ExtractAdmissionRequest(json::value(J(body)));
    ASSERT_FALSE(a.has_value()) << body;
    ASSERT_FALSE(b.has_value()) << body;
    EXPECT_EQ(a.error().message, b.error().message);
    EXPECT_TRUE(a.error().message.starts_with("invalid type:")) << a.error().message;
  }
  EXPECT_EQ(ExtractAdmissionRequest(J("{}")).error().message, "missing field `uid`");
}

TEST(PayloadTest, BuildsTheValidatePayload) {
  EXPECT_EQ(BuildValidatePayload(J(R"({"uid":"u","x":[1,"a\"b"]})"), J(R"({"k":true})")),
            R"({"request":{"uid":"u","x":[1,"a\"b"]},"settings":{"k":true}})");
  EXPECT_EQ(BuildValidatePayload(J("1"), J("{}")), R"({"request":1,"settings":{}})");
}

TEST(PayloadTest, NullSettingsBecomeAnEmptyObject) {
  EXPECT_EQ(BuildValidatePayload(J("null"), J("null")), R"({"request":null,"settings":{}})");
}

TEST(PayloadTest, LargePayloadsAreComplete) {
  json::array items;
  for (int i = 0; i < 20000; ++i) items.emplace_back("item-" + std::to_string(i));
  const json::value request = json::object{{"object", items}, {"s", "\x01\xc3\xa9/"}};
  const std::string payload = BuildValidatePayload(request, J(R"({"a":1})"));
  auto parsed = ParseJson(payload);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->at("request"), request);
  EXPECT_EQ(payload, "{\"request\":" + json::serialize(request) + ",\"settings\":{\"a\":1}}");
}

TEST(RequestUidTest, ReadsTheUid) {
  EXPECT_EQ(RequestUid(RequestKind::kAdmission, J(kMinimal)), "u1");
  EXPECT_EQ(RequestUid(RequestKind::kRaw, J(R"({"uid":"raw-1","x":1})")), "raw-1");
  EXPECT_EQ(RequestUid(RequestKind::kRaw, J(R"({"uid":7})")), "");
  EXPECT_EQ(RequestUid(RequestKind::kRaw, J(R"({"x":1})")), "");
  EXPECT_EQ(RequestUid(RequestKind::kRaw, J(R"(["uid"])")), "");
}

TEST(OriginalObjectTest, AdmissionUsesObjectRawUsesEverything) {
  const json::value with_object = J(R"({"uid":"u","object":{"a":1}})");
  const json::value raw = J(R"({"a":1})");
  ASSERT_NE(OriginalObject(RequestKind::kAdmission, with_object), nullptr);
  EXPECT_EQ(*OriginalObject(RequestKind::kAdmission, with_object), J(R"({"a":1})"));
  EXPECT_EQ(OriginalObject(RequestKind::kAdmission, J(kMinimal)), nullptr);
  EXPECT_EQ(OriginalObject(RequestKind::kRaw, raw), &raw);
}

TEST(RequestNamespaceTest, OnlyForAdmissionRequests) {
  const json::value with_ns = J(R"({"namespace":"kube-system"})");
  EXPECT_EQ(RequestNamespace(RequestKind::kAdmission, with_ns), "kube-system");
  EXPECT_EQ(RequestNamespace(RequestKind::kRaw, with_ns), std::nullopt);
  EXPECT_EQ(RequestNamespace(RequestKind::kAdmission, J(kMinimal)), std::nullopt);
}

}  // namespace
}  // namespace kw::admission
