// policy-server's traces (--log-fmt otlp) end to end: the real binary exports to a receiver of
// our own (testing/otlp_receiver.h) that decodes every ExportTraceServiceRequest it gets, in
// protobuf and in JSON, over HTTP and over mutual TLS. What is checked is what an operator's
// collector would see: the spans of requests and evaluations, their attributes and parents,
// guest logs as events; and that a collector that is down or slow never costs an answer.
#include <signal.h>

#include <algorithm>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/certificates.h"
#include "testing/http_client.h"
#include "testing/otlp_receiver.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;
using testing::ReceivedSpan;
using testing::RequestFile;
using testing::TestData;

constexpr std::string_view kPlainUid = "e7b8a2b0-4d7c-4b53-8a0f-0a2b9f0c1d11";
constexpr std::string_view kPrivilegedUid = "1299d386-525b-4032-98ae-1949f69f9cfc";

std::string PlainReview() { return "{\"request\":" + RequestFile("pod_plain.json") + "}"; }
std::string PrivilegedReview() { return RequestFile("pod_privileged.json"); }

std::string Policies() {
  const std::string module = TestData("test_policy.wasm");
  return "privileged:\n"
         "  module: " + module + "\n"
         "logging:\n"
         "  module: " + module + "\n"
         "  settings:\n"
         "    host_call:\n"
         "      binding: kubewarden\n"
         "      namespace: tracing\n"
         "      operation: log\n"
         "      payload: {level: warning, message: from the guest, count: 3, flag: true,\n"
         "                nested: {a: 1}}\n"
         "group:\n"
         "  expression: strict() || plain()\n"
         "  message: the group rejects\n"
         "  policies:\n"
         "    strict: {module: " + module + ", settings: {reject: strict says no}}\n"
         "    plain: {module: " + module + "}\n";
}

// /usr/bin/env with `variables`: how the server gets its OTEL_* settings.
std::vector<std::string> WithEnvironment(std::map<std::string, std::string> variables) {
  std::vector<std::string> launcher = {"/usr/bin/env", "HOSTNAME=policy-server-0"};
  for (const auto& [name, value] : variables) launcher.push_back(name + "=" + value);
  return launcher;
}

std::unique_ptr<testing::PolicyServer> StartTraced(std::map<std::string, std::string> variables) {
  variables.emplace("OTEL_BSP_SCHEDULE_DELAY", "50");
  return testing::PolicyServer::Start(Policies(), {"--log-fmt", "otlp"}, false,
                                      WithEnvironment(std::move(variables)));
}

const ReceivedSpan* Named(const std::vector<ReceivedSpan>& spans, std::string_view name,
                          std::string_view policy_id) {
  for (const ReceivedSpan& span : spans) {
    auto id = span.attributes.find("policy_id");
    if (span.name == name && id != span.attributes.end() && id->second == policy_id) return &span;
  }
  return nullptr;
}

std::vector<const ReceivedSpan*> ChildrenOf(const std::vector<ReceivedSpan>& spans,
                                            const ReceivedSpan& parent) {
  std::vector<const ReceivedSpan*> children;
  for (const ReceivedSpan& span : spans) {
    if (span.parent_span_id == parent.span_id) {
      EXPECT_EQ(span.trace_id, parent.trace_id);
      children.push_back(&span);
    }
  }
  return children;
}

void ExpectAnswered(const testing::HttpResult& r, bool allowed) {
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, ::testing::HasSubstr(allowed ? "\"allowed\":true" : "\"allowed\":false"));
}

TEST(PolicyServerTracing, RequestsAndEvaluationsAreSpansWithUpstreamsAttributes) {
  testing::OtlpReceiver receiver;
  auto server = StartTraced({{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Url()}});
  ASSERT_TRUE(server);
  ExpectAnswered(server->Post("/validate/privileged", PrivilegedReview()), false);
  ExpectAnswered(server->Post("/audit/privileged", PlainReview()), true);
  ExpectAnswered(server->Post("/validate_raw/privileged",
                              R"({"request":{"uid":"raw-uid","user":"alice"}})"),
                 true);
  const std::vector<ReceivedSpan> spans = receiver.WaitForSpans(6, 20s);
  ASSERT_EQ(spans.size(), 6u);
  for (const ReceivedSpan& span : spans) {
    EXPECT_EQ(span.resource.at("service.name"), "kubewarden-policy-server");
    EXPECT_LE(span.start_unix_nano, span.end_unix_nano);
  }

  const ReceivedSpan* validation = Named(spans, "validation", "privileged");
  ASSERT_NE(validation, nullptr);
  EXPECT_EQ(validation->kind, 2);  // SERVER
  EXPECT_EQ(validation->parent_span_id, "");
  EXPECT_EQ(validation->attributes,
            (testing::ReceivedAttributes{
                {"request_uid", std::string(kPrivilegedUid)},
                {"host", "policy-server-0"},
                {"policy_id", "privileged"},
                {"name", "nginx"},
                {"namespace", "default"},
                {"operation", "CREATE"},
                {"subresource", ""},
                {"kind_group", ""},
                {"kind_version", "v1"},
                {"kind", "Pod"},
                {"resource_group", ""},
                {"resource_version", "v1"},
                {"resource", "pods"},
                {"allowed", "bool:false"},
                {"mutated", "bool:false"},
                {"response_message", "Privileged container is not allowed"}}));
  auto children = ChildrenOf(spans, *validation);
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0]->name, "policy_evaluation");
  EXPECT_EQ(children[0]->kind, 1);  // INTERNAL
  EXPECT_EQ(children[0]->attributes.at("policy_id"), "privileged");
  EXPECT_EQ(children[0]->attributes.at("allowed"), "bool:false");
  EXPECT_GE(children[0]->start_unix_nano, validation->start_unix_nano);
  EXPECT_LE(children[0]->end_unix_nano, validation->end_unix_nano);

  const ReceivedSpan* audit = Named(spans, "audit", "privileged");
  ASSERT_NE(audit, nullptr);
  EXPECT_EQ(audit->attributes.at("request_uid"), kPlainUid);
  EXPECT_EQ(audit->attributes.at("allowed"), "bool:true");
  EXPECT_FALSE(audit->attributes.contains("response_message"));
  EXPECT_EQ(ChildrenOf(spans, *audit).size(), 1u);
  EXPECT_NE(audit->trace_id, validation->trace_id);  // a trace per request

  const ReceivedSpan* raw = Named(spans, "validation_raw", "privileged");
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(raw->attributes, (testing::ReceivedAttributes{{"request_uid", "raw-uid"},
                                                          {"host", "policy-server-0"},
                                                          {"policy_id", "privileged"},
                                                          {"allowed", "bool:true"},
                                                          {"mutated", "bool:false"}}));
  EXPECT_EQ(ChildrenOf(spans, *raw).size(), 1u);
}

TEST(PolicyServerTracing, GroupMembersAreChildrenOfTheGroupsSpan) {
  testing::OtlpReceiver receiver;
  auto server = StartTraced({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.Url() + "/v1/traces"}});
  ASSERT_TRUE(server);
  ExpectAnswered(server->Post("/validate/group", PlainReview()), true);
  const std::vector<ReceivedSpan> spans = receiver.WaitForSpans(4, 20s);
  ASSERT_EQ(spans.size(), 4u);
  const ReceivedSpan* request = Named(spans, "validation", "group");
  ASSERT_NE(request, nullptr);
  auto group = ChildrenOf(spans, *request);
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0]->name, "policy_group_evaluation");
  EXPECT_EQ(group[0]->attributes.at("policy_id"), "group");
  EXPECT_EQ(group[0]->attributes.at("allowed"), "bool:true");
  auto members = ChildrenOf(spans, *group[0]);
  ASSERT_EQ(members.size(), 2u);
  std::map<std::string, const ReceivedSpan*> by_member;
  for (const ReceivedSpan* m : members) {
    EXPECT_EQ(m->name, "policy_evaluation");
    by_member[m->attributes.at("group_member")] = m;
  }
  ASSERT_TRUE(by_member.contains("strict") && by_member.contains("plain"));
  EXPECT_EQ(by_member["strict"]->attributes.at("policy_id"), "group/strict");
  EXPECT_EQ(by_member["strict"]->attributes.at("allowed"), "bool:false");
  EXPECT_EQ(by_member["strict"]->attributes.at("response_message"), "strict says no");
  EXPECT_EQ(by_member["plain"]->attributes.at("allowed"), "bool:true");
}

TEST(PolicyServerTracing, GuestLogsAreEventsOfTheEvaluationSpanAndJsonIsSpoken) {
  testing::OtlpReceiver receiver;
  auto server = StartTraced({{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Url()},
                             {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}});
  ASSERT_TRUE(server);
  ExpectAnswered(server->Post("/validate/logging", PlainReview()), true);
  const std::vector<ReceivedSpan> spans = receiver.WaitForSpans(2, 20s);
  ASSERT_EQ(spans.size(), 2u);
  ASSERT_FALSE(receiver.sink().Requests().empty());
  EXPECT_EQ(receiver.sink().Requests()[0].headers.at("content-type"), "application/json");
  const ReceivedSpan* evaluation = Named(spans, "policy_evaluation", "logging");
  ASSERT_NE(evaluation, nullptr);
  ASSERT_EQ(evaluation->events.size(), 1u);
  const testing::ReceivedEvent& event = evaluation->events[0];
  EXPECT_EQ(event.name, "policy_log");
  EXPECT_EQ(event.attributes, (testing::ReceivedAttributes{{"level", "warning"},
                                                          {"message", "from the guest"},
                                                          {"count", "int:3"},
                                                          {"flag", "bool:true"},
                                                          {"nested", R"({"a":1})"}}));
  EXPECT_GE(event.time_unix_nano, evaluation->start_unix_nano);
  EXPECT_LE(event.time_unix_nano, evaluation->end_unix_nano);
  EXPECT_TRUE(Named(spans, "validation", "logging")->events.empty());
}

TEST(PolicyServerTracing, ATraceparentHeaderContinuesTheCallersTrace) {
  testing::OtlpReceiver receiver;
  auto server = StartTraced({{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Url()}});
  ASSERT_TRUE(server);
  testing::HttpOptions options;
  options.body = PlainReview();
  options.headers = {"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  ExpectAnswered(testing::Http(server->Url("/validate/privileged"), options), true);
  // Not sampled by the caller: nothing recorded.
  options.headers = {"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"};
  ExpectAnswered(testing::Http(server->Url("/validate/privileged"), options), true);
  // Malformed: a new trace.
  options.headers = {"traceparent: 00-zzz"};
  ExpectAnswered(testing::Http(server->Url("/validate/privileged"), options), true);
  const std::vector<ReceivedSpan> spans = receiver.WaitForSpans(4, 20s);
  ASSERT_EQ(spans.size(), 4u);
  std::vector<const ReceivedSpan*> requests;
  for (const ReceivedSpan& s : spans) {
    if (s.name == "validation") requests.push_back(&s);
  }
  ASSERT_EQ(requests.size(), 2u);
  std::sort(requests.begin(), requests.end(),
            [](auto* a, auto* b) { return a->start_unix_nano < b->start_unix_nano; });
  EXPECT_EQ(requests[0]->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(requests[0]->parent_span_id, "00f067aa0ba902b7");
  EXPECT_NE(requests[1]->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(requests[1]->parent_span_id, "");
}

TEST(PolicyServerTracing, ExportsOverMutualTls) {
  testing::Certificates certs = testing::MakeCertificates();
  testing::OtlpReceiver receiver({.cert_file = certs.server_cert,
                                  .key_file = certs.server_key,
                                  .client_ca_file = certs.ca});
  auto server = StartTraced({{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Url()},
                             {"OTEL_EXPORTER_OTLP_CERTIFICATE", certs.ca},
                             {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", certs.client_cert},
                             {"OTEL_EXPORTER_OTLP_CLIENT_KEY", certs.client_key}});
  ASSERT_TRUE(server);
  ExpectAnswered(server->Post("/validate/privileged", PlainReview()), true);
  EXPECT_EQ(receiver.WaitForSpans(2, 20s).size(), 2u);
  EXPECT_EQ(receiver.sink().failed_handshakes(), 0);
}

TEST(PolicyServerTracing, ShutdownExportsWhatIsQueued) {
  testing::OtlpReceiver receiver;
  auto server = StartTraced({{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Url()},
                             {"OTEL_BSP_SCHEDULE_DELAY", "3600000"}});
  ASSERT_TRUE(server);
  ExpectAnswered(server->Post("/validate/privileged", PlainReview()), true);
  EXPECT_TRUE(receiver.Spans().empty());  // an hour before the first export
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(30s), 0);
  EXPECT_EQ(receiver.Spans().size(), 2u);
}

// Answers must not depend on the collector: none at all (its failures are reported), or one that
// takes seconds per export with a queue so small that most spans are dropped (and counted).
TEST(PolicyServerTracing, ACollectorThatIsDownOrSlowCostsNoAnswer) {
  testing::RefusingLoopbackPort down;
  const std::string nobody = down.Url();
  testing::OtlpReceiver slow({.delay = 1500ms});
  for (const std::string& endpoint : {nobody, slow.Url()}) {
    SCOPED_TRACE(endpoint);
    auto server = StartTraced({{"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint},
                               {"OTEL_BSP_SCHEDULE_DELAY", "10"},
                               {"OTEL_BSP_MAX_QUEUE_SIZE", "2"},
                               {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1"},
                               {"OTEL_EXPORTER_OTLP_TIMEOUT", "3000"}});
    ASSERT_TRUE(server);
    for (int i = 0; i < 40; ++i) {
      ExpectAnswered(server->Post("/validate/privileged", PrivilegedReview()), false);
    }
    server->process().Signal(SIGTERM);
    EXPECT_EQ(server->process().Wait(60s), 0);
    const std::string log = server->process().Stdout() + server->process().Stderr();
    if (endpoint == nobody) {
      // A refused connection fails at once, so whether the queue of two ever fills depends on
      // how the threads are scheduled: only the failure is certain.
      EXPECT_THAT(log, ::testing::HasSubstr("exporting traces to"));
    } else {
      // Each export holds the thread 1.5 s while requests queue spans: drops are certain.
      EXPECT_THAT(log, ::testing::HasSubstr("spans were dropped in all"));
    }
  }
  EXPECT_FALSE(slow.Spans().empty());
}

}  // namespace
}  // namespace kw
