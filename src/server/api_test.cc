#include "server/api.h"

#include <gtest/gtest.h>

namespace kw::server {
namespace {

TEST(ApiRoutes, MatchesTheThreeEndpointsWithOneSegment) {
  auto v = MatchRoute("/validate/psp");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->endpoint, Endpoint::kValidate);
  EXPECT_EQ(v->raw_id, "psp");
  EXPECT_EQ(MatchRoute("/audit/psp?timeout=10s")->endpoint, Endpoint::kAudit);
  EXPECT_EQ(MatchRoute("/audit/psp?timeout=10s")->raw_id, "psp");
  EXPECT_EQ(MatchRoute("/validate_raw/g%2Fm")->endpoint, Endpoint::kValidateRaw);
  EXPECT_EQ(MatchRoute("/validate_raw/g%2Fm")->raw_id, "g%2Fm");

  EXPECT_FALSE(MatchRoute("/validate/"));
  EXPECT_FALSE(MatchRoute("/validate"));
  EXPECT_FALSE(MatchRoute("/validate/a/b"));
  EXPECT_FALSE(MatchRoute("/mutate/a"));
  EXPECT_FALSE(MatchRoute("/"));
  EXPECT_FALSE(MatchRoute("validate/a"));
}

TEST(ApiRoutes, JsonContentTypes) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON"));
  EXPECT_TRUE(IsJsonContentType("application/merge-patch+json"));
  EXPECT_FALSE(IsJsonContentType("text/json"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("application/+json"));
}

// Calls `handler` with a request and returns its (synchronous) answer.
HttpResponse Ask(RequestHandler& handler, http::verb method, std::string target) {
  HttpResponse out;
  HttpRequest request;
  request.method = method;
  request.target = std::move(target);
  handler.Handle(std::move(request), [&](HttpResponse r) { out = std::move(r); });
  return out;
}

TEST(MetricsHandler, ServesThePrometheusTextOnGetMetricsOnly) {
  metrics::Registry registry;
  registry.RecordInitializationError("bad", "boom");
  MetricsHandler handler(registry);
  HttpResponse get = Ask(handler, http::verb::get, "/metrics?x=1");
  EXPECT_EQ(get.status, http::status::ok);
  EXPECT_EQ(get.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(get.body.find("kubewarden_policy_evaluations_total{policy_name=\"bad\","
                          "initialization_error=\"boom\"} 1\n"),
            std::string::npos)
      << get.body;
  HttpResponse head = Ask(handler, http::verb::head, "/metrics");
  EXPECT_EQ(head.status, http::status::ok);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(Ask(handler, http::verb::post, "/metrics").status, http::status::method_not_allowed);
  EXPECT_EQ(Ask(handler, http::verb::get, "/metrics/x").status, http::status::not_found);
  EXPECT_EQ(Ask(handler, http::verb::get, "/readiness").status, http::status::not_found);
}

}  // namespace
}  // namespace kw::server
