#include "server/api.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <span>

#include <spdlog/spdlog.h>

#include "admission/request.h"
#include "admission/response.h"
#include "base/json.h"
#include "base/percent_decode.h"
#include "base/strings.h"
#include "evaluator/environment.h"
#include "evaluator/explanation.h"
#include "metrics/exposition.h"

namespace kw::server {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";

// axum's rejection texts (the extractors upstream uses).
constexpr std::string_view kMissingJsonContentType =
    "Expected request with `Content-Type: application/json`";
constexpr std::string_view kBodyTooLarge = "Failed to buffer the request body: length limit exceeded";
constexpr std::string_view kSyntaxErrorPrefix = "Failed to parse the request body as JSON: ";
constexpr std::string_view kSchemaErrorPrefix =
    "Failed to deserialize the JSON body into the target type: ";

HttpResponse JsonError(http::status status, std::string_view message) {
  json::object body;
  body["message"] = message;
  body["status"] = static_cast<unsigned>(status);
  return HttpResponse{status, std::string(kJson), json::serialize(body), {}};
}

HttpResponse Empty(http::status status) { return HttpResponse{status, "", "", {}}; }

// A failure to extract the request: JSON on /validate (upstream's custom extractor), plain text
// (axum's stock extractor) on the other two.
HttpResponse ExtractionError(Endpoint endpoint, http::status status, std::string_view message) {
  if (endpoint == Endpoint::kValidate) return JsonError(status, message);
  return HttpResponse{status, std::string(kText), std::string(message), {}};
}

HttpResponse Review(Endpoint endpoint, const admission::AdmissionResponse& response) {
  return HttpResponse{http::status::ok, std::string(kJson),
                      endpoint == Endpoint::kValidateRaw ? admission::RawReviewJson(response)
                                                         : admission::AdmissionReviewJson(response),
                      {}};
}

// The answer of the explain routes: the explanation, and under "review" what /validate (or
// /validate_raw) would have answered.
HttpResponse ExplanationAnswer(Endpoint endpoint, const evaluator::Explained& explained) {
  json::value body = evaluator::ExplanationJson(explained.explanation);
  auto review = ParseJson(Review(endpoint, explained.response).body);
  body.as_object()["review"] = review ? std::move(*review) : json::value(nullptr);
  return HttpResponse{http::status::ok, std::string(kJson), json::serialize(body), {}};
}

std::string_view ModeName(policy::PolicyMode mode) {
  return mode == policy::PolicyMode::kMonitor ? "monitor" : "protect";
}

// Records one evaluation of `entry` (§5.2): the AdmissionRequest or the raw attribute set.
void RecordEvaluation(metrics::Registry& recorder, const evaluator::EnvironmentEntry& entry,
                      Endpoint endpoint,
                      const admission::ValidationRequest& request,
                      const evaluator::Verdict& verdict, std::chrono::nanoseconds latency) {
  std::optional<std::int64_t> code;
  if (verdict.code) code = *verdict.code;
  if (request.kind() == admission::RequestKind::kRaw) {
    recorder.Record(metrics::RawEvaluation{.policy_name = entry.id,
                                           .policy_mode = ModeName(entry.mode),
                                           .accepted = verdict.accepted,
                                           .mutated = verdict.mutated,
                                           .error_code = code},
                    latency);
    return;
  }
  std::optional<std::string_view> ns;
  if (request.namespace_name()) ns = *request.namespace_name();
  recorder.Record(
      metrics::AdmissionEvaluation{
          .policy_name = entry.id,
          .policy_mode = ModeName(entry.mode),
          .resource_kind = request.resource_kind(),
          .resource_request_operation = request.operation(),
          .accepted = verdict.accepted,
          .mutated = verdict.mutated,
          .request_origin = endpoint == Endpoint::kAudit ? "audit" : "validate",
          .resource_namespace = ns,
          .error_code = code},
      latency);
}

// The span of a request that reached its policy (§5.3), with what the request says.
tracing::Span StartRequestSpan(tracing::SpanSink& sink, Endpoint endpoint, std::string_view id,
                               const admission::ValidationRequest& request,
                               const std::optional<std::string>& traceparent,
                               std::string_view host) {
  std::optional<tracing::SpanContext> parent;
  if (traceparent) parent = tracing::ParseTraceparent(*traceparent);
  const std::string_view name = endpoint == Endpoint::kValidate ? "validation"
                                : endpoint == Endpoint::kAudit  ? "audit"
                                                                : "validation_raw";
  tracing::Span span = tracing::Span::Start(sink, name, tracing::SpanKind::kServer, parent);
  span.SetString("request_uid", request.uid());
  span.SetString("host", host);
  span.SetString("policy_id", id);
  if (endpoint == Endpoint::kValidateRaw) return span;
  const admission::AdmissionIdentity& about = request.identity();
  span.SetString("name", about.name);
  span.SetString("namespace", request.namespace_name().value_or(""));
  span.SetString("operation", request.operation());
  span.SetString("subresource", about.subresource);
  span.SetString("kind_group", about.kind.group);
  span.SetString("kind_version", about.kind.version);
  span.SetString("kind", about.kind.name);
  span.SetString("resource_group", about.resource.group);
  span.SetString("resource_version", about.resource.version);
  span.SetString("resource", about.resource.name);
  return span;
}

// The answer of the GET-only listeners to anything but a GET or HEAD of one of `paths`; nullopt
// for those.
std::optional<HttpResponse> RefuseUnlessGet(const HttpRequest& request,
                                            std::initializer_list<std::string_view> paths) {
  std::string_view target = std::string_view(request.target).substr(0, request.target.find('?'));
  if (std::find(paths.begin(), paths.end(), target) == paths.end()) {
    return Empty(http::status::not_found);
  }
  if (request.method != http::verb::get && request.method != http::verb::head) {
    HttpResponse r = Empty(http::status::method_not_allowed);
    r.headers.emplace_back(http::field::allow, "GET,HEAD");
    return r;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Route> MatchRoute(std::string_view target, bool explain) {
  target = target.substr(0, target.find('?'));
  static constexpr std::pair<std::string_view, Endpoint> kAdmissionRoutes[] = {
      {"/validate/", Endpoint::kValidate},
      {"/audit/", Endpoint::kAudit},
      {"/validate_raw/", Endpoint::kValidateRaw},
  };
  static constexpr std::pair<std::string_view, Endpoint> kExplainRoutes[] = {
      {"/explain/", Endpoint::kValidate},
      {"/explain_raw/", Endpoint::kValidateRaw},
  };
  using Routes = std::span<const std::pair<std::string_view, Endpoint>>;
  for (const auto& [prefix, endpoint] : explain ? Routes(kExplainRoutes)
                                                : Routes(kAdmissionRoutes)) {
    if (!target.starts_with(prefix)) continue;
    std::string_view id = target.substr(prefix.size());
    if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
    return Route{endpoint, id};
  }
  return std::nullopt;
}

bool IsJsonContentType(std::string_view content_type) {
  std::string_view mime = TrimBlanks(content_type.substr(0, content_type.find(';')));
  std::size_t slash = mime.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view type = mime.substr(0, slash);
  std::string_view subtype = mime.substr(slash + 1);
  if (!EqualsIgnoreCase(type, "application")) return false;
  if (EqualsIgnoreCase(subtype, "json")) return true;
  return subtype.size() > 5 && EqualsIgnoreCase(subtype.substr(subtype.size() - 5), "+json");
}

ApiHandler::ApiHandler(const ServedPolicies& policies, WorkerPool& pool, ApiOptions options)
    : policies_(policies), pool_(pool), options_(std::move(options)) {
  if (const char* host = std::getenv("HOSTNAME")) host_ = host;
}

void ApiHandler::Handle(HttpRequest request, Responder respond) {
  std::optional<Route> route = MatchRoute(request.target, options_.explain);
  if (!route) return respond(Empty(http::status::not_found));
  if (request.method != http::verb::post) {
    HttpResponse r = Empty(http::status::method_not_allowed);
    r.headers.emplace_back(http::field::allow, "POST");
    return respond(std::move(r));
  }
  std::optional<std::string> id = PercentDecode(route->raw_id);
  if (!id) {
    return respond(HttpResponse{http::status::bad_request, std::string(kText),
                                "Invalid URL: Cannot parse `" + std::string(route->raw_id) +
                                    "` to a `String`",
                                {}});
  }
  Endpoint endpoint = route->endpoint;
  if (!request.content_type || !IsJsonContentType(*request.content_type)) {
    return respond(
        ExtractionError(endpoint, http::status::unsupported_media_type, kMissingJsonContentType));
  }
  if (request.body_too_large) {
    return respond(ExtractionError(endpoint, http::status::payload_too_large, kBodyTooLarge));
  }
  auto parsed = endpoint == Endpoint::kValidateRaw ? admission::ParseRawReview(request.body)
                                                   : admission::ParseAdmissionReview(request.body);
  if (!parsed) {
    const std::string& message = parsed.error().message;
    if (parsed.error().kind == ErrorKind::kSyntax) {
      // Upstream words it as its JSON extractor does: our prefix gives way to its.
      std::string_view why = message;
      if (why.starts_with(admission::kInvalidJsonPrefix)) {
        why.remove_prefix(admission::kInvalidJsonPrefix.size());
      }
      return respond(ExtractionError(endpoint, http::status::bad_request,
                                     std::string(kSyntaxErrorPrefix) + std::string(why)));
    }
    return respond(ExtractionError(endpoint, http::status::unprocessable_entity,
                                   std::string(kSchemaErrorPrefix) + message));
  }

  if (options_.explain) return Explain(endpoint, *id, std::move(*parsed), std::move(respond));

  tracing::Span span;
  if (options_.tracing != nullptr) {
    span = StartRequestSpan(*options_.tracing, endpoint, *id, *parsed, request.traceparent, host_);
  }
  // Ends the span with what the client is told.
  const auto answer = [&span, &respond, endpoint](const admission::AdmissionResponse& response) {
    evaluator::TraceResponse(span, response);
    span.End();
    respond(Review(endpoint, response));
  };

  if (std::count(id->begin(), id->end(), '/') > 1) {
    spdlog::error("invalid policy id '{}': more than one '/'", *id);
    return respond(JsonError(http::status::internal_server_error, "Something went wrong"));
  }
  evaluator::EnvironmentSharedPtr environment = policies_.Current();
  const evaluator::EnvironmentEntry* entry = environment->Find(*id);
  if (entry == nullptr) {
    return respond(JsonError(http::status::not_found, "unknown policy: " + *id));
  }
  metrics::Registry* recorder = options_.metrics;
  if (options_.always_accept_namespace &&
      parsed->namespace_name() == options_.always_accept_namespace) {
    admission::AdmissionResponse accepted;
    accepted.uid = std::string(parsed->uid());
    accepted.allowed = true;
    if (recorder != nullptr) {
      RecordEvaluation(*recorder, *entry, endpoint, *parsed, {.accepted = true}, {});
    }
    return answer(accepted);
  }
  if (entry->state() == evaluator::EntryState::kFailed) {
    if (recorder != nullptr) recorder->RecordInitializationError(entry->id, *entry->error);
    return answer(admission::RejectInternal(parsed->uid(), *entry->error));
  }

  const evaluator::Origin origin =
      endpoint == Endpoint::kAudit ? evaluator::Origin::kAudit : evaluator::Origin::kValidate;
  SlowLane* slow_lane = options_.slow_lane;
  const bool suspect = slow_lane != nullptr && slow_lane->Holds(*entry);
  if (suspect && !slow_lane->Reserve(*entry)) {
    // The lane is full: what its timeout would answer, at once (slow_lane.h).
    evaluator::Verdict verdict;
    admission::AdmissionResponse timed_out = evaluator::TimedOut(
        *entry, *parsed, origin, recorder != nullptr ? &verdict : nullptr);
    if (recorder != nullptr) RecordEvaluation(*recorder, *entry, endpoint, *parsed, verdict, {});
    return answer(timed_out);
  }

  // `environment` keeps `entry` alive until the answer, whatever is swapped in meanwhile.
  WorkerPool::Task evaluate = [environment = std::move(environment), entry, endpoint, origin,
                               recorder, slow_lane, request = std::move(*parsed),
                               span = std::move(span), respond = std::move(respond)](
                                  evaluator::Evaluator& evaluator) mutable {
    tracing::CurrentSpan current(span);  // the evaluations' spans are its children
    evaluator::Verdict verdict;
    const bool timed = recorder != nullptr || slow_lane != nullptr;
    const auto start =
        timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    const std::uint64_t timeouts_before = evaluator.timeouts();
    admission::AdmissionResponse response = evaluator.Evaluate(
        *environment, *entry, request, origin, recorder != nullptr ? &verdict : nullptr);
    const auto took =
        timed ? std::chrono::steady_clock::now() - start : std::chrono::nanoseconds(0);
    if (recorder != nullptr) RecordEvaluation(*recorder, *entry, endpoint, request, verdict, took);
    if (slow_lane != nullptr) {
      slow_lane->NoteEvaluation(*entry, took, evaluator.timeouts() != timeouts_before);
    }
    evaluator::TraceResponse(span, response);
    span.End();
    respond(Review(endpoint, response));
  };
  if (suspect) return slow_lane->Run(std::move(evaluate));
  pool_.Run(std::move(evaluate));
}

void ApiHandler::Explain(Endpoint endpoint, const std::string& id,
                         admission::ValidationRequest request, Responder respond) {
  // The checks and shortcuts of Handle, in its order, so that the explanation is of the answer
  // /validate would give.
  if (std::count(id.begin(), id.end(), '/') > 1) {
    return respond(JsonError(http::status::internal_server_error, "Something went wrong"));
  }
  evaluator::EnvironmentSharedPtr environment = policies_.Current();
  const evaluator::EnvironmentEntry* entry = environment->Find(id);
  if (entry == nullptr) return respond(JsonError(http::status::not_found, "unknown policy: " + id));
  if (options_.always_accept_namespace &&
      request.namespace_name() == options_.always_accept_namespace) {
    evaluator::Explained explained = evaluator::Explain(*entry, request, [&] {
      admission::AdmissionResponse accepted;
      accepted.uid = std::string(request.uid());
      accepted.allowed = true;
      return accepted;
    });
    explained.explanation.not_evaluated = "the request is in the always-accepted namespace " +
                                          *options_.always_accept_namespace;
    return respond(ExplanationAnswer(endpoint, explained));
  }
  pool_.Run([environment = std::move(environment), entry, endpoint, request = std::move(request),
             respond = std::move(respond)](evaluator::Evaluator& evaluator) mutable {
    evaluator::Explained explained = evaluator::Explain(*entry, request, [&] {
      return evaluator.Evaluate(*environment, *entry, request, evaluator::Origin::kValidate);
    });
    respond(ExplanationAnswer(endpoint, explained));
  });
}

void ReadinessHandler::Handle(HttpRequest request, Responder respond) {
  if (explain_ && MatchRoute(request.target, /*explain=*/true)) {
    return explain_->Handle(std::move(request), std::move(respond));
  }
  if (auto refused = RefuseUnlessGet(request, {"/readiness", "/policies"})) {
    return respond(std::move(*refused));
  }
  if (request.target.starts_with("/policies")) {
    std::string body;
    if (request.method == http::verb::get) body = policies_.StatusJson();
    return respond(HttpResponse{http::status::ok, std::string(kJson), std::move(body), {}});
  }
  respond(Empty(http::status::ok));
}

void MetricsHandler::Handle(HttpRequest request, Responder respond) {
  if (auto refused = RefuseUnlessGet(request, {"/metrics"})) return respond(std::move(*refused));
  std::string body;
  if (request.method == http::verb::get) body = metrics::PrometheusText(registry_.Collect());
  respond(HttpResponse{http::status::ok, std::string(metrics::kPrometheusContentType),
                       std::move(body), {}});
}

}  // namespace kw::server
