// kwctl pull, push, policies, rm, digest, save and load: the policy store and registries
// (tooling.md §1.4, §1.5, §2).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/files.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/yaml.h"
#include "cli/log_format.h"
#include "kwctl/archive.h"
#include "kwctl/commands.h"
#include "kwctl/local_policy.h"
#include "kwctl/paths.h"
#include "loader/fetch_settings.h"
#include "oci/artifact.h"
#include "oci/fetch.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "oci/sources.h"
#include "oci/store.h"
#include "policy/inspect.h"
#include "policy/metadata.h"
#include "verify/verify.h"
#include "wasm/wasm_binary.h"

namespace kw::kwctl {
namespace {

namespace fs = std::filesystem;

// The biggest archive `load` inflates: a store of the largest policies oci::RegistryClient
// accepts, a handful of them.
constexpr std::uint64_t kMaxArchiveBytes = 4 * oci::kDefaultMaxModuleBytes;

void Print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// humansize's DECIMAL format: base 1000, up to two decimals without trailing zeros.
std::string DecimalSize(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  std::string number = fmt::format("{:.2f}", value);
  while (number.back() == '0') number.pop_back();
  if (number.back() == '.') number.pop_back();
  return number + " " + kUnits[unit];
}

// Upstream's pull spinner (indicatif on stderr, hidden when stderr is not a terminal), with the
// bytes of the module received so far once the download starts: "⠙ Pulling policy from X
// (1.2 MB / 3.4 MB)". Update() is called by the downloading thread, the line is redrawn by a
// thread of its own every 80 ms, so a fast download costs no terminal writes per read.
class PullProgress {
 public:
  // `message` is shown escaped (cli/log_format.h): it names a URI that may come from a file.
  explicit PullProgress(std::string_view message)
      : enabled_(isatty(STDERR_FILENO) == 1), message_(cli::EscapeForText(message)) {
    if (!enabled_) return;
    thread_ = std::thread([this] {
      static constexpr const char* kFrames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
      for (std::size_t i = 0; !done_; ++i) {
        std::string line = std::string("\r\033[2K") + kFrames[i % std::size(kFrames)] + " " + message_;
        if (const std::uint64_t received = received_; received > 0) {
          const std::uint64_t total = total_;
          line += " (" + DecimalSize(received) + (total > 0 ? " / " + DecimalSize(total) : "") + ")";
        }
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(80));
      }
    });
  }
  ~PullProgress() { Finish(""); }
  PullProgress(const PullProgress&) = delete;
  PullProgress& operator=(const PullProgress&) = delete;

  // The module's bytes so far, and its size (0 when unknown).
  void Update(std::uint64_t received, std::uint64_t total) {
    received_ = received;
    total_ = total;
  }

  // Replaces the line by `final_message` (nothing when empty).
  void Finish(std::string_view final_message) {
    if (!enabled_ || done_.exchange(true)) return;
    thread_.join();
    std::fprintf(stderr, "\r\033[2K");
    if (!final_message.empty()) {
      std::string line = cli::EscapeForText(final_message) + "\n";
      std::fputs(line.c_str(), stderr);
    }
    std::fflush(stderr);
  }

 private:
  const bool enabled_;
  const std::string message_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> total_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// kwctl's registry access, without signature checks.
loader::FetchConfig FetchConfigFor(const RegistryFlags& registry) {
  loader::FetchConfig config;
  config.store_root = StoreRoot();
  config.sources_path = registry.sources_path;
  config.default_sources_path = ConfigDir() + "/sources.yaml";
  // The proxy variables win over the sources file's `proxies` in kwctl (upstream's quirk,
  // tooling.md §1.1).
  config.proxy_precedence = loader::ProxyPrecedence::kEnvironmentWins;
  config.docker_config = registry.docker_config_dir;
  return config;
}

// What push, digest and the other commands that do not run a policy need.
Result<oci::RegistryOptions> MakeRegistryOptions(const RegistryFlags& flags) {
  KW_ASSIGN_OR_RETURN(loader::FetchSettings settings, loader::MakeFetchSettings(FetchConfigFor(flags)));
  oci::RegistryOptions options;
  options.sources = std::move(settings.sources);
  if (!settings.docker_config_dir.empty()) {
    options.docker_config_dir = std::move(settings.docker_config_dir);
  }
  return options;
}

}  // namespace

Result<loader::FetchSettings> FetchSettingsFor(const RegistryFlags& registry,
                                               const SignatureFlags& signatures) {
  loader::FetchConfig config = FetchConfigFor(registry);
  KW_ASSIGN_OR_RETURN(config.verification, VerificationConfigFor(signatures));
  // Upstream downloads the trust root through TUF into <config dir>/fulcio_and_rekor_data; kwctl
  // never reaches the network for it, so it takes --sigstore-trust-config, else the
  // trusted_root.json an upstream kwctl left in that cache.
  config.trust_config_path = signatures.sigstore_trust_config;
  config.trust_config_required = true;
  config.default_trust_config_path = ConfigDir() + "/fulcio_and_rekor_data/trusted_root.json";
  return loader::MakeFetchSettings(std::move(config));
}

namespace {

// The file name `pull -o <dir>` writes: the URI's last path segment (tag or digest included).
std::string LastPathSegment(const oci::PolicyUri& uri) {
  std::string text = uri.uri.substr(0, uri.uri.find('?'));
  return text.substr(text.rfind('/') + 1);
}

// prettytable's FORMAT_NO_LINESEP_WITH_TITLE: a ruled title row, then rows without separators.
std::string RenderTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      // Display width: every cell here is ASCII.
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string rule = "+";
  for (std::size_t width : widths) rule += std::string(width + 2, '-') + "+";
  rule += "\n";
  auto line = [&](const std::vector<std::string>& row) {
    std::string out = "|";
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += " " + row[i] + std::string(widths[i] - row[i].size(), ' ') + " |";
    }
    return out + "\n";
  };
  std::string out = rule + line(rows.front()) + rule;
  for (std::size_t i = 1; i < rows.size(); ++i) out += line(rows[i]);
  return out + rule;
}

// A store-relative archive name that `load` may write: scheme/host/.../file, no dot segments.
Result<void> CheckArchiveName(const std::string& name) {
  const auto bad = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "archive entry '" + name + "' is not a store path: " + std::string(why));
  };
  std::vector<std::string_view> segments;
  std::string_view rest = name;
  while (true) {
    const std::size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  for (std::string_view segment : segments) {
    if (segment.empty() || segment == "." || segment == "..") {
      return bad("empty, '.' or '..' path segment");
    }
  }
  if (segments.size() < 3) return bad("expected <scheme>/<host>/<path>");
  if (segments[0] != "registry" && segments[0] != "https" && segments[0] != "http") {
    return bad("the scheme directory must be registry, https or http");
  }
  return {};
}

// The cosign signature manifest of a registry policy (`<repository>:sha256-<hex>.sig` of its
// manifest digest), or nullopt when the registry has none. Asks the registry: only the module is
// never downloaded by inspect.
Result<std::optional<json::object>> FetchSignatureManifest(const std::string& uri,
                                                           const RegistryFlags& flags) {
  KW_ASSIGN_OR_RETURN(oci::PolicyUri parsed, oci::ParsePolicyUri(uri));
  if (parsed.scheme != oci::Scheme::kRegistry) {
    return Fail(ErrorKind::kInvalidArgument,
                "--show-signatures: " + uri + " is not a registry policy; only those carry signatures");
  }
  KW_ASSIGN_OR_RETURN(oci::RegistryOptions options, MakeRegistryOptions(flags));
  KW_ASSIGN_OR_RETURN(auto client, oci::RegistryClient::Create(std::move(options)));
  KW_ASSIGN_OR_RETURN(std::string digest, client->ManifestDigest(*parsed.reference));
  KW_ASSIGN_OR_RETURN(std::string tag, verify::SignatureTag(digest));
  oci::Reference signatures = *parsed.reference;
  signatures.digest.reset();
  signatures.tag = tag;
  auto manifest = client->PullManifest(signatures);
  if (!manifest && manifest.error().kind == ErrorKind::kNotFound) return std::nullopt;
  if (!manifest) return std::unexpected(manifest.error());
  auto parsed_manifest = ParseJson(manifest->bytes);
  if (!parsed_manifest || !parsed_manifest->is_object()) {
    return Fail(ErrorKind::kInvalidArgument,
                "the signature manifest " + signatures.Whole() + " is not a JSON object");
  }
  return parsed_manifest->as_object();
}

// The pretty form: per layer its digest, media type, size and annotations, aligned like the
// Details section above it. The registry's values are shown as text, whatever their JSON type.
std::string RenderSignatures(const json::object& manifest) {
  const auto text = [](const json::value* v) -> std::string {
    if (v == nullptr) return "";
    if (v->is_string()) return std::string(v->get_string());
    return json::serialize(*v);
  };
  std::string out = "\nSigstore signatures\n";
  const json::value* layers = manifest.if_contains("layers");
  if (layers == nullptr || !layers->is_array()) return out;
  for (const json::value& entry : layers->get_array()) {
    const json::object* layer = entry.if_object();
    if (layer == nullptr) continue;
    out += fmt::format("\nDigest:     {}\nMedia type: {}\nSize:       {}\n",
                       text(layer->if_contains("digest")), text(layer->if_contains("mediaType")),
                       text(layer->if_contains("size")));
    if (const json::value* a = layer->if_contains("annotations"); a && a->is_object()) {
      out += "Annotations\n";
      for (const auto& [key, value] : a->get_object()) {
        out += fmt::format("  {}: {}\n", std::string_view(key), text(&value));
      }
    }
  }
  return out;
}

}  // namespace

Result<void> Inspect(const InspectFlags& flags) {
  KW_ASSIGN_OR_RETURN(LocalPolicy local,
                      ResolveLocalPolicy(flags.uri_or_sha_prefix, oci::Store(StoreRoot())));
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, oci::ReadModuleFile(local.path));
  KW_ASSIGN_OR_RETURN(std::optional<policy::Metadata> metadata, policy::ReadMetadata(bytes));
  if (!metadata) {
    return Fail(ErrorKind::kNotFound,
                "No Kubewarden metadata found inside of '" + flags.uri_or_sha_prefix +
                    "'. Policies can be annotated with the `kwctl annotate` command.");
  }
  std::string out = flags.yaml_output
                        ? policy::RenderInspectYaml(*metadata)
                        : policy::RenderInspectPretty(*metadata, flags.uri_or_sha_prefix);
  if (flags.show_signatures) {
    KW_ASSIGN_OR_RETURN(std::optional<json::object> manifest,
                        FetchSignatureManifest(local.uri, flags.registry));
    if (flags.yaml_output) {
      // The metadata is a YAML mapping: the manifest becomes one more key of it.
      json::object document;
      document["signatures"] = manifest ? json::value(*manifest) : json::value(nullptr);
      out += JsonToYaml(document);
    } else {
      out += manifest ? RenderSignatures(*manifest) : "\nNo sigstore signatures found\n";
    }
  }
  Print(out);
  return {};
}

Result<void> Pull(const PullFlags& flags) {
  KW_ASSIGN_OR_RETURN(oci::PolicyUri uri, oci::ParsePolicyUri(flags.uri));
  if (uri.scheme == oci::Scheme::kFile) {
    spdlog::info("{} is a local file: nothing to pull", uri.uri);
    return {};
  }
  KW_ASSIGN_OR_RETURN(loader::FetchSettings settings,
                      FetchSettingsFor(flags.registry, flags.signatures));

  // `-o` writes only the file: the download goes through a private store that is removed after.
  std::string scratch;
  if (flags.output_path) {
    std::string pattern = (fs::temp_directory_path() / "kwctl-pull-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Fail(ErrorKind::kIo, "cannot create a temporary directory for the download");
    }
    scratch = pattern;
    settings.store_root = scratch + "/store";
  }
  struct ScratchRemover {
    const std::string& dir;
    ~ScratchRemover() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } remover{scratch};

  PullProgress progress("Pulling policy from " + uri.uri);
  settings.on_module_progress = [&progress](std::uint64_t received, std::uint64_t total) {
    progress.Update(received, total);
  };
  // The loader's path: with a verification config, signatures first, then the download, then
  // the local file against the signed manifest (tooling.md §4.2).
  auto path = loader::ResolveModulePath(uri.uri, settings);
  if (!path) {
    progress.Finish("Failed to pull policy: " + path.error().message);
    return std::unexpected(path.error());
  }
  if (flags.output_path) {
    std::string destination = *flags.output_path;
    std::error_code ec;
    if (fs::is_directory(destination, ec)) destination += "/" + LastPathSegment(uri);
    KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> module, oci::ReadModuleFile(*path));
    auto written = WriteFile(destination, AsText(module));
    if (!written) {
      progress.Finish("Failed to pull policy: " + written.error().message);
      return written;
    }
  }
  progress.Finish("Successfully pulled policy from " + uri.uri);
  spdlog::debug("{} is at {}", uri.uri, flags.output_path ? *flags.output_path : *path);
  return {};
}

Result<void> Push(const PushFlags& flags) {
  const oci::Store store(StoreRoot());
  KW_ASSIGN_OR_RETURN(LocalPolicy local, ResolveLocalPolicy(flags.policy, store));
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> module, oci::ReadModuleFile(local.path));
  auto info = wasm::Inspect(module);
  if (!info) return std::unexpected(info.error().Wrap(local.uri));
  KW_ASSIGN_OR_RETURN(std::optional<policy::Metadata> metadata, policy::ReadMetadata(*info));
  if (!metadata) {
    if (!flags.force) {
      return Fail(ErrorKind::kInvalidArgument,
                  "Cannot push a policy that is not annotated. Use `annotate` command or `push "
                  "--force`");
    }
    // Without metadata nothing could tell a Rego module's execution mode (opa or gatekeeper).
    if (policy::IsRegoModule(*info)) {
      return Fail(ErrorKind::kInvalidArgument, "Rego policies cannot be pushed without metadata");
    }
    std::fputs("Warning: pushing a non-annotated policy!\n", stderr);
  }
  KW_ASSIGN_OR_RETURN(oci::RegistryOptions options, MakeRegistryOptions(flags.registry));
  KW_ASSIGN_OR_RETURN(std::string immutable_ref, oci::Push(module, flags.uri, options));
  if (flags.json_output) {
    json::object out;
    out["immutable_ref"] = immutable_ref;
    Print(json::serialize(out) + "\n");
  } else {
    Print("Policy successfully pushed: " + immutable_ref + "\n");
  }
  return {};
}

Result<void> Policies() {
  const oci::Store store(StoreRoot());
  KW_ASSIGN_OR_RETURN(std::vector<oci::StoredPolicy> stored, store.List());
  if (stored.empty()) return {};
  std::vector<std::vector<std::string>> rows = {
      {"Policy", "Mutating", "Context aware", "SHA-256", "Size"}};
  for (const oci::StoredPolicy& policy : stored) {
    auto bytes = oci::ReadModuleFile(policy.path);
    if (!bytes) continue;  // removed while listing
    std::string mutating = "unknown", context_aware = "unknown";
    // A module whose metadata cannot be read is listed as unknown, as upstream lists it.
    if (auto metadata = policy::ReadMetadata(*bytes); metadata && *metadata) {
      mutating = (*metadata)->mutating ? "yes" : "no";
      context_aware = (*metadata)->context_aware_resources.empty() ? "no" : "yes";
    }
    rows.push_back({policy.uri, mutating, context_aware, Sha256Hex(Sha256(*bytes)).substr(0, 12),
                    DecimalSize(bytes->size())});
  }
  Print(RenderTable(rows));
  return {};
}

Result<void> Rm(const std::string& uri_or_sha_prefix) {
  const oci::Store store(StoreRoot());
  KW_ASSIGN_OR_RETURN(LocalPolicy local, ResolveLocalPolicy(uri_or_sha_prefix, store));
  if (!local.in_store) {
    return Fail(ErrorKind::kInvalidArgument,
                local.uri + " is a local file, not a policy of the store");
  }
  KW_ASSIGN_OR_RETURN(oci::PolicyUri uri, oci::ParsePolicyUri(local.uri));
  return store.Remove(uri);
}

Result<void> Digest(const std::string& text, const RegistryFlags& flags) {
  KW_ASSIGN_OR_RETURN(oci::PolicyUri uri, oci::ParsePolicyUri(text));
  if (uri.scheme != oci::Scheme::kRegistry) {
    return Fail(ErrorKind::kInvalidArgument,
                "digest needs a registry:// URI or an OCI reference, not " + text);
  }
  KW_ASSIGN_OR_RETURN(oci::RegistryOptions options, MakeRegistryOptions(flags));
  KW_ASSIGN_OR_RETURN(auto client, oci::RegistryClient::Create(std::move(options)));
  KW_ASSIGN_OR_RETURN(std::string digest, client->ManifestDigest(*uri.reference));
  Print(text + "@" + digest + "\n");
  return {};
}

Result<void> Save(const std::vector<std::string>& uris_or_sha_prefixes,
                  const std::string& output_path) {
  const oci::Store store(StoreRoot());
  std::vector<ArchiveEntry> entries;
  for (const std::string& text : uris_or_sha_prefixes) {
    KW_ASSIGN_OR_RETURN(LocalPolicy local, ResolveLocalPolicy(text, store));
    if (!local.in_store) {
      return Fail(ErrorKind::kInvalidArgument,
                  "cannot save " + text + ": only policies of the store can be saved");
    }
    KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> module, oci::ReadModuleFile(local.path));
    entries.push_back({fs::relative(local.path, store.root()).generic_string(),
                       std::string(AsText(module))});
  }
  KW_ASSIGN_OR_RETURN(std::string archive, Gzip(WriteTar(entries)));
  return WriteFile(output_path, archive);
}

Result<void> Load(const std::string& input_path) {
  KW_ASSIGN_OR_RETURN(std::string compressed, ReadFile(input_path, kMaxArchiveBytes));
  auto tar = Gunzip(compressed, kMaxArchiveBytes);
  if (!tar) return std::unexpected(tar.error().Wrap(input_path));
  auto entries = ReadTar(*tar);
  if (!entries) return std::unexpected(entries.error().Wrap(input_path));
  // Upstream unpacks without looking; the names are checked first here so that a hostile
  // archive cannot write outside the store (nothing is written when one name is bad).
  for (const ArchiveEntry& entry : *entries) KW_TRY(CheckArchiveName(entry.name));
  const std::string root = StoreRoot();
  for (const ArchiveEntry& entry : *entries) {
    const fs::path path = fs::path(root) / entry.name;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return Fail(ErrorKind::kIo,
                  "cannot create " + path.parent_path().string() + ": " + ec.message());
    }
    KW_TRY(WriteFile(path.string(), entry.data));
    spdlog::debug("loaded {}", entry.name);
  }
  return {};
}

}  // namespace kw::kwctl
