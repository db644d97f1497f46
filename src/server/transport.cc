#include "server/transport.h"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <openssl/err.h>

namespace kw::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::shared_ptr<Transport> Transport::Make(tcp::socket socket) {
  return std::shared_ptr<Transport>(new Transport(std::move(socket)));
}

Transport::Transport(tcp::socket socket)
    : socket_(std::move(socket)), deadline_(socket_.get_executor()) {
  // OpenSSL reads and writes the socket directly and must get EAGAIN rather than block; the
  // peek in WaitReadable too.
  error_code ignored;
  socket_.non_blocking(true, ignored);
}

Transport::~Transport() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

void Transport::ExpiresAfter(std::chrono::steady_clock::duration timeout) {
  timed_out_ = false;
  deadline_.expires_after(timeout);
  // Weak: a pending deadline alone does not keep the connection alive.
  deadline_.async_wait([weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    // Cancelled, or moved while this completion was already on its way.
    if (ec || !self || self->deadline_.expiry() > std::chrono::steady_clock::now()) return;
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void Transport::ExpiresNever() {
  timed_out_ = false;
  deadline_.cancel();
}

Transport::error_code Transport::Outcome(const error_code& ec) const {
  if (ec == asio::error::operation_aborted && timed_out_) return asio::error::timed_out;
  return ec;
}

void Transport::Post(DoneBytes done, const error_code& ec, std::size_t bytes) {
  asio::post(socket_.get_executor(), [done = std::move(done), ec, bytes]() mutable {
    done(ec, bytes);
  });
}

void Transport::WaitReadable(Done done) {
  if (ssl_ != nullptr && SSL_has_pending(ssl_)) {
    return Post([done = std::move(done)](const error_code& ec, std::size_t) mutable { done(ec); },
                {}, 0);
  }
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this(), done = std::move(done)](const error_code& ec) mutable {
                       if (ec) return done(self->Outcome(ec));
                       // Readable may mean closed.
                       char byte;
                       error_code peek;
                       std::size_t n = self->socket_.receive(asio::buffer(&byte, 1),
                                                             tcp::socket::message_peek, peek);
                       if (n == 0 && peek != asio::error::would_block) {
                         return done(peek ? peek : error_code(asio::error::eof));
                       }
                       done({});
                     });
}

Transport::error_code Transport::StartTls(SSL_CTX* context) {
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, socket_.native_handle()) != 1) {
    return error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
  }
  SSL_set_accept_state(ssl_);
  return {};
}

void Transport::Handshake(Done done) {
  RunTls([](SSL* ssl, std::size_t&) { return SSL_do_handshake(ssl); },
         [self = shared_from_this(), done = std::move(done)](const error_code& ec,
                                                            std::size_t) mutable {
           self->established_ = !ec;
           done(ec);
         });
}

void Transport::ReadSome(asio::mutable_buffer into, DoneBytes done) {
  if (ssl_ == nullptr) {
    return socket_.async_read_some(
        into, [self = shared_from_this(), done = std::move(done)](const error_code& ec,
                                                                 std::size_t n) mutable {
          done(self->Outcome(ec), n);
        });
  }
  RunTls([into](SSL* ssl, std::size_t& n) { return SSL_read_ex(ssl, into.data(), into.size(), &n); },
         std::move(done));
}

void Transport::Write(asio::const_buffer bytes, Done done) {
  if (ssl_ == nullptr) {
    return asio::async_write(
        socket_, bytes,
        [self = shared_from_this(), done = std::move(done)](const error_code& ec,
                                                           std::size_t) mutable {
          done(self->Outcome(ec));
        });
  }
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex succeeds once it has written it all.
  RunTls([bytes](SSL* ssl, std::size_t& n) {
           return SSL_write_ex(ssl, bytes.data(), bytes.size(), &n);
         },
         [done = std::move(done)](const error_code& ec, std::size_t) mutable { done(ec); });
}

void Transport::ShutdownTls(Done done) {
  // 0 is success here: ours is sent, the peer's has not come (and is not waited for).
  RunTls([](SSL* ssl, std::size_t&) {
           int r = SSL_shutdown(ssl);
           return r == 0 ? 1 : r;
         },
         [done = std::move(done)](const error_code& ec, std::size_t) mutable { done(ec); });
}

void Transport::RunTls(TlsStep step, DoneBytes done) {
  // OpenSSL knows the descriptor by number, which a new connection may have taken since Close.
  if (!socket_.is_open()) return Post(std::move(done), asio::error::bad_descriptor, 0);
  ERR_clear_error();
  std::size_t bytes = 0;
  int result = step(ssl_, bytes);
  const int saved_errno = errno;
  if (result > 0) return Post(std::move(done), {}, bytes);
  int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    return socket_.async_wait(
        error == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write,
        [self = shared_from_this(), step = std::move(step), done = std::move(done)](
            const error_code& ec) mutable {
          if (ec) return done(self->Outcome(ec), 0);
          self->RunTls(std::move(step), std::move(done));
        });
  }
  error_code ec;
  if (error == SSL_ERROR_ZERO_RETURN) {
    ec = asio::error::eof;
  } else if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    ec = saved_errno != 0 ? error_code(saved_errno, boost::system::system_category())
                    : error_code(asio::error::eof);
  } else {
    ec = error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
  }
  // The connection cannot go on after a fatal error, and OpenSSL must not send close_notify.
  if (error == SSL_ERROR_SSL || error == SSL_ERROR_SYSCALL) SSL_set_quiet_shutdown(ssl_, 1);
  ERR_clear_error();
  Post(std::move(done), ec, 0);
}

void Transport::ShutdownSend() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void Transport::Cancel() {
  error_code ignored;
  socket_.cancel(ignored);
}

void Transport::Close() {
  error_code ignored;
  deadline_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace kw::server
