// probes (policies-more.md §8): containers must have liveness and/or readiness probes, whose
// timing fields stay within configured bounds.
//
// The pod spec comes from Extraction R: an unsupported kind or an undecodable object rejects
// with "Cannot parse validation request"; no pod spec accepts. Containers and init containers
// get the full check, ephemeral containers only the presence check. Each failing container
// adds "<container|init container|ephemeral container> <name> is invalid: <error>" (its first
// error); the texts are concatenated without a separator.
#include <kubewarden/kubewarden.h>

#include <array>
#include <cstdint>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct Bounds {
  std::optional<std::int64_t> minimum, limit;
};

// The timing fields of a probe: the order of settings validation, and (`check_rank`) the order
// in which a container's probe is checked, which upstream makes different.
struct TimingField {
  std::string_view name;
  int check_rank;
  bool is_int64;  // i64 in upstream's settings, else i32
};
constexpr std::array<TimingField, 6> kFields = {{
    {"periodSeconds", 0, false},
    {"failureThreshold", 1, false},
    {"initialDelaySeconds", 5, false},
    {"successThreshold", 2, false},
    {"terminationGracePeriodSeconds", 3, true},
    {"timeoutSeconds", 4, false},
}};

struct ProbeConfiguration {
  std::string_view probe;  // "liveness", "readiness"
  bool enforce = false;
  std::array<std::optional<Bounds>, kFields.size()> bounds;  // indexed like kFields
};

struct Settings {
  ProbeConfiguration liveness{"liveness", false, {}}, readiness{"readiness", false, {}};
};

template <typename T>
std::optional<std::int64_t> ReadBound(kw::SettingsReader& reader, std::string_view key) {
  return reader.OptionalInteger<T>(key);
}

void ReadProbe(kw::SettingsReader& settings, ProbeConfiguration& out) {
  auto reader = settings.Struct(out.probe, "ProbeConfiguration");
  if (!reader) {
    settings.MissingField(out.probe);
    return;
  }
  reader->DenyUnknownFields({"enforce", "periodSeconds", "failureThreshold",
                             "initialDelaySeconds", "successThreshold",
                             "terminationGracePeriodSeconds", "timeoutSeconds"});
  out.enforce = reader->RequiredBool("enforce");
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    auto bounds = reader->Struct(kFields[i].name, "Bounds");
    if (!bounds) continue;
    Bounds& b = out.bounds[i].emplace();
    b.minimum = kFields[i].is_int64 ? ReadBound<std::int64_t>(*bounds, "minimum")
                                    : ReadBound<std::int32_t>(*bounds, "minimum");
    b.limit = kFields[i].is_int64 ? ReadBound<std::int64_t>(*bounds, "limit")
                                  : ReadBound<std::int32_t>(*bounds, "limit");
  }
}

std::optional<std::string_view> InvalidBounds(const Bounds& b) {
  if (!b.minimum && !b.limit) return "at least one of minimum or limit must be set";
  if (b.minimum && *b.minimum <= 0) return "minimum must be greater than zero";
  if (b.limit && *b.limit <= 0) return "limit must be greater than zero";
  if (b.minimum && b.limit && *b.minimum > *b.limit) return "minimum cannot be greater than limit";
  return std::nullopt;
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  ReadProbe(reader, settings.liveness);
  ReadProbe(reader, settings.readiness);
  if (!reader.ok()) return reader.error();

  if (!settings.liveness.enforce && !settings.readiness.enforce) {
    return "at least one of liveness or readiness probe enforcement must be enabled";
  }
  // Bounds are checked even for a probe that is not enforced.
  for (const ProbeConfiguration* config : {&settings.liveness, &settings.readiness}) {
    for (std::size_t i = 0; i < kFields.size(); ++i) {
      if (!config->bounds[i]) continue;
      if (auto reason = InvalidBounds(*config->bounds[i])) {
        return "invalid " + std::string(config->probe) + " probe settings: " +
               std::string(kFields[i].name) + " validation failed: " + std::string(*reason);
      }
    }
  }
  return std::nullopt;
}

// The first problem of `probe` against the configured bounds, in upstream's check order.
std::optional<std::string> CheckTimings(const kw::json::Value& probe,
                                        const ProbeConfiguration& config) {
  for (int rank = 0; rank < static_cast<int>(kFields.size()); ++rank) {
    std::size_t i = 0;
    while (kFields[i].check_rank != rank) ++i;
    if (!config.bounds[i]) continue;
    const Bounds& b = *config.bounds[i];
    std::string prefix = std::string(kFields[i].name) + " validation failed: ";
    const kw::json::Value* field = probe.Find(kFields[i].name);
    std::optional<std::int64_t> v = field ? field->AsInt64() : std::nullopt;
    if (!v) return prefix + "missing value";
    if (b.minimum && *v < *b.minimum) {
      return prefix + std::to_string(*v) + " is below the minimum of " + std::to_string(*b.minimum);
    }
    if (b.limit && *v > *b.limit) {
      return prefix + std::to_string(*v) + " is above the limit of " + std::to_string(*b.limit);
    }
  }
  return std::nullopt;
}

// The first problem of one container: liveness, then readiness.
std::optional<std::string> CheckContainer(const kw::json::Value& container, std::string_view name,
                                          bool check_timings, const Settings& settings) {
  for (const ProbeConfiguration* config : {&settings.liveness, &settings.readiness}) {
    if (!config->enforce) continue;
    const kw::json::Value* probe = container.Find(std::string(config->probe) + "Probe");
    if (probe == nullptr || probe->IsNull()) {
      return "container " + std::string(name) + " without " + std::string(config->probe) +
             " probe is not accepted";
    }
    if (!check_timings) continue;
    if (auto error = CheckTimings(*probe, *config)) return error;
  }
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Cannot parse validation request");
  if (*spec == nullptr) return kw::Accept();

  std::string errors;
  kw::k8s::ForEachContainer(**spec, [&](const kw::json::Value& container, ContainerList list,
                                        std::size_t) {
    std::string_view name = container.GetString("name").value_or("");
    bool check_timings = list != ContainerList::kEphemeralContainers;
    if (auto error = CheckContainer(container, name, check_timings, settings)) {
      errors.append(kw::k8s::ContainerListNoun(list)).append(" ").append(name);
      errors.append(" is invalid: ").append(*error);
    }
  });
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
