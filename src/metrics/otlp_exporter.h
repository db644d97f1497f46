// Pushes the metrics of a Registry to an OpenTelemetry collector over OTLP/HTTP, JSON encoding
// (`POST <url>`, Content-Type application/json, body = exposition.h's OtlpJson), every
// `interval` and once more when stopped.
//
// Upstream pushes OTLP/gRPC (protobuf); collectors accept both on their standard ports, gRPC on
// 4317 and HTTP on 4318, so an endpoint configured for upstream must point at the HTTP port.
//
// Configuration, from the standard OpenTelemetry environment (empty values count as unset):
//   OTEL_EXPORTER_OTLP_METRICS_ENDPOINT  the URL to POST to, as is; else
//   OTEL_EXPORTER_OTLP_ENDPOINT          a base URL, to which "/v1/metrics" is appended
//   OTEL_METRIC_EXPORT_INTERVAL          milliseconds between exports (default 60000)
//   OTEL_EXPORTER_OTLP[_METRICS]_TIMEOUT milliseconds one export may take (default 10000)
//   OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL only http/json is spoken: other values get a warning
//   OTEL_EXPORTER_OTLP[_METRICS]_CERTIFICATE         PEM CA bundle that verifies the collector
//                                                    (default: the system's trust store)
//   OTEL_EXPORTER_OTLP[_METRICS]_CLIENT_CERTIFICATE  PEM client certificate (chain) and
//   OTEL_EXPORTER_OTLP[_METRICS]_CLIENT_KEY          its key, for mTLS
//   OTEL_EXPORTER_OTLP[_METRICS]_HEADERS  extra request headers, `key=value,key2=value2`, keys
//                                        and values percent-encoded (W3C baggage style); a
//                                        malformed entry is warned about and skipped
// An `https://` URL is TLS (the server name is checked against the URL's host); `http://` is
// plain. A per-signal variable wins over the generic one. Upstream reads the TLS variables with
// malformed per-signal names (policy-server.md §7.9), so only the generic names work with both.
//
// Failures to export (connection refused, timeouts, non-2xx answers) are logged and retried at
// the next interval, never fatal. Thread-safe.
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

namespace kw::metrics {

struct OtlpExporterConfig {
  std::string url;
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds timeout{10000};
  std::optional<std::string> ca_file;
  std::optional<std::string> client_certificate_file;
  std::optional<std::string> client_key_file;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every export
};

// Reads an environment variable; nullopt when it is unset.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment (getenv).
std::optional<std::string> ProcessEnvironment(const std::string& name);

// The exporter's configuration (see above), or nullopt when no endpoint is set. Unusable values
// of the interval and timeout are warned about and replaced by their defaults, as the
// OpenTelemetry SDKs do; a client certificate without its key (or the reverse) is an error.
Result<std::optional<OtlpExporterConfig>> OtlpExporterConfigFromEnvironment(
    const Environment& environment = ProcessEnvironment);

// Parses an OTEL_EXPORTER_OTLP_HEADERS value (`what` names the variable in warnings about the
// entries skipped).
std::vector<std::pair<std::string, std::string>> ParseOtlpHeaders(std::string_view text,
                                                                  std::string_view what);

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
