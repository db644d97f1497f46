#include "kube_apiserver/server.h"

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "base/percent_decode.h"
#include "base/strings.h"

namespace kw::kube_double {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
// The real server's MaxRequestBodyBytes (3 MiB): larger bodies get 413.
constexpr std::size_t kBodyLimit = 3u << 20;
constexpr std::uint32_t kHeaderLimit = 1u << 20;  // Go's http.DefaultMaxHeaderBytes

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto decode = [](std::string_view s) {
      std::string plus(s);
      std::replace(plus.begin(), plus.end(), '+', ' ');
      return PercentDecode(plus).value_or(plus);
    };
    out[decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
  }
  return out;
}

std::string AuditId() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], (b[6] & 0x0f) | 0x40, b[7], (b[8] & 0x3f) | 0x80, b[9],
                b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

// The certificate's CN and O entries, when the client presented one the CA verified.
std::optional<Identity> PeerIdentity(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  std::optional<Identity> identity;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    identity.emplace();
    X509_NAME* subject = X509_get_subject_name(cert);
    auto entries = [&](int nid, auto&& take) {
      for (int i = X509_NAME_get_index_by_NID(subject, nid, -1); i >= 0;
           i = X509_NAME_get_index_by_NID(subject, nid, i)) {
        ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
        unsigned char* utf8 = nullptr;
        int n = ASN1_STRING_to_UTF8(&utf8, data);
        if (n >= 0) take(std::string(reinterpret_cast<char*>(utf8), n));
        OPENSSL_free(utf8);
      }
    };
    entries(NID_commonName, [&](std::string v) { identity->user = std::move(v); });
    entries(NID_organizationName, [&](std::string v) { identity->groups.push_back(std::move(v)); });
  }
  X509_free(cert);
  return identity;
}

ApiResponse StatusResponse(const ApiError& error) {
  return {error.code, ToJson(error.ToStatus()), "application/json"};
}

ApiError TooLarge() {
  return {413, "RequestEntityTooLarge",
          "Request entity too large: limit is " + std::to_string(kBodyLimit), {}};
}

std::string Chunk(std::string_view data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out = size;
  out.reserve(out.size() + data.size() + 2);
  out += data;
  out += "\r\n";
  return out;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Api& api;
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  Faults faults;
  RequestCounter counter;

  Impl(ServerOptions o, Api& a) : options(std::move(o)), api(a) {}

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kUseAwaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Session(tcp::socket socket) {
    socket.set_option(tcp::no_delay(true));
    TlsStream stream(std::move(socket), tls);
    auto [handshake_error] =
        co_await stream.async_handshake(asio::ssl::stream_base::server, kUseAwaitable);
    if (handshake_error) co_return;
    std::optional<Identity> certificate = PeerIdentity(stream.native_handle());
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      parser.header_limit(kHeaderLimit);
      auto [header_error, header_bytes] =
          co_await http::async_read_header(stream, buffer, parser, kUseAwaitable);
      // A Content-Length over the limit fails here, before the body is sent (a client still
      // sending would get a reset instead of the answer).
      if (header_error == http::error::body_limit) {
        co_await Write(stream, StatusResponse(TooLarge()), parser.get().version());
        break;
      }
      if (header_error) co_return;
      // curl waits a second for this before sending a body over 1 MiB.
      if (EqualsIgnoreCase(parser.get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(kContinue), kUseAwaitable);
        if (ec) co_return;
      }
      auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
      if (read_error == http::error::body_limit) {
        co_await Write(stream, StatusResponse(TooLarge()), parser.get().version());
        break;
      }
      if (read_error) co_return;
      http::request<http::string_body> request = parser.release();
      bool keep_alive = request.keep_alive();
      bool go_on = co_await Serve(stream, request, certificate);
      if (!go_on || !keep_alive) break;
    }
    // Closed without waiting for the client's close_notify, as Go's server does: a client
    // that never answers must not hold the connection.
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream).close(ignored);
  }

  // Serves one request; false when the connection must close.
  awaitable<bool> Serve(TlsStream& stream, http::request<http::string_body>& raw,
                        const std::optional<Identity>& certificate) {
    ApiRequest request;
    request.method = std::string(raw.method_string());
    std::string_view target = raw.target();
    std::size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = ParseQuery(target.substr(question + 1));
    std::string_view content_type = raw[http::field::content_type];
    request.content_type = AsciiLower(TrimBlanks(content_type.substr(0, content_type.find(';'))));
    request.user_agent = std::string(raw[http::field::user_agent]);
    request.accept = std::string(raw[http::field::accept]);
    request.body = std::move(raw.body());

    std::optional<Identity> identity;
    std::string_view authorization = raw[http::field::authorization];
    if (certificate) {
      identity = certificate;
    } else if (authorization.size() > 7 && EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
      auto it = options.tokens.find(TrimBlanks(authorization.substr(7)));
      if (it != options.tokens.end()) identity = it->second;
    }
    if (!identity) {
      co_return co_await Write(stream, StatusResponse(Unauthorized()), raw.version());
    }
    request.identity = *identity;

    if (request.path.starts_with("/double/")) {
      co_return co_await Write(stream, Control(request), raw.version());
    }
    std::string verb = RequestVerb(request);
    counter.Count(verb, request.path);
    std::optional<Fault> fault = faults.Take(verb, request.path);
    if (fault && fault->delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(fault->delay);
      co_await timer.async_wait(kUseAwaitable);
    }
    if (fault && fault->garbage) {
      static constexpr std::string_view kGarbage = "\x16\x03garbage\xff\xfe{{{not http at all\r\n";
      co_await asio::async_write(stream, asio::buffer(kGarbage), kUseAwaitable);
      co_return false;
    }
    if (fault && fault->status != 0) {
      ApiResponse response;
      response.status = fault->status;
      if (fault->body) {
        response.body = *fault->body;
      } else {
        ApiError error{fault->status, fault->reason,
                       fault->message.empty() ? "injected fault" : fault->message, {}};
        response.body = ToJson(error.ToStatus());
      }
      co_return co_await Write(stream, response, raw.version());
    }
    ApiOutcome outcome = api.Handle(request);
    if (auto* response = std::get_if<ApiResponse>(&outcome)) {
      co_return co_await Write(stream, *response, raw.version());
    }
    co_return co_await StreamWatch(stream, std::get<WatchPlan>(outcome),
                                   fault ? fault->cut_after_events : -1);
  }

  ApiResponse Control(const ApiRequest& request) {
    const std::string& path = request.path;
    if (path == "/double/faults" && request.method == "POST") {
      auto rules = ParseJson(request.body);
      if (!rules) return StatusResponse(BadRequest(rules.error().message));
      if (auto added = faults.Add(*rules); !added) {
        return StatusResponse(BadRequest(added.error().message));
      }
      return {200, "{}"};
    }
    if (path == "/double/faults" && request.method == "DELETE") {
      faults.Clear();
      return {200, "{}"};
    }
    if (path == "/double/compact" && request.method == "POST") {
      api.Compact();
      return {200, "{}"};
    }
    if (path == "/double/requests" && request.method == "GET") {
      auto verb = request.query.find("verb");
      auto counted = request.query.find("path");
      if (verb != request.query.end() && counted != request.query.end()) {
        return {200, ToJson(json::object{{"count", counter.Get(verb->second, counted->second)}})};
      }
      return {200, ToJson(counter.ToJson())};
    }
    if (path == "/double/service-endpoints" && request.method == "POST") {
      auto body = ParseJson(request.body);
      if (!body) return StatusResponse(BadRequest(body.error().message));
      if (auto added = api.webhooks().AddServiceEndpointJson(*body); !added) {
        return StatusResponse(BadRequest(added.error().message));
      }
      return {200, "{}"};
    }
    if (path == "/double/reset-counters" && request.method == "POST") {
      counter.Reset();
      return {200, "{}"};
    }
    return StatusResponse(GenericNotFound());
  }

  awaitable<bool> Write(TlsStream& stream, const ApiResponse& response, unsigned version) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set("Audit-Id", AuditId());
    out.set(http::field::cache_control, "no-cache, private");
    if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
    out.set("X-Kubernetes-Pf-Flowschema-Uid", "9a1e6a7e-0000-4000-8000-000000000001");
    out.set("X-Kubernetes-Pf-Prioritylevel-Uid", "9a1e6a7e-0000-4000-8000-000000000002");
    out.body() = response.body;
    out.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, out, kUseAwaitable);
    co_return !ec;
  }

  awaitable<bool> StreamWatch(TlsStream& stream, WatchPlan plan, int cut_after_events) {
    std::string head =
        "HTTP/1.1 200 OK\r\nAudit-Id: " + AuditId() +
        "\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    auto [head_error, head_bytes] =
        co_await asio::async_write(stream, asio::buffer(head), kUseAwaitable);
    if (head_error) {
      if (plan.watcher) api.Unwatch(plan.watcher);
      co_return false;
    }
    if (!plan.watcher) {
      std::string out = Chunk(plan.error_event) + "0\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kUseAwaitable);
      co_return !ec;
    }
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor);
    std::weak_ptr<asio::steady_timer> weak = timer;
    plan.watcher->SetWakeup([weak, executor] {
      asio::post(executor, [weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    });
    using Clock = std::chrono::steady_clock;
    const auto deadline = plan.timeout.count() > 0 ? Clock::now() + plan.timeout
                                                   : Clock::time_point::max();
    auto last_write = Clock::now();
    int sent = 0;
    bool healthy = true;
    for (;;) {
      std::deque<std::string> lines = plan.watcher->Take();
      if (!lines.empty()) {
        std::string out;
        bool cut = false;
        for (auto& line : lines) {
          out += Chunk(line);
          if (cut_after_events >= 0 && ++sent >= cut_after_events) {
            cut = true;
            break;
          }
        }
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kUseAwaitable);
        last_write = Clock::now();
        if (ec || cut) {
          healthy = false;
          break;
        }
        continue;
      }
      if (cut_after_events == 0 || plan.watcher->closed() || Clock::now() >= deadline) break;
      auto wait = std::chrono::duration_cast<Clock::duration>(std::chrono::hours(1));
      if (plan.bookmarks) wait = options.bookmark_interval - (Clock::now() - last_write);
      if (deadline != Clock::time_point::max()) wait = std::min(wait, deadline - Clock::now());
      if (wait > Clock::duration::zero()) {
        timer->expires_after(wait);
        co_await timer->async_wait(kUseAwaitable);
      }
      if (plan.bookmarks && Clock::now() - last_write >= options.bookmark_interval) {
        json::object bookmark{
            {"kind", plan.kind},
            {"apiVersion", plan.api_version},
            {"metadata",
             json::object{{"resourceVersion", std::to_string(api.CurrentResourceVersion())}}}};
        std::string out = Chunk(RenderEvent("BOOKMARK", ToJson(bookmark)));
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kUseAwaitable);
        last_write = Clock::now();
        if (ec) {
          healthy = false;
          break;
        }
      }
    }
    api.Unwatch(plan.watcher);
    if (cut_after_events == 0) healthy = false;
    if (!healthy) {
      beast::get_lowest_layer(stream).close();
      co_return false;
    }
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(kLastChunk), kUseAwaitable);
    co_return !ec;
  }
};

Server::Server(ServerOptions options, Api& api)
    : impl_(std::make_unique<Impl>(std::move(options), api)) {}

Server::~Server() = default;

Result<std::uint16_t> Server::Listen() {
  Impl& s = *impl_;
  boost::system::error_code ec;
  s.tls.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                    asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  s.tls.use_certificate_chain_file(s.options.cert_file, ec);
  if (ec) return Fail(ErrorKind::kInvalidArgument, "--tls-cert " + s.options.cert_file + ": " + ec.message());
  s.tls.use_private_key_file(s.options.key_file, asio::ssl::context::pem, ec);
  if (ec) return Fail(ErrorKind::kInvalidArgument, "--tls-key " + s.options.key_file + ": " + ec.message());
  if (!s.options.client_ca_file.empty()) {
    s.tls.load_verify_file(s.options.client_ca_file, ec);
    if (ec) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--client-ca " + s.options.client_ca_file + ": " + ec.message());
    }
    // Certificates are optional (tokens authenticate too), but one presented must verify.
    s.tls.set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_client_CA_list(s.tls.native_handle(),
                               SSL_load_client_CA_file(s.options.client_ca_file.c_str()));
  }
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Fail(ErrorKind::kIo, "listen on 127.0.0.1:" + std::to_string(s.options.port) + ": " + ec.message());
  return s.acceptor.local_endpoint().port();
}

void Server::Run() {
  Impl& s = *impl_;
  asio::co_spawn(s.io, s.Accept(), asio::detached);
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1u, s.options.threads); ++i) {
    threads.emplace_back([&s] { s.io.run(); });
  }
  s.io.run();
  for (auto& t : threads) t.join();
}

}  // namespace kw::kube_double
