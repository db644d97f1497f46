#include "tracing/otlp_encoding.h"

#include <map>

#include <gtest/gtest.h>

#include "testing/environment.h"

#include "base/json.h"
#include "testing/otlp_receiver.h"
#include "tracing/otlp_trace_exporter.h"

namespace kw::tracing {
namespace {

const ExportIdentity kIdentity{"kubewarden-policy-server", "scope", "1.2.3"};

SpanData Example() {
  SpanData span;
  span.trace_id = *ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                       .transform([](const SpanContext& c) { return c.trace_id; });
  span.span_id = {1, 2, 3, 4, 5, 6, 7, 8};
  span.parent_span_id = SpanId{0, 0, 0, 0, 0, 0, 0, 9};
  span.name = "validation";
  span.kind = SpanKind::kServer;
  span.start_unix_nano = 1700000000000000000u;
  span.end_unix_nano = 1700000000000001234u;
  span.attributes = {{"policy_id", std::string("privileged")},
                     {"allowed", false},
                     {"response_code", std::int64_t{-1}},
                     {"ratio", 0.5}};
  span.events = {{"policy_log", 1700000000000000500u,
                  {{"level", std::string("info")}, {"message", std::string("héllo")}}}};
  span.dropped_events = 2;
  return span;
}

void ExpectExample(const std::vector<testing::ReceivedSpan>& spans) {
  ASSERT_EQ(spans.size(), 2u);
  const testing::ReceivedSpan& s = spans[0];
  EXPECT_EQ(s.resource.at("service.name"), "kubewarden-policy-server");
  EXPECT_EQ(s.scope_name, "scope");
  EXPECT_EQ(s.scope_version, "1.2.3");
  EXPECT_EQ(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(s.span_id, "0102030405060708");
  EXPECT_EQ(s.parent_span_id, "0000000000000009");
  EXPECT_EQ(s.name, "validation");
  EXPECT_EQ(s.kind, 2);
  EXPECT_EQ(s.start_unix_nano, 1700000000000000000u);
  EXPECT_EQ(s.end_unix_nano, 1700000000000001234u);
  EXPECT_EQ(s.attributes, (testing::ReceivedAttributes{{"policy_id", "privileged"},
                                                       {"allowed", "bool:false"},
                                                       {"response_code", "int:-1"},
                                                       {"ratio", "double:0.500000"}}));
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "policy_log");
  EXPECT_EQ(s.events[0].time_unix_nano, 1700000000000000500u);
  EXPECT_EQ(s.events[0].attributes.at("message"), "héllo");
  EXPECT_EQ(s.dropped_events, 2u);
  EXPECT_EQ(spans[1].parent_span_id, "");  // a root
  EXPECT_EQ(spans[1].kind, 1);
}

std::vector<SpanData> Examples() {
  SpanData root;
  root.trace_id = NewTraceId();
  root.span_id = NewSpanId();
  root.name = "root";
  return {Example(), root};
}

TEST(TracesProtobuf, DecodesToWhatWasEncoded) {
  auto decoded = testing::DecodeTracesProtobuf(TracesProtobuf(Examples(), kIdentity));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  ExpectExample(*decoded);
}

TEST(TracesJson, DecodesToWhatWasEncoded) {
  auto decoded = testing::DecodeTracesJson(TracesJson(Examples(), kIdentity));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  ExpectExample(*decoded);
}

// The bytes of the protobuf encoding, checked against the .proto field numbers by hand, so that
// the encoder and the test decoder cannot agree on a mistake.
TEST(TracesProtobuf, WritesTheFieldsOfTheProto) {
  SpanData span;
  span.trace_id.fill(0xab);
  span.span_id.fill(0xcd);
  span.name = "n";
  span.kind = SpanKind::kServer;
  span.start_unix_nano = 1;
  span.end_unix_nano = 2;
  span.attributes = {{"b", true}};
  const std::string bytes = TracesProtobuf({span}, {"s", "c", ""});
  std::string expected_span;
  expected_span += std::string("\x0a\x10", 2) + std::string(16, '\xab');  // 1: trace_id
  expected_span += std::string("\x12\x08", 2) + std::string(8, '\xcd');   // 2: span_id
  expected_span += "\x2a\x01n";                                           // 5: name
  expected_span += "\x30\x02";                                            // 6: kind SERVER
  expected_span += std::string("\x39\x01\0\0\0\0\0\0\0", 9);              // 7: start fixed64
  expected_span += std::string("\x41\x02\0\0\0\0\0\0\0", 9);              // 8: end fixed64
  expected_span += "\x4a\x07\x0a\x01" "b" "\x12\x02\x10\x01";  // 9: {key "b", {bool_value 1}}
  const std::string resource =
      "\x0a\x13\x0a\x0c" "service.name" "\x12\x03\x0a\x01" "s";  // 1: {key, {string_value "s"}}
  const std::string scope_spans = std::string("\x0a\x03\x0a\x01" "c") +  // 1: scope {name "c"}
                                  "\x12" + static_cast<char>(expected_span.size()) + expected_span;
  const std::string resource_spans = "\x0a" + std::string(1, static_cast<char>(resource.size())) +
                                     resource + "\x12" +
                                     static_cast<char>(scope_spans.size()) + scope_spans;
  const std::string request =
      "\x0a" + std::string(1, static_cast<char>(resource_spans.size())) + resource_spans;
  EXPECT_EQ(bytes, request);
}

TEST(TracesJson, FollowsTheOtlpJsonRules) {
  auto body = ParseJson(TracesJson({Example()}, kIdentity));
  ASSERT_TRUE(body.has_value());
  const json::value& span = body->at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");  // hex, not base64
  EXPECT_EQ(span.at("kind"), 2);                                      // enums as numbers
  EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000000000000");      // 64-bit as strings
  EXPECT_EQ(span.at("attributes").at(2).at("value").at("intValue"), "-1");
}

// The receiver's decoders meet hostile bodies: every truncation and every single-byte change of
// a valid export is an error or a decoding, never a crash.
TEST(TestDecoders, SurviveDamagedExports) {
  const std::string proto = TracesProtobuf(Examples(), kIdentity);
  const std::string text = TracesJson(Examples(), kIdentity);
  for (std::size_t n = 0; n < proto.size(); ++n) {
    (void)testing::DecodeTracesProtobuf(std::string_view(proto).substr(0, n));
    std::string flipped = proto;
    flipped[n] = static_cast<char>(flipped[n] ^ 0xff);
    (void)testing::DecodeTracesProtobuf(flipped);
  }
  for (std::size_t n = 0; n < text.size(); ++n) {
    EXPECT_FALSE(testing::DecodeTracesJson(std::string_view(text).substr(0, n)).has_value());
  }
  EXPECT_FALSE(testing::DecodeTracesProtobuf(std::string("\x0a\xff\xff\xff\xff\x0f", 6)));
  EXPECT_FALSE(testing::DecodeTracesProtobuf(std::string("\x0b", 1)));  // group wire type
  EXPECT_FALSE(testing::DecodeTracesJson(R"({"resourceSpans":{}})"));
  EXPECT_FALSE(testing::DecodeTracesJson(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"00"}]}]}]})"));
}

TEST(TraceExportConfig, ProtocolAndDefaults) {
  const auto env = testing::FakeEnvironment;
  auto defaults = TraceExportConfigFromEnvironment(env({}));
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->http.url, "http://localhost:4318/v1/traces");
  EXPECT_EQ(defaults->protocol, ExportProtocol::kProtobuf);
  EXPECT_EQ(defaults->batch.max_queue_size, 2048u);
  auto json = TraceExportConfigFromEnvironment(
      env({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
           {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
           {"OTEL_BSP_MAX_QUEUE_SIZE", "7"}}));
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->protocol, ExportProtocol::kJson);
  EXPECT_EQ(json->batch.max_queue_size, 7u);
  auto grpc = TraceExportConfigFromEnvironment(env({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}}));
  ASSERT_TRUE(grpc.has_value());
  EXPECT_EQ(grpc->protocol, ExportProtocol::kProtobuf);
}

}  // namespace
}  // namespace kw::tracing
