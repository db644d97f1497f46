#include "base/semver.h"

#include <gtest/gtest.h>

namespace kw {
namespace {

TEST(SemVer, ParsesEveryPart) {
  auto v = ParseSemVer("1.22.3-rc.1+build.7");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->core[0], "1");
  EXPECT_EQ(v->core[1], "22");
  EXPECT_EQ(v->core[2], "3");
  EXPECT_EQ(v->pre_release, (std::vector<std::string_view>{"rc", "1"}));
  EXPECT_EQ(v->build, (std::vector<std::string_view>{"build", "7"}));
  // Numeric parts of any length, as the specification allows.
  EXPECT_TRUE(ParseSemVer("123456789012345678901234567890.0.0"));
}

TEST(SemVer, RefusesWhatTheSpecificationRefuses) {
  for (std::string_view bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3",
                               "1.2.3-", "1.2.3-01", "1.2.3-a..b", "1.2.3+", "1.2.3+a_b",
                               "1.2.x", "-1.2.3", "1.2.3-beta!"}) {
    EXPECT_FALSE(ParseSemVer(bad)) << bad;
  }
  EXPECT_TRUE(ParseSemVer("1.2.3-0a"));     // alphanumeric: a leading zero is fine
  EXPECT_TRUE(ParseSemVer("1.2.3+001"));    // build metadata: leading zeros are fine
}

TEST(SemVer, OrdersAsTheSpecificationSays) {
  // The precedence example of SemVer 2.0.0, section 11.
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0",
                           "2.1.0", "2.1.1", "10.0.0"};
  for (std::size_t i = 0; i + 1 < std::size(ordered); ++i) {
    auto a = ParseSemVer(ordered[i]), b = ParseSemVer(ordered[i + 1]);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(CompareSemVer(*a, *b), -1) << ordered[i] << " < " << ordered[i + 1];
    EXPECT_EQ(CompareSemVer(*b, *a), 1) << ordered[i + 1] << " > " << ordered[i];
  }
  EXPECT_EQ(CompareSemVer(*ParseSemVer("1.0.0+a"), *ParseSemVer("1.0.0+b")), 0);
}

TEST(SemVer, NumericValuesFitIn64BitsOrNot) {
  EXPECT_EQ(NumericIdentifierValue("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(NumericIdentifierValue("18446744073709551616"));
  EXPECT_EQ(CompareNumericIdentifiers("9", "10"), -1);
  EXPECT_EQ(CompareNumericIdentifiers("100000000000000000000", "99999999999999999999"), 1);
}

}  // namespace
}  // namespace kw
