// The compliance UI's JSON API over 50,000 results (5,000 reports of 10 results, 50 namespaces,
// 40 policies), each endpoint as the web app asks it: the figure to keep under a few ms per
// answer, since every query scans every result.
#include <benchmark/benchmark.h>

#include <string>

#include "ui/api.h"
#include "ui/history_store.h"
#include "ui/report_index.h"

namespace {

using kw::ui::Verdict;

constexpr int kReports = 5000;
constexpr int kResultsPerReport = 10;

struct Fixture {
  kw::ui::ReportIndex index;
  std::unique_ptr<kw::ui::HistoryStore> history;

  Fixture() {
    constexpr Verdict kVerdicts[] = {Verdict::kPass, Verdict::kPass, Verdict::kPass, Verdict::kFail,
                                     Verdict::kWarn};
    for (int r = 0; r < kReports; ++r) {
      kw::ui::ParsedReport report;
      const std::string uid = "uid-" + std::to_string(r);
      report.resource = {uid, "v1", r % 3 ? "Pod" : "Deployment",
                         r % 10 ? "namespace-" + std::to_string(r % 50) : "",
                         "resource-" + std::to_string(r)};
      report.run_uid = "run-1";
      for (int i = 0; i < kResultsPerReport; ++i) {
        kw::ui::ReportResult result;
        const int policy = (r + i * 7) % 40;
        result.policy = "clusterwide-policy-" + std::to_string(policy);
        result.result = kVerdicts[(r + i) % 5];
        result.severity = policy % 2 ? "high" : "medium";
        result.category = "category-" + std::to_string(policy % 4);
        result.message = result.result == Verdict::kFail ? "the container runs privileged" : "";
        result.timestamp = "2026-01-01T00:00:00Z";
        result.properties = R"({"validating":"true"})";
        report.results.push_back(std::move(result));
      }
      index.Upsert("PolicyReport/x/" + uid, std::move(report));
    }
    history = std::move(*kw::ui::HistoryStore::Open(":memory:"));
    auto snapshot = *index.Snap();
    for (int scan = 0; scan < 500; ++scan) {
      snapshot.run_uid = "run-" + std::to_string(scan);
      snapshot.time = std::chrono::system_clock::time_point(std::chrono::hours(scan));
      (void)history->Record(snapshot);
    }
  }
};

Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

void BM_Api(benchmark::State& state, std::string target) {
  Fixture& fixture = Shared();
  const kw::ui::Api api(fixture.index, fixture.history.get());
  for (auto _ : state) {
    kw::ui::ApiAnswer answer = api.Answer(target);
    if (answer.status != 200) state.SkipWithError(answer.body.c_str());
    benchmark::DoNotOptimize(answer);
  }
}

BENCHMARK_CAPTURE(BM_Api, summary, "/api/v1/summary")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, summary_search, "/api/v1/summary?search=PRIVILEGED&namespace=namespace-3")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, history, "/api/v1/history")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, history_namespace, "/api/v1/history?namespace=namespace-3")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, namespaces, "/api/v1/namespaces?sort=fail")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, policies, "/api/v1/policies?sort=fail")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, resources, "/api/v1/resources?sort=fail&page=3")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, resources_search, "/api/v1/resources?search=resource-12&result=fail")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, resource, "/api/v1/resources/uid-4321")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, results, "/api/v1/results?sort=name&page=100&per_page=500")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, results_policy, "/api/v1/results?policy=clusterwide-policy-7&result=fail")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Api, filters, "/api/v1/filters")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
