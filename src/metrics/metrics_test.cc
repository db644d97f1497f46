#include "metrics/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace kw::metrics {
namespace {

using namespace std::chrono_literals;

Attribute S(std::string key, std::string value) { return {std::move(key), std::move(value)}; }
Attribute B(std::string key, bool value) { return {std::move(key), value}; }
Attribute I(std::string key, std::int64_t value) { return {std::move(key), value}; }

AdmissionEvaluation Admission() {
  return {.policy_name = "psp",
          .policy_mode = "protect",
          .resource_kind = "Pod",
          .resource_request_operation = "CREATE",
          .accepted = false,
          .mutated = false,
          .request_origin = "validate",
          .resource_namespace = "default",
          .error_code = 403};
}

TEST(MetricsRegistry, AdmissionEvaluationsCarryUpstreamsAttributesInOrder) {
  Registry registry;
  registry.Record(Admission(), 3ms);
  Snapshot s = registry.Collect();
  const Attributes expected = {S("policy_name", "psp"),
                               S("policy_mode", "protect"),
                               S("resource_kind", "Pod"),
                               S("resource_request_operation", "CREATE"),
                               B("accepted", false),
                               B("mutated", false),
                               S("request_origin", "validate"),
                               S("resource_namespace", "default"),
                               I("error_code", 403)};
  ASSERT_EQ(s.evaluations_total.size(), 1u);
  EXPECT_EQ(s.evaluations_total[0].attributes, expected);
  EXPECT_EQ(s.evaluations_total[0].value, 1u);
  ASSERT_EQ(s.evaluation_latency.size(), 1u);
  EXPECT_EQ(s.evaluation_latency[0].attributes, expected);
}

TEST(MetricsRegistry, OptionalAttributesAreLeftOutWhenAbsent) {
  Registry registry;
  AdmissionEvaluation e = Admission();
  e.resource_namespace.reset();
  e.error_code.reset();
  e.resource_kind = "";
  e.accepted = true;
  e.request_origin = "audit";
  registry.Record(e, 0ms);
  registry.Record(RawEvaluation{.policy_name = "raw", .policy_mode = "monitor", .accepted = true,
                                .mutated = true},
                  0ms);
  registry.Record(RawEvaluation{.policy_name = "raw", .policy_mode = "monitor",
                                .error_code = 500},
                  0ms);
  Snapshot s = registry.Collect();
  ASSERT_EQ(s.evaluations_total.size(), 3u);
  // Sorted by attributes: "psp" < "raw"; then accepted=false < accepted=true.
  EXPECT_EQ(s.evaluations_total[0].attributes,
            (Attributes{S("policy_name", "psp"), S("policy_mode", "protect"),
                        S("resource_kind", ""), S("resource_request_operation", "CREATE"),
                        B("accepted", true), B("mutated", false), S("request_origin", "audit")}));
  EXPECT_EQ(s.evaluations_total[1].attributes,
            (Attributes{S("policy_name", "raw"), S("policy_mode", "monitor"),
                        B("accepted", false), B("mutated", false), I("error_code", 500)}));
  EXPECT_EQ(s.evaluations_total[2].attributes,
            (Attributes{S("policy_name", "raw"), S("policy_mode", "monitor"),
                        B("accepted", true), B("mutated", true)}));
}

TEST(MetricsRegistry, EachAttributeSetIsItsOwnSeries) {
  Registry registry;
  registry.Record(Admission(), 0ms);
  registry.Record(Admission(), 0ms);
  AdmissionEvaluation other = Admission();
  other.resource_namespace = "kube-system";
  registry.Record(other, 0ms);
  // Same strings, different split between fields: must not collide.
  AdmissionEvaluation shifted = Admission();
  shifted.resource_kind = "PodC";
  shifted.resource_request_operation = "REATE";
  registry.Record(shifted, 0ms);
  Snapshot s = registry.Collect();
  ASSERT_EQ(s.evaluations_total.size(), 3u);
  std::uint64_t total = 0;
  for (const auto& p : s.evaluations_total) total += p.value;
  EXPECT_EQ(total, 4u);
}

TEST(MetricsRegistry, LatencyIsWholeMillisecondsInTheSdkDefaultBuckets) {
  Registry registry;
  for (std::chrono::nanoseconds latency : {999us, 1000us, 5000us, 5999us, 10001us, 12000000us}) {
    registry.Record(Admission(), latency);
  }
  Snapshot s = registry.Collect();
  ASSERT_EQ(s.evaluation_latency.size(), 1u);
  const HistogramPoint& p = s.evaluation_latency[0];
  // 0 | 1 5 5 | 10 | 12000
  std::array<std::uint64_t, kLatencyBuckets> expected{};
  expected[0] = 1;   // <= 0
  expected[1] = 3;   // (0, 5]
  expected[2] = 1;   // (5, 10]
  expected[15] = 1;  // > 10000
  EXPECT_EQ(p.bucket_counts, expected);
  EXPECT_EQ(p.count, 6u);
  EXPECT_EQ(p.sum, 0u + 1 + 5 + 5 + 10 + 12000);
  EXPECT_EQ(p.min, 0u);
  EXPECT_EQ(p.max, 12000u);
  EXPECT_EQ(s.evaluations_total[0].value, 6u);
}

TEST(MetricsRegistry, InitializationErrorsAreCountedWithoutLatency) {
  Registry registry;
  registry.RecordInitializationError("bad", "Policy settings are invalid: no");
  registry.RecordInitializationError("bad", "Policy settings are invalid: no");
  Snapshot s = registry.Collect();
  ASSERT_EQ(s.evaluations_total.size(), 1u);
  EXPECT_EQ(s.evaluations_total[0].attributes,
            (Attributes{S("policy_name", "bad"),
                        S("initialization_error", "Policy settings are invalid: no")}));
  EXPECT_EQ(s.evaluations_total[0].value, 2u);
  EXPECT_TRUE(s.evaluation_latency.empty());
}

TEST(MetricsRegistry, ThreadsRecordingTheSameSeriesAreMerged) {
  Registry registry;
  constexpr int kThreads = 4, kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) registry.Record(Admission(), std::chrono::milliseconds(t));
    });
  }
  // Collecting while they record is allowed and sees consistent points.
  for (int i = 0; i < 50; ++i) {
    Snapshot s = registry.Collect();
    for (const auto& p : s.evaluation_latency) {
      std::uint64_t sum = 0;
      for (auto n : p.bucket_counts) sum += n;
      EXPECT_EQ(sum, p.count);
      EXPECT_LE(p.min, p.max);
    }
  }
  for (auto& t : threads) t.join();
  Snapshot s = registry.Collect();
  ASSERT_EQ(s.evaluations_total.size(), 1u);
  EXPECT_EQ(s.evaluations_total[0].value, std::uint64_t{kThreads * kPerThread});
  ASSERT_EQ(s.evaluation_latency.size(), 1u);
  EXPECT_EQ(s.evaluation_latency[0].count, std::uint64_t{kThreads * kPerThread});
  EXPECT_EQ(s.evaluation_latency[0].sum, std::uint64_t{(0 + 1 + 2 + 3) * kPerThread});
  EXPECT_EQ(s.evaluation_latency[0].min, 0u);
  EXPECT_EQ(s.evaluation_latency[0].max, 3u);
}

TEST(MetricsRegistry, RegistriesAreIndependentOnOneThread) {
  Registry a, b;
  a.Record(Admission(), 0ms);
  b.Record(Admission(), 0ms);
  a.Record(Admission(), 0ms);
  EXPECT_EQ(a.Collect().evaluations_total.at(0).value, 2u);
  EXPECT_EQ(b.Collect().evaluations_total.at(0).value, 1u);
  // A registry created later (perhaps at a freed one's address) starts empty.
  auto c = std::make_unique<Registry>();
  c->Record(Admission(), 0ms);
  c.reset();
  auto d = std::make_unique<Registry>();
  EXPECT_TRUE(d->Collect().evaluations_total.empty());
  d->Record(Admission(), 0ms);
  EXPECT_EQ(d->Collect().evaluations_total.at(0).value, 1u);
}

TEST(MetricsRegistry, SnapshotCarriesTheStartTime) {
  auto before = std::chrono::system_clock::now();
  Registry registry;
  Snapshot s = registry.Collect();
  EXPECT_GE(s.start_time, before);
  EXPECT_GE(s.time, s.start_time);
}

}  // namespace
}  // namespace kw::metrics
