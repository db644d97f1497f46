// Test helper: an OpenTelemetry collector's OTLP/HTTP trace receiver. It takes the POSTs of an
// exporter (testing/http_sink.h underneath: plain or TLS, slow if asked), and decodes what they
// carry, an ExportTraceServiceRequest in protobuf (application/x-protobuf) or OTLP/JSON
// (application/json), into spans a test can check.
//
// The decoders are written from opentelemetry-proto, independently of the project's encoders,
// and are strict: any input they cannot make sense of (truncated, wrong wire types, ids of the
// wrong length, unknown content types) is an error, never a crash. Unknown fields are skipped,
// as protobuf requires.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "testing/http_sink.h"

namespace kw::testing {

// Attribute values as text: strings as they are, others with their type, "bool:true",
// "int:200", "double:1.5"; arrays, maps and bytes as "array", "kvlist", "bytes".
using ReceivedAttributes = std::map<std::string, std::string>;

struct ReceivedEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  ReceivedAttributes attributes;
};

struct ReceivedSpan {
  ReceivedAttributes resource;  // the resource's attributes
  std::string scope_name;
  std::string scope_version;
  std::string trace_id;        // lowercase hex
  std::string span_id;         // lowercase hex
  std::string parent_span_id;  // "" for a root
  std::string name;
  int kind = 0;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  ReceivedAttributes attributes;
  std::vector<ReceivedEvent> events;
  std::uint32_t dropped_events = 0;
};

Result<std::vector<ReceivedSpan>> DecodeTracesProtobuf(std::string_view body);
Result<std::vector<ReceivedSpan>> DecodeTracesJson(std::string_view body);

class OtlpReceiver {
 public:
  explicit OtlpReceiver(HttpSinkOptions options = {}) : sink_(std::move(options)) {}

  // http://127.0.0.1:<port> or https://localhost:<port>, without a path.
  std::string Url() const { return sink_.Url(); }

  // Every span received so far, decoded from every request in order. A request that does not
  // decode (or is not a POST to /v1/traces) fails the current test.
  std::vector<ReceivedSpan> Spans();
  // Waits until at least `count` spans arrived (or `timeout` passed); returns them all.
  std::vector<ReceivedSpan> WaitForSpans(std::size_t count, std::chrono::milliseconds timeout);

  HttpSink& sink() { return sink_; }

 private:
  HttpSink sink_;
};

}  // namespace kw::testing
