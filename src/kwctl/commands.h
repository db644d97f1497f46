// The kwctl subcommands, one function each. They print their results on stdout and return an
// error for main to report; nothing here exits the process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "kwctl/session.h"

namespace kw::kwctl {

Result<void> Run(const RunFlags& flags);

struct BenchFlags {
  RunFlags run;
  double warm_up_seconds = 1;
  double measurement_seconds = 3;
  int num_samples = 50;
  bool dump_results_to_disk = false;
};
Result<void> Bench(const BenchFlags& flags);

struct InspectFlags {
  std::string uri_or_sha_prefix;
  bool yaml_output = false;
  // Also list the cosign signature layers the registry holds for a registry:// policy.
  bool show_signatures = false;
  RegistryFlags registry;  // for --show-signatures
};
// Prints the metadata of a policy on disk: a path, a file:// URI, a URI already in the store or
// the SHA-256 prefix of a stored module (inspect never downloads the module, as upstream), and,
// with show_signatures, its signature manifest's layers ("No sigstore signatures found" when
// the registry has none).
Result<void> Inspect(const InspectFlags& flags);

struct PullFlags {
  std::string uri;
  // A file, or a directory receiving `<dir>/<last path segment of the URI>`; unset: the store.
  std::optional<std::string> output_path;
  RegistryFlags registry;
  SignatureFlags signatures;
};
// Downloads a policy into the store (or to `output_path`); file:// URIs are a no-op. With
// verification (SignatureFlags), the signatures are checked before the download and the module
// against the signed manifest after it.

Result<void> Pull(const PullFlags& flags);

struct PushFlags {
  std::string policy;  // a path, a file:// URI, a stored URI or a SHA-256 prefix
  std::string uri;     // the destination; registry:// optional
  bool force = false;  // push a module without metadata (not a Rego one)
  bool json_output = false;
  RegistryFlags registry;
};
// Pushes a policy and prints its immutable reference (text or {"immutable_ref": ...}).
Result<void> Push(const PushFlags& flags);

// Prints the store's policies as upstream's table (nothing when the store is empty).
Result<void> Policies();

// Removes a stored policy, named by URI or SHA-256 prefix.
Result<void> Rm(const std::string& uri_or_sha_prefix);

struct VerifyFlags {
  std::string uri;  // registry:// or a bare reference
  RegistryFlags registry;
  SignatureFlags signatures;
};
// Checks the signatures of a registry policy without downloading it. Fails ("Policy <uri> cannot
// be validated" and why) when they do not satisfy the verification config, or when there is no
// verification config at all.
Result<void> Verify(const VerifyFlags& flags);

// Prints `<uri>@<manifest digest>` of a registry policy, asking the registry.
Result<void> Digest(const std::string& uri, const RegistryFlags& flags);

// Writes the stored policies `uris_or_sha_prefixes` to a tar.gz (archive.h) at `output_path`.
Result<void> Save(const std::vector<std::string>& uris_or_sha_prefixes,
                  const std::string& output_path);
// Unpacks a `save` archive into the store.
Result<void> Load(const std::string& input_path);

struct AnnotateFlags {
  std::string wasm_path;
  std::string metadata_path;
  std::string output_path;
  std::optional<std::string> usage_path;
};
Result<void> Annotate(const AnnotateFlags& flags);

Result<void> Info();

// Prints the default verification config (tooling.md §4.1).
Result<void> ScaffoldVerificationConfig();

struct ScaffoldManifestFlags {
  std::string policy;  // a local path, a file:// URI, or a remote URI (pulled when missing)
  std::string type;    // ClusterAdmissionPolicy | AdmissionPolicy
  std::optional<std::string> settings_path;
  std::optional<std::string> settings_json;
  std::optional<std::string> title;
  bool allow_context_aware = false;
  RegistryFlags registry;
  SignatureFlags signatures;
};
// Prints the policy custom resource for a policy module (tooling.md §1.4, §5).
Result<void> ScaffoldManifest(const ScaffoldManifestFlags& flags);

struct ScaffoldVapFlags {
  std::string policy_path;   // -p: the ValidatingAdmissionPolicy (YAML or JSON)
  std::string binding_path;  // -b: its ValidatingAdmissionPolicyBinding
  std::string cel_policy;    // --cel-policy: the module
};
// Prints the ClusterAdmissionPolicy running a ValidatingAdmissionPolicy on cel-policy.
Result<void> ScaffoldVap(const ScaffoldVapFlags& flags);

struct ScaffoldArtifactHubFlags {
  // Unset: metadata.yml, else metadata.yaml, in the working directory.
  std::optional<std::string> metadata_path;
  // Unset: the first of questions-ui.yml, questions-ui.yaml, questions.yml, questions.yaml in
  // the working directory, if any.
  std::optional<std::string> questions_path;
  std::optional<std::string> output_path;  // unset: stdout
  // Deprecated and ignored, as upstream: the version is the io.kubewarden.policy.version
  // annotation.
  std::optional<std::string> version;
};
// Prints (or writes) the artifacthub-pkg.yml of a policy (tooling.md §3.5).
Result<void> ScaffoldArtifactHub(const ScaffoldArtifactHubFlags& flags);

Result<void> ScaffoldAdmissionRequest(const std::string& operation, const std::string& object_path,
                                      const std::optional<std::string>& old_object_path);

}  // namespace kw::kwctl
