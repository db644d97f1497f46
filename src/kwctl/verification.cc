// kwctl's signature verification flags (tooling.md §1.8) and `kwctl verify` (§1.4, §4.2).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "base/files.h"
#include "kwctl/commands.h"
#include "kwctl/paths.h"
#include "kwctl/session.h"
#include "loader/loader.h"
#include "verify/verify.h"

namespace kw::kwctl {
namespace {

namespace fs = std::filesystem;

bool HasFlagConstraints(const SignatureFlags& flags) {
  return !flags.key_paths.empty() || !flags.annotations.empty() || flags.cert_email ||
         flags.cert_oidc_issuer || flags.github_owner || flags.github_repo;
}

Result<verify::VerificationConfig> ConfigFromCommandLine(const SignatureFlags& flags) {
  verify::VerificationFlags parsed;
  for (const std::string& path : flags.key_paths) {
    auto pem = ReadConfigFile(path);
    if (!pem) return std::unexpected(pem.error().Wrap("--verification-key " + path));
    parsed.key_pems.push_back(std::move(*pem));
  }
  for (const std::string& annotation : flags.annotations) {
    const std::size_t equals = annotation.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--verification-annotation '" + annotation + "' is not KEY=VALUE");
    }
    parsed.annotations[annotation.substr(0, equals)] = annotation.substr(equals + 1);
  }
  parsed.cert_email = flags.cert_email;
  parsed.cert_oidc_issuer = flags.cert_oidc_issuer;
  parsed.github_owner = flags.github_owner;
  parsed.github_repo = flags.github_repo;
  return verify::ConfigFromFlags(parsed);
}

}  // namespace

Result<std::optional<verify::VerificationConfig>> VerificationConfigFor(
    const SignatureFlags& flags) {
  if (HasFlagConstraints(flags)) {
    if (flags.verification_config_path) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--verification-config-path cannot be combined with --verification-key, "
                  "--verification-annotation, --cert-email, --cert-oidc-issuer, --github-owner "
                  "or --github-repo");
    }
    KW_ASSIGN_OR_RETURN(verify::VerificationConfig config, ConfigFromCommandLine(flags));
    return config;
  }
  std::string path;
  if (flags.verification_config_path) {
    path = *flags.verification_config_path;
  } else if (std::error_code ec; fs::exists(VerificationConfigPath(), ec)) {
    // As upstream: a config in the default location makes verification mandatory.
    path = VerificationConfigPath();
    spdlog::info("verifying signatures with the default verification config {}", path);
  } else {
    return std::nullopt;
  }
  KW_ASSIGN_OR_RETURN(verify::VerificationConfig config, verify::LoadVerificationConfig(path));
  return config;
}

Result<void> Verify(const VerifyFlags& flags) {
  KW_ASSIGN_OR_RETURN(loader::FetchSettings settings,
                      FetchSettingsFor(flags.registry, flags.signatures));
  if (!settings.verification) {
    return Fail(ErrorKind::kInvalidArgument,
                "could not retrieve sigstore options: give --verification-key, --cert-email with "
                "--cert-oidc-issuer, --github-owner or --verification-config-path, or create " +
                    VerificationConfigPath());
  }
  auto digest = loader::VerifyImage(flags.uri, settings);
  if (!digest) {
    return Fail(digest.error().kind,
                "Policy " + flags.uri + " cannot be validated\n" + digest.error().message);
  }
  spdlog::info("Policy successfully verified ({})", *digest);
  return {};
}

}  // namespace kw::kwctl
