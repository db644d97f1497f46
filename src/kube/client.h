// A client of one Kubernetes API server: the transport every other piece of src/kube (discovery,
// resources, watches, reflectors, leases) goes through.
//
// It authenticates as its ConnectionConfig says (client certificate, a fixed bearer token, or a
// token file re-read as it rotates), keeps connections alive in a pool (net/http_connection.h),
// goes through the cluster's proxy (the kubeconfig's proxy-url, else the proxy environment
// variables, as client-go), and limits its own request rate with a token bucket (QPS and burst,
// as client-go's flowcontrol does) so that a policy asking 10,000 times a second cannot flood
// the API server: callers wait for a token, up to their deadline.
//
// A 429 (the server's priority and fairness shedding load) is sent again after the wait it asks
// for (Retry-After), up to 10 times within the request's deadline, as client-go does.
// An answer other than 2xx is an error carrying the API server's Status message and code
// (Error::http_status); 404 is kNotFound, 409 kConflict... see StatusError. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "kube/bearer_token.h"
#include "kube/connection_config.h"
#include "kube/rate_limiter.h"
#include "net/http_client.h"
#include "net/http_connection.h"

namespace kw::kube {

struct ClientOptions {
  // client-go's defaults are 5 QPS / burst 10 for kubectl-like tools; a policy server serving
  // many policies needs more, and the watch cache keeps its steady-state load near zero.
  double qps = 50;
  int burst = 100;
  std::chrono::milliseconds timeout{30000};
  // A list page or an object: pages are asked for in bounded sizes, so this is a safety cap.
  std::size_t max_response_bytes = std::size_t{256} << 20;
};

// One API request: method, path (with its query string), body and content type.
struct ApiRequest {
  std::string method = "GET";
  std::string path;  // "/api/v1/namespaces/default/pods?limit=500"
  std::string body;
  std::string content_type = "application/json";
  // nullopt: now + ClientOptions::timeout.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

class Client {
 public:
  // Prepares TLS and authentication (no connection is made yet). kInvalidArgument for an
  // unusable configuration (a bad server URL, a certificate OpenSSL refuses).
  static Result<std::shared_ptr<Client>> Create(const ConnectionConfig& config,
                                                ClientOptions options = {});

  // Sends `request` and returns the 2xx answer's body; any other status is StatusError's error.
  Result<std::string> Call(const ApiRequest& request) const;

  // Sends `request` (a watch) on a dedicated connection and hands the 2xx answer's body to
  // `sink` as it arrives, until the server ends it, `sink` returns false, `idle_timeout` passes
  // without data (kTimeout) or `cancel` is asked (see WatchCanceller). Not rate-limited beyond
  // its start.
  class StreamHandle;
  Result<void> Stream(const ApiRequest& request, std::chrono::milliseconds idle_timeout,
                      const net::BodySink& sink, StreamHandle* handle = nullptr) const;

  const ConnectionConfig& config() const { return config_; }
  const ClientOptions& options() const { return options_; }

  // Lets another thread end a Stream under way (for shutdown). Thread-safe.
  class StreamHandle {
   public:
    void Cancel();

   private:
    friend class Client;
    std::mutex mutex_;
    net::HttpConnection* connection_ = nullptr;
    bool cancelled_ = false;
  };

 private:
  Client(ConnectionConfig config, ClientOptions options, std::unique_ptr<net::HttpConnectionPool> pool);
  Result<net::WireRequest> Prepare(const ApiRequest& request) const;

  const ConnectionConfig config_;
  const ClientOptions options_;
  std::unique_ptr<net::HttpConnectionPool> pool_;
  std::unique_ptr<BearerToken> token_file_;
  mutable RateLimiter limiter_;
};

// The error for a non-2xx answer: the API server's Status `message` (its JSON body) when it sent
// one, else "<status> <body start>"; kind by code: 404 kNotFound, 401/403 kInvalidArgument,
// 409 kConflict... documented in client.cc. http_status is the code.
Error StatusError(unsigned status, std::string_view body);

}  // namespace kw::kube
