#include "kube/resolve.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "base/files.h"
#include "kube/kubeconfig.h"

namespace kw::kube {
namespace {

std::string Variable(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// kubectl's KUBECONFIG: colon-separated, empty entries and repeats skipped, files that do not
// exist skipped.
Result<ConnectionConfig> LoadKubeconfigList(const std::string& list, const std::string& context) {
  std::vector<std::string> seen;
  std::vector<Kubeconfig> configs;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string path = list.substr(start, end - start);
    start = end + 1;
    if (path.empty() || std::find(seen.begin(), seen.end(), path) != seen.end()) continue;
    seen.push_back(path);
    auto config = LoadKubeconfig(path);
    if (!config && config.error().kind == ErrorKind::kNotFound) continue;
    if (!config) return std::unexpected(config.error());
    configs.push_back(std::move(*config));
  }
  if (configs.empty()) {
    return Fail(ErrorKind::kNotFound, "KUBECONFIG=" + list + ": none of its files exists");
  }
  return SelectContext(MergeKubeconfigs(configs), context);
}

Result<ConnectionConfig> LoadKubeconfigFile(const std::string& path, const std::string& context) {
  KW_ASSIGN_OR_RETURN(Kubeconfig config, LoadKubeconfig(path));
  return SelectContext(config, context);
}

}  // namespace

ConnectionEnvironment ConnectionEnvironment::FromProcess() {
  ConnectionEnvironment environment;
  environment.kubeconfig = Variable("KUBECONFIG");
  environment.service_host = Variable("KUBERNETES_SERVICE_HOST");
  environment.service_port = Variable("KUBERNETES_SERVICE_PORT");
  environment.home = Variable("HOME");
  return environment;
}

Result<std::optional<ConnectionConfig>> ResolveConnection(const ConnectionRequest& request,
                                                          const ConnectionEnvironment& environment) {
  if (!request.kubeconfig_path.empty()) {
    return LoadKubeconfigFile(request.kubeconfig_path, request.context);
  }
  if (!environment.kubeconfig.empty()) {
    return LoadKubeconfigList(environment.kubeconfig, request.context);
  }
  if (!environment.service_host.empty()) {
    return LoadInClusterConfig(environment.service_host, environment.service_port,
                               environment.service_account_dir);
  }
  if (!environment.home.empty()) {
    const std::string path = environment.home + "/.kube/config";
    if (IdentifyFile(path)) return LoadKubeconfigFile(path, request.context);
  }
  return std::nullopt;
}

Result<std::shared_ptr<Client>> ConnectToCluster(const ConnectionRequest& request,
                                                 ClientOptions options,
                                                 const ConnectionEnvironment& environment) {
  KW_ASSIGN_OR_RETURN(std::optional<ConnectionConfig> config,
                      ResolveConnection(request, environment));
  if (!config) return std::shared_ptr<Client>();
  return Client::Create(*config, options);
}

}  // namespace kw::kube
