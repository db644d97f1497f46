// policy-server's traces (--log-fmt otlp): the spans of requests and evaluations batched
// (batch_processor.h) and POSTed over OTLP/HTTP (otlp/http_export.h, the TRACES signal:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, else
// http://localhost:4318/v1/traces, the OpenTelemetry default), encoded as
// OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL says:
//   http/protobuf (the OpenTelemetry default), http/json; anything else (grpc, upstream's) is
//   warned about and exported as http/protobuf.
// Resource service.name "kubewarden-policy-server" (upstream's); instrumentation scope
// "kubewarden-policy-server" with the server's version (ours: upstream's comes from its tracing
// bridge).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "otlp/http_export.h"
#include "tracing/batch_processor.h"
#include "tracing/span.h"

namespace kw::tracing {

enum class ExportProtocol { kProtobuf, kJson };

struct TraceExportConfig {
  otlp::HttpExportConfig http;
  ExportProtocol protocol = ExportProtocol::kProtobuf;
  BatchOptions batch;
};

Result<TraceExportConfig> TraceExportConfigFromEnvironment(
    const otlp::Environment& environment = otlp::ProcessEnvironment);

class OtlpTraceExporter final : public SpanSink {
 public:
  // Checks the URL and loads the TLS files (start-up errors), then starts the export thread.
  static Result<std::unique_ptr<OtlpTraceExporter>> Start(TraceExportConfig config,
                                                          std::string_view version);
  ~OtlpTraceExporter() override;

  void Record(SpanData span) override { processor_->Record(std::move(span)); }
  // Exports the spans still queued, then stops (see BatchSpanProcessor::Shutdown).
  void Shutdown();
  std::uint64_t dropped() const { return processor_->dropped(); }

 private:
  OtlpTraceExporter() = default;

  std::unique_ptr<otlp::HttpExporter> http_;
  ExportProtocol protocol_ = ExportProtocol::kProtobuf;
  std::string version_;
  std::unique_ptr<BatchSpanProcessor> processor_;
};

}  // namespace kw::tracing
