// policies/common/upstream_kubernetes.h: the Kubernetes host calls exactly as upstream's SDKs
// send them (policies-more.md §1.3), for the context-aware catalogue policies.
//
// Record/replay compares a guest's requests value by value with sessions recorded from upstream
// policies, so a port must send the request its upstream SDK sends:
//   * the Rust SDK 0.17 serialises every field, `null` included, and wraps failures as
//     "error invoking host capability kubernetes.<op>: Host error: <host message>";
//   * the Go SDK omits empty optional fields but always sends a set namespace (even ""), and
//     passes the host message through unchanged.
// kubewarden/host.h builds the Go SDK's list payloads but omits an empty get_resource namespace
// and never writes nulls, hence these.
//
// Not a policy folder (no metadata.yml): policies include it by relative path.
#ifndef POLICIES_COMMON_UPSTREAM_KUBERNETES_H_
#define POLICIES_COMMON_UPSTREAM_KUBERNETES_H_

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <kubewarden/kubewarden.h>

namespace upstream {

namespace kw = kubewarden;

// The Rust SDK's text for a failed call of kubernetes/<operation>.
inline std::string RustHostError(std::string_view operation, std::string_view host_message) {
  std::string out = "error invoking host capability kubernetes.";
  out.append(operation).append(": Host error: ").append(host_message);
  return out;
}

namespace internal {
inline void NullableString(kw::json::Writer& w, std::optional<std::string_view> s) {
  if (s) {
    w.String(*s);
  } else {
    w.Null();
  }
}

// The answer parsed into `doc`; a failed call carries the Rust SDK's text, an unparsable answer
// "error deserializing <context>: <parse error>".
inline std::expected<const kw::json::Value*, std::string> RustCall(kw::json::Document& doc,
                                                                   std::string_view operation,
                                                                   std::string_view context,
                                                                   const std::string& payload) {
  kw::HostResult answer = kw::HostCapability("kubernetes", operation, payload);
  if (!answer) return std::unexpected(RustHostError(operation, answer.error()));
  std::string_view text(doc.arena().CopyString(*answer), answer->size());
  const kw::json::Value* v = doc.Parse(text);
  if (v == nullptr) {
    return std::unexpected("error deserializing " + std::string(context) + ": " + doc.error());
  }
  return v;
}
}  // namespace internal

// Rust SDK kubernetes/get_resource:
// {"api_version","kind","name","namespace": str|null,"disable_cache","field_masks":null}.
inline std::expected<const kw::json::Value*, std::string> RustGetResource(
    kw::json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view name, std::optional<std::string_view> namespace_name, bool disable_cache) {
  std::string p;
  kw::json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("name").String(name).Key("namespace");
  internal::NullableString(w, namespace_name);
  w.Key("disable_cache").Bool(disable_cache).Key("field_masks").Null().EndObject();
  return internal::RustCall(doc, "get_resource", "get resource response", p);
}

// Rust SDK kubernetes/list_resources_by_namespace: {"api_version","kind","namespace",
// "label_selector":null,"field_selector": str|null,"field_masks": [sorted]|null}.
inline std::expected<const kw::json::Value*, std::string> RustListResourcesByNamespace(
    kw::json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view namespace_name, std::optional<std::string_view> field_selector = {},
    std::span<const std::string_view> sorted_field_masks = {}) {
  std::string p;
  kw::json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("namespace").String(namespace_name).Key("label_selector").Null();
  w.Key("field_selector");
  internal::NullableString(w, field_selector);
  w.Key("field_masks");
  if (sorted_field_masks.empty()) {
    w.Null();
  } else {
    w.BeginArray();
    for (std::string_view mask : sorted_field_masks) w.String(mask);
    w.EndArray();
  }
  w.EndObject();
  return internal::RustCall(doc, "list_resources_by_namespace",
                            "list resources by namespace response", p);
}

// Rust SDK kubernetes/list_resources_all, no selectors nor masks.
inline std::expected<const kw::json::Value*, std::string> RustListResourcesAll(
    kw::json::Document& doc, std::string_view api_version, std::string_view kind) {
  std::string p;
  kw::json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("label_selector").Null().Key("field_selector").Null().Key("field_masks").Null();
  w.EndObject();
  return internal::RustCall(doc, "list_resources_all", "list resources all response", p);
}

// The serde error of decoding `object` as the k8s-openapi type `api_version`/`kind` (policies.md
// §1.4), as far as the members these policies read go: an object, matching apiVersion and kind
// when present, and metadata whose labels and annotations are maps of strings.
inline std::optional<std::string> RustObjectError(const kw::json::Value& object,
                                                  std::string_view api_version,
                                                  std::string_view kind) {
  namespace serde = kw::serde;
  if (!object.IsObject()) return serde::InvalidType(object, "struct " + std::string(kind));
  for (auto [key, want] : {std::pair{"apiVersion", api_version}, std::pair{"kind", kind}}) {
    const kw::json::Value* v = object.Find(key);
    if (v == nullptr) continue;
    if (!v->IsString()) return serde::InvalidType(*v, "a string");
    if (*v->AsString() != want) return serde::InvalidValue(*v, want);
  }
  const kw::json::Value* metadata = object.Find("metadata");
  if (metadata == nullptr || metadata->IsNull()) return std::nullopt;
  if (!metadata->IsObject()) return serde::InvalidType(*metadata, "struct ObjectMeta");
  for (const char* key : {"name", "namespace"}) {
    const kw::json::Value* v = metadata->Find(key);
    if (v != nullptr && !v->IsNull() && !v->IsString()) return serde::InvalidType(*v, "a string");
  }
  for (const char* key : {"labels", "annotations"}) {
    const kw::json::Value* map = metadata->Find(key);
    if (map == nullptr || map->IsNull()) continue;
    if (!map->IsObject()) return serde::InvalidType(*map, "a map");
    for (const kw::json::Value& v : *map) {
      if (!v.IsString()) return serde::InvalidType(v, "a string");
    }
  }
  return std::nullopt;
}

// RustGetResource, then the decode of the answer as that type (RustObjectError), failing as
// the Rust SDK does: "error deserializing get resource response: <serde text>".
inline std::expected<const kw::json::Value*, std::string> RustGetObject(
    kw::json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view name, std::optional<std::string_view> namespace_name, bool disable_cache) {
  auto answer = RustGetResource(doc, api_version, kind, name, namespace_name, disable_cache);
  if (!answer) return answer;
  if (auto error = RustObjectError(**answer, api_version, kind)) {
    return std::unexpected("error deserializing get resource response: " + *error);
  }
  return answer;
}

// Go SDK kubernetes/get_resource with a namespace pointer that is always set:
// {"api_version","kind","name","namespace","disable_cache"}. The raw answer or the host's
// message, unchanged.
inline kw::HostResult GoGetNamespacedResource(std::string_view api_version, std::string_view kind,
                                              std::string_view name,
                                              std::string_view namespace_name,
                                              bool disable_cache) {
  std::string p;
  kw::json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("name").String(name).Key("namespace").String(namespace_name);
  w.Key("disable_cache").Bool(disable_cache).EndObject();
  return kw::HostCapability("kubernetes", "get_resource", p);
}

}  // namespace upstream

#endif  // POLICIES_COMMON_UPSTREAM_KUBERNETES_H_
