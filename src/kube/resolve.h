// Which cluster a binary talks to, in one call: an explicit `--kubeconfig` path, else the
// KUBECONFIG list, else the in-cluster configuration when KUBERNETES_SERVICE_HOST is set, else
// ~/.kube/config, else no cluster at all, which is a state, not an error: policy-server keeps
// serving without one, its kubernetes capabilities answering kNoClientMessage.
//
// Upstream's client (kube-rs's Config::infer) looks at ~/.kube/config before the in-cluster
// configuration; here the pod's own service account comes first, so that a kubeconfig an image
// happens to carry never silently replaces it. Outside a pod the two orders agree.
//
// KUBECONFIG is read as kubectl reads it: a colon-separated list, empty entries and repeats
// skipped, files that do not exist skipped (an error only when none exists), the rest merged
// (kubeconfig.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "kube/client.h"
#include "kube/connection_config.h"
#include "kube/in_cluster.h"

namespace kw::kube {

// What the resolution looks at in the environment, so that tests can choose it.
struct ConnectionEnvironment {
  std::string kubeconfig;            // $KUBECONFIG
  std::string service_host;          // $KUBERNETES_SERVICE_HOST
  std::string service_port;          // $KUBERNETES_SERVICE_PORT
  std::string home;                  // $HOME
  std::string service_account_dir = std::string(kServiceAccountDir);

  // The process's environment (unset variables are empty).
  static ConnectionEnvironment FromProcess();
};

struct ConnectionRequest {
  std::string kubeconfig_path;  // --kubeconfig; a file that must exist
  std::string context;          // --context, for kubeconfigs; empty: their current-context
};

// The cluster to connect to, or nullopt when none is configured anywhere. A configuration that
// exists but is unusable (a missing context, an unreadable CA, an exec plugin) is an error.
Result<std::optional<ConnectionConfig>> ResolveConnection(
    const ConnectionRequest& request,
    const ConnectionEnvironment& environment = ConnectionEnvironment::FromProcess());

// A client for the cluster ResolveConnection finds, or nullptr when none is configured (no
// connection is made yet). Errors as ResolveConnection and Client::Create.
Result<std::shared_ptr<Client>> ConnectToCluster(
    const ConnectionRequest& request, ClientOptions options = {},
    const ConnectionEnvironment& environment = ConnectionEnvironment::FromProcess());

}  // namespace kw::kube
