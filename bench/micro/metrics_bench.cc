// Micro-benchmarks of metrics recording, which runs once per evaluation on the worker threads
// when --enable-metrics is on (src/metrics/metrics.h). The budget is well under 1 µs per record.
//
//   BM_RecordAdmission        one AdmissionRequest evaluation (counter + histogram) into a series
//                             that exists; with 2 threads, both recording the same attribute set
//   BM_RecordAdmissionSpread  the same, spread over 1,000 series (namespaces), as a cluster with
//                             many namespaces would
//   BM_RecordRaw              one raw evaluation
//   BM_ScrapePrometheus       Collect + the Prometheus text of 1,000 series (one GET /metrics)
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/metrics.h"

namespace kw::metrics {
namespace {

AdmissionEvaluation Evaluation(std::string_view ns) {
  return {.policy_name = "clusterwide-psp-privileged-containers",
          .policy_mode = "protect",
          .resource_kind = "Pod",
          .resource_request_operation = "CREATE",
          .accepted = true,
          .mutated = false,
          .request_origin = "validate",
          .resource_namespace = ns,
          .error_code = std::nullopt};
}

std::vector<std::string> Namespaces(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("team-namespace-" + std::to_string(i));
  return out;
}

Registry& Shared() {
  static Registry registry;
  return registry;
}

void BM_RecordAdmission(benchmark::State& state) {
  const AdmissionEvaluation e = Evaluation("default");
  for (auto _ : state) Shared().Record(e, std::chrono::microseconds(7));
}
BENCHMARK(BM_RecordAdmission)->Threads(1)->Threads(2)->UseRealTime();

void BM_RecordAdmissionSpread(benchmark::State& state) {
  static const std::vector<std::string> namespaces = Namespaces(1000);
  std::size_t i = 0;
  for (auto _ : state) {
    Shared().Record(Evaluation(namespaces[i]), std::chrono::microseconds(7));
    i = i + 1 == namespaces.size() ? 0 : i + 1;
  }
}
BENCHMARK(BM_RecordAdmissionSpread)->Threads(1)->Threads(2)->UseRealTime();

void BM_RecordRaw(benchmark::State& state) {
  const RawEvaluation e{.policy_name = "raw-policy", .policy_mode = "monitor", .accepted = false,
                        .mutated = false, .error_code = 403};
  for (auto _ : state) Shared().Record(e, std::chrono::microseconds(7));
}
BENCHMARK(BM_RecordRaw);

void BM_ScrapePrometheus(benchmark::State& state) {
  Registry registry;
  for (const auto& ns : Namespaces(1000)) registry.Record(Evaluation(ns), std::chrono::milliseconds(3));
  for (auto _ : state) {
    std::string text = PrometheusText(registry.Collect());
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_ScrapePrometheus)->Unit(benchmark::kMillisecond);

void BM_Collect(benchmark::State& state) {
  Registry registry;
  for (const auto& ns : Namespaces(1000)) registry.Record(Evaluation(ns), std::chrono::milliseconds(3));
  for (auto _ : state) {
    auto s = registry.Collect();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Collect)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kw::metrics

BENCHMARK_MAIN();
