// Pushes the metrics of a Registry to an OpenTelemetry collector over OTLP/HTTP, JSON encoding
// (`POST <url>`, Content-Type application/json, body = exposition.h's OtlpJson), every
// `interval` and once more when stopped.
//
// Upstream pushes OTLP/gRPC (protobuf); collectors accept both on their standard ports, gRPC on
// 4317 and HTTP on 4318, so an endpoint configured for upstream must point at the HTTP port.
//
// Configuration: otlp/http_export.h's, for the METRICS signal, plus
//   OTEL_METRIC_EXPORT_INTERVAL          milliseconds between exports (default 60000)
// Only http/json is spoken: another OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL gets a warning.
//
// Failures to export are logged and retried at the next interval, never fatal. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/error.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "otlp/http_export.h"

namespace kw::metrics {

struct OtlpExporterConfig {
  otlp::HttpExportConfig http;
  std::chrono::milliseconds interval{60000};
};

using otlp::Environment;
using otlp::ProcessEnvironment;

// The exporter's configuration (see above), or nullopt when no endpoint is set. An unusable
// interval is warned about and replaced by its default, as the OpenTelemetry SDKs do.
Result<std::optional<OtlpExporterConfig>> OtlpExporterConfigFromEnvironment(
    const Environment& environment = ProcessEnvironment);

// The URL parsing of net/http_client.h, under the names this header has always offered.
using net::HttpUrl;
using net::ParseHttpUrl;

class OtlpExporter {
 public:
  // Checks the URL and loads the TLS files (errors are start-up errors), then starts the export
  // thread. `registry` must outlive the exporter.
  static Result<std::unique_ptr<OtlpExporter>> Start(const Registry& registry,
                                                     OtlpExporterConfig config);
  // Stop().
  ~OtlpExporter();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  // Exports one last time (bounded by the timeout), then joins the thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit OtlpExporter(std::unique_ptr<Impl> impl);
  void Run();

  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kw::metrics
