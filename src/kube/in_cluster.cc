#include "kube/in_cluster.h"

#include "base/files.h"
#include "base/strings.h"
#include "kube/kubeconfig.h"

namespace kw::kube {

Result<ConnectionConfig> LoadInClusterConfig(std::string_view host, std::string_view port,
                                             const std::string& service_account_dir) {
  const std::string origin = "in-cluster service account " + service_account_dir;
  if (host.empty() || port.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                origin + ": KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
  }
  ConnectionConfig config;
  config.origin = origin;
  const bool ipv6 = host.find(':') != std::string_view::npos;
  config.server = "https://" + (ipv6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" +
                  std::string(port);
  if (auto normalized = NormalizeServer(config); !normalized) {
    return std::unexpected(normalized.error().Wrap(origin));
  }
  // Checked now, although read per request (bearer_token.h): a pod without its token cannot
  // have meant to connect anonymously.
  config.token_file = service_account_dir + "/token";
  if (!IdentifyFile(config.token_file)) {
    return Fail(ErrorKind::kNotFound, origin + ": no token file " + config.token_file);
  }
  auto ca = ReadFile(service_account_dir + "/ca.crt", kMaxPemBytes);
  if (!ca) return std::unexpected(ca.error().Wrap(origin));
  config.certificate_authority_pem = std::move(*ca);
  // client-go falls back to "default" when the file is missing.
  if (auto ns = ReadFile(service_account_dir + "/namespace", 1024); ns) {
    const std::string_view name = TrimWhitespace(*ns);
    if (!name.empty() && name.find_first_of("\r\n") == std::string_view::npos) {
      config.default_namespace = std::string(name);
    }
  }
  return config;
}

}  // namespace kw::kube
