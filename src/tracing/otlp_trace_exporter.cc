#include "tracing/otlp_trace_exporter.h"

#include <spdlog/spdlog.h>

#include "otlp/resource.h"
#include "tracing/otlp_encoding.h"

namespace kw::tracing {

Result<TraceExportConfig> TraceExportConfigFromEnvironment(const otlp::Environment& environment) {
  KW_ASSIGN_OR_RETURN(
      std::optional<otlp::HttpExportConfig> http,
      otlp::HttpExportConfigFromEnvironment(otlp::kTraces, environment, "http://localhost:4318"));
  TraceExportConfig config{.http = std::move(*http)};
  if (auto protocol = otlp::SignalVariable(environment, otlp::kTraces, "PROTOCOL")) {
    if (*protocol == "http/json") {
      config.protocol = ExportProtocol::kJson;
    } else if (*protocol != "http/protobuf") {
      spdlog::warn("OTLP protocol '{}' is not supported: traces are exported as http/protobuf",
                   *protocol);
    }
  }
  config.batch = BatchOptionsFromEnvironment(environment);
  return config;
}

Result<std::unique_ptr<OtlpTraceExporter>> OtlpTraceExporter::Start(TraceExportConfig config,
                                                                    std::string_view version) {
  std::unique_ptr<OtlpTraceExporter> exporter(new OtlpTraceExporter());
  KW_ASSIGN_OR_RETURN(exporter->http_, otlp::HttpExporter::Create(std::move(config.http), "traces"));
  exporter->protocol_ = config.protocol;
  exporter->version_ = std::string(version);
  exporter->processor_ = std::make_unique<BatchSpanProcessor>(
      config.batch, [e = exporter.get()](std::vector<SpanData> batch) {
        const ExportIdentity identity{otlp::kServiceName, otlp::kServiceName, e->version_};
        if (e->protocol_ == ExportProtocol::kJson) {
          e->http_->Post(TracesJson(batch, identity), kJsonContentType);
        } else {
          e->http_->Post(TracesProtobuf(batch, identity), kProtobufContentType);
        }
      });
  return exporter;
}

OtlpTraceExporter::~OtlpTraceExporter() { Shutdown(); }

void OtlpTraceExporter::Shutdown() {
  if (processor_) processor_->Shutdown();
}

}  // namespace kw::tracing
