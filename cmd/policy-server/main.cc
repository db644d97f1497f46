#include "cli/log_format.h"
#include "server/config.h"
#include "server/policy_server.h"

int main(int argc, char** argv) {
  auto parsed = kw::server::ParseCommandLine(argc, argv);
  if (!parsed) {
    kw::cli::PrintError(parsed.error().message);
    return 1;
  }
  if (!parsed->config) return parsed->exit_code;
  return kw::server::RunPolicyServer(*parsed->config);
}
