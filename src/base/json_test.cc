#include "base/json.h"

#include <cmath>

#include <gtest/gtest.h>

namespace kw {
namespace {

json::value Parse(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message);
  return v ? *v : json::value();
}

std::string ErrorOf(std::string_view text) {
  auto v = ParseJson(text, "invalid thing");
  EXPECT_FALSE(v.has_value()) << text;
  return v ? "" : v.error().message;
}

TEST(ParseJsonTest, KeepsIntegerKinds) {
  EXPECT_TRUE(Parse("-5").is_int64());
  EXPECT_TRUE(Parse("18446744073709551615").is_uint64());
  EXPECT_TRUE(Parse("1.0").is_double());
  EXPECT_EQ(Parse(R"({"a":[1,"x",null,true]})"), json::parse(R"({"a":[1,"x",null,true]})"));
}

TEST(ParseJsonTest, DuplicateKeysKeepTheLastOne) {
  EXPECT_EQ(Parse(R"({"a":1,"a":2})").as_object().at("a"), 2);
}

TEST(ParseJsonTest, FloatsAreCorrectlyRounded) {
  // Both texts denote the same double; Boost 1.81's own parser reads one of them a ULP off.
  EXPECT_EQ(Parse("1.1111111131111111E20").as_double(), 1.1111111131111111e20);
  EXPECT_EQ(Parse("111111111311111110656.0").as_double(), 1.1111111131111111e20);
  EXPECT_EQ(Parse("4.9e-324").as_double(), 4.9e-324);
  EXPECT_EQ(Parse("1.7976931348623157e308").as_double(), 1.7976931348623157e308);
  // Integers beyond 64 bits become doubles, as in serde_json.
  EXPECT_EQ(Parse("111111111311111111180").as_double(), 111111111311111111180.0);
}

TEST(ParseJsonTest, ZeroWithAHugeExponentIsZero) {
  const double zero = Parse("0e400").as_double();
  EXPECT_EQ(zero, 0.0);
  EXPECT_FALSE(std::signbit(zero));
  EXPECT_TRUE(std::signbit(Parse("-0.0E500").as_double()));
  EXPECT_EQ(json::serialize(Parse("[0E403]")), "[0E0]");
}

TEST(ParseJsonTest, UnderflowIsZero) {
  EXPECT_EQ(Parse("1e-400").as_double(), 0.0);
  EXPECT_TRUE(std::signbit(Parse("-2.4e-324").as_double()));
}

// Located just after the number, or at the start of the token that is wrong.
TEST(ParseJsonTest, OverflowIsAnErrorWithItsLocation) {
  EXPECT_EQ(ErrorOf("1e400"), "invalid thing: number out of range at line 1 column 6");
  EXPECT_EQ(ErrorOf("{\n  \"a\": -1.8e308}"),
            "invalid thing: number out of range at line 2 column 16");
}

TEST(ParseJsonTest, SyntaxErrorsNameTheLocation) {
  EXPECT_EQ(ErrorOf("{\"a\":\n  tru}"), "invalid thing: syntax error at line 2 column 3");
  EXPECT_EQ(ErrorOf("[1,2"), "invalid thing: incomplete JSON at line 1 column 5");
  EXPECT_EQ(ErrorOf("[1] x"), "invalid thing: extra data at line 1 column 5");
  EXPECT_EQ(ErrorOf(""), "invalid thing: incomplete JSON at line 1 column 1");
}

TEST(ParseJsonTest, DepthIsBounded) {
  EXPECT_TRUE(ParseJson(std::string(500, '[') + std::string(500, ']')).has_value());
  EXPECT_NE(ErrorOf(std::string(600, '[') + std::string(600, ']')).find("too deep"),
            std::string::npos);
}

}  // namespace
}  // namespace kw
