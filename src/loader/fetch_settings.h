// How remote modules are fetched, built one way for every binary from what its flags say
// (policy-server.md §2.1, tooling.md §1.1, §1.8, §2.4, §4). What differs between kwctl and
// policy-server is a parameter, not a copy:
//   - proxies: both the proxy variables (HTTPS_PROXY, ...) and the sources file's `proxies` may
//     set them; kwctl lets the variables win (upstream's quirk), policy-server the file, field by
//     field either way;
//   - kwctl also reads its default sources file when it exists, and the Sigstore trust root an
//     upstream kwctl cached, and refuses an explicit trust root that does not load, where
//     policy-server only warns (keyless constraints then fail at verification).
// The verification config itself is the caller's: kwctl builds it from flags or a file,
// policy-server reads --verification-path.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "loader/loader.h"
#include "verify/config.h"

namespace kw::loader {

enum class ProxyPrecedence { kEnvironmentWins, kSourcesFileWins };

struct FetchConfig {
  std::string store_root;  // empty: oci::Store::DefaultRoot()
  // An explicit sources file (--sources-path): it must load.
  std::optional<std::string> sources_path;
  // Read when there is no explicit one and it exists (kwctl's <config dir>/sources.yaml).
  std::optional<std::string> default_sources_path;
  ProxyPrecedence proxy_precedence = ProxyPrecedence::kSourcesFileWins;
  // The directory of docker's config.json (the file itself is accepted too, for its directory).
  std::optional<std::string> docker_config;
  std::optional<verify::VerificationConfig> verification;
  // --sigstore-trust-config, and whether it must load.
  std::optional<std::string> trust_config_path;
  bool trust_config_required = false;
  // Tried when there is no explicit one and it exists; a failure is a warning.
  std::optional<std::string> default_trust_config_path;
};

// Errors: a sources file that does not load ("--sources-path: ..." or "<path>: ..."), a required
// trust root that does not load ("--sigstore-trust-config: ..."). Warnings are logged.
Result<FetchSettings> MakeFetchSettings(FetchConfig config);

}  // namespace kw::loader
