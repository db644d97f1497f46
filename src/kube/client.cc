#include "kube/client.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "net/proxy.h"

namespace kw::kube {

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// What a Status body may take of an error message; beyond that the server is not answering like
// an API server and its body is only quoted.
constexpr std::size_t kQuotedBodyBytes = 200;
// client-go's maximum number of retries of a throttled (429) request.
constexpr int kMaxThrottledRetries = 10;

ErrorKind KindOfStatus(unsigned status) {
  switch (status) {
    case 400: return ErrorKind::kInvalidArgument;
    case 401:
    case 403: return ErrorKind::kPermissionDenied;
    case 404: return ErrorKind::kNotFound;
    case 409: return ErrorKind::kConflict;
    case 410: return ErrorKind::kNotFound;  // "Gone": an expired resourceVersion
    case 422: return ErrorKind::kInvalidArgument;
    case 429:
    case 504: return ErrorKind::kTimeout;
    default: return ErrorKind::kIo;
  }
}

std::string Quote(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kQuotedBodyBytes)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (body.size() > kQuotedBodyBytes) out += "...";
  return out;
}

// How long a 429 asks the client to wait: its Retry-After header (seconds), else the Status's
// details.retryAfterSeconds, else one second; at most a minute whatever it says.
std::chrono::seconds RetryAfter(const net::HttpResponse& response) {
  long seconds = 1;
  if (auto header = response.Header("Retry-After")) {
    seconds = std::strtol(header->c_str(), nullptr, 10);
  } else {
    boost::system::error_code ec;
    json::value parsed = json::parse(response.body, ec);
    const json::value* details = !ec && parsed.is_object()
                                     ? parsed.as_object().if_contains("details")
                                     : nullptr;
    const json::value* after = details != nullptr && details->is_object()
                                   ? details->as_object().if_contains("retryAfterSeconds")
                                   : nullptr;
    if (after != nullptr && after->is_int64()) seconds = static_cast<long>(after->get_int64());
  }
  return std::chrono::seconds(std::clamp<long>(seconds, 1, 60));
}

}  // namespace

Error StatusError(unsigned status, std::string_view body) {
  std::string message;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const json::object& object = parsed.as_object();
    const json::value* kind = object.if_contains("kind");
    const json::value* text = object.if_contains("message");
    if (kind != nullptr && kind->is_string() && kind->as_string() == "Status" &&
        text != nullptr && text->is_string()) {
      message = std::string(text->as_string());
    }
  }
  if (message.empty()) {
    message = "the API server answered " + std::to_string(status);
    if (!body.empty()) message += ": " + Quote(body);
  }
  Error error(KindOfStatus(status), std::move(message));
  error.http_status = static_cast<int>(status);
  return error;
}

Client::Client(ConnectionConfig config, ClientOptions options,
               std::unique_ptr<net::HttpConnectionPool> pool)
    : config_(std::move(config)),
      options_(options),
      pool_(std::move(pool)),
      limiter_(options.qps, options.burst) {
  if (!config_.token_file.empty()) token_file_ = std::make_unique<BearerToken>(config_.token_file);
}

Result<std::shared_ptr<Client>> Client::Create(const ConnectionConfig& config,
                                               ClientOptions options) {
  ConnectionConfig normalized = config;
  KW_TRY(NormalizeServer(normalized));
  KW_ASSIGN_OR_RETURN(net::HttpUrl url, net::ParseHttpUrl(normalized.server));
  net::TlsOptions tls_options;
  tls_options.verify = !normalized.insecure_skip_tls_verify;
  // A cluster's own CA replaces the system's: a public CA must not vouch for an API server.
  if (!normalized.certificate_authority_pem.empty()) {
    tls_options.system_roots = false;
    tls_options.ca_pems.push_back(normalized.certificate_authority_pem);
  }
  if (!normalized.client_certificate_pem.empty() || !normalized.client_key_pem.empty()) {
    tls_options.client_certificate_pem = normalized.client_certificate_pem;
    tls_options.client_key_pem = normalized.client_key_pem;
  }
  auto tls = net::TlsConfig::Create(tls_options);
  if (!tls) return std::unexpected(tls.error().Wrap(normalized.origin));
  // The kubeconfig's proxy-url for this cluster, else the environment's, as client-go.
  net::ProxySettings proxies = net::ProxySettingsFromEnvironment();
  if (!normalized.proxy_url.empty()) {
    proxies = net::ProxySettings{normalized.proxy_url, normalized.proxy_url, std::nullopt};
  }
  KW_ASSIGN_OR_RETURN(std::optional<net::Proxy> proxy,
                      net::ProxyFor(proxies, url.tls, url.host, url.port));
  // Paths are appended to the server's own (a server URL may carry a prefix, behind a gateway).
  std::string prefix = url.target == "/" ? "" : url.target;
  while (prefix.ends_with('/')) prefix.pop_back();
  normalized.server = prefix;  // from here on, only the path prefix is needed
  net::Origin origin{std::move(url), std::move(proxy), *tls, normalized.tls_server_name};
  auto pool = std::make_unique<net::HttpConnectionPool>(std::move(origin));
  return std::shared_ptr<Client>(new Client(std::move(normalized), options, std::move(pool)));
}

Result<net::WireRequest> Client::Prepare(const ApiRequest& request) const {
  net::WireRequest wire;
  wire.method = request.method;
  wire.target = config_.server + request.path;
  wire.body = request.body;
  wire.headers.emplace_back("Accept", "application/json");
  if (!request.body.empty()) wire.headers.emplace_back("Content-Type", request.content_type);
  std::string token = config_.token;
  if (token_file_) {
    auto current = token_file_->Current();
    if (!current) return std::unexpected(current.error().Wrap("cannot read the bearer token"));
    token = std::move(*current);
  }
  if (!token.empty()) wire.headers.emplace_back("Authorization", "Bearer " + token);
  return wire;
}

Result<std::string> Client::Call(const ApiRequest& request) const {
  const Clock::time_point deadline = request.deadline.value_or(Clock::now() + options_.timeout);
  for (int attempt = 0;; ++attempt) {
    KW_TRY(limiter_.Acquire(deadline));
    KW_ASSIGN_OR_RETURN(net::WireRequest wire, Prepare(request));
    KW_ASSIGN_OR_RETURN(net::HttpResponse response,
                        pool_->Exchange(wire, deadline, options_.max_response_bytes));
    // 429: the server's priority and fairness shed the request before doing anything with it,
    // so any verb may be sent again, after the wait it asks for, as client-go does.
    if (response.status == 429 && attempt < kMaxThrottledRetries) {
      const auto wait = RetryAfter(response);
      if (Clock::now() + wait < deadline) {
        std::this_thread::sleep_for(wait);
        continue;
      }
    }
    if (response.status < 200 || response.status >= 300) {
      return std::unexpected(StatusError(response.status, response.body));
    }
    return std::move(response.body);
  }
}

Result<void> Client::Stream(const ApiRequest& request, std::chrono::milliseconds idle_timeout,
                            const net::BodySink& sink, StreamHandle* handle) const {
  const Clock::time_point deadline = request.deadline.value_or(Clock::now() + options_.timeout);
  KW_TRY(limiter_.Acquire(deadline));
  KW_ASSIGN_OR_RETURN(net::WireRequest wire, Prepare(request));
  KW_ASSIGN_OR_RETURN(auto connection, pool_->OpenDedicated(deadline));
  if (handle != nullptr) {
    std::lock_guard lock(handle->mutex_);
    if (handle->cancelled_) return Fail(ErrorKind::kIo, "cancelled");
    handle->connection_ = connection.get();
  }
  auto response = connection->Stream(wire, idle_timeout, 1u << 20, sink);
  if (handle != nullptr) {
    std::lock_guard lock(handle->mutex_);
    handle->connection_ = nullptr;
  }
  if (!response) return std::unexpected(std::move(response).error());
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(StatusError(response->status, response->body));
  }
  return {};
}

void Client::StreamHandle::Cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (connection_ != nullptr) connection_->Cancel();
}

}  // namespace kw::kube
