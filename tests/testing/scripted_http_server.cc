#include "testing/scripted_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace kw::testing {
namespace {

void SendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client went away
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

ScriptedHttpServer::ScriptedHttpServer(ScriptedHandler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0) close(listen_fd_);
    throw std::runtime_error("ScriptedHttpServer: cannot listen on a loopback port");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return active_ == 0; });
}

std::vector<CapturedRequest> ScriptedHttpServer::Requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

void ScriptedHttpServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard lock(mutex_);
      ++active_;
    }
    // Detached, so that finished connections free their threads; the destructor waits for
    // `active_` to drop to zero (the last thing a connection thread does with `this`).
    std::thread([this, fd] {
      HandleConnection(fd);
      close(fd);
      std::lock_guard lock(mutex_);
      if (--active_ == 0) idle_.notify_all();
    }).detach();
  }
}

void ScriptedHttpServer::HandleConnection(int fd) {
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  // Not an HTTP request line (e.g. a TLS ClientHello): hang up at once.
  std::optional<CapturedRequest> read = ReadHttpRequest(
      [fd](char* buf, std::size_t size) -> long { return recv(fd, buf, size, 0); },
      /*hang_up_unless_http=*/true);
  if (!read) return;
  const CapturedRequest request = std::move(*read);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  const ScriptedResponse answer = handler_(request);
  std::string response = "HTTP/1.1 " + std::to_string(answer.status) +
                         " Status\r\nContent-Type: " + answer.content_type +
                         "\r\nContent-Length: " + std::to_string(answer.body.size()) + "\r\n";
  for (const auto& [name, value] : answer.headers) response += name + ": " + value + "\r\n";
  response += "Connection: close\r\n\r\n";
  if (request.method == "HEAD") {
    SendAll(fd, response);
  } else if (answer.trickle.count() == 0) {
    SendAll(fd, response + answer.body);
  } else {
    // A slow server: the body in ten pieces, `trickle` apart.
    SendAll(fd, response);
    const std::size_t piece = answer.body.size() / 10 + 1;
    for (std::size_t offset = 0; offset < answer.body.size() && !stop_; offset += piece) {
      std::this_thread::sleep_for(answer.trickle);
      SendAll(fd, answer.body.substr(offset, piece));
    }
  }
}

}  // namespace kw::testing
