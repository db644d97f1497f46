// Micro-benchmarks of tracing (--log-fmt otlp, src/tracing), whose recording runs on the worker
// threads for every request. The budget is a few µs per request, against the tens of µs an
// evaluation takes.
//
//   BM_TraceRequest   what one traced /validate records: the request span with upstream's 15
//                     attributes and one evaluation span with 3, both handed to a batch
//                     processor; with 2 threads, both recording into the same processor
//   BM_EncodeBatch    the export thread's work per batch: 512 such spans to OTLP protobuf, and
//                     to OTLP/JSON
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracing/batch_processor.h"
#include "tracing/otlp_encoding.h"
#include "tracing/span.h"

namespace kw::tracing {
namespace {

const ExportIdentity kIdentity{"kubewarden-policy-server", "kubewarden-policy-server", "1.0"};

// What the request span of a /validate of a Pod says about it (api.h).
constexpr std::pair<std::string_view, std::string_view> kRequestAttributes[] = {
    {"request_uid", "1299d386-525b-4032-98ae-1949f69f9cfc"},
    {"host", "policy-server-default-7d9f8b6c5-x2x4z"},
    {"policy_id", "clusterwide-psp-privileged-containers"},
    {"name", "nginx"}, {"namespace", "default"}, {"operation", "CREATE"}, {"subresource", ""},
    {"kind_group", ""}, {"kind_version", "v1"}, {"kind", "Pod"},
    {"resource_group", ""}, {"resource_version", "v1"}, {"resource", "pods"},
};

void RecordRequest(SpanSink& sink) {
  Span request = Span::Start(sink, "validation", SpanKind::kServer);
  for (const auto& [key, value] : kRequestAttributes) request.SetString(key, value);
  {
    CurrentSpan current(request);
    Span evaluation = CurrentSpan::StartChild("policy_evaluation");
    evaluation.SetString("policy_id", "clusterwide-psp-privileged-containers");
    evaluation.SetBool("allowed", true);
    evaluation.SetBool("mutated", false);
  }
  request.SetBool("allowed", true);
  request.SetBool("mutated", false);
}

// The export thread frees what it takes without encoding it (BM_EncodeBatch* measures that):
// here it only has to keep up, so that few spans take the cheaper path of being dropped.
void BM_TraceRequest(benchmark::State& state) {
  static BatchSpanProcessor* processor = nullptr;
  if (state.thread_index() == 0) {
    processor = new BatchSpanProcessor(
        {.schedule_delay = std::chrono::milliseconds(1), .max_queue_size = 65536},
        [](std::vector<SpanData> batch) { benchmark::DoNotOptimize(batch.data()); });
  }
  for (auto _ : state) RecordRequest(*processor);
  if (state.thread_index() == 0) {
    state.counters["dropped"] = static_cast<double>(processor->dropped());
    delete processor;  // after the others: the benchmark joins its threads before teardown
  }
}
BENCHMARK(BM_TraceRequest)->Threads(1)->Threads(2)->UseRealTime();

struct Collect final : SpanSink {
  std::vector<SpanData> spans;
  void Record(SpanData span) override { spans.push_back(std::move(span)); }
};

std::vector<SpanData> Batch() {
  Collect sink;
  while (sink.spans.size() < 512) RecordRequest(sink);
  return sink.spans;
}

void BM_EncodeBatchProtobuf(benchmark::State& state) {
  const std::vector<SpanData> batch = Batch();
  for (auto _ : state) benchmark::DoNotOptimize(TracesProtobuf(batch, kIdentity));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_EncodeBatchProtobuf);

void BM_EncodeBatchJson(benchmark::State& state) {
  const std::vector<SpanData> batch = Batch();
  for (auto _ : state) benchmark::DoNotOptimize(TracesJson(batch, kIdentity));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_EncodeBatchJson);

}  // namespace
}  // namespace kw::tracing

BENCHMARK_MAIN();
