// An evaluation environment: the set of loaded policies a binary serves, by id. policy-server
// serves one (and swaps in a new one when its policies change), `kwctl run` builds one from its
// command line; loader/environment_builder.h builds both.
//
// An Environment is immutable once built and shared (shared_ptr) by whoever evaluates with it:
// a request keeps the environment it started with alive until it is answered, however many
// environments are swapped in meanwhile.
//
// Each id is one entry: a policy, a policy group, or a group member ("<group>/<member>", which a
// client may address directly, as upstream allows). An entry is in one of three states:
//   - live: it serves what its definition says;
//   - last good: its latest definition failed to load (the error says why), and it goes on
//     serving the version that loaded before;
//   - failed: it failed and has nothing to serve; requests for it are rejected (200, code 500)
//     with the error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evaluator/evaluator.h"
#include "policy/policies_config.h"

namespace kw::evaluator {

enum class EntryState { kLive, kLastGood, kFailed };

// "live", "last-good", "failed": as the readiness port and the metrics name them.
std::string_view EntryStateName(EntryState state);

struct EnvironmentEntry {
  std::string id;
  // protect/monitor, known even when nothing loaded (a label of the metrics).
  PolicyMode mode = PolicyMode::kProtect;
  // What is served: a policy (or member), or a group; both null when the entry failed.
  PolicySharedPtr policy;
  PolicyGroupSharedPtr group;
  // Why the latest definition is not what is served: the message a failed entry's requests get
  // ("bootstrap failure: <id>: ...", "Policy settings are invalid: ...").
  std::optional<std::string> error;
  // The definition `policy`/`group` were built from (of the group, for a member); null for a
  // failed entry. The builder reuses what is served when a new definition equals it.
  std::shared_ptr<const policy::PolicyDefinition> served_definition;
  bool member = false;  // "<group>/<member>"

  EntryState state() const {
    if (!policy && !group) return EntryState::kFailed;
    return error ? EntryState::kLastGood : EntryState::kLive;
  }
  // Every Policy object the entry runs: its policy, or its group's members (none when failed).
  std::vector<PolicySharedPtr> Policies() const;
};

class Environment {
 public:
  // `entries`: top-level entries first, in the order of their definitions, then members.
  // `generation` increases with each environment the process builds (1, 2, ...); `version`
  // names the configuration it was built from (a digest of the policies file, say).
  Environment(std::vector<EnvironmentEntry> entries, std::uint64_t generation, std::string version);

  // nullptr when `id` is unknown.
  const EnvironmentEntry* Find(std::string_view id) const;
  // Every entry: policies and groups in definition order, then group members.
  const std::vector<EnvironmentEntry>& entries() const { return entries_; }
  std::uint64_t generation() const { return generation_; }
  const std::string& version() const { return version_; }
  // Whether a policy with this key is served (as a policy, or as a member of a group).
  bool Serves(const PolicyKey& key) const;
  bool Serves(std::uint64_t key) const;

 private:
  std::vector<EnvironmentEntry> entries_;
  std::map<std::string, std::size_t, std::less<>> by_id_;
  std::vector<std::uint64_t> served_keys_;  // sorted
  std::uint64_t generation_;
  std::string version_;
};
using EnvironmentSharedPtr = std::shared_ptr<const Environment>;

}  // namespace kw::evaluator
