#include "server/served_policies.h"

#include <chrono>
#include <condition_variable>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/json.h"
#include "base/sha256.h"
#include "loader/code_cache.h"
#include "loader/fetch_settings.h"
#include "policy/policies_config.h"
#include "verify/config.h"

namespace kw::server {
namespace {

using evaluator::EntryState;
using evaluator::EnvironmentEntry;

// How long the policies file must stay quiet before it is read: a file written in several
// chunks, or a ConfigMap update (which creates a directory, links it, then renames the link), is
// read once, whole.
constexpr std::chrono::milliseconds kSettleTime{100};

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

loader::EnvironmentOptions EnvironmentOptionsOf(const Config& config) {
  loader::EnvironmentOptions options;
  options.source = config.policies;
  options.default_timeout =
      std::chrono::seconds(std::min<std::uint64_t>(config.policy_timeout_seconds, 1'000'000'000));
  options.timeouts_disabled = config.disable_timeout_protection;
  return options;
}

Result<PoliciesFile> ParsePoliciesText(std::string_view text, const std::string& source) {
  KW_ASSIGN_OR_RETURN(policy::PoliciesConfig parsed, policy::ParsePoliciesConfig(text, source));
  for (const std::string& warning : parsed.warnings) spdlog::warn("{}", warning);
  return PoliciesFile{std::move(parsed.definitions), "sha256:" + Sha256Hex(Sha256(AsBytes(text)))};
}

Result<PoliciesFile> ReadPoliciesFile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParsePoliciesText(text, path);
}

std::string FailureList(const std::vector<loader::LoadFailure>& failures) {
  std::string message;
  for (const auto& f : failures) {
    message += (message.empty() ? "" : "; ") + ("policy '" + f.id + "': " + f.message);
  }
  return message;
}

std::string CachedSummary(const loader::BuildResult& built, bool cache_on) {
  return cache_on ? std::to_string(built.cached_modules) + " from the compiled-code cache"
                  : "compiled-code cache off";
}

}  // namespace

Result<loader::FetchSettings> FetchSettingsOf(const Config& config) {
  loader::FetchConfig fetch;
  fetch.store_root = config.policies_download_dir;
  fetch.sources_path = config.sources_path;
  fetch.proxy_precedence = loader::ProxyPrecedence::kSourcesFileWins;
  fetch.docker_config = config.docker_config_json_path;
  if (config.verification_path) {
    auto verification = verify::LoadVerificationConfig(*config.verification_path);
    if (!verification) return std::unexpected(verification.error().Wrap("--verification-path"));
    fetch.verification = std::move(*verification);
  }
  fetch.trust_config_path = config.sigstore_trust_config;
  return loader::MakeFetchSettings(std::move(fetch));
}

Result<std::unique_ptr<ServedPolicies>> ServedPolicies::Load(const Config& config,
                                                             loader::FetchSettings fetch,
                                                             const engine::Engine& engine,
                                                             WorkerPool& pool,
                                                             metrics::Registry* metrics) {
  auto started = std::chrono::steady_clock::now();
  std::optional<FileIdentity> file = IdentifyFile(config.policies);
  KW_ASSIGN_OR_RETURN(PoliciesFile policies, ReadPoliciesFile(config.policies));
  engine::CodeCacheSharedPtr code_cache = OpenCompiledCache(config);
  const bool cache_on = code_cache != nullptr;
  auto builder = std::make_unique<loader::EnvironmentBuilder>(
      engine, std::move(code_cache), std::move(fetch), EnvironmentOptionsOf(config));
  std::unique_ptr<ServedPolicies> served(
      new ServedPolicies(config, pool, metrics, std::move(builder)));
  loader::BuildResult built =
      served->builder_->Build(policies.definitions, nullptr, served->Validator(), policies.version);

  for (const auto& f : built.failures) {
    // Not the policy's fault but the file's: upstream refuses to start whatever the flags say.
    if (f.kind == loader::FailureKind::kConfiguration) {
      return Fail(ErrorKind::kInvalidArgument, f.message);
    }
  }
  if (!built.failures.empty() && !config.continue_on_errors) {
    return Fail(ErrorKind::kInvalidArgument, FailureList(built.failures));
  }
  for (const auto& f : built.failures) {
    spdlog::error("policy '{}': {} (--continue-on-errors: its requests are rejected)", f.id,
                  f.message);
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  spdlog::info("loaded {} policies from {} ({} modules compiled, {}, {} failed) in {} ms",
               policies.definitions.size(), config.policies, built.compiled_modules,
               CachedSummary(built, cache_on), built.failures.size(), elapsed.count());
  served->loaded_file_ = file;
  served->Serve(std::move(built.environment));
  return served;
}

ServedPolicies::ServedPolicies(const Config& config, WorkerPool& pool, metrics::Registry* metrics,
                               std::unique_ptr<loader::EnvironmentBuilder> builder)
    : config_(config), pool_(pool), metrics_(metrics), builder_(std::move(builder)) {}

ServedPolicies::~ServedPolicies() { StopFollowing(); }

void ServedPolicies::Follow() {
  if (watcher_) return;
  watcher_ = FileWatcher::Start({config_.policies}, kSettleTime, [this] { return Reload(); },
                                "policies file");
}

void ServedPolicies::StopFollowing() { watcher_.reset(); }

bool ServedPolicies::Reload() {
  std::lock_guard lock(reload_mutex_);
  std::optional<FileIdentity> file = IdentifyFile(config_.policies);
  if (!file || file == loaded_file_) return true;  // gone for now, or not changed
  // A file rewritten in place may be read between its truncation and its new content, or half
  // written: a file modified within the settle time, or modified while it was read, is looked at
  // again later rather than taken as it is.
  const auto modified = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(file->modified_ns)));
  if (std::chrono::system_clock::now() - modified < kSettleTime) return false;
  auto policies = ReadPoliciesFile(config_.policies);
  if (IdentifyFile(config_.policies) != file) return false;
  loaded_file_ = file;
  Rebuild(std::move(policies), config_.policies);
  return true;
}

evaluator::EnvironmentSharedPtr ServedPolicies::ReloadText(std::string_view text,
                                                           const std::string& source) {
  std::lock_guard lock(reload_mutex_);
  Rebuild(ParsePoliciesText(text, source), source);
  return Current();
}

void ServedPolicies::Rebuild(Result<PoliciesFile> policies, const std::string& source) {
  auto started = std::chrono::steady_clock::now();
  if (!policies) {
    spdlog::error("cannot reload the policies: {}; still serving the policies of {}",
                  policies.error().message, Current()->version());
    return;
  }
  evaluator::EnvironmentSharedPtr previous = Current();
  if (policies->version == previous->version()) return;  // touched, not changed
  loader::BuildResult built =
      builder_->Build(policies->definitions, previous.get(), Validator(), policies->version);
  for (const auto& f : built.failures) {
    const EnvironmentEntry* entry = built.environment->Find(f.id);
    bool last_good = entry != nullptr && entry->state() == EntryState::kLastGood;
    spdlog::error("policy '{}': {} ({})", f.id, f.message,
                  last_good ? "serving its last good version"
                            : "its requests are rejected");
  }
  std::string version = built.environment->version();
  Serve(std::move(built.environment));
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  spdlog::info(
      "reloaded {} policies from {} ({}): {} unchanged, {} modules compiled, {}, {} failed, in "
      "{} ms",
      policies->definitions.size(), source, version, built.reused_entries,
      built.compiled_modules, CachedSummary(built, !config_.disable_compiled_cache),
      built.failures.size(), elapsed.count());
}

void ServedPolicies::Serve(evaluator::EnvironmentSharedPtr environment) {
  if (metrics_ != nullptr) {
    std::vector<metrics::PolicyState> states;
    for (const EnvironmentEntry& e : environment->entries()) {
      states.push_back({e.id, std::string(evaluator::EntryStateName(e.state()))});
    }
    metrics_->SetServedPolicies(environment->version(), environment->generation(),
                                std::move(states));
  }
  current_.store(std::move(environment));
}

loader::SettingsValidator ServedPolicies::Validator() {
  // One task per entry, spread over the pool; the build waits for all of them.
  return [this](const std::vector<const EnvironmentEntry*>& entries) {
    struct Pending {
      std::mutex mutex;
      std::condition_variable done;
      std::size_t remaining = 0;
      std::vector<admission::SettingsValidationResponse> results;
    };
    auto pending = std::make_shared<Pending>();
    pending->remaining = entries.size();
    pending->results.resize(entries.size());
    // What the workers keep besides what is served: the policies being validated, whose warm
    // instances serve their first requests once the new environment is in.
    auto building = std::make_shared<std::vector<std::uint64_t>>();
    for (const EnvironmentEntry* e : entries) {
      for (const auto& p : e->Policies()) building->push_back(p->key.value());
    }
    evaluator::EnvironmentSharedPtr served = current_.load();  // null at start-up
    // The entries outlive the tasks: the build waits for every result below.
    for (std::size_t i = 0; i < entries.size(); ++i) {
      pool_.Run([pending, i, entry = entries[i], served,
                 building](evaluator::Evaluator& evaluator) {
        if (served) evaluator.Retain(*served, *building);
        auto result = evaluator.ValidateSettings(*entry);
        std::lock_guard lock(pending->mutex);
        pending->results[i] = std::move(result);
        if (--pending->remaining == 0) pending->done.notify_all();
      });
    }
    std::unique_lock lock(pending->mutex);
    pending->done.wait(lock, [&] { return pending->remaining == 0; });
    return pending->results;
  };
}

std::string ServedPolicies::StatusJson() const {
  evaluator::EnvironmentSharedPtr environment = Current();
  json::object policies;
  for (const EnvironmentEntry& e : environment->entries()) {
    json::object status;
    status["state"] = evaluator::EntryStateName(e.state());
    if (e.error) status["error"] = *e.error;
    policies[e.id] = std::move(status);
  }
  json::object body;
  body["version"] = environment->version();
  body["generation"] = environment->generation();
  body["policies"] = std::move(policies);
  return json::serialize(body);
}

}  // namespace kw::server
