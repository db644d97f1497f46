// verify-image-signatures (policies-more.md §17): verifies the Sigstore signatures of the images
// of Pods and workloads through oci/v2/verify, and pins verified images to the digest the
// signature covers (unless modifyImagesWithDigest is false).
//
// Rust-origin. A signature entry is an untagged enum: the first of five shapes that decodes
// wins. Only a host *error* is a failed verification (`is_trusted` is not looked at). Every
// matching signature of every container image is checked; all failures are reported together.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
namespace host = kw::host;
using kw::json::Value;

namespace {

// ---------------------------------------------------------------- settings (§17.1)

enum class Shape { kPubKeys, kKeyless, kGithubActions, kKeylessPrefix, kCertificate };

// One entry of `signatures`, pointing into the settings document.
struct Signature {
  Shape shape;
  std::string_view image;
  host::Annotations annotations;
  std::vector<std::string_view> keys;  // pubKeys, or certificates
  std::optional<std::vector<std::string_view>> certificate_chain;
  bool require_rekor_bundle = false;
  std::vector<host::KeylessInfo> keyless;
  std::vector<host::KeylessPrefixInfo> keyless_prefix;
  std::string_view owner;
  std::optional<std::string_view> repo;
};

struct Settings {
  std::vector<Signature> signatures;
  bool modify_images_with_digest = true;
};

constexpr std::string_view kNoVariant = "data did not match any variant of untagged enum Signature";

std::optional<std::string_view> StringMember(const Value& object, std::string_view key) {
  const Value* v = object.Find(key);
  return v ? v->AsString() : std::nullopt;
}

// A list of strings, or nullopt when absent or of another type.
std::optional<std::vector<std::string_view>> StringList(const Value* list) {
  if (list == nullptr || !list->IsArray()) return std::nullopt;
  std::vector<std::string_view> out;
  for (const Value& e : *list) {
    auto s = e.AsString();
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

// `Option<T>` members: absent and null are None; `ok` turns false on a wrong type.
std::optional<std::vector<std::string_view>> OptionalStringList(const Value& object,
                                                                std::string_view key, bool& ok) {
  const Value* v = object.Find(key);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  auto list = StringList(v);
  if (!list) ok = false;
  return list;
}

host::Annotations ReadAnnotations(const Value& object, bool& ok) {
  const Value* v = object.Find("annotations");
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsObject()) {
    ok = false;
    return std::nullopt;
  }
  std::vector<std::pair<std::string_view, std::string_view>> map;
  for (const Value& member : *v) {
    auto s = member.AsString();
    if (!s) {
      ok = false;
      return std::nullopt;
    }
    map.emplace_back(member.key(), *s);
  }
  return map;
}

// The `{issuer, <second>}` entries of a keyless list; nullopt when the list does not decode.
template <typename Info>
std::optional<std::vector<Info>> ReadIssuerPairs(const Value* list, std::string_view second) {
  if (list == nullptr || !list->IsArray()) return std::nullopt;
  std::vector<Info> out;
  for (const Value& e : *list) {
    auto issuer = e.IsObject() ? StringMember(e, "issuer") : std::nullopt;
    auto other = e.IsObject() ? StringMember(e, second) : std::nullopt;
    if (!issuer || !other) return std::nullopt;
    out.push_back(Info{*issuer, *other});
  }
  return out;
}

// Tries `shape` on `entry`; fills `s` and returns true when it decodes.
bool DecodeAs(Shape shape, const Value& entry, Signature& s) {
  auto image = StringMember(entry, "image");
  if (!image) return false;
  bool ok = true;
  s = Signature{};
  s.shape = shape;
  s.image = *image;
  s.annotations = ReadAnnotations(entry, ok);
  switch (shape) {
    case Shape::kPubKeys: {
      auto keys = StringList(entry.Find("pubKeys"));
      if (!keys) return false;
      s.keys = std::move(*keys);
      break;
    }
    case Shape::kKeyless: {
      auto keyless = ReadIssuerPairs<host::KeylessInfo>(entry.Find("keyless"), "subject");
      if (!keyless) return false;
      s.keyless = std::move(*keyless);
      break;
    }
    case Shape::kGithubActions: {
      const Value* gh = entry.Find("githubActions");
      auto owner = gh && gh->IsObject() ? StringMember(*gh, "owner") : std::nullopt;
      if (!owner) return false;
      s.owner = *owner;
      const Value* repo = gh->Find("repo");
      if (repo != nullptr && !repo->IsNull()) {
        if (!repo->IsString()) return false;
        s.repo = repo->AsString();
      }
      break;
    }
    case Shape::kKeylessPrefix: {
      // `url_prefix`, not `urlPrefix`: the entry type comes from the SDK without renaming.
      auto prefixes =
          ReadIssuerPairs<host::KeylessPrefixInfo>(entry.Find("keylessPrefix"), "url_prefix");
      if (!prefixes) return false;
      s.keyless_prefix = std::move(*prefixes);
      break;
    }
    case Shape::kCertificate: {
      auto certificates = StringList(entry.Find("certificates"));
      auto rekor = entry.GetBool("requireRekorBundle");
      if (!certificates || !rekor) return false;
      s.keys = std::move(*certificates);
      s.require_rekor_bundle = *rekor;
      s.certificate_chain = OptionalStringList(entry, "certificateChain", ok);
      break;
    }
  }
  return ok;
}

std::optional<Signature> DecodeSignature(const Value& entry) {
  if (!entry.IsObject()) return std::nullopt;
  Signature s{};
  for (Shape shape : {Shape::kPubKeys, Shape::kKeyless, Shape::kGithubActions,
                      Shape::kKeylessPrefix, Shape::kCertificate}) {
    if (DecodeAs(shape, entry, s)) return s;
  }
  return std::nullopt;
}

std::optional<std::string> ReadSettings(const Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.modify_images_with_digest = reader.Bool("modifyImagesWithDigest", true);
  if (const Value* list = reader.Raw("signatures")) {
    if (!list->IsArray()) {
      reader.Fail("signatures", kw::serde::InvalidType(*list, "a sequence"));
    } else {
      for (const Value& entry : *list) {
        auto signature = DecodeSignature(entry);
        if (!signature) {
          reader.Fail("signatures", std::string(kNoVariant));
          break;
        }
        settings.signatures.push_back(std::move(*signature));
      }
    }
  }
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

// ---------------------------------------------------------------- settings validation (§17.2)

bool IsBase64Body(std::string_view body) {
  std::size_t count = 0, padding = 0;
  for (char c : body) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (c == '=') {
      ++padding;
    } else if (!alphabet || padding > 0) {
      return false;
    }
    ++count;
  }
  return count > 0 && count % 4 == 0 && padding <= 2;
}

// One PEM block (any label): BEGIN and END lines with the same label around base64 data.
bool IsPem(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN ", kDashes = "-----";
  std::size_t begin = text.find(kBegin);
  if (begin == std::string_view::npos) return false;
  std::size_t label_at = begin + kBegin.size();
  std::size_t label_end = text.find(kDashes, label_at);
  if (label_end == std::string_view::npos) return false;
  std::string_view label = text.substr(label_at, label_end - label_at);
  if (label.find('\n') != std::string_view::npos) return false;
  std::string end_line = "-----END " + std::string(label) + "-----";
  std::size_t body_at = label_end + kDashes.size();
  std::size_t end = text.find(end_line, body_at);
  return end != std::string_view::npos && IsBase64Body(text.substr(body_at, end - body_at));
}

// The validator crate's rendering of one failing field.
void AddFieldError(std::string& detail, std::string_view field, std::string_view code,
                   std::string_view params) {
  detail.append(field).append(": Validation error: ").append(code).append(" [");
  detail.append(params).append("]\n");
}

constexpr std::string_view kEmptyImage = R"({"min": Number(1), "value": String("")})";
constexpr std::string_view kEmptyList = R"({"min": Number(1), "value": Array([])})";

host::Certificate PemCertificate(std::string_view pem) {
  return {host::Certificate::Encoding::kPem, pem};
}

// Checks 4 of a Certificate entry: asks the host whether each certificate is trusted.
std::string CertificateTrustProblems(const Signature& s) {
  std::optional<std::vector<host::Certificate>> chain;
  if (s.certificate_chain) {
    chain.emplace();
    for (std::string_view pem : *s.certificate_chain) chain->push_back(PemCertificate(pem));
  }
  std::string problems;
  for (std::string_view pem : s.keys) {
    kw::json::Document doc;
    auto answer = host::IsCertificateTrustedWithChain(doc, PemCertificate(pem), chain);
    std::string problem;
    if (!answer) {
      problem = "Error when verifying certificate: " +
                kw::RustDebug("error invoking host capability crypto.is_certificate_trusted: "
                              "Host error: " +
                              answer.error());
    } else if ((*answer)->GetBool("trusted") == false) {
      problem = std::string((*answer)->GetString("reason").value_or(""));
    }
    if (problem.empty()) continue;
    if (!problems.empty()) problems += "; ";
    problems += problem;
  }
  return problems;
}

// The unquoted detail of a failing entry, empty when it is valid.
std::string Problems(const Signature& s) {
  std::string detail;
  switch (s.shape) {
    case Shape::kPubKeys: {
      if (s.image.empty()) AddFieldError(detail, "image", "length", kEmptyImage);
      if (s.keys.empty()) {
        AddFieldError(detail, "pub_keys", "length", kEmptyList);
      } else if (!std::all_of(s.keys.begin(), s.keys.end(), IsPem)) {
        AddFieldError(detail, "pub_keys", "non-PEM data found", "{}");
      }
      return detail;
    }
    case Shape::kKeyless:
    case Shape::kGithubActions:
      if (s.image.empty()) AddFieldError(detail, "image", "length", kEmptyImage);
      return detail;
    case Shape::kKeylessPrefix:
      if (s.image.empty()) AddFieldError(detail, "image", "length", kEmptyImage);
      if (s.keyless_prefix.empty()) AddFieldError(detail, "keyless_prefix", "length", kEmptyList);
      return detail;
    case Shape::kCertificate:
      if (s.image.empty()) return "no image provided";
      if (s.keys.empty()) return "no certificate provided";
      if (s.certificate_chain && !std::all_of(s.certificate_chain->begin(),
                                              s.certificate_chain->end(), IsPem)) {
        return "non-PEM data found";
      }
      return CertificateTrustProblems(s);
  }
  return detail;
}

std::string LabelOf(const Signature& s) {
  std::string_view what = s.shape == Shape::kPubKeys         ? "Pub key"
                          : s.shape == Shape::kGithubActions ? "GitHub action"
                          : s.shape == Shape::kCertificate   ? "Certificate"
                                                             : "Keyless";
  return std::string(what) + " signature for image " + std::string(s.image);
}

kw::SettingsValidationResponse ValidateSettings(const Value& value) {
  Settings settings;
  if (auto error = ReadSettings(value, settings)) return kw::SettingsInvalid(*error);
  if (settings.signatures.empty()) return kw::SettingsInvalid("Signatures must not be empty");
  std::string message;
  for (const Signature& s : settings.signatures) {
    std::string problems = Problems(s);
    if (problems.empty()) continue;
    if (!message.empty()) message += "; ";
    message += LabelOf(s) + ": " + kw::RustDebug(problems);
  }
  if (!message.empty()) return kw::SettingsInvalid(message);
  return kw::SettingsValid();
}

// ---------------------------------------------------------------- validation (§17.3)

// Verifies `image` against one signature: the digest it covers, or the SDK's error text.
std::expected<std::string, std::string> VerifyImage(const Signature& s, std::string_view image) {
  std::expected<host::VerificationResult, std::string> result;
  switch (s.shape) {
    case Shape::kPubKeys:
      result = host::Verify(host::PubKeyVerify{image, s.keys, s.annotations});
      break;
    case Shape::kKeyless:
      result = host::Verify(host::KeylessVerify{image, s.keyless, s.annotations});
      break;
    case Shape::kKeylessPrefix:
      result = host::Verify(host::KeylessPrefixVerify{image, s.keyless_prefix, s.annotations});
      break;
    case Shape::kGithubActions:
      result = host::Verify(host::GithubActionsVerify{image, s.owner, s.repo, s.annotations});
      break;
    case Shape::kCertificate:
      // One call per certificate; the first failure decides, else the last answer.
      for (std::string_view certificate : s.keys) {
        result = host::Verify(host::CertificateVerify{image, certificate, s.certificate_chain,
                                                      s.require_rekor_bundle, s.annotations});
        if (!result) break;
      }
      break;
  }
  if (!result) {
    return std::unexpected("error invoking host capability oci.verify: Host error: " +
                           result.error());
  }
  return std::move(result->digest);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  Settings settings;
  if (auto error = ReadSettings(request.settings(), settings)) return kw::EvaluationError(*error);

  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec || *spec == nullptr) return kw::Accept();
  Value& pod_spec = **spec;
  kw::json::Document& doc = request.document();

  std::vector<std::string> failures;
  bool changed = false;
  for (kw::k8s::ContainerList list : {kw::k8s::ContainerList::kContainers,
                                      kw::k8s::ContainerList::kInitContainers,
                                      kw::k8s::ContainerList::kEphemeralContainers}) {
    for (Value& container : kw::k8s::Containers(pod_spec, list)) {
      const Value* image_value = container.Find("image");
      auto image = image_value ? image_value->AsString() : std::nullopt;
      if (!image) return kw::EvaluationError("container image is missing");
      // The image as written: the working copy may change below, `image` may not.
      std::string written(*image);
      for (const Signature& s : settings.signatures) {
        if (!kw::WildcardMatch(s.image, written)) continue;
        auto digest = VerifyImage(s, written);
        if (!digest) {
          failures.push_back("verification of image " + written + " failed: " + digest.error());
          continue;
        }
        if (written.find(*digest) != std::string::npos) continue;
        doc.Set(container, "image", doc.String(written + "@" + *digest));
        changed = true;
      }
    }
  }
  if (!failures.empty()) {
    std::string message = "Resource ";
    if (const Value* object = request.object()) {
      message += object->GetString("metadata/name").value_or("");
    }
    message += " is not accepted: ";
    for (std::size_t i = 0; i < failures.size(); ++i) {
      if (i > 0) message += ", ";
      message += failures[i];
    }
    return kw::Reject(message);
  }
  if (!changed || !settings.modify_images_with_digest) return kw::Accept();
  return kw::Mutate(*request.mutable_object());
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
