// Policy URIs and OCI image references, parsed and normalised as upstream kwctl and
// policy-fetcher do (tooling.md §1.3).
//
// A policy URI is one of
//   registry://<reference>   an OCI artifact in a registry
//   https://<url>, http://<url>   a plain .wasm download
//   file://<absolute path>   a module on disk, used in place
//   <reference>              a bare OCI reference, read as registry://<reference>
// A reference follows the Docker/distribution grammar: `[registry/]repository[:tag][@digest]`.
// Docker Hub short names expand as `docker` does (`busybox` → `docker.io/library/busybox`); a
// reference without tag nor digest gets `:latest`; a digest reference keeps no implicit tag.
// Everything is a pure function; malformed input is kInvalidArgument with a message that names
// the input and what is wrong.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::oci {

inline constexpr std::string_view kDockerHubRegistry = "docker.io";
// The host that actually serves Docker Hub's distribution API.
inline constexpr std::string_view kDockerHubApiHost = "index.docker.io";

struct Reference {
  std::string registry;    // host[:port], e.g. "ghcr.io", "127.0.0.1:5000", "docker.io"
  std::string repository;  // e.g. "kubewarden/policies/pod-privileged", "library/busybox"
  std::optional<std::string> tag;
  std::optional<std::string> digest;  // "sha256:<64 hex>" or "sha512:<128 hex>"

  // registry/repository[:tag][@digest]
  std::string Whole() const;
  // What /v2/<repository>/manifests/<x> takes: the digest when there is one, else the tag.
  std::string TagOrDigest() const;
  // The host to talk to: docker.io is served by index.docker.io.
  std::string ApiHost() const;

  bool operator==(const Reference&) const = default;
};

// Parses and normalises a reference (no scheme).
Result<Reference> ParseReference(std::string_view text);

// Checks "sha256:<64 lower-case hex>" / "sha512:<128 lower-case hex>".
bool IsValidDigest(std::string_view digest);

enum class Scheme { kRegistry, kHttps, kHttp, kFile };
std::string_view SchemeName(Scheme scheme);  // "registry", "https", "http", "file"

struct PolicyUri {
  Scheme scheme = Scheme::kRegistry;
  std::string uri;                     // normalised: registry://<Whole()>, other schemes as given
  std::optional<Reference> reference;  // kRegistry only
  std::string path;                    // kFile only: the absolute path
};

// Parses a policy URI (see the header comment). `file://` must be followed by an absolute path.
Result<PolicyUri> ParsePolicyUri(std::string_view text);

}  // namespace kw::oci
