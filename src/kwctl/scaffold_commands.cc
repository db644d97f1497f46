// kwctl scaffold verification-config, manifest, vap and artifacthub: file handling and printing around
// the pure functions of scaffold.h.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/yaml.h"
#include "kwctl/commands.h"
#include "kwctl/paths.h"
#include "kwctl/scaffold.h"
#include "loader/loader.h"
#include "oci/reference.h"
#include "oci/store.h"
#include "policy/annotate.h"

namespace kw::kwctl {
namespace {

void Print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// The first of `names` that exists in the working directory.
std::optional<std::string> FirstExisting(std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* name : names) {
    if (std::filesystem::is_regular_file(name, ec)) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace

Result<void> ScaffoldVerificationConfig() {
  Print(ScaffoldVerificationConfigText(VerificationConfigPath()));
  return {};
}

Result<void> ScaffoldManifest(const ScaffoldManifestFlags& flags) {
  ManifestRequest request;
  KW_ASSIGN_OR_RETURN(request.type, ParseManifestType(flags.type));

  // Settings first: a typo there is reported without reading the module.
  if (flags.settings_path) {
    KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(*flags.settings_path));
    KW_ASSIGN_OR_RETURN(request.settings, ParseManifestSettings(text, *flags.settings_path));
  } else if (flags.settings_json) {
    KW_ASSIGN_OR_RETURN(request.settings,
                        ParseManifestSettings(flags.settings_json, "--settings-json"));
  }

  // Same resolution as `kwctl run`: remote modules are fetched into the store (and verified).
  KW_ASSIGN_OR_RETURN(loader::FetchSettings fetch,
                      FetchSettingsFor(flags.registry, flags.signatures));
  KW_ASSIGN_OR_RETURN(std::string path, loader::ResolveModulePath(flags.policy, fetch));
  // A remote module keeps its normalised URI (registry://...:latest), a file:// URI is kept as
  // given (upstream leaves non-registry URIs alone), a path becomes the URI of its absolute
  // location: each is what a policy-server can load.
  if (loader::IsRemoteModule(flags.policy)) {
    KW_ASSIGN_OR_RETURN(oci::PolicyUri uri, oci::ParsePolicyUri(flags.policy));
    request.module_uri = uri.uri;
  } else {
    request.module_uri = flags.policy.starts_with("file://") ? flags.policy : "file://" + path;
  }

  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, oci::ReadModuleFile(path));
  KW_ASSIGN_OR_RETURN(std::optional<policy::Metadata> metadata, policy::ReadMetadata(bytes));
  if (!metadata) {
    return Fail(ErrorKind::kNotFound,
                "No Kubewarden metadata found inside of '" + flags.policy +
                    "'. Policies can be annotated with the `kwctl annotate` command.");
  }
  request.metadata = std::move(*metadata);
  request.title = flags.title;
  request.allow_context_aware = flags.allow_context_aware;

  KW_ASSIGN_OR_RETURN(Manifest manifest, BuildPolicyManifest(request));
  for (const std::string& warning : manifest.warnings) spdlog::warn("{}", warning);
  Print(JsonToYaml(manifest.resource));
  return {};
}

Result<void> ScaffoldVap(const ScaffoldVapFlags& flags) {
  VapRequest request;
  KW_ASSIGN_OR_RETURN(std::string policy, ReadConfigFile(flags.policy_path));
  KW_ASSIGN_OR_RETURN(request.policy, ParseYamlAsJson(policy, flags.policy_path));
  KW_ASSIGN_OR_RETURN(std::string binding, ReadConfigFile(flags.binding_path));
  KW_ASSIGN_OR_RETURN(request.binding, ParseYamlAsJson(binding, flags.binding_path));
  request.cel_policy_module = flags.cel_policy;
  KW_ASSIGN_OR_RETURN(Manifest manifest, BuildVapManifest(request));
  for (const std::string& warning : manifest.warnings) spdlog::warn("{}", warning);
  Print(JsonToYaml(manifest.resource));
  return {};
}

Result<void> ScaffoldArtifactHub(const ScaffoldArtifactHubFlags& flags) {
  if (flags.version) {
    spdlog::warn("--version is deprecated and ignored: the version is read from the `{}` "
                 "annotation of the metadata",
                 policy::kAnnotationVersion);
  }
  std::optional<std::string> metadata_path = flags.metadata_path;
  if (!metadata_path) metadata_path = FirstExisting({"metadata.yml", "metadata.yaml"});
  if (!metadata_path) {
    return Fail(ErrorKind::kNotFound,
                "cannot find metadata.yml or metadata.yaml in the current directory; pass "
                "--metadata-path");
  }
  KW_ASSIGN_OR_RETURN(std::string metadata_text, ReadConfigFile(*metadata_path));
  auto metadata = policy::MetadataFromYaml(metadata_text);
  if (!metadata) return std::unexpected(metadata.error().Wrap(*metadata_path));

  std::optional<std::string> questions_path = flags.questions_path;
  if (!questions_path) {
    questions_path = FirstExisting(
        {"questions-ui.yml", "questions-ui.yaml", "questions.yml", "questions.yaml"});
  }
  std::optional<std::string> questions;
  if (questions_path) {
    KW_ASSIGN_OR_RETURN(questions, ReadConfigFile(*questions_path));
    // Checked here too (ScaffoldArtifactHubText refuses it as well) to name the file.
    if (questions->find_first_not_of(" \t\r\n") == std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument,
                  "the questions file " + *questions_path + " is empty");
    }
  }

  auto text = ScaffoldArtifactHubText(*metadata, questions, std::chrono::system_clock::now());
  if (!text) return std::unexpected(text.error().Wrap(*metadata_path));
  if (flags.output_path) return WriteFile(*flags.output_path, *text);
  Print(*text);
  return {};
}

}  // namespace kw::kwctl
