// The verification config: which signatures a policy image must carry before it is trusted.
//
// Wire-compatible with upstream's verification-config YAML (policy-fetcher
// `verify/config.rs`, docs `reference/verification-config.adoc`):
//
//   apiVersion: v1
//   allOf:                       # every entry must be satisfied
//     - kind: pubKey             # key: PEM SubjectPublicKeyInfo; owner: informational
//     - kind: genericIssuer      # issuer + subject {equal: ...} or {urlPrefix: ...}
//     - kind: githubAction       # owner (required), repo (optional)
//   anyOf:
//     minimumMatches: 2          # default 1
//     signatures: [ ...same entries... ]
//
// Every entry may carry `annotations`, a string map the signed payload must contain. Unknown
// fields are rejected (serde `deny_unknown_fields` upstream), and errors name the field by its
// path ("allOf[1].subject: ..."). Everything here is a plain value type: immutable once built,
// safe to share across threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"

namespace kw::verify {

// Required annotations, ordered like upstream's BTreeMap (so rendered messages are stable).
using Annotations = std::map<std::string, std::string>;

// `kind: pubKey`: a cosign key-pair signature.
struct PubKeySignature {
  std::optional<std::string> owner;  // informational only
  std::string key;                   // PEM "-----BEGIN PUBLIC KEY-----" (SPKI)
  std::optional<Annotations> annotations;
};

// How a keyless certificate's subject (SAN email or URI) is matched.
struct SubjectMatcher {
  enum class Kind { kEqual, kUrlPrefix };
  Kind kind = Kind::kEqual;
  // For kUrlPrefix this always ends with '/' (normalized at parse time, as upstream does, so
  // that `https://github.com/kubewarden` does not match `.../kubewarden-malicious/...`).
  std::string value;
};

// `kind: genericIssuer`: a keyless (Fulcio) signature from an OIDC issuer.
struct GenericIssuerSignature {
  std::string issuer;
  SubjectMatcher subject;
  std::optional<Annotations> annotations;
};

// `kind: githubAction`: a keyless signature made by a GitHub Actions workflow.
struct GithubActionSignature {
  std::string owner;
  std::optional<std::string> repo;
  std::optional<Annotations> annotations;
};

// A signature made with the key of one given certificate (`cosign sign --certificate`): the
// oci/v2/verify capability's SigstoreCertificateVerify. Verification configs have no such kind,
// so ParseVerificationConfig never builds one.
struct CertificateSignature {
  // PEM, one certificate for code signing (extendedKeyUsage): its key must verify the signature.
  std::string certificate;
  // PEM certificates, each trusted as an anchor: when given, `certificate` must chain to one of
  // them (at the Rekor bundle's integratedTime when one is required, else now).
  std::optional<std::vector<std::string>> chain;
  // When set, the signature layer must carry a Rekor bundle that verifies against the trust
  // root, logged while `certificate` was valid.
  bool require_rekor_bundle = false;
  std::optional<Annotations> annotations;
};

using SignatureConstraint = std::variant<PubKeySignature, GenericIssuerSignature,
                                         GithubActionSignature, CertificateSignature>;

struct AnyOf {
  std::uint8_t minimum_matches = 1;  // a u8 upstream: 256 is an error, not a wrap-around
  std::vector<SignatureConstraint> signatures;
};

struct VerificationConfig {
  // Upstream accepts a config without apiVersion (quirk, spec §11.6); we record what was given.
  std::optional<std::string> api_version;
  std::vector<SignatureConstraint> all_of;
  std::optional<AnyOf> any_of;
};

// Parses a verification config (YAML or JSON). kInvalidArgument on any error, e.g.
// "verification config: field 'allOf[0].key' must be a string, got a number". Unlike upstream, a
// config without any allOf/anyOf entry is rejected even when apiVersion is omitted: it would
// accept every signed image.
Result<VerificationConfig> ParseVerificationConfig(std::string_view text);

// Reads and parses the file at `path` (the error names the path). kNotFound/kIo when unreadable.
Result<VerificationConfig> LoadVerificationConfig(const std::string& path);

// kwctl's verification flags (spec §1.8), turned into an allOf-only config.
struct VerificationFlags {
  std::vector<std::string> key_pems;  // contents of each `-k` file
  Annotations annotations;            // `-a KEY=VALUE`, attached to every generated entry
  std::optional<std::string> cert_email;
  std::optional<std::string> cert_oidc_issuer;
  std::optional<std::string> github_owner;
  std::optional<std::string> github_repo;

  bool Empty() const {
    return key_pems.empty() && annotations.empty() && !cert_email && !cert_oidc_issuer &&
           !github_owner && !github_repo;
  }
};

// Builds the config kwctl uses when verification flags are given. Fails (kInvalidArgument) on
// the combinations upstream rejects: annotations without any key/issuer/owner, a repo without
// an owner, an email without an issuer or the other way round, or no flags at all.
Result<VerificationConfig> ConfigFromFlags(const VerificationFlags& flags);

// Whether any allOf/anyOf entry is keyless (genericIssuer, githubAction): those can only hold
// with a Sigstore trust root. (A certificate constraint that requires a Rekor bundle needs one
// too, but only host capabilities build those.)
bool HasKeylessConstraints(const VerificationConfig& config);

// One constraint as YAML, the way failure messages list unsatisfied entries.
std::string ConstraintToYaml(const SignatureConstraint& constraint);

}  // namespace kw::verify
