#include "base/percent_decode.h"

#include <gtest/gtest.h>

namespace kw {
namespace {

TEST(PercentDecode, DecodesEscapesAndRefusesBadOnes) {
  EXPECT_EQ(PercentDecode("group%2Fmember"), "group/member");
  EXPECT_EQ(PercentDecode("plain"), "plain");
  EXPECT_EQ(PercentDecode("%41%62"), "Ab");
  EXPECT_FALSE(PercentDecode("bad%2"));
  EXPECT_FALSE(PercentDecode("bad%"));
  EXPECT_FALSE(PercentDecode("bad%zz"));
  EXPECT_FALSE(PercentDecode("%ff"));  // not UTF-8
}

}  // namespace
}  // namespace kw
