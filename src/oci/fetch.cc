#include "oci/fetch.h"

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/strings.h"
#include "net/http_client.h"
#include "oci/artifact.h"

namespace kw::oci {
namespace {

constexpr int kMaxDownloadRedirects = 10;

Result<void> CheckModule(std::string_view bytes, std::uint64_t cap, std::string_view what) {
  if (bytes.size() > cap) return std::unexpected(TooLarge(what, bytes.size(), cap));
  if (!HasWasmMagic(bytes))
    return Fail(ErrorKind::kBadModule, std::string(what) + ": invalid wasm file");
  return {};
}

// A module on local disk, checked as a download is; its digest.
Result<std::string> LocalModuleDigest(const std::string& path, std::uint64_t cap) {
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, ReadModuleFile(path, cap));
  const std::string_view view = AsText(bytes);
  KW_TRY(CheckModule(view, cap, path));
  return Sha256DigestOf(view);
}

// An http(s):// download, with the connection fallbacks of sources.yaml.
Result<std::string> Download(const PolicyUri& uri, const RegistryOptions& options) {
  KW_ASSIGN_OR_RETURN(net::HttpUrl url, net::ParseHttpUrl(uri.uri));
  const bool insecure = options.sources.IsInsecure(url.authority);
  if (!url.tls && !insecure) {
    return Fail(ErrorKind::kInvalidArgument, "refusing to download " + uri.uri +
                                                 " over plain HTTP: " + url.authority +
                                                 " is not in insecure_sources");
  }
  struct Attempt {
    std::string url;
    std::shared_ptr<const net::TlsConfig> tls;
    std::string description;
  };
  std::vector<Attempt> attempts;
  const std::string https_url = "https://" + url.authority + url.target;
  KW_ASSIGN_OR_RETURN(
      auto verified,
      net::TlsConfig::Create({.ca_pems = options.sources.AuthoritiesFor(url.authority)}));
  // An http:// URL of an insecure source is fetched as written (the TLS attempts are the
  // fallbacks of https:// URLs); redirects to https:// are verified.
  if (!url.tls) {
    attempts.push_back({uri.uri, verified, "HTTP"});
  } else {
    attempts.push_back({https_url, verified, "HTTPS"});
  }
  if (insecure && url.tls) {
    KW_ASSIGN_OR_RETURN(auto unverified,
                        net::TlsConfig::Create({.verify = false, .system_roots = false}));
    attempts.push_back({https_url, unverified, "HTTPS without verification"});
    attempts.push_back({"http://" + url.authority + url.target, verified, "HTTP"});
  }
  std::string failures;
  for (const Attempt& attempt : attempts) {
    net::HttpRequest request{.url = attempt.url,
                             .max_response_bytes = options.max_blob_bytes,
                             .timeout = options.blob_timeout,
                             .max_redirects = kMaxDownloadRedirects,
                             .proxies = options.sources.proxies};
    if (options.on_module_progress) {
      request.on_progress = [&options](std::uint64_t received, std::optional<std::uint64_t> total) {
        options.on_module_progress(received, total.value_or(0));
      };
    }
    auto response = net::Send(request, attempt.tls.get());
    if (!response) {
      if (!failures.empty()) failures += "; ";
      failures += attempt.description + ": " + response.error().message;
      continue;
    }
    if (response->status != 200) {
      return Fail(response->status == 404 ? ErrorKind::kNotFound : ErrorKind::kIo,
                  "cannot download " + uri.uri + ": HTTP " + std::to_string(response->status));
    }
    return std::move(response->body);
  }
  return Fail(ErrorKind::kIo, "cannot download " + uri.uri + " (" + failures + ")");
}

}  // namespace

Result<FetchedPolicy> Fetch(std::string_view text, const FetchOptions& options) {
  KW_ASSIGN_OR_RETURN(PolicyUri uri, ParsePolicyUri(text));
  const std::uint64_t cap = options.registry.max_blob_bytes;
  FetchedPolicy out{.uri = uri.uri};
  if (uri.scheme == Scheme::kFile) {
    KW_ASSIGN_OR_RETURN(out.digest, LocalModuleDigest(uri.path, cap));
    out.path = uri.path;
    return out;
  }
  const Store store(options.store_root);
  const bool always_refetch =
      uri.scheme == Scheme::kRegistry && !uri.reference->digest && uri.reference->tag == "latest";
  if (!always_refetch) {
    if (std::optional<std::string> path = store.Lookup(uri)) {
      auto digest = LocalModuleDigest(*path, cap);
      if (digest) {
        out.path = *path;
        out.digest = std::move(*digest);
        return out;
      }
      if (digest.error().kind != ErrorKind::kNotFound) {
        spdlog::warn("{}; fetching {} again", digest.error().message, uri.uri);
      }
    }
  }
  std::string module;
  if (uri.scheme == Scheme::kRegistry) {
    KW_ASSIGN_OR_RETURN(auto client, RegistryClient::Create(options.registry));
    KW_ASSIGN_OR_RETURN(PulledPolicy pulled, client->PullPolicy(*uri.reference));
    out.manifest_digest = std::move(pulled.manifest_digest);
    module = std::move(pulled.module);
  } else {
    KW_ASSIGN_OR_RETURN(module, Download(uri, options.registry));
  }
  KW_TRY(CheckModule(module, cap, uri.uri));
  KW_ASSIGN_OR_RETURN(out.path, store.Put(uri, module));
  out.digest = Sha256DigestOf(module);
  out.downloaded = true;
  return out;
}

Result<std::string> Push(std::span<const std::uint8_t> module, std::string_view destination,
                         const RegistryOptions& options) {
  const std::string uri = destination.starts_with("registry://")
                              ? std::string(destination)
                              : "registry://" + std::string(destination);
  KW_ASSIGN_OR_RETURN(PolicyUri parsed, ParsePolicyUri(uri));
  KW_ASSIGN_OR_RETURN(auto client, RegistryClient::Create(options));
  return client->PushPolicy(*parsed.reference, module);
}

}  // namespace kw::oci
