#include <iostream>

#include "server/config.h"
#include "server/policy_server.h"

int main(int argc, char** argv) {
  auto parsed = kw::server::ParseCommandLine(argc, argv);
  if (!parsed) {
    std::cerr << "Error: " << parsed.error().message << "\n";
    return 1;
  }
  if (!parsed->config) return parsed->exit_code;
  return kw::server::RunPolicyServer(*parsed->config);
}
