// audit-scanner's command line (spec/tooling.md §8.1, upstream's cobra flags) and process.
#pragma once

namespace kw::audit {

// Parses the flags, scans, and returns the exit code: 0, or 1 with `Error on cmd.Execute():
// <why>` on stderr as upstream.
int RunAuditScanner(int argc, char** argv);

}  // namespace kw::audit
