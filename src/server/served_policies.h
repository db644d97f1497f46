// policy-server's policies: the evaluation environment it serves (evaluator/environment.h), built
// from `--policies` at start-up (policy-server.md §2.5, §2.8) and rebuilt whenever that file
// changes, while the environment in use goes on serving.
//
// Start-up reads `--policies` (at most 4 MiB, files.h; its warnings, such as unknown keys, are
// logged), then builds the environment (loader/environment_builder.h) with the fetch settings of
// `--policies-download-dir`, `--sources-path`, `--docker-config-json-path`, `--verification-path`
// and `--sigstore-trust-config` (loader/fetch_settings.h), the compiled-code cache unless
// --disable-compiled-cache (a cache directory that cannot be used is skipped with a warning),
// each policy's timeout (`timeoutEvalSeconds`, else `--policy-timeout`; none at all with
// --disable-timeout-protection), and settings validated on the worker pool, whose threads keep
// warm instances of what they validated. A policy that fails fails start-up with an error naming
// it, or, with --continue-on-errors, is served failed: its requests get a 200 rejection with code
// 500 ("bootstrap failure: <id>: <error>", "Policy settings are invalid: <message>"). An invalid
// host capability pattern or timeout fails start-up even with --continue-on-errors, as upstream.
//
// Live changes. Once Follow() is called, a change of the file (written in place, replaced by a
// rename, or a ConfigMap volume switching its `..data` link: file_watcher.h) rebuilds the
// environment in the background, once the file has not been modified for 100 ms (so that a file
// rewritten in place is not taken while it is being written): downloads, verification,
// compilation through the cache and settings validation happen while the environment in use
// keeps serving; then the new one is swapped in atomically. Requests in flight finish on the
// environment they started with. A file with the same content as the one served (a touch)
// changes nothing; a file that cannot be read or parsed is logged and changes nothing. In the
// new environment, an id whose definition did not change is served by the very same objects (no
// recompilation, warm instances kept), a policy that fails to load keeps serving its last good
// version (logged as an error naming it and why), and a new policy that fails is served failed,
// as --continue-on-errors does at start-up.
//
// What is served is on the readiness port, GET /policies (StatusJson), and in the metrics
// (kubewarden_policy_state, kubewarden_policies_config_info).
//
// Thread-safe: Current() is called by every request; Reload() by one thread at a time (the
// watcher's, or a test's).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "evaluator/environment.h"
#include "loader/environment_builder.h"
#include "metrics/metrics.h"
#include "server/config.h"
#include "server/file_watcher.h"
#include "server/worker_pool.h"

namespace kw::server {

// How remote modules are fetched and verified, from policy-server.md §2.1's download, sources,
// docker config, verification and Sigstore trust flags (the oci host capabilities reach
// registries the same way). Unreadable sources or verification files are errors; an unusable
// trust root is only a warning (§2.8): keyless constraints then fail at verification.
Result<loader::FetchSettings> FetchSettingsOf(const Config& config);

// A policies document's definitions and the version that names its content.
struct PoliciesFile {
  std::vector<policy::PolicyDefinition> definitions;
  std::string version;
};

class ServedPolicies {
 public:
  // Loads `config.policies`, fetching remote modules with `fetch` (FetchSettingsOf(config)).
  // `engine`, `pool` and `metrics` (may be null) must outlive the returned object.
  static Result<std::unique_ptr<ServedPolicies>> Load(const Config& config,
                                                      loader::FetchSettings fetch,
                                                      const engine::Engine& engine,
                                                      WorkerPool& pool, metrics::Registry* metrics);
  ~ServedPolicies();
  ServedPolicies(const ServedPolicies&) = delete;
  ServedPolicies& operator=(const ServedPolicies&) = delete;

  // The environment to evaluate a request with; keep it until the request is answered.
  evaluator::EnvironmentSharedPtr Current() const { return current_.load(); }

  // Starts following the policies file. Stop it (or destroy this object) before stopping the
  // pool: a reload validates settings on it.
  void Follow();
  void StopFollowing();

  // Reads the policies file and, when its content changed, builds and serves its environment.
  // Returns false when the file looks like it is still being written (modified within the
  // settle time, or while it was read): call again later.
  bool Reload();

  // Builds and serves the policies of `text` (a policies.yml document, from `source`: named in
  // logs), unless it is what is served already; a document that does not parse is logged and
  // changes nothing. Returns the environment served afterwards. For a policies document that
  // does not come from the file (a ConfigMap followed through the API: config_map_follower.h).
  evaluator::EnvironmentSharedPtr ReloadText(std::string_view text, const std::string& source);

  // {"version":"sha256:...","generation":N,"policies":{"<id>":{"state":"live"},
  //  "<id>":{"state":"last-good","error":"..."},...}}: every id, members included.
  std::string StatusJson() const;

 private:
  ServedPolicies(const Config& config, WorkerPool& pool, metrics::Registry* metrics,
                 std::unique_ptr<loader::EnvironmentBuilder> builder);
  loader::SettingsValidator Validator();
  void Serve(evaluator::EnvironmentSharedPtr environment);
  // Under reload_mutex_.
  void Rebuild(Result<PoliciesFile> policies, const std::string& source);

  const Config& config_;
  WorkerPool& pool_;
  metrics::Registry* metrics_;
  std::mutex reload_mutex_;  // one build at a time
  std::unique_ptr<loader::EnvironmentBuilder> builder_;
  std::optional<FileIdentity> loaded_file_;  // the policies file as last read
  std::atomic<evaluator::EnvironmentSharedPtr> current_;
  std::unique_ptr<FileWatcher> watcher_;
};

}  // namespace kw::server
