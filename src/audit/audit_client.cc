#include "audit/audit_client.h"

#include <spdlog/spdlog.h>

namespace kw::audit {

AuditClient::AuditClient(AuditClientOptions options) : options_(std::move(options)) {}

AuditClient::Server& AuditClient::ServerFor(const std::string& base_url) {
  auto found = servers_.find(base_url);
  if (found != servers_.end()) return found->second;
  Server& server = servers_[base_url];
  auto url = net::ParseHttpUrl(base_url);
  if (!url) {
    server.unusable = url.error().message;
  } else if (url->tls && options_.tls == nullptr) {
    server.unusable = "no TLS configuration for " + base_url;
  } else {
    server.base_target = url->target;
    while (!server.base_target.empty() && server.base_target.back() == '/') {
      server.base_target.pop_back();
    }
    net::Origin origin;
    origin.url = *url;
    origin.tls = options_.tls;
    server.pool =
        std::make_unique<net::HttpConnectionPool>(std::move(origin), options_.connections_per_server);
  }
  return server;
}

void AuditClient::Count(Server& server, bool transport_failed, std::string_view error) {
  std::lock_guard lock(mutex_);
  if (!transport_failed) {
    server.failures_in_a_row = 0;
    return;
  }
  if (++server.failures_in_a_row < options_.failures_to_give_up || !server.given_up.empty()) {
    return;
  }
  server.given_up = "cannot reach the policy server (given up for this scan after " +
                    std::to_string(server.failures_in_a_row) +
                    " failed requests in a row): " + std::string(error);
  spdlog::error("{}", server.given_up);
}

Evaluation AuditClient::Evaluate(const std::string& base_url, std::string_view policy_id,
                                 const std::string& review) {
  Server* server;
  {
    std::lock_guard lock(mutex_);
    server = &ServerFor(base_url);  // std::map nodes are stable
    if (!server->unusable.empty()) {
      return {Verdict::kError, "cannot reach the policy server: " + server->unusable};
    }
    if (!server->given_up.empty()) return {Verdict::kError, server->given_up};
  }
  net::WireRequest request;
  request.method = "POST";
  request.target = server->base_target + "/audit/" + std::string(policy_id);
  request.headers = {{"Content-Type", "application/json"}};
  request.body = review;
  request.retry_safe = true;  // an evaluation changes nothing
  auto answer = server->pool->Exchange(
      request, std::chrono::steady_clock::now() + options_.timeout, options_.max_answer_bytes);
  if (!answer) {
    Count(*server, true, answer.error().message);
    return ReadAuditAnswer(0, "", answer.error().message);
  }
  Count(*server, false, {});
  return ReadAuditAnswer(static_cast<int>(answer->status), answer->body);
}

}  // namespace kw::audit
