#include "kube/connection_config.h"

#include <arpa/inet.h>

#include "net/http_client.h"

namespace kw::kube {
namespace {

bool IsIpAddress(const std::string& host) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace

Result<void> NormalizeServer(ConnectionConfig& config) {
  if (config.server.empty()) return Fail(ErrorKind::kInvalidArgument, "no server");
  // client-go's DefaultServerURL: a server without a scheme is https.
  if (config.server.find("://") == std::string::npos) config.server = "https://" + config.server;
  auto url = net::ParseHttpUrl(config.server);
  if (!url) return std::unexpected(url.error().Wrap("server '" + config.server + "'"));
  if (config.tls_server_name.empty() && IsIpAddress(url->host)) {
    config.tls_server_name = kIpServerTlsName;
  }
  return {};
}

}  // namespace kw::kube
