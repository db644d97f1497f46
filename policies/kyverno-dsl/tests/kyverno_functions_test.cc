// Kyverno's time_*, random and image_normalize functions: Kyverno's documented examples, Go's
// time package behaviour (layouts, Duration.String, Truncate) and its error texts.
#include <gtest/gtest.h>

#include <string>

#include "jmespath.h"
#include "value.h"

namespace kyverno {
namespace {

struct Case {
  const char* expression;
  const char* expected;  // JSON
};

constexpr Case kCases[] = {
    // Kyverno's documentation examples.
    {"time_since('', '2021-01-02T15:04:05-07:00', '2021-01-10T03:14:05-07:00')", R"("180h10m0s")"},
    {"time_to_cron('2023-02-02T15:04:05Z')", R"("4 15 2 2 4")"},
    {"time_add('2021-01-02T15:04:05-07:00', '3h')", R"("2021-01-02T18:04:05-07:00")"},
    {"time_parse('Mon Jan 02 2006 15:04:05 -0700', 'Fri Jun 22 2022 17:45:00 +0100')", R"("2022-06-22T17:45:00+01:00")"},
    {"time_utc('2021-01-02T18:04:05-07:00')", R"("2021-01-03T01:04:05Z")"},
    {"time_diff('2021-01-02T15:04:05-07:00', '2021-01-10T03:14:05-07:00')", R"("180h10m0s")"},
    {"time_before('2023-01-12T14:07:44Z', '2023-01-12T15:07:44Z')", "true"},
    {"time_after('2023-01-12T14:07:44Z', '2023-01-12T15:07:44Z')", "false"},
    {"time_after('2023-01-12T16:07:44Z', '2023-01-12T15:07:44Z')", "true"},
    {"time_between('2023-01-12T14:07:44Z', '2023-01-12T14:00:00Z', '2023-01-12T15:00:00Z')", "true"},
    {"time_between('2023-01-12T14:00:00Z', '2023-01-12T14:00:00Z', '2023-01-12T15:00:00Z')", "false"},
    {"time_truncate('2023-01-12T17:37:00Z', '1h')", R"("2023-01-12T17:00:00Z")"},
    {"image_normalize('nginx')", R"("docker.io/nginx:latest")"},
    {"image_normalize('docker.io/nginx:1.25')", R"("docker.io/nginx:1.25")"},
    {"image_normalize('ghcr.io/kyverno/kyverno')", R"("ghcr.io/kyverno/kyverno:latest")"},
    {"image_normalize('localhost:5000/app:v1')", R"("localhost:5000/app:v1")"},
    {"image_normalize('ghcr.io/kyverno/kyverno:v1.10.0@sha256:"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')",
     R"("ghcr.io/kyverno/kyverno@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")"},
    // Go's Duration.String and layouts.
    {"time_diff('2023-01-12T14:00:00Z', '2023-01-12T14:00:00.0015Z')", R"("1.5ms")"},
    {"time_diff('2023-01-12T14:00:00Z', '2023-01-12T14:00:00.0000015Z')", R"("1.5\u00b5s")"},
    {"time_diff('2023-01-12T14:00:00Z', '2023-01-12T14:00:00.000000015Z')", R"("15ns")"},
    {"time_diff('2023-01-12T14:00:01.5Z', '2023-01-12T14:00:00Z')", R"("-1.5s")"},
    {"time_diff('2023-01-12T14:00:00Z', '2023-01-12T14:00:00Z')", R"("0s")"},
    {"time_since('2006-01-02', '2023-01-01', '2023-01-02')", R"("24h0m0s")"},
    {"time_parse('02/01/2006 3:04PM', '25/12/2023 7:30PM')", R"("2023-12-25T19:30:00Z")"},
    {"time_parse('January _2 06 15:04:05.000 MST', 'March  5 21 08:09:10.123 UTC')", R"("2021-03-05T08:09:10Z")"},
    {"time_parse('2006-01-02T15:04:05Z07:00', '2021-01-02T15:04:05.999+05:30')", R"("2021-01-02T15:04:05+05:30")"},
    {"time_add('2021-01-02T23:00:00Z', '-90m')", R"("2021-01-02T21:30:00Z")"},
    {"time_truncate('2023-01-12T17:37:42+02:00', '15m')", R"("2023-01-12T17:30:00+02:00")"},
    {"time_truncate('2023-01-12T17:37:42Z', '0s')", R"("2023-01-12T17:37:42Z")"},
    {"regex_match('^[0-9a-z]{5}$', random('[0-9a-z]{5}'))", "true"},
    {"regex_match('^(ab|cd)-\\d{2,4}x?$', random('(ab|cd)-\\d{2,4}x?'))", "true"},
    {"regex_match('^[^a-z]{3}$', random('^[^a-z]{3}$'))", "true"},
    {"length(random('a{3}(?:bc){2}'))", "7"},
};

class KyvernoFunctions : public ::testing::TestWithParam<Case> {};

TEST_P(KyvernoFunctions, Evaluates) {
  const Case& c = GetParam();
  Value result, expected;
  std::string error;
  ASSERT_TRUE(jmespath::Search(c.expression, Value(Object{}), &result, &error)) << c.expression << ": " << error;
  ASSERT_TRUE(ParseJson(c.expected, &expected, &error)) << error;
  EXPECT_TRUE(Equal(result, expected)) << c.expression << " gave " << ToJson(result) << ", want " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(Documented, KyvernoFunctions, ::testing::ValuesIn(kCases));

std::string ErrorOf(std::string_view expression) {
  Value result;
  std::string error;
  EXPECT_FALSE(jmespath::Search(expression, Value(Object{}), &result, &error)) << expression << " gave " << ToJson(result);
  return error;
}

TEST(KyvernoFunctions, GoTimeErrors) {
  EXPECT_EQ(ErrorOf("time_utc('2021-01-02')"),
            R"(parsing time "2021-01-02" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T")");
  EXPECT_EQ(ErrorOf("time_parse('2006', 'x')"), R"(parsing time "x" as "2006": cannot parse "x" as "2006")");
  EXPECT_EQ(ErrorOf("time_parse('2006-01-02', '2021-13-01')"), R"(parsing time "2021-13-01": month out of range)");
  EXPECT_EQ(ErrorOf("time_parse('2006-01-02', '2021-02-30')"), R"(parsing time "2021-02-30": day out of range)");
  EXPECT_EQ(ErrorOf("time_parse('2006-01-02', '2021-02-03 x')"), R"(parsing time "2021-02-03 x": extra text: " x")");
  EXPECT_EQ(ErrorOf("time_add('2021-01-02T15:04:05Z', 'soon')"), R"(time: invalid duration "soon")");
  EXPECT_EQ(ErrorOf("time_add('2021-01-02T15:04:05Z', '5')"), R"(time: missing unit in duration "5")");
}

TEST(KyvernoFunctions, RandomErrors) {
  EXPECT_EQ(ErrorOf("random('')"), "no pattern provided");
  EXPECT_EQ(ErrorOf("random('(ab')"), "error parsing regexp: missing closing ): `(ab`");
  EXPECT_NE(ErrorOf("random('(?i)abc')").find("unsupported"), std::string::npos);
  EXPECT_NE(ErrorOf("random('(a{1000}){1000}')"), "");
}

TEST(KyvernoFunctions, ImageNormalizeErrors) {
  EXPECT_EQ(ErrorOf("image_normalize('Nginx:@@')"),
            "JMESPath function 'image_normalize': bad image: docker.io/Nginx:@@, defaultRegistry: docker.io, "
            "enableDefaultRegistryMutation: true: invalid reference format");
}

TEST(KyvernoFunctions, TimeNowIsRfc3339Utc) {
  Value result;
  std::string error;
  ASSERT_TRUE(jmespath::Search("time_since('', time_now(), '')", Value(Object{}), &result, &error)) << error;
  EXPECT_TRUE(result.is_string());
}

}  // namespace
}  // namespace kyverno
