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
#include <string>
#include <string_view>
#include <utility>

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

// kubernetes/get_resource: one object. `namespace_name` empty = cluster-scoped.
inline std::expected<json::Value*, std::string> GetResource(
    json::Document& doc, std::string_view api_version, std::string_view kind, std::string_view name,
    std::string_view namespace_name, bool disable_cache = false) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("name").String(name);
  if (!namespace_name.empty()) w.Key("namespace").String(namespace_name);
  w.Key("disable_cache").Bool(disable_cache).EndObject();
  return HostCapabilityJson(doc, "kubernetes", "get_resource", p);
}

// kubernetes/list_resources_by_namespace: a List ({"items": [...]}).
inline std::expected<json::Value*, std::string> ListResourcesByNamespace(
    json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view namespace_name, std::string_view label_selector = {},
    std::string_view field_selector = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  w.Key("namespace").String(namespace_name);
  if (!label_selector.empty()) w.Key("label_selector").String(label_selector);
  if (!field_selector.empty()) w.Key("field_selector").String(field_selector);
  w.EndObject();
  return HostCapabilityJson(doc, "kubernetes", "list_resources_by_namespace", p);
}

// kubernetes/list_resources_all: a List across namespaces.
inline std::expected<json::Value*, std::string> ListResourcesAll(
    json::Document& doc, std::string_view api_version, std::string_view kind,
    std::string_view label_selector = {}, std::string_view field_selector = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("api_version").String(api_version).Key("kind").String(kind);
  if (!label_selector.empty()) w.Key("label_selector").String(label_selector);
  if (!field_selector.empty()) w.Key("field_selector").String(field_selector);
  w.EndObject();
  return HostCapabilityJson(doc, "kubernetes", "list_resources_all", p);
}

// oci/v1/manifest_digest: {"digest": "sha256:..."} for an image reference.
inline std::expected<json::Value*, std::string> ManifestDigest(json::Document& doc,
                                                               std::string_view image) {
  std::string p;
  json::AppendQuoted(p, image);
  return HostCapabilityJson(doc, "oci", "v1/manifest_digest", p);
}

// net/v1/dns_lookup_host: {"ips": [...]}.
inline std::expected<json::Value*, std::string> DnsLookupHost(json::Document& doc,
                                                              std::string_view host) {
  std::string p;
  json::AppendQuoted(p, host);
  return HostCapabilityJson(doc, "net", "v1/dns_lookup_host", p);
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

// crypto/v1/is_certificate_trusted: {"trusted": bool, "reason": str}. `chain` empty: the host's
// trust store decides; `not_after` (RFC 3339) empty: the certificate is checked as of now.
inline std::expected<json::Value*, std::string> IsCertificateTrusted(
    json::Document& doc, const Certificate& cert, std::initializer_list<Certificate> chain = {},
    std::string_view not_after = {}) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("cert");
  internal::WriteCertificate(w, cert);
  w.Key("cert_chain");
  if (chain.size() == 0) {
    w.Null();
  } else {
    w.BeginArray();
    for (const Certificate& c : chain) internal::WriteCertificate(w, c);
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

}  // namespace host
}  // namespace kubewarden

#endif  // KUBEWARDEN_HOST_H_
