// Policy loading: from module URIs and policy configurations to the evaluator's Policy and
// PolicyGroup objects. Shared by `kwctl run`/`bench` and policy-server, so that both resolve,
// check and compile modules the same way.
//
//   - ResolveModulePath: the local file a module URI names. `file://` URIs and existing plain
//     paths are used in place. `registry://`, `https://`, `http://` URIs and bare registry
//     references such as `ghcr.io/org/policy:v1` (which upstream reads as `registry://`) are
//     fetched into the policy store through oci::Fetch (tooling.md §1.3, §2), with the sources,
//     docker credentials and, when configured, signature verification of FetchSettings.
//   - Verification (tooling.md §4.2): with a verification config, every remote module must be a
//     registry image whose manifest digest D carries signatures satisfying the config (checked
//     before the module is used), and after the pull the local module must be the wasm layer of
//     the manifest D (verify::CheckLocalDigest), so a moved tag or a stale store file is caught.
//     `https://`/`http://` modules cannot carry cosign signatures and are refused; `file://`
//     and plain paths are local and not verified.
//   - ModuleLoader: reads a module, reads its metadata, checks its minimum Kubewarden version
//     and compiles it, once per module file however many policies use it, through the
//     compiled-code cache when it is given one (code_cache.h).
//   - BuildGroup: a PolicyGroup from its members, its expression parsed (and so checked) once.
//
// ModuleLoader is not thread-safe (one thread at a time builds with it; Prefetch uses threads of
// its own); what it returns is immutable and shared. It lives as long as the process rebuilds
// environments, so that a rebuild recompiles and refetches only what changed: see BeginRound.
// The free functions are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/files.h"
#include "oci/sources.h"
#include "verify/config.h"
#include "engine/engine.h"
#include "evaluator/evaluator.h"
#include "policy/metadata.h"
#include "runtime/runtime.h"

namespace kw::verify {
class TrustRoot;
}

namespace kw::loader {

// Where and how remote modules are fetched.
struct FetchSettings {
  std::string store_root;  // empty: oci::Store::DefaultRoot() (kwctl's store)
  oci::Sources sources;
  std::string docker_config_dir;  // empty: oci::DefaultDockerConfigDir()
  // When set, every remote module must verify (see the header comment).
  std::optional<verify::VerificationConfig> verification;
  // For keyless constraints (and Rekor bundles); without one only pubKey constraints can hold.
  // Set whenever one is configured, verification or not: the oci host capabilities use it too.
  std::shared_ptr<const verify::TrustRoot> trust_root;
  // Optional: the bytes of a module received so far and its size (0 when unknown), called on
  // the downloading thread (oci::RegistryOptions::on_module_progress).
  std::function<void(std::uint64_t received, std::uint64_t total)> on_module_progress;
};

// The Kubewarden stack version we are compatible with (what minimumKubewardenVersion is
// compared against).
std::string_view KubewardenVersion();

// Whether `uri` names a module that must be fetched (not a file:// URI nor an existing path).
bool IsRemoteModule(std::string_view uri);

// Resolves `uri` to an absolute local path, fetching remote modules into the store (and
// verifying them when `settings` asks to). Errors: kNotFound ("Cannot find policy with uri:
// <uri>") for a missing plain path; fetch errors (oci/fetch.h: kNotFound, kIo, kBadModule,
// kInvalidArgument) wrapped as "cannot fetch policy <uri>"; verification failures
// (kInvalidArgument, "Image verification failed: ...") likewise.
Result<std::string> ResolveModulePath(std::string_view uri,
                                      const FetchSettings& settings = FetchSettings());

// Checks, without downloading the module, that the registry image `uri` (`registry://` or a bare
// reference) carries signatures satisfying `settings.verification`; returns the verified manifest
// digest ("sha256:<hex>"). kInvalidArgument when there is no verification config or the URI is
// not a registry image; verification failures as ResolveModulePath's (unwrapped).
Result<std::string> VerifyImage(std::string_view uri, const FetchSettings& settings);

class ModuleLoader {
 public:
  // `engine` must outlive the loader. `mode_override` forces the execution mode of every module
  // (kwctl's --execution-mode). `code_cache` (may be null) is where compiled code is looked up
  // and stored. `fetch` says how remote modules are fetched (ResolveModulePath).
  explicit ModuleLoader(const engine::Engine& engine,
                        std::optional<policy::ExecutionMode> mode_override = std::nullopt,
                        engine::CodeCacheSharedPtr code_cache = nullptr,
                        FetchSettings fetch = FetchSettings());

  // Fetches the distinct remote modules among `uris`, at most `parallelism` at a time, and
  // remembers each outcome for Load (which then neither fetches again nor retries a failure).
  // Local URIs are skipped. Returns when every fetch has finished.
  void Prefetch(const std::vector<std::string>& uris, std::size_t parallelism = 4);

  // The compiled module `uri` names. Modules are keyed by resolved path, so two URIs naming one
  // file share one compilation; a failure is remembered too (every policy using the module gets
  // the same error without another attempt). Errors other than resolution are wrapped as
  // "cannot load policy <uri>: ...".
  Result<runtime::PolicyModuleSharedPtr> Load(std::string_view uri);

  // Starts a round of loads (one environment build). What earlier rounds fetched and compiled is
  // kept: a remote module is not fetched again (its tag is read once, as at start-up), a local
  // module file is recompiled only when it changed (FileIdentity). What failed is tried again.
  // The counters restart.
  void BeginRound();
  // Forgets the modules no Load of this round asked for (those of removed policies).
  void EndRound();

  // How many distinct modules this round compiled, or took from the compiled-code cache; the
  // others it used were already loaded.
  std::size_t compiled_modules() const { return compiled_; }
  std::size_t cached_modules() const { return cached_; }

 private:
  struct Fetched {
    Result<std::string> path;
    bool used = true;
  };
  struct Compiled {
    std::optional<FileIdentity> file;  // the file as it was compiled
    Result<runtime::PolicyModuleSharedPtr> module;
    bool used = true;
  };

  Result<runtime::PolicyModuleSharedPtr> Compile(const std::string& path);
  Result<std::string> Resolve(std::string_view uri);

  const engine::Engine& engine_;
  std::optional<policy::ExecutionMode> mode_override_;
  engine::CodeCacheSharedPtr code_cache_;
  FetchSettings fetch_;
  std::map<std::string, Fetched, std::less<>> fetched_;  // remote modules, by URI
  std::map<std::string, Compiled, std::less<>> by_path_;
  std::size_t compiled_ = 0;
  std::size_t cached_ = 0;
};

// A group named `id` over `members` (their ids should be "<id>/<member>"). The expression is
// parsed against the member names: errors (kInvalidArgument) name the expression and say what is
// wrong with it.
Result<evaluator::PolicyGroupSharedPtr> BuildGroup(
    std::string id, evaluator::PolicyMode mode, std::string message, std::string_view expression,
    std::map<std::string, evaluator::PolicySharedPtr> members);

}  // namespace kw::loader
