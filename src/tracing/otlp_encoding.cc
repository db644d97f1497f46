#include "tracing/otlp_encoding.h"

#include <bit>
#include <cstdint>

#include "base/json.h"

namespace kw::tracing {
namespace {

// ---------------------------------------------------------------------------------------------
// Protobuf: a message is a string of fields; a nested message is encoded into its own string,
// then appended as a length-delimited field.

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

class ProtoMessage {
 public:
  void Varint(std::uint32_t field, std::uint64_t value) {
    Tag(field, kVarint);
    PutVarint(value);
  }
  void Fixed64(std::uint32_t field, std::uint64_t value) {
    Tag(field, kFixed64);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
  }
  void Bytes(std::uint32_t field, std::string_view value) {
    Tag(field, kLength);
    PutVarint(value.size());
    out_.append(value);
  }
  template <std::size_t N>
  void Bytes(std::uint32_t field, const std::array<std::uint8_t, N>& id) {
    Bytes(field, std::string_view(reinterpret_cast<const char*>(id.data()), N));
  }
  void Message(std::uint32_t field, const ProtoMessage& message) { Bytes(field, message.out_); }

  const std::string& bytes() const { return out_; }

 private:
  void Tag(std::uint32_t field, WireType type) { PutVarint(field << 3 | type); }
  void PutVarint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  std::string out_;
};

// AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4 (a oneof: written
// even when it holds the default).
ProtoMessage ProtoAnyValue(const AttributeValue& value) {
  ProtoMessage any;
  if (const auto* s = std::get_if<std::string>(&value)) {
    any.Bytes(1, *s);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    any.Varint(2, *b ? 1 : 0);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    any.Varint(3, static_cast<std::uint64_t>(*i));
  } else {
    any.Fixed64(4, std::bit_cast<std::uint64_t>(std::get<double>(value)));
  }
  return any;
}

// KeyValue: key = 1, value = 2.
void ProtoAttributes(ProtoMessage& into, std::uint32_t field,
                     const std::vector<Attribute>& attributes) {
  for (const Attribute& attribute : attributes) {
    ProtoMessage kv;
    kv.Bytes(1, attribute.key);
    kv.Message(2, ProtoAnyValue(attribute.value));
    into.Message(field, kv);
  }
}

// Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6,
// start_time_unix_nano = 7, end_time_unix_nano = 8, attributes = 9,
// dropped_attributes_count = 10, events = 11, dropped_events_count = 12.
// Span.Event: time_unix_nano = 1, name = 2, attributes = 3.
ProtoMessage ProtoSpan(const SpanData& span) {
  ProtoMessage s;
  s.Bytes(1, span.trace_id);
  s.Bytes(2, span.span_id);
  if (span.parent_span_id) s.Bytes(4, *span.parent_span_id);
  s.Bytes(5, span.name);
  s.Varint(6, static_cast<std::uint64_t>(span.kind));
  s.Fixed64(7, span.start_unix_nano);
  s.Fixed64(8, span.end_unix_nano);
  ProtoAttributes(s, 9, span.attributes);
  if (span.dropped_attributes > 0) s.Varint(10, span.dropped_attributes);
  for (const SpanEvent& event : span.events) {
    ProtoMessage e;
    e.Fixed64(1, event.time_unix_nano);
    e.Bytes(2, event.name);
    ProtoAttributes(e, 3, event.attributes);
    s.Message(11, e);
  }
  if (span.dropped_events > 0) s.Varint(12, span.dropped_events);
  return s;
}

// ---------------------------------------------------------------------------------------------
// JSON

json::array JsonAttributes(const std::vector<Attribute>& attributes) {
  json::array out;
  out.reserve(attributes.size());
  for (const Attribute& attribute : attributes) {
    json::object value;
    if (const auto* s = std::get_if<std::string>(&attribute.value)) {
      value["stringValue"] = *s;
    } else if (const auto* b = std::get_if<bool>(&attribute.value)) {
      value["boolValue"] = *b;
    } else if (const auto* i = std::get_if<std::int64_t>(&attribute.value)) {
      value["intValue"] = std::to_string(*i);
    } else {
      value["doubleValue"] = std::get<double>(attribute.value);
    }
    out.push_back(json::object{{"key", attribute.key}, {"value", std::move(value)}});
  }
  return out;
}

json::object JsonSpan(const SpanData& span) {
  json::object s;
  s["traceId"] = Hex(span.trace_id);
  s["spanId"] = Hex(span.span_id);
  if (span.parent_span_id) s["parentSpanId"] = Hex(*span.parent_span_id);
  s["name"] = span.name;
  s["kind"] = static_cast<int>(span.kind);
  s["startTimeUnixNano"] = std::to_string(span.start_unix_nano);
  s["endTimeUnixNano"] = std::to_string(span.end_unix_nano);
  s["attributes"] = JsonAttributes(span.attributes);
  if (span.dropped_attributes > 0) s["droppedAttributesCount"] = span.dropped_attributes;
  if (!span.events.empty()) {
    json::array events;
    for (const SpanEvent& event : span.events) {
      events.push_back(json::object{{"timeUnixNano", std::to_string(event.time_unix_nano)},
                                    {"name", event.name},
                                    {"attributes", JsonAttributes(event.attributes)}});
    }
    s["events"] = std::move(events);
  }
  if (span.dropped_events > 0) s["droppedEventsCount"] = span.dropped_events;
  return s;
}

}  // namespace

// ExportTraceServiceRequest: resource_spans = 1. ResourceSpans: resource = 1, scope_spans = 2.
// Resource: attributes = 1. ScopeSpans: scope = 1, spans = 2. InstrumentationScope: name = 1,
// version = 2.
std::string TracesProtobuf(const std::vector<SpanData>& spans, const ExportIdentity& identity) {
  ProtoMessage resource;
  ProtoAttributes(resource, 1, {{"service.name", std::string(identity.service_name)}});
  ProtoMessage scope;
  scope.Bytes(1, identity.scope_name);
  if (!identity.scope_version.empty()) scope.Bytes(2, identity.scope_version);
  ProtoMessage scope_spans;
  scope_spans.Message(1, scope);
  for (const SpanData& span : spans) scope_spans.Message(2, ProtoSpan(span));
  ProtoMessage resource_spans;
  resource_spans.Message(1, resource);
  resource_spans.Message(2, scope_spans);
  ProtoMessage request;
  request.Message(1, resource_spans);
  return request.bytes();
}

std::string TracesJson(const std::vector<SpanData>& spans, const ExportIdentity& identity) {
  json::array encoded;
  encoded.reserve(spans.size());
  for (const SpanData& span : spans) encoded.push_back(JsonSpan(span));
  json::object scope{{"name", identity.scope_name}};
  if (!identity.scope_version.empty()) scope["version"] = identity.scope_version;
  json::object resource{
      {"attributes", JsonAttributes({{"service.name", std::string(identity.service_name)}})}};
  json::object scope_spans{{"scope", std::move(scope)}, {"spans", std::move(encoded)}};
  json::object resource_spans{{"resource", std::move(resource)},
                              {"scopeSpans", json::array{std::move(scope_spans)}}};
  return json::serialize(
      json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

}  // namespace kw::tracing
