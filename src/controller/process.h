// The kubewarden-controller process: connects to the cluster, serves its health and metrics
// endpoints and its own admission webhooks, and runs the reconcilers (controller.h) while it
// holds the leader Lease (or always without --leader-elect), until SIGTERM/SIGINT.
#pragma once

#include "controller/options.h"

namespace kw::controller {

// Returns the process's exit code.
int RunController(const ProcessOptions& options);

}  // namespace kw::controller
