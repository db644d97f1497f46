// high-risk-service-account (policies.md §30): rejects workloads whose ServiceAccount holds
// one of the configured high-risk permissions, checked with SubjectAccessReviews through the
// kubernetes/can_i host capability.
//
// Extraction R: an error rejects with 400 "Failed to extract pod spec"; no pod spec counts as
// an empty one (ServiceAccount `default`). automountServiceAccountToken: false accepts without
// any host call. The first SAR answered `allowed: true` rejects with 403; failed calls are
// skipped; if every call failed the policy rejects with 403.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

struct Rule {
  std::vector<std::string_view> api_groups;
  std::vector<std::string_view> resources;
  std::vector<std::string_view> verbs;
  std::optional<std::string_view> namespace_name;
};

struct Settings {
  std::vector<Rule> block_rules;
};

constexpr std::initializer_list<std::string_view> kVerbs = {
    "*", "create", "update", "delete", "get", "list", "watch", "proxy", "patch",
    "deletecollection"};

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  for (kw::SettingsReader& r : reader.StructList("blockRules", "Rule", true)) {
    Rule rule;
    rule.api_groups = r.RequiredStringList("apiGroups");
    rule.resources = r.RequiredStringList("resources");
    rule.verbs = r.RequiredStringList("verbs");
    for (std::string_view verb : rule.verbs) {
      if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) {
        r.Fail("verbs", kw::serde::UnknownVariant(verb, kVerbs));
        break;
      }
    }
    rule.namespace_name = r.OptionalString("namespace");
    settings.block_rules.push_back(std::move(rule));
  }
  if (!reader.ok()) return reader.error();
  if (settings.block_rules.empty()) return "block_rules cannot be empty";
  for (const Rule& rule : settings.block_rules) {
    if (rule.api_groups.empty() || rule.resources.empty() || rule.verbs.empty()) {
      return "Invalid rule: Rule must specify apiGroups, resources, and verbs";
    }
  }
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  kw::k8s::PodSpecResult spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Failed to extract pod spec", 400);
  const kw::json::Value* pod_spec = *spec;

  std::string_view sa = "default";
  if (pod_spec != nullptr) {
    if (pod_spec->GetBool("automountServiceAccountToken") == false) return kw::Accept();
    if (auto name = pod_spec->GetString("serviceAccountName")) {
      sa = *name;
    } else if (auto legacy = pod_spec->GetString("serviceAccount")) {
      sa = *legacy;
    }
  }
  std::string user = "system:serviceaccount:";
  user.append(request.namespace_name()).append(":").append(sa);

  std::size_t calls = 0;
  std::size_t failures = 0;
  for (const Rule& rule : settings.block_rules) {
    for (std::string_view group : rule.api_groups) {
      for (std::string_view resource : rule.resources) {
        for (std::string_view verb : rule.verbs) {
          ++calls;
          kw::host::SubjectAccessReview review;
          review.user = user;
          review.resource_attributes.resource = resource;
          review.resource_attributes.verb = verb;
          review.resource_attributes.group = group;
          review.resource_attributes.namespace_name = rule.namespace_name;
          auto status = kw::host::CanI(review);
          if (!status) {
            ++failures;
            continue;
          }
          if (!status->allowed) continue;
          std::string message = "Cannot use service account '" + user +
                                "' with permissions to perform " + std::string(verb) + " " +
                                std::string(group) + "/" + std::string(resource);
          if (rule.namespace_name) {
            message += " in namespace '" + std::string(*rule.namespace_name) + "'";
          } else {
            message += " in the cluster";
          }
          return kw::Reject(message, 403);
        }
      }
    }
  }
  if (calls > 0 && failures == calls) {
    return kw::Reject("Failed to check permissions for all SubjectAccessReviews", 403);
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
