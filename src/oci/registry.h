// A client of the OCI distribution API (tooling.md §2.2, §2.3) for Kubewarden policy artifacts:
// manifest and blob pulls, digest look-ups, blob uploads and manifest pushes.
//
// Connections follow upstream's algorithm (§2.4): HTTPS verified with the system roots plus every
// sources.yaml authority; when that fails at the transport level and the registry is an insecure
// source, HTTPS without verification, then plain HTTP. The scheme that worked is remembered per
// registry for the life of the client.
//
// Every request, including token requests to the auth realm and blob redirects to other hosts,
// goes through the proxies of `options.sources.proxies` (net/proxy.h), each URL deciding for
// itself whether no_proxy exempts it.
//
// Authentication: anonymous first; on `401` with `WWW-Authenticate: Bearer realm=..,service=..`
// a token is requested for `repository:<repo>:pull` (or `pull,push`), with Basic credentials
// from docker's config.json when there are any (credentials.h); on `WWW-Authenticate: Basic`
// the credentials are sent directly. Tokens and Basic headers are cached per registry and scope.
//
// The registry is untrusted: manifests are capped at `max_manifest_bytes`, blobs at their
// declared size and `max_blob_bytes`; every manifest and blob is checked against its digest, and
// a digest a registry reports must match what we computed. Failures are kIo (transport, HTTP
// errors, digest mismatches), kNotFound (no such manifest or blob), kInvalidArgument (a manifest
// that is not a policy). A client is safe to use from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "net/http_client.h"
#include "oci/artifact.h"
#include "oci/credentials.h"
#include "oci/reference.h"
#include "oci/sources.h"
#include "oci/store.h"  // kDefaultMaxModuleBytes

namespace kw::oci {

// The distribution spec recommends registries accept manifests of at least 4 MiB.
inline constexpr std::uint64_t kMaxManifestBytes = 4ull << 20;
// Upload chunk size (oci-client's).
inline constexpr std::size_t kUploadChunkBytes = 4u << 20;

struct RegistryOptions {
  Sources sources;
  std::string docker_config_dir = DefaultDockerConfigDir();
  std::uint64_t max_blob_bytes = kDefaultMaxModuleBytes;
  std::uint64_t max_manifest_bytes = kMaxManifestBytes;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};       // manifests, auth
  std::chrono::milliseconds blob_timeout{std::chrono::minutes(10)};  // one blob transfer
  // Optional: called as a policy's module arrives (the wasm layer of PullPolicy, with `total`
  // the size its descriptor declares; https:// and http:// downloads of Fetch, with `total` the
  // Content-Length, 0 when unknown). `received` only grows during one download. Runs on the
  // downloading thread; throttling the display is the callback's business.
  std::function<void(std::uint64_t received, std::uint64_t total)> on_module_progress;
};

struct PulledManifest {
  std::string bytes;
  std::string digest;        // of `bytes`, as the reference's digest algorithm (sha256 default)
  std::string content_type;  // as the registry sent it
};

struct PulledPolicy {
  std::string module;           // the .wasm bytes, digest-checked
  std::string manifest_digest;  // "sha256:<hex>"
  Descriptor layer;
};

class RegistryClient {
 public:
  // Fails with kInvalidArgument when the sources' certificates cannot be loaded.
  static Result<std::unique_ptr<RegistryClient>> Create(RegistryOptions options);

  // The manifest digest: HEAD's Docker-Content-Digest, else the digest of the GET body.
  Result<std::string> ManifestDigest(const Reference& ref);
  Result<PulledManifest> PullManifest(const Reference& ref);
  // Downloads the blob `descriptor` names, following redirects; checks its size and digest.
  Result<std::string> PullBlob(const Reference& ref, const Descriptor& descriptor);
  // The manifest, its wasm layer, the module (wasm magic checked).
  Result<PulledPolicy> PullPolicy(const Reference& ref);

  // Uploads `bytes` (whose digest is `digest`) unless the registry already has it: POST, then
  // chunked PATCHes and a closing PUT, falling back to one monolithic PUT when the registry
  // does not take chunks.
  Result<void> PushBlob(const Reference& ref, std::string_view bytes, std::string_view digest);
  // PUTs a manifest under the reference's tag (or digest); returns its digest.
  Result<std::string> PushManifest(const Reference& ref, std::string_view manifest,
                                   std::string_view content_type);
  // Pushes the artifact of `module` (artifact.h) and returns the immutable reference
  // `registry/repository@sha256:<hex>`.
  Result<std::string> PushPolicy(const Reference& ref, std::span<const std::uint8_t> module);

  struct Endpoint;  // a scheme and TLS configuration that reaches a registry

 private:
  RegistryClient(RegistryOptions options, std::shared_ptr<const net::TlsConfig> verified,
                 std::shared_ptr<const net::TlsConfig> unverified);

  // One API call to `ref`'s registry: `target` is a path ("/v2/...") or an absolute URL (upload
  // locations); authenticates as needed, tries the insecure fallbacks on first contact.
  Result<net::HttpResponse> Call(const Reference& ref, bool push, net::HttpRequest request,
                                 const std::string& target);
  // `reached` (optional) is set once the registry has answered at all.
  Result<net::HttpResponse> CallAt(const Endpoint& endpoint, const Reference& ref, bool push,
                                   net::HttpRequest request, const std::string& target,
                                   bool* reached);
  Result<std::string> Authorize(const Endpoint& endpoint, const Reference& ref, bool push,
                                const std::string& challenge);
  // PullBlob, reporting progress to `on_module_progress` when `report` is set.
  Result<std::string> FetchBlob(const Reference& ref, const Descriptor& descriptor, bool report);

  RegistryOptions options_;
  std::shared_ptr<const net::TlsConfig> verified_;
  std::shared_ptr<const net::TlsConfig> unverified_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Endpoint>> endpoints_;  // by registry host
  std::map<std::string, std::string> authorizations_;  // "host scope" → Authorization value
};

}  // namespace kw::oci
