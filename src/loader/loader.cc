#include "loader/loader.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <set>
#include <thread>

#include "base/files.h"
#include "loader/registry_signatures.h"
#include "oci/fetch.h"
#include "oci/reference.h"
#include "verify/verify.h"

namespace kw::loader {
namespace {

constexpr std::string_view kVersion = KW_VERSION;

// `scheme://...` with a URL scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
std::optional<std::string_view> SchemeOf(std::string_view uri) {
  std::size_t sep = uri.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string_view scheme = uri.substr(0, sep);
  if (!std::isalpha(static_cast<unsigned char>(scheme[0]))) return std::nullopt;
  for (char c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  return scheme;
}

// `ghcr.io/org/policy:v1`, `localhost:5000/p:v1`: a relative reference whose first segment is a
// host. Upstream re-reads any module that is not a URL as `registry://<module>`.
bool LooksLikeRegistryReference(std::string_view uri) {
  std::size_t slash = uri.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  std::string_view host = uri.substr(0, slash);
  if (host == "." || host == "..") return false;
  return host == "localhost" || host.find('.') != std::string_view::npos ||
         host.find(':') != std::string_view::npos;
}

oci::FetchOptions FetchOptionsOf(const FetchSettings& settings) {
  oci::FetchOptions options;
  if (!settings.store_root.empty()) options.store_root = settings.store_root;
  options.registry.sources = settings.sources;
  if (!settings.docker_config_dir.empty()) {
    options.registry.docker_config_dir = settings.docker_config_dir;
  }
  options.registry.on_module_progress = settings.on_module_progress;
  return options;
}

// tooling.md §4.2 steps 1-5: the manifest digest D of the reference, and the signatures of D
// checked against the config. The client is the caller's, so the pull that follows reuses its
// connections and tokens.
Result<std::string> VerifyWith(oci::RegistryClient& client, const oci::Reference& ref,
                               const FetchSettings& settings) {
  KW_ASSIGN_OR_RETURN(std::string digest, client.ManifestDigest(ref));
  RegistrySignatureSource source(client);
  KW_ASSIGN_OR_RETURN(verify::VerifiedImage verified,
                      verify::Verify(*settings.verification, source, ref.Whole(), digest,
                                     {.trust_root = settings.trust_root.get()}));
  return verified.digest;
}

Result<oci::PolicyUri> RegistryUriToVerify(std::string_view uri) {
  KW_ASSIGN_OR_RETURN(oci::PolicyUri parsed, oci::ParsePolicyUri(uri));
  if (parsed.scheme != oci::Scheme::kRegistry) {
    return Fail(ErrorKind::kInvalidArgument,
                "Image verification failed: only registry:// policies can carry signatures, and "
                "a verification config is in use");
  }
  return parsed;
}

// §4.2 step 6: after the signatures hold for D, the module is fetched and the file on disk
// (downloaded now or found in the store) must be the wasm layer of manifest D, so that what runs
// is what was signed even if the tag moved between the two steps.
Result<std::string> FetchVerified(std::string_view uri, const oci::FetchOptions& options,
                                  const FetchSettings& settings) {
  KW_ASSIGN_OR_RETURN(oci::PolicyUri parsed, RegistryUriToVerify(uri));
  const oci::Reference& ref = *parsed.reference;
  KW_ASSIGN_OR_RETURN(auto client, oci::RegistryClient::Create(options.registry));
  KW_ASSIGN_OR_RETURN(std::string verified_digest, VerifyWith(*client, ref, settings));
  KW_ASSIGN_OR_RETURN(oci::FetchedPolicy fetched, oci::Fetch(parsed.uri, options));
  oci::Reference pinned = ref;
  pinned.tag.reset();
  pinned.digest = verified_digest;
  KW_ASSIGN_OR_RETURN(oci::PulledManifest manifest, client->PullManifest(pinned));
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, oci::ReadModuleFile(fetched.path));
  KW_TRY(verify::CheckLocalDigest(verified_digest, manifest.bytes, bytes));
  return fetched.path;
}

Result<std::string> FetchRemote(std::string_view uri, const FetchSettings& settings) {
  const oci::FetchOptions options = FetchOptionsOf(settings);
  if (settings.verification) return FetchVerified(uri, options, settings);
  KW_ASSIGN_OR_RETURN(oci::PolicyUri parsed, oci::ParsePolicyUri(uri));
  KW_ASSIGN_OR_RETURN(oci::FetchedPolicy fetched, oci::Fetch(parsed.uri, options));
  return fetched.path;
}

}  // namespace

std::string_view KubewardenVersion() { return kVersion; }

bool IsRemoteModule(std::string_view uri) {
  if (auto scheme = SchemeOf(uri)) return *scheme != "file";
  std::error_code ec;
  return LooksLikeRegistryReference(uri) && !std::filesystem::exists(std::string(uri), ec);
}

Result<std::string> VerifyImage(std::string_view uri, const FetchSettings& settings) {
  if (!settings.verification) {
    return Fail(ErrorKind::kInvalidArgument, "no verification config to verify the image against");
  }
  KW_ASSIGN_OR_RETURN(oci::PolicyUri parsed, RegistryUriToVerify(uri));
  KW_ASSIGN_OR_RETURN(auto client, oci::RegistryClient::Create(FetchOptionsOf(settings).registry));
  return VerifyWith(*client, *parsed.reference, settings);
}

Result<std::string> ResolveModulePath(std::string_view uri, const FetchSettings& settings) {
  if (IsRemoteModule(uri)) {
    auto path = FetchRemote(uri, settings);
    if (!path) return std::unexpected(path.error().Wrap("cannot fetch policy " + std::string(uri)));
    return path;
  }
  std::string path(SchemeOf(uri) ? uri.substr(7) : uri);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Fail(ErrorKind::kNotFound, "Cannot find policy with uri: " + std::string(uri));
  }
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

ModuleLoader::ModuleLoader(const engine::Engine& engine,
                           std::optional<policy::ExecutionMode> mode_override,
                           engine::CodeCacheSharedPtr code_cache, FetchSettings fetch)
    : engine_(engine),
      mode_override_(mode_override),
      code_cache_(std::move(code_cache)),
      fetch_(std::move(fetch)) {}

void ModuleLoader::Prefetch(const std::vector<std::string>& uris, std::size_t parallelism) {
  std::vector<std::string> pending;
  for (const auto& uri : uris) {
    if (!IsRemoteModule(uri)) continue;
    if (auto it = fetched_.find(uri); it != fetched_.end()) {
      it->second.used = true;
      continue;
    }
    if (std::find(pending.begin(), pending.end(), uri) == pending.end()) pending.push_back(uri);
  }
  if (pending.empty()) return;
  std::vector<std::optional<Result<std::string>>> results(pending.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < pending.size(); i = next++) {
      results[i] = ResolveModulePath(pending[i], fetch_);
    }
  };
  std::vector<std::jthread> threads;
  std::size_t count = std::min(std::max<std::size_t>(parallelism, 1), pending.size());
  for (std::size_t t = 1; t < count; ++t) threads.emplace_back(work);
  work();
  threads.clear();  // joins
  for (std::size_t i = 0; i < pending.size(); ++i) {
    fetched_.emplace(pending[i], Fetched{std::move(*results[i])});
  }
}

Result<std::string> ModuleLoader::Resolve(std::string_view uri) {
  if (auto it = fetched_.find(uri); it != fetched_.end()) {
    it->second.used = true;
    return it->second.path;
  }
  auto path = ResolveModulePath(uri, fetch_);
  // Remembered so that every policy using a remote module shares one fetch and one failure.
  if (IsRemoteModule(uri)) fetched_.emplace(std::string(uri), Fetched{path});
  return path;
}

Result<runtime::PolicyModuleSharedPtr> ModuleLoader::Load(std::string_view uri) {
  KW_ASSIGN_OR_RETURN(std::string path, Resolve(uri));
  std::optional<FileIdentity> file = IdentifyFile(path);
  auto it = by_path_.find(path);
  if (it == by_path_.end()) {
    it = by_path_.emplace(path, Compiled{file, Compile(path)}).first;
  } else if (it->second.file != file) {
    it->second = Compiled{file, Compile(path)};
  }
  it->second.used = true;
  const auto& module = it->second.module;
  if (!module) return std::unexpected(module.error().Wrap("cannot load policy " + std::string(uri)));
  return *module;
}

void ModuleLoader::BeginRound() {
  std::erase_if(fetched_, [](auto& entry) { return !entry.second.path; });
  std::erase_if(by_path_, [](auto& entry) { return !entry.second.module; });
  for (auto& [uri, fetched] : fetched_) fetched.used = false;
  for (auto& [path, compiled] : by_path_) compiled.used = false;
  compiled_ = 0;
  cached_ = 0;
}

void ModuleLoader::EndRound() {
  std::erase_if(fetched_, [](auto& entry) { return !entry.second.used; });
  std::erase_if(by_path_, [](auto& entry) { return !entry.second.used; });
}

Result<runtime::PolicyModuleSharedPtr> ModuleLoader::Compile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, oci::ReadModuleFile(path));
  KW_ASSIGN_OR_RETURN(runtime::PolicyModuleSharedPtr module,
                      runtime::LoadPolicyModule(engine_, bytes, mode_override_,
                                                {.code_cache = code_cache_}));
  if (module->metadata) KW_TRY(policy::CheckMinimumKubewardenVersion(*module->metadata, kVersion));
  if (module->module->from_code_cache()) {
    ++cached_;
  } else {
    ++compiled_;
  }
  return module;
}

Result<evaluator::PolicyGroupSharedPtr> BuildGroup(
    std::string id, evaluator::PolicyMode mode, std::string message, std::string_view expression,
    std::map<std::string, evaluator::PolicySharedPtr> members) {
  std::set<std::string> names;
  for (const auto& [name, member] : members) names.insert(name);
  auto group = std::make_shared<evaluator::PolicyGroup>();
  KW_ASSIGN_OR_RETURN(group->expression, policy::GroupExpression::Parse(expression, names));
  group->id = std::move(id);
  group->mode = mode;
  group->message = std::move(message);
  group->members = std::move(members);
  return evaluator::PolicyGroupSharedPtr(std::move(group));
}

}  // namespace kw::loader
