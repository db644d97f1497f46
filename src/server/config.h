// policy-server's configuration: every upstream flag, its KUBEWARDEN_* environment variable and
// its default (policy-server.md §2.1). A flag on the command line wins over the environment.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::server {

enum class LogFormat { kText, kJson, kOtlp };

// A port the server listens on, and the flag that set it (for errors).
struct ListenerPort {
  std::string_view flag;
  std::uint16_t port;
};

struct Config {
  std::string log_level = "info";
  LogFormat log_format = LogFormat::kText;
  bool log_no_color = false;
  std::string address = "0.0.0.0";
  std::uint16_t port = 3000;
  std::uint16_t readiness_probe_port = 8081;
  unsigned workers = 0;  // 0 = number of CPUs
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::vector<std::string> client_ca_files;  // comma-separated on the command line
  std::string policies = "policies.yml";
  std::string policies_download_dir = ".";
  std::string sigstore_cache_dir = "sigstore-data";
  std::optional<std::string> sigstore_trust_config;
  std::optional<std::string> sources_path;
  std::optional<std::string> verification_path;
  std::optional<std::string> docker_config_json_path;
  bool enable_metrics = false;
  std::optional<std::string> always_accept_admission_reviews_on_namespace;
  bool disable_timeout_protection = false;
  std::uint64_t policy_timeout_seconds = 2;
  bool daemon = false;
  std::string daemon_pid_file = "policy-server.pid";
  std::optional<std::string> daemon_stdout_file;
  std::optional<std::string> daemon_stderr_file;
  bool ignore_kubernetes_connection_failure = false;
  // The cluster the kubernetes capabilities read: this kubeconfig, else KUBECONFIG, the pod's
  // service account or ~/.kube/config (kube/resolve.h).
  std::string kubeconfig;
  // Ours (config_map_follower.h): the ConfigMap, in --pod-namespace, whose policies.yml is
  // followed through the Kubernetes API, and the Pod on which what is served is reported.
  std::string policies_configmap;
  std::string pod_name;
  std::string pod_namespace;
  bool enable_pprof = false;
  // Ours: serve the explain routes on the readiness listener (api.h), which run policies for
  // whoever reaches that port and show their messages and patches.
  bool enable_explain_endpoint = false;
  bool continue_on_errors = false;

  // Ours: how long a client may take to send one request (TLS handshake, headers and
  // body, from its first byte), and to read our response. Slower clients are dropped.
  double client_read_timeout_seconds = 10;

  // Ours: the most admission API connections open at once; more are closed at once. 0 = as many
  // as the open-file limit allows with a reserve (process_limits.h), which is also the most.
  std::size_t max_connections = 0;
  // Ours: MiB of request data (read buffers, bodies) all API connections may hold at once;
  // a request that would need more is answered 503 (request_memory.h).
  std::size_t max_request_buffer_mib = 64;

  // Ours (slow_lane.h): threads that evaluate the requests of policies that ran out of time
  // recently (0 = none: such requests stay on the workers, as upstream), how many such requests
  // may be queued or running at once (beyond, they get the timeout rejection at once), and how
  // long a policy must go without running out of time to be served by the workers again.
  unsigned slow_lane_threads = 1;
  // 4 with one thread: a request waits at most 4 timeouts (8 s at the default 2 s), within
  // Kubernetes' default webhook timeout (10 s), so the API server gets the timeout answer.
  std::size_t slow_lane_capacity = 4;
  std::uint64_t slow_lane_quiet_seconds = 60;

  // Where /metrics is served (ours; upstream pushes OTLP only). 0 = no Prometheus endpoint.
  std::uint16_t metrics_port = 0;

  // Ours: where compiled policy code is kept between runs (loader/code_cache.h); nullopt =
  // <policies_download_dir>/compiled-code. Off with disable_compiled_cache.
  std::optional<std::string> compiled_cache_dir;
  bool disable_compiled_cache = false;
  std::string CompiledCacheDir() const;

  // Ours: once started, the process runs under a seccomp filter (sandbox/sandbox.h) unless
  // disable_seccomp; it refuses to run as root unless allow_root.
  bool disable_seccomp = false;
  bool allow_root = false;

  // The ports to listen on: the API's, the readiness probe's, and the metrics' when served.
  std::vector<ListenerPort> Listeners() const;

  unsigned EffectiveWorkers() const;
  bool tls() const { return cert_file.has_value(); }
};

// The result of parsing the command line: a configuration, or an exit code when the parse
// already did all there was to do (--help, --version, a usage error it reported).
struct ParsedCommandLine {
  std::optional<Config> config;
  int exit_code = 0;
};

// Parses `argv` and the environment. Usage errors are printed by the parser (exit code 2).
// Semantic errors (a certificate without its key, a client CA without TLS, two listeners on one
// port) come back as errors.
Result<ParsedCommandLine> ParseCommandLine(int argc, const char* const* argv);

}  // namespace kw::server
