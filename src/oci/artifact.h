// The Kubewarden policy OCI artifact (tooling.md §2.1): an OCI image manifest (schemaVersion 2,
// no mediaType field) whose config is the 2-byte blob `{}` with media type
// application/vnd.wasm.config.v1+json and whose single layer is the raw .wasm module with media
// type application/vnd.wasm.content.layer.v1+wasm. The manifest's annotations come from the
// policy metadata. Manifests are serialized as canonical JSON (sorted keys, no whitespace), as
// upstream kwctl does, so the same module pushes to the same digest with either tool.
//
// Pulled manifests are untrusted: PickWasmLayer checks the shape, media types, digest syntax and
// declared size before anything is downloaded. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace kw::oci {

inline constexpr std::string_view kWasmLayerMediaType =
    "application/vnd.wasm.content.layer.v1+wasm";
inline constexpr std::string_view kWasmConfigMediaType = "application/vnd.wasm.config.v1+json";
inline constexpr std::string_view kOciManifestMediaType =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifestMediaType =
    "application/vnd.docker.distribution.manifest.v2+json";
// What pulls and digest look-ups accept (oci-client's list).
inline constexpr std::string_view kManifestAccept =
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kWasmConfigBlob = "{}";

inline constexpr std::string_view kAnnotationImageSource = "org.opencontainers.image.source";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::uint64_t size = 0;
};

struct PushArtifact {
  std::string manifest;  // canonical JSON, PUT with Content-Type kOciManifestMediaType
  std::string config = std::string(kWasmConfigBlob);
  Descriptor config_descriptor;
  Descriptor layer;
};

// "sha256:<64 hex>" of `bytes`.
std::string Sha256DigestOf(std::string_view bytes);

// Compact JSON with object keys sorted (byte order) at every level.
std::string CanonicalJson(const json::value& value);

// Upstream's manifest annotations from the policy's metadata annotations: multi-line values
// dropped (with a warning), values trimmed, org.opencontainers.image.source set from
// io.kubewarden.policy.source unless present.
std::map<std::string, std::string> ManifestAnnotations(
    const std::map<std::string, std::string>& metadata_annotations);

// The artifact for `module` (a .wasm file, metadata section optional). Fails with kBadModule
// when the bytes are not wasm or the metadata section cannot be read.
Result<PushArtifact> BuildArtifact(std::span<const std::uint8_t> module);

// The wasm layer of a pulled manifest: the manifest must be a JSON object with schemaVersion 2
// and a non-empty `layers` list whose entries all have the wasm layer media type, valid digests
// and sizes within `max_layer_bytes`. kInvalidArgument otherwise, naming the problem.
Result<Descriptor> PickWasmLayer(std::string_view manifest, std::uint64_t max_layer_bytes);

// Whether a manifest is an image index (OCI index or Docker manifest list): it lists
// `manifests`, or its mediaType says so, even when it also carries `layers` (an ambiguous
// document, as in CVE-2021-41190).
bool IsImageIndex(const json::object& manifest);

// Whether `bytes` start with the wasm magic number "\0asm".
bool HasWasmMagic(std::string_view bytes);

}  // namespace kw::oci
