#include "server/config.h"

#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/flags.h"

namespace kw::server {
namespace {

constexpr const char* kVersion = KW_VERSION;
// Each worker is a thread with its own V8 isolate (tens of MiB): far more than this is a typo.
constexpr long long kMaxWorkers = 1024;

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Two listeners on one port would fail only at the second bind, after every policy has loaded.
// Port 0 (any free port) never clashes.
Result<void> CheckDistinctPorts(const Config& c) {
  std::vector<ListenerPort> listeners = c.Listeners();
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    for (std::size_t j = i + 1; j < listeners.size(); ++j) {
      if (listeners[i].port != 0 && listeners[i].port == listeners[j].port) {
        return Fail(ErrorKind::kInvalidArgument,
                    fmt::format("{} and {} are both {}: each listener needs a port of its own",
                                listeners[i].flag, listeners[j].flag, listeners[i].port));
      }
    }
  }
  return {};
}

}  // namespace

std::vector<ListenerPort> Config::Listeners() const {
  std::vector<ListenerPort> out = {{"--port", port},
                                   {"--readiness-probe-port", readiness_probe_port}};
  if (enable_metrics && metrics_port != 0) out.push_back({"--metrics-port", metrics_port});
  return out;
}

std::string Config::CompiledCacheDir() const {
  return compiled_cache_dir.value_or(policies_download_dir + "/compiled-code");
}

unsigned Config::EffectiveWorkers() const {
  if (workers > 0) return workers;
  unsigned cpus = std::thread::hardware_concurrency();
  return cpus > 0 ? cpus : 1;
}

Result<ParsedCommandLine> ParseCommandLine(int argc, const char* const* argv) {
  Config c;
  CLI::App app{"Kubewarden policy server", "policy-server"};
  app.set_version_flag("-V,--version", std::string("policy-server ") + kVersion);
  std::string log_fmt = "text";
  std::string client_ca;
  app.add_option("--log-level", c.log_level, "Log level")
      ->envname("KUBEWARDEN_LOG_LEVEL")
      ->check(cli::OneOf({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.footer(
      "OpenTelemetry (OTLP/HTTP; collectors take it on port 4318, not gRPC's 4317):\n"
      "  --log-fmt otlp exports traces: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or\n"
      "    OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces; default http://localhost:4318),\n"
      "    OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL http/protobuf (default) or http/json,\n"
      "    OTEL_BSP_SCHEDULE_DELAY (ms, 5000), OTEL_BSP_MAX_QUEUE_SIZE (2048),\n"
      "    OTEL_BSP_MAX_EXPORT_BATCH_SIZE (512)\n"
      "  --enable-metrics exports metrics (http/json) when OTEL_EXPORTER_OTLP_METRICS_ENDPOINT\n"
      "    or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/metrics) is set; OTEL_METRIC_EXPORT_INTERVAL (ms)\n"
      "  Both: OTEL_EXPORTER_OTLP_[<SIGNAL>_]HEADERS, _TIMEOUT (ms), _CERTIFICATE (CA bundle),\n"
      "    _CLIENT_CERTIFICATE and _CLIENT_KEY (mTLS)");
  app.add_option("--log-fmt", log_fmt, "Log output format")
      ->envname("KUBEWARDEN_LOG_FMT")
      ->check(cli::OneOf({"text", "json", "otlp"}))
      ->capture_default_str();
  app.add_flag("--log-no-color", c.log_no_color, "Disable colored output for logs")
      ->envname("NO_COLOR");
  app.add_option("--addr", c.address, "Bind against ADDRESS")
      ->envname("KUBEWARDEN_BIND_ADDRESS")
      ->capture_default_str();
  const CLI::Validator port_number = cli::WholeNumberIn(0, 65535);
  app.add_option("--port", c.port, "Listen on PORT")
      ->envname("KUBEWARDEN_PORT")
      ->check(port_number)
      ->capture_default_str();
  app.add_option("--readiness-probe-port", c.readiness_probe_port,
                 "Expose readiness endpoint on READINESS_PROBE_PORT")
      ->envname("KUBEWARDEN_READINESS_PROBE_PORT")
      ->check(port_number)
      ->capture_default_str();
  app.add_option("--workers", c.workers, "Number of worker threads to create")
      ->envname("KUBEWARDEN_WORKERS")
      ->check(cli::WholeNumberIn(1, kMaxWorkers));
  app.add_option("--cert-file", c.cert_file, "Path to an X.509 certificate file for HTTPS")
      ->envname("KUBEWARDEN_CERT_FILE");
  app.add_option("--key-file", c.key_file, "Path to an X.509 private key file for HTTPS")
      ->envname("KUBEWARDEN_KEY_FILE");
  app.add_option("--client-ca-file", client_ca,
                 "Comma-separated PEM CA files; enables required client authentication (mTLS)")
      ->envname("KUBEWARDEN_CLIENT_CA_FILE");
  app.add_option("--policies", c.policies, "YAML file holding the policies to be loaded")
      ->envname("KUBEWARDEN_POLICIES")
      ->capture_default_str();
  app.add_option("--policies-download-dir", c.policies_download_dir,
                 "Download path for the policies")
      ->envname("KUBEWARDEN_POLICIES_DOWNLOAD_DIR")
      ->capture_default_str();
  app.add_option("--sigstore-cache-dir", c.sigstore_cache_dir, "Directory used to cache sigstore data")
      ->envname("KUBEWARDEN_SIGSTORE_CACHE_DIR")
      ->capture_default_str();
  app.add_option("--sigstore-trust-config", c.sigstore_trust_config,
                 "JSON-formatted Sigstore ClientTrustConfig file")
      ->envname("KUBEWARDEN_SIGSTORE_TRUST_CONFIG_PATH");
  app.add_option("--sources-path", c.sources_path, "YAML file holding source information")
      ->envname("KUBEWARDEN_SOURCES_PATH");
  app.add_option("--verification-path", c.verification_path,
                 "YAML file holding verification information (URIs, keys, annotations)")
      ->envname("KUBEWARDEN_VERIFICATION_CONFIG_PATH");
  app.add_option("--docker-config-json-path", c.docker_config_json_path,
                 "Directory holding the docker config.json with registry credentials")
      ->envname("KUBEWARDEN_DOCKER_CONFIG_JSON_PATH");
  app.add_flag("--enable-metrics", c.enable_metrics, "Enable metrics")
      ->envname("KUBEWARDEN_ENABLE_METRICS");
  app.add_option("--always-accept-admission-reviews-on-namespace",
                 c.always_accept_admission_reviews_on_namespace,
                 "Always accept AdmissionReviews that target the given namespace")
      ->envname("KUBEWARDEN_ALWAYS_ACCEPT_ADMISSION_REVIEWS_ON_NAMESPACE");
  app.add_flag("--disable-timeout-protection", c.disable_timeout_protection,
               "Disable policy timeout protection")
      ->envname("KUBEWARDEN_DISABLE_TIMEOUT_PROTECTION");
  // Upstream takes 0 and then interrupts every evaluation at once; here 0 is refused, and the
  // error points at the flag that really turns the timeout off.
  app.add_option("--policy-timeout", c.policy_timeout_seconds,
                 "Interrupt policy evaluation after the given time (seconds, at least 1; "
                 "--disable-timeout-protection for none)")
      ->envname("KUBEWARDEN_POLICY_TIMEOUT")
      ->check(cli::WholeNumberIn(1, static_cast<long long>(cli::kMaxTimeoutSeconds),
                                 "to run policies without a timeout, use "
                                 "--disable-timeout-protection"))
      ->capture_default_str();
  app.add_flag("--daemon", c.daemon, "If set, runs policy-server in detached mode as a daemon")
      ->envname("KUBEWARDEN_DAEMON");
  app.add_option("--daemon-pid-file", c.daemon_pid_file, "Path to the PID file, used only when running in daemon mode")
      ->envname("KUBEWARDEN_DAEMON_PID_FILE")
      ->capture_default_str();
  app.add_option("--daemon-stdout-file", c.daemon_stdout_file,
                 "Path to the file holding stdout, used only when running in daemon mode")
      ->envname("KUBEWARDEN_DAEMON_STDOUT_FILE");
  app.add_option("--daemon-stderr-file", c.daemon_stderr_file,
                 "Path to the file holding stderr, used only when running in daemon mode")
      ->envname("KUBEWARDEN_DAEMON_STDERR_FILE");
  app.add_flag("--ignore-kubernetes-connection-failure", c.ignore_kubernetes_connection_failure,
               "Do not exit with an error if the Kubernetes connection fails")
      ->envname("KUBEWARDEN_IGNORE_KUBERNETES_CONNECTION_FAILURE");
  app.add_option("--kubeconfig", c.kubeconfig,
                 "Kubeconfig of the cluster context-aware policies read [default: KUBECONFIG, "
                 "the in-cluster service account, then ~/.kube/config]");
  app.add_option("--policies-configmap", c.policies_configmap,
                 "Follow the policies.yml of this ConfigMap (in --pod-namespace) through the "
                 "Kubernetes API instead of the --policies file, live")
      ->envname("KUBEWARDEN_POLICIES_CONFIGMAP");
  app.add_option("--pod-name", c.pod_name,
                 "This replica's Pod, annotated with the configuration it serves")
      ->envname("KUBEWARDEN_POD_NAME");
  app.add_option("--pod-namespace", c.pod_namespace,
                 "The namespace of this replica's Pod and of --policies-configmap")
      ->envname("KUBEWARDEN_POD_NAMESPACE");
  app.add_flag("--enable-pprof", c.enable_pprof, "Enable pprof profiling")
      ->envname("KUBEWARDEN_ENABLE_PPROF");
  app.add_flag("--continue-on-errors", c.continue_on_errors,
               "Start even when policies fail to load; their requests are rejected")
      ->envname("KUBEWARDEN_CONTINUE_ON_ERRORS")
      ->group("");  // hidden, as upstream
  // Ours, so listed in --help (a hidden option's errors would not name it: CLI11 drops the name
  // of an option in the hidden group from them).
  app.add_option("--client-read-timeout", c.client_read_timeout_seconds,
                 "Seconds a client has to send a whole request (and to read the response)")
      ->envname("KUBEWARDEN_CLIENT_READ_TIMEOUT")
      ->check(cli::PositiveNumberUpTo(cli::kMaxTimeoutSeconds))
      ->capture_default_str();
  app.add_option("--max-connections", c.max_connections,
                 "Most API connections open at once; more are closed at once [default: the "
                 "open-file limit less a reserve]")
      ->envname("KUBEWARDEN_MAX_CONNECTIONS");
  app.add_option("--max-request-buffer-mib", c.max_request_buffer_mib,
                 "MiB of request data all API connections may buffer at once; requests beyond "
                 "are answered 503")
      ->envname("KUBEWARDEN_MAX_REQUEST_BUFFER_MIB")
      ->check(cli::WholeNumberIn(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--compiled-cache-dir", c.compiled_cache_dir,
                 "Directory keeping compiled policy code between runs [default: "
                 "<policies-download-dir>/compiled-code]")
      ->envname("KUBEWARDEN_COMPILED_CACHE_DIR");
  app.add_flag("--disable-compiled-cache", c.disable_compiled_cache,
               "Compile every policy on every start, without the compiled-code cache")
      ->envname("KUBEWARDEN_DISABLE_COMPILED_CACHE");
  app.add_flag("--disable-seccomp", c.disable_seccomp,
               "Serve without the system-call filter that confines the process once it has "
               "started (no programs, no new listeners, no ptrace, ...)")
      ->envname("KUBEWARDEN_DISABLE_SECCOMP");
  app.add_flag("--enable-explain-endpoint", c.enable_explain_endpoint,
               "Serve POST /explain/{policy_id} and /explain_raw/{policy_id} on the readiness "
               "port: how each decision is reached (policies and group members evaluated, "
               "verdicts, patches, host calls). Keep that port off untrusted networks")
      ->envname("KUBEWARDEN_ENABLE_EXPLAIN_ENDPOINT");
  app.add_flag("--allow-root", c.allow_root, "Run even as root (uid 0), which is refused otherwise")
      ->envname("KUBEWARDEN_ALLOW_ROOT");
  app.add_option("--slow-lane-threads", c.slow_lane_threads,
                 "Threads evaluating the requests of policies that ran out of time recently, "
                 "apart from the workers (0 = none: they stay on the workers)")
      ->envname("KUBEWARDEN_SLOW_LANE_THREADS")
      ->check(cli::WholeNumberIn(0, kMaxWorkers))
      ->capture_default_str();
  app.add_option("--slow-lane-capacity", c.slow_lane_capacity,
                 "Requests queued or running in the slow lane at once; more get the timeout "
                 "rejection at once")
      ->envname("KUBEWARDEN_SLOW_LANE_CAPACITY")
      ->check(cli::WholeNumberIn(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--slow-lane-quiet-seconds", c.slow_lane_quiet_seconds,
                 "Seconds a policy must run without running out of time to leave the slow lane")
      ->envname("KUBEWARDEN_SLOW_LANE_QUIET_SECONDS")
      ->check(cli::WholeNumberIn(1, static_cast<long long>(cli::kMaxTimeoutSeconds)))
      ->capture_default_str();
  app.add_option("--metrics-port", c.metrics_port,
                 "Serve Prometheus metrics on this port (0 = off)")
      ->envname("KUBEWARDEN_METRICS_PORT")
      ->check(port_number);

  if (std::optional<int> exit_code = cli::Parse(app, argc, argv)) {
    return ParsedCommandLine{std::nullopt, *exit_code};
  }

  c.log_format = log_fmt == "json" ? LogFormat::kJson
                 : log_fmt == "otlp" ? LogFormat::kOtlp
                                     : LogFormat::kText;
  c.client_ca_files = SplitCommas(client_ca);
  if (c.cert_file.has_value() != c.key_file.has_value()) {
    return Fail(ErrorKind::kInvalidArgument, "both certificate and key must be provided together");
  }
  if (!c.client_ca_files.empty() && !c.cert_file) {
    return Fail(ErrorKind::kInvalidArgument,
                "a client CA (--client-ca-file) requires TLS: give --cert-file and --key-file");
  }
  KW_TRY(CheckDistinctPorts(c));
  return ParsedCommandLine{std::move(c), 0};
}

}  // namespace kw::server
