#include "base/go_json.h"

#include <gtest/gtest.h>

#include "testing/json.h"

namespace kw {
namespace {

using testing::J;

TEST(MarshalLikeGo, EscapesAsGoEncodingJsonDoes) {
  EXPECT_EQ(MarshalLikeGo(json::value("<a href=\"x\">&</a>")),
            R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(MarshalLikeGo(json::value("tab\tnl\ncr\rbs\bff\f\x01")),
            R"("tab\tnl\ncr\rbs\bff\f\u0001")");
  EXPECT_EQ(MarshalLikeGo(json::value("line\xe2\x80\xa8sep\xe2\x80\xa9")),
            R"("line\u2028sep\u2029")");
  EXPECT_EQ(MarshalLikeGo(json::value("caf\xc3\xa9 \xff")), "\"caf\xc3\xa9 \\ufffd\"");
}

TEST(MarshalLikeGo, WritesNumbersAsGoDoes) {
  EXPECT_EQ(MarshalLikeGo(J("[1, -2, 0.5, 1.5e300, 1e-7, 1e21, 123456789.125, 0.0]")),
            "[1,-2,0.5,1.5e+300,1e-07,1e+21,123456789.125,0]");
  EXPECT_EQ(MarshalLikeGo(J("[100000000000000000000.0, 0.000001]")),
            "[100000000000000000000,0.000001]");
}

TEST(MarshalLikeGo, KeepsObjectOrderAndNesting) {
  EXPECT_EQ(MarshalLikeGo(J(R"({"b":{"z":[true,null]},"a":"x"})")),
            R"({"b":{"z":[true,null]},"a":"x"})");
}

TEST(MarshalLikeGo, IndentsAsMarshalIndentDoes) {
  EXPECT_EQ(MarshalIndentLikeGo(J(R"({"a":[1,{}],"b":[],"c":{"d":null}})"), {.prefix = ">", .indent = "  "}),
            "{\n>  \"a\": [\n>    1,\n>    {}\n>  ],\n>  \"b\": [],\n>  \"c\": {\n>    \"d\": null\n>  }\n>}");
  EXPECT_EQ(MarshalIndentLikeGo(J("7"), {.prefix = "", .indent = "\t"}), "7");
}

}  // namespace
}  // namespace kw
