// kubewarden/host.h: Kubewarden host capabilities (policy-server spec §4.c) and logging.
//
// Every capability is a waPC host call with binding "kubewarden", a namespace, an operation
// and a JSON payload; the answer is JSON. HostCapability is the generic call; the typed
// helpers below only build the payloads the spec lists. A policy may only use the
// capabilities its metadata (`hostCapabilities`) and the operator grant; otherwise the host
// answers an error such as "Policy has not been granted access to the 'oci/v1/manifest_digest'
// host capability. The violation has been reported."
//
// Logging: Log() goes through the `tracing/log` capability (always granted; the host logs the
// event at the given level with target `policy_log`). wapc::ConsoleLog is the plain waPC
// alternative (INFO only).
#ifndef KUBEWARDEN_HOST_H_
#define KUBEWARDEN_HOST_H_

#include <expected>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kubewarden/json.h"
#include "kubewarden/wapc.h"

namespace kubewarden {

// The raw answer of a host call, or the host's error message.
using HostResult = std::expected<std::string, std::string>;

// Calls capability `ns`/`operation` with the JSON text `payload`.
inline HostResult HostCapability(std::string_view ns, std::string_view operation,
                                 std::string_view payload) {
  return wapc::HostCall("kubewarden", ns, operation, payload);
}

// Same, parsing the answer into `doc` (which then owns a copy of the text). Returns the answer's
// root value, or the host error, or "invalid host response: <parse error>".
inline std::expected<json::Value*, std::string> HostCapabilityJson(json::Document& doc,
                                                                   std::string_view ns,
                                                                   std::string_view operation,
                                                                   std::string_view payload) {
  HostResult r = HostCapability(ns, operation, payload);
  if (!r) return std::unexpected(std::move(r).error());
  std::string_view text(doc.arena().CopyString(*r), r->size());
  json::Value* v = doc.Parse(text);
  if (v == nullptr) return std::unexpected("invalid host response: " + doc.error());
  return v;
}

enum class LogLevel { kTrace, kDebug, kInfo, kWarning, kError };

// Logs `message` at `level` through tracing/log, with extra string `fields` (the host shows them
// as `data`). Never fails: logging errors are ignored, like upstream.
inline void Log(LogLevel level, std::string_view message,
                std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {}) {
  static constexpr std::string_view kNames[] = {"trace", "debug", "info", "warning", "error"};
  std::string payload;
  json::Writer w(payload);
  w.BeginObject().Key("level").String(kNames[static_cast<int>(level)]);
  w.Key("message").String(message);
  for (const auto& [key, value] : fields) w.Key(key).String(value);
  w.EndObject();
  (void)HostCapability("tracing", "log", payload);
}

// --- Typed payloads for the capabilities of §4.c.2. Results are the host's JSON. ---
namespace host {

namespace internal {
// Upstream serializes an absent Option as null rather than omitting the key.
inline void WriteOptionalString(json::Writer& w, const std::optional<std::string_view>& s) {
  if (s) {
    w.String(*s);
  } else {
    w.Null();
  }
}

// The optional `field_masks` key: omitted when there are none, so that hosts without field
// masks see the request they have always seen.
inline void WriteFieldMasks(json::Writer& w, std::span<const std::string_view> field_masks) {
  if (field_masks.empty()) return;
  w.Key("field_masks").BeginArray();
  for (std::string_view mask : field_masks) w.String(mask);
  w.EndArray();
}

inline void WriteSelectors(json::Writer& w, std::string_view label_selector,
                           std::string_view field_selector) {
  if (!label_selector.empty()) w.Key("label_selector").String(label_selector);
  if (!field_selector.empty()) w.Key("field_selector").String(field_selector);
}
}  // namespace internal

// kubernetes/get_resource: one object. `namespace_name` empty = cluster-scoped. `field_masks`
// (dot-paths such as "spec.containers.image") keep only those fields of the object's data.
inline std::expected<json::Value*, std::string> GetResource(
    json::Document& doc, std::string_view api_version, std::string_view kind, std::string_view name,
    std::string_view namespace_name, bool disable_cache = false,
    std::span<const std::string_view> field_masks = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("name").String(name);
  if (!namespace_name.empty()) w.Key("namespace").String(namespace_name);
  w.Key("disable_cache").Bool(disable_cache);
  internal::WriteFieldMasks(w, field_masks);
  w.EndObject();
  return HostCapabilityJson(doc, "kubernetes", "get_resource", p);
}

// kubernetes/list_resources_by_namespace: a List ({"items": [...]}). Selectors use the
// Kubernetes syntax ("app=web,tier!=db"); empty = no selector.
inline std::expected<json::Value*, std::string> ListResourcesByNamespace(
    json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view namespace_name, std::string_view label_selector = {},
    std::string_view field_selector = {}, std::span<const std::string_view> field_masks = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("namespace").String(namespace_name);
  internal::WriteSelectors(w, label_selector, field_selector);
  internal::WriteFieldMasks(w, field_masks);
  w.EndObject();
  return HostCapabilityJson(doc, "kubernetes", "list_resources_by_namespace", p);
}

// kubernetes/list_resources_all: a List across namespaces.
inline std::expected<json::Value*, std::string> ListResourcesAll(
    json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view label_selector = {}, std::string_view field_selector = {},
    std::span<const std::string_view> field_masks = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  internal::WriteSelectors(w, label_selector, field_selector);
  internal::WriteFieldMasks(w, field_masks);
  w.EndObject();
  return HostCapabilityJson(doc, "kubernetes", "list_resources_all", p);
}

// The question of a SubjectAccessReview: may `user` (in `groups`) do `verb` on `resource`?
// Unset optional fields mean "any" to the API server.
struct SubjectAccessReview {
  std::string_view user;
  std::optional<std::vector<std::string_view>> groups;
  struct ResourceAttributes {
    std::string_view resource;
    std::string_view verb;
    std::optional<std::string_view> group;
    std::optional<std::string_view> name;
    std::optional<std::string_view> namespace_name;
    std::optional<std::string_view> subresource;
    std::optional<std::string_view> version;
  } resource_attributes;
};

// The API server's SubjectAccessReviewStatus.
struct SubjectAccessReviewStatus {
  bool allowed = false;
  std::optional<bool> denied;
  std::optional<std::string> reason;
  std::optional<std::string> evaluation_error;
};

namespace internal {
// Upstream's payload: every Option written (null when unset), fields in serde's order.
inline std::string CanIPayload(const SubjectAccessReview& review, bool disable_cache) {
  const SubjectAccessReview::ResourceAttributes& a = review.resource_attributes;
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("subject_access_review").BeginObject().Key("groups");
  if (review.groups) {
    w.BeginArray();
    for (std::string_view g : *review.groups) w.String(g);
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("resource_attributes").BeginObject().Key("group");
  WriteOptionalString(w, a.group);
  w.Key("name");
  WriteOptionalString(w, a.name);
  w.Key("namespace");
  WriteOptionalString(w, a.namespace_name);
  w.Key("resource").String(a.resource).Key("subresource");
  WriteOptionalString(w, a.subresource);
  w.Key("verb").String(a.verb).Key("version");
  WriteOptionalString(w, a.version);
  w.EndObject().Key("user").String(review.user).EndObject();
  w.Key("disable_cache").Bool(disable_cache).EndObject();
  return p;
}

inline std::unexpected<std::string> InvalidHostResponse(std::string_view why) {
  return std::unexpected("invalid host response: " + std::string(why));
}
}  // namespace internal

// kubernetes/can_i: asks the API server (SubjectAccessReview). Not gated by
// contextAwareResources, only by hostCapabilities.
inline std::expected<SubjectAccessReviewStatus, std::string> CanI(
    const SubjectAccessReview& review, bool disable_cache = false) {
  json::Document doc;
  auto answer =
      HostCapabilityJson(doc, "kubernetes", "can_i", internal::CanIPayload(review, disable_cache));
  if (!answer) return std::unexpected(std::move(answer).error());
  const json::Value& v = **answer;
  SubjectAccessReviewStatus status;
  std::optional<bool> allowed = v.IsObject() ? v.GetBool("allowed") : std::nullopt;
  if (!allowed) return internal::InvalidHostResponse("missing boolean `allowed`");
  status.allowed = *allowed;
  status.denied = v.GetBool("denied");
  if (auto reason = v.GetString("reason")) status.reason.emplace(*reason);
  if (auto error = v.GetString("evaluationError")) status.evaluation_error.emplace(*error);
  return status;
}

namespace internal {
// The capabilities whose payload is one JSON string (an image reference, a host name).
inline std::expected<json::Value*, std::string> CallWithString(json::Document& doc,
                                                               std::string_view ns,
                                                               std::string_view operation,
                                                               std::string_view value) {
  std::string p;
  json::AppendQuoted(p, value);
  return HostCapabilityJson(doc, ns, operation, p);
}
}  // namespace internal

// oci/v1/manifest_digest: {"digest": "sha256:..."} for an image reference.
inline std::expected<json::Value*, std::string> ManifestDigest(json::Document& doc,
                                                               std::string_view image) {
  return internal::CallWithString(doc, "oci", "v1/manifest_digest", image);
}

// net/v1/dns_lookup_host: {"ips": [...]}.
inline std::expected<json::Value*, std::string> DnsLookupHost(json::Document& doc,
                                                              std::string_view host) {
  return internal::CallWithString(doc, "net", "v1/dns_lookup_host", host);
}

// A certificate for crypto/v1/is_certificate_trusted: its bytes, PEM text or DER.
struct Certificate {
  enum class Encoding { kPem, kDer };
  Encoding encoding = Encoding::kPem;
  std::string_view data;
};

namespace internal {
// {"encoding": "Pem"|"Der", "data": [byte, ...]}: upstream's shape, bytes as numbers.
inline void WriteCertificate(json::Writer& w, const Certificate& cert) {
  const bool pem = cert.encoding == Certificate::Encoding::kPem;
  w.BeginObject().Key("encoding").String(pem ? "Pem" : "Der");
  w.Key("data").BeginArray();
  for (char c : cert.data) w.Uint(static_cast<unsigned char>(c));
  w.EndArray().EndObject();
}
}  // namespace internal

// crypto/v1/is_certificate_trusted: {"trusted": bool, "reason": str}. `chain` nullopt (JSON
// null): the host's trust store decides; `not_after` (RFC 3339) empty: checked as of now.
inline std::expected<json::Value*, std::string> IsCertificateTrustedWithChain(
    json::Document& doc, const Certificate& cert,
    const std::optional<std::vector<Certificate>>& chain, std::string_view not_after = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("cert");
  internal::WriteCertificate(w, cert);
  w.Key("cert_chain");
  if (!chain) {
    w.Null();
  } else {
    w.BeginArray();
    for (const Certificate& c : *chain) internal::WriteCertificate(w, c);
    w.EndArray();
  }
  w.Key("not_after");
  if (not_after.empty()) {
    w.Null();
  } else {
    w.String(not_after);
  }
  w.EndObject();
  return HostCapabilityJson(doc, "crypto", "v1/is_certificate_trusted", p);
}

// The same with the chain written inline; an empty `chain` is JSON null.
inline std::expected<json::Value*, std::string> IsCertificateTrusted(
    json::Document& doc, const Certificate& cert, std::initializer_list<Certificate> chain = {},
    std::string_view not_after = {}) {
  std::optional<std::vector<Certificate>> list;
  if (chain.size() != 0) list.emplace(chain);
  return IsCertificateTrustedWithChain(doc, cert, list, not_after);
}

}  // namespace host
}  // namespace kubewarden

// The oci capabilities (manifests, Sigstore verification) build on the above.
#include "kubewarden/host_oci.h"

#endif  // KUBEWARDEN_HOST_H_
