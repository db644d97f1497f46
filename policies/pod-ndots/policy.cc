// pod-ndots (policies-more.md §7): sets the `ndots` resolver option of every Pod to the
// configured value, in spec.dnsConfig.options.
//
// Other kinds are accepted untouched. The object is decoded as a Pod (an error fails the call).
// Every option named ndots gets the value (as a decimal string); without one, an option is
// appended. The edits are made in place, so the patch holds only them: add /spec/dnsConfig,
// add .../options, add .../options/<n>, replace .../options/<i>/value, add .../value. A Pod
// without a spec gets one with `containers: []`, as upstream's typed Pod serializes it.
#include <kubewarden/kubewarden.h>

#include <cstdint>

namespace kw = kubewarden;

namespace {

struct Settings {
  std::uint32_t ndots = 1;
};

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  // Upstream's field is a usize, 32 bits on wasm32: serde names it "usize" in its errors.
  if (const kw::json::Value* ndots = reader.Raw("ndots")) {
    std::string error;
    if (auto n = kw::serde::DecodeInteger<std::uint32_t>(*ndots, &error)) {
      settings.ndots = *n;
    } else {
      reader.Fail("ndots", error.substr(0, error.rfind("u32")) + "usize");
    }
  }
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

// Sets every ndots option of `spec` to `value` (appending one if there is none); returns
// whether anything changed.
bool SetNdots(kw::json::Document& doc, kw::json::Value& spec, std::string_view value) {
  kw::json::Value* dns = doc.GetOrAddObject(spec, "dnsConfig");
  kw::json::Value* options = dns ? doc.GetOrAddArray(*dns, "options") : nullptr;
  if (options == nullptr) return false;  // the decode guarantees the types: not reached
  bool changed = false, found = false;
  for (kw::json::Value& option : *options) {
    if (!option.IsObject() || option.GetString("name") != "ndots") continue;
    found = true;
    if (option.GetString("value") == value) continue;
    doc.Set(option, "value", doc.String(value));
    changed = true;
  }
  if (found) return changed;
  kw::json::Value* option = doc.Object();
  doc.Set(*option, "name", doc.StringRef("ndots"));
  doc.Set(*option, "value", doc.String(value));
  doc.PushBack(*options, option);
  return true;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  if (request.kind().kind != "Pod") return kw::Accept();
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec) return kw::EvaluationError(std::string(kw::k8s::kDecodeErrorPrefixRust) + spec.error());

  kw::json::Document& doc = request.document();
  kw::json::Value& pod = *request.mutable_object();
  kw::json::Value* pod_spec = *spec;
  if (pod_spec == nullptr) {
    pod_spec = doc.Object();
    doc.Set(*pod_spec, "containers", doc.Array());
    doc.Set(pod, "spec", pod_spec);
  }
  // GetOrAdd* leave an existing object or array alone, so an unchanged Pod stays unchanged.
  bool changed = SetNdots(doc, *pod_spec, std::to_string(settings.ndots));
  if (!changed && *spec != nullptr) return kw::Accept();
  return kw::Mutate(pod);
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
