#include "loader/environment_builder.h"

#include <algorithm>
#include <atomic>

#include "host/host.h"

namespace kw::loader {
namespace {

using evaluator::EnvironmentEntry;
using evaluator::EntryState;

policy::PolicyMode ModeOf(const policy::PolicyDefinition& d) {
  if (const auto* p = std::get_if<policy::PolicyEntry>(&d.entry)) return p->mode;
  return std::get<policy::GroupEntry>(d.entry).mode;
}

std::string BootstrapFailure(std::string_view id, std::string_view message) {
  return "bootstrap failure: " + std::string(id) + ": " + std::string(message);
}

// One definition as this build made it: what it serves, or why it cannot.
struct Candidate {
  const policy::PolicyDefinition* definition = nullptr;
  EnvironmentEntry entry;  // policy or group set when it built (or was reused)
  bool reused = false;
  std::optional<LoadFailure> failure;
  std::string stored_error;  // what requests get when nothing serves it
};

}  // namespace

std::vector<std::string> ModuleUris(const std::vector<policy::PolicyDefinition>& definitions) {
  std::vector<std::string> uris;
  for (const auto& d : definitions) {
    if (const auto* p = std::get_if<policy::PolicyEntry>(&d.entry)) {
      uris.push_back(p->module.module);
    } else {
      for (const auto& [name, member] : std::get<policy::GroupEntry>(d.entry).members) {
        uris.push_back(member.module);
      }
    }
  }
  return uris;
}

// The per-build state: the definitions' candidates, built against the previous environment.
class EnvironmentBuilder::Round {
 public:
  Round(EnvironmentBuilder& builder, const evaluator::Environment* previous)
      : builder_(builder), previous_(previous) {}

  Candidate Make(const policy::PolicyDefinition& d) {
    Candidate c;
    c.definition = &d;
    c.entry.id = d.id;
    c.entry.mode = ModeOf(d);
    std::string where = builder_.options_.source + ": policy '" + d.id + "'";
    if (const auto* p = std::get_if<policy::PolicyEntry>(&d.entry)) {
      auto policy = MakePolicy(d.id, where, p->module, c);
      if (!policy) return c;
      (*policy)->config.mode = p->mode;
      (*policy)->config.allowed_to_mutate = p->allowed_to_mutate;
      (*policy)->config.custom_message = p->message;
      c.entry.policy = std::move(*policy);
    } else {
      const auto& g = std::get<policy::GroupEntry>(d.entry);
      std::map<std::string, evaluator::PolicySharedPtr> members;
      for (const auto& [name, member] : g.members) {
        auto built = MakePolicy(d.id + "/" + name, where + ": member '" + name + "'", member, c);
        if (!built) return c;
        members.emplace(name, std::move(*built));
      }
      auto group = BuildGroup(d.id, g.mode, g.message, g.expression, std::move(members));
      if (!group) {
        Fail(c, FailureKind::kLoad, group.error().message, BootstrapFailure(d.id, group.error().message));
        return c;
      }
      c.entry.group = std::move(*group);
    }
    // Only what is new keeps a copy of its definition; a reused id keeps the one it has.
    if (!ReuseUnchanged(c)) {
      c.entry.served_definition = std::make_shared<const policy::PolicyDefinition>(d);
    }
    return c;
  }

  static void Fail(Candidate& c, FailureKind kind, std::string message, std::string stored) {
    c.entry.policy = nullptr;
    c.entry.group = nullptr;
    c.entry.served_definition = nullptr;
    c.failure = LoadFailure{c.entry.id, kind, std::move(message)};
    c.stored_error = std::move(stored);
  }

 private:
  // A policy or group member `id`; on failure, records it on `c` and returns the error.
  Result<std::shared_ptr<evaluator::Policy>> MakePolicy(const std::string& id,
                                                        const std::string& where,
                                                        const policy::PolicyModuleConfig& module,
                                                        Candidate& c) {
    const auto config_error = [&](const Error& error) {
      Fail(c, FailureKind::kConfiguration, error.message, BootstrapFailure(id, error.message));
      return std::unexpected(error);
    };
    auto policy = std::make_shared<evaluator::Policy>();
    policy->config.id = id;
    policy->config.settings = module.settings;
    auto capabilities = Capabilities(where, module.host_capabilities);
    if (!capabilities) return config_error(capabilities.error());
    auto timeout = Timeout(where, module.timeout_eval_seconds);
    if (!timeout) return config_error(timeout.error());
    policy->config.timeout = *timeout;
    auto loaded = builder_.modules_.Load(module.module);
    if (!loaded) {
      const std::string& top = c.entry.id;
      std::string member = id == top ? "" : "member '" + id.substr(top.size() + 1) + "': ";
      Fail(c, FailureKind::kLoad, member + loaded.error().message,
           BootstrapFailure(id, loaded.error().message));
      return std::unexpected(loaded.error());
    }
    policy->module = std::move(*loaded);
    capabilities->SetKubernetesResources(KubernetesResources(module, *policy->module));
    policy->config.capabilities =
        std::make_shared<const host::HostCapabilities>(std::move(*capabilities));
    return policy;
  }

  // What the policy may read of the cluster: its definition's contextAwareResources, or, when
  // kwctl was allowed to (--allow-context-aware), those its metadata declares.
  std::vector<host::HostCapabilities::KubernetesResource> KubernetesResources(
      const policy::PolicyModuleConfig& module, const runtime::PolicyModule& loaded) const {
    std::vector<host::HostCapabilities::KubernetesResource> resources;
    for (const auto& r : module.context_aware_resources) resources.emplace_back(r.api_version, r.kind);
    if (builder_.options_.context_aware_from_metadata && loaded.metadata) {
      for (const auto& r : loaded.metadata->context_aware_resources) {
        resources.emplace_back(r.api_version, r.kind);
      }
    }
    return resources;
  }

  Result<host::HostCapabilities> Capabilities(
      const std::string& where, const std::vector<std::string>& patterns) const {
    const auto& override_patterns = builder_.options_.host_capabilities_override;
    auto caps = host::HostCapabilities::Parse(override_patterns ? *override_patterns : patterns);
    if (!caps) {
      return std::unexpected(caps.error().Wrap(
          override_patterns ? std::string("--allowed-host-capabilities")
                            : where + ": field 'hostCapabilities'"));
    }
    return std::move(*caps);
  }

  Result<std::chrono::milliseconds> Timeout(const std::string& where,
                                            std::optional<std::uint64_t> seconds) const {
    const EnvironmentOptions& options = builder_.options_;
    if (options.timeouts_disabled) return std::chrono::milliseconds(0);
    if (!seconds) return options.default_timeout;
    if (*seconds == 0) {
      // Zero means "no deadline" to the runtime, the opposite of what the user asked for.
      return kw::Fail(ErrorKind::kInvalidArgument,
                      where + ": field 'timeoutEvalSeconds': must be at least 1");
    }
    // Far beyond any useful timeout, and far from overflowing milliseconds.
    constexpr std::uint64_t kMaxSeconds = 1'000'000'000;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(*seconds, kMaxSeconds)) *
                                     1000);
  }

  // Serves the previous environment's objects when nothing about the id changed: the same
  // definition over the same compiled modules (a module file that changed was recompiled into a
  // new PolicyModule).
  // Returns whether it did.
  bool ReuseUnchanged(Candidate& c) const {
    if (previous_ == nullptr) return false;
    const EnvironmentEntry* before = previous_->Find(c.entry.id);
    if (before == nullptr || before->member || before->state() != EntryState::kLive ||
        *before->served_definition != *c.definition) {
      return false;
    }
    if (c.entry.policy) {
      if (!before->policy || before->policy->module != c.entry.policy->module) return false;
    } else {
      if (!before->group) return false;
      for (const auto& [name, member] : c.entry.group->members) {
        auto it = before->group->members.find(name);
        if (it == before->group->members.end() || it->second->module != member->module) {
          return false;
        }
      }
    }
    c.entry = *before;
    c.reused = true;
    return true;
  }

  EnvironmentBuilder& builder_;
  const evaluator::Environment* previous_;
};

EnvironmentBuilder::EnvironmentBuilder(const engine::Engine& engine,
                                       engine::CodeCacheSharedPtr code_cache, FetchSettings fetch,
                                       EnvironmentOptions options)
    : modules_(engine, options.mode_override, std::move(code_cache), std::move(fetch)),
      options_(std::move(options)) {}

BuildResult EnvironmentBuilder::Build(const std::vector<policy::PolicyDefinition>& definitions,
                                      const evaluator::Environment* previous,
                                      const SettingsValidator& validate, std::string version) {
  modules_.BeginRound();
  modules_.Prefetch(ModuleUris(definitions), options_.parallel_downloads);
  Round round(*this, previous);
  std::vector<Candidate> candidates;
  candidates.reserve(definitions.size());
  for (const auto& d : definitions) candidates.push_back(round.Make(d));

  // Settings: only what this build made; a reused id was validated when it was built.
  std::vector<Candidate*> fresh;
  std::vector<const EnvironmentEntry*> to_validate;
  for (Candidate& c : candidates) {
    if (c.failure || c.reused) continue;
    fresh.push_back(&c);
    to_validate.push_back(&c.entry);
  }
  if (validate && !to_validate.empty()) {
    std::vector<admission::SettingsValidationResponse> results = validate(to_validate);
    for (std::size_t i = 0; i < fresh.size() && i < results.size(); ++i) {
      if (results[i].valid) continue;
      std::string error =
          std::string(kInvalidSettingsPrefix) + results[i].message.value_or("no message");
      Round::Fail(*fresh[i], FailureKind::kSettings, error, error);
    }
  }

  BuildResult result;
  std::vector<EnvironmentEntry> entries;
  for (Candidate& c : candidates) {
    if (c.reused) ++result.reused_entries;
    if (!c.failure) {
      entries.push_back(std::move(c.entry));
      continue;
    }
    result.failures.push_back(*c.failure);
    EnvironmentEntry e;
    e.id = c.entry.id;
    e.mode = c.entry.mode;
    e.error = c.stored_error;
    const EnvironmentEntry* before = previous ? previous->Find(e.id) : nullptr;
    if (before != nullptr && !before->member && before->state() != EntryState::kFailed) {
      // Last good: what served before goes on serving.
      e.mode = before->mode;
      e.policy = before->policy;
      e.group = before->group;
      e.served_definition = before->served_definition;
    }
    entries.push_back(std::move(e));
  }
  // Members, addressable as "<group>/<member>": what the group serves, or, for a group that
  // failed, its members' names answering with its error.
  std::vector<EnvironmentEntry> members;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const EnvironmentEntry& e = entries[i];
    const auto add = [&](const std::string& name, evaluator::PolicySharedPtr policy) {
      EnvironmentEntry m;
      m.id = e.id + "/" + name;
      m.policy = std::move(policy);
      m.error = e.error;
      m.served_definition = e.served_definition;
      m.member = true;
      members.push_back(std::move(m));
    };
    if (e.group) {
      for (const auto& [name, member] : e.group->members) add(name, member);
    } else if (!e.policy) {
      const auto* g = std::get_if<policy::GroupEntry>(&candidates[i].definition->entry);
      if (g != nullptr) {
        for (const auto& [name, member] : g->members) add(name, nullptr);
      }
    }
  }
  std::move(members.begin(), members.end(), std::back_inserter(entries));
  modules_.EndRound();
  result.compiled_modules = modules_.compiled_modules();
  result.cached_modules = modules_.cached_modules();
  // Process-wide, so that an Evaluator used with environments of several builders still sees
  // generations only grow (evaluator.h).
  static std::atomic<std::uint64_t> last_generation{0};
  result.environment = std::make_shared<const evaluator::Environment>(
      std::move(entries), ++last_generation, std::move(version));
  return result;
}

}  // namespace kw::loader
