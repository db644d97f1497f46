#include "tracing/batch_processor.h"

#include <charconv>
#include <string>

#include <spdlog/spdlog.h>

namespace kw::tracing {
namespace {

std::uint64_t PositiveOr(const EnvironmentLookup& environment, const std::string& name,
                         std::uint64_t fallback) {
  std::optional<std::string> text = environment(name);
  if (!text || text->empty()) return fallback;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value == 0) {
    spdlog::warn("{}: '{}' is not a positive integer; using {}", name, *text, fallback);
    return fallback;
  }
  return value;
}

}  // namespace

BatchOptions BatchOptionsFromEnvironment(const EnvironmentLookup& environment) {
  BatchOptions defaults;
  BatchOptions options;
  options.schedule_delay = std::chrono::milliseconds(PositiveOr(
      environment, "OTEL_BSP_SCHEDULE_DELAY",
      static_cast<std::uint64_t>(defaults.schedule_delay.count())));
  options.max_queue_size =
      PositiveOr(environment, "OTEL_BSP_MAX_QUEUE_SIZE", defaults.max_queue_size);
  options.max_export_batch_size =
      PositiveOr(environment, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", defaults.max_export_batch_size);
  if (options.max_export_batch_size > options.max_queue_size) {
    // What the specification asks of SDKs: a batch never exceeds the queue.
    options.max_export_batch_size = options.max_queue_size;
  }
  return options;
}

BatchSpanProcessor::BatchSpanProcessor(BatchOptions options, Exporter exporter)
    : options_(options), exporter_(std::move(exporter)) {
  queue_.reserve(options_.max_queue_size);
  thread_ = std::thread([this] { Run(); });
}

BatchSpanProcessor::~BatchSpanProcessor() { Shutdown(); }

void BatchSpanProcessor::Record(SpanData span) {
  bool batch_ready = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || queue_.size() >= options_.max_queue_size) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(span));
    batch_ready = queue_.size() == options_.max_export_batch_size;
  }
  // Only when a batch fills: waking the thread costs a system call.
  if (batch_ready) wake_.notify_one();
}

void BatchSpanProcessor::ExportAll(std::vector<SpanData>& spans) {
  for (std::size_t first = 0; first < spans.size(); first += options_.max_export_batch_size) {
    const std::size_t last = std::min(spans.size(), first + options_.max_export_batch_size);
    std::vector<SpanData> batch(std::make_move_iterator(spans.begin() + first),
                                std::make_move_iterator(spans.begin() + last));
    try {
      exporter_(std::move(batch));
    } catch (const std::exception& e) {  // allocation failure and the like: those spans are lost
      spdlog::warn("exporting spans failed: {}", e.what());
    }
  }
  spans.clear();
  const std::uint64_t dropped = dropped_.load(std::memory_order_relaxed);
  if (dropped != dropped_reported_) {
    spdlog::warn("{} spans dropped: the export queue (OTEL_BSP_MAX_QUEUE_SIZE={}) was full",
                 dropped - dropped_reported_, options_.max_queue_size);
    dropped_reported_ = dropped;
  }
}

void BatchSpanProcessor::Run() {
  std::vector<SpanData> taken;
  taken.reserve(options_.max_queue_size);
  std::unique_lock lock(mutex_);
  for (bool last = false; !last;) {
    wake_.wait_for(lock, options_.schedule_delay, [&] {
      return stopping_ || queue_.size() >= options_.max_export_batch_size;
    });
    last = stopping_;
    if (last) stopped_ = true;  // from now on Record drops
    taken.swap(queue_);  // queue_ gets the empty vector with its capacity
    lock.unlock();
    ExportAll(taken);
    lock.lock();
  }
}

void BatchSpanProcessor::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kw::tracing
