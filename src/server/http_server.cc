#include "server/http_server.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "server/process_limits.h"
#include "server/request_memory.h"
#include "server/transport.h"

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
// What one read asks the socket for. Requests are small (AdmissionReviews are a few KiB), and
// the buffer grows with what arrives, not with what a client announces.
constexpr std::size_t kReadChunk = 4u << 10;
// After this many connections closed since the peak, and at least half of them gone, or after
// a peak of kReleaseMemoryAfterIdle once none is left, the freed memory is handed back to the
// system (a flood leaves many small blocks in the allocator). Not after every close: walking the
// allocator's free lists costs more than a small burst leaves behind.
constexpr std::size_t kReleaseMemoryAfterCloses = 256;
constexpr std::size_t kReleaseMemoryAfterIdle = 64;
// How often the server says that it sheds connections or requests, at most.
constexpr auto kOverloadLogInterval = std::chrono::seconds(10);

const error_code kOutOfRequestMemory = make_error_code(boost::system::errc::not_enough_memory);

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

// Rate-limits a warning about load being shed: says it at most every kOverloadLogInterval, with
// how many times it happened meanwhile. Thread-safe.
class OverloadLog {
 public:
  explicit OverloadLog(std::string what) : what_(std::move(what)) {}

  // `detail`, when given, is appended to what the message says (the latest one).
  void Count(std::string_view detail = {}) {
    std::size_t count = 0;
    {
      std::lock_guard lock(mutex_);
      ++count_;
      auto now = std::chrono::steady_clock::now();
      if (now - last_ < kOverloadLogInterval) return;
      last_ = now;
      count = std::exchange(count_, 0);
    }
    spdlog::warn("{}{}{} ({} since the last such message)", what_, detail.empty() ? "" : ": ",
                 detail, count);
  }

 private:
  const std::string what_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  std::size_t count_ = 0;
};

// What connections share with the server. They hold it by shared_ptr: over an io_context the
// server does not own, a connection's last handler may be destroyed after the server.
struct ConnectionTable {
  explicit ConnectionTable(HttpServerOptions o)
      : options(std::move(o)),
        request_memory(options.request_memory_limit),
        shed_connections("at the limit of " + std::to_string(options.max_connections) +
                         " connections: closing new connections at once"),
        shed_requests("requests are holding the whole request memory budget (" +
                      std::to_string(options.request_memory_limit >> 20) +
                      " MiB): answering 503 to requests that need more") {}

  enum class Admission { kAdmitted, kStopping, kFull };

  // Takes a place for a new connection, unless the server is stopping or full. A place taken
  // must be given back with Leave().
  Admission Admit() {
    std::lock_guard lock(mutex);
    if (stopping) return Admission::kStopping;
    if (open >= options.max_connections) return Admission::kFull;
    ++open;
    peak = std::max(peak, open);
    return Admission::kAdmitted;
  }

  // Lists an admitted connection's session for shutdown. False when the server is stopping:
  // the connection must not be served.
  bool Register(std::uint64_t& id, std::weak_ptr<SessionBase> session) {
    std::lock_guard lock(mutex);
    id = next_id++;
    sessions.emplace(id, std::move(session));
    return !stopping;
  }

  void Unregister(std::uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
  }

  void Leave() {
    bool release_memory = false;
    {
      std::lock_guard lock(mutex);
      if (--open == 0) all_closed.notify_all();
      // Once a burst of connections is mostly gone, or all gone, not on every close: a steady
      // stream of short connections keeps the count near its peak.
      if ((peak - open >= kReleaseMemoryAfterCloses && open <= peak / 2) ||
          (open == 0 && peak >= kReleaseMemoryAfterIdle)) {
        peak = open;
        release_memory = true;
      }
    }
    if (release_memory) ReleaseFreeMemory();
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
  RequestMemoryBudget request_memory;
  OverloadLog shed_connections;
  OverloadLog shed_requests;
  std::mutex mutex;
  std::condition_variable all_closed;
  std::map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::size_t open = 0;  // admitted connections, whether their session exists yet or not
  std::size_t peak = 0;  // the most open at once since memory was last released
  std::uint64_t next_id = 1;
  bool stopping = false;
};

// An admitted connection's place in the table, given back when this is destroyed.
class ConnectionPlace {
 public:
  explicit ConnectionPlace(std::shared_ptr<ConnectionTable> table) : table_(std::move(table)) {}
  ConnectionPlace(ConnectionPlace&&) = default;
  ConnectionPlace& operator=(ConnectionPlace&&) = delete;
  ~ConnectionPlace() {
    if (table_) table_->Leave();
  }
  ConnectionTable& table() const { return *table_; }

 private:
  std::shared_ptr<ConnectionTable> table_;
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
  asio::io_context accept_io{1};  // the listeners' (see Listener); before them, which use it
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> accept_work;
  std::thread accept_thread;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  bool started = false;
  bool shut_down = false;
};

namespace {

// A request body in a std::string whose every growth is charged to the connection's
// RequestMemoryAccount before it is allocated. Beast's string_body reserves the whole
// Content-Length as soon as the header arrives; this body grows with the bytes that do arrive
// (past 64 KiB by doubling, never past the announced length), so announcing 2 MiB costs nothing
// until the bytes come, and a charge the budget refuses fails the read with kOutOfRequestMemory.
struct CountedBody {
  struct value_type {
    std::string text;
    RequestMemoryAccount* account = nullptr;  // set before the body is read
    std::size_t charged = 0;                  // what `text` holds of the account
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, error_code& ec) {
      announced_ = length;
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      const std::size_t extra = beast::buffer_bytes(buffers);
      const std::size_t needed = body_.text.size() + extra;
      if (needed > body_.text.capacity() && !Grow(needed)) {
        ec = kOutOfRequestMemory;
        return 0;
      }
      for (auto b : beast::buffers_range_ref(buffers)) {
        body_.text.append(static_cast<const char*>(b.data()), b.size());
      }
      ec = {};
      return extra;
    }

    void finish(error_code& ec) { ec = {}; }

   private:
    bool Grow(std::size_t needed) {
      std::size_t capacity = std::max({needed, 2 * body_.text.capacity(), kReadChunk});
      if (announced_ && *announced_ >= needed) {
        // A small body announced is allocated whole at once (no copies), a large one from
        // there on by doubling.
        const std::size_t announced = static_cast<std::size_t>(*announced_);
        capacity = std::min(std::max(capacity, std::min(announced, RequestMemoryBudget::kSmallRequest)),
                            announced);
      }
      RequestMemoryAccount& account = *body_.account;
      if (!account.Resize(account.held() - body_.charged + capacity)) return false;
      body_.charged = capacity;
      // A fresh string gets exactly `capacity`; reserve() on the old one may round it up.
      std::string bigger;
      bigger.reserve(capacity);
      bigger.append(body_.text);
      body_.text.swap(bigger);
      return true;
    }

    value_type& body_;
    boost::optional<std::uint64_t> announced_;
  };
};

// One connection, plain TCP or TLS. All its I/O and state changes run on the connection's
// strand; OnServerShutdown, ForceClose and the Responder post to it from other threads.
//
// Memory: until its client sends a byte, and between keep-alive requests, a connection holds
// no read buffer and no TLS record buffers (transport.h); its TLS state is made when the first
// bytes arrive. So a flood of silent connections, or of idle keep-alive ones, costs little.
class Session final : public SessionBase, public std::enable_shared_from_this<Session> {
 public:
  // Takes over `accepted` on a strand of `io` made here (see Listener). `tls`: null for plain
  // HTTP.
  Session(ConnectionPlace place, std::shared_ptr<RequestHandler> handler, asio::io_context& io,
          tcp::socket accepted, std::shared_ptr<const TlsContextHolder> tls)
      : place_(std::move(place)),
        handler_(std::move(handler)),
        tls_holder_(std::move(tls)),
        executor_(asio::make_strand(io)),
        account_(place_.table().request_memory) {
    error_code ec;
    tcp::socket socket(executor_);
    tcp::endpoint local = accepted.local_endpoint(ec);
    if (!ec) {
      auto fd = accepted.release(ec);
      if (!ec) socket.assign(local.protocol(), fd, ec);
      if (ec && fd >= 0) ::close(fd);
    }
    if (ec) throw boost::system::system_error(ec, "cannot take over the connection");
    transport_ = Transport::Make(std::move(socket));
  }

  ~Session() override {
    if (id_ != 0) table().Unregister(id_);
  }

  // Starts serving; the connection's handlers run on its strand from here on.
  void Start() {
    asio::dispatch(executor_, [self = shared_from_this()] { self->Begin(); });
  }

  void OnServerShutdown() override {
    asio::post(executor_, [self = shared_from_this()] {
      self->closing_ = true;
      if (self->idle_) self->transport_->Cancel();  // the wait ends; Close() follows
    });
  }

  void ForceClose() override {
    asio::post(executor_, [self = shared_from_this()] {
      self->closing_ = true;
      self->transport_->Close();
    });
  }

 private:
  ConnectionTable& table() const { return place_.table(); }
  const HttpServerOptions& options() const { return table().options; }

  void Begin() {
    if (!table().Register(id_, weak_from_this())) return transport_->Close();
    // The first request, TLS handshake included, has the read timeout from the first byte;
    // waiting for that byte is bounded by the read timeout too, not the keep-alive one: a
    // connection that has not sent a request yet is not a keep-alive connection.
    WaitForBytes(options().read_timeout);
  }

  void WaitForBytes(std::chrono::milliseconds timeout) {
    idle_ = true;
    transport_->ExpiresAfter(timeout);
    transport_->WaitReadable([self = shared_from_this()](const error_code& ec) {
      self->OnReadable(ec);
    });
  }

  void OnReadable(const error_code& ec) {
    idle_ = false;
    if (ec || closing_) {
      if (ec == asio::error::timed_out) {
        spdlog::debug("closing a connection idle for {} ms",
                      (requests_ == 0 ? options().read_timeout : options().idle_timeout).count());
      }
      return Close();
    }
    // One deadline for the whole request, from its first byte: a slow client cannot extend it.
    transport_->ExpiresAfter(options().read_timeout);
    if (tls_holder_ && !transport_->tls()) {
      tls_context_ = tls_holder_->Get();
      if (error_code tls = transport_->StartTls(tls_context_->native_handle())) {
        // OpenSSL could not make the connection's state (out of memory): drop this one.
        spdlog::error("cannot serve a new TLS connection: {}", tls.message());
        return transport_->Close();
      }
      return transport_->Handshake([self = shared_from_this()](const error_code& ec) {
        if (ec) {
          spdlog::debug("TLS handshake failed: {}", ec.message());
          return self->transport_->Close();
        }
        self->StartRequest();
      });
    }
    StartRequest();
  }

  // After a response: the next request, pipelined or yet to come.
  void ReadNext() {
    if (closing_) return Close();
    ReleaseRequestMemory();
    if (buffer_.size() > 0) {  // a pipelined request has begun already
      transport_->ExpiresAfter(options().read_timeout);
      return StartRequest();
    }
    // An idle connection keeps nothing of its last request.
    parser_.reset();
    buffer_.shrink_to_fit();
    buffer_charged_ = 0;
    account_.Resize(0);
    WaitForBytes(options().idle_timeout);
  }

  void StartRequest() {
    parser_.emplace();
    parser_->body_limit(options().body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
    parser_->eager(false);  // stop after the header, to answer `Expect: 100-continue`
    parser_->get().body().account = &account_;
    Parse();
  }

  // Feeds the parser what the buffer holds; reads more until the request is complete.
  void Parse() {
    while (buffer_.size() > 0 && !parser_->is_done()) {
      const bool had_header = parser_->is_header_done();
      error_code ec;
      std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec) {
        if (ec == http::error::need_more) break;
        return OnRequestError(ec);
      }
      if (used == 0) break;  // never spin: read more instead
      if (!had_header && parser_->is_header_done() && !OnHeader()) return;
    }
    if (parser_->is_done()) return Dispatch(/*too_large=*/false);
    ReadSome([self = shared_from_this()](const error_code& ec) {
      if (!ec) return self->Parse();
      if (ec == asio::error::eof && self->parser_->got_some()) {
        return self->OnRequestError(http::error::partial_message);
      }
      self->OnRequestError(ec);
    });
  }

  // Reads what the client sends next into the buffer, having charged the buffer's growth.
  void ReadSome(std::move_only_function<void(const error_code&)> then) {
    // flat_buffer::prepare reallocates to max(2 × size, size + n) when the room is short.
    const std::size_t size = buffer_.size();
    std::size_t capacity = buffer_.capacity();
    if (capacity - size < kReadChunk) capacity = std::max(2 * size, size + kReadChunk);
    if (capacity > buffer_charged_) {
      if (!account_.Resize(parser_->get().body().charged + capacity)) {
        return then(kOutOfRequestMemory);
      }
      buffer_charged_ = capacity;
    }
    transport_->ReadSome(buffer_.prepare(kReadChunk),
                         [self = shared_from_this(), then = std::move(then)](
                             const error_code& ec, std::size_t n) mutable {
                           self->buffer_.commit(n);
                           then(ec);
                         });
  }

  // The header is in. False when the request goes on asynchronously.
  bool OnHeader() {
    started_ = std::chrono::steady_clock::now();
    parser_->eager(true);
    if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    transport_->Write(asio::buffer(kContinue), [self = shared_from_this()](const error_code& ec) {
      if (ec) return self->transport_->Close();
      self->Parse();
    });
    return false;
  }

  void OnRequestError(const error_code& ec) {
    // A Content-Length over the limit fails once the whole header is parsed, a chunked body
    // once its chunks pass the limit: the request is answered without reading (the rest of) it.
    if (ec == http::error::body_limit) return Dispatch(/*too_large=*/true);
    if (ec == kOutOfRequestMemory) return RefuseForMemory();
    if (ec == asio::error::timed_out) {
      spdlog::debug("connection dropped: the request did not arrive within {} ms",
                    options().read_timeout.count());
      return transport_->Close();
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

  // The request would take the server's request memory over its budget: it is answered, not
  // read, and the client may retry once others are done.
  void RefuseForMemory() {
    table().shed_requests.Count();
    if (parser_->is_header_done()) version_ = parser_->get().version();
    HttpResponse busy;
    busy.status = http::status::service_unavailable;
    busy.content_type = "text/plain; charset=utf-8";
    busy.body = "the server is receiving too many requests at once: retry later\n";
    busy.headers.emplace_back(http::field::retry_after, "1");
    keep_alive_ = false;
    drain_ = true;
    ReleaseRequestMemory();
    Write(std::move(busy));
  }

  // Gives back what the last request's body held of the budget (the body itself has gone to
  // the handler, which is done with it once the response is written).
  void ReleaseRequestMemory() {
    if (parser_) {
      auto& body = parser_->get().body();
      body.text = std::string();
      body.charged = 0;
    }
    account_.Resize(buffer_charged_);
  }

  void Dispatch(bool too_large) {
    // No deadline while the handler works: it bounds its own work (the policy timeout).
    transport_->ExpiresNever();
    ++requests_;
    if (started_ == std::chrono::steady_clock::time_point{}) {
      started_ = std::chrono::steady_clock::now();
    }
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
    if (auto it = request.find("traceparent"); it != request.end()) {
      r.traceparent = std::string(it->value());
    }
    if (!too_large) r.body = std::move(request.body().text);
    r.body_too_large = too_large;
    target_ = r.target;
    handler_->Handle(std::move(r), [self = shared_from_this()](HttpResponse response) mutable {
      auto executor = self->executor_;
      asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  void Write(HttpResponse r) {
    http::response<http::string_body> response(r.status, version_ ? version_ : 11);
    if (!r.content_type.empty()) response.set(http::field::content_type, r.content_type);
    for (auto& [field, value] : r.headers) response.set(field, value);
    response.body() = std::move(r.body);
    keep_alive_ = keep_alive_ && !closing_;
    response.keep_alive(keep_alive_);
    response.prepare_payload();
    // In one piece: one write, and over TLS one record.
    out_ = Serialize(response);
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("{} -> {} in {} us", target_, static_cast<unsigned>(r.status),
                    std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started_)
                        .count());
    }
    started_ = {};
    transport_->ExpiresAfter(options().write_timeout);
    transport_->Write(asio::buffer(out_), [self = shared_from_this()](const error_code& ec) {
      self->out_ = std::string();
      if (ec) return self->transport_->Close();
      if (!self->keep_alive_) return self->Close();
      self->ReadNext();
    });
  }

  static std::string Serialize(http::response<http::string_body>& response) {
    std::string out;
    out.reserve(256 + response.body().size());
    http::response_serializer<http::string_body> serializer(response);
    error_code ec;
    while (!ec && !serializer.is_done()) {
      serializer.next(ec, [&](error_code& ec, const auto& buffers) {
        ec = {};
        for (auto b : beast::buffers_range_ref(buffers)) {
          out.append(static_cast<const char*>(b.data()), b.size());
        }
        serializer.consume(beast::buffer_bytes(buffers));
      });
    }
    return out;
  }

  // Ends the connection politely: the TLS close_notify, then, for a while, what the client
  // still sends is read and dropped (the rest of a body we refused; closing with unread bytes
  // makes the kernel send a reset, which can destroy our response before the client reads it).
  void Close() {
    if (closed_) return;
    closed_ = true;
    ReleaseRequestMemory();
    if (!transport_->tls_established() && !drain_) return transport_->Close();
    transport_->ExpiresAfter(kLingerTimeout);
    if (!transport_->tls_established()) {
      transport_->ShutdownSend();
      return Linger();
    }
    transport_->ShutdownTls([self = shared_from_this()](const error_code& ec) {
      if (ec) return self->transport_->Close();
      self->Linger();
    });
  }

  // Reads and drops until the client closes, or the linger deadline. The buffer (one read) is
  // not charged to the budget: this lasts kLingerTimeout at most.
  void Linger() {
    buffer_.clear();
    transport_->ReadSome(buffer_.prepare(kReadChunk),
                         [self = shared_from_this()](const error_code& ec, std::size_t) {
                           if (ec) return self->transport_->Close();
                           self->Linger();
                         });
  }

  ConnectionPlace place_;  // first: given back once everything else is freed
  std::shared_ptr<RequestHandler> handler_;
  std::shared_ptr<const TlsContextHolder> tls_holder_;  // TLS: where to take the context from
  asio::strand<asio::io_context::executor_type> executor_;
  TlsContextSharedPtr tls_context_;  // declared before transport_, whose SSL uses it
  std::shared_ptr<Transport> transport_;
  std::uint64_t id_ = 0;
  RequestMemoryAccount account_;  // declared before what it accounts for
  std::size_t buffer_charged_ = 0;  // what buffer_ holds of the account
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<CountedBody>> parser_;
  std::string out_;  // the response being written
  std::string target_;
  std::chrono::steady_clock::time_point started_;
  std::uint64_t requests_ = 0;
  unsigned version_ = 11;
  bool idle_ = false;        // waiting for the first byte of a request
  bool closing_ = false;     // the server is shutting down: no further request
  bool keep_alive_ = true;
  bool drain_ = false;
  bool closed_ = false;
};

}  // namespace

// Accepts connections on its own thread (`accept_io`), and makes each connection's session on an
// I/O thread. Besides keeping accept() off the workers, this keeps apart, in glibc's per-thread
// arenas, the two kinds of memory a connection takes: Asio registers an accepted socket in a
// block it pools and never frees, on the accepting thread, while the session's blocks (its
// strand included), freed on close, come from an I/O thread. Mixed on the same pages, the pooled
// blocks would pin every closed connection's pages; apart, a flood's memory goes back to the
// system once it is over.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& accept_io, asio::io_context& io,
           std::shared_ptr<ConnectionTable> table, std::shared_ptr<RequestHandler> handler,
           std::shared_ptr<const TlsContextHolder> tls)
      : io_(io),
        table_(std::move(table)),
        handler_(std::move(handler)),
        tls_(std::move(tls)),
        acceptor_(accept_io),
        retry_(accept_io) {}

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
    acceptor_.async_accept(io_,
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
      accept_failures_.Count(ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec) self->Accept();
      });
      return;
    }
    error_code ignored;
    switch (table_->Admit()) {
      case ConnectionTable::Admission::kAdmitted:
        break;
      case ConnectionTable::Admission::kFull:
        // Closed at once, the client learns it now rather than after waiting in the listen
        // queue, and we never run out of file descriptors.
        table_->shed_connections.Count();
        socket.close(ignored);
        return Accept();
      case ConnectionTable::Admission::kStopping:
        socket.close(ignored);
        return;
    }
    socket.set_option(tcp::no_delay(true), ignored);
    asio::post(io_, [place = ConnectionPlace(table_), handler = handler_, tls = tls_, io = &io_,
                     socket = std::move(socket)]() mutable {
      try {
        std::make_shared<Session>(std::move(place), std::move(handler), *io, std::move(socket),
                                  std::move(tls))
            ->Start();
      } catch (const std::exception& e) {
        spdlog::error("cannot serve a new connection: {}", e.what());  // out of memory
      }
    });
    Accept();
  }

  asio::io_context& io_;
  std::shared_ptr<ConnectionTable> table_;
  std::shared_ptr<RequestHandler> handler_;
  std::shared_ptr<const TlsContextHolder> tls_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  OverloadLog accept_failures_{"cannot accept connections"};
};

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), nullptr)) {}

HttpServer::HttpServer(HttpServerOptions options, asio::io_context& io)
    : impl_(std::make_unique<Impl>(std::move(options), &io)) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

Result<std::uint16_t> HttpServer::Listen(std::string_view address, std::uint16_t port,
                                         std::shared_ptr<RequestHandler> handler,
                                         std::shared_ptr<const TlsContextHolder> tls) {
  auto listener = std::make_shared<Listener>(impl_->accept_io, impl_->io, impl_->table,
                                            std::move(handler), std::move(tls));
  KW_ASSIGN_OR_RETURN(std::uint16_t bound, listener->Bind(address, port));
  listener->Accept();
  impl_->listeners.push_back(std::move(listener));
  return bound;
}

namespace {

// Runs `io` until it stops, on the calling thread.
void RunLoggingErrors(asio::io_context& io, const char* thread) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      // A handler threw (allocation failure...): log it and keep serving.
      spdlog::error("{} thread: {}", thread, e.what());
    }
  }
}

}  // namespace

void HttpServer::Start() {
  if (impl_->started) return;
  impl_->started = true;
  impl_->accept_work.emplace(impl_->accept_io.get_executor());
  impl_->accept_thread = std::thread([io = &impl_->accept_io] { RunLoggingErrors(*io, "accept"); });
  if (!impl_->owns_io()) return;
  impl_->work.emplace(impl_->io.get_executor());
  for (unsigned i = 0; i < std::max(1u, impl_->table->options.io_threads); ++i) {
    impl_->threads.emplace_back([io = &impl_->io] { RunLoggingErrors(*io, "I/O"); });
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
  impl.accept_work.reset();  // the accept thread ends once the listeners are closed
  if (impl.accept_thread.joinable()) impl.accept_thread.join();
  for (auto& session : table.LiveSessions()) session->OnServerShutdown();

  auto wait_closed = [&](std::chrono::milliseconds how_long) {
    std::unique_lock lock(table.mutex);
    return table.all_closed.wait_for(lock, how_long, [&] { return table.open == 0; });
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
