#include "verify/verify.h"

#include <charconv>
#include <ctime>
#include <optional>
#include <type_traits>
#include <variant>

#include "base/base64.h"
#include "base/json.h"
#include "base/sha256.h"
#include "verify/crypto.h"
#include "verify/keyless.h"

namespace kw::verify {
namespace {

constexpr std::string_view kGithubIssuer = "https://token.actions.githubusercontent.com";
constexpr std::string_view kWasmLayerMediaType = "application/vnd.wasm.content.layer.v1+wasm";
// How many per-layer reasons an error message lists before it says "...".
constexpr std::size_t kMaxReasons = 4;
// Cosign annotation values are a few kilobytes (a certificate, a bundle); larger is hostile.
constexpr std::size_t kMaxAnnotationBytes = 256u << 10;
// Certificates one chain entry of a certificate constraint may hold.
constexpr std::size_t kMaxChainCertificates = 10;

std::unexpected<Error> VerificationFailed(std::string message) {
  return Fail(ErrorKind::kInvalidArgument, "Image verification failed: " + std::move(message));
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDigest(std::string_view d) {
  if (d.starts_with("sha256:")) return d.size() == 7 + 64 && IsLowerHex(d.substr(7));
  if (d.starts_with("sha512:")) return d.size() == 7 + 128 && IsLowerHex(d.substr(7));
  return false;
}

// A layer that is a well-formed cosign signature of the image, with what we could establish.
struct TrustedLayer {
  std::size_t index = 0;
  std::string payload;
  std::string signature;                        // decoded
  std::optional<json::object> optional;         // the payload's `optional`, when an object
  std::optional<CertificateIdentity> identity;  // set when the certificate is trusted
  std::string keyless_problem;                  // why `identity` is unset, for messages
  std::optional<std::int64_t> integrated_time;  // of the Rekor bundle, when it verified
};

std::string Reason(std::size_t index, std::string_view why) {
  return "layer " + std::to_string(index) + ": " + std::string(why);
}

// Turns one registry layer into a TrustedLayer, or says why it is not a usable signature.
Result<TrustedLayer> ReadLayer(std::size_t index, const SignatureLayer& layer,
                               const std::string& manifest_digest, const TrustRoot* root) {
  auto bad = [&](std::string why) { return Fail(ErrorKind::kInvalidArgument, Reason(index, why)); };
  if (layer.media_type != kSimpleSigningMediaType) {
    return bad("media type '" + layer.media_type.substr(0, 100) + "' is not simple signing");
  }
  if (layer.payload.size() > kMaxPayloadBytes) return bad("payload too large");
  if (layer.digest != "sha256:" + Sha256Hex(Sha256(AsBytes(layer.payload)))) {
    return bad("payload does not match the layer digest");
  }
  for (const auto& [k, v] : layer.annotations) {
    if (v.size() > kMaxAnnotationBytes) {
      return bad("annotation '" + k.substr(0, 100) + "' too large");
    }
  }
  auto doc = ParseJson(layer.payload, "payload is not JSON");
  if (!doc) return bad(doc.error().message);
  const json::value* signed_digest = FindKey(*doc, "critical");
  if (signed_digest != nullptr) signed_digest = FindKey(*signed_digest, "image");
  if (signed_digest != nullptr) signed_digest = FindKey(*signed_digest, "docker-manifest-digest");
  if (signed_digest == nullptr || !signed_digest->is_string()) {
    return bad("payload has no critical.image.docker-manifest-digest");
  }
  if (signed_digest->get_string() != manifest_digest) {
    return bad("signs digest " + std::string(signed_digest->get_string().subview(0, 140)) +
               ", not " + manifest_digest);
  }
  auto sig_it = layer.annotations.find(std::string(kSignatureAnnotation));
  if (sig_it == layer.annotations.end()) {
    return bad("no " + std::string(kSignatureAnnotation) + " annotation");
  }
  auto signature = Base64Decode(sig_it->second);
  if (!signature || signature->empty()) return bad("signature annotation is not valid base64");

  TrustedLayer out;
  out.index = index;
  out.payload = layer.payload;
  out.signature = std::move(*signature);
  if (const json::value* opt = FindKey(*doc, "optional"); opt != nullptr && opt->is_object()) {
    out.optional = opt->as_object();
  }

  auto cert_it = layer.annotations.find(std::string(kCertificateAnnotation));
  auto bundle_it = layer.annotations.find(std::string(kBundleAnnotation));
  if (root == nullptr) {
    out.keyless_problem = "no Sigstore trust root configured";
    return out;
  }
  std::optional<std::string> leaf_der;
  if (cert_it != layer.annotations.end()) {
    auto der = LeafDer(cert_it->second);
    if (der) leaf_der = std::move(*der);
  }
  std::optional<VerifiedBundle> bundle;
  if (bundle_it != layer.annotations.end()) {
    auto b = VerifyBundle(root->impl(), bundle_it->second, out.payload, out.signature,
                          leaf_der ? &*leaf_der : nullptr);
    // A bundle that does not verify makes the whole layer untrustworthy (upstream drops it).
    if (!b) return bad("Rekor bundle: " + b.error().message);
    bundle = *b;
    out.integrated_time = b->integrated_time;
  }
  if (cert_it == layer.annotations.end()) {
    out.keyless_problem = "no certificate";
  } else if (!bundle) {
    out.keyless_problem = "certificate without a Rekor bundle";
  } else {
    std::string chain;
    if (auto it = layer.annotations.find(std::string(kChainAnnotation));
        it != layer.annotations.end()) {
      chain = it->second;
    }
    auto identity = VerifyCertificate(root->impl(), cert_it->second, chain, bundle->integrated_time,
                                      out.payload, out.signature);
    if (identity) {
      out.identity = std::move(*identity);
    } else {
      out.keyless_problem = identity.error().message;
    }
  }
  return out;
}

// serde_json's rendering of a number, which is what upstream compares annotation values with.
std::string NumberText(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.get_double());
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos &&
      s.find_first_of("0123456789") != std::string::npos) {
    s += ".0";
  }
  return s;
}

// Empty string when the layer carries every required annotation, else why not.
std::string AnnotationProblem(const std::optional<Annotations>& required, const TrustedLayer& l) {
  if (!required || required->empty()) return {};
  if (!l.optional || l.optional->empty()) return "payload has no annotations";
  for (const auto& [key, want] : *required) {
    // creator and timestamp are fields of their own upstream, never annotations.
    auto it = key == "creator" || key == "timestamp" ? l.optional->end() : l.optional->find(key);
    if (it == l.optional->end()) return "annotation '" + key + "' missing";
    const json::value& got = it->value();
    std::optional<std::string> text;
    if (got.is_string()) text = std::string(got.get_string());
    if (got.is_number()) text = NumberText(got);
    if (got.is_bool()) text = got.get_bool() ? "true" : "false";
    if (!text || *text != want) {
      return "annotation '" + key + "' does not have value '" + want + "'";
    }
  }
  return {};
}

// The certificate subject the way sigstore-rs sees it: the email, else the URI.
std::optional<std::string> Subject(const CertificateIdentity& id) {
  if (!id.emails.empty()) return id.emails.front();
  if (!id.uris.empty()) return id.uris.front();
  return std::nullopt;
}

// Empty string when `layer` is signed by the key of `c.certificate` under `c`'s conditions, else
// why not.
std::string CertificateProblem(const CertificateSignature& c, const TrustedLayer& layer) {
  auto leaf = ParseCertificatesPem(c.certificate, 1);
  if (!leaf || leaf->size() != 1) return "certificate: not one PEM certificate";
  X509* cert = (*leaf)[0].get();
  // As sigstore's certificate verifier: a signing certificate says it is one.
  if (!IsCodeSigningCertificate(cert)) return "certificate is not for code signing";
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr || !VerifySignature(key, layer.signature, layer.payload)) {
    return "signature does not verify with the certificate's key";
  }
  auto at = static_cast<std::int64_t>(std::time(nullptr));
  if (c.require_rekor_bundle) {
    if (!layer.integrated_time) {
      return "no verified Rekor bundle" +
             (layer.keyless_problem.empty() ? "" : " (" + layer.keyless_problem + ")");
    }
    at = *layer.integrated_time;
    if (!ValidAt(cert, at)) return "the certificate was not valid when Rekor logged the signature";
  }
  if (c.chain) {
    std::vector<X509Ptr> anchors;
    for (const std::string& pem : *c.chain) {
      auto certs = ParseCertificatesPem(pem, kMaxChainCertificates);
      if (!certs) return "certificate chain: " + certs.error().message;
      for (X509Ptr& a : *certs) anchors.push_back(std::move(a));
    }
    if (!ChainsToAnchors(cert, anchors, {}, at, kMaxChainCertificates)) {
      return "certificate is not trusted by the certificate chain";
    }
  }
  return {};
}

// Empty string when `layer` satisfies `constraint`, else why not.
std::string Problem(const SignatureConstraint& constraint, const TrustedLayer& layer) {
  return std::visit(
      [&](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, PubKeySignature>) {
          auto key = ParsePublicKeyPem(c.key);
          if (!key) return "key: " + key.error().message;
          if (!VerifySignature(key->get(), layer.signature, layer.payload)) {
            return "signature does not verify with this key";
          }
        } else if constexpr (std::is_same_v<T, CertificateSignature>) {
          if (std::string problem = CertificateProblem(c, layer); !problem.empty()) {
            return problem;
          }
        } else {
          if (!layer.identity) return "no trusted certificate (" + layer.keyless_problem + ")";
          const CertificateIdentity& id = *layer.identity;
          if constexpr (std::is_same_v<T, GenericIssuerSignature>) {
            if (id.issuer != c.issuer) return "certificate issuer is not " + c.issuer;
            auto subject = Subject(id);
            bool ok = subject && (c.subject.kind == SubjectMatcher::Kind::kEqual
                                      ? *subject == c.subject.value
                                      : subject->starts_with(c.subject.value));
            if (!ok) return "certificate subject does not match";
          } else {
            if (id.issuer != kGithubIssuer) return "certificate issuer is not GitHub Actions";
            if (!id.emails.empty() || id.uris.empty()) return "certificate subject is not a URI";
            // https://github.com/<owner>/<repo>/.github/workflows/...
            constexpr std::string_view kPrefix = "https://github.com/";
            std::string_view uri = id.uris.front();
            if (!uri.starts_with(kPrefix)) return "certificate subject is not a github.com URL";
            uri.remove_prefix(kPrefix.size());
            std::size_t slash = uri.find('/');
            std::string_view owner = uri.substr(0, slash);
            std::string_view rest = slash == std::string_view::npos ? "" : uri.substr(slash + 1);
            std::string_view repo = rest.substr(0, rest.find('/'));
            if (owner != c.owner) return "signed by GitHub owner '" + std::string(owner) + "'";
            if (c.repo && repo != *c.repo) {
              return "signed by GitHub repo '" + std::string(repo) + "'";
            }
            // Fulcio also states the repository in an extension; a disagreement means the
            // certificate is inconsistent, so it does not count.
            if (id.github_workflow_repository &&
                *id.github_workflow_repository != std::string(owner) + "/" + std::string(repo)) {
              return "certificate's workflow repository extension disagrees with its subject";
            }
          }
        }
        return AnnotationProblem(c.annotations, layer);
      },
      constraint);
}

// Whether any layer satisfies `constraint`; otherwise `why` lists the layers' reasons.
bool Satisfied(const SignatureConstraint& constraint, const std::vector<TrustedLayer>& layers,
               std::string* why) {
  std::vector<std::string> reasons;
  for (const TrustedLayer& layer : layers) {
    std::string problem = Problem(constraint, layer);
    if (problem.empty()) return true;
    if (reasons.size() < kMaxReasons) reasons.push_back(Reason(layer.index, problem));
  }
  for (std::size_t i = 0; i < reasons.size(); ++i) *why += (i ? "; " : "") + reasons[i];
  if (layers.size() > reasons.size()) *why += "; ...";
  return false;
}

std::string Unsatisfied(const SignatureConstraint& c, const std::string& why) {
  return "\nunsatisfied constraint (" + why + "):\n" + ConstraintToYaml(c);
}

}  // namespace

Result<VerifiedImage> Verify(const VerificationConfig& config, SignatureSource& source,
                             const std::string& image_reference, const std::string& manifest_digest,
                             const VerifyOptions& options) {
  if (!IsDigest(manifest_digest)) {
    return Fail(ErrorKind::kInvalidArgument,
                "not a manifest digest: '" + manifest_digest.substr(0, 140) + "'");
  }
  // An empty config would trust any signed image; the parsers never build one, and a caller
  // assembling its own must not get that by accident.
  if (config.all_of.empty() && (!config.any_of || config.any_of->signatures.empty())) {
    return Fail(ErrorKind::kInvalidArgument, "verification config has no constraints");
  }
  std::vector<SignatureLayer> raw;
  if (auto got = source.Signatures(image_reference, manifest_digest); got) {
    raw = std::move(*got);
  } else if (got.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(got.error());
  }
  std::vector<TrustedLayer> layers;
  std::vector<std::string> skipped;
  for (std::size_t i = 0; i < raw.size() && i < kMaxSignatureLayers; ++i) {
    auto layer = ReadLayer(i, raw[i], manifest_digest, options.trust_root);
    if (layer) {
      layers.push_back(std::move(*layer));
    } else if (skipped.size() < kMaxReasons) {
      skipped.push_back(layer.error().message);
    }
  }
  if (layers.empty()) {
    std::string message =
        "no signatures found for " + image_reference + " (" + manifest_digest + ")";
    for (std::size_t i = 0; i < skipped.size(); ++i) message += (i ? "; " : ": ") + skipped[i];
    return VerificationFailed(std::move(message));
  }

  std::string missing;
  for (const SignatureConstraint& c : config.all_of) {
    std::string why;
    if (!Satisfied(c, layers, &why)) missing += Unsatisfied(c, why);
  }
  if (!missing.empty()) return VerificationFailed("missing signatures" + missing);

  if (config.any_of) {
    std::size_t matches = 0;
    std::string unmatched;
    for (const SignatureConstraint& c : config.any_of->signatures) {
      std::string why;
      if (Satisfied(c, layers, &why)) {
        ++matches;
      } else {
        unmatched += Unsatisfied(c, why);
      }
    }
    if (matches < config.any_of->minimum_matches) {
      return VerificationFailed("minimum number of signatures not reached: needed " +
                                std::to_string(config.any_of->minimum_matches) + ", got " +
                                std::to_string(matches) + unmatched);
    }
  }
  return VerifiedImage{manifest_digest};
}

Result<std::string> SignatureTag(std::string_view manifest_digest) {
  if (!IsDigest(manifest_digest)) {
    return Fail(ErrorKind::kInvalidArgument,
                "not a manifest digest: '" + std::string(manifest_digest.substr(0, 140)) + "'");
  }
  std::string tag(manifest_digest);
  tag[tag.find(':')] = '-';
  return tag + ".sig";
}

Result<void> CheckLocalDigest(std::string_view verified_digest, std::string_view manifest_json,
                              std::span<const std::uint8_t> local_module) {
  auto invalid = [](std::string m) { return Fail(ErrorKind::kInvalidArgument, std::move(m)); };
  if (!verified_digest.starts_with("sha256:") || !IsDigest(verified_digest)) {
    return invalid("verified digest must be sha256:<hex>, got '" +
                   std::string(verified_digest.substr(0, 140)) + "'");
  }
  // The registry is not trusted to serve the manifest the signature covers: hash it ourselves.
  if ("sha256:" + Sha256Hex(Sha256(AsBytes(manifest_json))) != verified_digest) {
    return invalid("the manifest fetched by digest does not hash to " +
                   std::string(verified_digest));
  }
  auto manifest = ParseJson(manifest_json, "invalid manifest");
  if (!manifest) return std::unexpected(manifest.error());
  const json::value* layers = FindKey(*manifest, "layers");
  if (layers == nullptr || !layers->is_array() || layers->as_array().size() != 1) {
    return invalid("the verified manifest must have exactly one layer");
  }
  const json::value& layer = layers->as_array()[0];
  const json::value* media_type = FindKey(layer, "mediaType");
  const json::value* digest = FindKey(layer, "digest");
  if (media_type == nullptr || !media_type->is_string() ||
      media_type->get_string() != kWasmLayerMediaType) {
    return invalid("the verified manifest's layer is not " + std::string(kWasmLayerMediaType));
  }
  if (digest == nullptr || !digest->is_string() || !digest->get_string().starts_with("sha256:")) {
    return invalid("the verified manifest's layer digest is not sha256");
  }
  std::string local = "sha256:" + Sha256Hex(Sha256(local_module));
  if (digest->get_string() != local) {
    return invalid("The digest of the local file doesn't match the one of the verified image: " +
                   local + " != " + std::string(digest->get_string().subview(0, 140)));
  }
  return {};
}

}  // namespace kw::verify
