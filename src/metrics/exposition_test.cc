#include "metrics/exposition.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kw::metrics {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::string_view kHeaders =
    "# HELP kubewarden_policy_evaluations_total Policy evaluations (and requests to policies "
    "that failed to load)\n"
    "# TYPE kubewarden_policy_evaluations_total counter\n"
    "# HELP kubewarden_policy_evaluation_latency_milliseconds Policy evaluation latency, in "
    "whole milliseconds\n"
    "# TYPE kubewarden_policy_evaluation_latency_milliseconds histogram\n";

TEST(PrometheusText, EmptyRegistryHasOnlyTheHeaders) {
  Registry registry;
  EXPECT_EQ(PrometheusText(registry.Collect()), kHeaders);
}

TEST(PrometheusText, CounterAndCumulativeHistogram) {
  Registry registry;
  RawEvaluation e{.policy_name = "raw", .policy_mode = "protect", .accepted = false,
                  .mutated = false, .error_code = 500};
  registry.Record(e, 0ms);
  registry.Record(e, 7ms);
  registry.Record(e, 20s);
  const std::string labels =
      "policy_name=\"raw\",policy_mode=\"protect\",accepted=\"false\",mutated=\"false\","
      "error_code=\"500\"";
  std::string expected =
      "# HELP kubewarden_policy_evaluations_total Policy evaluations (and requests to policies "
      "that failed to load)\n"
      "# TYPE kubewarden_policy_evaluations_total counter\n"
      "kubewarden_policy_evaluations_total{" + labels + "} 3\n"
      "# HELP kubewarden_policy_evaluation_latency_milliseconds Policy evaluation latency, in "
      "whole milliseconds\n"
      "# TYPE kubewarden_policy_evaluation_latency_milliseconds histogram\n";
  const std::pair<const char*, int> buckets[] = {
      {"0", 1},    {"5", 1},    {"10", 2},   {"25", 2},   {"50", 2},   {"75", 2},
      {"100", 2},  {"250", 2},  {"500", 2},  {"750", 2},  {"1000", 2}, {"2500", 2},
      {"5000", 2}, {"7500", 2}, {"10000", 2}, {"+Inf", 3}};
  for (const auto& [le, n] : buckets) {
    expected += "kubewarden_policy_evaluation_latency_milliseconds_bucket{" + labels + ",le=\"" +
                le + "\"} " + std::to_string(n) + "\n";
  }
  expected += "kubewarden_policy_evaluation_latency_milliseconds_sum{" + labels + "} 20007\n";
  expected += "kubewarden_policy_evaluation_latency_milliseconds_count{" + labels + "} 3\n";
  EXPECT_EQ(PrometheusText(registry.Collect()), expected);
}

TEST(PrometheusText, SlowLaneCountersOnceCounted) {
  Registry registry;
  registry.RecordSlowLane(SlowLaneEvent::kEntry, "loop");
  registry.RecordSlowLane(SlowLaneEvent::kRejection, "loop");
  registry.RecordSlowLane(SlowLaneEvent::kRejection, "loop");
  registry.RecordSlowLane(SlowLaneEvent::kRejection, "flood");
  EXPECT_EQ(PrometheusText(registry.Collect()),
            std::string(kHeaders) +
                "# HELP kubewarden_policy_slow_lane_entries_total Times the policy ran out of "
                "time and was moved to the slow lane\n"
                "# TYPE kubewarden_policy_slow_lane_entries_total counter\n"
                "kubewarden_policy_slow_lane_entries_total{policy_name=\"loop\"} 1\n"
                "# HELP kubewarden_policy_slow_lane_rejections_total Requests answered with the "
                "timeout rejection because the slow lane was full\n"
                "# TYPE kubewarden_policy_slow_lane_rejections_total counter\n"
                "kubewarden_policy_slow_lane_rejections_total{policy_name=\"flood\"} 1\n"
                "kubewarden_policy_slow_lane_rejections_total{policy_name=\"loop\"} 2\n");
  json::value otlp = json::parse(OtlpJson(registry.Collect()));
  const json::array& metrics =
      otlp.at("resourceMetrics").at(0).at("scopeMetrics").at(0).at("metrics").as_array();
  ASSERT_EQ(metrics.size(), 2u);  // the two counters that counted something
  EXPECT_EQ(metrics.at(0).at("name"), "kubewarden_policy_slow_lane_entries_total");
  EXPECT_EQ(metrics.at(0).at("sum").at("isMonotonic"), true);
  EXPECT_EQ(metrics.at(1).at("name"), "kubewarden_policy_slow_lane_rejections_total");
  EXPECT_EQ(metrics.at(1).at("sum").at("dataPoints").at(1).at("asInt"), "2");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  Registry registry;
  registry.RecordInitializationError("p\"1", "line one\nback\\slash \"quoted\"");
  std::string text = PrometheusText(registry.Collect());
  EXPECT_NE(text.find("kubewarden_policy_evaluations_total{policy_name=\"p\\\"1\","
                      "initialization_error=\"line one\\nback\\\\slash \\\"quoted\\\"\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(OtlpJson, ResourceScopeSumAndHistogram) {
  Registry registry;
  registry.Record(AdmissionEvaluation{.policy_name = "psp",
                                      .policy_mode = "monitor",
                                      .resource_kind = "Pod",
                                      .resource_request_operation = "CREATE",
                                      .accepted = true,
                                      .mutated = false,
                                      .request_origin = "validate",
                                      .error_code = 403},
                  12ms);
  Snapshot snapshot = registry.Collect();
  json::value v = json::parse(OtlpJson(snapshot));
  const auto& rm = v.at("resourceMetrics").at(0);
  EXPECT_EQ(rm.at("resource").at("attributes"),
            json::parse(R"([{"key":"service.name","value":{"stringValue":"kubewarden-policy-server"}}])"));
  const auto& sm = rm.at("scopeMetrics").at(0);
  EXPECT_EQ(sm.at("scope").at("name"), "kubewarden");
  const auto& metrics = sm.at("metrics").as_array();
  ASSERT_EQ(metrics.size(), 2u);

  const json::value attributes = json::parse(R"([
    {"key":"policy_name","value":{"stringValue":"psp"}},
    {"key":"policy_mode","value":{"stringValue":"monitor"}},
    {"key":"resource_kind","value":{"stringValue":"Pod"}},
    {"key":"resource_request_operation","value":{"stringValue":"CREATE"}},
    {"key":"accepted","value":{"boolValue":true}},
    {"key":"mutated","value":{"boolValue":false}},
    {"key":"request_origin","value":{"stringValue":"validate"}},
    {"key":"error_code","value":{"intValue":"403"}}])");
  const std::string start = std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(snapshot.start_time.time_since_epoch())
          .count());

  EXPECT_EQ(metrics[0].at("name"), "kubewarden_policy_evaluations_total");
  const auto& sum = metrics[0].at("sum");
  EXPECT_EQ(sum.at("aggregationTemporality"), 2);
  EXPECT_EQ(sum.at("isMonotonic"), true);
  const auto& counter_point = sum.at("dataPoints").at(0);
  EXPECT_EQ(counter_point.at("attributes"), attributes);
  EXPECT_EQ(counter_point.at("asInt"), "1");
  EXPECT_EQ(counter_point.at("startTimeUnixNano"), start.c_str());
  EXPECT_TRUE(counter_point.at("timeUnixNano").is_string());

  EXPECT_EQ(metrics[1].at("name"), "kubewarden_policy_evaluation_latency_milliseconds");
  const auto& histogram = metrics[1].at("histogram");
  EXPECT_EQ(histogram.at("aggregationTemporality"), 2);
  const auto& point = histogram.at("dataPoints").at(0);
  EXPECT_EQ(point.at("attributes"), attributes);
  EXPECT_EQ(point.at("count"), "1");
  EXPECT_EQ(point.at("sum"), 12);
  EXPECT_EQ(point.at("min"), 12);
  EXPECT_EQ(point.at("max"), 12);
  EXPECT_EQ(point.at("explicitBounds"),
            json::parse("[0,5,10,25,50,75,100,250,500,750,1000,2500,5000,7500,10000]"));
  EXPECT_EQ(point.at("bucketCounts"),
            json::parse(R"(["0","0","0","1","0","0","0","0","0","0","0","0","0","0","0","0"])"));
}

TEST(OtlpJson, InstrumentsWithoutSeriesAreLeftOut) {
  Registry registry;
  registry.RecordInitializationError("bad", "boom");
  json::value v = json::parse(OtlpJson(registry.Collect()));
  const auto& metrics = v.at("resourceMetrics").at(0).at("scopeMetrics").at(0).at("metrics");
  ASSERT_EQ(metrics.as_array().size(), 1u);
  EXPECT_EQ(metrics.at(0).at("name"), "kubewarden_policy_evaluations_total");
}

}  // namespace
}  // namespace kw::metrics
