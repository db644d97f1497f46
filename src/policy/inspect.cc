#include "policy/inspect.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/yaml.h"

namespace kw::policy {
namespace {

// Annotations shown as their own rows in "Details", in this order.
constexpr std::string_view kDetailAnnotations[] = {kAnnotationTitle,  kAnnotationDescription,
                                                   kAnnotationAuthor, kAnnotationUrl,
                                                   kAnnotationSource, kAnnotationLicense};

using Rows = std::vector<std::pair<std::string, std::string>>;

// Pads every label to a common column; continuation lines of multi-line values are indented to
// it as well, so values stay visually grouped.
void AppendTable(const Rows& rows, std::string& out) {
  std::size_t width = 0;
  for (const auto& [label, value] : rows) width = std::max(width, label.size());
  std::string indent(width + 1, ' ');
  for (const auto& [label, value] : rows) {
    out += label;
    out.append(width + 1 - label.size(), ' ');
    for (char c : value) {
      out += c;
      if (c == '\n') out += indent;
    }
    out += '\n';
  }
}

void AppendYamlBlock(const json::value& value, std::string& out) {
  out += "```yaml\n";
  out += JsonToYaml(value);
  out += "```\n";
}

}  // namespace

std::string RenderInspectPretty(const Metadata& metadata, std::string_view uri) {
  std::string out;

  Rows details;
  for (std::string_view key : kDetailAnnotations) {
    if (auto value = metadata.Annotation(key)) {
      details.emplace_back(std::string(key.substr(kAnnotationPolicyPrefix.size())) + ":",
                           std::string(*value));
    }
  }
  auto yes_no = [](bool b) { return std::string(b ? "true" : "false"); };
  details.emplace_back("mutating:", yes_no(metadata.mutating));
  details.emplace_back("background audit support:", yes_no(metadata.background_audit));
  details.emplace_back("context aware:", yes_no(!metadata.context_aware_resources.empty()));
  details.emplace_back("policy type:", std::string(PolicyTypeName(metadata.policy_type)));
  details.emplace_back("execution mode:", std::string(ExecutionModeName(metadata.execution_mode)));
  // Upstream prints the protocol version as its number (v1 → 1, Unknown → 0).
  if (metadata.execution_mode == ExecutionMode::kKubewardenWapc && metadata.protocol_version) {
    details.emplace_back("protocol version:",
                         *metadata.protocol_version == ProtocolVersion::kV1 ? "1" : "0");
  }
  if (metadata.minimum_kubewarden_version) {
    details.emplace_back("minimum kubewarden version:", *metadata.minimum_kubewarden_version);
  }
  out += "Details\n";
  AppendTable(details, out);

  Rows annotations;
  if (metadata.annotations) {
    for (const auto& [key, value] : *metadata.annotations) {
      bool shown = key == kAnnotationUsage ||
                   std::find(std::begin(kDetailAnnotations), std::end(kDetailAnnotations), key) !=
                       std::end(kDetailAnnotations);
      if (!shown) annotations.emplace_back(key, value);
    }
  }
  if (!annotations.empty()) {
    out += "\nAnnotations\n";
    AppendTable(annotations, out);
  }

  json::array rules;
  for (const auto& rule : metadata.rules) rules.push_back(RuleToJson(rule));
  out += "\nRules\n";
  AppendYamlBlock(rules, out);

  if (!metadata.context_aware_resources.empty()) {
    json::array resources;
    for (const auto& r : metadata.context_aware_resources) {
      resources.push_back(ContextAwareResourceToJson(r));
    }
    out += "\nContext Aware\n";
    out += "The policy requires access to the following resources:\n";
    AppendYamlBlock(resources, out);
    out += "Make sure you trust the policy before granting it access to these resources, e.g. with "
           "`kwctl run --allow-context-aware ";
    out += uri;
    out += "`.\n";
  }

  if (auto usage = metadata.Annotation(kAnnotationUsage)) {
    out += "\nUsage\n";
    out += *usage;
    if (!usage->ends_with('\n')) out += '\n';
  }
  return out;
}

std::string RenderInspectYaml(const Metadata& metadata) {
  return JsonToYaml(MetadataToJson(metadata));
}

}  // namespace kw::policy
