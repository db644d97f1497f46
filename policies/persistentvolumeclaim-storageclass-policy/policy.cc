// persistentvolumeclaim-storageclass-policy (policies.md §26): allows or denies the storage class
// of PersistentVolumeClaims, optionally replacing an invalid one with a fallback.
//
// Rust-origin settings (camelCase, all optional, null is absent). The object is decoded as a PVC;
// a decode failure accepts. sc = spec.storageClassName or "". Allow mode: sc listed accepts, else
// mutate to the fallback or reject; deny mode: sc listed mutates to the fallback or rejects, else
// accepts. The mutation sets only spec.storageClassName (creating spec when needed).
#include <kubewarden/kubewarden.h>

#include <algorithm>

namespace kw = kubewarden;

namespace {

using Set = std::vector<std::string_view>;  // sorted, unique

struct Settings {
  std::optional<Set> denied;
  std::optional<Set> allowed;
  std::optional<std::string_view> fallback;
};

bool Contains(const Set& set, std::string_view s) {
  return std::binary_search(set.begin(), set.end(), s);
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.denied = reader.OptionalStringList("deniedStorageClasses");
  settings.allowed = reader.OptionalStringList("allowedStorageClasses");
  settings.fallback = reader.OptionalString("fallbackStorageClass");
  if (!reader.ok()) return reader.error();
  if (settings.denied) kw::SortUnique(*settings.denied);
  if (settings.allowed) kw::SortUnique(*settings.allowed);

  if (!settings.denied && !settings.allowed) {
    return "One of deniedStorageClasses or allowedStorageClasses must be set";
  }
  if (settings.denied && settings.allowed) {
    return "Only one of deniedStorageClasses or allowedStorageClasses can be set";
  }
  if (settings.denied) {
    if (settings.denied->empty()) return "deniedStorageClasses cannot be empty";
    if (settings.fallback && Contains(*settings.denied, *settings.fallback)) {
      return "fallbackStorageClass cannot be in deniedStorageClasses";
    }
  }
  if (settings.allowed) {
    if (settings.allowed->empty()) return "allowedStorageClasses cannot be empty";
    if (settings.fallback && !Contains(*settings.allowed, *settings.fallback)) {
      return "fallbackStorageClass must be in allowedStorageClasses";
    }
  }
  return std::nullopt;
}

// A minimal typed check of the PVC fields the policy relies on (k8s-openapi decode): the object,
// its apiVersion/kind, metadata and spec must have the right shapes, storageClassName a string.
bool DecodesAsPvc(const kw::json::Value* object) {
  if (object == nullptr || !object->IsObject()) return false;
  if (const kw::json::Value* v = object->Find("apiVersion")) {
    if (!v->IsString() || *v->AsString() != "v1") return false;
  }
  if (const kw::json::Value* k = object->Find("kind")) {
    if (!k->IsString() || *k->AsString() != "PersistentVolumeClaim") return false;
  }
  if (const kw::json::Value* m = object->Find("metadata")) {
    if (!m->IsNull() && !m->IsObject()) return false;
  }
  const kw::json::Value* spec = object->Find("spec");
  if (spec == nullptr || spec->IsNull()) return true;
  if (!spec->IsObject()) return false;
  if (const kw::json::Value* sc = spec->Find("storageClassName")) {
    if (!sc->IsNull() && !sc->IsString()) return false;
  }
  if (const kw::json::Value* am = spec->Find("accessModes")) {
    if (!am->IsNull()) {
      if (!am->IsArray()) return false;
      for (const kw::json::Value& e : *am) {
        if (!e.IsString()) return false;
      }
    }
  }
  for (std::string_view key : {"volumeName", "volumeMode", "volumeAttributesClassName"}) {
    if (const kw::json::Value* s = spec->Find(key)) {
      if (!s->IsNull() && !s->IsString()) return false;
    }
  }
  for (std::string_view key : {"resources", "selector", "dataSource", "dataSourceRef"}) {
    if (const kw::json::Value* s = spec->Find(key)) {
      if (!s->IsNull() && !s->IsObject()) return false;
    }
  }
  return true;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  kw::json::Value* object = request.mutable_object();
  if (!DecodesAsPvc(object)) return kw::Accept();
  kw::json::Value* spec = object->Find("spec");
  std::string_view sc;
  if (spec != nullptr && spec->IsObject()) {
    if (const kw::json::Value* v = spec->Find("storageClassName")) sc = v->AsString().value_or("");
  }

  bool invalid = settings.allowed ? !Contains(*settings.allowed, sc)
                                  : Contains(*settings.denied, sc);
  if (!invalid) return kw::Accept();
  if (!settings.fallback) {
    return kw::Reject("storage class \"" + std::string(sc) + "\" is not allowed");
  }
  kw::json::Document& doc = request.document();
  kw::json::Value* spec_obj = doc.GetOrAddObject(*object, "spec");  // replaces a null spec
  // The fallback is a view into the settings, part of the payload: it outlives the call.
  if (spec_obj == nullptr ||
      doc.Set(*spec_obj, "storageClassName", doc.StringRef(*settings.fallback)) == nullptr) {
    return kw::EvaluationError("cannot set spec.storageClassName");
  }
  return kw::Mutate(*object);
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
