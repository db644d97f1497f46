// policy-server's HTTP API (policy-server.md §1.3, §1.6, §3.1): the routes of the main listener
// and of the readiness listener.
//
// Main listener:
//   POST /validate/{id}       AdmissionReview in and out; response handler applied
//   POST /audit/{id}          same, without the response handler (the raw verdict)
//   POST /validate_raw/{id}   {"request": any} in, {"response": AdmissionResponse} out
// {id} is one path segment, percent-decoded: a policy, a group, or "<group>/<member>" (reachable
// through %2F, as upstream).
//
// Answers, in the order upstream's extractors and handler produce them:
//   unknown path                         404, empty body
//   known path, not POST                 405, empty body, `Allow: POST`
//   undecodable {id}                     400, plain text
//   Content-Type not application/json    415 ┐ /validate: {"message":..,"status":N}
//   body over the limit                  413 │ /audit, /validate_raw: plain text
//   body not JSON                        400 │
//   JSON not of the expected shape       422 ┘
//   id with more than one '/'            500 {"message":"Something went wrong","status":500}
//   unknown id                           404 {"message":"unknown policy: <id>","status":404}
//   request in the always-accept namespace (AdmissionRequests only)   200, allowed
//   policy that failed to load (--continue-on-errors, or a reload)    200, rejected, code 500
//   otherwise: evaluated                                              200
//
// Each request is evaluated with the environment served when it arrived (served_policies.h),
// whatever is swapped in while it waits or runs.
//
// With metrics (§5.2), the last three are recorded: the always-accepted requests as accepted
// evaluations taking no time, the load failures on the counter with their error, and the
// evaluations with the policy's vanilla verdict and the time the evaluation itself took (not
// the wait for a worker, nor parsing and serializing).
//
// With tracing (--log-fmt otlp, §5.3), each request that reaches its policy is a span, named
// after its endpoint, "validation", "audit" or "validation_raw", with upstream's attributes:
// `request_uid`, `host` ($HOSTNAME), `policy_id`, and for AdmissionRequests `name`,
// `namespace`, `operation`, `subresource`, `kind_group`, `kind_version`, `kind`,
// `resource_group`, `resource_version`, `resource`; then, from the answer, `allowed`, `mutated`,
// `response_code` and `response_message` (those present). A `traceparent` header makes it a
// child of the caller's span (upstream starts a new trace every time). The evaluations are its
// children (evaluator.h).
//
// Explained decisions (ours, opt-in with --enable-explain-endpoint): an ApiHandler built with
// `explain` serves, on the readiness listener only (never the admission one):
//   POST /explain/{id}        body as /validate's; answer: the explanation (evaluator/
//                             explanation.h) with, under "review", the AdmissionReview
//                             /validate would have answered
//   POST /explain_raw/{id}    body as /validate_raw's; "review" is /validate_raw's answer
// with the same error answers as /validate and /validate_raw. Explained requests are neither
// recorded in metrics nor traced: they are an operator's questions, not admission traffic.
//
// Everything happens on the calling thread when it is one of the pool's (the API listener is
// served by the pool's threads); evaluations are queued for the pool otherwise. With a slow lane,
// the requests of a policy that ran out of time recently are evaluated there instead, or, when
// it is full, answered at once with the timeout rejection (recorded in the metrics as an
// evaluation with that verdict, taking no time). Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "admission/request.h"
#include "metrics/metrics.h"
#include "server/http_server.h"
#include "server/served_policies.h"
#include "server/slow_lane.h"
#include "server/worker_pool.h"
#include "tracing/span.h"

namespace kw::server {

// Which admission endpoint (or, explaining, which of them the explain route stands for).
enum class Endpoint { kValidate, kAudit, kValidateRaw };

struct ApiOptions {
  std::optional<std::string> always_accept_namespace;
  // Where evaluations are recorded; nullptr = no metrics. Must outlive the handler's requests.
  metrics::Registry* metrics = nullptr;
  // Where the spans of requests go; nullptr = no tracing. Must outlive the handler's requests.
  tracing::SpanSink* tracing = nullptr;
  // Where the requests of policies that ran out of time recently are evaluated (slow_lane.h);
  // nullptr = on the pool, as every other. Must outlive the handler's requests.
  SlowLane* slow_lane = nullptr;
  // Serve the explain routes instead of the admission ones (see above).
  bool explain = false;
};

class ApiHandler final : public RequestHandler {
 public:
  // `policies` and `pool` must outlive every request (stop the pool before destroying either).
  ApiHandler(const ServedPolicies& policies, WorkerPool& pool, ApiOptions options);

  void Handle(HttpRequest request, Responder respond) override;

 private:
  void Explain(Endpoint endpoint, const std::string& id, admission::ValidationRequest request,
               Responder respond);

  const ServedPolicies& policies_;
  WorkerPool& pool_;
  ApiOptions options_;
  std::string host_;  // $HOSTNAME, the spans' `host`
};

// The readiness listener: GET (or HEAD) /readiness → 200 with an empty body. Only mounted once
// every policy is loaded and the API listener is bound, so answering is being ready. Also
// GET /policies → 200 with what is served, as JSON (ServedPolicies::StatusJson), for operators
// and the controller: the digest of the policies file and each id's state. With `explain` (an
// ApiHandler whose options say so), the explain routes go to it; without, they are 404 as any
// unknown path.
class ReadinessHandler final : public RequestHandler {
 public:
  // `policies` must outlive the handler.
  explicit ReadinessHandler(const ServedPolicies& policies,
                            std::shared_ptr<RequestHandler> explain = nullptr)
      : policies_(policies), explain_(std::move(explain)) {}
  void Handle(HttpRequest request, Responder respond) override;

 private:
  const ServedPolicies& policies_;
  std::shared_ptr<RequestHandler> explain_;
};

// The metrics listener: GET (or HEAD) /metrics → 200 with the Prometheus text exposition of
// `registry`, which must outlive the handler.
class MetricsHandler final : public RequestHandler {
 public:
  explicit MetricsHandler(const metrics::Registry& registry) : registry_(registry) {}
  void Handle(HttpRequest request, Responder respond) override;

 private:
  const metrics::Registry& registry_;
};

// Exposed for tests.
struct Route {
  Endpoint endpoint;
  std::string_view raw_id;  // still percent-encoded
};
// The route of `target` (query ignored); nullopt for an unknown path. With `explain`, the
// explain routes: /explain/ as kValidate, /explain_raw/ as kValidateRaw.
std::optional<Route> MatchRoute(std::string_view target, bool explain = false);
// application/json, or any application/*+json, parameters allowed.
bool IsJsonContentType(std::string_view content_type);

}  // namespace kw::server
