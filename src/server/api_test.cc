#include "server/api.h"

#include <gtest/gtest.h>

namespace kw::server {
namespace {

TEST(ApiRoutes, MatchesTheThreeEndpointsWithOneSegment) {
  auto v = MatchRoute("/validate/psp");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->endpoint, Endpoint::kValidate);
  EXPECT_EQ(v->raw_id, "psp");
  EXPECT_EQ(MatchRoute("/audit/psp?timeout=10s")->endpoint, Endpoint::kAudit);
  EXPECT_EQ(MatchRoute("/audit/psp?timeout=10s")->raw_id, "psp");
  EXPECT_EQ(MatchRoute("/validate_raw/g%2Fm")->endpoint, Endpoint::kValidateRaw);
  EXPECT_EQ(MatchRoute("/validate_raw/g%2Fm")->raw_id, "g%2Fm");

  EXPECT_FALSE(MatchRoute("/validate/"));
  EXPECT_FALSE(MatchRoute("/validate"));
  EXPECT_FALSE(MatchRoute("/validate/a/b"));
  EXPECT_FALSE(MatchRoute("/mutate/a"));
  EXPECT_FALSE(MatchRoute("/"));
  EXPECT_FALSE(MatchRoute("validate/a"));
}

TEST(ApiRoutes, PercentDecoding) {
  EXPECT_EQ(PercentDecode("group%2Fmember"), "group/member");
  EXPECT_EQ(PercentDecode("plain"), "plain");
  EXPECT_EQ(PercentDecode("%41%62"), "Ab");
  EXPECT_FALSE(PercentDecode("bad%2"));
  EXPECT_FALSE(PercentDecode("bad%"));
  EXPECT_FALSE(PercentDecode("bad%zz"));
  EXPECT_FALSE(PercentDecode("%ff"));  // not UTF-8
}

TEST(ApiRoutes, JsonContentTypes) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON"));
  EXPECT_TRUE(IsJsonContentType("application/merge-patch+json"));
  EXPECT_FALSE(IsJsonContentType("text/json"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("application/+json"));
}

}  // namespace
}  // namespace kw::server
