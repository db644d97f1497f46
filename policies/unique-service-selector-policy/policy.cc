// unique-service-selector-policy (policies-more.md §12, context-aware): rejects a Service whose
// selector equals the selector of a Service listed in the object's namespace.
//
// The object itself is not excluded from the list (an UPDATE that keeps its selector names
// itself), as upstream does. An object that does not decode as a Service is accepted.
#include <kubewarden/kubewarden.h>

#include "../common/upstream_kubernetes.h"

namespace kw = kubewarden;

namespace {

// A Service's selector as k8s-openapi would decode it: nullopt when it has the wrong type,
// nullptr when absent or null (an empty selector), else the map.
std::optional<const kw::json::Value*> Selector(const kw::json::Value& service) {
  const kw::json::Value* spec = service.Find("spec");
  if (spec == nullptr || spec->IsNull()) return nullptr;
  if (!spec->IsObject()) return std::nullopt;
  const kw::json::Value* selector = spec->Find("selector");
  if (selector == nullptr || selector->IsNull()) return nullptr;
  if (!selector->IsObject()) return std::nullopt;
  for (const kw::json::Value& v : *selector) {
    if (!v.IsString()) return std::nullopt;
  }
  return selector;
}

// Whether `object` decodes as a Service (the members this policy reads, and the Rust-only
// apiVersion/kind check of policies.md §1.4).
bool DecodesAsService(const kw::json::Value* object) {
  if (object == nullptr || !object->IsObject()) return false;
  for (auto [key, want] : {std::pair{"apiVersion", "v1"}, std::pair{"kind", "Service"}}) {
    const kw::json::Value* v = object->Find(key);
    if (v != nullptr && !v->IsNull() && v->AsString() != std::string_view(want)) return false;
  }
  const kw::json::Value* metadata = object->Find("metadata");
  if (metadata != nullptr && !metadata->IsNull()) {
    if (!metadata->IsObject()) return false;
    for (const char* key : {"name", "namespace"}) {
      const kw::json::Value* v = metadata->Find(key);
      if (v != nullptr && !v->IsNull() && !v->IsString()) return false;
    }
  }
  return Selector(*object).has_value();
}

std::size_t Size(const kw::json::Value* selector) { return selector ? selector->size() : 0; }

// Equal maps, except that two empty selectors never match.
bool SameSelector(const kw::json::Value* a, const kw::json::Value* b) {
  if (Size(a) == 0 || Size(b) == 0 || a->size() != b->size()) return false;
  for (const kw::json::Value& entry : *a) {
    const kw::json::Value* other = b->Find(entry.key());
    if (other == nullptr || other->AsString() != entry.AsString()) return false;
  }
  return true;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  const kw::json::Value* object = request.object();
  if (!DecodesAsService(object)) return kw::Accept();
  const kw::json::Value* selector = *Selector(*object);

  kw::json::Document doc;
  std::string_view ns = object->GetString("metadata/namespace").value_or("");
  auto list = upstream::RustListResourcesByNamespace(doc, "v1", "Service", ns);
  const kw::json::Value* items = list ? (*list)->Find("items") : nullptr;
  if (items == nullptr || !items->IsArray()) return kw::Reject("cannot list current services");
  for (const kw::json::Value& item : *items) {
    if (!DecodesAsService(&item)) return kw::Reject("cannot list current services");
  }

  std::vector<std::string_view> duplicates;
  for (const kw::json::Value& item : *items) {
    if (!SameSelector(selector, *Selector(item))) continue;
    if (auto name = item.GetString("metadata/name")) duplicates.push_back(*name);
  }
  if (duplicates.empty()) return kw::Accept();
  return kw::Reject("service is using selector(s) already defined by these services: " +
                    kw::RustList(duplicates));
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
