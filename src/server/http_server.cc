#include "server/http_server.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

namespace kw::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// How long a closing connection waits for the client: for its TLS close_notify, or for the rest
// of a body we refused (closing with unread bytes makes the kernel send a reset, which can
// destroy our response before the client reads it).
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr std::size_t kReadChunk = 16u << 10;

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

class Listener;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Both are safe to call from any thread.
  virtual void OnServerShutdown() = 0;  // finish the current request, then close
  virtual void ForceClose() = 0;
};

// What connections share with the server. They hold it by shared_ptr: over an io_context the
// server does not own, a connection's last handler may be destroyed after the server.
struct ConnectionTable {
  explicit ConnectionTable(HttpServerOptions o) : options(std::move(o)) {}

  // Returns false when the server is stopping: the connection must not be served.
  bool Register(std::uint64_t& id, std::weak_ptr<SessionBase> session) {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    id = next_id++;
    sessions.emplace(id, std::move(session));
    return true;
  }

  void Unregister(std::uint64_t id) {
    std::lock_guard lock(mutex);
    if (sessions.erase(id) > 0 && sessions.empty()) all_closed.notify_all();
  }

  std::vector<std::shared_ptr<SessionBase>> LiveSessions() {
    std::vector<std::shared_ptr<SessionBase>> out;
    std::lock_guard lock(mutex);
    for (auto& [id, weak] : sessions) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

  const HttpServerOptions options;
  std::mutex mutex;
  std::condition_variable all_closed;
  std::map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::uint64_t next_id = 1;
  bool stopping = false;
};

struct HttpServer::Impl {
  Impl(HttpServerOptions o, asio::io_context* external)
      : table(std::make_shared<ConnectionTable>(std::move(o))),
        owned_io(external != nullptr ? nullptr
                                     : std::make_unique<asio::io_context>(
                                           static_cast<int>(table->options.io_threads))),
        io(external != nullptr ? *external : *owned_io) {}

  bool owns_io() const { return owned_io != nullptr; }

  std::shared_ptr<ConnectionTable> table;
  std::unique_ptr<asio::io_context> owned_io;
  asio::io_context& io;
  // Keeps our I/O threads running while no I/O is pending, e.g. when every connection waits for
  // its evaluation after the listeners closed.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  bool started = false;
  bool shut_down = false;
};

namespace {

// One connection, over beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>. All its I/O and
// state changes run on the connection's strand; OnServerShutdown, ForceClose and the Responder
// post to it from other threads.
template <bool kTls>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
 public:
  using Stream =
      std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  Session(std::shared_ptr<ConnectionTable> table, std::shared_ptr<RequestHandler> handler,
          tcp::socket socket, TlsContextSharedPtr tls)
    requires kTls
      : table_(std::move(table)), handler_(std::move(handler)), tls_(std::move(tls)),
        stream_(std::move(socket), *tls_) {}

  Session(std::shared_ptr<ConnectionTable> table, std::shared_ptr<RequestHandler> handler,
          tcp::socket socket)
    requires(!kTls)
      : table_(std::move(table)), handler_(std::move(handler)), stream_(std::move(socket)) {}

  ~Session() override {
    if (id_ != 0) table_->Unregister(id_);
  }

  void Start() {
    if (!table_->Register(id_, this->weak_from_this())) {
      error_code ec;
      Lowest().socket().close(ec);
      return;
    }
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Lowest().expires_after(self->options().read_timeout);
        self->stream_.async_handshake(
            asio::ssl::stream_base::server,
            [self](const error_code& ec) { self->OnHandshake(ec); });
      } else {
        self->ReadNext();
      }
    });
  }

  void OnServerShutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      if (self->idle_) {
        error_code ec;
        self->Lowest().socket().cancel(ec);  // the pending read ends; Close() follows
      }
    });
  }

  void ForceClose() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      self->Lowest().close();
    });
  }

 private:
  const HttpServerOptions& options() const { return table_->options; }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(const error_code& ec) {
    if (ec) {
      spdlog::debug("TLS handshake failed: {}", ec.message());
      return CloseSocket();
    }
    ReadNext();
  }

  void ReadNext() {
    if (closing_) return Close();
    parser_.emplace();
    parser_->body_limit(options().body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request has begun already
    idle_ = true;
    Lowest().expires_after(options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this()](const error_code& ec, std::size_t n) {
          self->OnFirstBytes(ec, n);
        });
  }

  void OnFirstBytes(const error_code& ec, std::size_t n) {
    idle_ = false;
    if (ec) return Close();  // the client closed, went idle too long, or we are shutting down
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    // One deadline for the whole request, from its first byte: a slow client cannot extend it.
    Lowest().expires_after(options().read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(const error_code& ec) {
    started_ = std::chrono::steady_clock::now();
    // A Content-Length over the limit fails once the whole header is parsed: the request is
    // answered without reading its body.
    if (ec == http::error::body_limit) return Dispatch(/*too_large=*/true);
    if (ec) return OnReadError(ec);
    auto& request = parser_->get();
    if (beast::iequals(request[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, request.version());
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    // The deadline set in ReadHeader still runs.
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                       if (ec == http::error::body_limit) return self->Dispatch(true);
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch(false);
                     });
  }

  void OnReadError(const error_code& ec) {
    if (ec == beast::error::timeout) {
      spdlog::debug("connection dropped: the request did not arrive within {} ms",
                    options().read_timeout.count());
      return CloseSocket();  // the stream is closed already
    }
    if (IsHttpParseError(ec)) {
      HttpResponse bad;
      bad.status = http::status::bad_request;
      keep_alive_ = false;
      drain_ = true;
      return Write(std::move(bad));
    }
    Close();
  }

  void Dispatch(bool too_large) {
    // No deadline while the handler works: it bounds its own work (the policy timeout).
    Lowest().expires_never();
    auto& request = parser_->get();
    keep_alive_ = !too_large && request.keep_alive();
    drain_ = too_large;
    version_ = request.version();
    HttpRequest r;
    r.method = request.method();
    r.target = std::string(request.target());
    if (auto it = request.find(http::field::content_type); it != request.end()) {
      r.content_type = std::string(it->value());
    }
    if (!too_large) r.body = std::move(request.body());
    r.body_too_large = too_large;
    target_ = r.target;
    handler_->Handle(std::move(r), [self = this->shared_from_this()](HttpResponse response) mutable {
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  void Write(HttpResponse r) {
    response_.emplace(r.status, version_ ? version_ : 11);
    if (!r.content_type.empty()) response_->set(http::field::content_type, r.content_type);
    for (auto& [field, value] : r.headers) response_->set(field, value);
    response_->body() = std::move(r.body);
    response_->keep_alive(keep_alive_ && !closing_);
    response_->prepare_payload();
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("{} -> {} in {} us", target_, static_cast<unsigned>(r.status),
                    std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started_)
                        .count());
    }
    Lowest().expires_after(options().write_timeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                        if (ec) return self->CloseSocket();
                        if (!self->response_->keep_alive()) return self->Close();
                        self->ReadNext();
                      });
  }

  // Ends the connection politely: drain what the client still sends if we refused its body,
  // send the TLS close_notify, then close.
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (drain_) {
      if constexpr (!kTls) {
        error_code ec;
        Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      }
      Lowest().expires_after(kLingerTimeout);
      return Drain();
    }
    ShutdownTls();
  }

  void Drain() {
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                              self->buffer_.clear();
                              if (ec) return self->ShutdownTls();
                              self->Drain();
                            });
  }

  void ShutdownTls() {
    if constexpr (kTls) {
      Lowest().expires_after(kLingerTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](const error_code&) {
        self->CloseSocket();
      });
    } else {
      CloseSocket();
    }
  }

  void CloseSocket() {
    error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
  }

  std::shared_ptr<ConnectionTable> table_;
  std::shared_ptr<RequestHandler> handler_;
  TlsContextSharedPtr tls_;  // declared before stream_, which uses it
  Stream stream_;
  std::uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::string target_;
  std::chrono::steady_clock::time_point started_;
  unsigned version_ = 11;
  bool idle_ = false;        // waiting for the first byte of a request
  bool closing_ = false;     // the server is shutting down: no further request
  bool keep_alive_ = true;
  bool drain_ = false;
  bool closed_ = false;
};

}  // namespace

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, std::shared_ptr<ConnectionTable> table,
           std::shared_ptr<RequestHandler> handler, std::shared_ptr<const TlsContextHolder> tls)
      : io_(io),
        table_(std::move(table)),
        handler_(std::move(handler)),
        tls_(std::move(tls)),
        acceptor_(asio::make_strand(io)),
        retry_(acceptor_.get_executor()) {}

  Result<std::uint16_t> Bind(std::string_view address, std::uint16_t port) {
    std::string where = std::string(address) + ":" + std::to_string(port);
    error_code ec;
    asio::ip::address ip = asio::ip::make_address(address, ec);
    if (ec) return Fail(ErrorKind::kInvalidArgument, "invalid bind address '" + std::string(address) + "'");
    tcp::endpoint endpoint(ip, port);
    if (acceptor_.open(endpoint.protocol(), ec) ||
        acceptor_.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor_.bind(endpoint, ec) ||
        acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
      return Fail(ErrorKind::kIo, "cannot listen on " + where + ": " + ec.message());
    }
    tcp::endpoint bound = acceptor_.local_endpoint(ec);
    return ec ? port : bound.port();
  }

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

  void Close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

 private:
  void OnAccept(const error_code& ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of file descriptors and the like: back off instead of spinning on the error.
      spdlog::warn("accept failed: {}", ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec) self->Accept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    try {
      if (tls_) {
        std::make_shared<Session<true>>(table_, handler_, std::move(socket), tls_->Get())->Start();
      } else {
        std::make_shared<Session<false>>(table_, handler_, std::move(socket))->Start();
      }
    } catch (const std::exception& e) {
      // OpenSSL could not create the connection's state (out of memory): drop this one only.
      spdlog::error("cannot serve a new connection: {}", e.what());
    }
    Accept();
  }

  asio::io_context& io_;
  std::shared_ptr<ConnectionTable> table_;
  std::shared_ptr<RequestHandler> handler_;
  std::shared_ptr<const TlsContextHolder> tls_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
};

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), nullptr)) {}

HttpServer::HttpServer(HttpServerOptions options, asio::io_context& io)
    : impl_(std::make_unique<Impl>(std::move(options), &io)) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

Result<std::uint16_t> HttpServer::Listen(std::string_view address, std::uint16_t port,
                                         std::shared_ptr<RequestHandler> handler,
                                         std::shared_ptr<const TlsContextHolder> tls) {
  auto listener =
      std::make_shared<Listener>(impl_->io, impl_->table, std::move(handler), std::move(tls));
  KW_ASSIGN_OR_RETURN(std::uint16_t bound, listener->Bind(address, port));
  listener->Accept();
  impl_->listeners.push_back(std::move(listener));
  return bound;
}

void HttpServer::Start() {
  if (impl_->started) return;
  impl_->started = true;
  if (!impl_->owns_io()) return;
  impl_->work.emplace(impl_->io.get_executor());
  for (unsigned i = 0; i < std::max(1u, impl_->table->options.io_threads); ++i) {
    impl_->threads.emplace_back([io = &impl_->io] {
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw (allocation failure...): log it and keep serving.
          spdlog::error("I/O thread: {}", e.what());
        }
      }
    });
  }
}

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  if (impl.shut_down) return;
  impl.shut_down = true;
  ConnectionTable& table = *impl.table;
  {
    std::lock_guard lock(table.mutex);
    table.stopping = true;
  }
  for (auto& listener : impl.listeners) listener->Close();
  for (auto& session : table.LiveSessions()) session->OnServerShutdown();

  auto wait_closed = [&](std::chrono::milliseconds how_long) {
    std::unique_lock lock(table.mutex);
    return table.all_closed.wait_for(lock, how_long, [&] { return table.sessions.empty(); });
  };
  if (impl.started && !wait_closed(grace)) {
    auto left = table.LiveSessions();
    spdlog::warn("closing {} connections still open after the {} ms shutdown grace period",
                 left.size(), grace.count());
    for (auto& session : left) session->ForceClose();
    wait_closed(std::chrono::milliseconds(500));
  }
  if (!impl.owns_io()) return;  // the owner of the context stops it
  impl.io.stop();
  for (auto& t : impl.threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace kw::server
