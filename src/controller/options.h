// kubewarden-controller's command line: upstream's flags (spec/tooling.md §6.1; controller-runtime
// and zap flags included) and the KUBEWARDEN_POLICY_SERVER_SERVICES_METRICS_PORT variable.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "controller/desired.h"

namespace kw::controller {

struct ProcessOptions {
  ClusterSettings cluster;
  std::string kubeconfig;                  // --kubeconfig (controller-runtime's flag)
  std::string webhook_service_name = "kubewarden-controller-webhook-service";
  std::string webhook_server_address;      // ours: the address the webhook port binds (all)
  int webhook_server_port = 9443;
  std::string metrics_bind_address = ":8088";  // "0" disables, as controller-runtime
  std::string health_probe_bind_address = ":8081";
  bool leader_elect = false;
  std::string defaults_configmap_name;
  std::string log_level = "info";          // --zap-log-level
  bool log_json = true;                    // --zap-encoder json (production default)
};

struct ParsedCommandLine {
  std::optional<ProcessOptions> options;  // nullopt: --help/--version was answered
  int exit_code = 0;
};

Result<ParsedCommandLine> ParseCommandLine(int argc, char** argv);

// "host:port" / ":port" → (address, port); "" or "0" → nullopt (disabled).
Result<std::optional<std::pair<std::string, int>>> ParseBindAddress(std::string_view text);

}  // namespace kw::controller
