// Test helpers: an HTTP(S) client (libcurl) and a raw TCP connection, to drive servers over
// their real interfaces.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kw::testing {

struct HttpOptions {
  std::string method = "POST";
  // nullopt = no Content-Type header at all.
  std::optional<std::string> content_type = "application/json";
  std::string body;
  // More request headers, as "Name: value" lines.
  std::vector<std::string> headers;
  // TLS: the CA to trust, and the client certificate and key to present (empty = none).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
};

struct HttpResult {
  std::string error;  // transport failure (connection refused, TLS handshake...); empty on success
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string peer_certificate;  // https: the certificate the server presented (PEM)
  bool ok() const { return error.empty(); }
};

// One request on a fresh connection.
HttpResult Http(const std::string& url, const HttpOptions& options = {});

// A raw TCP connection to 127.0.0.1, for clients no library would write (slow, malformed).
class RawConnection {
 public:
  // Throws std::runtime_error when it cannot connect.
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False when the peer has closed the connection (or reset it).
  bool Send(std::string_view bytes);
  // Reads one HTTP response with a Content-Length (a keep-alive connection stays usable), or
  // until `timeout` passes or the peer closes: what arrived, whole or not.
  std::string ReadResponse(std::chrono::milliseconds timeout);
  // Reads until the peer closes the connection or `timeout` passes. `closed` tells which.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout, bool* closed);
  // Waits up to `timeout` until the peer (a process on this machine) has read every byte sent
  // so far, as the kernel's socket queues (/proc/net/tcp) show it. False on timeout.
  bool WaitUntilPeerHasRead(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace kw::testing
