#include "runtime/opa/rego_value.h"

#include <string>

#include <gtest/gtest.h>

#include "runtime/opa/builtins.h"

namespace kw::runtime::opa {
namespace {

// The value parsed and written back as opa_value_parse reads it, or "error: <message>".
std::string RoundTrip(std::string_view text) {
  auto value = ParseRegoValue(text);
  if (!value) return "error: " + value.error().message;
  return RegoValueText(*value);
}

TEST(RegoValue, ParsesWhatOpaValueDumpWrites) {
  EXPECT_EQ(RoundTrip(R"({"a","b"})"), R"({"a","b"})");
  EXPECT_EQ(RoundTrip(R"({"b", "a", "b"})"), R"({"a","b"})");  // sorted, without duplicates
  EXPECT_EQ(RoundTrip("set()"), "set()");
  EXPECT_EQ(RoundTrip("{}"), "{}");
  EXPECT_EQ(RoundTrip(R"({"x": {1, "s", null, [true]}, "y": -1.5e3})"),
            R"({"x":{null,1,"s",[true]},"y":-1.5E3})");
  EXPECT_EQ(RoundTrip(R"({1: "one"})"), R"({"1":"one"})");
  EXPECT_EQ(RoundTrip(R"(["a\"}", {set(), {2}}])"), R"(["a\"}",{set(),{2}}])");
  EXPECT_TRUE(IsSet(*ParseRegoValue("{1}")));
  EXPECT_FALSE(IsSet(*ParseRegoValue("[1]")));
}

TEST(RegoValue, RejectsMalformedText) {
  for (std::string_view bad : {"", "{", "{1,", "{1:", "{1: 2, 3}", "[1 2]", "\"abc", "set(", "tru",
                               "1 2", "{,}", "@", "{\"a\":1,}"}) {
    EXPECT_FALSE(ParseRegoValue(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseRegoValue(R"({"\u0000rego.set": [2, 1]})").has_value());
  std::string deep(300, '[');
  deep += std::string(300, ']');
  EXPECT_FALSE(ParseRegoValue(deep).has_value());
  EXPECT_TRUE(ParseRegoValue(deep, 400).has_value());
}

TEST(RegoValue, SetsBecomeArraysForJson) {
  EXPECT_EQ(ToJson(SetsAsArrays(*ParseRegoValue(R"({"k": {3, 1}})"))), R"({"k":[1,3]})");
}

TEST(RegoValue, BuiltinsSeeSets) {
  auto call = [](std::string_view name, std::string_view args_text) -> std::string {
    auto args = ParseRegoValue(args_text);
    if (!args) return "bad args";
    const json::array& array = args->get_array();
    auto result = FindBuiltin(name)(BuiltinContext{}, std::span<const json::value>(array.data(), array.size()));
    if (!result) return "error: " + result.error().message;
    return RegoValueText(*result);
  };
  // OPA prints a set as a set.
  EXPECT_EQ(call("sprintf", R"x(["%v and %v", [{"a", "b"}, set()]])x"),
            R"x("{\"a\", \"b\"} and set()")x");
  EXPECT_EQ(call("strings.any_prefix_match", R"([{"abc", "x"}, {"ab"}])"), "true");
  EXPECT_EQ(call("object.keys", R"([{"b": 1, "a": 2}])"), R"({"a","b"})");
  EXPECT_EQ(call("net.cidr_merge", R"([{"10.0.0.0/25", "10.0.0.128/25"}])"), R"({"10.0.0.0/24"})");
  EXPECT_EQ(call("net.cidr_contains_matches", R"([{"10.0.0.0/8"}, "10.1.1.1"])"),
            R"({["10.0.0.0/8","10.1.1.1"]})");
  EXPECT_EQ(call("object.subset", R"([{1, 2, 3}, {1, 3}])"), "true");
  EXPECT_EQ(call("object.subset", R"([[1, 2, 3], {3, 1}])"), "true");
  EXPECT_EQ(call("object.subset", R"([{1, 2}, {4}])"), "false");
  EXPECT_EQ(call("hex.encode", R"([{"a"}])"), "error: hex.encode: operand 1 must be string but got set");
}

TEST(RegoValue, BigNumbersKeepEveryDigit) {
  constexpr std::string_view kDigits = "-123456789012345678901234567890123456789";
  json::value value = json::array{MakeBigNumber(std::string(kDigits)), MakeSet({json::value(1)})};
  EXPECT_EQ(RegoValueText(value), std::string("[") + std::string(kDigits) + ",{1}]");
  EXPECT_EQ(JsonText(value), std::string("[") + std::string(kDigits) + ",[1]]");
  auto parsed = ParseJson(JsonText(value));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->get_array()[0].is_double()) << "a number, if not an exact one on the host";
  // Anything but an optional minus and digits is no big number: it could not be written raw.
  for (std::string text : {"", "-", "1e5", "12 ", "0x1"}) {
    json::value not_big = MakeBigNumber(text);
    EXPECT_FALSE(IsBigNumber(not_big)) << text;
    EXPECT_TRUE(ParseJson(JsonText(not_big))) << text;
  }
}

}  // namespace
}  // namespace kw::runtime::opa
