// selinux-psp (policies.md §11): PSP replacement for SELinux options. MustRunAs validates the
// seLinuxOptions of the pod and of every container and defaults them where missing; RunAsAny
// accepts everything.
//
// Rust-origin: the settings are a serde enum tagged by the required key `rule` (the tag is
// decoded first, as serde does); RunAsAny ignores the other keys. The object is decoded as a
// Pod (P): a decode failure accepts. A missing spec is an evaluation error (`invalid pod spec`).
// The first rejection wins and discards any defaulting.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct Options {
  std::optional<std::string_view> level, role, type, user;
};

struct Settings {
  bool must_run_as = false;
  Options options;
};

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  {
    kw::SettingsReader tag(value);
    auto rule = tag.Enum("rule", {"MustRunAs", "RunAsAny"});
    if (!tag.ok()) return tag.error();
    settings.must_run_as = rule && *rule == 0;
  }
  if (!settings.must_run_as) return std::nullopt;
  kw::SettingsReader reader(value);
  Options& o = settings.options;
  o.user = reader.OptionalString("user");
  o.role = reader.OptionalString("role");
  o.type = reader.OptionalString("type");
  o.level = reader.OptionalString("level");
  if (!reader.ok()) return reader.error();
  if (!o.user && !o.role && !o.type && !o.level) {
    return std::string("you have to provide at least a user, group, type or level settings");
  }
  return std::nullopt;
}

std::optional<std::string_view> Member(const kw::json::Value& object, std::string_view key) {
  const kw::json::Value* v = object.Find(key);
  return v != nullptr ? v->AsString() : std::nullopt;  // null is absent
}

// A level split into (sensitivity, sorted categories); ("", {}) unless it has exactly one ':'.
std::pair<std::string_view, std::vector<std::string_view>> ParseLevel(std::string_view level) {
  std::size_t colon = level.find(':');
  if (colon == std::string_view::npos || level.find(':', colon + 1) != std::string_view::npos) {
    return {};
  }
  std::vector<std::string_view> categories;
  std::string_view rest = level.substr(colon + 1);
  while (true) {
    std::size_t comma = rest.find(',');
    categories.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  kw::SortUnique(categories);
  return {level.substr(0, colon), std::move(categories)};
}

bool LevelsEqual(std::string_view a, std::string_view b) {
  return a == b || ParseLevel(a) == ParseLevel(b);
}

bool Compliant(const kw::json::Value& actual, const Options& expected) {
  auto level = Member(actual, "level");
  if (level && expected.level && !LevelsEqual(*level, *expected.level)) return false;
  return Member(actual, "role") == expected.role && Member(actual, "type") == expected.type &&
         Member(actual, "user") == expected.user;
}

kw::json::Value* NewOptions(kw::json::Document& doc, const Options& o) {
  kw::json::Value* out = doc.Object();
  if (o.level) doc.Set(*out, "level", doc.StringRef(*o.level));
  if (o.role) doc.Set(*out, "role", doc.StringRef(*o.role));
  if (o.type) doc.Set(*out, "type", doc.StringRef(*o.type));
  if (o.user) doc.Set(*out, "user", doc.StringRef(*o.user));
  return out;
}

enum class Outcome { kOk, kDefaulted, kRejected };

// Checks the seLinuxOptions of `holder` (a pod spec or a container), defaulting them when
// missing.
Outcome Apply(kw::json::Document& doc, kw::json::Value& holder, const Options& expected) {
  kw::json::Value* context = holder.Find("securityContext");
  if (context != nullptr && context->IsObject()) {
    const kw::json::Value* options = context->Find("seLinuxOptions");
    if (options != nullptr && options->IsObject()) {
      return Compliant(*options, expected) ? Outcome::kOk : Outcome::kRejected;
    }
    doc.Set(*context, "seLinuxOptions", NewOptions(doc, expected));
    return Outcome::kDefaulted;
  }
  kw::json::Value* created = doc.Object();
  doc.Set(*created, "seLinuxOptions", NewOptions(doc, expected));
  doc.Set(holder, "securityContext", created);
  return Outcome::kDefaulted;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec) return kw::Accept();
  if (!settings.must_run_as) return kw::Accept();
  if (*spec == nullptr) return kw::EvaluationError("invalid pod spec");
  kw::json::Value& pod_spec = **spec;

  kw::json::Document& doc = request.document();
  bool defaulted = false;
  auto apply = [&](kw::json::Value& holder) {
    Outcome outcome = Apply(doc, holder, settings.options);
    defaulted = defaulted || outcome == Outcome::kDefaulted;
    return outcome != Outcome::kRejected;
  };
  const char* kFailed = "SELinux validation failed";
  if (!apply(pod_spec)) return kw::Reject(kFailed);
  bool applied = kw::k8s::ForEachContainer(
      pod_spec, [&](kw::json::Value& c, ContainerList, std::size_t) { return apply(c); });
  if (!applied) return kw::Reject(kFailed);
  if (!defaulted) return kw::Accept();
  return kw::Mutate(*request.mutable_object());
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
