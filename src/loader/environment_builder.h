// The one way every binary turns policy definitions (policy/policies_config.h) into an evaluation
// environment (evaluator/environment.h): policy-server at start-up and on every change of its
// policies file, `kwctl run` and `kwctl bench` from their command line, and whatever comes next
// (controller checks, the audit scanner).
//
// A build:
//   1. downloads every distinct remote module not fetched before, a few at a time (loader.h);
//   2. for each definition, in order: checks its configuration (host capability patterns, the
//      timeout), loads its modules (each module file compiled once, through the compiled-code
//      cache; a module file already loaded by an earlier build is reused unless it changed), and
//      builds the policy, or the group with its expression checked;
//   3. validates the settings of what it built, with the caller's validator (policy-server runs
//      it on its workers, whose warm instances then serve the first requests);
//   4. settles each id: what loaded is live; what failed serves its last good version from
//      `previous` when there is one, with the error, and is failed otherwise.
// An id whose definition and modules are unchanged since `previous` is not rebuilt at all: the
// new environment serves the very same Policy objects, so the workers keep their warm instances
// and its settings are not validated again.
//
// Errors are per id, never the build's (a build always yields an environment); what a failure
// means is the caller's choice: policy-server's start-up stops on any failure unless
// --continue-on-errors, and always on a configuration error, as upstream; a reload serves what it
// can; kwctl stops on the first.
//
// Not thread-safe: one build at a time (the builder keeps the modules it loaded for the next
// build). The environments it returns are immutable and shareable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "admission/response.h"
#include "base/error.h"
#include "engine/engine.h"
#include "evaluator/environment.h"
#include "loader/loader.h"
#include "policy/metadata.h"
#include "policy/policies_config.h"

namespace kw::loader {

struct EnvironmentOptions {
  // Names the definitions' source in configuration errors ("policies.yml: policy 'psp': ...").
  std::string source = "policies.yml";
  // kwctl's --execution-mode: forces the execution mode of every module.
  std::optional<policy::ExecutionMode> mode_override;
  // kwctl's --allowed-host-capabilities: replaces what every definition grants.
  std::optional<std::vector<std::string>> host_capabilities_override;
  // kwctl's --allow-context-aware: a policy may also read the resources its metadata declares.
  bool context_aware_from_metadata = false;
  // The evaluation timeout of a policy without timeoutEvalSeconds; zero = none.
  std::chrono::milliseconds default_timeout{std::chrono::seconds(2)};
  // policy-server's --disable-timeout-protection: no timeout at all, timeoutEvalSeconds included.
  bool timeouts_disabled = false;
  // How many remote modules are downloaded at once.
  std::size_t parallel_downloads = 4;
};

enum class FailureKind {
  kConfiguration,  // a host capability pattern or timeout the definition cannot have
  kLoad,           // a module that cannot be fetched, verified or compiled; a bad group expression
  kSettings,       // settings the policy refused
};

struct LoadFailure {
  std::string id;
  FailureKind kind;
  // What went wrong, for logs and start-up errors: "member 'x': cannot load policy ...",
  // "Policy settings are invalid: ...", or the configuration error naming source, id and field.
  std::string message;
};

struct BuildResult {
  evaluator::EnvironmentSharedPtr environment;
  std::vector<LoadFailure> failures;  // in definition order, at most one per id
  std::size_t compiled_modules = 0;   // compiled by this build
  std::size_t cached_modules = 0;     // taken from the compiled-code cache by this build
  std::size_t reused_entries = 0;     // ids served unchanged from the previous environment
};

// Validates the settings of each entry (its policy or group), answering in the same order.
using SettingsValidator = std::function<std::vector<admission::SettingsValidationResponse>(
    const std::vector<const evaluator::EnvironmentEntry*>&)>;

inline constexpr std::string_view kInvalidSettingsPrefix = "Policy settings are invalid: ";

class EnvironmentBuilder {
 public:
  // `engine` must outlive the builder; `code_cache` may be null.
  EnvironmentBuilder(const engine::Engine& engine, engine::CodeCacheSharedPtr code_cache,
                     FetchSettings fetch, EnvironmentOptions options);

  // Builds the environment of `definitions`. `previous` (may be null): the environment served
  // now. `validate` (may be empty: settings are then the caller's to check). `version` names the
  // configuration (environment.h).
  BuildResult Build(const std::vector<policy::PolicyDefinition>& definitions,
                    const evaluator::Environment* previous, const SettingsValidator& validate,
                    std::string version);

 private:
  class Round;

  ModuleLoader modules_;
  EnvironmentOptions options_;
};

// The URIs of every module `definitions` use (policies and group members), in order.
std::vector<std::string> ModuleUris(const std::vector<policy::PolicyDefinition>& definitions);

}  // namespace kw::loader
