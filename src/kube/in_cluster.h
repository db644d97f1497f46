// The in-cluster configuration of a pod: the API server from KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT, and the pod's service account (token, CA, namespace) from the
// directory Kubernetes mounts it in, as client-go's rest.InClusterConfig reads them.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "kube/connection_config.h"

namespace kw::kube {

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// `host` and `port` are the two variables' values (an IPv6 host is bracketed in the URL); the
// token stays a path (`<dir>/token`, see bearer_token.h) but must exist now; `<dir>/ca.crt` is
// read; `<dir>/namespace`, when present, gives the default namespace. kInvalidArgument when host
// or port is empty, kNotFound naming the missing file, kIo when one cannot be read.
Result<ConnectionConfig> LoadInClusterConfig(std::string_view host, std::string_view port,
                                             const std::string& service_account_dir =
                                                 std::string(kServiceAccountDir));

}  // namespace kw::kube
