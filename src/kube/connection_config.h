// What a Kubernetes client needs to reach an API server and authenticate to it, whatever it was
// read from (a kubeconfig, kubeconfig.h; the pod's service account, in_cluster.h), and the
// state in which a binary has no cluster at all (resolve.h).
//
// Certificates and keys are PEM text, read when the configuration was loaded: they are not
// parsed here, the TLS client refuses bad ones when it connects. A token file is kept as a path,
// because service-account tokens rotate: bearer_token.h re-reads it when it changes.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::kube {

// What upstream's kubernetes host capabilities answer when policy-server runs with no
// cluster (policy-server.md §4.c): the client was never built.
inline constexpr std::string_view kNoClientMessage = "kube::Client was not initialized properly";

struct ConnectionConfig {
  std::string server;  // http(s)://host[:port][/path]
  // Empty: the system trust store verifies the server.
  std::string certificate_authority_pem;
  // mTLS; both or neither.
  std::string client_certificate_pem;
  std::string client_key_pem;
  // Bearer authentication: a fixed token, or a file re-read as it rotates. When both are set,
  // the file wins, as in client-go (its content "takes precedence over BearerToken").
  std::string token;
  std::string token_file;
  bool insecure_skip_tls_verify = false;
  // The name the server's certificate is checked against when it is not the URL's host: the
  // kubeconfig's tls-server-name, else, for a server given by IP address, upstream's
  // "kubernetes.default.svc" (see NormalizeServer). Empty: the URL's host.
  std::string tls_server_name;
  std::string default_namespace = "default";
  std::string proxy_url;  // empty: no proxy for this cluster
  // Where this came from, for messages: "kubeconfig /root/.kube/config, context 'kind'", or
  // "in-cluster service account /var/run/secrets/kubernetes.io/serviceaccount".
  std::string origin;
};

// Upstream's TLS server name for API servers given by IP address: kwctl and policy-server
// build their client with rustls, which could not check IP addresses in certificates, so they
// check this name instead; the API server's certificate always carries it.
inline constexpr std::string_view kIpServerTlsName = "kubernetes.default.svc";

// Checks that `config.server` is an http(s) URL (a bare host[:port] is read as https, as kubectl
// reads it, and rewritten so) and, when it names its host by IP address and no tls-server-name
// was given, sets tls_server_name to kIpServerTlsName. kInvalidArgument otherwise, naming the
// server.
Result<void> NormalizeServer(ConnectionConfig& config);

}  // namespace kw::kube
