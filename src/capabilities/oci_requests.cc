#include "capabilities/oci_requests.h"

#include <functional>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/json_fields.h"
#include "oci/sources.h"
#include "verify/crypto.h"

namespace kw::capabilities {
namespace {

namespace jf = kw::json_fields;

// What one request shape's fields become, given the image and annotations every shape has.
using ShapeDecoder = std::function<Result<verify::VerificationConfig>(
    const json::object& fields, const std::optional<verify::Annotations>& annotations)>;

std::string Cannot(std::string_view operation) {
  return "cannot decode the oci/" + std::string(operation) + " payload";
}

Result<json::value> ParseBounded(std::string_view operation, std::string_view payload,
                                 std::size_t max) {
  if (payload.size() > max) {
    return jf::Invalid(Cannot(operation) + ": " + std::to_string(payload.size()) +
                       " bytes is more than the limit of " + std::to_string(max) + " bytes");
  }
  return ParseJson(payload, Cannot(operation));
}

Result<oci::Reference> ParseImage(std::string text) {
  auto ref = oci::ParseReference(text);
  if (!ref) return jf::Invalid("field 'image': " + ref.error().message);
  return ref;
}

Result<std::string> RequiredString(const json::object& object, std::string_view key) {
  KW_ASSIGN_OR_RETURN(const json::value* v, jf::FindRequired(object, key, key));
  return jf::GetString(*v, key);
}

Result<std::optional<verify::Annotations>> Annotations(const json::object& object) {
  const json::value* v = jf::FindSet(object, "annotations");
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) return jf::WrongType("annotations", "a map of strings or null", *v);
  verify::Annotations out;
  for (const auto& [key, value] : v->get_object()) {
    std::string field = "annotations." + std::string(key);
    KW_ASSIGN_OR_RETURN(std::string text, jf::GetString(value, field));
    out.emplace(std::string(key), std::move(text));
  }
  return out;
}

// A required list of objects, each turned into a constraint by `entry`; non-empty.
template <typename Entry>
Result<std::vector<verify::SignatureConstraint>> ConstraintList(const json::object& object,
                                                                std::string_view key,
                                                                Entry entry) {
  KW_ASSIGN_OR_RETURN(const json::value* v, jf::FindRequired(object, key, key));
  if (!v->is_array()) return jf::WrongType(key, "a list", *v);
  if (v->get_array().empty()) {
    return jf::Invalid("field '" + std::string(key) + "' must list at least one entry");
  }
  std::vector<verify::SignatureConstraint> out;
  for (std::size_t i = 0; i < v->get_array().size(); ++i) {
    const json::value& item = v->get_array()[i];
    const std::string field = jf::Indexed(key, i);
    KW_ASSIGN_OR_RETURN(verify::SignatureConstraint c, entry(item, field));
    out.push_back(std::move(c));
  }
  return out;
}

// A config whose every constraint, one per entry of the list `key`, must hold.
template <typename Entry>
Result<verify::VerificationConfig> AllOf(const json::object& fields, std::string_view key,
                                         Entry entry) {
  verify::VerificationConfig config;
  KW_ASSIGN_OR_RETURN(config.all_of, ConstraintList(fields, key, std::move(entry)));
  return config;
}

// The issuer and second string field of a keyless entry.
Result<std::pair<std::string, std::string>> IssuerAnd(const json::value& item,
                                                      const std::string& field,
                                                      std::string_view second) {
  if (!item.is_object()) return jf::WrongType(field, "an object", item);
  const json::object& o = item.get_object();
  KW_ASSIGN_OR_RETURN(const json::value* issuer,
                      jf::FindRequired(o, "issuer", field + ".issuer"));
  KW_ASSIGN_OR_RETURN(std::string issuer_text, jf::GetString(*issuer, field + ".issuer"));
  const std::string second_field = field + "." + std::string(second);
  KW_ASSIGN_OR_RETURN(const json::value* other, jf::FindRequired(o, second, second_field));
  KW_ASSIGN_OR_RETURN(std::string other_text, jf::GetString(*other, second_field));
  return std::pair{std::move(issuer_text), std::move(other_text)};
}

Result<verify::VerificationConfig> PubKeys(const json::object& fields,
                                           const std::optional<verify::Annotations>& a) {
  return AllOf(
      fields, "pub_keys",
                     [&](const json::value& item,
                         const std::string& field) -> Result<verify::SignatureConstraint> {
                       KW_ASSIGN_OR_RETURN(std::string pem, jf::GetString(item, field));
                       if (auto key = verify::ParsePublicKeyPem(pem); !key) {
                         return jf::Invalid("field '" + field + "': " + key.error().message);
                       }
                       return verify::PubKeySignature{std::nullopt, std::move(pem), a};
                     });
}

Result<verify::VerificationConfig> Keyless(const json::object& fields,
                                           const std::optional<verify::Annotations>& a) {
  return AllOf(
      fields, "keyless",
                     [&](const json::value& item,
                         const std::string& field) -> Result<verify::SignatureConstraint> {
                       KW_ASSIGN_OR_RETURN(auto pair, IssuerAnd(item, field, "subject"));
                       return verify::GenericIssuerSignature{
                           std::move(pair.first),
                           {verify::SubjectMatcher::Kind::kEqual, std::move(pair.second)},
                           a};
                     });
}

Result<verify::VerificationConfig> KeylessPrefix(const json::object& fields,
                                                 const std::optional<verify::Annotations>& a) {
  verify::AnyOf any_of;
  KW_ASSIGN_OR_RETURN(
      any_of.signatures,
      ConstraintList(fields, "keyless_prefix",
                     [&](const json::value& item,
                         const std::string& field) -> Result<verify::SignatureConstraint> {
                       KW_ASSIGN_OR_RETURN(auto pair, IssuerAnd(item, field, "url_prefix"));
                       std::string prefix = std::move(pair.second);
                       if (prefix.find("://") == std::string::npos) {
                         return jf::Invalid("field '" + field + ".url_prefix': '" + prefix +
                                            "' is not a URL");
                       }
                       // As upstream: a prefix ends a path segment, so .../org does not match
                       // .../org-evil/...
                       if (!prefix.ends_with('/')) prefix += '/';
                       return verify::GenericIssuerSignature{
                           std::move(pair.first),
                           {verify::SubjectMatcher::Kind::kUrlPrefix, std::move(prefix)},
                           a};
                     }));
  verify::VerificationConfig config;
  config.any_of = std::move(any_of);
  return config;
}

Result<verify::VerificationConfig> GithubActions(const json::object& fields,
                                                 const std::optional<verify::Annotations>& a) {
  verify::GithubActionSignature signature;
  KW_ASSIGN_OR_RETURN(signature.owner, RequiredString(fields, "owner"));
  if (const json::value* repo = jf::FindSet(fields, "repo")) {
    KW_ASSIGN_OR_RETURN(signature.repo, jf::GetString(*repo, "repo"));
  }
  signature.annotations = a;
  verify::VerificationConfig config;
  config.all_of.push_back(std::move(signature));
  return config;
}

// Certificate bytes (PEM or DER) as PEM; `max` certificates at most.
Result<std::string> CertificatePem(const json::value& v, const std::string& field,
                                   std::size_t max) {
  KW_ASSIGN_OR_RETURN(std::string bytes, jf::GetBytes(v, field));
  auto pem = oci::CertificatesAsPem(bytes);
  if (!pem) return jf::Invalid("field '" + field + "': " + pem.error().message);
  auto certs = verify::ParseCertificatesPem(*pem, max + 1);
  if (!certs || certs->size() > max) {
    return jf::Invalid("field '" + field + "': more than " + std::to_string(max) +
                       " certificate(s)");
  }
  return pem;
}

Result<verify::VerificationConfig> Certificate(const json::object& fields,
                                               const std::optional<verify::Annotations>& a) {
  // A chain longer than this is not a certificate chain but an attempt to make us work.
  constexpr std::size_t kMaxChainEntries = 10;
  verify::CertificateSignature signature;
  KW_ASSIGN_OR_RETURN(const json::value* certificate,
                      jf::FindRequired(fields, "certificate", "certificate"));
  KW_ASSIGN_OR_RETURN(signature.certificate, CertificatePem(*certificate, "certificate", 1));
  if (const json::value* chain = jf::FindSet(fields, "certificate_chain")) {
    if (!chain->is_array()) {
      return jf::WrongType("certificate_chain", "a list of certificates or null", *chain);
    }
    if (chain->get_array().size() > kMaxChainEntries) {
      return jf::Invalid("field 'certificate_chain' has more than " +
                         std::to_string(kMaxChainEntries) + " certificates");
    }
    signature.chain.emplace();
    for (std::size_t i = 0; i < chain->get_array().size(); ++i) {
      KW_ASSIGN_OR_RETURN(std::string pem, CertificatePem(chain->get_array()[i],
                                                          jf::Indexed("certificate_chain", i),
                                                          kMaxChainEntries));
      signature.chain->push_back(std::move(pem));
    }
  }
  KW_ASSIGN_OR_RETURN(const json::value* rekor,
                      jf::FindRequired(fields, "require_rekor_bundle", "require_rekor_bundle"));
  KW_ASSIGN_OR_RETURN(signature.require_rekor_bundle,
                      jf::GetBool(*rekor, "require_rekor_bundle"));
  signature.annotations = a;
  verify::VerificationConfig config;
  config.all_of.push_back(std::move(signature));
  return config;
}

struct Shape {
  std::string_view name;
  ShapeDecoder decode;
};

const Shape kV1Shapes[] = {{"SigstorePubKeyVerify", PubKeys},
                           {"SigstoreKeylessVerify", Keyless}};
const Shape kV2Shapes[] = {{"SigstorePubKeyVerify", PubKeys},
                           {"SigstoreKeylessVerify", Keyless},
                           {"SigstoreKeylessPrefixVerify", KeylessPrefix},
                           {"SigstoreGithubActionsVerify", GithubActions},
                           {"SigstoreCertificateVerify", Certificate}};

template <std::size_t N>
Result<const Shape*> FindShape(const Shape (&shapes)[N], std::string_view name,
                               std::string_view what) {
  std::string names;
  for (const Shape& shape : shapes) {
    if (shape.name == name) return &shape;
    names += (names.empty() ? "" : ", ") + std::string(shape.name);
  }
  return jf::Invalid("unknown " + std::string(what) + " '" + std::string(name) +
                     "', expected one of: " + names);
}

Result<ImageVerification> DecodeShape(const Shape& shape, const json::value& value) {
  if (!value.is_object()) {
    return jf::WrongType(shape.name, "an object", value);
  }
  const json::object& fields = value.get_object();
  ImageVerification request;
  KW_ASSIGN_OR_RETURN(std::string image, RequiredString(fields, "image"));
  KW_ASSIGN_OR_RETURN(request.image, ParseImage(std::move(image)));
  KW_ASSIGN_OR_RETURN(std::optional<verify::Annotations> annotations, Annotations(fields));
  KW_ASSIGN_OR_RETURN(request.config, shape.decode(fields, annotations));
  return request;
}

Result<ImageVerification> DecodeV1Fields(const json::value& value) {
  if (!value.is_object() || value.get_object().size() != 1) {
    return jf::Invalid(
        "expected an object with one key, SigstorePubKeyVerify or SigstoreKeylessVerify");
  }
  const auto& [tag, fields] = *value.get_object().begin();
  KW_ASSIGN_OR_RETURN(const Shape* shape, FindShape(kV1Shapes, tag, "variant"));
  return DecodeShape(*shape, fields);
}

Result<ImageVerification> DecodeV2Fields(const json::value& value) {
  if (!value.is_object()) return jf::WrongType("payload", "an object", value);
  KW_ASSIGN_OR_RETURN(std::string type, RequiredString(value.get_object(), "type"));
  KW_ASSIGN_OR_RETURN(const Shape* shape, FindShape(kV2Shapes, type, "type"));
  return DecodeShape(*shape, value);
}

Result<ImageVerification> DecodeVerify(std::string_view operation, std::string_view payload,
                                       Result<ImageVerification> (*decode)(const json::value&)) {
  KW_ASSIGN_OR_RETURN(json::value value, ParseBounded(operation, payload, kMaxOciVerifyPayload));
  auto request = decode(value);
  if (!request) return std::unexpected(request.error().Wrap(Cannot(operation)));
  return request;
}

}  // namespace

Result<oci::Reference> DecodeImagePayload(std::string_view operation, std::string_view payload) {
  KW_ASSIGN_OR_RETURN(json::value value, ParseBounded(operation, payload, kMaxOciImagePayload));
  if (!value.is_string()) {
    return jf::Invalid(Cannot(operation) + ": expected a JSON string (the image reference)");
  }
  auto ref = oci::ParseReference(value.get_string());
  if (!ref) return std::unexpected(ref.error().Wrap(Cannot(operation)));
  return ref;
}

Result<ImageVerification> DecodeVerifyV1(std::string_view payload) {
  return DecodeVerify("v1/verify", payload, DecodeV1Fields);
}

Result<ImageVerification> DecodeVerifyV2(std::string_view payload) {
  return DecodeVerify("v2/verify", payload, DecodeV2Fields);
}

}  // namespace kw::capabilities
