#include "otlp/http_export.h"

#include <map>

#include <gtest/gtest.h>

#include "testing/environment.h"

namespace kw::otlp {
namespace {

using namespace std::chrono_literals;

const auto Env = testing::FakeEnvironment;

TEST(HttpExportConfig, EachSignalHasItsOwnEndpointAndPath) {
  auto env = Env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                  {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:1/custom"}});
  auto traces = HttpExportConfigFromEnvironment(kTraces, env);
  ASSERT_TRUE(traces && *traces);
  EXPECT_EQ((*traces)->url, "http://c:4318/v1/traces");
  auto metrics = HttpExportConfigFromEnvironment(kMetrics, env);
  ASSERT_TRUE(metrics && *metrics);
  EXPECT_EQ((*metrics)->url, "http://m:1/custom");

  auto own = HttpExportConfigFromEnvironment(
      kTraces, Env({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://t:4318/x"}}));
  ASSERT_TRUE(own && *own);
  EXPECT_EQ((*own)->url, "https://t:4318/x");
}

TEST(HttpExportConfig, DefaultBaseOnlyWhenAsked) {
  auto none = HttpExportConfigFromEnvironment(kTraces, Env({}));
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto fallback = HttpExportConfigFromEnvironment(kTraces, Env({{"OTEL_EXPORTER_OTLP_ENDPOINT", ""}}),
                                                  "http://localhost:4318");
  ASSERT_TRUE(fallback && *fallback);
  EXPECT_EQ((*fallback)->url, "http://localhost:4318/v1/traces");
}

TEST(HttpExportConfig, PerSignalSettingsWinOverGenericOnes) {
  auto config = HttpExportConfigFromEnvironment(
      kTraces, Env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"},
                    {"OTEL_EXPORTER_OTLP_TIMEOUT", "3000"},
                    {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2000"},
                    {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "1000"},
                    {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"},
                    {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "/t.pem"},
                    {"OTEL_EXPORTER_OTLP_CLIENT_KEY", "/k.pem"},
                    {"OTEL_EXPORTER_OTLP_HEADERS", "a=1"},
                    {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"}}));
  ASSERT_TRUE(config && *config) << (config ? "" : config.error().message);
  const HttpExportConfig& c = **config;
  EXPECT_EQ(c.timeout, 2000ms);
  EXPECT_EQ(c.ca_file, "/ca.pem");
  EXPECT_EQ(c.client_certificate_file, "/t.pem");
  EXPECT_EQ(c.client_key_file, "/k.pem");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.headers, (Headers{{"b", "2"}}));
}

TEST(HttpExporter, RefusesBadUrls) {
  EXPECT_FALSE(HttpExporter::Create({.url = "collector:4318"}, "traces").has_value());
  auto missing = HttpExporter::Create({.url = "https://c:4318", .ca_file = "/nonexistent.pem"},
                                      "traces");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("traces"), std::string::npos) << missing.error().message;
}

}  // namespace
}  // namespace kw::otlp
