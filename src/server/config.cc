#include "server/config.h"

#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

namespace kw::server {
namespace {

constexpr const char* kVersion = KW_VERSION;

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

}  // namespace

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
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--log-fmt", log_fmt, "Log output format")
      ->envname("KUBEWARDEN_LOG_FMT")
      ->check(CLI::IsMember({"text", "json", "otlp"}))
      ->capture_default_str();
  app.add_flag("--log-no-color", c.log_no_color, "Disable colored output for logs")
      ->envname("NO_COLOR");
  app.add_option("--addr", c.address, "Bind against ADDRESS")
      ->envname("KUBEWARDEN_BIND_ADDRESS")
      ->capture_default_str();
  app.add_option("--port", c.port, "Listen on PORT")
      ->envname("KUBEWARDEN_PORT")
      ->capture_default_str();
  app.add_option("--readiness-probe-port", c.readiness_probe_port,
                 "Expose readiness endpoint on READINESS_PROBE_PORT")
      ->envname("KUBEWARDEN_READINESS_PROBE_PORT")
      ->capture_default_str();
  app.add_option("--workers", c.workers, "Number of worker threads to create")
      ->envname("KUBEWARDEN_WORKERS");
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
  app.add_option("--policy-timeout", c.policy_timeout_seconds,
                 "Interrupt policy evaluation after the given time (seconds)")
      ->envname("KUBEWARDEN_POLICY_TIMEOUT")
      ->check(CLI::PositiveNumber)
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
  app.add_flag("--enable-pprof", c.enable_pprof, "Enable pprof profiling")
      ->envname("KUBEWARDEN_ENABLE_PPROF");
  app.add_flag("--continue-on-errors", c.continue_on_errors,
               "Start even when policies fail to load; their requests are rejected")
      ->envname("KUBEWARDEN_CONTINUE_ON_ERRORS")
      ->group("");  // hidden, as upstream
  app.add_option("--client-read-timeout", c.client_read_timeout_seconds,
                 "Seconds a client has to send a whole request (and to read the response)")
      ->envname("KUBEWARDEN_CLIENT_READ_TIMEOUT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group("");
  app.add_option("--max-connections", c.max_connections,
                 "Most API connections open at once; more are closed at once [default: the "
                 "open-file limit less a reserve]")
      ->envname("KUBEWARDEN_MAX_CONNECTIONS");
  app.add_option("--max-request-buffer-mib", c.max_request_buffer_mib,
                 "MiB of request data all API connections may buffer at once; requests beyond "
                 "are answered 503")
      ->envname("KUBEWARDEN_MAX_REQUEST_BUFFER_MIB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--compiled-cache-dir", c.compiled_cache_dir,
                 "Directory keeping compiled policy code between runs [default: "
                 "<policies-download-dir>/compiled-code]")
      ->envname("KUBEWARDEN_COMPILED_CACHE_DIR");
  app.add_flag("--disable-compiled-cache", c.disable_compiled_cache,
               "Compile every policy on every start, without the compiled-code cache")
      ->envname("KUBEWARDEN_DISABLE_COMPILED_CACHE");
  app.add_option("--metrics-port", c.metrics_port,
                 "Serve Prometheus metrics on this port (0 = off)")
      ->envname("KUBEWARDEN_METRICS_PORT");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, std::cout, std::cerr);
    return ParsedCommandLine{std::nullopt, code == 0 ? 0 : 2};
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
  return ParsedCommandLine{std::move(c), 0};
}

}  // namespace kw::server
