#include "kwctl/scaffold.h"

#include <ctime>
#include <map>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/yaml.h"
#include "cel/apimachinery_names.h"
#include "policy/policies_config.h"

namespace kw::kwctl {
namespace {


std::string_view ManifestTypeName(ManifestType type) {
  return type == ManifestType::kClusterAdmissionPolicy ? "ClusterAdmissionPolicy"
                                                       : "AdmissionPolicy";
}

json::array RulesToJson(const std::vector<policy::Rule>& rules) {
  json::array out;
  for (const auto& rule : rules) out.push_back(policy::RuleToJson(rule));
  return out;
}

json::array ContextAwareResourcesToJson(const std::vector<policy::ContextAwareResource>& list) {
  json::array out;
  for (const auto& resource : list) out.push_back(policy::ContextAwareResourceToJson(resource));
  return out;
}

Result<std::string> RequiredAnnotation(const policy::Metadata& metadata, std::string_view key) {
  auto value = metadata.Annotation(key);
  if (!value) {
    return Fail(ErrorKind::kInvalidArgument,
                "missing required annotation `" + std::string(key) + "`");
  }
  return std::string(*value);
}

// io.artifacthub.keywords is a comma-separated list; an empty item is a typo upstream refuses.
Result<json::array> ParseKeywords(std::string_view csv) {
  json::array out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = csv.find(',', start);
    std::string_view item = TrimBlanks(csv.substr(start, comma - start));
    if (item.empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "annotation `" + std::string(policy::kAnnotationArtifactHubKeywords) +
                      "` has an empty keyword: '" + std::string(csv) + "'");
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// The host of an http(s) URL, without port or credentials; empty when `url` has no scheme.
std::string_view UrlHost(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return rest.substr(0, rest.find(':'));
}

json::object Link(std::string_view name, std::string_view url) {
  json::object link;
  link.emplace("name", name);
  link.emplace("url", url);
  return link;
}

}  // namespace

std::string ScaffoldVerificationConfigText(std::string_view default_config_path) {
  std::string out =
      "# Default Kubewarden verification config\n"
      "#\n"
      "# With this config, the only valid policies are those signed by Kubewarden\n"
      "# infrastructure.\n"
      "#\n"
      "# This config can be saved to its default location (for this OS) with:\n"
      "#   kwctl scaffold verification-config > ";
  out += default_config_path;
  out +=
      "\n"
      "#\n"
      "# Providing a config in the default location enables Sigstore verification.\n"
      "# See https://docs.kubewarden.io for more Sigstore verification options.\n";
  // Upstream serializes its config struct, unset optional fields included, hence the nulls.
  json::object signature;
  signature.emplace("kind", "githubAction");
  signature.emplace("owner", "kubewarden");
  signature.emplace("repo", nullptr);
  signature.emplace("annotations", nullptr);
  json::object config;
  config.emplace("apiVersion", "v1");
  config.emplace("allOf", json::array{signature});
  config.emplace("anyOf", nullptr);
  out += JsonToYaml(config);
  return out;
}

Result<ManifestType> ParseManifestType(std::string_view text) {
  if (text == "ClusterAdmissionPolicy") return ManifestType::kClusterAdmissionPolicy;
  if (text == "AdmissionPolicy") return ManifestType::kAdmissionPolicy;
  return Fail(ErrorKind::kInvalidArgument,
              "unknown manifest type '" + std::string(text) +
                  "': expected ClusterAdmissionPolicy or AdmissionPolicy");
}

Result<json::value> ParseManifestSettings(const std::optional<std::string>& text,
                                          std::string_view what) {
  if (!text) return json::object();
  KW_ASSIGN_OR_RETURN(json::value settings,
                      ParseYamlAsJson(*text, "invalid settings (" + std::string(what) + ")"));
  if (settings.is_null()) return json::object();
  if (!settings.is_object()) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid settings (" + std::string(what) + "): not a mapping of settings");
  }
  return settings;
}

bool IsValidResourceName(std::string_view name) {
  return cel::names::Dns1123Subdomain(name).empty();
}

Result<Manifest> BuildPolicyManifest(const ManifestRequest& request) {
  const policy::Metadata& metadata = request.metadata;
  if (auto valid = policy::ValidateMetadata(metadata); !valid) {
    return std::unexpected(valid.error().Wrap("Metadata is invalid"));
  }
  Manifest manifest;

  std::optional<std::string> name = request.title;
  if (!name) {
    if (auto title = metadata.Annotation(policy::kAnnotationTitle)) name = std::string(*title);
  }
  if (name && !IsValidResourceName(*name)) {
    return Fail(ErrorKind::kInvalidArgument,
                "the policy name '" + *name +
                    "' is not a valid Kubernetes resource name: it must be a lowercase RFC 1123 "
                    "hostname (a-z, 0-9, '-' and '.', at most 253 characters); choose another "
                    "with --title");
  }
  if (!name) {
    manifest.warnings.push_back(
        "The policy has no `" + std::string(policy::kAnnotationTitle) +
        "` annotation and no --title was given: set `metadata.name` before applying the "
        "manifest.");
  }

  // Upstream's ObjectMeta serializes its fields alphabetically: annotations before name.
  json::object object_meta;
  json::object annotations;
  for (std::string_view key : {policy::kAnnotationCategory, policy::kAnnotationSeverity}) {
    if (auto value = metadata.Annotation(key)) annotations.emplace(key, *value);
  }
  if (!annotations.empty()) object_meta.emplace("annotations", std::move(annotations));
  if (name) object_meta.emplace("name", *name);

  json::object spec;
  spec.emplace("module", request.module_uri);
  spec.emplace("settings", request.settings);
  spec.emplace("rules", RulesToJson(metadata.rules));
  spec.emplace("mutating", metadata.mutating);
  if (!metadata.background_audit) spec.emplace("backgroundAudit", false);
  if (request.type == ManifestType::kClusterAdmissionPolicy &&
      !metadata.context_aware_resources.empty()) {
    if (request.allow_context_aware) {
      manifest.warnings.push_back(
          "Policy has been granted access to the Kubernetes resources mentioned by "
          "`spec.contextAwareResources`. Carefully review the contents of the "
          "`contextAwareResources` attribute for abuses.");
      spec.emplace("contextAwareResources",
                   ContextAwareResourcesToJson(metadata.context_aware_resources));
    } else {
      manifest.warnings.push_back(
          "Policy requires access to Kubernetes resources at evaluation time. During this "
          "scaffold operation, the `spec.contextAwareResources` attribute has been cleared.");
      manifest.warnings.push_back(
          "Carefully review which types of Kubernetes resources the policy needs via `kwctl "
          "inspect` and then set `spec.contextAwareResources` manually, or scaffold again with "
          "--allow-context-aware.");
    }
  }

  json::object resource;
  resource.emplace("apiVersion", policy::kPoliciesApiVersion);
  resource.emplace("kind", ManifestTypeName(request.type));
  resource.emplace("metadata", std::move(object_meta));
  resource.emplace("spec", std::move(spec));
  manifest.resource = std::move(resource);
  return manifest;
}

Result<std::vector<Maintainer>> ParseMaintainers(std::string_view authors) {
  // Split on the commas that separate addresses, not those inside "quoted names" or <...>.
  std::vector<std::string_view> entries;
  bool quoted = false;
  bool angle = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= authors.size(); ++i) {
    char c = i < authors.size() ? authors[i] : ',';
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    } else if (c == ',' && !angle) {
      entries.push_back(authors.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quoted || angle) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid author list '" + std::string(authors) + "': unbalanced quote or '<'");
  }

  std::vector<Maintainer> maintainers;
  for (std::string_view raw : entries) {
    std::string_view entry = TrimBlanks(raw);
    if (entry.empty()) continue;  // RFC 5322 tolerates empty list elements
    Maintainer m;
    std::size_t open = entry.rfind('<');
    if (open == std::string_view::npos) {
      m.email = std::string(entry);
    } else {
      std::size_t close = entry.find('>', open);
      if (close == std::string_view::npos || !TrimBlanks(entry.substr(close + 1)).empty()) {
        return Fail(ErrorKind::kInvalidArgument,
                    "invalid author '" + std::string(entry) + "': expected `Name <mail>`");
      }
      m.email = std::string(TrimBlanks(entry.substr(open + 1, close - open - 1)));
      std::string_view display = TrimBlanks(entry.substr(0, open));
      if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
        display = display.substr(1, display.size() - 2);
        for (std::size_t i = 0; i < display.size(); ++i) {
          if (display[i] == '\\' && i + 1 < display.size()) ++i;
          m.name.push_back(display[i]);
        }
      } else {
        m.name = std::string(display);
      }
    }
    // Artifact Hub needs an address for every maintainer; a bare name is a metadata mistake.
    if (m.email.find('@') == std::string::npos ||
        m.email.find_first_of(" \t<>\",") != std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid author '" + std::string(entry) +
                      "' in annotation `" + std::string(policy::kAnnotationAuthor) +
                      "`: expected `Name <mail>` or a bare e-mail address");
    }
    maintainers.push_back(std::move(m));
  }
  return maintainers;
}

std::string FormatRfc3339(std::chrono::system_clock::time_point time) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(time - seconds).count();
  std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (nanos != 0) {
    std::string fraction = fmt::format("{:09}", nanos);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    out += "." + fraction;
  }
  out += "Z";
  return out;
}

Result<json::value> BuildArtifactHubPackage(const policy::Metadata& metadata,
                                            const std::optional<std::string>& questions,
                                            std::chrono::system_clock::time_point created_at) {
  KW_ASSIGN_OR_RETURN(std::string version,
                      RequiredAnnotation(metadata, policy::kAnnotationVersion));
  if (!policy::IsValidSemver(version)) {
    return Fail(ErrorKind::kInvalidArgument,
                "annotation `" + std::string(policy::kAnnotationVersion) + "`: '" + version +
                    "' is not a semantic version (MAJOR.MINOR.PATCH)");
  }
  KW_ASSIGN_OR_RETURN(std::string name, RequiredAnnotation(metadata, policy::kAnnotationTitle));
  KW_ASSIGN_OR_RETURN(std::string display_name,
                      RequiredAnnotation(metadata, policy::kAnnotationArtifactHubDisplayName));
  KW_ASSIGN_OR_RETURN(std::string description,
                      RequiredAnnotation(metadata, policy::kAnnotationDescription));
  KW_ASSIGN_OR_RETURN(std::string oci_url, RequiredAnnotation(metadata, policy::kAnnotationOciUrl));
  if (questions && questions->find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument, "the questions file is empty");
  }
  std::string image = oci_url + ":v" + version;

  json::object pkg;
  pkg.emplace("version", version);
  pkg.emplace("name", name);
  pkg.emplace("displayName", display_name);
  pkg.emplace("createdAt", FormatRfc3339(created_at));
  pkg.emplace("description", description);
  if (auto license = metadata.Annotation(policy::kAnnotationLicense)) {
    pkg.emplace("license", *license);
  }
  if (auto url = metadata.Annotation(policy::kAnnotationUrl)) pkg.emplace("homeURL", *url);
  json::object container;
  container.emplace("name", "policy");
  container.emplace("image", image);
  pkg.emplace("containersImages", json::array{container});
  if (auto keywords = metadata.Annotation(policy::kAnnotationArtifactHubKeywords)) {
    KW_ASSIGN_OR_RETURN(json::array list, ParseKeywords(*keywords));
    pkg.emplace("keywords", std::move(list));
  }
  if (auto source = metadata.Annotation(policy::kAnnotationSource)) {
    json::array links;
    // GitHub-hosted policies attach policy.wasm to their releases: link it directly.
    if (UrlHost(*source) == "github.com") {
      std::string_view repo = *source;
      while (repo.ends_with('/')) repo.remove_suffix(1);
      auto release_tag = metadata.Annotation(policy::kAnnotationGithubReleaseTag);
      std::string tag = release_tag ? std::string(*release_tag) : "v" + version;
      links.push_back(Link("policy", std::string(repo) + "/releases/download/" + tag +
                                         "/policy.wasm"));
    }
    links.push_back(Link("source", *source));
    pkg.emplace("links", std::move(links));
  }
  pkg.emplace("install",
              "The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n"
              "```console\n"
              "kwctl pull " + image + "\n"
              "```\n"
              "Then, generate the policy manifest and tune it to your liking. For example:\n"
              "```console\n"
              "kwctl scaffold manifest -t ClusterAdmissionPolicy registry://" + image + "\n"
              "```\n");
  if (auto author = metadata.Annotation(policy::kAnnotationAuthor)) {
    KW_ASSIGN_OR_RETURN(std::vector<Maintainer> maintainers, ParseMaintainers(*author));
    json::array list;
    for (const auto& m : maintainers) {
      json::object entry;
      entry.emplace("name", m.name);
      entry.emplace("email", m.email);
      list.push_back(std::move(entry));
    }
    pkg.emplace("maintainers", std::move(list));
  }
  pkg.emplace("provider", json::object{{"name", "kubewarden"}});
  constexpr std::string_view kControllerChart =
      "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller";
  pkg.emplace("recommendations", json::array{json::object{{"url", kControllerChart}}});

  // Upstream keeps these in a BTreeMap: the std::map gives the same (sorted) key order.
  std::map<std::string, std::string> annotations;
  annotations["kubewarden/mutation"] = metadata.mutating ? "true" : "false";
  annotations["kubewarden/rules"] = JsonToYaml(RulesToJson(metadata.rules));
  if (!metadata.context_aware_resources.empty()) {
    annotations["kubewarden/contextAwareResources"] =
        JsonToYaml(ContextAwareResourcesToJson(metadata.context_aware_resources));
  }
  if (questions) annotations["kubewarden/questions-ui"] = *questions;
  if (auto hidden = metadata.Annotation(policy::kAnnotationHiddenUi)) {
    if (*hidden != "true" && *hidden != "false") {
      return Fail(ErrorKind::kInvalidArgument,
                  "annotation `" + std::string(policy::kAnnotationHiddenUi) + "`: '" +
                      std::string(*hidden) + "' is not true or false");
    }
    annotations["kubewarden/hidden-ui"] = std::string(*hidden);
  }
  if (auto resources = metadata.Annotation(policy::kAnnotationArtifactHubResources)) {
    annotations["kubewarden/resources"] = std::string(*resources);
  }
  json::object annotations_json;
  for (const auto& [key, value] : annotations) annotations_json.emplace(key, value);
  pkg.emplace("annotations", std::move(annotations_json));
  return pkg;
}

Result<std::string> ScaffoldArtifactHubText(const policy::Metadata& metadata,
                                            const std::optional<std::string>& questions,
                                            std::chrono::system_clock::time_point created_at) {
  KW_ASSIGN_OR_RETURN(json::value pkg, BuildArtifactHubPackage(metadata, questions, created_at));
  // The trailing space after the file name is upstream's.
  return "# Kubewarden Artifacthub Package config\n"
         "#\n"
         "# Use this config to submit the policy to https://artifacthub.io.\n"
         "#\n"
         "# This config can be saved to its default location with:\n"
         "#   kwctl scaffold artifacthub > artifacthub-pkg.yml \n" +
         JsonToYaml(pkg);
}

}  // namespace kw::kwctl
