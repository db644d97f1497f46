#include "server/policy_registry.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "host/host.h"
#include "loader/code_cache.h"
#include "loader/loader.h"
#include "net/proxy.h"
#include "oci/sources.h"
#include "verify/config.h"
#include "verify/verify.h"
#include "policy/policies_config.h"

namespace kw::server {

const RegisteredPolicy* PolicyRegistry::Find(std::string_view id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

namespace {

evaluator::PolicyMode ModeOf(policy::PolicyMode mode) {
  return mode == policy::PolicyMode::kMonitor ? evaluator::PolicyMode::kMonitor
                                              : evaluator::PolicyMode::kProtect;
}

}  // namespace

// Builds a PolicyRegistry; the registry itself never changes once built.
class RegistryBuilder {
 public:
  RegistryBuilder(const Config& config, const engine::Engine& engine,
                  engine::CodeCacheSharedPtr code_cache, loader::FetchSettings fetch)
      : config_(config),
        modules_(engine, std::nullopt, std::move(code_cache), std::move(fetch)) {}

  // Downloads every distinct remote module of `definitions` concurrently (policy-server.md
  // §2.3: each module URL once), so that Add only compiles.
  void Prefetch(const std::vector<policy::PolicyDefinition>& definitions);

  // Adds the definition; a load failure is recorded on its entry, a configuration error (bad
  // host capabilities or timeout) is returned.
  Result<void> Add(const policy::PolicyDefinition& definition);

  // Validates the settings of every entry that loaded.
  void ValidateSettings(WorkerPool& pool);

  // The load and settings errors, in file order: "policy '<id>': <error>".
  std::vector<std::string> Failures() const;

  std::shared_ptr<const PolicyRegistry> Finish();
  std::size_t compiled_modules() const { return modules_.compiled_modules(); }
  std::size_t cached_modules() const { return modules_.cached_modules(); }

 private:
  struct Failure {
    std::string id;
    std::string message;  // for the start-up error
    std::string stored;   // what requests get with --continue-on-errors
  };

  // A policy (or member) `id` of top-level entry `top_id`; null with `failure` set when its
  // module does not load.
  Result<std::shared_ptr<evaluator::Policy>> MakePolicy(const std::string& top_id,
                                                        const std::string& id,
                                                        const std::string& where,
                                                        const policy::PolicyModuleConfig& module,
                                                        std::optional<Failure>& failure);
  Result<std::shared_ptr<const host::HostCapabilities>> Capabilities(
      const std::string& where, const std::vector<std::string>& patterns);
  Result<std::chrono::milliseconds> Timeout(const std::string& where,
                                            std::optional<std::uint64_t> seconds) const;

  const Config& config_;
  loader::ModuleLoader modules_;
  std::vector<std::string> order_;  // top-level ids, in file order
  std::map<std::string, RegisteredPolicy, std::less<>> entries_;
  std::map<std::string, Failure> failures_;  // by top-level id; one per id at most
};

void RegistryBuilder::Prefetch(const std::vector<policy::PolicyDefinition>& definitions) {
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
  // Downloads are network-bound; a few at a time keeps start-up fast without flooding a
  // registry (upstream downloads them all concurrently).
  constexpr std::size_t kParallelDownloads = 4;
  modules_.Prefetch(uris, kParallelDownloads);
}

Result<std::shared_ptr<const host::HostCapabilities>> RegistryBuilder::Capabilities(
    const std::string& where, const std::vector<std::string>& patterns) {
  auto caps = host::HostCapabilities::Parse(patterns);
  if (!caps) return std::unexpected(caps.error().Wrap(where + ": field 'hostCapabilities'"));
  return std::make_shared<const host::HostCapabilities>(std::move(*caps));
}

Result<std::chrono::milliseconds> RegistryBuilder::Timeout(
    const std::string& where, std::optional<std::uint64_t> seconds) const {
  if (config_.disable_timeout_protection) return std::chrono::milliseconds(0);
  if (seconds && *seconds == 0) {
    // Zero means "no deadline" to the runtime, the opposite of what the user asked for.
    return Fail(ErrorKind::kInvalidArgument,
                where + ": field 'timeoutEvalSeconds': must be at least 1");
  }
  // Far beyond any useful timeout, and far from overflowing milliseconds.
  constexpr std::uint64_t kMaxSeconds = 1'000'000'000;
  std::uint64_t s = std::min(seconds.value_or(config_.policy_timeout_seconds), kMaxSeconds);
  return std::chrono::milliseconds(static_cast<std::int64_t>(s) * 1000);
}

Result<std::shared_ptr<evaluator::Policy>> RegistryBuilder::MakePolicy(
    const std::string& top_id, const std::string& id, const std::string& where,
    const policy::PolicyModuleConfig& module, std::optional<Failure>& failure) {
  auto policy = std::make_shared<evaluator::Policy>();
  policy->config.id = id;
  policy->config.settings = module.settings;
  KW_ASSIGN_OR_RETURN(policy->config.capabilities, Capabilities(where, module.host_capabilities));
  KW_ASSIGN_OR_RETURN(policy->config.timeout, Timeout(where, module.timeout_eval_seconds));
  auto loaded = modules_.Load(module.module);
  if (!loaded) {
    if (!failure) {
      std::string member = id == top_id ? "" : "member '" + id.substr(top_id.size() + 1) + "': ";
      failure = Failure{top_id, member + loaded.error().message,
                        "bootstrap failure: " + id + ": " + loaded.error().message};
    }
    return std::shared_ptr<evaluator::Policy>();
  }
  policy->module = std::move(*loaded);
  return policy;
}

Result<void> RegistryBuilder::Add(const policy::PolicyDefinition& definition) {
  const std::string& id = definition.id;
  std::string where = config_.policies + ": policy '" + id + "'";
  RegisteredPolicy entry;
  entry.id = id;
  std::optional<Failure> failure;
  std::vector<RegisteredPolicy> members;

  if (const auto* p = std::get_if<policy::PolicyEntry>(&definition.entry)) {
    entry.mode = ModeOf(p->mode);
    KW_ASSIGN_OR_RETURN(std::shared_ptr<evaluator::Policy> policy,
                        MakePolicy(id, id, where, p->module, failure));
    if (policy) {
      policy->config.mode = entry.mode;
      policy->config.allowed_to_mutate = p->allowed_to_mutate;
      policy->config.custom_message = p->message;
      entry.policy = std::move(policy);
    }
  } else {
    const auto& g = std::get<policy::GroupEntry>(definition.entry);
    entry.mode = ModeOf(g.mode);
    std::map<std::string, evaluator::PolicySharedPtr> built_members;
    for (const auto& [name, member] : g.members) {
      std::string member_id = id + "/" + name;
      KW_ASSIGN_OR_RETURN(
          evaluator::PolicySharedPtr built,
          MakePolicy(id, member_id, where + ": member '" + name + "'", member, failure));
      if (built) built_members.emplace(name, std::move(built));
    }
    if (!failure) {
      auto group = loader::BuildGroup(id, entry.mode, g.message, g.expression, built_members);
      if (group) {
        entry.group = std::move(*group);
        for (const auto& [name, member] : built_members) {
          RegisteredPolicy m;
          m.id = member->config.id;
          m.policy = member;
          members.push_back(std::move(m));
        }
      } else {
        failure = Failure{id, group.error().message,
                          "bootstrap failure: " + id + ": " + group.error().message};
      }
    }
  }

  if (failure) {
    entry.policy = nullptr;
    entry.group = nullptr;
    entry.init_error = failure->stored;
    failures_.emplace(id, std::move(*failure));
  }
  order_.push_back(id);
  entries_.emplace(id, std::move(entry));
  for (auto& m : members) {
    std::string member_id = m.id;
    entries_.emplace(std::move(member_id), std::move(m));
  }
  return {};
}

void RegistryBuilder::ValidateSettings(WorkerPool& pool) {
  // One task per policy or group, spread over the pool; the builder waits for all of them.
  struct Pending {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t remaining = 0;
    std::map<std::string, admission::SettingsValidationResponse> results;
  };
  auto pending = std::make_shared<Pending>();
  std::vector<const RegisteredPolicy*> targets;
  for (const auto& id : order_) {
    const RegisteredPolicy& e = entries_.at(id);
    if (e.init_error) continue;
    targets.push_back(&e);
  }
  pending->remaining = targets.size();
  for (const RegisteredPolicy* e : targets) {
    pool.Run([pending, id = e->id, policy = e->policy, group = e->group](
                    evaluator::Evaluator& evaluator) {
      auto result = policy ? evaluator.ValidateSettings(*policy) : evaluator.ValidateSettings(*group);
      std::lock_guard lock(pending->mutex);
      pending->results[id] = std::move(result);
      if (--pending->remaining == 0) pending->done.notify_all();
    });
  }
  std::unique_lock lock(pending->mutex);
  pending->done.wait(lock, [&] { return pending->remaining == 0; });

  for (const auto& id : order_) {
    auto it = pending->results.find(id);
    if (it == pending->results.end() || it->second.valid) continue;
    std::string error =
        std::string(kInvalidSettingsPrefix) + it->second.message.value_or("no message");
    failures_.emplace(id, Failure{id, error, error});
    RegisteredPolicy& e = entries_.at(id);
    e.init_error = error;
    e.policy = nullptr;
    // A group's members answer with the group's error when addressed directly.
    if (e.group) {
      for (const auto& [name, member] : e.group->members) {
        RegisteredPolicy& m = entries_.at(member->config.id);
        m.init_error = error;
        m.policy = nullptr;
      }
      e.group = nullptr;
    }
  }
}

std::vector<std::string> RegistryBuilder::Failures() const {
  std::vector<std::string> out;
  for (const auto& id : order_) {
    if (auto it = failures_.find(id); it != failures_.end()) {
      out.push_back("policy '" + id + "': " + it->second.message);
    }
  }
  return out;
}

std::shared_ptr<const PolicyRegistry> RegistryBuilder::Finish() {
  auto registry = std::make_shared<PolicyRegistry>();
  registry->entries_ = std::move(entries_);
  return registry;
}

namespace {

// The compiled-code cache, or none: a cache that cannot be used only makes start-up slower.
engine::CodeCacheSharedPtr OpenCompiledCache(const Config& config) {
  if (config.disable_compiled_cache) return nullptr;
  auto cache = loader::CodeCacheDirectory::Open(config.CompiledCacheDir());
  if (!cache) {
    spdlog::warn("{}; policies are compiled on every start", cache.error().message);
    return nullptr;
  }
  return *cache;
}

// --docker-config-json-path names a directory (upstream copies it into $DOCKER_CONFIG); a path to
// the config.json file itself is accepted too, for its directory.
std::string DockerConfigDir(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    return std::filesystem::path(path).parent_path().string();
  }
  return path;
}

// How remote modules are fetched: policy-server.md §2.1's download, sources, docker config,
// verification and Sigstore trust flags. Unreadable sources or verification files fail start-up;
// an unusable trust root is only a warning (§2.8): keyless constraints then fail at verification.
Result<loader::FetchSettings> FetchSettingsOf(const Config& config) {
  loader::FetchSettings settings;
  settings.store_root = config.policies_download_dir;
  if (config.sources_path) {
    auto sources = oci::LoadSources(*config.sources_path);
    if (!sources) return std::unexpected(sources.error().Wrap("--sources-path"));
    settings.sources = std::move(*sources);
  }
  // The sources file's `proxies` win over the proxy variables, field by field.
  settings.sources.proxies =
      net::Overlay(net::ProxySettingsFromEnvironment(), settings.sources.proxies);
  if (config.docker_config_json_path) {
    settings.docker_config_dir = DockerConfigDir(*config.docker_config_json_path);
  }
  if (config.verification_path) {
    auto verification = verify::LoadVerificationConfig(*config.verification_path);
    if (!verification) return std::unexpected(verification.error().Wrap("--verification-path"));
    settings.verification = std::move(*verification);
    if (config.sigstore_trust_config) {
      auto root = verify::TrustRoot::Load(*config.sigstore_trust_config);
      if (root) {
        settings.trust_root = std::move(*root);
      } else {
        spdlog::warn("--sigstore-trust-config: {}; keyless signatures cannot be verified",
                     root.error().message);
      }
    } else if (verify::HasKeylessConstraints(*settings.verification)) {
      spdlog::warn(
          "no --sigstore-trust-config: the keyless constraints (genericIssuer, githubAction) of "
          "the verification config cannot be satisfied");
    }
  }
  return settings;
}

}  // namespace

Result<std::shared_ptr<const PolicyRegistry>> LoadPolicies(const Config& config,
                                                           const engine::Engine& engine,
                                                           WorkerPool& pool) {
  auto started = std::chrono::steady_clock::now();
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(config.policies));
  KW_ASSIGN_OR_RETURN(policy::PoliciesConfig parsed,
                      policy::ParsePoliciesConfig(text, config.policies));
  for (const std::string& warning : parsed.warnings) spdlog::warn("{}", warning);
  const std::vector<policy::PolicyDefinition>& definitions = parsed.definitions;
  engine::CodeCacheSharedPtr code_cache = OpenCompiledCache(config);
  KW_ASSIGN_OR_RETURN(loader::FetchSettings fetch, FetchSettingsOf(config));
  RegistryBuilder builder(config, engine, code_cache, std::move(fetch));
  builder.Prefetch(definitions);
  for (const auto& d : definitions) KW_TRY(builder.Add(d));
  builder.ValidateSettings(pool);

  std::vector<std::string> failures = builder.Failures();
  if (!failures.empty() && !config.continue_on_errors) {
    std::string message;
    for (std::size_t i = 0; i < failures.size(); ++i) {
      message += (i == 0 ? "" : "; ") + failures[i];
    }
    return Fail(ErrorKind::kInvalidArgument, message);
  }
  for (const auto& f : failures) {
    spdlog::error("{} (--continue-on-errors: its requests are rejected)", f);
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::string cached = code_cache ? std::to_string(builder.cached_modules()) +
                                        " from the compiled-code cache"
                                  : "compiled-code cache off";
  spdlog::info("loaded {} policies from {} ({} modules compiled, {}, {} failed) in {} ms",
               definitions.size(), config.policies, builder.compiled_modules(), cached,
               failures.size(), elapsed.count());
  return builder.Finish();
}

}  // namespace kw::server
