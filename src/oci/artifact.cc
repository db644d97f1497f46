#include "oci/artifact.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "base/sha256.h"
#include "base/strings.h"
#include "oci/reference.h"
#include "policy/metadata.h"

namespace kw::oci {
namespace {

void AppendCanonical(const json::value& value, std::string& out) {
  if (!value.is_object()) {
    if (value.is_array()) {
      out += '[';
      bool first = true;
      for (const json::value& item : value.as_array()) {
        if (!first) out += ',';
        first = false;
        AppendCanonical(item, out);
      }
      out += ']';
      return;
    }
    out += json::serialize(value);
    return;
  }
  std::vector<const json::key_value_pair*> members;
  for (const auto& member : value.as_object()) members.push_back(&member);
  std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
    return std::string_view(a->key()) < std::string_view(b->key());
  });
  out += '{';
  bool first = true;
  for (const auto* member : members) {
    if (!first) out += ',';
    first = false;
    out += json::serialize(json::string(member->key()));
    out += ':';
    AppendCanonical(member->value(), out);
  }
  out += '}';
}

json::object DescriptorJson(const Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Sha256DigestOf(std::string_view bytes) {
  return "sha256:" + Sha256Hex(Sha256(AsBytes(bytes)));
}

std::string CanonicalJson(const json::value& value) {
  std::string out;
  AppendCanonical(value, out);
  return out;
}

bool IsImageIndex(const json::object& manifest) {
  if (manifest.contains("manifests")) return true;
  const json::value* media_type = manifest.if_contains("mediaType");
  return media_type != nullptr && media_type->is_string() &&
         (media_type->get_string().ends_with("index.v1+json") ||
          media_type->get_string().ends_with("manifest.list.v2+json"));
}

bool HasWasmMagic(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view("\0asm", 4);
}

std::map<std::string, std::string> ManifestAnnotations(
    const std::map<std::string, std::string>& metadata_annotations) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : metadata_annotations) {
    if (value.find('\n') != std::string::npos) {
      spdlog::warn("annotation {} is a multi-line value: it is left out of the OCI manifest", key);
      continue;
    }
    out[key] = std::string(Trim(value));
  }
  if (auto source = out.find(std::string(policy::kAnnotationSource));
      source != out.end() && !out.contains(std::string(kAnnotationImageSource))) {
    out[std::string(kAnnotationImageSource)] = source->second;
  }
  return out;
}

Result<PushArtifact> BuildArtifact(std::span<const std::uint8_t> module) {
  const std::string_view bytes = AsText(module);
  if (!HasWasmMagic(bytes)) return Fail(ErrorKind::kBadModule, "invalid wasm file");
  auto metadata = policy::ReadMetadata(module);
  if (!metadata) {
    return Fail(ErrorKind::kBadModule,
                "cannot read the policy metadata: " + metadata.error().message);
  }
  PushArtifact artifact;
  artifact.layer = {std::string(kWasmLayerMediaType), Sha256DigestOf(bytes), module.size()};
  artifact.config_descriptor = {std::string(kWasmConfigMediaType), Sha256DigestOf(artifact.config),
                                artifact.config.size()};
  json::object manifest{{"schemaVersion", 2},
                        {"config", DescriptorJson(artifact.config_descriptor)},
                        {"layers", json::array{DescriptorJson(artifact.layer)}}};
  if (*metadata && (*metadata)->annotations && !(*metadata)->annotations->empty()) {
    json::object annotations;
    for (const auto& [key, value] : ManifestAnnotations(*(*metadata)->annotations)) {
      annotations[key] = value;
    }
    manifest["annotations"] = std::move(annotations);
  }
  artifact.manifest = CanonicalJson(manifest);
  return artifact;
}

Result<Descriptor> PickWasmLayer(std::string_view manifest, std::uint64_t max_layer_bytes) {
  const auto invalid = [](std::string why) {
    return Fail(ErrorKind::kInvalidArgument, "not a Kubewarden policy manifest: " + why);
  };
  KW_ASSIGN_OR_RETURN(json::value doc, ParseJson(manifest, "invalid OCI manifest"));
  if (!doc.is_object()) return invalid("not a JSON object");
  const json::value* schema = FindKey(doc, "schemaVersion");
  if (schema == nullptr || !schema->is_int64() || schema->as_int64() != 2) {
    return invalid("schemaVersion must be 2");
  }
  if (const json::value* media = FindKey(doc, "mediaType");
      media != nullptr && media->is_string() &&
      (media->as_string().ends_with("index.v1+json") ||
       media->as_string().ends_with("manifest.list.v2+json"))) {
    return invalid("it is an image index, not a manifest");
  }
  const json::value* layers = FindKey(doc, "layers");
  if (layers == nullptr || !layers->is_array() || layers->as_array().empty()) {
    return invalid("it has no layers");
  }
  std::optional<Descriptor> first;
  for (const json::value& layer : layers->as_array()) {
    const json::value* media = FindKey(layer, "mediaType");
    const json::value* digest = FindKey(layer, "digest");
    const json::value* size = FindKey(layer, "size");
    if (media == nullptr || !media->is_string() || media->as_string() != kWasmLayerMediaType) {
      return invalid("every layer must have media type " + std::string(kWasmLayerMediaType));
    }
    if (digest == nullptr || !digest->is_string() || !IsValidDigest(digest->as_string())) {
      return invalid("a layer has no valid digest");
    }
    if (size == nullptr || !(size->is_int64() || size->is_uint64()) ||
        (size->is_int64() && size->as_int64() < 0)) {
      return invalid("a layer has no valid size");
    }
    const std::uint64_t n =
        size->is_int64() ? static_cast<std::uint64_t>(size->as_int64()) : size->as_uint64();
    if (!first) {
      if (n > max_layer_bytes) {
        return invalid("the module is " + std::to_string(n) + " bytes, more than the limit of " +
                       std::to_string(max_layer_bytes));
      }
      first = Descriptor{std::string(kWasmLayerMediaType), std::string(digest->as_string()), n};
    }
  }
  return *first;
}

}  // namespace kw::oci
