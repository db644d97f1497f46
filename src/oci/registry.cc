#include "oci/registry.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "base/percent_decode.h"
#include "base/base64.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace kw::oci {

struct RegistryClient::Endpoint {
  std::string base;  // "https://host[:port]" or "http://host[:port]"
  const net::TlsConfig* tls = nullptr;
  std::string description;  // for errors: "HTTPS", "HTTPS without verification", "HTTP"
};

namespace {

constexpr std::size_t kMaxAuthReplyBytes = 1u << 20;
constexpr std::size_t kMaxErrorReplyBytes = 64u << 10;

// The digest of `bytes` with the algorithm of `like` ("sha256:..." or "sha512:...").
std::string DigestLike(std::string_view like, std::string_view bytes) {
  if (!like.starts_with("sha512:")) return Sha256DigestOf(bytes);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &size, EVP_sha512(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "sha512:";
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

// A short, printable excerpt of an error answer (registries send {"errors":[{code,message}]}).
std::string Excerpt(const net::HttpResponse& response) {
  std::string text;
  if (auto doc = ParseJson(response.body); doc) {
    if (const json::value* errors = FindKey(*doc, "errors");
        errors != nullptr && errors->is_array() && !errors->as_array().empty()) {
      const json::value& first = errors->as_array()[0];
      for (const char* key : {"code", "message"}) {
        if (const json::value* v = FindKey(first, key); v != nullptr && v->is_string()) {
          if (!text.empty()) text += ": ";
          text += std::string(v->as_string());
        }
      }
    }
  }
  if (text.empty()) text = response.body;
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  std::replace_if(
      text.begin(), text.end(), [](char c) { return !std::isprint(static_cast<unsigned char>(c)); },
      ' ');
  return text;
}

Error HttpError(const net::HttpResponse& response, std::string_view doing) {
  const ErrorKind kind = response.status == 404 ? ErrorKind::kNotFound : ErrorKind::kIo;
  std::string message = std::string(doing) + ": HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) {
    message += " (access denied: check the credentials in docker's config.json)";
  }
  if (const std::string excerpt = Excerpt(response); !excerpt.empty()) message += ": " + excerpt;
  return Error(kind, std::move(message));
}

// `WWW-Authenticate: <scheme> k="v", k2=v2`: the scheme (lower-cased) and the parameters.
std::pair<std::string, std::map<std::string, std::string>> ParseChallenge(std::string_view text) {
  std::map<std::string, std::string> params;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const std::size_t space = text.find(' ');
  const std::string scheme = AsciiLower(text.substr(0, space));
  text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  while (!text.empty()) {
    while (!text.empty() && (text.front() == ' ' || text.front() == ',')) text.remove_prefix(1);
    const std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) break;
    const std::string key = AsciiLower(text.substr(0, eq));
    text.remove_prefix(eq + 1);
    std::string value;
    if (!text.empty() && text.front() == '"') {
      std::size_t i = 1;
      for (; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i];
      }
      text.remove_prefix(std::min(text.size(), i + 1));
    } else {
      const std::size_t comma = text.find(',');
      value = std::string(text.substr(0, comma));
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma);
    }
    params[key] = value;
  }
  return {scheme, params};
}

std::string Scope(const Reference& ref, bool push) {
  return "repository:" + ref.repository + (push ? ":pull,push" : ":pull");
}

}  // namespace

Result<std::unique_ptr<RegistryClient>> RegistryClient::Create(RegistryOptions options) {
  // Upstream's OCI client trusts every source authority for every registry.
  auto verified = net::TlsConfig::Create({.ca_pems = options.sources.AllAuthorities()});
  if (!verified) return std::unexpected(verified.error().Wrap("sources.yaml authorities"));
  KW_ASSIGN_OR_RETURN(auto unverified,
                      net::TlsConfig::Create({.verify = false, .system_roots = false}));
  return std::unique_ptr<RegistryClient>(
      new RegistryClient(std::move(options), std::move(*verified), std::move(unverified)));
}

RegistryClient::RegistryClient(RegistryOptions options,
                               std::shared_ptr<const net::TlsConfig> verified,
                               std::shared_ptr<const net::TlsConfig> unverified)
    : options_(std::move(options)),
      verified_(std::move(verified)),
      unverified_(std::move(unverified)) {}

Result<std::string> RegistryClient::Authorize(const Endpoint& endpoint, const Reference& ref,
                                              bool push, const std::string& challenge) {
  const auto [scheme, params] = ParseChallenge(challenge);
  const std::optional<Credentials> credentials =
      LookupCredentials(ref.registry, options_.docker_config_dir);
  const std::string basic =
      credentials ? "Basic " + Base64Encode(credentials->username + ":" + credentials->password)
                  : "";
  if (scheme == "basic") {
    if (!credentials) {
      // The realm tells the user who asks, e.g. a proxy that answers a wrong
      // Proxy-Authorization with 401 instead of 407 (tinyproxy does).
      std::string realm;
      if (auto it = params.find("realm"); it != params.end()) {
        realm = it->second.substr(0, 100);
        std::replace_if(
            realm.begin(), realm.end(),
            [](char c) { return !std::isprint(static_cast<unsigned char>(c)); }, '?');
        realm = " (realm \"" + realm + "\")";
      }
      return Fail(ErrorKind::kIo, "registry " + ref.registry + " requires credentials" + realm +
                                      " and docker's config.json has none for it");
    }
    return basic;
  }
  if (scheme != "bearer") {
    return Fail(ErrorKind::kIo, "registry " + ref.registry +
                                    " asks for an unsupported authentication scheme '" + scheme +
                                    "'");
  }
  auto realm = params.find("realm");
  if (realm == params.end()) {
    return Fail(ErrorKind::kIo,
                "registry " + ref.registry + " sent a Bearer challenge without realm");
  }
  std::string url = realm->second;
  url += url.find('?') == std::string::npos ? '?' : '&';
  if (auto service = params.find("service"); service != params.end()) {
    url += "service=" + PercentEncode(service->second) + "&";
  }
  url += "scope=" + PercentEncode(Scope(ref, push));
  net::HttpRequest request{.url = url,
                           .max_response_bytes = kMaxAuthReplyBytes,
                           .timeout = options_.timeout,
                           .max_redirects = 3,
                           .proxies = options_.sources.proxies};
  if (credentials) request.headers.emplace_back("Authorization", basic);
  // The realm may be plain HTTP only when the registry itself is reached over plain HTTP.
  if (url.starts_with("http://") && endpoint.base.starts_with("https://")) {
    return Fail(ErrorKind::kIo,
                "registry " + ref.registry + " sent a plain-HTTP token realm " + realm->second);
  }
  auto response = net::Send(request, endpoint.tls != nullptr ? endpoint.tls : verified_.get());
  if (!response) return std::unexpected(response.error().Wrap("token request to " + realm->second));
  if (response->status != 200)
    return std::unexpected(HttpError(*response, "token request to " + realm->second));
  auto doc = ParseJson(response->body, "token response");
  if (!doc) return std::unexpected(doc.error());
  for (const char* key : {"token", "access_token"}) {
    if (const json::value* token = FindKey(*doc, key);
        token != nullptr && token->is_string() && !token->as_string().empty()) {
      return "Bearer " + std::string(token->as_string());
    }
  }
  return Fail(ErrorKind::kIo, "the token response of " + realm->second + " has no token");
}

Result<net::HttpResponse> RegistryClient::CallAt(const Endpoint& endpoint, const Reference& ref,
                                                 bool push, net::HttpRequest request,
                                                 const std::string& target, bool* reached) {
  request.url = target.starts_with("/") ? endpoint.base + target : target;
  request.proxies = options_.sources.proxies;
  const std::string cache_key = ref.registry + " " + Scope(ref, push);
  std::optional<std::string> authorization;
  {
    std::lock_guard lock(mutex_);
    if (auto it = authorizations_.find(cache_key); it != authorizations_.end()) {
      authorization = it->second;
    }
  }
  const std::size_t base_headers = request.headers.size();
  if (authorization) request.headers.emplace_back("Authorization", *authorization);
  KW_ASSIGN_OR_RETURN(net::HttpResponse response, net::Send(request, endpoint.tls, reached));
  if (response.status != 401) return response;
  const std::optional<std::string> challenge = response.Header("WWW-Authenticate");
  if (!challenge) return response;
  KW_ASSIGN_OR_RETURN(std::string fresh, Authorize(endpoint, ref, push, *challenge));
  // The same answer to the same credentials: retrying would only be refused again.
  if (authorization && *authorization == fresh) return response;
  {
    std::lock_guard lock(mutex_);
    authorizations_[cache_key] = fresh;
  }
  request.headers.resize(base_headers);
  request.headers.emplace_back("Authorization", fresh);
  return net::Send(request, endpoint.tls);
}

Result<net::HttpResponse> RegistryClient::Call(const Reference& ref, bool push,
                                               net::HttpRequest request,
                                               const std::string& target) {
  const std::string host = ref.ApiHost();
  std::shared_ptr<const Endpoint> known;
  {
    std::lock_guard lock(mutex_);
    if (auto it = endpoints_.find(host); it != endpoints_.end()) known = it->second;
  }
  if (known) return CallAt(*known, ref, push, std::move(request), target, nullptr);
  std::vector<Endpoint> candidates = {{"https://" + host, verified_.get(), "HTTPS"}};
  if (options_.sources.IsInsecure(ref.registry)) {
    candidates.push_back({"https://" + host, unverified_.get(), "HTTPS without verification"});
    candidates.push_back({"http://" + host, nullptr, "HTTP"});
  }
  std::string failures;
  bool tls_failed = false;
  for (const Endpoint& candidate : candidates) {
    bool reached = false;
    auto response = CallAt(candidate, ref, push, request, target, &reached);
    // Once the registry answered, this is the way to it, whatever happens next (an
    // authentication failure is not a reason to try a less secure connection).
    if (reached) {
      std::lock_guard lock(mutex_);
      endpoints_.emplace(host, std::make_shared<const Endpoint>(candidate));
      return response;
    }
    if (!failures.empty()) failures += "; ";
    failures += candidate.description + ": " + response.error().message;
    tls_failed = response.error().kind == ErrorKind::kTls;
    spdlog::debug("registry {} over {}: {}", host, candidate.description, response.error().message);
  }
  std::string message = "cannot reach registry " + ref.registry + " (" + failures + ")";
  // Only a certificate problem is solved by declaring the registry insecure.
  if (candidates.size() == 1 && tls_failed) {
    message += "; add it to insecure_sources in sources.yaml if it has no valid certificate";
  }
  return Fail(ErrorKind::kIo, std::move(message));
}

Result<std::string> RegistryClient::ManifestDigest(const Reference& ref) {
  net::HttpRequest request{.method = "HEAD",
                           .headers = {{"Accept", std::string(kManifestAccept)}},
                           .max_response_bytes = 0,
                           .timeout = options_.timeout};
  KW_ASSIGN_OR_RETURN(
      net::HttpResponse response,
      Call(ref, false, request, "/v2/" + ref.repository + "/manifests/" + ref.TagOrDigest()));
  if (response.status == 200) {
    if (auto digest = response.Header("Docker-Content-Digest"); digest && IsValidDigest(*digest)) {
      if (ref.digest && *digest != *ref.digest) {
        return Fail(ErrorKind::kIo, "registry " + ref.registry + " answered digest " + *digest +
                                        " for " + ref.Whole());
      }
      return *digest;
    }
  } else if (response.status == 404) {
    return std::unexpected(HttpError(response, "manifest " + ref.Whole()));
  }
  KW_ASSIGN_OR_RETURN(PulledManifest manifest, PullManifest(ref));
  return manifest.digest;
}

Result<PulledManifest> RegistryClient::PullManifest(const Reference& ref) {
  net::HttpRequest request{.headers = {{"Accept", std::string(kManifestAccept)}},
                           .max_response_bytes = options_.max_manifest_bytes,
                           .timeout = options_.timeout};
  const std::string what = "cannot fetch the manifest of " + ref.Whole();
  auto answer =
      Call(ref, false, request, "/v2/" + ref.repository + "/manifests/" + ref.TagOrDigest());
  if (!answer) return std::unexpected(answer.error().Wrap(what));
  net::HttpResponse& response = *answer;
  if (response.status != 200) return std::unexpected(HttpError(response, what));
  PulledManifest out;
  out.digest = DigestLike(ref.digest.value_or("sha256:"), response.body);
  if (ref.digest && out.digest != *ref.digest) {
    return Fail(ErrorKind::kIo, "the manifest of " + ref.Whole() + " has digest " + out.digest +
                                    ": it does not match the reference");
  }
  if (auto reported = response.Header("Docker-Content-Digest");
      reported && reported->starts_with("sha256:") && out.digest.starts_with("sha256:") &&
      *reported != out.digest) {
    return Fail(ErrorKind::kIo, "registry " + ref.registry + " reported digest " + *reported +
                                    " for a manifest whose digest is " + out.digest);
  }
  out.bytes = std::move(response.body);
  out.content_type = response.Header("Content-Type").value_or("");
  return out;
}

Result<std::string> RegistryClient::PullBlob(const Reference& ref, const Descriptor& descriptor) {
  return FetchBlob(ref, descriptor, false);
}

Result<std::string> RegistryClient::FetchBlob(const Reference& ref, const Descriptor& descriptor,
                                              bool report) {
  if (!IsValidDigest(descriptor.digest)) {
    return Fail(ErrorKind::kInvalidArgument, "invalid blob digest '" + descriptor.digest + "'");
  }
  if (descriptor.size > options_.max_blob_bytes) {
    return Fail(ErrorKind::kIo,
                "blob " + descriptor.digest + " is " + std::to_string(descriptor.size) +
                    " bytes, more than the limit of " + std::to_string(options_.max_blob_bytes));
  }
  net::HttpRequest request{
      .max_response_bytes = descriptor.size, .timeout = options_.blob_timeout, .max_redirects = 5};
  if (report && options_.on_module_progress) {
    // The declared size, not the Content-Length: it is what the download is checked against.
    request.on_progress = [this, total = descriptor.size](std::uint64_t received, auto) {
      options_.on_module_progress(received, total);
    };
  }
  const std::string what = "blob " + descriptor.digest + " of " + ref.registry + "/" + ref.repository;
  auto answer = Call(ref, false, request, "/v2/" + ref.repository + "/blobs/" + descriptor.digest);
  if (!answer) return std::unexpected(answer.error().Wrap("cannot fetch " + what));
  net::HttpResponse& response = *answer;
  if (response.status != 200) return std::unexpected(HttpError(response, "cannot fetch " + what));
  if (response.body.size() != descriptor.size) {
    return Fail(ErrorKind::kIo, "blob " + descriptor.digest + " has " +
                                    std::to_string(response.body.size()) +
                                    " bytes instead of the " + std::to_string(descriptor.size) +
                                    " its manifest declares");
  }
  if (const std::string actual = DigestLike(descriptor.digest, response.body);
      actual != descriptor.digest) {
    return Fail(ErrorKind::kIo,
                what + " has digest " + actual + ": the download is corrupt or was tampered with");
  }
  return std::move(response.body);
}

Result<PulledPolicy> RegistryClient::PullPolicy(const Reference& ref) {
  KW_ASSIGN_OR_RETURN(PulledManifest manifest, PullManifest(ref));
  auto layer = PickWasmLayer(manifest.bytes, options_.max_blob_bytes);
  if (!layer) return std::unexpected(layer.error().Wrap(ref.Whole()));
  KW_ASSIGN_OR_RETURN(std::string module, FetchBlob(ref, *layer, true));
  if (!HasWasmMagic(module)) {
    return Fail(ErrorKind::kBadModule, ref.Whole() + ": invalid wasm file");
  }
  return PulledPolicy{std::move(module), std::move(manifest.digest), std::move(*layer)};
}

Result<void> RegistryClient::PushBlob(const Reference& ref, std::string_view bytes,
                                      std::string_view digest) {
  const std::string blob_path = "/v2/" + ref.repository + "/blobs/" + std::string(digest);
  KW_ASSIGN_OR_RETURN(
      net::HttpResponse exists,
      Call(ref, true, {.method = "HEAD", .max_response_bytes = 0, .timeout = options_.timeout},
           blob_path));
  if (exists.status == 200) return {};

  const auto start_upload = [&]() -> Result<std::string> {
    KW_ASSIGN_OR_RETURN(net::HttpResponse started,
                        Call(ref, true,
                             {.method = "POST",
                              .max_response_bytes = kMaxErrorReplyBytes,
                              .timeout = options_.timeout},
                             "/v2/" + ref.repository + "/blobs/uploads/"));
    std::optional<std::string> location = started.Header("Location");
    if (started.status != 202 || !location) {
      return std::unexpected(
          HttpError(started, "cannot start an upload to " + ref.registry + "/" + ref.repository));
    }
    return *location;
  };
  // Upload locations may be relative: resolve them against the registry's endpoint.
  const auto absolute = [&](const std::string& location) -> Result<std::string> {
    if (location.starts_with("http://") || location.starts_with("https://")) return location;
    std::string base;
    {
      std::lock_guard lock(mutex_);
      if (auto it = endpoints_.find(ref.ApiHost()); it != endpoints_.end()) base = it->second->base;
    }
    if (base.empty()) return Fail(ErrorKind::kInternal, "no endpoint for " + ref.registry);
    KW_ASSIGN_OR_RETURN(net::HttpUrl url, net::ParseHttpUrl(base + "/"));
    KW_ASSIGN_OR_RETURN(net::HttpUrl resolved, net::ResolveLocation(url, location));
    return resolved.ToString();
  };
  const auto with_digest = [&](const std::string& location) {
    return location + (location.find('?') == std::string::npos ? "?" : "&") +
           "digest=" + PercentEncode(digest);
  };
  const auto finish = [&](const std::string& location, std::string body) -> Result<void> {
    KW_ASSIGN_OR_RETURN(std::string url, absolute(location));
    KW_ASSIGN_OR_RETURN(net::HttpResponse done,
                        Call(ref, true,
                             {.method = "PUT",
                              .headers = {{"Content-Type", "application/octet-stream"}},
                              .body = std::move(body),
                              .max_response_bytes = kMaxErrorReplyBytes,
                              .timeout = options_.blob_timeout},
                             with_digest(url)));
    if (done.status != 201) {
      return std::unexpected(
          HttpError(done, "cannot complete the upload of " + std::string(digest)));
    }
    if (auto reported = done.Header("Docker-Content-Digest"); reported && *reported != digest) {
      return Fail(ErrorKind::kIo, "registry " + ref.registry + " stored " + *reported +
                                      " instead of " + std::string(digest));
    }
    return {};
  };

  KW_ASSIGN_OR_RETURN(std::string location, start_upload());
  bool chunked = true;
  for (std::size_t offset = 0; offset < bytes.size() && chunked;) {
    const std::size_t n = std::min(kUploadChunkBytes, bytes.size() - offset);
    KW_ASSIGN_OR_RETURN(std::string url, absolute(location));
    KW_ASSIGN_OR_RETURN(net::HttpResponse patched,
                        Call(ref, true,
                             {.method = "PATCH",
                              .headers = {{"Content-Type", "application/octet-stream"},
                                          {"Content-Range", std::to_string(offset) + "-" +
                                                                std::to_string(offset + n - 1)}},
                              .body = std::string(bytes.substr(offset, n)),
                              .max_response_bytes = kMaxErrorReplyBytes,
                              .timeout = options_.blob_timeout},
                             url));
    std::optional<std::string> next = patched.Header("Location");
    if (patched.status != 202 || !next) {
      spdlog::debug("registry {} refused a chunked upload (HTTP {}): uploading in one piece",
                    ref.registry, patched.status);
      chunked = false;
      break;
    }
    location = *next;
    offset += n;
  }
  if (chunked) return finish(location, "");
  KW_ASSIGN_OR_RETURN(std::string fresh, start_upload());
  return finish(fresh, std::string(bytes));
}

Result<std::string> RegistryClient::PushManifest(const Reference& ref, std::string_view manifest,
                                                 std::string_view content_type) {
  const std::string digest = Sha256DigestOf(manifest);
  KW_ASSIGN_OR_RETURN(net::HttpResponse response,
                      Call(ref, true,
                           {.method = "PUT",
                            .headers = {{"Content-Type", std::string(content_type)}},
                            .body = std::string(manifest),
                            .max_response_bytes = kMaxErrorReplyBytes,
                            .timeout = options_.timeout},
                           "/v2/" + ref.repository + "/manifests/" + ref.TagOrDigest()));
  if (response.status != 201) {
    return std::unexpected(HttpError(response, "cannot push the manifest of " + ref.Whole()));
  }
  if (auto reported = response.Header("Docker-Content-Digest");
      reported && reported->starts_with("sha256:") && *reported != digest) {
    return Fail(ErrorKind::kIo, "registry " + ref.registry + " stored the manifest as " +
                                    *reported + " instead of " + digest);
  }
  return digest;
}

Result<std::string> RegistryClient::PushPolicy(const Reference& ref,
                                               std::span<const std::uint8_t> module) {
  KW_ASSIGN_OR_RETURN(PushArtifact artifact, BuildArtifact(module));
  const std::string_view bytes = AsText(module);
  KW_TRY(PushBlob(ref, bytes, artifact.layer.digest));
  KW_TRY(PushBlob(ref, artifact.config, artifact.config_descriptor.digest));
  KW_ASSIGN_OR_RETURN(std::string digest,
                      PushManifest(ref, artifact.manifest, kOciManifestMediaType));
  return ref.registry + "/" + ref.repository + "@" + digest;
}

}  // namespace kw::oci
