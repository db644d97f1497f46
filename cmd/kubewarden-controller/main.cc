#include <iostream>

#include "controller/options.h"
#include "controller/process.h"

int main(int argc, char** argv) {
  auto parsed = kw::controller::ParseCommandLine(argc, argv);
  if (!parsed) {
    std::cerr << "Error: " << parsed.error().message << "\n";
    return 1;
  }
  if (!parsed->options) return parsed->exit_code;
  return kw::controller::RunController(*parsed->options);
}
