// policy-server's logs (policy-server.md §5.3): spdlog's default logger, writing to stdout at
// `--log-level`, as text or, with `--log-fmt json`, as one JSON object per line in the shape of
// upstream's tracing-subscriber:
//   {"timestamp":"2026-01-02T03:04:05.678901Z","level":"INFO",
//    "fields":{"message":"..."},"target":"policy_server"}
// Text lines read `2026-01-02T03:04:05.678901Z  INFO policy_server: ...`. Timestamps are UTC.
// Messages are escaped (cli/log_format.h), so whatever they interpolate (policy ids, guests' log
// text) a log entry is always exactly one line.
// Every component logs through spdlog's default logger, so this covers the evaluator's monitor
// mode lines and policies' own log calls too.
//
// Call once at start-up, before other threads log.
#pragma once

#include "base/error.h"
#include "server/config.h"

namespace kw::server {

Result<void> SetUpLogging(const Config& config);

}  // namespace kw::server
