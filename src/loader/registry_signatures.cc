#include "loader/registry_signatures.h"

#include <spdlog/spdlog.h>

#include "base/json.h"
#include "oci/artifact.h"
#include "oci/reference.h"

namespace kw::loader {
namespace {

const json::string* StringField(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v ? v->if_string() : nullptr;
}

}  // namespace

Result<std::vector<verify::SignatureLayer>> RegistrySignatureSource::Signatures(
    const std::string& image_reference, const std::string& manifest_digest) {
  KW_ASSIGN_OR_RETURN(oci::Reference ref, oci::ParseReference(image_reference));
  KW_ASSIGN_OR_RETURN(ref.tag, verify::SignatureTag(manifest_digest));
  ref.digest.reset();
  auto manifest = client_.PullManifest(ref);
  if (!manifest) {
    if (manifest.error().kind == ErrorKind::kNotFound) return std::vector<verify::SignatureLayer>{};
    return std::unexpected(manifest.error());
  }
  const std::string where = "signature manifest " + ref.Whole();
  boost::system::error_code ec;
  json::value parsed = json::parse(manifest->bytes, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  // tooling.md §4.2 step 3: an image manifest, not an index, even one that also carries a
  // `layers` list (an ambiguous document, as in CVE-2021-41190).
  if (object != nullptr && oci::IsImageIndex(*object)) {
    return Fail(ErrorKind::kInvalidArgument, where + ": an image index, not an image manifest");
  }
  const json::value* layers_value = object ? object->if_contains("layers") : nullptr;
  const json::array* layers = layers_value ? layers_value->if_array() : nullptr;
  if (layers == nullptr) {
    return Fail(ErrorKind::kInvalidArgument, where + ": not a JSON object with a 'layers' list");
  }

  std::vector<verify::SignatureLayer> out;
  std::uint64_t downloaded = 0;
  for (const json::value& entry : *layers) {
    if (out.size() == verify::kMaxSignatureLayers) {
      spdlog::warn("{}: more than {} layers, the rest are ignored", where,
                   verify::kMaxSignatureLayers);
      break;
    }
    const json::object* layer = entry.if_object();
    if (layer == nullptr) continue;
    const json::string* media_type = StringField(*layer, "mediaType");
    const json::string* digest = StringField(*layer, "digest");
    const json::value* size = layer->if_contains("size");
    if (media_type == nullptr || digest == nullptr || size == nullptr ||
        !oci::IsValidDigest(*digest)) {
      continue;
    }
    // Checked before downloading: a hostile descriptor must not make us fetch a huge blob.
    std::uint64_t declared = 0;
    if (const auto* u = size->if_uint64()) {
      declared = *u;
    } else if (const auto* i = size->if_int64(); i && *i >= 0) {
      declared = static_cast<std::uint64_t>(*i);
    } else {
      continue;
    }
    if (declared > verify::kMaxPayloadBytes) continue;
    if (downloaded + declared > verify::kMaxTotalPayloadBytes) {
      spdlog::warn("{}: the signature layers exceed {} bytes in all, the rest are ignored", where,
                   verify::kMaxTotalPayloadBytes);
      break;
    }
    downloaded += declared;

    verify::SignatureLayer out_layer;
    out_layer.media_type = std::string(*media_type);
    out_layer.digest = std::string(*digest);
    if (const json::value* a = layer->if_contains("annotations"); a && a->is_object()) {
      for (const auto& [key, value] : a->get_object()) {
        if (value.is_string()) out_layer.annotations.emplace(key, std::string(value.get_string()));
      }
    }
    KW_ASSIGN_OR_RETURN(out_layer.payload,
                        client_.PullBlob(ref, oci::Descriptor{out_layer.media_type,
                                                              out_layer.digest, declared}));
    out.push_back(std::move(out_layer));
  }
  return out;
}

}  // namespace kw::loader
