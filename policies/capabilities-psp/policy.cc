// capabilities-psp (policies.md §5): restricts the Linux capabilities containers may add,
// forces drops and adds default capabilities.
//
// The pod spec comes from Extraction R; containers and init containers are inspected
// (ephemeral containers are ignored). An extraction error rejects with
// "Error deserializing Pod specification: <Debug of the SDK error>"; no pod spec accepts.
// Validation: the capabilities added by any container must be allowed (unless `*` is) and must
// not be on the required drop list. Mutation: append missing default_add_capabilities to `add`
// and missing required_drop_capabilities to `drop`, in sorted order, touching only the
// containers that change.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using Set = std::vector<std::string_view>;  // sorted, unique

struct Settings {
  Set allowed;
  Set required_drop;
  Set default_add;
};

bool Contains(const Set& set, std::string_view s) {
  return std::binary_search(set.begin(), set.end(), s);
}

Set Intersection(const Set& a, const Set& b) {
  Set out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Set Difference(const Set& a, const Set& b) {
  Set out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Decodes `value` like upstream's serde struct and checks its rules; returns the message that
// makes the settings invalid, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.allowed = reader.StringList("allowed_capabilities");
  settings.required_drop = reader.StringList("required_drop_capabilities");
  settings.default_add = reader.StringList("default_add_capabilities");
  if (!reader.ok()) return reader.error();
  kw::SortUnique(settings.allowed);
  kw::SortUnique(settings.required_drop);
  kw::SortUnique(settings.default_add);

  Set s = Intersection(settings.allowed, settings.required_drop);
  if (!s.empty()) {
    return "These capabilities cannot be allowed because they are also required to be dropped: " +
           kw::RustSet(s);
  }
  s = Intersection(settings.default_add, settings.required_drop);
  if (!s.empty()) {
    return "These capabilities cannot be added by default because they are also required to be "
           "dropped: " +
           kw::RustSet(s);
  }
  if (!Contains(settings.allowed, "*")) {
    s = Difference(settings.default_add, settings.allowed);
    if (!s.empty()) {
      return "These capabilities cannot be added by default because they are not allowed: " +
             kw::RustSet(s);
    }
  }
  return std::nullopt;
}

// The Debug form of the Rust SDK's extraction error.
std::string ExtractionErrorDebug(std::string_view error) {
  constexpr std::string_view kPrefix = kw::k8s::kDecodeErrorPrefixRust;
  if (error.starts_with(kPrefix)) {
    // A serde_json::Error from serde_json::from_value: no position.
    return "Deserialization(Error(" + kw::RustDebug(error.substr(kPrefix.size())) +
           ", line: 0, column: 0))";
  }
  return "Validation(" + kw::RustDebug(error) + ")";
}

// Adds the securityContext.capabilities.add entries of `container` to `added`.
void CollectAdded(const kw::json::Value& container, Set& added) {
  const kw::json::Value* add = container.GetArray("securityContext/capabilities/add");
  if (add == nullptr) return;
  for (const kw::json::Value& cap : *add) {
    if (auto s = cap.AsString()) added.push_back(*s);
  }
}

bool ArrayHas(const kw::json::Value* array, std::string_view s) {
  if (array == nullptr) return false;
  for (const kw::json::Value& e : *array) {
    if (e.AsString() == s) return true;
  }
  return false;
}

// Whether `container` misses one of `wanted` in securityContext.capabilities.<list>.
bool Misses(const kw::json::Value& container, std::string_view path, const Set& wanted) {
  const kw::json::Value* list = container.GetArray(path);
  for (std::string_view s : wanted) {
    if (!ArrayHas(list, s)) return true;
  }
  return false;
}

// Appends the missing default and required-drop capabilities; returns whether it changed.
bool MutateContainer(kw::json::Document& doc, kw::json::Value& container,
                     const Settings& settings) {
  if (!Misses(container, "securityContext/capabilities/add", settings.default_add) &&
      !Misses(container, "securityContext/capabilities/drop", settings.required_drop)) {
    return false;
  }
  kw::json::Value* context = doc.GetOrAddObject(container, "securityContext");
  kw::json::Value* caps = context ? doc.GetOrAddObject(*context, "capabilities") : nullptr;
  kw::json::Value* add = caps ? doc.GetOrAddArray(*caps, "add") : nullptr;
  kw::json::Value* drop = caps ? doc.GetOrAddArray(*caps, "drop") : nullptr;
  if (add == nullptr || drop == nullptr) return false;  // excluded by the typed decode
  for (std::string_view s : settings.default_add) {
    if (!ArrayHas(add, s)) doc.PushBack(*add, doc.StringRef(s));
  }
  for (std::string_view s : settings.required_drop) {
    if (!ArrayHas(drop, s)) doc.PushBack(*drop, doc.StringRef(s));
  }
  return true;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) {
    return kw::Reject("Error deserializing Pod specification: " +
                      ExtractionErrorDebug(spec.error()));
  }
  if (*spec == nullptr) return kw::Accept();
  kw::json::Value& pod_spec = **spec;

  constexpr ContainerList kLists[] = {ContainerList::kContainers, ContainerList::kInitContainers};
  Set added;
  for (ContainerList list : kLists) {
    for (const kw::json::Value& c : kw::k8s::Containers(pod_spec, list)) CollectAdded(c, added);
  }
  kw::SortUnique(added);

  if (!Contains(settings.allowed, "*")) {
    Set not_allowed = Difference(added, settings.allowed);
    if (!not_allowed.empty()) {
      return kw::Reject(
          "PSP capabilities policies doesn't allow these capabilities to be added: " +
          kw::RustSet(not_allowed));
    }
  }
  Set dropped = Intersection(added, settings.required_drop);
  if (!dropped.empty()) {
    return kw::Reject(
        "PSP capabilities policies doesn't allow these capabilities to be added because they "
        "are on the `required_drop_capabilities` list: " +
        kw::RustSet(dropped));
  }

  if (settings.default_add.empty() && settings.required_drop.empty()) return kw::Accept();
  kw::json::Document& doc = request.document();
  bool changed = false;
  for (ContainerList list : kLists) {
    for (kw::json::Value& c : kw::k8s::Containers(pod_spec, list)) {
      changed = MutateContainer(doc, c, settings) || changed;
    }
  }
  if (!changed) return kw::Accept();
  return kw::Mutate(*request.mutable_object());
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
