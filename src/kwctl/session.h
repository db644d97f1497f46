// What `kwctl run` and `kwctl bench` share: turning their flags into loaded policies and a
// request, ready to evaluate (tooling.md §1.6 steps 1-6).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission/request.h"
#include "capabilities/session.h"
#include "engine/engine.h"
#include "evaluator/environment.h"
#include "evaluator/evaluator.h"
#include "host/host.h"
#include "loader/loader.h"
#include "verify/config.h"

namespace kw::kwctl {

// How to reach registries (tooling.md §2.3, §2.4): `--sources-path` (default
// <config dir>/sources.yaml when it exists) and `--docker-config-json-path`, the directory of
// docker's config.json (default $DOCKER_CONFIG, else ~/.docker).
struct RegistryFlags {
  std::optional<std::string> sources_path;
  std::optional<std::string> docker_config_dir;
};

// Signature verification (tooling.md §1.8), shared by pull, run, bench and verify.
struct SignatureFlags {
  std::optional<std::string> verification_config_path;  // --verification-config-path
  std::vector<std::string> key_paths;                    // -k/--verification-key, repeatable
  std::vector<std::string> annotations;                  // -a/--verification-annotation KEY=VALUE
  std::optional<std::string> cert_email;
  std::optional<std::string> cert_oidc_issuer;
  std::optional<std::string> github_owner;
  std::optional<std::string> github_repo;
  // A Sigstore ClientTrustConfig or TrustedRoot JSON; default: <config dir>/
  // fulcio_and_rekor_data/trusted_root.json when it exists (upstream's TUF cache).
  std::optional<std::string> sigstore_trust_config;
};

// The verification config the flags ask for: one built from -k/-a/--cert-*/--github-* (allOf
// only; combining them with --verification-config-path is an error), else the
// --verification-config-path file, else <config dir>/verification-config.yml when it exists,
// else none (nullopt: no verification).
Result<std::optional<verify::VerificationConfig>> VerificationConfigFor(const SignatureFlags& flags);

// Remote modules of `kwctl run`/`bench`/`pull` are fetched into the store with these settings
// (`--sources-path` loaded, docker's config directory) and, when VerificationConfigFor gives a
// config, verified with it and the Sigstore trust root.
Result<loader::FetchSettings> FetchSettingsFor(const RegistryFlags& registry,
                                               const SignatureFlags& signatures = {});

struct RunFlags {
  std::string policy;  // a path, a file:// URI, or a .yaml/.yml file of policy CRs
  std::string request_path;  // "-" = stdin
  std::optional<std::string> settings_path;
  std::optional<std::string> settings_json;
  std::optional<std::string> execution_mode;
  bool raw = false;
  bool allow_context_aware = false;
  // The cluster context-aware policies read (kube/resolve.h); only asked for when they may.
  std::string kubeconfig;
  std::vector<std::string> allowed_host_capabilities = {"*"};
  double policy_timeout_seconds = 2;  // 0 = none
  std::uint32_t memory_limit_mib = 256;  // per policy instance
  // Where compiled policy code is kept between runs; nullopt = paths.h CompiledCacheDir().
  std::optional<std::string> compiled_cache_dir;
  bool disable_compiled_cache = false;
  // Ours: evaluate without the seccomp filter (sandbox/sandbox.h) that PrepareSession installs.
  bool disable_seccomp = false;
  // --record-host-capabilities-interactions: write every host-capability call and its answer to
  // this session file. --replay-host-capabilities-interactions: answer them from this session
  // file instead, reaching no cluster, registry or resolver. At most one of the two
  // (capabilities/session.h).
  std::optional<std::string> record_host_capabilities;
  std::optional<std::string> replay_host_capabilities;
  RegistryFlags registry;
  SignatureFlags signatures;
  // `kwctl run` only (ours): --explain[=text|json] also writes, on stderr, how each decision
  // was reached (evaluator/explanation.h); stdout stays the AdmissionResponse. Empty = off.
  std::string explain;
  bool explain_color = false;  // the text in colour (a terminal, no --no-color nor NO_COLOR)
};

// Everything needed to evaluate: the engine, a worker on the calling thread, the environment
// of the policies (loader/environment_builder.h, as policy-server builds its own) and the
// request. Owns them; use it from the thread that created it.
struct Session {
  std::unique_ptr<engine::Engine> engine;
  engine::WorkerPtr worker;
  std::unique_ptr<evaluator::Evaluator> evaluator;
  evaluator::EnvironmentSharedPtr environment;
  // What to evaluate, in the order of the definitions: the policies and groups (not members).
  std::vector<const evaluator::EnvironmentEntry*> targets;
  admission::ValidationRequest request;
  // Set by the record and replay flags.
  std::shared_ptr<capabilities::SessionRecorder> recorder;
  std::shared_ptr<capabilities::SessionReplayer> replayer;

  admission::SettingsValidationResponse ValidateSettings(const evaluator::EnvironmentEntry& target);
  // The response as kwctl run prints it (response handler applied).
  admission::AdmissionResponse Evaluate(const evaluator::EnvironmentEntry& target);
  // Lets the engine finish storing the optimized code of the modules it compiled (bounded), so
  // that the next kwctl run finds them in the compiled-code cache. Call before exiting.
  void FinishCodeCacheWrites();
  // Completes the recorded session file (its write error, if any) and logs the exchanges of a
  // replayed one that no call used. Call once the evaluations are done.
  Result<void> FinishHostCapabilitiesSession();
};

// Loads what `flags` name and, last, unless flags.disable_seccomp, confines the process with
// the seccomp filter: evaluation, host capabilities, the compiled-code cache and the session
// files need none of what it refuses.
Result<Session> PrepareSession(const RunFlags& flags);

}  // namespace kw::kwctl
