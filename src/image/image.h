// OCI container images (image-spec v1.1): gzip'd tar layers built from RootFs trees, an image
// config, a manifest; written as an OCI image layout or pushed to a registry with the project's
// own distribution client.
//
// Images are reproducible: a layer depends only on the paths, modes, owners and contents of its
// entries (entries in path order, modification times at the epoch, gzip without a timestamp), and
// the config and manifest are canonical JSON without a creation date, so the same inputs give
// the same digests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/rootfs.h"
#include "oci/artifact.h"
#include "oci/reference.h"
#include "oci/registry.h"

namespace kw::image {

inline constexpr std::string_view kLayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kConfigMediaType = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kIndexMediaType = "application/vnd.oci.image.index.v1+json";

struct Layer {
  std::string blob;         // the gzip'd tar
  oci::Descriptor descriptor;
  std::string diff_id;      // "sha256:<hex>" of the uncompressed tar
  std::uint64_t tar_bytes = 0;
};

// Reads every file of `rootfs` from the host and packs the layer. Fails (kIo, kInvalidArgument)
// when a file cannot be read or changed size since it was added.
Result<Layer> BuildLayer(const RootFs& rootfs);

// What the image config's `config` object says (image-spec's field names in comments).
struct RuntimeConfig {
  std::string user;                      // User, e.g. "65532:65532"
  std::vector<std::string> entrypoint;   // Entrypoint
  std::vector<std::string> cmd;          // Cmd
  std::vector<std::string> env;          // Env, "NAME=value"
  std::string working_dir;               // WorkingDir
  std::vector<std::string> exposed_ports;  // ExposedPorts keys, "3000/tcp"
  std::map<std::string, std::string> labels;  // Labels
};

struct Image {
  std::string config;  // canonical JSON
  oci::Descriptor config_descriptor;
  std::vector<Layer> layers;
  std::string manifest;  // canonical JSON
  oci::Descriptor manifest_descriptor;
};

// The config (linux/amd64) and manifest for `layers`, bottom layer first.
Image AssembleImage(const RuntimeConfig& runtime, std::vector<Layer> layers);

// Writes `image` as an OCI image layout in `dir` (created when missing): oci-layout, blobs/sha256/,
// and index.json naming the manifest `tag` (org.opencontainers.image.ref.name). Blobs already in
// the layout (other images sharing layers) are kept; index.json lists only this image.
Result<void> WriteImageLayout(const Image& image, const std::string& dir, std::string_view tag);

// Pushes the blobs the registry lacks, then the manifest under `ref`'s tag. Returns the
// manifest digest.
Result<std::string> PushImage(oci::RegistryClient& client, const oci::Reference& ref,
                              const Image& image);

}  // namespace kw::image
