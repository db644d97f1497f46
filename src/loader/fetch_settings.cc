#include "loader/fetch_settings.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "net/proxy.h"
#include "oci/sources.h"
#include "verify/verify.h"

namespace kw::loader {
namespace {

namespace fs = std::filesystem;

Result<oci::Sources> SourcesOf(const FetchConfig& config) {
  if (config.sources_path) {
    auto sources = oci::LoadSources(*config.sources_path);
    if (!sources) return std::unexpected(sources.error().Wrap("--sources-path"));
    return sources;
  }
  if (std::error_code ec;
      config.default_sources_path && fs::exists(*config.default_sources_path, ec)) {
    // The default sources file is read whenever it exists, as upstream does.
    auto sources = oci::LoadSources(*config.default_sources_path);
    if (!sources) return std::unexpected(sources.error().Wrap(*config.default_sources_path));
    return sources;
  }
  return oci::Sources();
}

std::string DockerConfigDir(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return fs::path(path).parent_path().string();
  if (!fs::exists(path + "/config.json", ec)) {
    spdlog::warn("{}/config.json does not exist: registries are accessed anonymously", path);
  }
  return path;
}

Result<std::shared_ptr<const verify::TrustRoot>> TrustRootOf(const FetchConfig& config) {
  if (config.trust_config_path) {
    auto root = verify::TrustRoot::Load(*config.trust_config_path);
    if (root) return std::shared_ptr<const verify::TrustRoot>(std::move(*root));
    if (config.trust_config_required) {
      return std::unexpected(root.error().Wrap("--sigstore-trust-config"));
    }
    spdlog::warn("--sigstore-trust-config: {}; keyless signatures cannot be verified",
                 root.error().message);
    return nullptr;
  }
  if (std::error_code ec;
      config.default_trust_config_path && fs::exists(*config.default_trust_config_path, ec)) {
    auto root = verify::TrustRoot::Load(*config.default_trust_config_path);
    if (root) return std::shared_ptr<const verify::TrustRoot>(std::move(*root));
    spdlog::warn("{}: {}", *config.default_trust_config_path, root.error().message);
  }
  if (config.verification && verify::HasKeylessConstraints(*config.verification)) {
    spdlog::warn(
        "no Sigstore trust root (--sigstore-trust-config): the keyless constraints "
        "(genericIssuer, githubAction) of the verification config cannot be satisfied");
  }
  return nullptr;
}

}  // namespace

Result<FetchSettings> MakeFetchSettings(FetchConfig config) {
  FetchSettings settings;
  settings.store_root = std::move(config.store_root);
  KW_ASSIGN_OR_RETURN(settings.sources, SourcesOf(config));
  const net::ProxySettings environment = net::ProxySettingsFromEnvironment();
  settings.sources.proxies = config.proxy_precedence == ProxyPrecedence::kEnvironmentWins
                                 ? net::Overlay(settings.sources.proxies, environment)
                                 : net::Overlay(environment, settings.sources.proxies);
  if (config.docker_config) settings.docker_config_dir = DockerConfigDir(*config.docker_config);
  // Loaded even without a verification config: policies verify images through the oci host
  // capabilities with it.
  KW_ASSIGN_OR_RETURN(settings.trust_root, TrustRootOf(config));
  settings.verification = std::move(config.verification);
  return settings;
}

}  // namespace kw::loader
