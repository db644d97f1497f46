// compliance-ui's command line and process: the flags of the UI contract, the history database,
// the report watcher, and the HTTP server (API, probes, web root) until SIGTERM or SIGINT.
#pragma once

#include <string>

#include "ui/api.h"
#include "ui/static_files.h"

namespace kw::ui {

// How one HTTP request is answered, whatever serves it: GET only; /healthz,
// /readyz, /api/... (JSON), and the web root for the rest.
WebAnswer Route(std::string_view method, std::string_view target, const Api& api,
             const StaticFiles& files, bool ready);

// Parses the flags, serves until stopped, and returns the exit code: 0 after a signal, 1 with
// `Error: <why>` on stderr when it cannot start (a bad flag, an unusable database, a port taken).
int RunComplianceUi(int argc, char** argv);

}  // namespace kw::ui
