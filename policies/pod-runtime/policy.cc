// pod-runtime (policies.md §23, upstream pod-runtime-class-policy): reserves runtime classes,
// optionally replacing a reserved or default runtime with a fallback.
//
// The pod spec comes from Extraction R: an error is an evaluation error (upstream propagates
// it), no pod spec accepts. With n = spec.runtimeClassName:
//   1. n in reservedRuntimes: mutate to the fallback, else reject "runtime '<n>' is reserved";
//   2. else defaultRuntimeReserved: mutate to the fallback, else reject "Usage of the default
//      runtime is reserved" (also when n names a non-reserved runtime, as upstream);
//   3. else a fallback is set: mutate (any explicit non-reserved runtime is overwritten too);
//   4. else accept.
// The mutation sets only spec.runtimeClassName (one replace, or one add). A value already equal
// to the fallback yields an empty diff upstream, i.e. no patch: we accept.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

struct Settings {
  std::vector<std::string_view> reserved;  // sorted, unique
  std::optional<std::string_view> fallback;
  bool default_reserved = false;
};

bool Contains(const std::vector<std::string_view>& set, std::string_view s) {
  return std::binary_search(set.begin(), set.end(), s);
}

// Decodes `value` like upstream's serde struct (camelCase) and checks its rule; returns the
// message that makes the settings invalid, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.reserved = reader.StringList("reservedRuntimes");
  settings.fallback = reader.OptionalString("fallbackRuntime");
  settings.default_reserved = reader.OptionalBool("defaultRuntimeReserved").value_or(false);
  if (!reader.ok()) return reader.error();
  kw::SortUnique(settings.reserved);
  if (settings.fallback && Contains(settings.reserved, *settings.fallback)) {
    return "fallback runtime " + std::string(*settings.fallback) +
           " cannot be part of the reserved runtimes";
  }
  return std::nullopt;
}

// Sets spec.runtimeClassName to the fallback, keeping its position when present.
kw::ValidationResponse UseFallback(kw::ValidationRequest& request, kw::json::Value& spec,
                                   std::optional<std::string_view> name,
                                   std::string_view fallback) {
  if (name == fallback) return kw::Accept();  // empty diff: no patch
  kw::json::Document& doc = request.document();
  // The fallback is a view into the settings, part of the payload: it outlives the call.
  if (doc.Set(spec, "runtimeClassName", doc.StringRef(fallback)) == nullptr) {
    return kw::EvaluationError("cannot set runtimeClassName");
  }
  return kw::Mutate(*request.mutable_object());
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::EvaluationError(spec.error());
  if (*spec == nullptr) return kw::Accept();
  kw::json::Value& pod_spec = **spec;

  // The typed decode guarantees a string or null (absent).
  std::optional<std::string_view> name = pod_spec.GetString("runtimeClassName");
  if (name && Contains(settings.reserved, *name)) {
    if (settings.fallback) return UseFallback(request, pod_spec, name, *settings.fallback);
    return kw::Reject("runtime '" + std::string(*name) + "' is reserved");
  }
  if (settings.default_reserved) {
    if (settings.fallback) return UseFallback(request, pod_spec, name, *settings.fallback);
    return kw::Reject("Usage of the default runtime is reserved");
  }
  if (settings.fallback) return UseFallback(request, pod_spec, name, *settings.fallback);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
