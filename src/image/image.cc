#include "image/image.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "base/files.h"
#include "base/json.h"
#include "base/sha256.h"
#include "image/gzip.h"
#include "image/tar.h"

namespace kw::image {
namespace {

constexpr std::size_t kReadChunk = 1u << 20;

std::string Digest(Sha256Stream& stream) { return "sha256:" + Sha256Hex(stream.Finish()); }

// Streams one host file into the archive, checking it still has the size it had when listed.
Result<void> AddFileContent(TarWriter& tar, const std::string& image_path,
                            const RootFsEntry& entry) {
  std::ifstream in(entry.host_path, std::ios::binary);
  struct stat st{};
  if (!in || ::stat(entry.host_path.c_str(), &st) != 0) {
    return std::unexpected(
        Error(ErrorKind::kIo, fmt::format("{}: {}", entry.host_path, std::strerror(errno))));
  }
  TarEntry header{.type = EntryType::kFile, .path = image_path.substr(1), .mode = entry.mode,
                  .uid = entry.uid, .gid = entry.gid,
                  .size = static_cast<std::uint64_t>(st.st_size)};
  if (auto ok = tar.Add(header); !ok) return ok;
  std::string buffer(kReadChunk, '\0');
  std::uint64_t left = header.size;
  while (left > 0) {
    in.read(buffer.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(left, kReadChunk)));
    std::streamsize got = in.gcount();
    if (got <= 0) {
      return std::unexpected(Error(ErrorKind::kIo,
                                   fmt::format("{} shrank while it was read", entry.host_path)));
    }
    if (auto ok = tar.AddContent(std::string_view(buffer.data(), got)); !ok) return ok;
    left -= static_cast<std::uint64_t>(got);
  }
  return {};
}

json::object DescriptorJson(const oci::Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

json::array StringArray(const std::vector<std::string>& values) {
  json::array out;
  for (const std::string& v : values) out.emplace_back(v);
  return out;
}

oci::Descriptor DescribeBlob(std::string_view media_type, std::string_view bytes) {
  return {std::string(media_type), oci::Sha256DigestOf(bytes), bytes.size()};
}

std::string BlobPath(const std::string& dir, const std::string& digest) {
  return dir + "/blobs/sha256/" + digest.substr(std::string_view("sha256:").size());
}

}  // namespace

Result<Layer> BuildLayer(const RootFs& rootfs) {
  GzipStream gzip;
  Sha256Stream tar_digest;
  std::uint64_t tar_bytes = 0;
  TarWriter tar([&](std::string_view bytes) {
    tar_digest.Update(AsBytes(bytes));
    tar_bytes += bytes.size();
    gzip.Write(bytes);
  });
  for (const auto& [path, entry] : rootfs.entries()) {
    Result<void> added;
    if (entry.type == EntryType::kFile) {
      added = AddFileContent(tar, path, entry);
    } else {
      added = tar.Add({.type = entry.type, .path = path.substr(1), .mode = entry.mode,
                       .uid = entry.uid, .gid = entry.gid, .link_target = entry.target});
    }
    if (!added) return std::unexpected(added.error().Wrap(path));
  }
  if (auto ok = tar.Finish(); !ok) return std::unexpected(ok.error());
  Layer layer;
  layer.blob = gzip.Finish();
  layer.descriptor = DescribeBlob(kLayerMediaType, layer.blob);
  layer.diff_id = Digest(tar_digest);
  layer.tar_bytes = tar_bytes;
  return layer;
}

Image AssembleImage(const RuntimeConfig& runtime, std::vector<Layer> layers) {
  json::object config;
  if (!runtime.user.empty()) config["User"] = runtime.user;
  if (!runtime.entrypoint.empty()) config["Entrypoint"] = StringArray(runtime.entrypoint);
  if (!runtime.cmd.empty()) config["Cmd"] = StringArray(runtime.cmd);
  if (!runtime.env.empty()) config["Env"] = StringArray(runtime.env);
  if (!runtime.working_dir.empty()) config["WorkingDir"] = runtime.working_dir;
  if (!runtime.exposed_ports.empty()) {
    json::object ports;
    for (const std::string& port : runtime.exposed_ports) ports[port] = json::object();
    config["ExposedPorts"] = std::move(ports);
  }
  if (!runtime.labels.empty()) {
    json::object labels;
    for (const auto& [key, value] : runtime.labels) labels[key] = value;
    config["Labels"] = std::move(labels);
  }
  json::array diff_ids;
  json::array layer_descriptors;
  for (const Layer& layer : layers) {
    diff_ids.emplace_back(layer.diff_id);
    layer_descriptors.emplace_back(DescriptorJson(layer.descriptor));
  }
  json::object image_config{{"architecture", "amd64"},
                            {"os", "linux"},
                            {"config", std::move(config)},
                            {"rootfs", json::object{{"type", "layers"}, {"diff_ids", diff_ids}}}};
  Image image;
  image.config = oci::CanonicalJson(image_config);
  image.config_descriptor = DescribeBlob(kConfigMediaType, image.config);
  json::object manifest{{"schemaVersion", 2},
                        {"mediaType", oci::kOciManifestMediaType},
                        {"config", DescriptorJson(image.config_descriptor)},
                        {"layers", std::move(layer_descriptors)}};
  image.manifest = oci::CanonicalJson(manifest);
  image.manifest_descriptor = DescribeBlob(oci::kOciManifestMediaType, image.manifest);
  image.layers = std::move(layers);
  return image;
}

Result<void> WriteImageLayout(const Image& image, const std::string& dir, std::string_view tag) {
  std::error_code error;
  std::filesystem::create_directories(dir + "/blobs/sha256", error);
  if (error) return std::unexpected(Error(ErrorKind::kIo, fmt::format("{}: {}", dir, error.message())));
  auto put_blob = [&](const std::string& digest, std::string_view bytes) -> Result<void> {
    std::string path = BlobPath(dir, digest);
    if (std::filesystem::exists(path, error)) return {};  // content-addressed: already right
    return WriteFile(path, bytes);
  };
  for (const Layer& layer : image.layers) {
    if (auto ok = put_blob(layer.descriptor.digest, layer.blob); !ok) return ok;
  }
  if (auto ok = put_blob(image.config_descriptor.digest, image.config); !ok) return ok;
  if (auto ok = put_blob(image.manifest_descriptor.digest, image.manifest); !ok) return ok;
  json::object entry = DescriptorJson(image.manifest_descriptor);
  entry["annotations"] = json::object{{"org.opencontainers.image.ref.name", tag}};
  json::object index{{"schemaVersion", 2},
                     {"mediaType", kIndexMediaType},
                     {"manifests", json::array{std::move(entry)}}};
  if (auto ok = WriteFile(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !ok) return ok;
  return WriteFile(dir + "/index.json", oci::CanonicalJson(index));
}

Result<std::string> PushImage(oci::RegistryClient& client, const oci::Reference& ref,
                              const Image& image) {
  for (const Layer& layer : image.layers) {
    if (auto ok = client.PushBlob(ref, layer.blob, layer.descriptor.digest); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = client.PushBlob(ref, image.config, image.config_descriptor.digest); !ok) {
    return std::unexpected(ok.error());
  }
  return client.PushManifest(ref, image.manifest, oci::kOciManifestMediaType);
}

}  // namespace kw::image
