// kubeconfig files, read as kubectl reads them (client-go's clientcmd), into a ConnectionConfig.
//
// Reading happens in three steps, so that each can be checked on its own:
//  1. ParseKubeconfig: one file's text to its clusters, users and contexts. Pure: `*-data`
//     fields are base64-decoded, file fields (`certificate-authority`, `client-certificate`,
//     `client-key`, `tokenFile`) made absolute against the kubeconfig's own directory, as
//     kubectl resolves them, but not read.
//  2. MergeKubeconfigs: several files (the KUBECONFIG list) into one, with kubectl's rule: the
//     first file that defines a cluster, user or context name wins, and so does the first
//     `current-context`.
//  3. SelectContext: one context (named, else the current one) to a ConnectionConfig; this
//     reads the certificate and key files (never the token file, see bearer_token.h).
//
// Only what a client needs is read; other fields (extensions, preferences, impersonation) are
// ignored, as client-go ignores what it does not know. Users that authenticate in ways this
// client does not implement (exec plugins, auth providers, basic auth) are refused with an error
// naming them when their context is selected, rather than connecting anonymously.
//
// Every scalar is read as its text (`namespace: 123` is "123"), as sigs.k8s.io/yaml hands a
// number to a string field; `insecure-skip-tls-verify` takes true or false. Errors are
// "kubeconfig <file>: <what>", the file being the KUBECONFIG list when several were merged:
// kInvalidArgument for malformed content, kNotFound for a missing context, cluster or user,
// kUnimplemented for an unsupported authentication method.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "kube/connection_config.h"

namespace kw::kube {

// The most a certificate, key or CA bundle may take, decoded, in a file or inline: real ones
// are a few KiB, a CA bundle a few hundred.
inline constexpr std::size_t kMaxPemBytes = 1u << 20;

// A `*-data` field holds decoded PEM text; its file form holds an absolute path. At most one of
// the two is set (kubectl refuses both).
struct PemSource {
  std::string data;
  std::string file;
  bool empty() const { return data.empty() && file.empty(); }
};

struct KubeconfigCluster {
  std::string server;
  PemSource certificate_authority;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
  std::string defined_in;  // the file
};

struct KubeconfigUser {
  PemSource client_certificate;
  PemSource client_key;
  std::string token;
  std::string token_file;  // absolute
  // Non-empty when the user authenticates in a way not supported here: "an exec plugin",
  // "an auth provider", "a username and password".
  std::string unsupported_method;
  std::string defined_in;
};

struct KubeconfigContext {
  std::string cluster;
  std::string user;  // empty: anonymous
  std::string namespace_name;  // empty: "default"
  std::string defined_in;
};

struct Kubeconfig {
  std::map<std::string, KubeconfigCluster> clusters;
  std::map<std::string, KubeconfigUser> users;
  std::map<std::string, KubeconfigContext> contexts;
  std::string current_context;
  std::vector<std::string> files;  // read from, in order

  // The files as one name for messages: "/a/config", or "/a/config:/b/config" when merged.
  std::string Name() const;
};

// Parses one kubeconfig whose text was read from `path`. An empty file is an empty kubeconfig.
Result<Kubeconfig> ParseKubeconfig(std::string_view text, const std::string& path);

// Reads (base/files.h, capped) and parses the file at `path`; kNotFound when it does not exist.
Result<Kubeconfig> LoadKubeconfig(const std::string& path);

// `configs` merged in order: first definition wins (see above).
Kubeconfig MergeKubeconfigs(const std::vector<Kubeconfig>& configs);

// The connection for `context` (empty: the current context): "context 'foo' not found",
// "no current-context", "cluster 'c' of context 'foo' not found", "user 'u' of context 'foo' not
// found", "user 'u' authenticates with an exec plugin, which is not supported", a file that
// cannot be read, a client certificate without its key.
Result<ConnectionConfig> SelectContext(const Kubeconfig& config, std::string_view context = {});

}  // namespace kw::kube
