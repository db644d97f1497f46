// user-group-psp (policies.md §8): PSP replacement for runAsUser, runAsGroup,
// supplementalGroups and run-as-non-root. Can default or overwrite the IDs (mutating) and can
// check the USER of container images through the oci/v1/oci_manifest_config host capability.
//
// The pod spec comes from Extraction R: an unsupported kind or an undecodable object rejects
// with "Cannot parse validation request"; no pod spec accepts. Init containers then containers
// go through the user step and the group step (first rejection wins); if any container was
// mutated the same steps run on the pod-level securityContext; supplemental groups always run
// last on the pod-level securityContext. Mutations edit the request's object in place, so the
// patch holds only the added/replaced fields.
#include <charconv>

#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

enum Rule : std::size_t { kMustRunAs, kMayRunAs, kRunAsAny, kMustRunAsNonRoot };
constexpr std::string_view kRuleNames[] = {"MustRunAs", "MayRunAs", "RunAsAny",
                                           "MustRunAsNonRoot"};

struct IdRange {
  std::int64_t min = 0;
  std::int64_t max = 0;
};

struct Strategy {
  Rule rule = kRunAsAny;
  std::vector<IdRange> ranges;
  bool overwrite = false;
};

struct Settings {
  Strategy run_as_user;
  Strategy run_as_group;
  Strategy supplemental_groups;
  bool validate_container_image_configuration = false;
  bool validate_only = false;
};

// A #[serde(default)] struct RuleStrategy field: absent -> default, null -> type error.
void ReadStrategy(kw::SettingsReader& parent, std::string_view key, Strategy& out) {
  const kw::json::Value* raw = parent.Raw(key);
  if (raw != nullptr && raw->IsNull()) {
    parent.Fail(key, kw::serde::InvalidType(*raw, "struct RuleStrategy"));
    return;
  }
  auto reader = parent.Struct(key, "RuleStrategy");
  if (!reader) return;
  auto rule = reader->Enum("rule", {"MustRunAs", "MayRunAs", "RunAsAny", "MustRunAsNonRoot"},
                           kRunAsAny);
  out.rule = static_cast<Rule>(rule.value_or(kRunAsAny));
  for (kw::SettingsReader& range : reader->StructList("ranges", "IDRange", true)) {
    IdRange r;
    r.min = range.Integer<std::int64_t>("min", 0);
    r.max = range.Integer<std::int64_t>("max", 0);
    out.ranges.push_back(r);
  }
  out.overwrite = reader->Bool("overwrite", false);
}

void AppendInt(std::string& out, std::int64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), n);
  out.append(buf, r.ptr);
}

// "<prefix>: Invalid ID range: [IDRange { min: 10, max: 5 }, ...]", or nullopt if all ranges
// are well-formed.
std::optional<std::string> CheckRanges(const Strategy& s, std::string_view prefix) {
  std::string list;
  for (const IdRange& r : s.ranges) {
    if (r.min <= r.max) continue;
    if (!list.empty()) list.append(", ");
    list.append("IDRange { min: ");
    AppendInt(list, r.min);
    list.append(", max: ");
    AppendInt(list, r.max);
    list.append(" }");
  }
  if (list.empty()) return std::nullopt;
  return std::string(prefix) + ": Invalid ID range: [" + list + "]";
}

std::string CannotOverwrite(Rule rule) {
  return "Cannot set overwrite field with " + std::string(kRuleNames[rule]);
}

std::optional<std::string> CheckUserStrategy(const Strategy& s) {
  constexpr std::string_view kPrefix = "Invalid run_as_user settings";
  switch (s.rule) {
    case kRunAsAny:
    case kMustRunAsNonRoot:
      if (s.overwrite) return CannotOverwrite(s.rule);
      return std::nullopt;
    case kMustRunAs:
      if (s.ranges.empty()) return std::string(kPrefix) + ": Missing user ID range";
      return CheckRanges(s, kPrefix);
    case kMayRunAs:
      return std::string(kPrefix) + ": invalid rule.";
  }
  return std::nullopt;
}

std::optional<std::string> CheckGroupStrategy(const Strategy& s, std::string_view prefix) {
  switch (s.rule) {
    case kMayRunAs:
    case kRunAsAny:
      if (s.overwrite) return CannotOverwrite(s.rule);
      break;
    default:
      break;
  }
  switch (s.rule) {
    case kRunAsAny:
      return std::nullopt;
    case kMustRunAs:
    case kMayRunAs:
      if (s.ranges.empty()) return std::string(prefix) + ": missing ID range";
      return CheckRanges(s, prefix);
    case kMustRunAsNonRoot:
      return std::string(prefix) + ": Invalid rule.";
  }
  return std::nullopt;
}

// Decodes and validates the settings; returns the message that makes them invalid, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  ReadStrategy(reader, "run_as_user", settings.run_as_user);
  ReadStrategy(reader, "run_as_group", settings.run_as_group);
  ReadStrategy(reader, "supplemental_groups", settings.supplemental_groups);
  settings.validate_container_image_configuration =
      reader.Bool("validate_container_image_configuration", false);
  settings.validate_only = reader.Bool("validate_only", false);
  if (!reader.ok()) return reader.error();

  if (auto e = CheckUserStrategy(settings.run_as_user)) return e;
  if (auto e = CheckGroupStrategy(settings.run_as_group, "Invalid run_as_group settings")) {
    return e;
  }
  if (auto e = CheckGroupStrategy(settings.supplemental_groups,
                                  "Invalid supplemental_groups settings")) {
    return e;
  }
  if (settings.validate_only &&
      (settings.run_as_user.overwrite || settings.run_as_group.overwrite ||
       settings.supplemental_groups.overwrite)) {
    return "validate_only cannot be true when overwrite is true";
  }
  return std::nullopt;
}

// ------------------------------------------------------------------------------------------------
// Validation.
// ------------------------------------------------------------------------------------------------

bool InRange(std::int64_t id, const Strategy& s) {
  for (const IdRange& r : s.ranges) {
    if (r.min <= id && id <= r.max) return true;
  }
  return false;
}

// default(S): the min of the first range (settings validation guarantees one exists).
std::int64_t DefaultId(const Strategy& s) { return s.ranges.empty() ? 0 : s.ranges[0].min; }

using Verdict = std::optional<std::string>;  // a rejection message, or nullopt to go on

struct ImageIds {
  std::optional<std::int64_t> uid;
  std::optional<std::int64_t> gid;
};

// One securityContext holder (a container or the pod spec); the context itself is created
// only when a field is written. `changed` is set when a write changes the object: upstream
// writes even an equal value (and its `mutated` flag, which decides whether the pod-level
// steps run, counts that), but an object written back unchanged makes no patch, so answering
// "accepted" spares the guest serializing the object and the host diffing it.
class Context {
 public:
  Context(kw::json::Document& doc, kw::json::Value& owner, bool& changed)
      : doc_(doc), owner_(owner), changed_(changed) {}

  // A member of the securityContext; null and absent are the same (Option<T>).
  const kw::json::Value* Field(std::string_view key) const {
    const kw::json::Value* sc = owner_.Find("securityContext");
    const kw::json::Value* v = sc ? sc->Find(key) : nullptr;
    return v == nullptr || v->IsNull() ? nullptr : v;
  }
  std::optional<std::int64_t> Id(std::string_view key) const {
    const kw::json::Value* v = Field(key);
    return v ? v->AsInt64() : std::nullopt;
  }
  void Set(std::string_view key, kw::json::Value* value) {
    kw::json::Value* context = doc_.GetOrAddObject(owner_, "securityContext");
    if (context == nullptr) return;
    const kw::json::Value* old = context->Find(key);
    if (old != nullptr && kw::json::Equal(*old, *value)) return;
    doc_.Set(*context, key, value);
    changed_ = true;
  }
  kw::json::Document& doc() { return doc_; }

 private:
  kw::json::Document& doc_;
  kw::json::Value& owner_;
  bool& changed_;
};

Verdict UserStep(const Settings& settings, Context& ctx, const ImageIds& image, bool& mutated) {
  const Strategy& s = settings.run_as_user;
  switch (s.rule) {
    case kMustRunAs: {
      if (image.uid && !InRange(*image.uid, s)) {
        return "User ID defined in the container image is outside defined ranges";
      }
      auto uid = ctx.Id("runAsUser");
      if (s.overwrite || (!uid && !settings.validate_only)) {
        ctx.Set("runAsUser", ctx.doc().Int(DefaultId(s)));
        mutated = true;
        return std::nullopt;
      }
      if (uid && !InRange(*uid, s)) return "User ID outside defined ranges";
      if (settings.validate_only) return "Missing user ID";
      return std::nullopt;
    }
    case kMustRunAsNonRoot: {
      if (image.uid && *image.uid == 0) {
        return "User ID defined in the container image cannot be root ID (0)";
      }
      const kw::json::Value* non_root = ctx.Field("runAsNonRoot");
      if (non_root && non_root->AsBool() == false) return "RunAsNonRoot should be set to true";
      if (ctx.Id("runAsUser") == 0) return "Invalid user ID: cannot run container with root ID (0)";
      if (settings.validate_only) return "RunAsNonRoot should be set to true";
      ctx.Set("runAsNonRoot", ctx.doc().Bool(true));
      mutated = true;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

Verdict GroupStep(const Settings& settings, Context& ctx, const ImageIds& image, bool& mutated) {
  const Strategy& s = settings.run_as_group;
  if (s.rule != kMustRunAs && s.rule != kMayRunAs) return std::nullopt;
  if (image.gid && !InRange(*image.gid, s)) {
    return "Group ID defined in the container image is outside defined ranges";
  }
  auto gid = ctx.Id("runAsGroup");
  if (s.rule == kMustRunAs && (s.overwrite || (!gid && !settings.validate_only))) {
    ctx.Set("runAsGroup", ctx.doc().Int(DefaultId(s)));
    mutated = true;
    return std::nullopt;
  }
  if (gid && !InRange(*gid, s)) return "Group ID is outside defined ranges";
  if (s.rule == kMustRunAs && settings.validate_only) return "Missing group ID";
  return std::nullopt;
}

Verdict SupplementalGroupsStep(const Settings& settings, Context& ctx, bool& mutated) {
  const Strategy& s = settings.supplemental_groups;
  if (s.rule != kMustRunAs && s.rule != kMayRunAs) return std::nullopt;
  const kw::json::Value* groups = ctx.Field("supplementalGroups");
  if (s.rule == kMustRunAs && (s.overwrite || (!groups && !settings.validate_only))) {
    kw::json::Value* list = ctx.doc().Array();
    ctx.doc().PushBack(*list, ctx.doc().Int(DefaultId(s)));
    ctx.Set("supplementalGroups", list);
    mutated = true;
    return std::nullopt;
  }
  if (groups != nullptr) {
    for (const kw::json::Value& g : *groups) {
      auto id = g.AsInt64();
      if (!id || !InRange(*id, s)) return "Group ID is outside defined ranges";
    }
  }
  if (s.rule == kMustRunAs && settings.validate_only) return "Missing supplemental group ID";
  return std::nullopt;
}

// Parses an integer like Rust's str::parse::<i64>() (optional sign, digits only).
std::optional<std::int64_t> ParseId(std::string_view s) {
  bool plus = !s.empty() && s[0] == '+';
  if (plus) s.remove_prefix(1);
  if (s.empty() || (plus && s[0] == '-')) return std::nullopt;
  std::int64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

// The image's USER, through oci/v1/oci_manifest_config; a Windows image gives no IDs.
Verdict ImageConfiguration(kw::json::Document& doc, const kw::json::Value& container,
                           ImageIds& ids) {
  std::string payload;
  kw::json::AppendQuoted(payload, container.GetString("image").value_or(""));
  auto response = kw::HostCapabilityJson(doc, "oci", "v1/oci_manifest_config", payload);
  if (!response) {
    return "error invoking host capability oci.oci_manifest_config: " + response.error();
  }
  const kw::json::Value* config = (*response)->Find("config");
  if (config == nullptr) return std::nullopt;
  if (config->GetString("os") == "windows") return std::nullopt;
  auto user = config->GetString("config/User");
  if (!user) return std::nullopt;
  std::string_view text = *user;
  std::size_t colon = text.find(':');
  std::string_view part0 = text.substr(0, colon);
  auto uid = ParseId(part0);
  if (!uid) {
    return "Invalid user ID in the container image configuration: " + kw::RustDebug(part0);
  }
  ids.uid = uid;
  if (colon != std::string_view::npos) {
    std::string_view rest = text.substr(colon + 1);
    if (rest.find(':') == std::string_view::npos) {  // exactly two parts
      auto gid = ParseId(rest);
      if (!gid) {
        return "Invalid group ID in the container image configuration: " + kw::RustDebug(rest);
      }
      ids.gid = gid;
    }
  }
  return std::nullopt;
}

Verdict ValidateContainer(const Settings& settings, kw::json::Document& doc,
                          kw::json::Value& container, bool& mutated, bool& changed) {
  ImageIds image;
  if (settings.validate_container_image_configuration) {
    if (auto v = ImageConfiguration(doc, container, image)) return v;
  }
  Context ctx(doc, container, changed);
  if (auto v = UserStep(settings, ctx, image, mutated)) return v;
  return GroupStep(settings, ctx, image, mutated);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Cannot parse validation request");
  if (*spec == nullptr) return kw::Accept();
  kw::json::Value& pod_spec = **spec;
  kw::json::Document& doc = request.document();

  bool containers_mutated = false, changed = false;
  for (ContainerList list : {ContainerList::kInitContainers, ContainerList::kContainers}) {
    for (kw::json::Value& container : kw::k8s::Containers(pod_spec, list)) {
      if (auto v = ValidateContainer(settings, doc, container, containers_mutated, changed)) {
        return kw::Reject(*v);
      }
    }
  }

  Context pod(doc, pod_spec, changed);
  bool mutated = containers_mutated;
  if (containers_mutated) {
    ImageIds none;
    if (auto v = UserStep(settings, pod, none, mutated)) return kw::Reject(*v);
    if (auto v = GroupStep(settings, pod, none, mutated)) return kw::Reject(*v);
  }
  if (auto v = SupplementalGroupsStep(settings, pod, mutated)) return kw::Reject(*v);

  if (changed) return kw::Mutate(*request.mutable_object());
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
