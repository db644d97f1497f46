#include "capabilities/oci.h"

#include <utility>

#include "base/json.h"
#include "base/sha256.h"
#include "capabilities/oci_requests.h"
#include "loader/loader.h"
#include "loader/registry_signatures.h"
#include "oci/artifact.h"
#include "verify/verify.h"

namespace kw::capabilities {
namespace {

// The architecture as Go and OCI name it, which upstream's client matches index entries with.
constexpr std::string_view HostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#else
  return "unknown";
#endif
}

bool StringIs(const json::value* v, std::string_view want) {
  return v != nullptr && v->is_string() && v->get_string() == want;
}

// What the helper threads use: the registry client and the trust root outlive the dispatcher
// if a look-up does.
struct Registry {
  std::unique_ptr<oci::RegistryClient> client;
  std::shared_ptr<const verify::TrustRoot> trust_root;

  Result<std::string> Digest(const oci::Reference& ref) {
    KW_ASSIGN_OR_RETURN(std::string digest, client->ManifestDigest(ref));
    return ToJson(json::object{{"digest", digest}});
  }

  Result<json::value> ManifestJson(const oci::PulledManifest& manifest,
                                   const oci::Reference& ref) {
    auto parsed = ParseJson(manifest.bytes, "the registry's manifest is not JSON");
    if (!parsed || !parsed->is_object()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "the registry's manifest for " + ref.Whole() + " is not a JSON object");
    }
    return parsed;
  }

  Result<std::string> Manifest(const oci::Reference& ref) {
    KW_ASSIGN_OR_RETURN(oci::PulledManifest manifest, client->PullManifest(ref));
    KW_ASSIGN_OR_RETURN(json::value parsed, ManifestJson(manifest, ref));
    if (!oci::IsImageIndex(parsed.get_object()) && !parsed.get_object().contains("layers")) {
      return Fail(ErrorKind::kInvalidArgument,
                  "the registry's manifest for " + ref.Whole() +
                      " is neither an image manifest nor an image index");
    }
    return std::move(manifest.bytes);
  }

  // The entry of `index` for linux on this host's architecture.
  Result<std::string> PlatformDigest(const json::value& index, const oci::Reference& ref) {
    const json::value* entries = FindKey(index, "manifests");
    if (entries != nullptr && entries->is_array()) {
      for (const json::value& entry : entries->get_array()) {
        const json::value* platform = FindKey(entry, "platform");
        const json::value* digest = FindKey(entry, "digest");
        if (platform != nullptr && StringIs(FindKey(*platform, "os"), "linux") &&
            StringIs(FindKey(*platform, "architecture"), HostArchitecture()) &&
            digest != nullptr && digest->is_string() && oci::IsValidDigest(digest->get_string())) {
          return std::string(digest->get_string());
        }
      }
    }
    return Fail(ErrorKind::kNotFound, ref.Whole() +
                                          " is an image index without a manifest for linux/" +
                                          std::string(HostArchitecture()));
  }

  Result<oci::Descriptor> ConfigDescriptor(const json::value& manifest, const oci::Reference& ref) {
    const json::value* config = FindKey(manifest, "config");
    const json::value* media_type = config ? FindKey(*config, "mediaType") : nullptr;
    const json::value* digest = config ? FindKey(*config, "digest") : nullptr;
    const json::value* size = config ? FindKey(*config, "size") : nullptr;
    if (media_type == nullptr || !media_type->is_string() || digest == nullptr ||
        !digest->is_string() || !oci::IsValidDigest(digest->get_string()) || size == nullptr ||
        !(size->is_uint64() || (size->is_int64() && size->get_int64() >= 0))) {
      return Fail(ErrorKind::kInvalidArgument,
                  "the manifest of " + ref.Whole() + " has no valid config descriptor");
    }
    return oci::Descriptor{
        std::string(media_type->get_string()), std::string(digest->get_string()),
        size->is_uint64() ? size->get_uint64() : static_cast<std::uint64_t>(size->get_int64())};
  }

  Result<std::string> ManifestAndConfig(const oci::Reference& ref) {
    KW_ASSIGN_OR_RETURN(oci::PulledManifest pulled, client->PullManifest(ref));
    KW_ASSIGN_OR_RETURN(json::value manifest, ManifestJson(pulled, ref));
    if (oci::IsImageIndex(manifest.get_object())) {
      oci::Reference platform = ref;
      KW_ASSIGN_OR_RETURN(platform.digest, PlatformDigest(manifest, ref));
      KW_ASSIGN_OR_RETURN(pulled, client->PullManifest(platform));
      KW_ASSIGN_OR_RETURN(manifest, ManifestJson(pulled, platform));
      if (oci::IsImageIndex(manifest.get_object())) {
        return Fail(ErrorKind::kInvalidArgument,
                    "the platform entry of " + ref.Whole() + " is another image index");
      }
    }
    KW_ASSIGN_OR_RETURN(oci::Descriptor descriptor, ConfigDescriptor(manifest, ref));
    KW_ASSIGN_OR_RETURN(std::string config_bytes, client->PullBlob(ref, descriptor));
    auto config = ParseJson(config_bytes, "the image config is not JSON");
    if (!config || !config->is_object()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "the image config of " + ref.Whole() + " is not a JSON object");
    }
    return ToJson(json::object{{"manifest", std::move(manifest)},
                               {"digest", std::move(pulled.digest)},
                               {"config", std::move(*config)}});
  }

  Result<std::string> Verify(const ImageVerification& request) {
    KW_ASSIGN_OR_RETURN(std::string digest, client->ManifestDigest(request.image));
    loader::RegistrySignatureSource source(*client);
    KW_ASSIGN_OR_RETURN(verify::VerifiedImage verified,
                        verify::Verify(request.config, source, request.image.Whole(), digest,
                                       {.trust_root = trust_root.get()}));
    return ToJson(json::object{{"is_trusted", true}, {"digest", verified.digest}});
  }
};

class OciProvider {
 public:
  OciProvider(std::shared_ptr<Registry> registry, LookupCacheOptions cache)
      : registry_(std::move(registry)), cache_(std::move(cache)) {}

  Result<std::string> Call(const host::CallContext& ctx, std::string_view operation,
                           std::string_view payload) {
    const std::string op(operation);
    if (op == "v1/verify" || op == "v2/verify") {
      KW_ASSIGN_OR_RETURN(ImageVerification request,
                          op == "v1/verify" ? DecodeVerifyV1(payload) : DecodeVerifyV2(payload));
      // Requests are keyed by their bytes: the same policy asks the same way every time.
      const std::string key = op + " " + Sha256Hex(Sha256(AsBytes(payload)));
      const std::string what = "oci/" + op + " of " + request.image.Whole();
      return Cached(key, what, ctx, [registry = registry_, request = std::move(request)] {
        return registry->Verify(request);
      });
    }
    KW_ASSIGN_OR_RETURN(oci::Reference ref, DecodeImagePayload(operation, payload));
    const std::string what = "oci/" + op + " of " + ref.Whole();
    LookupCache::Lookup lookup;
    if (op == "v1/manifest_digest") {
      lookup = [registry = registry_, ref] { return registry->Digest(ref); };
    } else if (op == "v1/oci_manifest") {
      lookup = [registry = registry_, ref] { return registry->Manifest(ref); };
    } else {
      lookup = [registry = registry_, ref] { return registry->ManifestAndConfig(ref); };
    }
    return Cached(op + " " + ref.Whole(), what, ctx, std::move(lookup));
  }

 private:
  // The cache's own errors (deadline, too many look-ups) name `what` already; the look-up's are
  // named here, so that the policy learns which image failed.
  Result<std::string> Cached(const std::string& key, const std::string& what,
                             const host::CallContext& ctx, LookupCache::Lookup lookup) {
    return cache_.Get(
        key, what,
        [what, lookup = std::move(lookup)]() -> Result<std::string> {
          auto answer = lookup();
          if (!answer) return std::unexpected(answer.error().Wrap(what));
          return answer;
        },
        ctx.deadline);
  }

  std::shared_ptr<Registry> registry_;
  LookupCache cache_;
};

}  // namespace

OciCapabilityOptions::OciCapabilityOptions() {
  // A policy call has seconds, not the minutes a module download may take; config blobs and
  // signature payloads are small.
  registry.timeout = std::chrono::seconds(20);
  registry.blob_timeout = std::chrono::seconds(20);
  registry.max_blob_bytes = oci::kMaxManifestBytes;
}

OciCapabilityOptions OciOptionsFrom(const loader::FetchSettings& settings) {
  OciCapabilityOptions options;
  options.registry.sources = settings.sources;
  if (!settings.docker_config_dir.empty()) {
    options.registry.docker_config_dir = settings.docker_config_dir;
  }
  options.trust_root = settings.trust_root;
  return options;
}

void RegisterOci(host::Dispatcher& dispatcher, OciCapabilityOptions options) {
  static const std::vector<std::string> kOperations = {
      "v1/verify", "v2/verify", "v1/manifest_digest", "v1/oci_manifest",
      "v1/oci_manifest_config"};
  auto client = oci::RegistryClient::Create(std::move(options.registry));
  if (!client) {
    Error error = client.error().Wrap("the oci host capabilities are unavailable");
    dispatcher.Register("oci", kOperations,
                        [error](const host::CallContext&, std::string_view,
                                std::string_view) -> Result<std::string> {
                          return std::unexpected(error);
                        });
    return;
  }
  auto registry = std::make_shared<Registry>(
      Registry{std::move(*client), std::move(options.trust_root)});
  auto provider = std::make_shared<OciProvider>(std::move(registry), std::move(options.cache));
  dispatcher.Register("oci", kOperations,
                      [provider](const host::CallContext& ctx, std::string_view operation,
                                 std::string_view payload) {
                        return provider->Call(ctx, operation, payload);
                      });
}

}  // namespace kw::capabilities
