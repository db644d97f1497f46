#include "testing/otlp_receiver.h"

#include <bit>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "base/json.h"

namespace kw::testing {
namespace {

std::unexpected<Error> Malformed(std::string what) {
  return Fail(ErrorKind::kSyntax, "malformed ExportTraceServiceRequest: " + std::move(what));
}

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

// ---------------------------------------------------------------------------------------------
// Protobuf

struct ProtoField {
  std::uint32_t number = 0;
  std::uint32_t wire_type = 0;
  std::uint64_t integer = 0;  // varint, fixed64, fixed32
  std::string_view bytes;     // length-delimited
};

// The fields of one message, in order.
Result<std::vector<ProtoField>> ProtoFields(std::string_view message) {
  std::vector<ProtoField> fields;
  std::size_t at = 0;
  const auto varint = [&]() -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= message.size()) return std::nullopt;
      const auto byte = static_cast<unsigned char>(message[at++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;  // more than 10 bytes
  };
  const auto fixed = [&](std::size_t size) -> std::optional<std::uint64_t> {
    if (message.size() - at < size) return std::nullopt;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(message[at + i])) << (8 * i);
    }
    at += size;
    return value;
  };
  while (at < message.size()) {
    const std::optional<std::uint64_t> tag = varint();
    if (!tag) return Malformed("truncated tag");
    ProtoField field;
    field.number = static_cast<std::uint32_t>(*tag >> 3);
    field.wire_type = static_cast<std::uint32_t>(*tag & 7);
    if (field.number == 0 || (*tag >> 3) > 0x1fffffff) return Malformed("bad field number");
    std::optional<std::uint64_t> value;
    switch (field.wire_type) {
      case 0:
        value = varint();
        break;
      case 1:
        value = fixed(8);
        break;
      case 5:
        value = fixed(4);
        break;
      case 2: {
        const std::optional<std::uint64_t> length = varint();
        if (!length || *length > message.size() - at) return Malformed("truncated length field");
        field.bytes = message.substr(at, static_cast<std::size_t>(*length));
        at += static_cast<std::size_t>(*length);
        value = *length;
        break;
      }
      default:
        return Malformed("unsupported wire type " + std::to_string(field.wire_type));
    }
    if (!value) return Malformed("truncated field " + std::to_string(field.number));
    field.integer = *value;
    fields.push_back(field);
  }
  return fields;
}

Result<void> Expect(const ProtoField& field, std::uint32_t wire_type) {
  if (field.wire_type != wire_type) {
    return Malformed("field " + std::to_string(field.number) + " has wire type " +
                     std::to_string(field.wire_type));
  }
  return {};
}

Result<std::string> ProtoAnyValue(std::string_view message) {
  KW_ASSIGN_OR_RETURN(auto fields, ProtoFields(message));
  std::string value;
  for (const ProtoField& f : fields) {
    if (f.number == 1) {
      KW_TRY(Expect(f, 2));
      value = std::string(f.bytes);
    } else if (f.number == 2) {
      KW_TRY(Expect(f, 0));
      value = f.integer != 0 ? "bool:true" : "bool:false";
    } else if (f.number == 3) {
      KW_TRY(Expect(f, 0));
      value = "int:" + std::to_string(static_cast<std::int64_t>(f.integer));
    } else if (f.number == 4) {
      KW_TRY(Expect(f, 1));
      value = "double:" + std::to_string(std::bit_cast<double>(f.integer));
    } else if (f.number >= 5 && f.number <= 7) {
      value = f.number == 5 ? "array" : f.number == 6 ? "kvlist" : "bytes";
    }
  }
  return value;
}

Result<void> ProtoKeyValue(std::string_view message, ReceivedAttributes& into) {
  KW_ASSIGN_OR_RETURN(auto fields, ProtoFields(message));
  std::string key, value;
  for (const ProtoField& f : fields) {
    if (f.number == 1) {
      KW_TRY(Expect(f, 2));
      key = std::string(f.bytes);
    } else if (f.number == 2) {
      KW_TRY(Expect(f, 2));
      KW_ASSIGN_OR_RETURN(value, ProtoAnyValue(f.bytes));
    }
  }
  if (key.empty()) return Malformed("attribute without a key");
  into[key] = value;
  return {};
}

Result<std::string> ProtoId(const ProtoField& f, std::size_t size, std::string_view what) {
  KW_TRY(Expect(f, 2));
  if (f.bytes.size() != size) return Malformed(std::string(what) + " of the wrong length");
  return HexOf(f.bytes);
}

Result<ReceivedEvent> ProtoEvent(std::string_view message) {
  KW_ASSIGN_OR_RETURN(auto fields, ProtoFields(message));
  ReceivedEvent event;
  for (const ProtoField& f : fields) {
    if (f.number == 1) {
      KW_TRY(Expect(f, 1));
      event.time_unix_nano = f.integer;
    } else if (f.number == 2) {
      KW_TRY(Expect(f, 2));
      event.name = std::string(f.bytes);
    } else if (f.number == 3) {
      KW_TRY(Expect(f, 2));
      KW_TRY(ProtoKeyValue(f.bytes, event.attributes));
    }
  }
  return event;
}

Result<ReceivedSpan> ProtoSpan(std::string_view message, ReceivedSpan span) {
  KW_ASSIGN_OR_RETURN(auto fields, ProtoFields(message));
  for (const ProtoField& f : fields) {
    const std::uint32_t wire_type = f.number == 6 || f.number == 10 || f.number == 12 ? 0
                                    : f.number == 7 || f.number == 8 ? 1
                                                                     : 2;
    if (f.number <= 12) KW_TRY(Expect(f, wire_type));
    if (f.number == 1) {
      KW_ASSIGN_OR_RETURN(span.trace_id, ProtoId(f, 16, "trace_id"));
    } else if (f.number == 2) {
      KW_ASSIGN_OR_RETURN(span.span_id, ProtoId(f, 8, "span_id"));
    } else if (f.number == 4 && !f.bytes.empty()) {
      KW_ASSIGN_OR_RETURN(span.parent_span_id, ProtoId(f, 8, "parent_span_id"));
    } else if (f.number == 5) {
      span.name = std::string(f.bytes);
    } else if (f.number == 6) {
      span.kind = static_cast<int>(f.integer);
    } else if (f.number == 7) {
      span.start_unix_nano = f.integer;
    } else if (f.number == 8) {
      span.end_unix_nano = f.integer;
    } else if (f.number == 9) {
      KW_TRY(ProtoKeyValue(f.bytes, span.attributes));
    } else if (f.number == 11) {
      KW_ASSIGN_OR_RETURN(ReceivedEvent event, ProtoEvent(f.bytes));
      span.events.push_back(std::move(event));
    } else if (f.number == 12) {
      span.dropped_events = static_cast<std::uint32_t>(f.integer);
    }
  }
  if (span.trace_id.empty() || span.span_id.empty()) return Malformed("span without ids");
  return span;
}

// ---------------------------------------------------------------------------------------------
// JSON

const json::value* Member(const json::value& v, std::string_view key) {
  const json::object* o = v.if_object();
  return o ? o->if_contains(key) : nullptr;
}

Result<std::string> JsonString(const json::value& v, std::string_view key, bool required) {
  const json::value* m = Member(v, key);
  if (m == nullptr) {
    if (required) return Malformed("missing " + std::string(key));
    return std::string();
  }
  if (!m->is_string()) return Malformed(std::string(key) + " is not a string");
  return std::string(m->as_string());
}

// A 64-bit integer: a decimal string, as OTLP/JSON writes them, or a number.
Result<std::uint64_t> JsonUint64(const json::value& v, std::string_view key) {
  const json::value* m = Member(v, key);
  if (m == nullptr) return 0;
  if (m->is_uint64()) return m->as_uint64();
  if (m->is_int64() && m->as_int64() >= 0) return static_cast<std::uint64_t>(m->as_int64());
  if (m->is_string()) {
    const std::string s(m->as_string());
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
      return Malformed(std::string(key) + " is not an integer");
    }
    try {
      return std::stoull(s);
    } catch (const std::exception&) {
      return Malformed(std::string(key) + " is out of range");
    }
  }
  return Malformed(std::string(key) + " is not an integer");
}

const json::array* JsonArray(const json::value& v, std::string_view key, Error* error) {
  const json::value* m = Member(v, key);
  if (m == nullptr) return nullptr;
  if (!m->is_array()) {
    *error = Error(ErrorKind::kSyntax, std::string(key) + " is not an array");
    return nullptr;
  }
  return &m->as_array();
}

Result<void> JsonAttributes(const json::value& owner, ReceivedAttributes& into) {
  Error error(ErrorKind::kSyntax, "");
  const json::array* attributes = JsonArray(owner, "attributes", &error);
  if (!error.message.empty()) return Malformed(error.message);
  if (attributes == nullptr) return {};
  for (const json::value& kv : *attributes) {
    KW_ASSIGN_OR_RETURN(std::string key, JsonString(kv, "key", true));
    const json::value* value = Member(kv, "value");
    if (value == nullptr || !value->is_object()) return Malformed("attribute without a value");
    std::string text;
    if (const json::value* s = Member(*value, "stringValue")) {
      if (!s->is_string()) return Malformed("stringValue is not a string");
      text = std::string(s->as_string());
    } else if (const json::value* b = Member(*value, "boolValue")) {
      if (!b->is_bool()) return Malformed("boolValue is not a boolean");
      text = b->as_bool() ? "bool:true" : "bool:false";
    } else if (const json::value* i = Member(*value, "intValue")) {
      if (i->is_string()) {
        text = "int:" + std::string(i->as_string());
      } else if (i->is_int64()) {
        text = "int:" + std::to_string(i->as_int64());
      } else {
        return Malformed("intValue is not an integer");
      }
    } else if (const json::value* d = Member(*value, "doubleValue")) {
      if (!d->is_number()) return Malformed("doubleValue is not a number");
      text = "double:" + std::to_string(d->to_number<double>());
    } else if (Member(*value, "arrayValue")) {
      text = "array";
    } else if (Member(*value, "kvlistValue")) {
      text = "kvlist";
    } else if (Member(*value, "bytesValue")) {
      text = "bytes";
    }
    into[key] = text;
  }
  return {};
}

Result<std::string> JsonId(const json::value& v, std::string_view key, std::size_t size,
                           bool required) {
  KW_ASSIGN_OR_RETURN(std::string hex, JsonString(v, key, required));
  if (hex.empty() && !required) return hex;
  if (hex.size() != 2 * size || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Malformed(std::string(key) + " is not " + std::to_string(size) + " bytes in hex");
  }
  return hex;
}

Result<void> ForEach(const json::value& owner, std::string_view key,
                     const std::function<Result<void>(const json::value&)>& each) {
  Error error(ErrorKind::kSyntax, "");
  const json::array* items = JsonArray(owner, key, &error);
  if (!error.message.empty()) return Malformed(error.message);
  if (items == nullptr) return {};
  for (const json::value& item : *items) {
    if (!item.is_object()) return Malformed(std::string(key) + " holds a non-object");
    KW_TRY(each(item));
  }
  return {};
}

}  // namespace

Result<std::vector<ReceivedSpan>> DecodeTracesProtobuf(std::string_view body) {
  std::vector<ReceivedSpan> spans;
  KW_ASSIGN_OR_RETURN(auto request, ProtoFields(body));
  for (const ProtoField& rs : request) {
    if (rs.number != 1) continue;
    KW_TRY(Expect(rs, 2));
    KW_ASSIGN_OR_RETURN(auto resource_spans, ProtoFields(rs.bytes));
    ReceivedSpan common;
    for (const ProtoField& f : resource_spans) {  // the resource first, wherever it is
      if (f.number != 1) continue;
      KW_TRY(Expect(f, 2));
      KW_ASSIGN_OR_RETURN(auto resource, ProtoFields(f.bytes));
      for (const ProtoField& a : resource) {
        if (a.number != 1) continue;
        KW_TRY(Expect(a, 2));
        KW_TRY(ProtoKeyValue(a.bytes, common.resource));
      }
    }
    for (const ProtoField& ss : resource_spans) {
      if (ss.number != 2) continue;
      KW_TRY(Expect(ss, 2));
      KW_ASSIGN_OR_RETURN(auto scope_spans, ProtoFields(ss.bytes));
      ReceivedSpan scoped = common;
      for (const ProtoField& f : scope_spans) {
        if (f.number != 1) continue;
        KW_TRY(Expect(f, 2));
        KW_ASSIGN_OR_RETURN(auto scope, ProtoFields(f.bytes));
        for (const ProtoField& s : scope) {
          if (s.number != 1 && s.number != 2) continue;
          KW_TRY(Expect(s, 2));
          (s.number == 1 ? scoped.scope_name : scoped.scope_version) = std::string(s.bytes);
        }
      }
      for (const ProtoField& f : scope_spans) {
        if (f.number != 2) continue;
        KW_TRY(Expect(f, 2));
        KW_ASSIGN_OR_RETURN(ReceivedSpan span, ProtoSpan(f.bytes, scoped));
        spans.push_back(std::move(span));
      }
    }
  }
  return spans;
}

Result<std::vector<ReceivedSpan>> DecodeTracesJson(std::string_view body) {
  auto parsed = ParseJson(body, "malformed ExportTraceServiceRequest");
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->is_object()) return Malformed("not an object");
  std::vector<ReceivedSpan> spans;
  KW_TRY(ForEach(*parsed, "resourceSpans", [&](const json::value& rs) -> Result<void> {
    ReceivedSpan common;
    if (const json::value* resource = Member(rs, "resource")) {
      KW_TRY(JsonAttributes(*resource, common.resource));
    }
    return ForEach(rs, "scopeSpans", [&](const json::value& ss) -> Result<void> {
      ReceivedSpan scoped = common;
      if (const json::value* scope = Member(ss, "scope")) {
        KW_ASSIGN_OR_RETURN(scoped.scope_name, JsonString(*scope, "name", false));
        KW_ASSIGN_OR_RETURN(scoped.scope_version, JsonString(*scope, "version", false));
      }
      return ForEach(ss, "spans", [&](const json::value& s) -> Result<void> {
        ReceivedSpan span = scoped;
        KW_ASSIGN_OR_RETURN(span.trace_id, JsonId(s, "traceId", 16, true));
        KW_ASSIGN_OR_RETURN(span.span_id, JsonId(s, "spanId", 8, true));
        KW_ASSIGN_OR_RETURN(span.parent_span_id, JsonId(s, "parentSpanId", 8, false));
        KW_ASSIGN_OR_RETURN(span.name, JsonString(s, "name", true));
        if (const json::value* kind = Member(s, "kind")) {
          if (!kind->is_int64()) return Malformed("kind is not a number");
          span.kind = static_cast<int>(kind->as_int64());
        }
        KW_ASSIGN_OR_RETURN(span.start_unix_nano, JsonUint64(s, "startTimeUnixNano"));
        KW_ASSIGN_OR_RETURN(span.end_unix_nano, JsonUint64(s, "endTimeUnixNano"));
        KW_TRY(JsonAttributes(s, span.attributes));
        KW_ASSIGN_OR_RETURN(std::uint64_t dropped, JsonUint64(s, "droppedEventsCount"));
        span.dropped_events = static_cast<std::uint32_t>(dropped);
        KW_TRY(ForEach(s, "events", [&](const json::value& e) -> Result<void> {
          ReceivedEvent event;
          KW_ASSIGN_OR_RETURN(event.name, JsonString(e, "name", true));
          KW_ASSIGN_OR_RETURN(event.time_unix_nano, JsonUint64(e, "timeUnixNano"));
          KW_TRY(JsonAttributes(e, event.attributes));
          span.events.push_back(std::move(event));
          return {};
        }));
        spans.push_back(std::move(span));
        return {};
      });
    });
  }));
  return spans;
}

std::vector<ReceivedSpan> OtlpReceiver::Spans() {
  std::vector<ReceivedSpan> spans;
  for (const CapturedRequest& request : sink_.Requests()) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/traces");
    const auto type = request.headers.find("content-type");
    const std::string content_type = type == request.headers.end() ? "" : type->second;
    Result<std::vector<ReceivedSpan>> decoded =
        content_type == "application/x-protobuf" ? DecodeTracesProtobuf(request.body)
        : content_type == "application/json"
            ? DecodeTracesJson(request.body)
            : Fail(ErrorKind::kSyntax, "unexpected Content-Type '" + content_type + "'");
    if (!decoded) {
      ADD_FAILURE() << "undecodable export: " << decoded.error().message;
      continue;
    }
    spans.insert(spans.end(), std::make_move_iterator(decoded->begin()),
                 std::make_move_iterator(decoded->end()));
  }
  return spans;
}

std::vector<ReceivedSpan> OtlpReceiver::WaitForSpans(std::size_t count,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<ReceivedSpan> spans = Spans();
    if (spans.size() >= count || std::chrono::steady_clock::now() >= deadline) return spans;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace kw::testing
