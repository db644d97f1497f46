// What the OTLP/HTTP exporters (metrics, traces) share: their configuration from the standard
// OpenTelemetry environment and the POST of an encoded export request to the collector.
//
// Per signal (<S> = METRICS or TRACES), empty values counting as unset:
//   OTEL_EXPORTER_OTLP_<S>_ENDPOINT      the URL to POST to, as is; else
//   OTEL_EXPORTER_OTLP_ENDPOINT          a base URL, to which "/v1/<signal>" is appended
//   OTEL_EXPORTER_OTLP[_<S>]_TIMEOUT     milliseconds one export may take (default 10000)
//   OTEL_EXPORTER_OTLP[_<S>]_PROTOCOL    http/json or http/protobuf (what each exporter speaks
//                                        is its own business: ExportProtocol reads it)
//   OTEL_EXPORTER_OTLP[_<S>]_CERTIFICATE         PEM CA bundle that verifies the collector
//                                                (default: the system's trust store)
//   OTEL_EXPORTER_OTLP[_<S>]_CLIENT_CERTIFICATE  PEM client certificate (chain) and
//   OTEL_EXPORTER_OTLP[_<S>]_CLIENT_KEY          its key, for mTLS
//   OTEL_EXPORTER_OTLP[_<S>]_HEADERS     extra request headers, `key=value,key2=value2`, keys
//                                        and values percent-encoded (W3C baggage style); a
//                                        malformed entry is warned about and skipped
// An `https://` URL is TLS (the server name is checked against the URL's host); `http://` is
// plain. A per-signal variable wins over the generic one. Upstream reads the TLS variables with
// malformed per-signal names (policy-server.md §5.3), so only the generic names work with both.
//
// Upstream exports over OTLP/gRPC; collectors accept OTLP/HTTP on their standard port 4318
// (gRPC is 4317), so an endpoint configured for upstream must point at the HTTP port.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "net/http_client.h"

namespace kw::otlp {

// Reads an environment variable; nullopt when it is unset.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment (getenv).
std::optional<std::string> ProcessEnvironment(const std::string& name);

// A signal's names: "METRICS" and "metrics" (its path is /v1/metrics).
struct Signal {
  std::string_view variable;
  std::string_view path;
};
inline constexpr Signal kMetrics{"METRICS", "metrics"};
inline constexpr Signal kTraces{"TRACES", "traces"};

struct HttpExportConfig {
  std::string url;
  std::chrono::milliseconds timeout{10000};
  std::optional<std::string> ca_file;
  std::optional<std::string> client_certificate_file;
  std::optional<std::string> client_key_file;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every export
};

// The configuration of `signal`'s exporter (see above). Without an endpoint: nullopt, or, when
// `default_base_url` is given, that base URL. An unusable timeout is warned about and replaced
// by the default, as the OpenTelemetry SDKs do; a client certificate without its key (or the
// reverse) is an error.
Result<std::optional<HttpExportConfig>> HttpExportConfigFromEnvironment(
    Signal signal, const Environment& environment,
    std::optional<std::string_view> default_base_url = std::nullopt);

// The per-signal variable OTEL_EXPORTER_OTLP_<S>_<suffix>, else OTEL_EXPORTER_OTLP_<suffix>;
// empty values count as unset.
std::optional<std::string> SignalVariable(const Environment& environment, Signal signal,
                                          std::string_view suffix);

// A positive number of milliseconds, else `fallback` (with a warning naming `name` when `text`
// is set but unusable).
std::chrono::milliseconds MillisecondsOr(const std::optional<std::string>& text,
                                         std::string_view name,
                                         std::chrono::milliseconds fallback);

// Parses an OTEL_EXPORTER_OTLP_HEADERS value (`what` names the variable in warnings about the
// entries skipped).
std::vector<std::pair<std::string, std::string>> ParseOtlpHeaders(std::string_view text,
                                                                  std::string_view what);

// POSTs export requests to one collector. Failures (connection refused, timeouts, non-2xx
// answers) are logged, and the first success after them too; they are never fatal. Thread-safe
// but serializing: one exporter thread is expected to use it.
class HttpExporter {
 public:
  // Checks the URL and loads the TLS files (errors are start-up errors). `what` names the
  // signal in messages ("metrics").
  static Result<std::unique_ptr<HttpExporter>> Create(HttpExportConfig config,
                                                      std::string_view what);

  // POSTs `body` with `content_type` (which configured headers cannot replace; they may
  // replace the User-Agent). True when the collector answered 2xx.
  bool Post(std::string body, std::string_view content_type);

  const HttpExportConfig& config() const { return config_; }

 private:
  HttpExporter(HttpExportConfig config, std::string what) : config_(std::move(config)),
                                                            what_(std::move(what)) {}

  HttpExportConfig config_;
  std::string what_;
  std::shared_ptr<const net::TlsConfig> tls_;
  std::mutex mutex_;
  bool failing_ = false;  // the last export failed: log the recovery
};

}  // namespace kw::otlp
