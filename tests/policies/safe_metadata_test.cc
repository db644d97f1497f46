// What kwctl cannot show of safe-labels and safe-annotations (policies/safe-labels/
// safe_metadata.h), compiled natively: their answers to payloads that are not JSON, and to
// settings that `validate` receives without `validate_settings` having vetted them. Everything
// else is in their tests/cases.yaml.
#include "policies/safe-labels/safe_metadata.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace safe_metadata {
namespace {

struct Answer {
  bool accepted = false;
  std::string message;
  std::string code;  // the literal, "" when absent
};

template <const Kind& kKind>
Answer Validate(std::string_view payload) {
  std::string out;
  EXPECT_TRUE(ValidateHandler<kKind>(payload, out)) << out;
  kw::json::Document doc;
  const kw::json::Value* response = doc.Parse(out);
  Answer answer;
  if (response == nullptr) {
    ADD_FAILURE() << "not JSON: " << out;
    return answer;
  }
  answer.accepted = response->GetBool("accepted").value_or(false);
  answer.message = std::string(response->GetString("message").value_or(""));
  const kw::json::Value* code = response->Find("code");
  answer.code = code ? std::string(code->NumberText()) : "";
  return answer;
}

TEST(SafeLabels, PayloadThatIsNotJsonIsRejectedWith400) {
  for (std::string_view payload : {"", "{", "not json", "{\"request\": {}", "[1,]"}) {
    Answer a = Validate<kLabels>(payload);
    EXPECT_FALSE(a.accepted) << payload;
    EXPECT_EQ(a.message, "Not a valid JSON document") << payload;
    EXPECT_EQ(a.code, "400") << payload;
  }
}

// gjson's validity check passes any JSON; what is not an object holds no labels.
TEST(SafeLabels, JsonThatIsNotAnObjectHasNoLabels) {
  for (std::string_view payload : {"[]", "null", "7", " \"text\" "}) {
    EXPECT_TRUE(Validate<kLabels>(payload).accepted) << payload;
  }
}

TEST(SafeAnnotations, PayloadThatDoesNotDecodeIsRejectedWith400AndTheDecoderError) {
  Answer a = Validate<kAnnotations>("{\"request\": ");
  EXPECT_FALSE(a.accepted);
  EXPECT_EQ(a.message, "EOF while parsing a value at line 1 column 12");
  EXPECT_EQ(a.code, "400");
  a = Validate<kAnnotations>("[1]");
  EXPECT_EQ(a.message,
            "json: cannot unmarshal array into Go value of type protocol.ValidationRequest");
  EXPECT_EQ(a.code, "400");
}

TEST(SafeLabels, ValidPayload) {
  Answer a = Validate<kLabels>(
      R"({"request":{"object":{"metadata":{"labels":{"a":"1","b":"x"}}}},"settings":{)"
      R"("denied_labels":["a"],"constrained_labels":{"b":"^\\d$"},"mandatory_labels":["c"]}})");
  EXPECT_FALSE(a.accepted);
  EXPECT_EQ(a.message,
            "The following labels are denied: a. The following labels are violating user "
            "constraints: b. The following mandatory labels are missing: c");
  EXPECT_EQ(a.code, "");
  EXPECT_TRUE(Validate<kLabels>(R"({"request":{"object":null},"settings":{}})").accepted);
}

// validate decodes the settings again; a problem there (which validate_settings would have
// reported) rejects with code 400 and the bare error.
TEST(SafeLabels, SettingsErrorsInValidateAreRejectedWith400) {
  Answer a = Validate<kLabels>(
      R"({"request":{"object":{}},"settings":{"constrained_labels":{"a":"(x"}}})");
  EXPECT_FALSE(a.accepted);
  EXPECT_EQ(a.message, "error parsing regexp: missing closing ): `(x`");
  EXPECT_EQ(a.code, "400");
  a = Validate<kAnnotations>(R"({"request":{"object":{}},"settings":{"denied_annotations":1}})");
  EXPECT_EQ(a.message,
            "json: cannot unmarshal number into Go struct field .denied_annotations of type "
            "[]string");
  EXPECT_EQ(a.code, "400");
}

// gjson, which upstream reads the map with, visits an array's elements under their indexes and
// a scalar once under the empty key.
TEST(SafeLabels, MapsThatAreNotObjects) {
  Answer a =
      Validate<kLabels>(R"({"request":{"object":{"metadata":{"labels":["x","y"]}}},)"
                        R"("settings":{"denied_labels":["1"],"mandatory_labels":["0","2"]}})");
  EXPECT_EQ(a.message,
            "The following labels are denied: 1. The following mandatory labels are missing: 2");
  a = Validate<kLabels>(R"({"request":{"object":{"metadata":{"labels":"x"}}},)"
                        R"("settings":{"constrained_labels":{"":"y"}}})");
  EXPECT_EQ(a.message, "The following labels are violating user constraints: ");
}

// The message of validate_settings, "" when the settings are valid.
std::string SettingsProblem(std::string_view settings) {
  kw::json::Document doc;
  kw::SettingsValidationResponse response = ValidateSettings(*doc.Parse(settings), kLabels);
  std::string out = response.ToJson();
  kw::json::Document answer;
  return std::string(answer.Parse(out)->GetString("message").value_or(""));
}

TEST(SafeLabels, SettingsValidation) {
  const std::string prefix = "Provided settings are not valid: ";
  EXPECT_EQ(SettingsProblem("{}"), "");
  EXPECT_EQ(SettingsProblem("null"), "");
  // A repeated key replaces the pattern: the last one is compiled.
  EXPECT_EQ(SettingsProblem(R"({"constrained_labels":{"a":"x","a":"["}})"),
            prefix + "error parsing regexp: missing closing ]: `[`");
  // A repeated map field adds to the map, null clears it; a repeated list replaces it.
  EXPECT_EQ(SettingsProblem(R"({"constrained_labels":{"a":"["},"constrained_labels":null})"), "");
  EXPECT_EQ(SettingsProblem(R"({"constrained_labels":{"a":"x"},"constrained_labels":{"b":"y"},)"
                            R"("denied_labels":["a","b"]})"),
            prefix + "These labels cannot be constrained and denied at the same time: a,b");
  EXPECT_EQ(
      SettingsProblem(R"({"denied_labels":["a"],"denied_labels":["b"],"mandatory_labels":["a"]})"),
      "");
  EXPECT_EQ(SettingsProblem("[]"),
            prefix + "json: cannot unmarshal array into Go value of type main.Settings");
}

}  // namespace
}  // namespace safe_metadata
