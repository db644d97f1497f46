// One accepted TCP connection, plain or TLS, as the HTTP server reads and writes it: waiting
// for bytes, the TLS handshake, reads, writes, close_notify, and one deadline over them all.
//
// Why not Asio's ssl::stream: it keeps two 17 KiB buffers per connection for its whole life,
// plus a 17 KiB BIO pair each way, about 75 KiB that an idle keep-alive connection never needs.
// Here OpenSSL reads and writes the (non-blocking) socket itself, and SSL_MODE_RELEASE_BUFFERS
// (tls.cc) frees its record buffers whenever they are empty: an idle TLS connection holds its
// SSL object only. It also writes a response in one TLS record.
//
// Contract:
//   - Every operation completes on the socket's executor (the connection's strand), never
//     inline, and at most one read-side and one write-side operation are pending at a time.
//   - The deadline (ExpiresAfter) bounds whatever operations are pending or started until it is
//     changed: when it passes they fail with asio::error::timed_out. Cancel() and Close() make
//     them fail with operation_aborted.
//   - A Transport lives while an operation is pending (it is held by shared_ptr).
//   - OpenSSL writes with write(2): the process must ignore SIGPIPE (policy_server.cc does).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <openssl/ssl.h>

namespace kw::server {

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  using error_code = boost::system::error_code;
  using Done = std::move_only_function<void(const error_code&)>;
  using DoneBytes = std::move_only_function<void(const error_code&, std::size_t)>;

  // Takes `socket`, on the executor its operations complete on.
  static std::shared_ptr<Transport> Make(boost::asio::ip::tcp::socket socket);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Whether StartTls ran, and whether the handshake has completed.
  bool tls() const { return ssl_ != nullptr; }
  bool tls_established() const { return established_; }

  void ExpiresAfter(std::chrono::steady_clock::duration timeout);
  void ExpiresNever();

  // Completes when there are bytes to read, holding no buffer meanwhile; with asio::error::eof
  // when the peer has closed the connection without sending any.
  void WaitReadable(Done done);

  // Makes the connection TLS, server side, with `context` (which must outlive this); then
  // Handshake. Fails only when OpenSSL cannot allocate the connection's state.
  error_code StartTls(SSL_CTX* context);
  void Handshake(Done done);

  // Reads what is there, at most `into.size()` bytes; asio::error::eof once the peer has
  // closed (or sent its TLS close_notify).
  void ReadSome(boost::asio::mutable_buffer into, DoneBytes done);
  // Writes all of `bytes`, which must stay valid until `done`.
  void Write(boost::asio::const_buffer bytes, Done done);
  // Sends the TLS close_notify (not waiting for the peer's).
  void ShutdownTls(Done done);

  // Shuts down the sending side (the peer reads end of stream after what was written).
  void ShutdownSend();
  void Cancel();
  void Close();

 private:
  explicit Transport(boost::asio::ip::tcp::socket socket);

  // One OpenSSL call: returns what SSL_* returned (> 0 = done) and sets `bytes`.
  using TlsStep = std::move_only_function<int(SSL*, std::size_t& bytes)>;
  // Runs `step` until it succeeds or fails, waiting for the socket in between.
  void RunTls(TlsStep step, DoneBytes done);
  // Delivers a completion through the executor, so that it never runs inline.
  void Post(DoneBytes done, const error_code& ec, std::size_t bytes);
  error_code Outcome(const error_code& ec) const;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  SSL* ssl_ = nullptr;
  bool established_ = false;
  bool timed_out_ = false;
};

}  // namespace kw::server
