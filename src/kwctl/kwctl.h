// kwctl: the policy author's command-line tool (tooling.md §1).
//
// Subcommands: run, bench, inspect, annotate, info, scaffold (admission-request,
// verification-config, manifest, vap, artifacthub), completions (shell completion scripts), and
// over the policy store and registries: pull, push, policies, rm, digest, save, load. Output
// conventions follow upstream: results on stdout, logs on stderr (control characters escaped,
// cli/log_format.h); errors print `Error: <message>` on stderr and exit 1; usage errors exit 2
// (an unknown subcommand among them); `run` exits 0 even when the policy rejects the request
// (the verdict is in the JSON it prints).
#pragma once

namespace kw::kwctl {

// Runs kwctl with the process's arguments and returns the exit code.
int Main(int argc, char** argv);

}  // namespace kw::kwctl
