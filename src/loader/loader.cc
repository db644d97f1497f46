#include "loader/loader.h"

#include <cctype>
#include <filesystem>
#include <set>

#include "base/files.h"

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

Error NotSupportedYet(std::string_view uri) {
  return Error(ErrorKind::kUnimplemented,
               "cannot fetch '" + std::string(uri) +
                   "': pulling policies from registries or HTTP(S) servers is not supported "
                   "yet; download the .wasm file and use its path or a file:// URI");
}

}  // namespace

std::string_view KubewardenVersion() { return kVersion; }

Result<std::string> ResolveModulePath(std::string_view uri) {
  std::string path;
  if (auto scheme = SchemeOf(uri)) {
    if (*scheme != "file") return std::unexpected(NotSupportedYet(uri));
    path = std::string(uri.substr(7));
  } else {
    path = std::string(uri);
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!SchemeOf(uri) && LooksLikeRegistryReference(uri)) {
      return std::unexpected(NotSupportedYet(uri));
    }
    return Fail(ErrorKind::kNotFound, "Cannot find policy with uri: " + std::string(uri));
  }
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

ModuleLoader::ModuleLoader(const engine::Engine& engine,
                           std::optional<policy::ExecutionMode> mode_override,
                           engine::CodeCacheSharedPtr code_cache)
    : engine_(engine), mode_override_(mode_override), code_cache_(std::move(code_cache)) {}

Result<runtime::PolicyModuleSharedPtr> ModuleLoader::Load(std::string_view uri) {
  KW_ASSIGN_OR_RETURN(std::string path, ResolveModulePath(uri));
  auto it = by_path_.find(path);
  if (it == by_path_.end()) it = by_path_.emplace(path, Compile(path)).first;
  if (!it->second) return std::unexpected(it->second.error().Wrap("cannot load policy " + std::string(uri)));
  return *it->second;
}

Result<runtime::PolicyModuleSharedPtr> ModuleLoader::Compile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, ReadBinaryFile(path));
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
  KW_ASSIGN_OR_RETURN(group->expression, evaluator::GroupExpression::Parse(expression, names));
  group->id = std::move(id);
  group->mode = mode;
  group->message = std::move(message);
  group->members = std::move(members);
  return evaluator::PolicyGroupSharedPtr(std::move(group));
}

}  // namespace kw::loader
