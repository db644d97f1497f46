#include "metrics/otlp_exporter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "base/percent_decode.h"
#include "base/strings.h"
#include "metrics/exposition.h"

namespace kw::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::chrono::milliseconds kDefaultInterval{60000};
constexpr std::chrono::milliseconds kDefaultTimeout{10000};
constexpr std::size_t kMaxReplyBytes = 1u << 20;

// The per-signal variable, else the generic one; empty values count as unset.
std::optional<std::string> Lookup(const Environment& env, const std::string& metrics_name,
                                  const std::string& generic_name) {
  for (const std::string* name : {&metrics_name, &generic_name}) {
    if (auto value = env(*name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

std::optional<std::string> LookupOtlp(const Environment& env, std::string_view suffix) {
  return Lookup(env, "OTEL_EXPORTER_OTLP_METRICS_" + std::string(suffix),
                "OTEL_EXPORTER_OTLP_" + std::string(suffix));
}

std::chrono::milliseconds Milliseconds(const std::optional<std::string>& text,
                                       std::string_view name,
                                       std::chrono::milliseconds fallback) {
  if (!text) return fallback;
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc() || end != text->data() + text->size() || ms <= 0) {
    spdlog::warn("{}: '{}' is not a positive number of milliseconds; using {}", name, *text,
                 fallback.count());
    return fallback;
  }
  return std::chrono::milliseconds(ms);
}

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

template <typename Stream>
asio::awaitable<Result<HttpReply>> Exchange(Stream& stream,
                                            const http::request<http::string_body>& request) {
  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  co_await http::async_write(stream, request, token);
  if (ec) co_return Fail(ErrorKind::kIo, "cannot send the request: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  co_await http::async_read(stream, buffer, parser, token);
  if (ec) co_return Fail(ErrorKind::kIo, "cannot read the response: " + ec.message());
  co_return HttpReply{parser.get().result_int(), std::move(parser.get().body())};
}

// One POST on a fresh connection. Connecting, the TLS handshake, sending and receiving share one
// deadline (name resolution is bounded by the resolver's own timeouts).
asio::awaitable<Result<HttpReply>> PostAsync(const HttpUrl& url, asio::ssl::context* tls,
                                             const http::request<http::string_body>& request,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto executor = co_await asio::this_coro::executor;
  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, token);
  if (ec) co_return Fail(ErrorKind::kIo, "cannot resolve " + url.host + ": " + ec.message());
  beast::tcp_stream tcp(executor);
  tcp.expires_at(deadline);
  co_await tcp.async_connect(endpoints, token);
  if (ec) co_return Fail(ErrorKind::kIo, "cannot connect: " + ec.message());
  if (tls == nullptr) co_return co_await Exchange(tcp, request);

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls);
  beast::get_lowest_layer(stream).expires_at(deadline);
  error_code not_ip;
  asio::ip::make_address(url.host, not_ip);
  // SNI is for names only (RFC 6066); the certificate check takes names and addresses.
  if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    co_return Fail(ErrorKind::kIo, "cannot set the TLS server name");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  co_await stream.async_handshake(asio::ssl::stream_base::client, token);
  if (ec) co_return Fail(ErrorKind::kIo, "TLS handshake failed: " + ec.message());
  // No close_notify afterwards: the exchange is complete, and some servers never answer it.
  co_return co_await Exchange(stream, request);
}

Result<HttpReply> Post(const HttpUrl& url, asio::ssl::context* tls,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::string body, std::chrono::milliseconds timeout) {
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.authority);
  request.set(http::field::user_agent, "kubewarden-policy-server");
  // Before Content-Type, which they must not replace.
  for (const auto& [name, value] : headers) request.set(name, value);
  request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  asio::io_context io;
  std::optional<Result<HttpReply>> result;
  asio::co_spawn(io, PostAsync(url, tls, request, timeout),
                 [&](std::exception_ptr failure, Result<HttpReply> reply) {
                   if (!failure) {
                     result = std::move(reply);
                     return;
                   }
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     result = Fail(ErrorKind::kIo, e.what());
                   }
                 });
  io.run();
  if (!result) return Fail(ErrorKind::kInternal, "the export did not complete");
  return std::move(*result);
}

}  // namespace

std::optional<std::string> ProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<std::optional<OtlpExporterConfig>> OtlpExporterConfigFromEnvironment(
    const Environment& environment) {
  OtlpExporterConfig config;
  if (auto url = environment("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"); url && !url->empty()) {
    config.url = *url;
  } else if (auto base = environment("OTEL_EXPORTER_OTLP_ENDPOINT"); base && !base->empty()) {
    config.url = *base + (base->ends_with('/') ? "v1/metrics" : "/v1/metrics");
  } else {
    return std::nullopt;
  }
  if (auto protocol = LookupOtlp(environment, "PROTOCOL"); protocol && *protocol != "http/json") {
    spdlog::warn("OTLP protocol '{}' is not supported: metrics are exported as http/json",
                 *protocol);
  }
  config.interval = Milliseconds(environment("OTEL_METRIC_EXPORT_INTERVAL"),
                                 "OTEL_METRIC_EXPORT_INTERVAL", kDefaultInterval);
  config.timeout =
      Milliseconds(LookupOtlp(environment, "TIMEOUT"), "OTEL_EXPORTER_OTLP_TIMEOUT", kDefaultTimeout);
  config.ca_file = LookupOtlp(environment, "CERTIFICATE");
  config.client_certificate_file = LookupOtlp(environment, "CLIENT_CERTIFICATE");
  config.client_key_file = LookupOtlp(environment, "CLIENT_KEY");
  if (auto headers = environment("OTEL_EXPORTER_OTLP_METRICS_HEADERS"); headers) {
    config.headers = ParseOtlpHeaders(*headers, "OTEL_EXPORTER_OTLP_METRICS_HEADERS");
  } else if (headers = environment("OTEL_EXPORTER_OTLP_HEADERS"); headers) {
    config.headers = ParseOtlpHeaders(*headers, "OTEL_EXPORTER_OTLP_HEADERS");
  }
  if (config.client_certificate_file.has_value() != config.client_key_file.has_value()) {
    return Fail(ErrorKind::kInvalidArgument,
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY must be "
                "set together");
  }
  return config;
}

std::vector<std::pair<std::string, std::string>> ParseOtlpHeaders(std::string_view text,
                                                                  std::string_view what) {
  std::vector<std::pair<std::string, std::string>> headers;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = TrimBlanks(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (entry.empty()) continue;
    const std::size_t equals = entry.find('=');
    std::optional<std::string> name, value;
    if (equals != std::string_view::npos) {
      name = PercentDecode(TrimBlanks(entry.substr(0, equals)));
      value = PercentDecode(TrimBlanks(entry.substr(equals + 1)));
    }
    // A header name is an RFC 9110 token; a value must not break the request (CR, LF, NUL).
    const auto is_token = [](const std::string& s) {
      return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      });
    };
    if (!name || !value || !is_token(*name) ||
        value->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      spdlog::warn("{}: ignoring the malformed entry '{}'", what, entry);
      continue;
    }
    headers.emplace_back(std::move(*name), std::move(*value));
  }
  return headers;
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  const auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid URL '" + std::string(url) + "': " + std::string(why));
  };
  HttpUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return invalid("the scheme must be http or https");
  }
  const std::size_t path = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path);
  std::string_view target = path == std::string_view::npos ? "" : rest.substr(path);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not supported");
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return invalid("unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return invalid("no host");
  unsigned port_number = 0;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || end != port.data() + port.size() || port_number == 0 ||
        port_number > 65535) {
      return invalid("bad port");
    }
  }
  out.host = std::string(host);
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  out.authority = std::string(authority);
  out.target = target.empty() ? "/" : target.starts_with('?') ? "/" + std::string(target)
                                                              : std::string(target);
  return out;
}

struct OtlpExporter::Impl {
  const Registry& registry;
  OtlpExporterConfig config;
  HttpUrl url;
  std::optional<asio::ssl::context> tls;
  bool failing = false;  // the last export failed: log the recovery

  void Export() {
    Snapshot snapshot = registry.Collect();
    if (snapshot.evaluations_total.empty()) return;  // nothing recorded yet
    auto reply =
        Post(url, tls ? &*tls : nullptr, config.headers, OtlpJson(snapshot), config.timeout);
    std::string failure;
    if (!reply) {
      failure = reply.error().message;
    } else if (reply->status < 200 || reply->status >= 300) {
      failure = "HTTP " + std::to_string(reply->status) + ": " + reply->body.substr(0, 200);
    }
    if (!failure.empty()) {
      spdlog::warn("exporting metrics to {} failed: {}", config.url, failure);
    } else if (failing) {
      spdlog::info("exporting metrics to {} works again", config.url);
    }
    failing = !failure.empty();
  }
};

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::Start(const Registry& registry,
                                                          OtlpExporterConfig config) {
  KW_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(config.url));
  std::unique_ptr<Impl> impl(new Impl{registry, std::move(config), std::move(url)});
  if (impl->url.tls) {
    const OtlpExporterConfig& c = impl->config;
    std::string doing;
    try {
      doing = "create the TLS context";
      impl->tls.emplace(asio::ssl::context::tls_client);
      impl->tls->set_verify_mode(asio::ssl::verify_peer);
      if (c.ca_file) {
        doing = "load the CA file " + *c.ca_file;
        impl->tls->load_verify_file(*c.ca_file);
      } else {
        doing = "load the system's trusted CAs";
        impl->tls->set_default_verify_paths();
      }
      if (c.client_certificate_file) {
        doing = "load the client certificate " + *c.client_certificate_file;
        impl->tls->use_certificate_chain_file(*c.client_certificate_file);
        doing = "load the client key " + *c.client_key_file;
        impl->tls->use_private_key_file(*c.client_key_file, asio::ssl::context::pem);
      }
    } catch (const std::exception& e) {
      return Fail(ErrorKind::kInvalidArgument, "OTLP metrics exporter: cannot " + doing + ": " +
                                                   e.what());
    }
  } else if (impl->config.ca_file || impl->config.client_certificate_file) {
    spdlog::warn("OTLP metrics endpoint {} is plain http: the TLS settings are ignored",
                 impl->config.url);
  }
  std::unique_ptr<OtlpExporter> exporter(new OtlpExporter(std::move(impl)));
  exporter->thread_ = std::thread([e = exporter.get()] { e->Run(); });
  return exporter;
}

OtlpExporter::OtlpExporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpExporter::~OtlpExporter() { Stop(); }

void OtlpExporter::Run() {
  std::unique_lock lock(mutex_);
  for (bool last = false; !last;) {
    wake_.wait_for(lock, impl_->config.interval, [&] { return stopping_; });
    last = stopping_;  // the final export happens on the way out
    lock.unlock();
    try {
      impl_->Export();
    } catch (const std::exception& e) {  // allocation failure and the like: try again later
      spdlog::warn("exporting metrics to {} failed: {}", impl_->config.url, e.what());
    }
    lock.lock();
  }
}

void OtlpExporter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kw::metrics
