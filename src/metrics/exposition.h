// The two encodings of a metrics Snapshot (metrics.h): the Prometheus text exposition format
// (version 0.0.4) that `GET /metrics` serves, and the OTLP/JSON ExportMetricsServiceRequest that
// the OTLP/HTTP exporter pushes. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "metrics/metrics.h"
#include "otlp/resource.h"

namespace kw::metrics {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// `# HELP` and `# TYPE` for both instruments (also when they have no series yet), then one line
// per counter series and, per histogram series, its cumulative `_bucket{...,le="..."}` lines
// (le="+Inf" last), `_sum` and `_count`. Label values are escaped (\\, \", \n); booleans are
// `true`/`false`.
std::string PrometheusText(const Snapshot& snapshot);

// The resource (service.name), scope and process-wide identity the OTLP export carries.
using otlp::kServiceName;
inline constexpr std::string_view kMeterName = "kubewarden";

// An OTLP/JSON ExportMetricsServiceRequest: one resource (service.name = kServiceName), one scope
// (kMeterName), a monotonic cumulative Sum and a cumulative Histogram (with min and max), as the
// OpenTelemetry SDK exports them. 64-bit integers are decimal strings, as the protobuf JSON
// mapping writes them. Instruments without series are left out.
std::string OtlpJson(const Snapshot& snapshot);

}  // namespace kw::metrics
