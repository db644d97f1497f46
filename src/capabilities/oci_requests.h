// The payloads of the `oci` host capabilities (policy-server.md §4.c.2), decoded without any
// network: what the policy asks for, checked and normalised, or a kInvalidArgument error that
// names the operation and the field at fault.
//
//   v1/manifest_digest, v1/oci_manifest, v1/oci_manifest_config
//       a JSON string, the image reference, normalised as upstream (oci/reference.h: "busybox"
//       is docker.io/library/busybox:latest).
//   v1/verify   externally tagged: {"SigstorePubKeyVerify": {...}} or {"SigstoreKeylessVerify":
//               {...}}
//   v2/verify   internally tagged on "type", one of
//       {"type":"SigstorePubKeyVerify", "image", "pub_keys": [PEM], "annotations"}
//       {"type":"SigstoreKeylessVerify", "image", "keyless": [{"issuer","subject"}], "annotations"}
//       {"type":"SigstoreKeylessPrefixVerify", "image", "keyless_prefix": [{"issuer",
//        "url_prefix"}], "annotations"}
//       {"type":"SigstoreGithubActionsVerify", "image", "owner", "repo"?, "annotations"}
//       {"type":"SigstoreCertificateVerify", "image", "certificate": [bytes],
//        "certificate_chain": [[bytes]] | null, "require_rekor_bundle": bool, "annotations"}
// `annotations` is a map of strings or null (absent: null); unknown fields are ignored, as serde
// does. Each request becomes the verification config upstream builds for it:
//   pub keys, keyless, GitHub Actions: every entry must hold (allOf);
//   keyless prefix: one entry must hold (anyOf, minimumMatches 1), prefixes ending in '/';
//   certificate: the one certificate (PEM or DER bytes; the chain's entries likewise).
// Every list must be non-empty (an empty one would verify nothing), keys and certificates must
// parse. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/reference.h"
#include "verify/config.h"

namespace kw::capabilities {

// An image payload above this size is refused before it is parsed.
inline constexpr std::size_t kMaxOciImagePayload = 4096;
// A verify payload above this size is refused before it is parsed: certificates travel as JSON
// lists of numbers, up to four payload bytes each.
inline constexpr std::size_t kMaxOciVerifyPayload = 2u << 20;

// The image reference of a v1/manifest_digest, v1/oci_manifest or v1/oci_manifest_config
// payload; `operation` names it in errors.
Result<oci::Reference> DecodeImagePayload(std::string_view operation, std::string_view payload);

struct ImageVerification {
  oci::Reference image;
  verify::VerificationConfig config;
};

Result<ImageVerification> DecodeVerifyV1(std::string_view payload);
Result<ImageVerification> DecodeVerifyV2(std::string_view payload);

}  // namespace kw::capabilities
