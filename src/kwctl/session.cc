#include "kwctl/session.h"

#include <cmath>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/yaml.h"
#include "capabilities/capabilities.h"
#include "engine/v8/v8_engine.h"
#include "kube/resolve.h"
#include "kwctl/paths.h"
#include "loader/code_cache.h"
#include "loader/environment_builder.h"
#include "loader/loader.h"
#include "policy/metadata.h"
#include "policy/policies_config.h"
#include "sandbox/sandbox.h"

namespace kw::kwctl {
namespace {

// How long kwctl waits at exit for the optimized code of what it compiled (about 70 ms for a
// 50 KB policy, 1.3 s for a 2 MB one on two cores). Past this, the next run compiles again.
constexpr std::chrono::seconds kCodeCacheWriteWait(10);

bool IsYamlPath(std::string_view path) {
  return path.ends_with(".yaml") || path.ends_with(".yml");
}

Result<json::value> LoadSettings(const RunFlags& flags) {
  json::value settings = json::object();
  if (flags.settings_path) {
    KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(*flags.settings_path));
    KW_ASSIGN_OR_RETURN(settings, ParseYamlAsJson(text, "invalid settings file " + *flags.settings_path));
  } else if (flags.settings_json) {
    KW_ASSIGN_OR_RETURN(settings, ParseJson(*flags.settings_json, "invalid --settings-json"));
  }
  if (settings.is_null()) settings = json::object();
  if (!settings.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "Invalid settings, not an object");
  }
  return settings;
}

// Policy resources (tooling.md §1.6 step 1), their warnings logged.
Result<std::vector<policy::PolicyDefinition>> DefinitionsFromResources(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  KW_ASSIGN_OR_RETURN(policy::PoliciesConfig parsed, policy::ParsePolicyResources(text, path));
  for (const std::string& warning : parsed.warnings) spdlog::warn("{}", warning);
  if (parsed.definitions.size() > 1) {
    spdlog::warn("{} holds {} policies: each is evaluated, in order, with the same request",
                 path, parsed.definitions.size());
  }
  return std::move(parsed.definitions);
}

// The policy of the command line: upstream's id, allowed to mutate, no custom message.
Result<policy::PolicyDefinition> DefinitionFromFlags(const RunFlags& flags) {
  policy::PolicyEntry entry;
  entry.module.module = flags.policy;
  KW_ASSIGN_OR_RETURN(entry.module.settings, LoadSettings(flags));
  entry.allowed_to_mutate = true;
  return policy::PolicyDefinition{"policy-from-cli", std::move(entry)};
}

// The compiled-code cache, or none: a cache that cannot be used only makes kwctl slower.
engine::CodeCacheSharedPtr OpenCompiledCache(const RunFlags& flags) {
  if (flags.disable_compiled_cache) return nullptr;
  auto cache = loader::CodeCacheDirectory::Open(flags.compiled_cache_dir.value_or(CompiledCacheDir()));
  if (!cache) {
    spdlog::warn("{}; running without the compiled-code cache", cache.error().message);
    return nullptr;
  }
  return *cache;
}

// The cluster, when a policy may read it: with --allow-context-aware (resources from the
// metadata) or policy definitions granting contextAwareResources. As upstream, no client is made
// otherwise, so kubernetes/can_i then answers kube::kNoClientMessage.
Result<std::shared_ptr<capabilities::Cluster>> ClusterFor(
    const RunFlags& flags, const std::vector<policy::PolicyDefinition>& definitions) {
  bool wanted = flags.allow_context_aware;
  for (const policy::PolicyDefinition& definition : definitions) {
    for (const policy::PolicyModuleConfig* module : definition.Modules()) {
      wanted = wanted || !module->context_aware_resources.empty();
    }
  }
  if (!wanted) return std::make_shared<capabilities::Cluster>(nullptr);
  auto client = kube::ConnectToCluster({flags.kubeconfig, ""});
  if (!client) return std::unexpected(client.error().Wrap("cannot connect to Kubernetes"));
  return std::make_shared<capabilities::Cluster>(std::move(*client));
}

}  // namespace

Result<Session> PrepareSession(const RunFlags& flags) {
  Session session;
  // A malformed session is refused before anything is downloaded or compiled.
  if (flags.replay_host_capabilities) {
    KW_ASSIGN_OR_RETURN(session.replayer,
                        capabilities::SessionReplayer::Load(*flags.replay_host_capabilities));
  }
  std::vector<policy::PolicyDefinition> definitions;
  bool from_resources = IsYamlPath(flags.policy) && !flags.policy.starts_with("file://") &&
                        std::filesystem::exists(flags.policy);
  if (from_resources) {
    if (flags.raw) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--raw cannot be used with a YAML file of policy definitions");
    }
    if (flags.settings_path || flags.settings_json) {
      spdlog::info("settings flags are ignored: the settings come from the policy definitions");
    }
    KW_ASSIGN_OR_RETURN(definitions, DefinitionsFromResources(flags.policy));
  } else {
    KW_ASSIGN_OR_RETURN(policy::PolicyDefinition d, DefinitionFromFlags(flags));
    definitions.push_back(std::move(d));
  }

  loader::EnvironmentOptions options;
  options.source = from_resources ? flags.policy : "command line";
  if (flags.execution_mode) {
    KW_ASSIGN_OR_RETURN(options.mode_override, policy::ParseExecutionMode(*flags.execution_mode));
  }
  options.host_capabilities_override = flags.allowed_host_capabilities;
  options.context_aware_from_metadata = flags.allow_context_aware;
  // Rounded up: a timeout under a millisecond must stay a timeout, not become 0 (none).
  options.default_timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::ceil(flags.policy_timeout_seconds * 1000)));

  KW_ASSIGN_OR_RETURN(session.engine,
                      engine::CreateV8Engine({.max_memory_pages = flags.memory_limit_mib * 16}));
  KW_ASSIGN_OR_RETURN(session.worker, session.engine->CreateWorker());
  KW_ASSIGN_OR_RETURN(loader::FetchSettings fetch, FetchSettingsFor(flags.registry, flags.signatures));
  if (flags.record_host_capabilities) {
    KW_ASSIGN_OR_RETURN(session.recorder,
                        capabilities::SessionRecorder::Create(*flags.record_host_capabilities));
  }
  // As upstream, a replay builds no Kubernetes client.
  std::shared_ptr<capabilities::Cluster> cluster;
  if (!session.replayer) {
    KW_ASSIGN_OR_RETURN(cluster, ClusterFor(flags, definitions));
  }
  // Policies reach registries through the oci host capabilities as kwctl itself does.
  session.evaluator = std::make_unique<evaluator::Evaluator>(
      *session.worker, capabilities::MakeDispatcher({.cluster = std::move(cluster),
                                                     .oci = capabilities::OciOptionsFrom(fetch),
                                                     .recorder = session.recorder,
                                                     .replayer = session.replayer}));

  loader::EnvironmentBuilder builder(*session.engine, OpenCompiledCache(flags), std::move(fetch),
                                     std::move(options));
  // Settings are validated by run and bench themselves, each with upstream's message.
  loader::BuildResult built = builder.Build(definitions, nullptr, {}, "");
  if (!built.failures.empty()) {
    return Fail(ErrorKind::kInvalidArgument, built.failures.front().message);
  }
  spdlog::debug("{} modules compiled, {} loaded from the compiled-code cache",
                built.compiled_modules, built.cached_modules);
  session.environment = std::move(built.environment);

  bool raw = flags.raw;
  for (const evaluator::EnvironmentEntry& entry : session.environment->entries()) {
    if (entry.member) continue;
    session.targets.push_back(&entry);
    for (const auto& policy : entry.Policies()) {
      const auto& metadata = policy->module->metadata;
      if (!metadata) continue;
      if (metadata->policy_type == policy::PolicyType::kRaw) raw = true;
      if (!metadata->context_aware_resources.empty() && !flags.allow_context_aware) {
        spdlog::warn(
            "policy {} declares context-aware resources, but it gets no access to them: use "
            "--allow-context-aware to grant it",
            policy->config.id);
      }
    }
  }

  // A request is capped like a configuration file: 4 MiB is twice what policy-server accepts.
  std::string request_text;
  if (flags.request_path == "-") {
    KW_ASSIGN_OR_RETURN(request_text, ReadStdin(kMaxConfigFileBytes));
  } else {
    KW_ASSIGN_OR_RETURN(request_text, ReadConfigFile(flags.request_path));
  }
  auto request = admission::ParseKwctlRequest(request_text, raw);
  if (!request) {
    return std::unexpected(request.error().Wrap("invalid request " + flags.request_path));
  }
  session.request = std::move(*request);
  if (!flags.disable_seccomp) {
    if (auto confined = sandbox::RestrictSystemCalls(); !confined) {
      return std::unexpected(confined.error().Wrap(
          "cannot confine the process (--disable-seccomp evaluates without the filter)"));
    }
  }
  return session;
}

admission::SettingsValidationResponse Session::ValidateSettings(
    const evaluator::EnvironmentEntry& target) {
  return evaluator->ValidateSettings(target);
}

void Session::FinishCodeCacheWrites() {
  if (!engine->WaitForCodeCacheWrites(std::chrono::milliseconds(0))) {
    spdlog::debug("waiting for the optimized code of the policies to store it in the cache");
    if (!engine->WaitForCodeCacheWrites(kCodeCacheWriteWait)) {
      spdlog::debug("gave up waiting: the next run compiles the policies again");
    }
  }
}

Result<void> Session::FinishHostCapabilitiesSession() {
  if (replayer) replayer->LogLeftovers();
  if (recorder) return recorder->Finish();
  return {};
}

admission::AdmissionResponse Session::Evaluate(const evaluator::EnvironmentEntry& target) {
  return evaluator->Evaluate(*environment, target, request, evaluator::Origin::kValidate);
}

}  // namespace kw::kwctl
