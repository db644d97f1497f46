#include "testing/http_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <thread>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace kw::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  std::size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") + 1 - begin);
}

}  // namespace

std::optional<CapturedRequest> ReadHttpRequest(const Receive& receive, bool hang_up_unless_http) {
  std::string data;
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  CapturedRequest request;
  for (;;) {
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    char buf[65536];
    long n = receive(buf, sizeof buf);
    if (n <= 0) return std::nullopt;  // the client gave up, or sent no complete request
    data.append(buf, static_cast<std::size_t>(n));
    if (hang_up_unless_http && !std::isupper(static_cast<unsigned char>(data[0]))) {
      return std::nullopt;
    }
    if (header_end != std::string::npos ||
        (header_end = data.find("\r\n\r\n")) == std::string::npos) {
      continue;
    }
    std::size_t line_end = data.find("\r\n");
    std::string first = data.substr(0, line_end);
    std::size_t space = first.find(' ');
    request.method = first.substr(0, space);
    request.target = first.substr(space + 1, first.rfind(' ') - space - 1);
    std::size_t at = line_end + 2;
    while (at < header_end) {
      std::size_t end = data.find("\r\n", at);
      std::string line = data.substr(at, end - at);
      std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        request.headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
      }
      at = end + 2;
    }
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      content_length = std::stoul(it->second);
    }
  }
  request.body = data.substr(header_end + 4, content_length);
  return request;
}


HttpSink::HttpSink(HttpSinkOptions options) : options_(std::move(options)) {
  if (!options_.cert_file.empty()) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (tls_ == nullptr ||
        SSL_CTX_use_certificate_chain_file(tls_, options_.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        (!options_.client_ca_file.empty() &&
         SSL_CTX_load_verify_locations(tls_, options_.client_ca_file.c_str(), nullptr) != 1)) {
      SSL_CTX_free(tls_);
      throw std::runtime_error("HttpSink: cannot load the TLS files");
    }
    if (!options_.client_ca_file.empty()) {
      SSL_CTX_set_verify(tls_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0) close(listen_fd_);
    SSL_CTX_free(tls_);
    throw std::runtime_error("HttpSink: cannot listen on a loopback port");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

HttpSink::~HttpSink() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
  SSL_CTX_free(tls_);
}

std::vector<CapturedRequest> HttpSink::WaitFor(std::size_t count,
                                               std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  return requests_;
}

std::vector<CapturedRequest> HttpSink::Requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

void HttpSink::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    HandleConnection(fd);
    close(fd);
  }
}

void HttpSink::HandleConnection(int fd) {
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, SSL_free);
  if (tls_ != nullptr) {
    ssl.reset(SSL_new(tls_));
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) != 1) {
      ERR_clear_error();
      ++failed_handshakes_;
      return;
    }
  }
  const auto receive = [&](char* buf, std::size_t size) -> long {
    if (ssl) return SSL_read(ssl.get(), buf, static_cast<int>(size));
    return recv(fd, buf, size, 0);
  };
  const auto send_all = [&](const std::string& bytes) {
    if (ssl) {
      SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size()));
      SSL_shutdown(ssl.get());
    } else {
      send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
  };
  std::optional<CapturedRequest> read = ReadHttpRequest(receive);
  if (!read) return;
  CapturedRequest request = std::move(*read);
  const std::string body = options_.body_for ? options_.body_for(request) : options_.body;
  // Recorded before answering, so a client that has its answer finds its request recorded.
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
  }
  arrived_.notify_all();
  if (options_.delay.count() > 0) std::this_thread::sleep_for(options_.delay);
  std::string response = "HTTP/1.1 " + std::to_string(options_.status) +
                         " Status\r\nContent-Type: " + options_.content_type +
                         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : options_.headers) response += name + ": " + value + "\r\n";
  response += "Connection: close\r\n\r\n" + body;
  send_all(response);
}

}  // namespace kw::testing
