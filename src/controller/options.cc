#include "controller/options.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>

namespace kw::controller {

Result<std::optional<std::pair<std::string, int>>> ParseBindAddress(std::string_view text) {
  if (text.empty() || text == "0") return std::nullopt;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Fail(ErrorKind::kInvalidArgument, "invalid bind address '" + std::string(text) +
                                                 "': expected host:port or :port");
  }
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const std::string_view digits = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port < 0 || port > 65535) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid port in bind address '" + std::string(text) + "'");
  }
  return std::pair{host.empty() ? std::string("0.0.0.0") : host, port};
}

Result<ParsedCommandLine> ParseCommandLine(int argc, char** argv) {
  CLI::App app{"Kubewarden controller: reconciles PolicyServers and policies", "kubewarden-controller"};
  ProcessOptions o;
  ClusterSettings& c = o.cluster;
  std::string image_pull_secrets;
  std::string zap_encoder;
  bool zap_devel = false;
  std::string ignored;
  app.add_option("--deployments-namespace", c.deployments_namespace,
                 "The namespace where the policy servers and their objects are deployed");
  app.add_option("--webhook-service-name", o.webhook_service_name,
                 "The name of the Service of the controller's webhooks");
  app.add_option("--webhook-server-port", o.webhook_server_port,
                 "The port the controller's webhook server listens on")
      ->check(CLI::Range(1, 65535));
  app.add_option("--webhook-server-address", o.webhook_server_address,
                 "The address the webhook server binds (default: every interface)");
  app.add_option("--metrics-bind-address", o.metrics_bind_address,
                 "The address the metric endpoint binds to (\"0\" disables it)");
  app.add_option("--health-probe-bind-address", o.health_probe_bind_address,
                 "The address the probe endpoint binds to");
  app.add_flag("--leader-elect", o.leader_elect,
               "Enable leader election: only one controller manager is active at a time");
  app.add_flag("--always-accept-admission-reviews-on-deployments-namespace",
               c.always_accept_admission_reviews_on_deployments_namespace,
               "Policy servers accept every request for the deployments namespace");
  app.add_option("--client-ca-configmap-name", c.client_ca_configmap_name,
                 "A ConfigMap (key client-ca.crt) of CAs policy servers accept clients of (mTLS)");
  app.add_option("--image-pull-secrets", image_pull_secrets,
                 "Comma-separated image pull secrets of the policy server pods");
  app.add_flag("--host-network", c.host_network, "Policy server pods use the host network");
  app.add_flag("--enable-metrics", c.enable_metrics, "Policy servers export metrics");
  app.add_flag("--enable-tracing", c.enable_tracing, "Policy servers export traces");
  app.add_flag("--enable-otel-sidecar", c.otel_sidecar,
               "Telemetry goes through an OpenTelemetry collector sidecar");
  app.add_option("--opentelemetry-certificate-secret", c.otel_certificate_secret,
                 "Secret (key ca.crt) with the OpenTelemetry collector's CA, mounted into the "
                 "policy servers (custom collector mode)");
  app.add_option("--opentelemetry-client-certificate-secret", c.otel_client_certificate_secret,
                 "Secret (keys tls.crt, tls.key) with the policy servers' client certificate "
                 "for the OpenTelemetry collector");
  app.add_option("--defaults-configmap-name", o.defaults_configmap_name,
                 "A ConfigMap of default objects (PolicyServer, recommended policies) to apply and keep");
  app.add_option("--kubeconfig", o.kubeconfig, "Path to a kubeconfig (default: in-cluster)");
  app.add_option("--zap-log-level", o.log_level,
                 "Log level: debug, info, error, or an integer (higher is more verbose)");
  app.add_option("--zap-encoder", zap_encoder, "Log encoding: json or console");
  app.add_flag("--zap-devel", zap_devel, "Development mode defaults (console encoder, debug)");
  app.add_option("--zap-stacktrace-level", ignored, "Level from which stack traces are logged");
  app.add_option("--zap-time-encoding", ignored, "Time encoding of the logs");
  app.set_version_flag("--version", KW_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      std::cout << (dynamic_cast<const CLI::CallForVersion*>(&e) ? std::string(KW_VERSION) + "\n"
                                                                 : app.help());
      return ParsedCommandLine{std::nullopt, 0};
    }
    return Fail(ErrorKind::kInvalidArgument, e.what());
  }
  if (zap_devel) {
    o.log_json = false;
    if (!app.count("--zap-log-level")) o.log_level = "debug";
  }
  if (!zap_encoder.empty()) {
    if (zap_encoder != "json" && zap_encoder != "console") {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid --zap-encoder '" + zap_encoder + "': expected json or console");
    }
    o.log_json = zap_encoder == "json";
  }
  for (std::size_t start = 0; start < image_pull_secrets.size();) {
    std::size_t comma = image_pull_secrets.find(',', start);
    if (comma == std::string::npos) comma = image_pull_secrets.size();
    if (comma > start) c.image_pull_secrets.push_back(image_pull_secrets.substr(start, comma - start));
    start = comma + 1;
  }
  if (c.host_network && c.otel_sidecar) {
    return Fail(ErrorKind::kInvalidArgument,
                "--host-network cannot be used with --enable-otel-sidecar");
  }
  if (const char* port = std::getenv("KUBEWARDEN_POLICY_SERVER_SERVICES_METRICS_PORT");
      port != nullptr && *port != '\0') {
    int value = 0;
    auto [end, ec] = std::from_chars(port, port + std::strlen(port), value);
    if (ec != std::errc() || *end != '\0' || value < 1 || value > 65535) {
      return Fail(ErrorKind::kInvalidArgument,
                  std::string("invalid KUBEWARDEN_POLICY_SERVER_SERVICES_METRICS_PORT: ") + port);
    }
    c.policy_server_metrics_port = value;
  }
  for (char** env = environ; *env != nullptr; ++env) {
    std::string_view variable(*env);
    if (!variable.starts_with("OTEL_EXPORTER_OTLP_")) continue;
    const std::size_t equals = variable.find('=');
    if (equals == std::string_view::npos) continue;
    c.otel_environment.emplace_back(std::string(variable.substr(0, equals)),
                                    std::string(variable.substr(equals + 1)));
  }
  return ParsedCommandLine{std::move(o), 0};
}

}  // namespace kw::controller
