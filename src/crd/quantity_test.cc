#include "crd/quantity.h"

#include <gtest/gtest.h>

namespace kw::crd {
namespace {

Quantity Q(std::string_view text) {
  auto q = Quantity::Parse(text);
  EXPECT_TRUE(q) << text << ": " << (q ? "" : q.error().message);
  return q ? *q : Quantity();
}

TEST(Quantity, EqualValuesWrittenDifferently) {
  const std::vector<std::pair<std::string_view, std::string_view>> same = {
      {"1", "1000m"},       {"1k", "1000"},      {"1Ki", "1024"},     {"1e3", "1k"},
      {"1E3", "1000"},      {"1.5", "1500m"},    {"0.5Gi", "512Mi"},  {"1Mi", "1048576"},
      {"1Ei", "1152921504606846976"},            {"+2", "2"},         {".5", "500m"},
      {"5.", "5"},          {"1n", "0.001u"},    {"1e-3", "1m"},      {"1e+3", "1k"},
      {"0", "-0"},          {"0Ki", "0m"},       {"100M", "0.1G"},    {"1P", "1000T"},
      {"1E", "1000P"},      {"007", "7"},        {"1.000", "1"},
  };
  for (const auto& [a, b] : same) {
    EXPECT_EQ(Q(a).Compare(Q(b)), 0) << a << " vs " << b;
    EXPECT_EQ(Q(b).Compare(Q(a)), 0) << b << " vs " << a;
  }
}

TEST(Quantity, CanonicalIsWhatTheApiServerWritesBack) {
  const std::vector<std::pair<std::string_view, std::string_view>> written = {
      // Already canonical: kept as written, sign and all.
      {"1", "1"},           {"500m", "500m"},     {"100Mi", "100Mi"},   {"1E3", "1E3"},
      {"1e-3", "1e-3"},     {"+1", "+1"},         {"-1Gi", "-1Gi"},     {"1200m", "1200m"},
      {"1024", "1024"},     {"5.", "5."},         {"12e6", "12e6"},     {"1n", "1n"},
      // Rewritten: exponent a multiple of three, base 1024 for binary values of 1Ki or more.
      {"1000m", "1"},       {"0.5", "500m"},      {".5", "500m"},       {"1000", "1k"},
      {"1.000", "1"},       {"007", "7"},         {"0.1m", "100u"},     {"-1000m", "-1"},
      {"1.5Gi", "1536Mi"},  {"1024Mi", "1Gi"},    {"2048Ki", "2Mi"},    {"0.5Gi", "512Mi"},
      {"0.5Ki", "512"},     {"1Ei", "1Ei"},       {"1.5e3", "1500"},    {"1000e3", "1e6"},
      {"0", "0"},           {"0Ki", "0"},         {"-0", "0"},          {"0.000", "0"},
      // Written twice by the server: the first rewriting ("64000") is rewritten again.
      {"62.5Ki", "64k"},    {"1.5Ki", "1536"},
  };
  for (const auto& [text, canonical] : written) {
    ASSERT_TRUE(Q(text).canonical()) << text;
    EXPECT_EQ(*Q(text).canonical(), canonical) << text;
  }
  // What the server rounds (below a nano) or caps (binary past 2^63 - 1) is not modelled.
  for (std::string_view text : {"0.1n", "8Ei", "1e-12"}) EXPECT_FALSE(Q(text).canonical()) << text;
}

TEST(Quantity, OrdersExactly) {
  const std::vector<std::pair<std::string_view, std::string_view>> less = {
      {"999m", "1"},   {"1000", "1Ki"},   {"1G", "1Gi"},     {"-1", "0"},    {"-2", "-1"},
      {"-1Gi", "-1G"}, {"1.0000000000000000001", "1.0000000000000000002"},
      {"12", "12.5"},  {"0", "1n"},       {"-1n", "0"},      {"1e-9", "2n"}, {"1Ei", "2E"},
  };
  for (const auto& [a, b] : less) {
    EXPECT_LT(Q(a).Compare(Q(b)), 0) << a << " < " << b;
    EXPECT_GT(Q(b).Compare(Q(a)), 0) << b << " > " << a;
  }
}

TEST(Quantity, SignAndZero) {
  EXPECT_TRUE(Q("-1m").IsNegative());
  EXPECT_FALSE(Q("-0").IsNegative());
  EXPECT_TRUE(Q("-0.0Ki").IsZero());
  EXPECT_FALSE(Q("1n").IsZero());
  EXPECT_EQ(Q("1500m").text(), "1500m");
}

TEST(Quantity, RefusesWhatApimachineryRefuses) {
  const std::string format =
      "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  const std::string suffix = "unable to parse quantity's suffix";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", format},        {"abc", format},     {"1.2.3", format},  {"+", format},
      {".", format},       {"1 ", format},      {" 1", format},     {"1Mi ", format},
      {"1x", format},      {"--1", format},     {"1e3.5", format},  {"1Kib", format},
      {"1K", suffix},      {"1e", suffix},      {"1Ki2", suffix},   {"1mi", suffix},
      {"1e+", suffix},     {"1e99999999999999999999", suffix},      {"1kk", suffix},
      {std::string(kMaxQuantityLength + 1, '1'), format},
  };
  for (const auto& [text, message] : bad) {
    auto q = Quantity::Parse(text);
    ASSERT_FALSE(q) << text;
    EXPECT_EQ(q.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(q.error().message, message) << text;
  }
}

TEST(Quantity, LargeExponentsCompareWithoutOverflow) {
  EXPECT_GT(Q("1e1000000").Compare(Q("9e999999")), 0);
  EXPECT_LT(Q("1e-1000000").Compare(Q("1n")), 0);
  EXPECT_GT(Q("1e-1000000").Compare(Q("0")), 0);
}

}  // namespace
}  // namespace kw::crd
