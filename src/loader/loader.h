// Policy loading: from module URIs and policy configurations to the evaluator's Policy and
// PolicyGroup objects. Shared by `kwctl run`/`bench` and policy-server, so that both resolve,
// check and compile modules the same way.
//
//   - ResolveModulePath: the local file a module URI names. `file://` URIs and plain paths are
//     served. Registry and HTTP(S) sources, and bare registry references such as
//     `ghcr.io/org/policy:v1` (which upstream reads as `registry://`), fail with kUnimplemented
//     until OCI support lands; that is where fetching will plug in.
//   - ModuleLoader: reads a module, reads its metadata, checks its minimum Kubewarden version
//     and compiles it, once per module file however many policies use it, through the
//     compiled-code cache when it is given one (code_cache.h).
//   - BuildGroup: a PolicyGroup from its members, its expression parsed (and so checked) once.
//
// ModuleLoader is not thread-safe (it is used during start-up, from one thread); what it returns
// is immutable and shared. The free functions are thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/engine.h"
#include "evaluator/evaluator.h"
#include "policy/metadata.h"
#include "runtime/runtime.h"

namespace kw::loader {

// The Kubewarden stack version we are compatible with (what minimumKubewardenVersion is
// compared against).
std::string_view KubewardenVersion();

// Resolves `uri` to an absolute local path. Errors: kNotFound ("Cannot find policy with uri:
// <uri>") for a missing plain path, kUnimplemented for sources that need fetching.
Result<std::string> ResolveModulePath(std::string_view uri);

class ModuleLoader {
 public:
  // `engine` must outlive the loader. `mode_override` forces the execution mode of every module
  // (kwctl's --execution-mode). `code_cache` (may be null) is where compiled code is looked up
  // and stored.
  explicit ModuleLoader(const engine::Engine& engine,
                        std::optional<policy::ExecutionMode> mode_override = std::nullopt,
                        engine::CodeCacheSharedPtr code_cache = nullptr);

  // The compiled module `uri` names. Modules are keyed by resolved path, so two URIs naming one
  // file share one compilation; a failure is remembered too (every policy using the module gets
  // the same error without another attempt). Errors other than resolution are wrapped as
  // "cannot load policy <uri>: ...".
  Result<runtime::PolicyModuleSharedPtr> Load(std::string_view uri);

  // How many distinct modules were loaded: compiled, or taken from the code cache (for
  // start-up logs).
  std::size_t compiled_modules() const { return compiled_; }
  std::size_t cached_modules() const { return cached_; }

 private:
  Result<runtime::PolicyModuleSharedPtr> Compile(const std::string& path);

  const engine::Engine& engine_;
  std::optional<policy::ExecutionMode> mode_override_;
  engine::CodeCacheSharedPtr code_cache_;
  std::map<std::string, Result<runtime::PolicyModuleSharedPtr>, std::less<>> by_path_;
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
