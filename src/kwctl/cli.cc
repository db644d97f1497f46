// Flag parsing for kwctl (CLI11), mapping each subcommand onto its function in commands.h.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/completions.h"
#include "cli/flags.h"
#include "cli/log_format.h"
#include "kwctl/commands.h"
#include "kwctl/explain_text.h"
#include "kwctl/kwctl.h"
#include "kwctl/scaffold.h"

namespace kw::kwctl {
namespace {

constexpr const char* kVersion = KW_VERSION;

void AddRunFlags(CLI::App* cmd, RunFlags& f) {
  cmd->add_option("policy", f.policy,
                  "The policy: a local path, a file:// URI, a registry:// or https:// URI, a "
                  "registry reference (ghcr.io/org/policy:v1), or a .yaml/.yml file of policy "
                  "CRs")
      ->required();
  cmd->add_option("-r,--request-path", f.request_path,
                  "File containing the AdmissionReview or AdmissionRequest (`-` for stdin)")
      ->required();
  auto* settings_path =
      cmd->add_option("-s,--settings-path", f.settings_path, "File with the settings (YAML or JSON)");
  cmd->add_option("--settings-json", f.settings_json, "The settings, as a JSON string")
      ->excludes(settings_path);
  cmd->add_option("-e,--execution-mode", f.execution_mode,
                  "Runtime to use: kubewarden-wapc (or kubewarden), opa, gatekeeper, wasi");
  cmd->add_flag("--raw", f.raw, "Validate a raw request instead of an AdmissionRequest");
  cmd->add_flag("--allow-context-aware", f.allow_context_aware,
                "Grant the policy the context-aware resources its metadata declares");
  cmd->add_option("--kubeconfig", f.kubeconfig,
                  "Kubeconfig of the cluster context-aware policies read [default: KUBECONFIG, "
                  "then ~/.kube/config]");
  cmd->add_option("--allowed-host-capabilities", f.allowed_host_capabilities,
                  "Host capabilities the policy may use (`*`, `oci/*`, `net/v1/dns_lookup_host`...)")
      ->default_val(std::vector<std::string>{"*"});
  auto* record = cmd->add_option(
      "--record-host-capabilities-interactions", f.record_host_capabilities,
      "Record all the policy and host capabilities communications into the given file");
  cmd->add_option("--replay-host-capabilities-interactions", f.replay_host_capabilities,
                  "Replay the host capabilities communications recorded in the given file, "
                  "without reaching any cluster, registry or DNS")
      ->excludes(record);
  cmd->add_option("--policy-timeout", f.policy_timeout_seconds,
                  "Interrupt an evaluation after this many seconds (fractions allowed; 0 = no "
                  "timeout)")
      ->default_val(2.0)
      ->check(cli::NumberIn(0, cli::kMaxTimeoutSeconds));
  cmd->add_option("--memory-limit", f.memory_limit_mib,
                  "Cap on the policy's WebAssembly memory, in MiB")
      ->default_val(256)
      ->check(cli::WholeNumberIn(1, 4096));
  cmd->add_option("--compiled-cache-dir", f.compiled_cache_dir,
                  "Directory keeping compiled policy code between runs [default: "
                  "~/.cache/kubewarden/compiled]");
  cmd->add_flag("--disable-compiled-cache", f.disable_compiled_cache,
                "Compile the policy on every run, without the compiled-code cache");
  cmd->add_flag("--disable-seccomp", f.disable_seccomp,
                "Evaluate without the system-call filter that confines kwctl once the policy is "
                "loaded (no programs, no listeners, no ptrace, ...)");
}

void AddRegistryFlags(CLI::App* cmd, RegistryFlags& f) {
  cmd->add_option("--sources-path", f.sources_path,
                  "YAML file holding source information (https, registry, etc.) [default: "
                  "~/.config/kubewarden/sources.yaml when it exists]");
  cmd->add_option("--docker-config-json-path", f.docker_config_dir,
                  "Path to a directory containing the Docker 'config.json' file. Can be used to "
                  "indicate registry authentication details");
}

// PULL-FLAGS' verification half (tooling.md §1.4, §1.8).
void AddSignatureFlags(CLI::App* cmd, SignatureFlags& f) {
  cmd->add_option("--verification-config-path", f.verification_config_path,
                  "YAML file holding verification config information (signatures, public keys...) "
                  "[default: ~/.config/kubewarden/verification-config.yml when it exists]");
  cmd->add_option("-k,--verification-key", f.key_paths,
                  "Path to key used to verify the policy. Can be repeated multiple times");
  cmd->add_option("-a,--verification-annotation", f.annotations,
                  "Annotation in key=value format. Can be repeated multiple times");
  cmd->add_option("--cert-email", f.cert_email,
                  "Expected email in Fulcio certificate");
  cmd->add_option("--cert-oidc-issuer", f.cert_oidc_issuer,
                  "Expected OIDC issuer in Fulcio certificates");
  cmd->add_option("--github-owner", f.github_owner,
                  "GitHub owner expected in the certificates generated in CD pipelines");
  cmd->add_option("--github-repo", f.github_repo,
                  "GitHub repository expected in the certificates generated in CD pipelines");
  cmd->add_option("--sigstore-trust-config", f.sigstore_trust_config,
                  "JSON-formatted file conforming to the ClientTrustConfig message in the Sigstore "
                  "protobuf specs (keyless verification)");
}

int ReportError(const Error& error) {
  cli::PrintError(error.message);
  return 1;
}

Result<void> PrintCompletions(const CLI::App& app, const std::string& shell) {
  KW_ASSIGN_OR_RETURN(std::string script, cli::CompletionScript(app, shell));
  std::fwrite(script.data(), 1, script.size(), stdout);
  return {};
}

// Logs on stderr, one line each, whatever the messages hold (cli/log_format.h).
void SetUpLogging(bool verbose, bool no_color) {
  auto logger = no_color ? spdlog::stderr_logger_mt("kwctl") : spdlog::stderr_color_mt("kwctl");
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<cli::EscapedMessageFlag>('*', cli::Escaping::kText)
      .set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %*");
  logger->set_formatter(std::move(formatter));
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"Tool to manage Kubewarden policies", "kwctl"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version",
                       std::string("kwctl ") + kVersion + "\nRun `kwctl info` for more details.");
  bool verbose = false;
  bool no_color = false;
  app.add_flag("-v,--verbose", verbose, "Increase verbosity");
  app.add_flag("--no-color", no_color, "Disable colored output");

  RunFlags run_flags;
  auto* run = app.add_subcommand("run", "Runs a Kubewarden policy from a given source");
  AddRunFlags(run, run_flags);
  run->add_flag("--explain{text}", run_flags.explain,
                "Also write on stderr how the decision was reached: each policy or group member "
                "evaluated, its verdict, patch, time and host calls, and why a group stopped "
                "(`--explain=json` or `-o json` for one JSON document per policy)")
      ->check(cli::OneOf({"text", "json"}));
  // `-o json` as inspect and push spell it; it only names the explanation's format, because
  // what `kwctl run` prints on stdout is upstream's and stays as it is.
  std::string run_output;
  run->add_option("-o,--output", run_output, "Format of the explanation (with --explain)")
      ->check(cli::OneOf({"text", "json"}))
      ->needs("--explain");
  AddRegistryFlags(run, run_flags.registry);
  AddSignatureFlags(run, run_flags.signatures);

  BenchFlags bench_flags;
  auto* bench = app.add_subcommand("bench", "Benchmarks a Kubewarden policy");
  AddRunFlags(bench, bench_flags.run);
  AddRegistryFlags(bench, bench_flags.run.registry);
  AddSignatureFlags(bench, bench_flags.run.signatures);
  bench->add_option("--warm-up-time", bench_flags.warm_up_seconds, "Warm-up time in seconds")
      ->default_val(1.0)->check(cli::PositiveNumberUpTo(cli::kMaxTimeoutSeconds));
  bench->add_option("--measurement-time", bench_flags.measurement_seconds,
                    "Measurement time in seconds")
      ->default_val(3.0)->check(cli::PositiveNumberUpTo(cli::kMaxTimeoutSeconds));
  bench->add_option("--num-samples", bench_flags.num_samples, "Number of samples")
      ->default_val(50)->check(cli::WholeNumberIn(1, 1'000'000));
  bench->add_flag("--dump-results-to-disk", bench_flags.dump_results_to_disk,
                  "Write the results under target/tiny-bench/<label>/");

  InspectFlags inspect_flags;
  std::string inspect_output;
  auto* inspect = app.add_subcommand("inspect", "Inspects a Kubewarden policy");
  inspect->add_option("uri_or_sha_prefix", inspect_flags.uri_or_sha_prefix,
                      "The policy: a local path, a file:// URI, a URI in the store or the "
                      "SHA-256 prefix of a stored policy")
      ->required();
  inspect->add_option("-o,--output", inspect_output, "Output format")
      ->check(cli::OneOf({"yaml"}));
  inspect->add_flag("--show-signatures", inspect_flags.show_signatures,
                    "Show sigstore signatures");
  AddRegistryFlags(inspect, inspect_flags.registry);

  AnnotateFlags annotate_flags;
  auto* annotate = app.add_subcommand("annotate", "Adds Kubewarden metadata to a WebAssembly module");
  annotate->add_option("wasm-path", annotate_flags.wasm_path, "Path to the WebAssembly module")
      ->required();
  annotate->add_option("-m,--metadata-path", annotate_flags.metadata_path,
                       "File containing the metadata")->required();
  annotate->add_option("-o,--output-path", annotate_flags.output_path,
                       "Output file")->required();
  annotate->add_option("-u,--usage-path", annotate_flags.usage_path,
                       "File containing the usage information of the policy");

  auto* info = app.add_subcommand("info", "Displays system information");

  PullFlags pull_flags;
  auto* pull = app.add_subcommand("pull", "Pulls a Kubewarden policy from a given URI");
  pull->add_option("uri", pull_flags.uri,
                   "Policy URI. Supported schemes: registry://, https://, file://")
      ->required();
  pull->add_option("-o,--output-path", pull_flags.output_path,
                   "Output file. If not provided will be downloaded to the Kubewarden store");
  AddRegistryFlags(pull, pull_flags.registry);
  AddSignatureFlags(pull, pull_flags.signatures);

  VerifyFlags verify_flags;
  auto* verify = app.add_subcommand("verify", "Verifies a Kubewarden policy from a given URI using Sigstore");
  verify->add_option("uri", verify_flags.uri, "Policy URI. Supported schemes: registry://")
      ->required();
  AddRegistryFlags(verify, verify_flags.registry);
  AddSignatureFlags(verify, verify_flags.signatures);

  PushFlags push_flags;
  std::string push_output = "text";
  auto* push = app.add_subcommand("push", "Pushes a Kubewarden policy to an OCI registry");
  push->add_option("policy", push_flags.policy,
                   "Policy to push. Can be the path to a local file, a policy URI or the SHA "
                   "prefix of a policy in the store")
      ->required();
  push->add_option("uri", push_flags.uri, "Policy reference, e.g. registry://ghcr.io/org/p:v1")
      ->required();
  push->add_flag("-f,--force", push_flags.force, "Push also a policy that is not annotated");
  push->add_option("-o,--output", push_output, "Output format")
      ->check(cli::OneOf({"text", "json"}));
  AddRegistryFlags(push, push_flags.registry);

  auto* policies = app.add_subcommand("policies", "Lists all downloaded policies");

  std::string rm_uri;
  auto* rm = app.add_subcommand("rm", "Removes a Kubewarden policy from the store");
  rm->add_option("uri_or_sha_prefix", rm_uri, "Policy URI or SHA prefix")->required();

  std::string digest_uri;
  RegistryFlags digest_flags;
  auto* digest = app.add_subcommand("digest", "Fetches the digest of its OCI manifest");
  digest->add_option("uri", digest_uri, "Policy URI")->required();
  AddRegistryFlags(digest, digest_flags);

  std::vector<std::string> save_policies;
  std::string save_output;
  auto* save = app.add_subcommand("save", "Save policies to a tar.gz file");
  save->add_option("policies", save_policies, "List of policies to save")->required();
  save->add_option("-o,--output", save_output, "Path where the file will be stored")->required();

  std::string load_input;
  auto* load = app.add_subcommand("load", "Load policies from a tar.gz file");
  load->add_option("--input", load_input, "Load policies from tarball")->required();

  auto* scaffold = app.add_subcommand("scaffold", "Scaffolds a Kubernetes resource or configuration file");
  scaffold->require_subcommand(1);
  std::string operation;
  std::string object_path;
  std::optional<std::string> old_object_path;
  auto* scaffold_request =
      scaffold->add_subcommand("admission-request", "Scaffolds an AdmissionRequest object");
  scaffold_request->add_option("--operation", operation, "Operation (only CREATE is supported)")
      ->required();
  scaffold_request->add_option("--object", object_path, "File with the object (YAML or JSON)")
      ->required();
  scaffold_request->add_option("--old-object", old_object_path, "File with the old object");

  auto* scaffold_verification = scaffold->add_subcommand(
      "verification-config", "Output a default Sigstore verification configuration file");

  ScaffoldManifestFlags manifest_flags;
  auto* scaffold_manifest = scaffold->add_subcommand(
      "manifest",
      "Output a Kubernetes resource manifest (ClusterAdmissionPolicy or AdmissionPolicy)");
  scaffold_manifest->add_option("uri_or_sha_prefix", manifest_flags.policy,
                                "The policy: a local path, a file:// URI or a policy URI (pulled "
                                "when missing)")
      ->required();
  scaffold_manifest->add_option("-t,--type", manifest_flags.type, "Kubewarden Custom Resource type")
      ->required()
      ->check(cli::OneOf({"ClusterAdmissionPolicy", "AdmissionPolicy"}));
  auto* manifest_settings_path = scaffold_manifest->add_option(
      "-s,--settings-path", manifest_flags.settings_path, "File with the settings (YAML or JSON)");
  scaffold_manifest
      ->add_option("--settings-json", manifest_flags.settings_json,
                   "The settings, as a JSON string")
      ->excludes(manifest_settings_path);
  scaffold_manifest->add_option("--title", manifest_flags.title,
                                "Policy title (metadata.name of the resource)");
  scaffold_manifest->add_flag("--allow-context-aware", manifest_flags.allow_context_aware,
                              "Copy the context-aware resources the policy metadata declares into "
                              "the manifest");
  AddRegistryFlags(scaffold_manifest, manifest_flags.registry);
  AddSignatureFlags(scaffold_manifest, manifest_flags.signatures);

  ScaffoldVapFlags vap_flags;
  vap_flags.cel_policy = std::string(kDefaultCelPolicyModule);
  auto* scaffold_vap = scaffold->add_subcommand(
      "vap",
      "Output a ClusterAdmissionPolicy running a ValidatingAdmissionPolicy and its binding on "
      "cel-policy");
  scaffold_vap->add_option("-p,--policy", vap_flags.policy_path,
                           "The ValidatingAdmissionPolicy (YAML or JSON)")
      ->required();
  scaffold_vap->add_option("-b,--binding", vap_flags.binding_path,
                           "The ValidatingAdmissionPolicyBinding (YAML or JSON)")
      ->required();
  scaffold_vap->add_option("--cel-policy", vap_flags.cel_policy, "The cel-policy module")
      ->capture_default_str();

  ScaffoldArtifactHubFlags artifacthub_flags;
  auto* scaffold_artifacthub = scaffold->add_subcommand(
      "artifacthub", "Output an artifacthub-pkg.yml file from a metadata.yml file");
  scaffold_artifacthub->add_option(
      "-m,--metadata-path", artifacthub_flags.metadata_path,
      "File containing the metadata of the policy [default: metadata.yml or metadata.yaml]");
  scaffold_artifacthub->add_option(
      "-q,--questions-path", artifacthub_flags.questions_path,
      "File containing the questions-ui content of the policy [default: questions-ui.yml, "
      "questions-ui.yaml, questions.yml or questions.yaml, when present]");
  scaffold_artifacthub->add_option("-o,--output", artifacthub_flags.output_path,
                                   "Path where the artifact-pkg.yml file will be stored");
  scaffold_artifacthub->add_option(
      "-v,--version", artifacthub_flags.version,
      "Deprecated and ignored: the version comes from the io.kubewarden.policy.version annotation");

  std::string shell;
  auto* completions = app.add_subcommand(
      "completions", "Generate shell completions (bash, zsh, fish) on stdout");
  completions->add_option("-s,--shell", shell, "Shell type")
      ->required()
      ->check(cli::OneOf(cli::CompletionShells()));

  if (std::optional<int> exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  SetUpLogging(verbose, no_color);

  Result<void> result;
  if (*run) {
    if (!run_output.empty()) run_flags.explain = run_output;
    run_flags.explain_color = StderrWantsColor(no_color);
    result = Run(run_flags);
  }
  else if (*bench) result = Bench(bench_flags);
  else if (*inspect) {
    inspect_flags.yaml_output = inspect_output == "yaml";
    result = Inspect(inspect_flags);
  }
  else if (*annotate) result = Annotate(annotate_flags);
  else if (*info) result = Info();
  else if (*pull) result = Pull(pull_flags);
  else if (*verify) result = Verify(verify_flags);
  else if (*push) {
    push_flags.json_output = push_output == "json";
    result = Push(push_flags);
  }
  else if (*policies) result = Policies();
  else if (*rm) result = Rm(rm_uri);
  else if (*digest) result = Digest(digest_uri, digest_flags);
  else if (*save) result = Save(save_policies, save_output);
  else if (*load) result = Load(load_input);
  else if (*scaffold_request) result = ScaffoldAdmissionRequest(operation, object_path, old_object_path);
  else if (*scaffold_verification) result = ScaffoldVerificationConfig();
  else if (*scaffold_manifest) result = ScaffoldManifest(manifest_flags);
  else if (*scaffold_vap) result = ScaffoldVap(vap_flags);
  else if (*scaffold_artifacthub) result = ScaffoldArtifactHub(artifacthub_flags);
  else if (*completions) result = PrintCompletions(app, shell);
  return result ? 0 : ReportError(result.error());
}

}  // namespace kw::kwctl
