// What `kwctl run` and `kwctl bench` share: turning their flags into loaded policies and a
// request, ready to evaluate (tooling.md §1.6 steps 1-6).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission/request.h"
#include "engine/engine.h"
#include "evaluator/evaluator.h"
#include "host/host.h"
#include "loader/loader.h"

namespace kw::kwctl {

// How to reach registries (tooling.md §2.3, §2.4): `--sources-path` (default
// <config dir>/sources.yaml when it exists) and `--docker-config-json-path`, the directory of
// docker's config.json (default $DOCKER_CONFIG, else ~/.docker).
struct RegistryFlags {
  std::optional<std::string> sources_path;
  std::optional<std::string> docker_config_dir;
};

// Remote modules of `kwctl run`/`bench` are fetched into the store with these settings
// (`--sources-path` loaded, docker's config directory), as `kwctl pull` fetches them.
Result<loader::FetchSettings> FetchSettingsFor(const RegistryFlags& flags);

struct RunFlags {
  std::string policy;  // a path, a file:// URI, or a .yaml/.yml file of policy CRs
  std::string request_path;  // "-" = stdin
  std::optional<std::string> settings_path;
  std::optional<std::string> settings_json;
  std::optional<std::string> execution_mode;
  bool raw = false;
  bool allow_context_aware = false;
  std::vector<std::string> allowed_host_capabilities = {"*"};
  double policy_timeout_seconds = 2;  // 0 = none
  std::uint32_t memory_limit_mib = 256;  // per policy instance
  // Where compiled policy code is kept between runs; nullopt = paths.h CompiledCacheDir().
  std::optional<std::string> compiled_cache_dir;
  bool disable_compiled_cache = false;
  RegistryFlags registry;
};

// Everything needed to evaluate: the engine, a worker on the calling thread, the policies and
// the request. Owns them; use it from the thread that created it.
// One thing to evaluate: a policy or a policy group.
struct Target {
  evaluator::PolicySharedPtr policy;
  evaluator::PolicyGroupSharedPtr group;
  const std::string& id() const { return policy ? policy->config.id : group->id; }
};

struct Session {
  std::unique_ptr<engine::Engine> engine;
  engine::WorkerPtr worker;
  std::unique_ptr<evaluator::Evaluator> evaluator;
  std::vector<Target> targets;
  admission::ValidationRequest request;

  admission::SettingsValidationResponse ValidateSettings(const Target& target);
  // The response as kwctl run prints it (response handler applied).
  admission::AdmissionResponse Evaluate(const Target& target);
  // Lets the engine finish storing the optimized code of the modules it compiled (bounded), so
  // that the next kwctl run finds them in the compiled-code cache. Call before exiting.
  void FinishCodeCacheWrites();
};

Result<Session> PrepareSession(const RunFlags& flags);

// Resolves the positional policy argument of kwctl commands to a local file path
// (loader::ResolveModulePath: remote modules are fetched into the store with default settings).
Result<std::string> ResolvePolicyPath(const std::string& uri_or_path);

}  // namespace kw::kwctl
