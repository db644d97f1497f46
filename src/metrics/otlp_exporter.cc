#include "metrics/otlp_exporter.h"

#include <spdlog/spdlog.h>

#include "metrics/exposition.h"

namespace kw::metrics {
namespace {

constexpr std::chrono::milliseconds kDefaultInterval{60000};

}  // namespace

Result<std::optional<OtlpExporterConfig>> OtlpExporterConfigFromEnvironment(
    const Environment& environment) {
  KW_ASSIGN_OR_RETURN(std::optional<otlp::HttpExportConfig> http,
                      otlp::HttpExportConfigFromEnvironment(otlp::kMetrics, environment));
  if (!http) return std::nullopt;
  if (auto protocol = otlp::SignalVariable(environment, otlp::kMetrics, "PROTOCOL");
      protocol && *protocol != "http/json") {
    spdlog::warn("OTLP protocol '{}' is not supported: metrics are exported as http/json",
                 *protocol);
  }
  OtlpExporterConfig config{.http = std::move(*http)};
  config.interval = otlp::MillisecondsOr(environment("OTEL_METRIC_EXPORT_INTERVAL"),
                                         "OTEL_METRIC_EXPORT_INTERVAL", kDefaultInterval);
  return config;
}

struct OtlpExporter::Impl {
  const Registry& registry;
  std::chrono::milliseconds interval;
  std::unique_ptr<otlp::HttpExporter> http;

  void Export() {
    Snapshot snapshot = registry.Collect();
    if (snapshot.evaluations_total.empty()) return;  // nothing recorded yet
    http->Post(OtlpJson(snapshot), "application/json");
  }
};

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::Start(const Registry& registry,
                                                          OtlpExporterConfig config) {
  KW_ASSIGN_OR_RETURN(std::unique_ptr<otlp::HttpExporter> http,
                      otlp::HttpExporter::Create(std::move(config.http), "metrics"));
  std::unique_ptr<Impl> impl(new Impl{registry, config.interval, std::move(http)});
  std::unique_ptr<OtlpExporter> exporter(new OtlpExporter(std::move(impl)));
  exporter->thread_ = std::thread([e = exporter.get()] { e->Run(); });
  return exporter;
}

OtlpExporter::OtlpExporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpExporter::~OtlpExporter() { Stop(); }

void OtlpExporter::Run() {
  std::unique_lock lock(mutex_);
  for (bool last = false; !last;) {
    wake_.wait_for(lock, impl_->interval, [&] { return stopping_; });
    last = stopping_;  // the final export happens on the way out
    lock.unlock();
    try {
      impl_->Export();
    } catch (const std::exception& e) {  // allocation failure and the like: try again later
      spdlog::warn("exporting metrics failed: {}", e.what());
    }
    lock.lock();
  }
}

void OtlpExporter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kw::metrics
