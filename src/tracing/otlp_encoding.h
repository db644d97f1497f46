// The two OTLP encodings of an ExportTraceServiceRequest (opentelemetry-proto,
// collector/trace/v1): protobuf for http/protobuf and the OTLP/JSON mapping for http/json. One
// ResourceSpans (the resource's service.name), one ScopeSpans (the instrumentation scope), the
// spans in the order given. Pure functions, thread-safe.
//
// The protobuf is written by hand (a few messages), with the field numbers of the .proto files.
// JSON follows OTLP's rules, which differ from protobuf's canonical JSON mapping: trace and span
// ids are lowercase hex (not base64), enums are numbers, 64-bit integers are decimal strings,
// field names are lowerCamelCase.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tracing/span.h"

namespace kw::tracing {

struct ExportIdentity {
  std::string_view service_name;   // resource attribute service.name
  std::string_view scope_name;     // InstrumentationScope.name
  std::string_view scope_version;  // InstrumentationScope.version ("" = none)
};

std::string TracesProtobuf(const std::vector<SpanData>& spans, const ExportIdentity& identity);
std::string TracesJson(const std::vector<SpanData>& spans, const ExportIdentity& identity);

inline constexpr std::string_view kProtobufContentType = "application/x-protobuf";
inline constexpr std::string_view kJsonContentType = "application/json";

}  // namespace kw::tracing
