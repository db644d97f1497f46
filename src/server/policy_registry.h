// policy-server's policies, loaded once at start-up (policy-server.md §2.5, §2.8) and immutable
// afterwards, so every I/O and worker thread reads them without locks.
//
// LoadPolicies reads `--policies` (at most 4 MiB, files.h; its warnings, such as unknown keys, are
// logged: policies_config.h), downloads every distinct remote module concurrently (4 at a
// time) into the `--policies-download-dir` store, with `--sources-path`,
// `--docker-config-json-path` and, given `--verification-path`, signature verification of every
// remote module (loader.h; `--sigstore-trust-config` supplies the trust root for keyless
// constraints), then for every policy and group member: parses its host
// capabilities (absent = deny all; an invalid pattern fails start-up even with
// --continue-on-errors, as upstream), picks its timeout (`timeoutEvalSeconds`, else
// `--policy-timeout`; none at all with --disable-timeout-protection, where upstream's per-policy
// timeouts never fire either), loads and compiles its module (each module file once, through
// the compiled-code cache unless --disable-compiled-cache; a cache directory that cannot be
// used is skipped with a warning), builds groups (their expressions are checked here, see
// group_expression.h), and finally validates every policy's and member's settings on the
// worker pool.
//
// A policy that fails to load or whose settings are invalid fails start-up with an error naming
// the policy, or, with --continue-on-errors, is registered with its error, which every request
// for it gets back as a 200 rejection with code 500:
//   "Policy settings are invalid: <message or 'no message'>"     (settings)
//   "bootstrap failure: <id>: <error>"                            (loading)
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/engine.h"
#include "evaluator/evaluator.h"
#include "server/config.h"
#include "server/worker_pool.h"

namespace kw::server {

// One addressable id: a policy, a group, or a group member ("<group>/<member>", which upstream
// lets a client address directly with %2F).
struct RegisteredPolicy {
  std::string id;
  evaluator::PolicySharedPtr policy;      // set for a policy or a member
  evaluator::PolicyGroupSharedPtr group;  // set for a group
  // Set when the policy could not be loaded (only with --continue-on-errors); then `policy` and
  // `group` may both be null.
  std::optional<std::string> init_error;
  // protect/monitor, known even when the policy failed to load (a label of its metrics).
  evaluator::PolicyMode mode = evaluator::PolicyMode::kProtect;
};

class PolicyRegistry {
 public:
  // nullptr when `id` is unknown.
  const RegisteredPolicy* Find(std::string_view id) const;
  const std::map<std::string, RegisteredPolicy, std::less<>>& entries() const { return entries_; }

 private:
  friend class RegistryBuilder;
  std::map<std::string, RegisteredPolicy, std::less<>> entries_;
};

inline constexpr std::string_view kInvalidSettingsPrefix = "Policy settings are invalid: ";

// Loads `config.policies`. Settings are validated on `pool`, whose threads have warm instances
// of the policies they validated afterwards.
Result<std::shared_ptr<const PolicyRegistry>> LoadPolicies(const Config& config,
                                                           const engine::Engine& engine,
                                                           WorkerPool& pool);

}  // namespace kw::server
