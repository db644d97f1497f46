#include "capabilities/session.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/json_fields.h"
#include "base/utf8.h"
#include "base/yaml.h"

namespace kw::capabilities {
namespace {

using json_fields::Indexed;
using json_fields::Invalid;
using json_fields::WrongType;

// ---------------------------------------------------------------------------------------------
// Upstream's request variants (policy-evaluator src/callback_requests.rs) and how a host call's
// payload maps onto each.
//
// Certain (upstream's names, spec tooling.md §1.6): OciManifestDigest, OciManifest,
// OciManifestAndConfig, SigstorePubKeyVerify, SigstoreKeylessVerify, SigstoreKeylessPrefixVerify,
// SigstoreGithubActionsVerify, SigstoreCertificateVerify, DNSLookupHost,
// KubernetesListResourceNamespace, KubernetesListResourceAll, KubernetesGetResource, with the
// fields listed there. Certain from the payload types (policy-server.md §4.c.2): which fields
// are Option (annotations, repo, certificate_chain, namespace, the selectors and field_masks)
// and the nested shapes (KeylessInfo{issuer,subject}, KeylessPrefixInfo{issuer,url_prefix}).
//
// Inferred (no upstream source at hand):
// - KubernetesCanI{request, disable_cache}: the variant name and fields are the brief's;
//   `request` is taken to hold the payload's `subject_access_review` object as the policy sent
//   it (upstream may convert it to the Kubernetes SubjectAccessReview shape first).
// - CryptoIsCertificateTrusted{cert, cert_chain, not_after}: named after the capability, as
//   DNSLookupHost and KubernetesGetResource are; fields as the payload's. Upstream may name the
//   variant otherwise (or answer crypto without its callback channel, recording nothing).
// A session recorded by upstream with other names for these two fails to load here with
// "unknown request variant", which says what to rename.
//
// Upstream's variants drop what they do not declare: get_resource's `field_masks` is not part of
// KubernetesGetResource, so two get_resource calls differing only there are the same request.

// Checks one field's value and returns it as the session holds it. `path` names it in errors.
using Check = std::function<Result<json::value>(const json::value& v, const std::string& path)>;

struct Field {
  std::string_view name;
  Check check;
  bool optional = false;  // Rust Option: absent or null reads as null
};
using Fields = std::vector<Field>;

// How the payload of the variant's host call holds its fields.
enum class PayloadShape {
  kString,    // a JSON string, the variant's one field (an image, a host name)
  kObject,    // a JSON object with the variant's fields
  kCanI,      // {"subject_access_review": <request>, "disable_cache": bool}
  kSigstore,  // oci verify: v1 externally tagged, v2 internally tagged on "type"
};

struct Variant {
  std::string_view name;
  std::string_view ns;
  std::string_view operation;  // of the host call HostCallFromRequest makes
  PayloadShape shape;
  Fields fields;
};

Result<json::value> String(const json::value& v, const std::string& path) {
  if (!v.is_string()) return WrongType(path, "a string", v);
  return v;
}

Result<json::value> Bool(const json::value& v, const std::string& path) {
  if (!v.is_bool()) return WrongType(path, "a boolean", v);
  return v;
}

// serde's Vec<u8>: a list of numbers 0-255 (not base64).
Result<json::value> Bytes(const json::value& v, const std::string& path) {
  if (!v.is_array()) return WrongType(path, "a list of bytes", v);
  json::array out;
  out.reserve(v.get_array().size());
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const json::value& b = v.get_array()[i];
    std::int64_t n = -1;
    if (b.is_int64()) n = b.get_int64();
    if (b.is_uint64() && b.get_uint64() <= 255) n = static_cast<std::int64_t>(b.get_uint64());
    if (n < 0 || n > 255) return WrongType(Indexed(path, i), "a byte (0-255)", b);
    out.emplace_back(n);
  }
  return out;
}

Check ListOf(Check item) {
  return [item = std::move(item)](const json::value& v,
                                  const std::string& path) -> Result<json::value> {
    if (!v.is_array()) return WrongType(path, "a list", v);
    json::array out;
    out.reserve(v.get_array().size());
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      KW_ASSIGN_OR_RETURN(json::value checked, item(v.get_array()[i], Indexed(path, i)));
      out.push_back(std::move(checked));
    }
    return out;
  };
}

// serde's BTreeMap<String, String>.
Result<json::value> StringMap(const json::value& v, const std::string& path) {
  if (!v.is_object()) return WrongType(path, "a map of strings", v);
  for (const auto& member : v.get_object()) {
    if (!member.value().is_string()) {
      return WrongType(path + "." + std::string(member.key()), "a string", member.value());
    }
  }
  return v;
}

// Any object, kept as it is.
Result<json::value> Object(const json::value& v, const std::string& path) {
  if (!v.is_object()) return WrongType(path, "an object", v);
  return v;
}

std::string FieldPath(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

// The fields of `source` in declaration order; unknown ones are dropped, as serde ignores them.
Result<json::object> CheckFields(const Fields& fields, const json::object& source,
                                 const std::string& path) {
  json::object out;
  out.reserve(fields.size());
  for (const Field& field : fields) {
    const std::string field_path = FieldPath(path, field.name);
    auto it = source.find(field.name);
    if (it == source.end() || it->value().is_null()) {
      if (!field.optional) {
        if (it == source.end()) return Invalid("missing field '" + field_path + "'");
        return WrongType(field_path, "set", it->value());
      }
      out.emplace(field.name, nullptr);
      continue;
    }
    KW_ASSIGN_OR_RETURN(json::value checked, field.check(it->value(), field_path));
    out.emplace(field.name, std::move(checked));
  }
  return out;
}

// A nested struct (KeylessInfo, a certificate).
Check Struct(Fields fields) {
  return [fields = std::move(fields)](const json::value& v,
                                      const std::string& path) -> Result<json::value> {
    if (!v.is_object()) return WrongType(path, "an object", v);
    KW_ASSIGN_OR_RETURN(json::object checked, CheckFields(fields, v.get_object(), path));
    return checked;
  };
}

const std::vector<Variant>& Variants() {
  static const std::vector<Variant> variants = [] {
    const Field image{"image", String};
    const Field annotations{"annotations", StringMap, true};
    const Check certificate = Struct({{"encoding", String}, {"data", Bytes}});
    const Field api_version{"api_version", String};
    const Field kind{"kind", String};
    const Field label_selector{"label_selector", String, true};
    const Field field_selector{"field_selector", String, true};
    const Field field_masks{"field_masks", ListOf(String), true};
    return std::vector<Variant>{
        {"OciManifestDigest", "oci", "v1/manifest_digest", PayloadShape::kString, {image}},
        {"OciManifest", "oci", "v1/oci_manifest", PayloadShape::kString, {image}},
        {"OciManifestAndConfig", "oci", "v1/oci_manifest_config", PayloadShape::kString, {image}},
        {"SigstorePubKeyVerify", "oci", "v2/verify", PayloadShape::kSigstore,
         {image, {"pub_keys", ListOf(String)}, annotations}},
        {"SigstoreKeylessVerify", "oci", "v2/verify", PayloadShape::kSigstore,
         {image, {"keyless", ListOf(Struct({{"issuer", String}, {"subject", String}}))},
          annotations}},
        {"SigstoreKeylessPrefixVerify", "oci", "v2/verify", PayloadShape::kSigstore,
         {image, {"keyless_prefix", ListOf(Struct({{"issuer", String}, {"url_prefix", String}}))},
          annotations}},
        {"SigstoreGithubActionsVerify", "oci", "v2/verify", PayloadShape::kSigstore,
         {image, {"owner", String}, {"repo", String, true}, annotations}},
        {"SigstoreCertificateVerify", "oci", "v2/verify", PayloadShape::kSigstore,
         {image, {"certificate", Bytes}, {"certificate_chain", ListOf(Bytes), true},
          {"require_rekor_bundle", Bool}, annotations}},
        {"DNSLookupHost", "net", "v1/dns_lookup_host", PayloadShape::kString, {{"host", String}}},
        {"CryptoIsCertificateTrusted", "crypto", "v1/is_certificate_trusted",
         PayloadShape::kObject,
         {{"cert", certificate},
          {"cert_chain", ListOf(certificate), true},
          {"not_after", String, true}}},
        {"KubernetesListResourceNamespace", "kubernetes", "list_resources_by_namespace",
         PayloadShape::kObject,
         {api_version, kind, {"namespace", String}, label_selector, field_selector, field_masks}},
        {"KubernetesListResourceAll", "kubernetes", "list_resources_all", PayloadShape::kObject,
         {api_version, kind, label_selector, field_selector, field_masks}},
        {"KubernetesGetResource", "kubernetes", "get_resource", PayloadShape::kObject,
         {api_version,
          kind,
          {"name", String},
          {"namespace", String, true},
          {"disable_cache", Bool}}},
        {"KubernetesCanI", "kubernetes", "can_i", PayloadShape::kCanI,
         {{"request", Object}, {"disable_cache", Bool}}},
    };
  }();
  return variants;
}

const Variant* FindVariant(std::string_view name) {
  for (const Variant& v : Variants()) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

const Variant* FindVariant(std::string_view ns, std::string_view operation) {
  for (const Variant& v : Variants()) {
    if (v.ns == ns && v.operation == operation && v.shape != PayloadShape::kSigstore) return &v;
  }
  return nullptr;
}

Result<CallbackRequest> Make(const Variant& variant, const json::object& fields,
                             const std::string& path) {
  KW_ASSIGN_OR_RETURN(json::object checked, CheckFields(variant.fields, fields, path));
  return CallbackRequest{std::string(variant.name), std::move(checked)};
}

// oci/v1/verify: {"SigstorePubKeyVerify": {...}} (v1 knows these two variants only);
// oci/v2/verify: {"type": "SigstoreKeylessPrefixVerify", ...}.
Result<CallbackRequest> SigstoreRequest(std::string_view operation, const json::value& payload) {
  if (!payload.is_object()) return WrongType("payload", "an object", payload);
  const json::object& object = payload.get_object();
  if (operation == "v1/verify") {
    if (object.size() != 1) {
      return Invalid("the oci/v1/verify payload must have exactly one key, the kind of "
                     "verification (SigstorePubKeyVerify or SigstoreKeylessVerify)");
    }
    const std::string_view name = object.begin()->key();
    const json::value& body = object.begin()->value();
    if (name != "SigstorePubKeyVerify" && name != "SigstoreKeylessVerify") {
      return Invalid("unknown oci/v1/verify variant '" + std::string(name) +
                     "', expected SigstorePubKeyVerify or SigstoreKeylessVerify");
    }
    if (!body.is_object()) return WrongType(std::string(name), "an object", body);
    return Make(*FindVariant(name), body.get_object(), "");
  }
  KW_ASSIGN_OR_RETURN(const json::value* type, json_fields::FindRequired(object, "type", "type"));
  KW_ASSIGN_OR_RETURN(std::string name, json_fields::GetString(*type, "type"));
  const Variant* variant = FindVariant(name);
  if (variant == nullptr || variant->shape != PayloadShape::kSigstore) {
    return Invalid("unknown oci/v2/verify type '" + name + "'");
  }
  return Make(*variant, object, "");
}

Result<CallbackRequest> FromPayload(std::string_view ns, std::string_view operation,
                                    const json::value& payload) {
  if (ns == "oci" && (operation == "v1/verify" || operation == "v2/verify")) {
    return SigstoreRequest(operation, payload);
  }
  const Variant* variant = FindVariant(ns, operation);
  if (variant == nullptr) {
    return Fail(ErrorKind::kNotFound, "no host capability request for " + std::string(ns) + "/" +
                                          std::string(operation));
  }
  switch (variant->shape) {
    case PayloadShape::kString: {
      if (!payload.is_string()) return WrongType("payload", "a string", payload);
      json::object fields;
      fields.emplace(variant->fields.front().name, payload);
      return Make(*variant, fields, "");
    }
    case PayloadShape::kObject:
      if (!payload.is_object()) return WrongType("payload", "an object", payload);
      return Make(*variant, payload.get_object(), "");
    case PayloadShape::kCanI: {
      if (!payload.is_object()) return WrongType("payload", "an object", payload);
      const json::object& object = payload.get_object();
      json::object fields;
      if (const json::value* review = object.if_contains("subject_access_review")) {
        if (!review->is_object()) return WrongType("subject_access_review", "an object", *review);
        fields.emplace("request", *review);
      }
      if (const json::value* disable = object.if_contains("disable_cache")) {
        fields.emplace("disable_cache", *disable);
      }
      auto made = Make(*variant, fields, "");
      if (!made && made.error().message == "missing field 'request'") {
        return Invalid("missing field 'subject_access_review'");
      }
      return made;
    }
    case PayloadShape::kSigstore: break;  // handled above
  }
  return Fail(ErrorKind::kInternal, "unhandled payload shape");
}

// The session's text of a response: `{type: Success, payload}` or `{type: Error, message}`.
json::object ResponseToJson(const Result<std::string>& response) {
  if (response) return json::object{{"type", "Success"}, {"payload", *response}};
  return json::object{{"type", "Error"}, {"message", response.error().message}};
}

Error HostError(std::string message) { return Error(ErrorKind::kHostError, std::move(message)); }

// One exchange item of a session; `where` prefixes every error.
Result<Exchange> ParseExchange(const json::value& item, const std::string& where) {
  auto invalid = [&](const std::string& why) { return Invalid(where + ": " + why); };
  if (!item.is_object()) {
    return invalid("must be a mapping, got " + std::string(json_fields::KindName(item)));
  }
  const json::object& object = item.get_object();
  const json::value* type = object.if_contains("type");
  if (type == nullptr) return invalid("missing field 'type' (Exchange)");
  if (!type->is_string() || type->get_string() != "Exchange") {
    return invalid("unknown type " + ToJson(*type) + ", expected Exchange");
  }
  const json::value* request = object.if_contains("request");
  if (request == nullptr) return invalid("missing field 'request'");
  if (!request->is_string()) {
    return invalid("field 'request' must be a string (the request as YAML), got " +
                   std::string(json_fields::KindName(*request)));
  }
  auto parsed = RequestFromYaml(request->get_string());
  if (!parsed) return invalid("request: " + parsed.error().message);

  const json::value* response = object.if_contains("response");
  if (response == nullptr) return invalid("missing field 'response'");
  if (!response->is_object()) {
    return invalid("field 'response' must be a mapping, got " +
                   std::string(json_fields::KindName(*response)));
  }
  const json::object& r = response->get_object();
  const json::value* kind = r.if_contains("type");
  auto text_field = [&](std::string_view name) -> Result<std::string> {
    const json::value* v = r.if_contains(name);
    if (v == nullptr) return invalid("missing field 'response." + std::string(name) + "'");
    if (!v->is_string()) {
      return invalid("field 'response." + std::string(name) + "' must be a string, got " +
                     std::string(json_fields::KindName(*v)));
    }
    return std::string(v->get_string());
  };
  if (kind != nullptr && kind->is_string() && kind->get_string() == "Success") {
    KW_ASSIGN_OR_RETURN(std::string payload, text_field("payload"));
    return Exchange{std::move(*parsed), std::move(payload)};
  }
  if (kind != nullptr && kind->is_string() && kind->get_string() == "Error") {
    KW_ASSIGN_OR_RETURN(std::string message, text_field("message"));
    return Exchange{std::move(*parsed), std::unexpected(HostError(std::move(message)))};
  }
  return invalid("field 'response.type' must be Success or Error");
}

// "<ns>/<operation>" → the namespaces and their operations, in the tree's order.
std::map<std::string, std::vector<std::string>> CapabilityTree() {
  std::map<std::string, std::vector<std::string>> tree;
  for (std::string_view path : host::HostCapabilities::KnownCapabilities()) {
    std::size_t slash = path.find('/');
    tree[std::string(path.substr(0, slash))].emplace_back(path.substr(slash + 1));
  }
  return tree;
}

}  // namespace

Result<CallbackRequest> RequestFromHostCall(std::string_view ns, std::string_view operation,
                                            std::string_view payload) {
  auto what = "cannot decode the " + std::string(ns) + "/" + std::string(operation) + " payload";
  KW_ASSIGN_OR_RETURN(json::value value, ParseJson(payload, what));
  auto request = FromPayload(ns, operation, value);
  if (!request && request.error().kind == ErrorKind::kInvalidArgument) {
    return std::unexpected(request.error().Wrap(what));
  }
  return request;
}

HostCall HostCallFromRequest(const CallbackRequest& request) {
  const Variant* variant = FindVariant(request.variant);
  if (variant == nullptr) return {};  // only RequestFrom* make requests, with known variants
  HostCall call{std::string(variant->ns), std::string(variant->operation), ""};
  switch (variant->shape) {
    case PayloadShape::kString: {
      const json::value* only = request.fields.if_contains(variant->fields.front().name);
      call.payload = ToJson(only ? *only : json::value());
      break;
    }
    case PayloadShape::kObject: call.payload = ToJson(request.fields); break;
    case PayloadShape::kCanI: {
      json::object payload;
      if (const json::value* r = request.fields.if_contains("request")) {
        payload.emplace("subject_access_review", *r);
      }
      if (const json::value* d = request.fields.if_contains("disable_cache")) {
        payload.emplace("disable_cache", *d);
      }
      call.payload = ToJson(payload);
      break;
    }
    case PayloadShape::kSigstore: {
      json::object payload{{"type", request.variant}};
      for (const auto& member : request.fields) payload.emplace(member.key(), member.value());
      call.payload = ToJson(payload);
      break;
    }
  }
  return call;
}

std::string RequestToYaml(const CallbackRequest& request) {
  return "!" + request.variant + "\n" + JsonToYaml(request.fields);
}

Result<CallbackRequest> RequestFromYaml(std::string_view text) {
  KW_ASSIGN_OR_RETURN(TaggedYaml parsed, ParseTaggedYamlAsJson(text, "invalid request YAML"));
  if (parsed.tag.empty() || parsed.tag[0] != '!' || parsed.tag.starts_with("!!")) {
    // (A tag over nothing at all, "!DNSLookupHost\n", loses its tag in the parser: same case.)
    return Invalid(
        "the request must be a variant tag (such as !KubernetesGetResource) over a mapping of "
        "its fields");
  }
  std::string name = parsed.tag.substr(1);
  const Variant* variant = FindVariant(name);
  if (variant == nullptr) {
    std::vector<std::string_view> known;
    for (const Variant& v : Variants()) known.push_back(v.name);
    return Invalid("unknown request variant '" + name + "', expected one of: " +
                   json_fields::JoinNames(known));
  }
  if (!parsed.value.is_object()) {
    return Invalid("request " + parsed.tag + " must be a mapping of its fields, got " +
                   std::string(json_fields::KindName(parsed.value)));
  }
  return Make(*variant, parsed.value.get_object(), "");
}

std::string ExchangeToYaml(const Exchange& exchange) {
  json::object item{{"type", "Exchange"},
                    {"request", RequestToYaml(exchange.request)},
                    {"response", ResponseToJson(exchange.response)}};
  return JsonToYaml(json::array{std::move(item)});
}

Result<std::vector<Exchange>> ParseSession(std::string_view text, std::string_view file) {
  const std::string prefix = "invalid host capabilities session " + std::string(file);
  KW_ASSIGN_OR_RETURN(json::value value, ParseYamlAsJson(text, prefix));
  if (!value.is_array()) {
    return Invalid(prefix + ": expected a sequence of exchanges, got " +
                   std::string(json_fields::KindName(value)));
  }
  std::vector<Exchange> exchanges;
  exchanges.reserve(value.get_array().size());
  for (std::size_t i = 0; i < value.get_array().size(); ++i) {
    KW_ASSIGN_OR_RETURN(Exchange exchange,
                        ParseExchange(value.get_array()[i],
                                      prefix + ": exchange " + std::to_string(i + 1)));
    exchanges.push_back(std::move(exchange));
  }
  return exchanges;
}

// ---------------------------------------------------------------------------------------------
// SessionRecorder

Result<std::shared_ptr<SessionRecorder>> SessionRecorder::Create(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return Fail(ErrorKind::kIo, "cannot create the host capabilities session " + path + ": " +
                                    std::strerror(errno));
  }
  return std::shared_ptr<SessionRecorder>(new SessionRecorder(path, file));
}

SessionRecorder::SessionRecorder(std::string path, std::FILE* file)
    : path_(std::move(path)), file_(file) {}

SessionRecorder::~SessionRecorder() {
  if (file_ != nullptr) (void)Finish();
}

Result<void> SessionRecorder::WriteLocked(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    return Fail(ErrorKind::kIo, "cannot write the host capabilities session " + path_ + ": " +
                                    std::strerror(errno));
  }
  return {};
}

void SessionRecorder::Record(const Exchange& exchange) {
  if (exchange.response && !IsValidUtf8(*exchange.response)) {
    spdlog::warn("host capabilities session {}: an answer that is not UTF-8 cannot be recorded; "
                 "left out: {}",
                 path_, RequestToYaml(exchange.request));
    return;
  }
  const std::string item = ExchangeToYaml(exchange);
  std::lock_guard lock(mutex_);
  if (file_ == nullptr) return;
  auto written = WriteLocked(item);
  if (!written && !write_error_) write_error_ = written.error();
  if (written) ++recorded_;
}

Result<void> SessionRecorder::Finish() {
  std::lock_guard lock(mutex_);
  if (file_ == nullptr) return {};
  if (recorded_ == 0 && !write_error_) {
    auto written = WriteLocked("[]\n");
    if (!written) write_error_ = written.error();
  }
  if (std::fclose(file_) != 0 && !write_error_) {
    write_error_ = Error(ErrorKind::kIo, "cannot write the host capabilities session " + path_ +
                                             ": " + std::strerror(errno));
  }
  file_ = nullptr;
  if (write_error_) return std::unexpected(*write_error_);
  return {};
}

// ---------------------------------------------------------------------------------------------
// SessionReplayer

Result<std::shared_ptr<SessionReplayer>> SessionReplayer::Load(const std::string& path) {
  auto text = ReadFile(path, kMaxSessionFileBytes);
  if (!text) {
    return std::unexpected(text.error().Wrap("cannot read the host capabilities session"));
  }
  KW_ASSIGN_OR_RETURN(std::vector<Exchange> exchanges, ParseSession(*text, path));
  return std::make_shared<SessionReplayer>(std::move(exchanges));
}

SessionReplayer::SessionReplayer(std::vector<Exchange> exchanges)
    : exchanges_(std::move(exchanges)) {}

Result<std::string> SessionReplayer::Answer(const CallbackRequest& asked) {
  std::unique_lock lock(mutex_);
  if (next_ >= exchanges_.size()) {
    std::string message =
        "host capabilities replay: the session has no more exchanges, but the policy asked:\n" +
        RequestToYaml(asked);
    // The policy gets the error, but may hide it in its verdict: say it once on the console.
    if (!warned_exhausted_) spdlog::warn("{}", message);
    warned_exhausted_ = true;
    return std::unexpected(HostError(std::move(message)));
  }
  // Exchanges are never modified, so the one taken is read without the lock.
  const Exchange& next = exchanges_[next_++];
  lock.unlock();
  if (!(next.request == asked)) {
    return std::unexpected(HostError("host capabilities replay: the session expected:\n" +
                                     RequestToYaml(next.request) + "but the policy asked:\n" +
                                     RequestToYaml(asked)));
  }
  if (!next.response) return std::unexpected(HostError(next.response.error().message));
  return *next.response;
}

std::size_t SessionReplayer::Remaining() const {
  std::lock_guard lock(mutex_);
  return exchanges_.size() - next_;
}

std::size_t SessionReplayer::Position() const {
  std::lock_guard lock(mutex_);
  return next_;
}

void SessionReplayer::Rewind(std::size_t position) {
  std::lock_guard lock(mutex_);
  next_ = std::min(position, exchanges_.size());
}

void SessionReplayer::LogLeftovers() const {
  std::lock_guard lock(mutex_);
  if (next_ >= exchanges_.size()) return;
  spdlog::warn("host capabilities replay: {} recorded exchange(s) were not used",
               exchanges_.size() - next_);
  for (std::size_t i = next_; i < exchanges_.size(); ++i) {
    spdlog::warn("host capabilities replay: unused exchange: {}",
                 RequestToYaml(exchanges_[i].request));
  }
}

// ---------------------------------------------------------------------------------------------
// Providers

host::Provider RecordingProvider(std::string ns, host::Provider real,
                                 std::shared_ptr<SessionRecorder> recorder) {
  return [ns = std::move(ns), real = std::move(real), recorder = std::move(recorder)](
             const host::CallContext& ctx, std::string_view operation,
             std::string_view payload) -> Result<std::string> {
    Result<std::string> answer = real(ctx, operation, payload);
    auto request = RequestFromHostCall(ns, operation, payload);
    if (request) {
      recorder->Record(Exchange{std::move(*request), answer});
    } else {
      spdlog::debug("policy {}: {}/{} not recorded: {}", ctx.policy_id, ns, operation,
                    request.error().message);
    }
    return answer;
  };
}

void RegisterReplay(host::Dispatcher& dispatcher, std::shared_ptr<SessionReplayer> replayer) {
  for (auto& [ns, operations] : CapabilityTree()) {
    dispatcher.Register(
        ns, operations,
        [ns, replayer](const host::CallContext&, std::string_view operation,
                       std::string_view payload) -> Result<std::string> {
          KW_ASSIGN_OR_RETURN(CallbackRequest asked, RequestFromHostCall(ns, operation, payload));
          return replayer->Answer(asked);
        });
  }
}

}  // namespace kw::capabilities
