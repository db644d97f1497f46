#include "verify/config.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "base/files.h"
#include "base/json.h"
#include "base/json_fields.h"
#include "base/yaml.h"
#include "verify/crypto.h"

namespace kw::verify {
namespace {

namespace jf = kw::json_fields;

// Rejects keys outside `allowed` (upstream's `deny_unknown_fields`), naming the first one.
Result<void> CheckKnownFields(const json::object& object, std::string_view path,
                              std::initializer_list<std::string_view> allowed) {
  const std::span<const std::string_view> known(allowed.begin(), allowed.size());
  std::vector<std::string> unknown = jf::UnknownKeys(object, known);
  if (unknown.empty()) return {};
  std::string where = path.empty() ? "" : " in '" + std::string(path) + "'";
  return jf::Invalid("unknown field '" + unknown.front() + "'" + where +
                     ", expected one of: " + jf::JoinNames(known));
}

std::string Child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

// `text_view` is the same node parsed with every scalar kept as text, so annotation values
// such as `1.0` or `true` stay exactly what the user wrote (serde reads them into Strings).
Result<std::optional<Annotations>> ParseAnnotations(const json::object& entry,
                                                    const json::object& text_entry,
                                                    std::string_view path) {
  const json::value* v = jf::FindSet(entry, "annotations");
  if (v == nullptr) return std::nullopt;
  std::string field = Child(path, "annotations");
  if (!v->is_object()) return jf::WrongType(field, "a map of strings", *v);
  const json::value* text = jf::FindSet(text_entry, "annotations");
  Annotations out;
  for (const auto& [key, value] : text->as_object()) {
    std::string name = field + "." + std::string(key);
    if (!value.is_string()) return jf::WrongType(name, "a string", value);
    out.emplace(std::string(key), std::string(value.get_string()));
  }
  return out;
}

Result<std::string> RequiredString(const json::object& object, std::string_view key,
                                   std::string_view path) {
  std::string field = Child(path, key);
  KW_ASSIGN_OR_RETURN(const json::value* v, jf::FindRequired(object, key, field));
  return jf::GetString(*v, field);
}

Result<std::optional<std::string>> OptionalString(const json::object& object, std::string_view key,
                                                  std::string_view path) {
  const json::value* v = jf::FindSet(object, key);
  if (v == nullptr) return std::nullopt;
  KW_ASSIGN_OR_RETURN(std::string s, jf::GetString(*v, Child(path, key)));
  return s;
}

Result<SubjectMatcher> ParseSubject(const json::object& entry, std::string_view path) {
  std::string field = Child(path, "subject");
  KW_ASSIGN_OR_RETURN(const json::value* v, jf::FindRequired(entry, "subject", field));
  if (!v->is_object()) return jf::WrongType(field, "an object with 'equal' or 'urlPrefix'", *v);
  const json::object& o = v->as_object();
  KW_TRY(CheckKnownFields(o, field, {"equal", "urlPrefix"}));
  if (o.size() != 1) {
    return jf::Invalid("field '" + field + "' must have exactly one of 'equal' or 'urlPrefix'");
  }
  SubjectMatcher m;
  if (o.contains("equal")) {
    KW_ASSIGN_OR_RETURN(m.value, jf::GetString(o.at("equal"), field + ".equal"));
  } else {
    m.kind = SubjectMatcher::Kind::kUrlPrefix;
    KW_ASSIGN_OR_RETURN(m.value, jf::GetString(o.at("urlPrefix"), field + ".urlPrefix"));
    if (!m.value.ends_with('/')) m.value += '/';
  }
  return m;
}

Result<SignatureConstraint> ParseConstraint(const json::value& v, const json::value& text,
                                            std::string_view path) {
  if (!v.is_object()) return jf::WrongType(path, "an object", v);
  const json::object& o = v.as_object();
  const json::object& t = text.as_object();
  KW_ASSIGN_OR_RETURN(std::string kind, RequiredString(o, "kind", path));
  if (kind == "pubKey") {
    KW_TRY(CheckKnownFields(o, path, {"kind", "owner", "key", "annotations"}));
    PubKeySignature s;
    KW_ASSIGN_OR_RETURN(s.owner, OptionalString(t, "owner", path));
    KW_ASSIGN_OR_RETURN(s.key, RequiredString(o, "key", path));
    // Checked now so a typo in the config fails at load time, not as "no matching signature".
    if (auto key = ParsePublicKeyPem(s.key); !key) {
      return jf::Invalid("field '" + Child(path, "key") + "': " + key.error().message);
    }
    KW_ASSIGN_OR_RETURN(s.annotations, ParseAnnotations(o, t, path));
    return s;
  }
  if (kind == "genericIssuer") {
    KW_TRY(CheckKnownFields(o, path, {"kind", "issuer", "subject", "annotations"}));
    GenericIssuerSignature s;
    KW_ASSIGN_OR_RETURN(s.issuer, RequiredString(t, "issuer", path));
    KW_ASSIGN_OR_RETURN(s.subject, ParseSubject(t, path));
    KW_ASSIGN_OR_RETURN(s.annotations, ParseAnnotations(o, t, path));
    return s;
  }
  if (kind == "githubAction") {
    KW_TRY(CheckKnownFields(o, path, {"kind", "owner", "repo", "annotations"}));
    GithubActionSignature s;
    KW_ASSIGN_OR_RETURN(s.owner, RequiredString(t, "owner", path));
    KW_ASSIGN_OR_RETURN(s.repo, OptionalString(t, "repo", path));
    KW_ASSIGN_OR_RETURN(s.annotations, ParseAnnotations(o, t, path));
    return s;
  }
  return jf::Invalid("field '" + Child(path, "kind") + "': unknown value '" + kind +
                     "', expected one of: pubKey, genericIssuer, githubAction");
}

Result<std::vector<SignatureConstraint>> ParseConstraintList(const json::value& v,
                                                             const json::value& text,
                                                             std::string_view path) {
  if (!v.is_array()) return jf::WrongType(path, "a list", v);
  std::vector<SignatureConstraint> out;
  for (std::size_t i = 0; i < v.as_array().size(); ++i) {
    KW_ASSIGN_OR_RETURN(auto c,
                        ParseConstraint(v.as_array()[i], text.as_array()[i], jf::Indexed(path, i)));
    out.push_back(std::move(c));
  }
  return out;
}

Result<VerificationConfig> ParseDocument(const json::value& doc, const json::value& text) {
  if (!doc.is_object()) return jf::WrongType("(document)", "an object", doc);
  const json::object& o = doc.as_object();
  const json::object& t = text.as_object();
  KW_TRY(CheckKnownFields(o, "", {"apiVersion", "allOf", "anyOf"}));
  VerificationConfig config;
  KW_ASSIGN_OR_RETURN(config.api_version, OptionalString(t, "apiVersion", ""));
  if (config.api_version && *config.api_version != "v1") {
    return jf::Invalid("Not a supported configuration version: " + *config.api_version);
  }
  if (const json::value* all = jf::FindSet(o, "allOf")) {
    KW_ASSIGN_OR_RETURN(config.all_of, ParseConstraintList(*all, t.at("allOf"), "allOf"));
  }
  if (const json::value* any = jf::FindSet(o, "anyOf")) {
    if (!any->is_object()) return jf::WrongType("anyOf", "an object", *any);
    const json::object& a = any->as_object();
    KW_TRY(CheckKnownFields(a, "anyOf", {"minimumMatches", "signatures"}));
    AnyOf any_of;
    if (const json::value* m = jf::FindSet(a, "minimumMatches")) {
      KW_ASSIGN_OR_RETURN(std::uint64_t n, jf::GetUnsigned(*m, "anyOf.minimumMatches"));
      if (n > 255) {
        return jf::Invalid("field 'anyOf.minimumMatches' must be at most 255, got " +
                           std::to_string(n));
      }
      any_of.minimum_matches = static_cast<std::uint8_t>(n);
    }
    KW_ASSIGN_OR_RETURN(const json::value* sigs,
                        jf::FindRequired(a, "signatures", "anyOf.signatures"));
    KW_ASSIGN_OR_RETURN(
        any_of.signatures,
        ParseConstraintList(*sigs, t.at("anyOf").as_object().at("signatures"), "anyOf.signatures"));
    config.any_of = std::move(any_of);
  }
  // Upstream skips this check when apiVersion is missing (spec §11.6); we do not: an empty
  // config would accept every image, which is never what a user who wrote a config meant.
  if (config.all_of.empty() && (!config.any_of || config.any_of->signatures.empty())) {
    return jf::Invalid("config is missing signatures in both allOf and anyOf list");
  }
  return config;
}

}  // namespace

Result<VerificationConfig> ParseVerificationConfig(std::string_view text) {
  auto wrap = [](Error e) { return std::unexpected(e.Wrap("verification config")); };
  auto doc = ParseYamlAsJson(text, "invalid YAML");
  if (!doc) return wrap(doc.error());
  auto as_text = ParseYamlAsJson(text, "invalid YAML", YamlScalars::kAsStrings);
  if (!as_text) return wrap(as_text.error());
  auto config = ParseDocument(*doc, *as_text);
  if (!config) return wrap(config.error());
  return config;
}

Result<VerificationConfig> LoadVerificationConfig(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  auto config = ParseVerificationConfig(text);
  if (!config) return std::unexpected(config.error().Wrap(path));
  return config;
}

Result<VerificationConfig> ConfigFromFlags(const VerificationFlags& flags) {
  auto invalid = [](std::string m) { return Fail(ErrorKind::kInvalidArgument, std::move(m)); };
  if (flags.Empty()) return invalid("no verification flags given");
  if (flags.github_repo && !flags.github_owner) {
    return invalid("--github-repo requires --github-owner");
  }
  if (flags.cert_email.has_value() != flags.cert_oidc_issuer.has_value()) {
    return invalid("--cert-email and --cert-oidc-issuer must be given together");
  }
  if (flags.key_pems.empty() && !flags.cert_email && !flags.github_owner) {
    return invalid(
        "annotations require a key (--verification-key), a certificate issuer "
        "(--cert-email/--cert-oidc-issuer) or a GitHub owner (--github-owner)");
  }
  std::optional<Annotations> annotations;
  if (!flags.annotations.empty()) annotations = flags.annotations;
  VerificationConfig config;
  config.api_version = "v1";
  for (std::size_t i = 0; i < flags.key_pems.size(); ++i) {
    if (auto key = ParsePublicKeyPem(flags.key_pems[i]); !key) {
      return invalid("verification key #" + std::to_string(i + 1) + ": " + key.error().message);
    }
    config.all_of.push_back(PubKeySignature{std::nullopt, flags.key_pems[i], annotations});
  }
  if (flags.cert_email) {
    config.all_of.push_back(GenericIssuerSignature{
        *flags.cert_oidc_issuer, {SubjectMatcher::Kind::kEqual, *flags.cert_email}, annotations});
  }
  if (flags.github_owner) {
    config.all_of.push_back(
        GithubActionSignature{*flags.github_owner, flags.github_repo, annotations});
  }
  return config;
}

bool HasKeylessConstraints(const VerificationConfig& config) {
  const auto keyless = [](const SignatureConstraint& c) {
    return std::holds_alternative<GenericIssuerSignature>(c) ||
           std::holds_alternative<GithubActionSignature>(c);
  };
  return std::ranges::any_of(config.all_of, keyless) ||
         (config.any_of && std::ranges::any_of(config.any_of->signatures, keyless));
}

std::string ConstraintToYaml(const SignatureConstraint& constraint) {
  // Fields in upstream's serde order, absent options as null, like the messages kwctl prints.
  json::object o;
  const std::optional<Annotations>* annotations = nullptr;
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, PubKeySignature>) {
          o["kind"] = "pubKey";
          o["owner"] = c.owner ? json::value(*c.owner) : json::value(nullptr);
          o["key"] = c.key;
        } else if constexpr (std::is_same_v<T, GenericIssuerSignature>) {
          o["kind"] = "genericIssuer";
          o["issuer"] = c.issuer;
          json::object subject;
          subject[c.subject.kind == SubjectMatcher::Kind::kEqual ? "equal" : "urlPrefix"] =
              c.subject.value;
          o["subject"] = std::move(subject);
        } else if constexpr (std::is_same_v<T, GithubActionSignature>) {
          o["kind"] = "githubAction";
          o["owner"] = c.owner;
          o["repo"] = c.repo ? json::value(*c.repo) : json::value(nullptr);
        } else {
          // Not a kind of the config file: named after the host capability's request.
          o["kind"] = "certificate";
          o["certificate"] = c.certificate;
          json::value chain = nullptr;
          if (c.chain) chain = json::value_from(*c.chain);
          o["certificateChain"] = std::move(chain);
          o["requireRekorBundle"] = c.require_rekor_bundle;
        }
        annotations = &c.annotations;
      },
      constraint);
  if (*annotations) {
    json::object a;
    for (const auto& [k, v] : **annotations) a[k] = v;
    o["annotations"] = std::move(a);
  } else {
    o["annotations"] = nullptr;
  }
  return JsonToYaml(o);
}

}  // namespace kw::verify
