#include "metrics/otlp_exporter.h"

#include <map>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "testing/certificates.h"
#include "testing/http_sink.h"
#include "testing/process.h"

namespace kw::metrics {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

Environment Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

OtlpExporterConfig ConfigOf(std::map<std::string, std::string> vars) {
  auto config = OtlpExporterConfigFromEnvironment(Env(std::move(vars)));
  EXPECT_TRUE(config.has_value()) << config.error().message;
  EXPECT_TRUE(config.has_value() && config->has_value());
  return config && *config ? **config : OtlpExporterConfig{};
}

TEST(OtlpExporterConfig, NoEndpointNoExporter) {
  auto config = OtlpExporterConfigFromEnvironment(Env({{"OTEL_METRIC_EXPORT_INTERVAL", "5"},
                                                       {"OTEL_EXPORTER_OTLP_ENDPOINT", ""}}));
  ASSERT_TRUE(config.has_value());
  EXPECT_FALSE(config->has_value());
}

TEST(OtlpExporterConfig, GenericEndpointIsABaseUrlAndTheMetricsOneIsUsedAsIs) {
  EXPECT_EQ(ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}}).http.url,
            "http://collector:4318/v1/metrics");
  EXPECT_EQ(ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/otlp/"}}).http.url,
            "http://collector:4318/otlp/v1/metrics");
  EXPECT_EQ(ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://m:9/custom"}})
                .http.url,
            "https://m:9/custom");
}

TEST(OtlpExporterConfig, DefaultsAndOverrides) {
  OtlpExporterConfig defaults = ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}});
  EXPECT_EQ(defaults.interval, 60000ms);
  EXPECT_EQ(defaults.http.timeout, 10000ms);
  EXPECT_FALSE(defaults.http.ca_file || defaults.http.client_certificate_file || defaults.http.client_key_file);

  OtlpExporterConfig set = ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"},
                                     {"OTEL_METRIC_EXPORT_INTERVAL", "250"},
                                     {"OTEL_EXPORTER_OTLP_TIMEOUT", "3000"},
                                     {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "2000"},
                                     {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"},
                                     {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/client.pem"},
                                     {"OTEL_EXPORTER_OTLP_CLIENT_KEY", "/client.key"},
                                     {"OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "/metrics.key"}});
  EXPECT_EQ(set.interval, 250ms);
  EXPECT_EQ(set.http.timeout, 2000ms);  // per signal wins
  EXPECT_EQ(set.http.ca_file, "/ca.pem");
  EXPECT_EQ(set.http.client_certificate_file, "/client.pem");
  EXPECT_EQ(set.http.client_key_file, "/metrics.key");

  // Unusable numbers fall back to the defaults.
  OtlpExporterConfig bad = ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                                     {"OTEL_METRIC_EXPORT_INTERVAL", "-5"},
                                     {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}});
  EXPECT_EQ(bad.interval, 60000ms);
  EXPECT_EQ(bad.http.timeout, 10000ms);
}

TEST(OtlpExporterConfig, HeadersArePercentDecodedAndPerSignalWins) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                      {"OTEL_EXPORTER_OTLP_HEADERS",
                       "Authorization=Bearer%20abc , x-tenant=a%3Db,,api-key = k"}})
                .http.headers,
            (Headers{{"Authorization", "Bearer abc"}, {"x-tenant", "a=b"}, {"api-key", "k"}}));
  EXPECT_EQ(ConfigOf({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                      {"OTEL_EXPORTER_OTLP_HEADERS", "a=1"},
                      {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "b=2"}})
                .http.headers,
            (Headers{{"b", "2"}}));
}

TEST(ParseOtlpHeaders, SkipsMalformedEntries) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // No '=', an empty name, a name that is not a token, a bad escape, a line break in a value.
  EXPECT_EQ(otlp::ParseOtlpHeaders("novalue,=v,bad name=v,k=%zz,inject=a%0D%0AX: y,ok=1", "VAR"),
            (Headers{{"ok", "1"}}));
  EXPECT_EQ(otlp::ParseOtlpHeaders("", "VAR"), Headers{});
}

TEST(OtlpExporterConfig, ClientCertificateNeedsItsKey) {
  auto config = OtlpExporterConfigFromEnvironment(
      Env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"},
           {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/client.pem"}}));
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().kind, ErrorKind::kInvalidArgument);
}

TEST(ParseHttpUrl, SplitsWhatAClientNeeds) {
  auto a = ParseHttpUrl("http://127.0.0.1:4318/v1/metrics");
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "4318");
  EXPECT_EQ(a->authority, "127.0.0.1:4318");
  EXPECT_EQ(a->target, "/v1/metrics");

  auto b = ParseHttpUrl("https://collector.example");
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, "443");
  EXPECT_EQ(b->target, "/");

  auto c = ParseHttpUrl("http://[::1]:8080?x=1#frag");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "8080");
  EXPECT_EQ(c->authority, "[::1]:8080");
  EXPECT_EQ(c->target, "/?x=1");

  for (const char* bad : {"collector:4318", "grpc://c:4317", "http://", "http://:80/",
                          "http://c:0", "http://c:99999", "http://c:x", "http://u@c/",
                          "http://[::1/"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).has_value()) << bad;
  }
}

Snapshot Recorded(Registry& registry) {
  registry.Record(RawEvaluation{.policy_name = "raw", .policy_mode = "protect", .accepted = true},
                  1ms);
  return registry.Collect();
}

TEST(OtlpExporter, PostsJsonOnTheIntervalAndOnStop) {
  testing::HttpSink collector;
  Registry registry;
  Recorded(registry);
  auto exporter = OtlpExporter::Start(
      registry, {.http = {.url = collector.Url() + "/v1/metrics",
                          .headers = {{"Authorization", "Bearer t"}, {"Content-Type", "text/plain"}}},
                 .interval = 50ms});
  ASSERT_TRUE(exporter.has_value()) << exporter.error().message;
  auto requests = collector.WaitFor(2, 10s);
  ASSERT_GE(requests.size(), 2u);
  (*exporter)->Stop();
  const std::size_t after_stop = collector.Requests().size();
  EXPECT_GE(after_stop, requests.size() + 1);  // the final export
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/metrics");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");  // not replaceable
  EXPECT_EQ(r.headers.at("authorization"), "Bearer t");
  json::value body = json::parse(r.body);
  EXPECT_EQ(body.at("resourceMetrics").at(0).at("scopeMetrics").at(0).at("metrics").at(0).at("name"),
            "kubewarden_policy_evaluations_total");
  // Stopped: no more exports.
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(collector.Requests().size(), after_stop);
}

TEST(OtlpExporter, StopExportsWhatWasRecordedSinceTheLastInterval) {
  testing::HttpSink collector;
  Registry registry;
  auto exporter =
      OtlpExporter::Start(registry, {.http = {.url = collector.Url() + "/v1/metrics"}, .interval = 1h});
  ASSERT_TRUE(exporter.has_value());
  Recorded(registry);
  (*exporter)->Stop();
  auto requests = collector.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].body.find("\"asInt\":\"1\""), std::string::npos) << requests[0].body;
}

TEST(OtlpExporter, NothingRecordedNothingSent) {
  testing::HttpSink collector;
  Registry registry;
  auto exporter =
      OtlpExporter::Start(registry, {.http = {.url = collector.Url() + "/v1/metrics"}, .interval = 20ms});
  ASSERT_TRUE(exporter.has_value());
  std::this_thread::sleep_for(100ms);
  (*exporter)->Stop();
  EXPECT_TRUE(collector.Requests().empty());
}

TEST(OtlpExporter, FailuresAreNotFatal) {
  Registry registry;
  Recorded(registry);
  // A collector that answers 500, and one that is not there at all.
  testing::HttpSink failing({.status = 500});
  auto a = OtlpExporter::Start(registry, {.http = {.url = failing.Url() + "/v1/metrics"}, .interval = 20ms});
  ASSERT_TRUE(a.has_value());
  EXPECT_GE(failing.WaitFor(2, 10s).size(), 2u);  // retried at the next interval
  (*a)->Stop();
  auto b = OtlpExporter::Start(
      registry, {.http = {.url = "http://127.0.0.1:" +
                                 std::to_string(testing::FreeLoopbackPort()),
                          .timeout = 500ms},
                 .interval = 20ms});
  ASSERT_TRUE(b.has_value());
  std::this_thread::sleep_for(100ms);
  (*b)->Stop();
}

TEST(OtlpExporter, BadUrlOrTlsFilesFailToStart) {
  Registry registry;
  EXPECT_FALSE(OtlpExporter::Start(registry, {.http = {.url = "localhost:4318"}}).has_value());
  auto missing_ca = OtlpExporter::Start(
      registry, {.http = {.url = "https://localhost:4318", .ca_file = "/nonexistent/ca.pem"}});
  ASSERT_FALSE(missing_ca.has_value());
  EXPECT_NE(missing_ca.error().message.find("/nonexistent/ca.pem"), std::string::npos)
      << missing_ca.error().message;
}

TEST(OtlpExporter, HttpsVerifiesTheCollectorAndPresentsTheClientCertificate) {
  testing::Certificates certs = testing::MakeCertificates();
  testing::HttpSink collector({.cert_file = certs.server_cert,
                               .key_file = certs.server_key,
                               .client_ca_file = certs.ca});
  Registry registry;
  Recorded(registry);
  const std::string url = collector.Url() + "/v1/metrics";  // https://localhost:<port>
  auto mtls = OtlpExporter::Start(registry, {.http = {.url = url,
                                                      .ca_file = certs.ca,
                                                      .client_certificate_file = certs.client_cert,
                                                      .client_key_file = certs.client_key},
                                             .interval = 1h});
  ASSERT_TRUE(mtls.has_value()) << mtls.error().message;
  (*mtls)->Stop();
  ASSERT_EQ(collector.Requests().size(), 1u);
  EXPECT_EQ(collector.Requests()[0].target, "/v1/metrics");
  EXPECT_EQ(collector.failed_handshakes(), 0);

  // Without the client certificate, or without trusting the test CA: no export.
  auto no_client_cert =
      OtlpExporter::Start(registry, {.http = {.url = url, .ca_file = certs.ca}, .interval = 1h});
  ASSERT_TRUE(no_client_cert.has_value());
  (*no_client_cert)->Stop();
  auto untrusted = OtlpExporter::Start(registry, {.http = {.url = url,
                                                           .client_certificate_file = certs.client_cert,
                                                           .client_key_file = certs.client_key},
                                                  .interval = 1h});
  ASSERT_TRUE(untrusted.has_value());
  (*untrusted)->Stop();
  // The collector may count a refused handshake just after the exporter gave up on it.
  for (int i = 0; i < 100 && collector.failed_handshakes() < 2; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(collector.failed_handshakes(), 2);
  EXPECT_EQ(collector.Requests().size(), 1u);
}

}  // namespace
}  // namespace kw::metrics
