// cel-policy's kw.* libraries (kw_libraries.h). A builder is one opaque value type, Builder,
// whose `shape` says which of the CEL types it is (kw.k8s.Client, kw.sigstore.KeylessVerifier,
// ...); each builder function checks the receiver's shape, copies it and sets one more field.
// The evaluator runs the first overload of a name whose kinds match (every receiver here is
// kOpaque), so each function has one implementation serving all of its receiver types, and
// one declared signature per type for the checker.
#include "kw_libraries.h"

#include <kubewarden/host.h>

#include <array>
#include <expected>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cel/time.h"
#include "cel/value.h"

namespace kw::cel_policy {
namespace {

namespace sdk = ::kubewarden;
namespace host = ::kubewarden::host;
using cel::CallContext;
using cel::Kind;
using cel::Value;
using Args = std::span<const Value>;

enum class Shape : std::uint8_t {
  kK8sBuilder,  // kw.k8s.apiVersion(v): a kind is still needed
  kK8sClient,
  kOciImage,
  kSigstoreImage,  // kw.sigstore.image(i): a kind of signature is still needed
  kPubKey,
  kKeyless,
  kKeylessPrefix,
  kGithub,
  kCertificate,
  kCryptoCertificate,
};

// The CEL type names, by Shape (static storage: type values keep views of them).
constexpr std::array<std::string_view, 10> kTypeNames = {
    "kw.k8s.ClientBuilder",          "kw.k8s.Client",
    "kw.oci.Client",                 "kw.sigstore.Image",
    "kw.sigstore.PubKeyVerifier",    "kw.sigstore.KeylessVerifier",
    "kw.sigstore.KeylessPrefixVerifier", "kw.sigstore.GitHubVerifier",
    "kw.sigstore.CertificateVerifier",   "kw.crypto.CertificateVerifier",
};
// The shapes that verify() a signature (oci/v2/verify's request kinds).
constexpr Shape kSignatureVerifiers[] = {Shape::kPubKey, Shape::kKeyless, Shape::kKeylessPrefix, Shape::kGithub,
                                         Shape::kCertificate};
constexpr std::string_view kSigstoreResponse = "kw.sigstore.Response";
constexpr std::string_view kCryptoResponse = "kw.crypto.Response";

std::string TypeOf(Shape shape) { return std::string(kTypeNames[static_cast<std::size_t>(shape)]); }

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// What a builder has gathered; the fields a shape does not use stay empty.
struct Request {
  Shape shape;
  std::string subject;  // kubernetes: the apiVersion; oci and sigstore: the image; crypto: the PEM
  std::string kind, namespace_name, label_selector, field_selector;  // kubernetes
  std::vector<std::string> pub_keys;
  StringPairs identities;  // keyless: issuer, subject; keylessPrefix: issuer, URL prefix
  std::string owner;
  std::optional<std::string> repo;
  std::string certificate;  // sigstore's certificate (PEM)
  std::optional<std::vector<std::string>> certificate_chain;  // sigstore and crypto
  bool require_rekor_bundle = false;
  std::string not_after;  // crypto, RFC 3339; empty: now
  std::optional<StringPairs> annotations;

  bool operator==(const Request&) const = default;
};

class Builder final : public cel::OpaqueValue {
 public:
  explicit Builder(Request r) : request(std::move(r)) {}
  std::string_view TypeName() const override { return kTypeNames[static_cast<std::size_t>(request.shape)]; }
  bool Equals(const cel::OpaqueValue& other) const override {
    return other.TypeName() == TypeName() && static_cast<const Builder&>(other).request == request;
  }
  std::string DebugString() const override { return std::string(TypeName()) + "(" + request.subject + ")"; }

  const Request request;
};

// A verification's answer: kw.sigstore.Response (detail: the digest) or kw.crypto.Response
// (detail: the reason).
class Response final : public cel::OpaqueValue {
 public:
  // `type`: kSigstoreResponse or kCryptoResponse (static storage).
  Response(std::string_view type, bool trusted, std::string detail)
      : type(type), trusted(trusted), detail(std::move(detail)) {}
  std::string_view TypeName() const override { return type; }
  bool Equals(const cel::OpaqueValue& other) const override {
    if (other.TypeName() != type) return false;
    const auto& o = static_cast<const Response&>(other);
    return o.trusted == trusted && o.detail == detail;
  }
  std::string DebugString() const override {
    return std::string(type) + "(" + (trusted ? "trusted" : "untrusted") + ", " + detail + ")";
  }

  const std::string_view type;
  const bool trusted;
  const std::string detail;
};

const Request* AsRequest(const Value& v) {
  if (v.kind() != Kind::kOpaque) return nullptr;
  for (std::string_view name : kTypeNames) {
    if (v.opaque().TypeName() == name) return &static_cast<const Builder&>(v.opaque()).request;
  }
  return nullptr;
}

const Response* AsResponse(const Value& v) {
  if (v.kind() != Kind::kOpaque) return nullptr;
  std::string_view name = v.opaque().TypeName();
  if (name != kSigstoreResponse && name != kCryptoResponse) return nullptr;
  return &static_cast<const Response&>(v.opaque());
}

Value Make(Request request) { return Value::Opaque(std::make_shared<const Builder>(std::move(request))); }

void Add(cel::FunctionRegistry& registry, const std::string& name, bool receiver,
         std::vector<std::optional<Kind>> params, std::string signature, cel::FunctionImpl impl) {
  cel::Overload o;
  o.receiver = receiver;
  o.params = std::move(params);
  o.impl = std::move(impl);
  o.signature = std::move(signature);
  registry.Add(name, std::move(o));
}

// --- Builders ---

struct Transition {
  Shape from;
  Shape to;
};

// `receiver.name(args)`: for each transition, declared as "(from, <arg_types>) -> to"; `edit`
// sets what the arguments say on a copy of the receiver's request.
void AddStep(cel::FunctionRegistry& registry, const std::string& name, std::initializer_list<Transition> transitions,
             std::string_view arg_types, std::vector<Kind> arg_kinds, std::function<void(Request&, Args)> edit) {
  std::vector<Transition> table(transitions);
  cel::FunctionImpl impl = [table, edit](Args a, CallContext&) -> Value {
    const Request* request = AsRequest(a[0]);
    if (request == nullptr) return cel::NoSuchOverload();
    for (const Transition& t : table) {
      if (t.from != request->shape) continue;
      Request next = *request;
      next.shape = t.to;
      edit(next, a);
      return Make(std::move(next));
    }
    return cel::NoSuchOverload();
  };
  std::vector<std::optional<Kind>> params = {Kind::kOpaque};
  params.insert(params.end(), arg_kinds.begin(), arg_kinds.end());
  for (const Transition& t : table) {
    std::string signature = "(" + TypeOf(t.from) + (arg_types.empty() ? "" : ", ") + std::string(arg_types) +
                            ") -> " + TypeOf(t.to);
    Add(registry, name, true, params, std::move(signature), impl);
  }
}

// `receiver.name(args)` that ends a builder: declared "(shape, <arg_types>) -> result" for
// each of `shapes`.
void AddTerminal(cel::FunctionRegistry& registry, const std::string& name, std::initializer_list<Shape> shapes,
                 std::string_view arg_types, std::vector<Kind> arg_kinds, std::string_view result,
                 std::function<Value(const Request&, Args, CallContext&)> run) {
  std::vector<Shape> accepted(shapes);
  cel::FunctionImpl impl = [accepted, run](Args a, CallContext& ctx) -> Value {
    const Request* request = AsRequest(a[0]);
    if (request == nullptr) return cel::NoSuchOverload();
    for (Shape s : accepted) {
      if (s == request->shape) return run(*request, a, ctx);
    }
    return cel::NoSuchOverload();
  };
  std::vector<std::optional<Kind>> params = {Kind::kOpaque};
  params.insert(params.end(), arg_kinds.begin(), arg_kinds.end());
  for (Shape s : accepted) {
    std::string signature = "(" + TypeOf(s) + (arg_types.empty() ? "" : ", ") + std::string(arg_types) + ") -> " +
                            std::string(result);
    Add(registry, name, true, params, std::move(signature), impl);
  }
}

// A global `name(string)` that starts a builder of `shape` with `subject`.
void AddStart(cel::FunctionRegistry& registry, const std::string& name, Shape shape) {
  Add(registry, name, false, {Kind::kString}, "(string) -> " + TypeOf(shape), [shape](Args a, CallContext&) {
    Request request{};
    request.shape = shape;
    request.subject = std::string(a[0].text());
    return Make(std::move(request));
  });
}

std::string Text(const Value& v) { return std::string(v.text()); }

// --- Host calls ---

using HostAnswer = std::expected<sdk::json::Value*, std::string>;

Value Failed(std::string_view capability, std::string_view why) {
  return Value::Error(std::string(capability) + " failed: " + std::string(why));
}

Value WrongShape(std::string_view capability, std::string_view expected) {
  return Failed(capability, "invalid host response: expected " + std::string(expected));
}

// The answer as a CEL map backed by its document, which must be a JSON object.
Value ObjectAnswer(std::string_view capability, const HostAnswer& answer,
                   const std::shared_ptr<sdk::json::Document>& doc) {
  if (!answer) return Failed(capability, answer.error());
  if (!(*answer)->IsObject()) return WrongShape(capability, "a JSON object");
  return Value::FromJson(**answer, doc);
}

// Calls `call` with a fresh document once the budget allows it.
template <typename Call>
Value CallHost(CallContext& ctx, std::string_view capability, Call call) {
  if (!ctx.Charge(kHostCallCost)) return CallContext::CostExceeded();
  auto doc = std::make_shared<sdk::json::Document>();
  HostAnswer answer = call(*doc);
  return ObjectAnswer(capability, answer, doc);
}

Value KubernetesList(const Request& q, Args, CallContext& ctx) {
  if (q.namespace_name.empty()) {
    return CallHost(ctx, "kubernetes/list_resources_all", [&](sdk::json::Document& doc) {
      return host::ListResourcesAll(doc, q.subject, q.kind, q.label_selector, q.field_selector);
    });
  }
  return CallHost(ctx, "kubernetes/list_resources_by_namespace", [&](sdk::json::Document& doc) {
    return host::ListResourcesByNamespace(doc, q.subject, q.kind, q.namespace_name, q.label_selector,
                                          q.field_selector);
  });
}

Value KubernetesGet(const Request& q, Args a, CallContext& ctx) {
  return CallHost(ctx, "kubernetes/get_resource", [&](sdk::json::Document& doc) {
    return host::GetResource(doc, q.subject, q.kind, a[1].text(), q.namespace_name);
  });
}

// A string field of an object answer.
Value StringField(const Value& answer, std::string_view capability, std::string_view key) {
  if (answer.IsError()) return answer;
  std::optional<Value> field = answer.MapFind(key);
  if (!field || field->kind() != Kind::kString) {
    return WrongShape(capability, "a string `" + std::string(key) + "`");
  }
  return *field;
}

Value OciManifestDigest(const Request& q, Args, CallContext& ctx) {
  constexpr std::string_view kCapability = "oci/v1/manifest_digest";
  Value answer = CallHost(ctx, kCapability,
                          [&](sdk::json::Document& doc) { return host::ManifestDigest(doc, q.subject); });
  return StringField(answer, kCapability, "digest");
}

Value NetLookupHost(Args a, CallContext& ctx) {
  constexpr std::string_view kCapability = "net/v1/dns_lookup_host";
  Value answer = CallHost(ctx, kCapability,
                          [&](sdk::json::Document& doc) { return host::DnsLookupHost(doc, a[0].text()); });
  if (answer.IsError()) return answer;
  std::optional<Value> ips = answer.MapFind("ips");
  if (!ips || ips->kind() != Kind::kList) return WrongShape(kCapability, "a list `ips`");
  cel::ListIterator it(*ips);
  for (Value ip; it.Next(ip);) {
    if (ip.kind() != Kind::kString) return WrongShape(kCapability, "a list of strings `ips`");
  }
  return *ips;
}

std::optional<host::Annotations::value_type> Views(const std::optional<StringPairs>& pairs) {
  if (!pairs) return std::nullopt;
  host::Annotations::value_type views;
  for (const auto& [key, value] : *pairs) views.emplace_back(key, value);
  return views;
}

std::vector<std::string_view> Views(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

std::expected<host::VerificationResult, std::string> SigstoreVerify(const Request& q) {
  host::Annotations annotations = Views(q.annotations);
  switch (q.shape) {
    case Shape::kPubKey:
      return host::Verify(host::PubKeyVerify{q.subject, Views(q.pub_keys), annotations});
    case Shape::kKeyless: {
      host::KeylessVerify request{q.subject, {}, annotations};
      for (const auto& [issuer, subject] : q.identities) request.keyless.push_back({issuer, subject});
      return host::Verify(request);
    }
    case Shape::kKeylessPrefix: {
      host::KeylessPrefixVerify request{q.subject, {}, annotations};
      for (const auto& [issuer, prefix] : q.identities) request.keyless_prefix.push_back({issuer, prefix});
      return host::Verify(request);
    }
    case Shape::kGithub: {
      std::optional<std::string_view> repo;
      if (q.repo) repo = *q.repo;
      return host::Verify(host::GithubActionsVerify{q.subject, q.owner, repo, annotations});
    }
    case Shape::kCertificate: {
      std::optional<std::vector<std::string_view>> chain;
      if (q.certificate_chain) chain = Views(*q.certificate_chain);
      return host::Verify(
          host::CertificateVerify{q.subject, q.certificate, chain, q.require_rekor_bundle, annotations});
    }
    default: return std::unexpected("not a signature verifier");  // verify() asks only kSignatureVerifiers
  }
}

Value SigstoreVerifyValue(const Request& q, Args, CallContext& ctx) {
  if (!ctx.Charge(kHostCallCost)) return CallContext::CostExceeded();
  auto result = SigstoreVerify(q);
  if (!result) return Failed("oci/v2/verify", result.error());
  return Value::Opaque(std::make_shared<const Response>(kSigstoreResponse, result->is_trusted, result->digest));
}

Value CryptoVerify(const Request& q, Args, CallContext& ctx) {
  constexpr std::string_view kCapability = "crypto/v1/is_certificate_trusted";
  using Certificate = host::Certificate;
  std::optional<std::vector<Certificate>> chain;
  if (q.certificate_chain) {
    chain.emplace();
    for (const std::string& pem : *q.certificate_chain) chain->push_back({Certificate::Encoding::kPem, pem});
  }
  Value answer = CallHost(ctx, kCapability, [&](sdk::json::Document& doc) {
    return host::IsCertificateTrustedWithChain(doc, {Certificate::Encoding::kPem, q.subject}, chain, q.not_after);
  });
  if (answer.IsError()) return answer;
  std::optional<Value> trusted = answer.MapFind("trusted");
  if (!trusted || trusted->kind() != Kind::kBool) return WrongShape(kCapability, "a boolean `trusted`");
  std::optional<Value> reason = answer.MapFind("reason");
  if (reason && reason->kind() != Kind::kString && reason->kind() != Kind::kNull) {
    return WrongShape(kCapability, "a string `reason`");
  }
  std::string text = reason && reason->kind() == Kind::kString ? Text(*reason) : std::string();
  return Value::Opaque(std::make_shared<const Response>(kCryptoResponse, trusted->bool_value(), std::move(text)));
}

// --- The libraries ---

void RegisterKubernetes(cel::FunctionRegistry& r) {
  AddStart(r, "kw.k8s.apiVersion", Shape::kK8sBuilder);
  AddStep(r, "kind", {{Shape::kK8sBuilder, Shape::kK8sClient}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.kind = Text(a[1]); });
  AddStep(r, "namespace", {{Shape::kK8sClient, Shape::kK8sClient}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.namespace_name = Text(a[1]); });
  AddStep(r, "labelSelector", {{Shape::kK8sClient, Shape::kK8sClient}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.label_selector = Text(a[1]); });
  AddStep(r, "fieldSelector", {{Shape::kK8sClient, Shape::kK8sClient}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.field_selector = Text(a[1]); });
  AddTerminal(r, "list", {Shape::kK8sClient}, "", {}, "map(string, dyn)", KubernetesList);
  AddTerminal(r, "get", {Shape::kK8sClient}, "string", {Kind::kString}, "map(string, dyn)", KubernetesGet);
}

void RegisterOci(cel::FunctionRegistry& r) {
  AddStart(r, "kw.oci.image", Shape::kOciImage);
  AddTerminal(r, "manifest", {Shape::kOciImage}, "", {}, "map(string, dyn)", [](const Request& q, Args, CallContext& ctx) {
    return CallHost(ctx, "oci/v1/oci_manifest", [&](sdk::json::Document& doc) { return host::OciManifest(doc, q.subject); });
  });
  AddTerminal(r, "manifestDigest", {Shape::kOciImage}, "", {}, "string", OciManifestDigest);
  AddTerminal(r, "manifestConfig", {Shape::kOciImage}, "", {}, "map(string, dyn)",
              [](const Request& q, Args, CallContext& ctx) {
                return CallHost(ctx, "oci/v1/oci_manifest_config",
                                [&](sdk::json::Document& doc) { return host::OciManifestConfig(doc, q.subject); });
              });
}

void RegisterSigstore(cel::FunctionRegistry& r) {
  constexpr Shape kImage = Shape::kSigstoreImage;
  AddStart(r, "kw.sigstore.image", kImage);
  AddStep(r, "pubKey", {{kImage, Shape::kPubKey}, {Shape::kPubKey, Shape::kPubKey}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.pub_keys.push_back(Text(a[1])); });
  AddStep(r, "keyless", {{kImage, Shape::kKeyless}, {Shape::kKeyless, Shape::kKeyless}}, "string, string",
          {Kind::kString, Kind::kString}, [](Request& q, Args a) { q.identities.emplace_back(Text(a[1]), Text(a[2])); });
  AddStep(r, "keylessPrefix", {{kImage, Shape::kKeylessPrefix}, {Shape::kKeylessPrefix, Shape::kKeylessPrefix}},
          "string, string", {Kind::kString, Kind::kString},
          [](Request& q, Args a) { q.identities.emplace_back(Text(a[1]), Text(a[2])); });
  AddStep(r, "github", {{kImage, Shape::kGithub}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.owner = Text(a[1]); });
  AddStep(r, "repo", {{Shape::kGithub, Shape::kGithub}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.repo = Text(a[1]); });
  AddStep(r, "certificate", {{kImage, Shape::kCertificate}}, "string", {Kind::kString},
          [](Request& q, Args a) { q.certificate = Text(a[1]); });
  // Shared with kw.crypto's certificate verifier.
  AddStep(r, "certificateChain",
          {{Shape::kCertificate, Shape::kCertificate}, {Shape::kCryptoCertificate, Shape::kCryptoCertificate}},
          "string", {Kind::kString}, [](Request& q, Args a) {
            if (!q.certificate_chain) q.certificate_chain.emplace();
            q.certificate_chain->push_back(Text(a[1]));
          });
  AddStep(r, "requireRekorBundle", {{Shape::kCertificate, Shape::kCertificate}}, "bool", {Kind::kBool},
          [](Request& q, Args a) { q.require_rekor_bundle = a[1].bool_value(); });
  // A key given twice keeps its last value, as the host's map would.
  auto annotate = [](Request& q, Args a) {
    if (!q.annotations) q.annotations.emplace();
    std::string key = Text(a[1]);
    for (auto& [k, v] : *q.annotations) {
      if (k == key) {
        v = Text(a[2]);
        return;
      }
    }
    q.annotations->emplace_back(std::move(key), Text(a[2]));
  };
  AddStep(r, "annotation",
          {{Shape::kPubKey, Shape::kPubKey},
           {Shape::kKeyless, Shape::kKeyless},
           {Shape::kKeylessPrefix, Shape::kKeylessPrefix},
           {Shape::kGithub, Shape::kGithub},
           {Shape::kCertificate, Shape::kCertificate}},
          "string, string", {Kind::kString, Kind::kString}, annotate);
}

void RegisterCrypto(cel::FunctionRegistry& r) {
  AddStart(r, "kw.crypto.certificate", Shape::kCryptoCertificate);
  AddStep(r, "notAfter", {{Shape::kCryptoCertificate, Shape::kCryptoCertificate}}, "google.protobuf.Timestamp",
          {Kind::kTimestamp}, [](Request& q, Args a) {
            q.not_after = cel::FormatTimestamp({a[1].timestamp_seconds(), a[1].timestamp_nanos()});
          });
}

// verify() of both kw.sigstore's verifiers and kw.crypto's: one implementation (see the top).
void RegisterVerify(cel::FunctionRegistry& r) {
  std::string sigstore_response(kSigstoreResponse), crypto_response(kCryptoResponse);
  cel::FunctionImpl verify = [](Args a, CallContext& ctx) -> Value {
    const Request* q = AsRequest(a[0]);
    if (q == nullptr) return cel::NoSuchOverload();
    if (q->shape == Shape::kCryptoCertificate) return CryptoVerify(*q, a, ctx);
    for (Shape s : kSignatureVerifiers) {
      if (s == q->shape) return SigstoreVerifyValue(*q, a, ctx);
    }
    return cel::NoSuchOverload();
  };
  for (Shape s : kSignatureVerifiers) {
    Add(r, "verify", true, {Kind::kOpaque}, "(" + TypeOf(s) + ") -> " + sigstore_response, verify);
  }
  Add(r, "verify", true, {Kind::kOpaque}, "(" + TypeOf(Shape::kCryptoCertificate) + ") -> " + crypto_response, verify);

  auto response = [](std::function<Value(const Response&)> read, std::string_view only) -> cel::FunctionImpl {
    return [read, only](Args a, CallContext&) -> Value {
      const Response* r = AsResponse(a[0]);
      if (r == nullptr || (!only.empty() && r->type != only)) return cel::NoSuchOverload();
      return read(*r);
    };
  };
  cel::FunctionImpl is_trusted = response([](const Response& r) { return Value::Bool(r.trusted); }, {});
  Add(r, "isTrusted", true, {Kind::kOpaque}, "(" + sigstore_response + ") -> bool", is_trusted);
  Add(r, "isTrusted", true, {Kind::kOpaque}, "(" + crypto_response + ") -> bool", is_trusted);
  Add(r, "digest", true, {Kind::kOpaque}, "(" + sigstore_response + ") -> string",
      response([](const Response& r) { return Value::String(r.detail); }, kSigstoreResponse));
  Add(r, "reason", true, {Kind::kOpaque}, "(" + crypto_response + ") -> string",
      response([](const Response& r) { return Value::String(r.detail); }, kCryptoResponse));
}

void RegisterNet(cel::FunctionRegistry& r) {
  Add(r, "kw.net.lookupHost", false, {Kind::kString}, "(string) -> list(string)", NetLookupHost);
}

}  // namespace

void RegisterKubewardenLibraries(cel::FunctionRegistry& registry) {
  RegisterKubernetes(registry);
  RegisterOci(registry);
  RegisterSigstore(registry);
  RegisterCrypto(registry);
  RegisterVerify(registry);
  RegisterNet(registry);
}

}  // namespace kw::cel_policy
