// kubewarden/host_oci.h: the `oci` host capabilities (policy-server spec §4.c.2) beyond
// manifest_digest: manifests, manifest + config, and Sigstore signature verification (v1 and v2).
// Included by host.h; the payloads are upstream's, field for field.
//
// Verification: a signature that does not verify is a host *error* (the host's message), not
// `is_trusted: false`; a success carries the digest the signature covers.
#ifndef KUBEWARDEN_HOST_OCI_H_
#define KUBEWARDEN_HOST_OCI_H_

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kubewarden/host.h"
#include "kubewarden/json.h"

namespace kubewarden::host {

// oci/v1/oci_manifest: the image manifest or the image index, as the registry returns it (look at
// its `mediaType` or `manifests` to tell them apart).
inline std::expected<json::Value*, std::string> OciManifest(json::Document& doc,
                                                            std::string_view image) {
  return internal::CallWithString(doc, "oci", "v1/oci_manifest", image);
}

// oci/v1/oci_manifest_config: {"manifest": <image manifest>, "digest": str, "config": <config>}.
inline std::expected<json::Value*, std::string> OciManifestConfig(json::Document& doc,
                                                                  std::string_view image) {
  return internal::CallWithString(doc, "oci", "v1/oci_manifest_config", image);
}

// Annotations the signature must carry: a map, or nullopt for "no constraint" (JSON null).
using Annotations = std::optional<std::vector<std::pair<std::string_view, std::string_view>>>;

struct KeylessInfo {
  std::string_view issuer;
  std::string_view subject;
};

struct KeylessPrefixInfo {
  std::string_view issuer;
  std::string_view url_prefix;
};

// Signed with one of these PEM public keys.
struct PubKeyVerify {
  std::string_view image;
  std::vector<std::string_view> pub_keys;
  Annotations annotations;
};

// Keyless (Fulcio) signature by one of these issuer/subject pairs.
struct KeylessVerify {
  std::string_view image;
  std::vector<KeylessInfo> keyless;
  Annotations annotations;
};

// Keyless signature whose subject URL starts with one of the prefixes.
struct KeylessPrefixVerify {
  std::string_view image;
  std::vector<KeylessPrefixInfo> keyless_prefix;
  Annotations annotations;
};

// Keyless signature from a GitHub Actions workflow of `owner` (and `repo`, when given).
struct GithubActionsVerify {
  std::string_view image;
  std::string_view owner;
  std::optional<std::string_view> repo;
  Annotations annotations;
};

// Signed with the key of `certificate` (PEM or DER bytes), itself trusted through
// `certificate_chain` (nullopt: the host's Fulcio roots).
struct CertificateVerify {
  std::string_view image;
  std::string_view certificate;
  std::optional<std::vector<std::string_view>> certificate_chain;
  bool require_rekor_bundle = false;
  Annotations annotations;
};

struct VerificationResult {
  bool is_trusted = false;
  std::string digest;  // "sha256:..."
};

namespace internal {

inline void WriteAnnotations(json::Writer& w, const Annotations& annotations) {
  w.Key("annotations");
  if (!annotations) {
    w.Null();
    return;
  }
  w.BeginObject();
  for (const auto& [key, value] : *annotations) w.Key(key).String(value);
  w.EndObject();
}

inline void WriteStrings(json::Writer& w, const std::vector<std::string_view>& list) {
  w.BeginArray();
  for (std::string_view s : list) w.String(s);
  w.EndArray();
}

// Bytes as a JSON array of numbers (serde's Vec<u8>), as certificates travel.
inline void WriteBytes(json::Writer& w, std::string_view bytes) {
  w.BeginArray();
  for (char c : bytes) w.Uint(static_cast<unsigned char>(c));
  w.EndArray();
}

// The fields of each request after its tag, in upstream's order.
inline void WriteFields(json::Writer& w, const PubKeyVerify& r) {
  w.Key("image").String(r.image).Key("pub_keys");
  WriteStrings(w, r.pub_keys);
  WriteAnnotations(w, r.annotations);
}
inline void WriteFields(json::Writer& w, const KeylessVerify& r) {
  w.Key("image").String(r.image).Key("keyless").BeginArray();
  for (const KeylessInfo& k : r.keyless) {
    w.BeginObject().Key("issuer").String(k.issuer).Key("subject").String(k.subject).EndObject();
  }
  w.EndArray();
  WriteAnnotations(w, r.annotations);
}
inline void WriteFields(json::Writer& w, const KeylessPrefixVerify& r) {
  w.Key("image").String(r.image).Key("keyless_prefix").BeginArray();
  for (const KeylessPrefixInfo& k : r.keyless_prefix) {
    w.BeginObject().Key("issuer").String(k.issuer).Key("url_prefix").String(k.url_prefix);
    w.EndObject();
  }
  w.EndArray();
  WriteAnnotations(w, r.annotations);
}
inline void WriteFields(json::Writer& w, const GithubActionsVerify& r) {
  w.Key("image").String(r.image).Key("owner").String(r.owner).Key("repo");
  WriteOptionalString(w, r.repo);
  WriteAnnotations(w, r.annotations);
}
inline void WriteFields(json::Writer& w, const CertificateVerify& r) {
  w.Key("image").String(r.image).Key("certificate");
  WriteBytes(w, r.certificate);
  w.Key("certificate_chain");
  if (r.certificate_chain) {
    w.BeginArray();
    for (std::string_view cert : *r.certificate_chain) WriteBytes(w, cert);
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("require_rekor_bundle").Bool(r.require_rekor_bundle);
  WriteAnnotations(w, r.annotations);
}

// The serde variant names, which are the tags of both API versions.
inline constexpr std::string_view TagOf(const PubKeyVerify&) { return "SigstorePubKeyVerify"; }
inline constexpr std::string_view TagOf(const KeylessVerify&) { return "SigstoreKeylessVerify"; }
inline constexpr std::string_view TagOf(const KeylessPrefixVerify&) {
  return "SigstoreKeylessPrefixVerify";
}
inline constexpr std::string_view TagOf(const GithubActionsVerify&) {
  return "SigstoreGithubActionsVerify";
}
inline constexpr std::string_view TagOf(const CertificateVerify&) {
  return "SigstoreCertificateVerify";
}

inline std::expected<VerificationResult, std::string> CallVerify(std::string_view operation,
                                                                 std::string_view payload) {
  json::Document doc;
  auto answer = HostCapabilityJson(doc, "oci", operation, payload);
  if (!answer) return std::unexpected(std::move(answer).error());
  const json::Value& v = **answer;
  std::optional<bool> trusted = v.IsObject() ? v.GetBool("is_trusted") : std::nullopt;
  std::optional<std::string_view> digest = v.IsObject() ? v.GetString("digest") : std::nullopt;
  if (!trusted || !digest) {
    return InvalidHostResponse("expected {\"is_trusted\": bool, \"digest\": string}");
  }
  return VerificationResult{*trusted, std::string(*digest)};
}

// v2's internally tagged payload: {"type": <tag>, <fields>...}.
template <typename Request>
std::string VerifyV2Payload(const Request& request) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key("type").String(TagOf(request));
  WriteFields(w, request);
  w.EndObject();
  return p;
}

// v1's externally tagged payload: {<tag>: {<fields>...}}.
template <typename Request>
std::string VerifyV1Payload(const Request& request) {
  std::string p;
  json::Writer w(p);
  w.BeginObject().Key(TagOf(request)).BeginObject();
  WriteFields(w, request);
  w.EndObject().EndObject();
  return p;
}

}  // namespace internal

// oci/v2/verify, for any of the five request shapes above.
template <typename Request>
std::expected<VerificationResult, std::string> Verify(const Request& request) {
  return internal::CallVerify("v2/verify", internal::VerifyV2Payload(request));
}

// oci/v1/verify: the older endpoint, which only knows public keys and keyless signatures.
inline std::expected<VerificationResult, std::string> VerifyV1(const PubKeyVerify& request) {
  return internal::CallVerify("v1/verify", internal::VerifyV1Payload(request));
}
inline std::expected<VerificationResult, std::string> VerifyV1(const KeylessVerify& request) {
  return internal::CallVerify("v1/verify", internal::VerifyV1Payload(request));
}

}  // namespace kubewarden::host

#endif  // KUBEWARDEN_HOST_OCI_H_
