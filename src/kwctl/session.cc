#include "kwctl/session.h"

#include <cmath>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/yaml.h"
#include "engine/v8/v8_engine.h"
#include "kwctl/paths.h"
#include "loader/code_cache.h"
#include "loader/loader.h"
#include "policy/metadata.h"

namespace kw::kwctl {
namespace {

constexpr std::string_view kCrdApiVersion = "policies.kubewarden.io/v1";
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

// One policy to evaluate: where its module is and how to run it. A group has no module of its
// own but members, an expression and a message.
struct Definition {
  std::string module_uri;
  evaluator::PolicyConfig config;
  bool trust_metadata_context_aware = false;
  bool is_group = false;
  std::string group_expression;
  std::string group_message;
  std::vector<std::pair<std::string, Definition>> members;
};

std::string StringAt(const json::value& v, std::string_view key, std::string fallback = "") {
  const json::value* x = FindKey(v, key);
  return x && x->is_string() ? std::string(x->as_string()) : fallback;
}

// `spec.module` and `spec.settings` of a policy or of a group member.
Result<void> ReadModuleAndSettings(const std::string& path, const json::value& spec,
                                   Definition& d) {
  d.module_uri = StringAt(spec, "module");
  if (d.module_uri.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                path + ": policy '" + d.config.id + "' has no module");
  }
  if (const json::value* s = FindKey(spec, "settings"); s && !s->is_null()) {
    if (!s->is_object()) {
      return Fail(ErrorKind::kInvalidArgument, "Invalid settings in CRD, not an object");
    }
    d.config.settings = *s;
  }
  return {};
}

// A group CR: its expression, message and members (tooling.md §5.3).
Result<Definition> GroupFromCrd(const std::string& path, Definition d, const json::value& spec) {
  d.is_group = true;
  d.group_expression = StringAt(spec, "expression");
  d.group_message = StringAt(spec, "message");
  if (d.group_expression.empty() || d.group_message.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                path + ": policy group '" + d.config.id + "' needs an expression and a message");
  }
  const json::value* policies = FindKey(spec, "policies");
  if (policies == nullptr || !policies->is_object() || policies->as_object().empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                path + ": policy group '" + d.config.id + "' has no policies");
  }
  for (const auto& [name, member_spec] : policies->as_object()) {
    Definition member;
    member.config.id = d.config.id + "/" + std::string(name);
    KW_TRY(ReadModuleAndSettings(path, member_spec, member));
    d.members.emplace_back(std::string(name), std::move(member));
  }
  return d;
}

// Policy CRs (tooling.md §1.6 step 1). Only what affects evaluation is read.
Result<std::vector<Definition>> DefinitionsFromCrds(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  KW_ASSIGN_OR_RETURN(std::vector<json::value> docs,
                      ParseYamlDocumentsAsJson(text, "invalid YAML in " + path));
  std::vector<Definition> out;
  for (const auto& doc : docs) {
    if (doc.is_null()) continue;
    std::string api_version = StringAt(doc, "apiVersion");
    std::string kind = StringAt(doc, "kind");
    if (api_version != kCrdApiVersion) {
      return Fail(ErrorKind::kInvalidArgument,
                  path + ": unsupported apiVersion '" + api_version + "', expected '" +
                      std::string(kCrdApiVersion) + "'");
    }
    bool is_group = kind == "AdmissionPolicyGroup" || kind == "ClusterAdmissionPolicyGroup";
    if (!is_group && kind != "AdmissionPolicy" && kind != "ClusterAdmissionPolicy") {
      return Fail(ErrorKind::kInvalidArgument, path + ": unsupported kind '" + kind + "'");
    }
    const json::value* spec = FindKey(doc, "spec");
    if (spec == nullptr || !spec->is_object()) {
      return Fail(ErrorKind::kInvalidArgument, path + ": " + kind + " without a spec");
    }
    Definition d;
    const json::value* metadata = FindKey(doc, "metadata");
    d.config.id = metadata ? StringAt(*metadata, "name", "crd-without-name") : "crd-without-name";
    std::string mode = StringAt(*spec, "mode", "protect");
    if (mode != "protect" && mode != "monitor") {
      return Fail(ErrorKind::kInvalidArgument,
                  path + ": policy '" + d.config.id + "' has an invalid mode '" + mode + "'");
    }
    d.config.mode = mode == "monitor" ? evaluator::PolicyMode::kMonitor : evaluator::PolicyMode::kProtect;
    if (is_group) {
      KW_ASSIGN_OR_RETURN(d, GroupFromCrd(path, std::move(d), *spec));
    } else {
      KW_TRY(ReadModuleAndSettings(path, *spec, d));
      if (const json::value* m = FindKey(*spec, "mutating"); m && m->is_bool()) {
        d.config.allowed_to_mutate = m->as_bool();
      }
      if (const json::value* m = FindKey(*spec, "message"); m && m->is_string()) {
        d.config.custom_message = std::string(m->as_string());
      }
    }
    out.push_back(std::move(d));
  }
  if (out.empty()) return Fail(ErrorKind::kInvalidArgument, path + " holds no policy");
  if (out.size() > 1) {
    spdlog::warn("{} holds {} policies: each is evaluated, in order, with the same request",
                 path, out.size());
  }
  return out;
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

}  // namespace

Result<Session> PrepareSession(const RunFlags& flags) {
  std::vector<Definition> definitions;
  bool from_crds = IsYamlPath(flags.policy) && !flags.policy.starts_with("file://") &&
                   std::filesystem::exists(flags.policy);
  if (from_crds) {
    if (flags.raw) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--raw cannot be used with a YAML file of policy definitions");
    }
    if (flags.settings_path || flags.settings_json) {
      spdlog::info("settings flags are ignored: the settings come from the policy definitions");
    }
    KW_ASSIGN_OR_RETURN(definitions, DefinitionsFromCrds(flags.policy));
  } else {
    Definition d;
    d.module_uri = flags.policy;
    d.config.id = "policy-from-cli";
    d.config.allowed_to_mutate = true;
    KW_ASSIGN_OR_RETURN(d.config.settings, LoadSettings(flags));
    d.trust_metadata_context_aware = flags.allow_context_aware;
    definitions.push_back(std::move(d));
  }

  std::optional<policy::ExecutionMode> mode_override;
  if (flags.execution_mode) {
    KW_ASSIGN_OR_RETURN(mode_override, policy::ParseExecutionMode(*flags.execution_mode));
  }
  KW_ASSIGN_OR_RETURN(host::HostCapabilities caps,
                      host::HostCapabilities::Parse(flags.allowed_host_capabilities));
  auto capabilities = std::make_shared<const host::HostCapabilities>(std::move(caps));

  Session session;
  KW_ASSIGN_OR_RETURN(session.engine,
                      engine::CreateV8Engine({.max_memory_pages = flags.memory_limit_mib * 16}));
  KW_ASSIGN_OR_RETURN(session.worker, session.engine->CreateWorker());
  session.evaluator = std::make_unique<evaluator::Evaluator>(
      *session.worker, std::make_shared<const host::Dispatcher>());

  bool raw = flags.raw;
  KW_ASSIGN_OR_RETURN(loader::FetchSettings fetch, FetchSettingsFor(flags.registry, flags.signatures));
  loader::ModuleLoader modules(*session.engine, mode_override, OpenCompiledCache(flags),
                               std::move(fetch));
  auto load = [&](Definition& d) -> Result<evaluator::PolicySharedPtr> {
    KW_ASSIGN_OR_RETURN(runtime::PolicyModuleSharedPtr module, modules.Load(d.module_uri));
    if (const auto& metadata = module->metadata) {
      if (metadata->policy_type == policy::PolicyType::kRaw) raw = true;
      if (!metadata->context_aware_resources.empty() && !d.trust_metadata_context_aware) {
        spdlog::warn(
            "policy {} declares context-aware resources, but it gets no access to them: use "
            "--allow-context-aware to grant it",
            d.config.id);
      }
    }
    d.config.capabilities = capabilities;
    // Rounded up: a timeout under a millisecond must stay a timeout, not become 0 (none).
    d.config.timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>(std::ceil(flags.policy_timeout_seconds * 1000)));
    auto policy = std::make_shared<evaluator::Policy>();
    policy->config = std::move(d.config);
    policy->module = std::move(module);
    return evaluator::PolicySharedPtr(std::move(policy));
  };
  for (auto& d : definitions) {
    if (!d.is_group) {
      KW_ASSIGN_OR_RETURN(evaluator::PolicySharedPtr policy, load(d));
      session.targets.push_back({std::move(policy), nullptr});
      continue;
    }
    std::map<std::string, evaluator::PolicySharedPtr> members;
    for (auto& [name, member] : d.members) {
      KW_ASSIGN_OR_RETURN(members[name], load(member));
    }
    KW_ASSIGN_OR_RETURN(evaluator::PolicyGroupSharedPtr group,
                        loader::BuildGroup(d.config.id, d.config.mode, d.group_message,
                                           d.group_expression, std::move(members)));
    session.targets.push_back({nullptr, std::move(group)});
  }
  spdlog::debug("{} modules compiled, {} loaded from the compiled-code cache",
                modules.compiled_modules(), modules.cached_modules());

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
  return session;
}

admission::SettingsValidationResponse Session::ValidateSettings(const Target& target) {
  return target.policy ? evaluator->ValidateSettings(*target.policy)
                       : evaluator->ValidateSettings(*target.group);
}

void Session::FinishCodeCacheWrites() {
  if (!engine->WaitForCodeCacheWrites(std::chrono::milliseconds(0))) {
    spdlog::debug("waiting for the optimized code of the policies to store it in the cache");
    if (!engine->WaitForCodeCacheWrites(kCodeCacheWriteWait)) {
      spdlog::debug("gave up waiting: the next run compiles the policies again");
    }
  }
}

admission::AdmissionResponse Session::Evaluate(const Target& target) {
  return target.policy
             ? evaluator->Evaluate(*target.policy, request, evaluator::Origin::kValidate)
             : evaluator->Evaluate(*target.group, request, evaluator::Origin::kValidate);
}

}  // namespace kw::kwctl
