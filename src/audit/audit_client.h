// The audit scanner's side of policy-server's /audit endpoint: one synthetic review evaluated by
// one policy, answered as an Evaluation (report.h).
//
// A scan sends tens of thousands of small requests to a handful of policy servers, so each server
// gets a pool of keep-alive connections (a TLS handshake per request would cost more than the
// evaluation). Behind a Service, kube-proxy spreads those connections over the replicas.
//
// A policy server that cannot be reached (refused, timed out, TLS failure) errors the results of
// its own policies only. After `failures_to_give_up` transport failures in a row it is given up
// for the rest of the run: its remaining results error at once, naming the last failure, instead
// of each waiting for a timeout (a hanging server would otherwise stall the scan for hours).
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "audit/report.h"
#include "net/http_client.h"
#include "net/http_connection.h"

namespace kw::audit {

struct AuditClientOptions {
  std::shared_ptr<const net::TlsConfig> tls;  // for https:// policy servers
  std::chrono::milliseconds timeout{10000};   // per request
  std::size_t max_answer_bytes = 16u << 20;
  std::size_t connections_per_server = 128;   // idle connections kept per server
  int failures_to_give_up = 5;
};

class AuditClient {
 public:
  explicit AuditClient(AuditClientOptions options);

  // POSTs `review` to <base_url>/audit/<policy_id>.
  Evaluation Evaluate(const std::string& base_url, std::string_view policy_id,
                      const std::string& review);

 private:
  struct Server {
    std::unique_ptr<net::HttpConnectionPool> pool;  // null: the URL is unusable
    std::string base_target;                        // the URL's path, without a trailing '/'
    std::string unusable;                           // why the URL cannot be used
    int failures_in_a_row = 0;
    std::string given_up;  // non-empty: the reason, for every later result
  };
  Server& ServerFor(const std::string& base_url);  // under mutex_
  void Count(Server& server, bool transport_failed, std::string_view error);

  const AuditClientOptions options_;
  std::mutex mutex_;
  std::map<std::string, Server, std::less<>> servers_;
};

}  // namespace kw::audit
