// The batch span processor: spans that ended are queued, and a background thread hands them to
// an exporter in batches, as OpenTelemetry's BatchSpanProcessor does, with its settings:
//   OTEL_BSP_SCHEDULE_DELAY         milliseconds between exports (default 5000)
//   OTEL_BSP_MAX_QUEUE_SIZE         spans queued at most (default 2048)
//   OTEL_BSP_MAX_EXPORT_BATCH_SIZE  spans per export at most (default 512, at most the queue
//                                   size); a full batch is exported without waiting
//
// Recording never waits for an export: the request threads take the lock only to append to a
// vector, and the export thread only to swap it for an empty one. When the queue is full the
// span is dropped and counted; the export thread warns about the spans dropped since its last
// export. The exporter may take as long as it likes (a collector that is slow or down): spans
// queue, then drop, meanwhile.
//
// Shutdown exports what is queued (the exporter bounds each export by its own timeout), then
// joins. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tracing/span.h"

namespace kw::tracing {

struct BatchOptions {
  std::chrono::milliseconds schedule_delay{5000};
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
};

// Reads OTEL_BSP_*; unusable values (not positive integers) are warned about and replaced by
// the defaults.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
BatchOptions BatchOptionsFromEnvironment(const EnvironmentLookup& environment);

class BatchSpanProcessor final : public SpanSink {
 public:
  // Exports one batch (at most max_export_batch_size spans, never empty), on the processor's
  // thread.
  using Exporter = std::function<void(std::vector<SpanData> batch)>;

  BatchSpanProcessor(BatchOptions options, Exporter exporter);
  // Shutdown().
  ~BatchSpanProcessor() override;
  BatchSpanProcessor(const BatchSpanProcessor&) = delete;
  BatchSpanProcessor& operator=(const BatchSpanProcessor&) = delete;

  void Record(SpanData span) override;

  // Exports what is queued, then stops; spans recorded afterwards are dropped (and counted).
  // Idempotent.
  void Shutdown();

  // Spans dropped because the queue was full, since the start.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void ExportAll(std::vector<SpanData>& spans);

  const BatchOptions options_;
  Exporter exporter_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<SpanData> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::uint64_t dropped_reported_ = 0;  // export thread only
  std::thread thread_;
};

}  // namespace kw::tracing
