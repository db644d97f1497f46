#include "capabilities/session.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "capabilities/capabilities.h"
#include "testing/process.h"

namespace kw::capabilities {
namespace {

const host::HostCapabilities kAll = host::HostCapabilities::AllowAll();

CallbackRequest Request(std::string_view ns, std::string_view operation, std::string_view payload) {
  auto request = RequestFromHostCall(ns, operation, payload);
  EXPECT_TRUE(request) << ns << "/" << operation << ": " << request.error().message;
  return request.value_or(CallbackRequest{});
}

std::string ErrorOf(const Result<CallbackRequest>& r) {
  EXPECT_FALSE(r);
  return r ? std::string() : r.error().message;
}

// One host call of every variant, as policies make them.
struct Call {
  std::string_view ns, operation, payload, variant;
};
const Call kEveryVariant[] = {
    {"oci", "v1/manifest_digest", R"("busybox:latest")", "OciManifestDigest"},
    {"oci", "v1/oci_manifest", R"("ghcr.io/k/p:v1")", "OciManifest"},
    {"oci", "v1/oci_manifest_config", R"("ghcr.io/k/p:v1")", "OciManifestAndConfig"},
    {"oci", "v2/verify",
     R"({"type":"SigstorePubKeyVerify","image":"i:1","pub_keys":["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"],"annotations":{"env":"prod"}})",
     "SigstorePubKeyVerify"},
    {"oci", "v2/verify",
     R"({"type":"SigstoreKeylessVerify","image":"i:1","keyless":[{"issuer":"https://x","subject":"a@b"}],"annotations":null})",
     "SigstoreKeylessVerify"},
    {"oci", "v2/verify",
     R"({"type":"SigstoreKeylessPrefixVerify","image":"i:1","keyless_prefix":[{"issuer":"https://x","url_prefix":"https://github.com/k/"}]})",
     "SigstoreKeylessPrefixVerify"},
    {"oci", "v2/verify",
     R"({"type":"SigstoreGithubActionsVerify","image":"i:1","owner":"kubewarden","repo":null,"annotations":null})",
     "SigstoreGithubActionsVerify"},
    {"oci", "v2/verify",
     R"({"type":"SigstoreCertificateVerify","image":"i:1","certificate":[45,45,10],"certificate_chain":[[1,2],[255]],"require_rekor_bundle":true,"annotations":{}})",
     "SigstoreCertificateVerify"},
    {"net", "v1/dns_lookup_host", R"("localhost")", "DNSLookupHost"},
    {"crypto", "v1/is_certificate_trusted",
     R"({"cert":{"encoding":"Pem","data":[45,45]},"cert_chain":[{"encoding":"Der","data":[48]}],"not_after":"2030-01-01T00:00:00Z"})",
     "CryptoIsCertificateTrusted"},
    {"kubernetes", "list_resources_by_namespace",
     R"({"api_version":"v1","kind":"Pod","namespace":"default","label_selector":"app=x","field_selector":null,"field_masks":["spec.containers.image"]})",
     "KubernetesListResourceNamespace"},
    {"kubernetes", "list_resources_all", R"({"api_version":"apps/v1","kind":"Deployment"})",
     "KubernetesListResourceAll"},
    {"kubernetes", "get_resource",
     R"({"api_version":"v1","kind":"Namespace","name":"default","namespace":null,"disable_cache":true})",
     "KubernetesGetResource"},
    {"kubernetes", "can_i",
     R"({"subject_access_review":{"user":"jane","groups":["dev"],"resource_attributes":{"resource":"pods","verb":"get"}},"disable_cache":false})",
     "KubernetesCanI"},
};

TEST(CallbackRequest, EveryVariantRoundTripsThroughYamlAndHostCall) {
  for (const Call& call : kEveryVariant) {
    SCOPED_TRACE(call.variant);
    CallbackRequest request = Request(call.ns, call.operation, call.payload);
    EXPECT_EQ(request.variant, call.variant);

    std::string yaml = RequestToYaml(request);
    EXPECT_TRUE(yaml.starts_with("!" + std::string(call.variant) + "\n")) << yaml;
    auto back = RequestFromYaml(yaml);
    ASSERT_TRUE(back) << back.error().message << "\n" << yaml;
    EXPECT_EQ(*back, request) << yaml;

    HostCall again = HostCallFromRequest(request);
    EXPECT_EQ(again.ns, call.ns);
    EXPECT_EQ(Request(again.ns, again.operation, again.payload), request) << again.payload;
  }
}

TEST(CallbackRequest, YamlIsUpstreamsForKubernetesGetResource) {
  CallbackRequest request = Request(
      "kubernetes", "get_resource",
      R"({"api_version":"v1","kind":"Namespace","name":"default","disable_cache":false})");
  EXPECT_EQ(RequestToYaml(request),
            "!KubernetesGetResource\n"
            "api_version: v1\n"
            "kind: Namespace\n"
            "name: default\n"
            "namespace: null\n"
            "disable_cache: false\n");
}

TEST(CallbackRequest, YamlIsUpstreamsForDnsAndLists) {
  EXPECT_EQ(RequestToYaml(Request("net", "v1/dns_lookup_host", R"("localhost")")),
            "!DNSLookupHost\nhost: localhost\n");
  // Field order is upstream's declaration order, whatever the payload's.
  EXPECT_EQ(RequestToYaml(Request(
                "kubernetes", "list_resources_by_namespace",
                R"({"field_masks":["metadata.name"],"namespace":"ns","kind":"Pod","api_version":"v1"})")),
            "!KubernetesListResourceNamespace\n"
            "api_version: v1\n"
            "kind: Pod\n"
            "namespace: ns\n"
            "label_selector: null\n"
            "field_selector: null\n"
            "field_masks:\n"
            "- metadata.name\n");
}

TEST(CallbackRequest, YamlIsUpstreamsForSigstoreVerify) {
  EXPECT_EQ(RequestToYaml(Request(
                "oci", "v1/verify",
                R"({"SigstorePubKeyVerify":{"image":"busybox","pub_keys":["key"],"annotations":{"a":"1"}}})")),
            // serde_yaml would quote '1' with single quotes: the same value.
            "!SigstorePubKeyVerify\n"
            "image: busybox\n"
            "pub_keys:\n"
            "- key\n"
            "annotations:\n"
            "  a: \"1\"\n");
}

TEST(CallbackRequest, ReadsUpstreamSpellings) {
  // `~` for None, an absent Option field, flow style, and quotes all read as the same request.
  auto a = RequestFromYaml(
      "!KubernetesGetResource\napi_version: v1\nkind: Namespace\nname: default\nnamespace: ~\n"
      "disable_cache: false\n");
  auto b = RequestFromYaml(
      "!KubernetesGetResource {api_version: 'v1', kind: \"Namespace\", name: default, "
      "disable_cache: false}\n");
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, Request("kubernetes", "get_resource",
                        R"({"api_version":"v1","kind":"Namespace","name":"default","namespace":null,"disable_cache":false})"));
}

TEST(CallbackRequest, NestedObjectsCompareWhateverTheirKeyOrder) {
  auto yaml = RequestFromYaml(
      "!KubernetesCanI\n"
      "request:\n"
      "  resource_attributes: {verb: get, resource: pods}\n"
      "  user: jane\n"
      "disable_cache: true\n");
  ASSERT_TRUE(yaml) << yaml.error().message;
  EXPECT_EQ(*yaml, Request("kubernetes", "can_i",
                           R"({"disable_cache":true,"subject_access_review":{"user":"jane",)"
                           R"("resource_attributes":{"resource":"pods","verb":"get"}}})"));
}

TEST(CallbackRequest, BothVerifyVersionsMakeTheSameRequest) {
  auto v1 = Request("oci", "v1/verify",
                    R"({"SigstoreKeylessVerify":{"image":"i","keyless":[{"issuer":"x","subject":"y"}],"annotations":null}})");
  auto v2 = Request("oci", "v2/verify",
                    R"({"type":"SigstoreKeylessVerify","image":"i","keyless":[{"issuer":"x","subject":"y"}]})");
  EXPECT_EQ(v1, v2);
  EXPECT_EQ(HostCallFromRequest(v1).operation, "v2/verify");
}

TEST(CallbackRequest, BadPayloadsSayWhatIsWrong) {
  EXPECT_EQ(ErrorOf(RequestFromHostCall("net", "v1/dns_lookup_host", "42")),
            "cannot decode the net/v1/dns_lookup_host payload: field 'payload' must be a string, "
            "got a number");
  EXPECT_EQ(ErrorOf(RequestFromHostCall("kubernetes", "get_resource",
                                        R"({"api_version":"v1","kind":"Pod","disable_cache":false})")),
            "cannot decode the kubernetes/get_resource payload: missing field 'name'");
  EXPECT_EQ(ErrorOf(RequestFromHostCall(
                "oci", "v2/verify",
                R"({"type":"SigstoreCertificateVerify","image":"i","certificate":[256],"require_rekor_bundle":true})")),
            "cannot decode the oci/v2/verify payload: field 'certificate[0]' must be a byte "
            "(0-255), got a number");
  EXPECT_EQ(ErrorOf(RequestFromHostCall("oci", "v1/verify",
                                        R"({"SigstoreKeylessPrefixVerify":{"image":"i"}})")),
            "cannot decode the oci/v1/verify payload: unknown oci/v1/verify variant "
            "'SigstoreKeylessPrefixVerify', expected SigstorePubKeyVerify or SigstoreKeylessVerify");
  EXPECT_EQ(ErrorOf(RequestFromHostCall("kubernetes", "can_i", R"({"disable_cache":true})")),
            "cannot decode the kubernetes/can_i payload: missing field 'subject_access_review'");
  EXPECT_EQ(ErrorOf(RequestFromHostCall("kubernetes", "can_i",
                                        R"({"subject_access_review":"jane","disable_cache":true})")),
            "cannot decode the kubernetes/can_i payload: field 'subject_access_review' must be an "
            "object, got a string");
  auto unknown = RequestFromHostCall("tracing", "log", "{}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
}

TEST(CallbackRequest, MalformedYamlSaysWhatIsWrong) {
  EXPECT_EQ(ErrorOf(RequestFromYaml("host: localhost\n")),
            "the request must be a variant tag (such as !KubernetesGetResource) over a mapping "
            "of its fields");
  EXPECT_TRUE(ErrorOf(RequestFromYaml("!DnsLookup\nhost: x\n"))
                  .starts_with("unknown request variant 'DnsLookup', expected one of: "
                               "OciManifestDigest, "));
  EXPECT_EQ(ErrorOf(RequestFromYaml("!KubernetesGetResource\napi_version: v1\nkind: Pod\n")),
            "missing field 'name'");
  EXPECT_EQ(ErrorOf(RequestFromYaml("!DNSLookupHost\nhost: [a]\n")),
            "field 'host' must be a string, got a list");
  EXPECT_EQ(ErrorOf(RequestFromYaml("!DNSLookupHost localhost\n")),
            "request !DNSLookupHost must be a mapping of its fields, got a string");
}

Exchange DnsExchange(std::string_view host, Result<std::string> response) {
  return Exchange{Request("net", "v1/dns_lookup_host", "\"" + std::string(host) + "\""),
                  std::move(response)};
}

TEST(Session, ExchangesRoundTripThroughTheFile) {
  std::string text =
      ExchangeToYaml(DnsExchange("localhost", std::string(R"({"ips":["127.0.0.1"]})"))) +
      ExchangeToYaml(DnsExchange("nowhere", Fail(ErrorKind::kHostError, "no such host: it's\ngone")));
  auto session = ParseSession(text, "s.yml");
  ASSERT_TRUE(session) << session.error().message << "\n" << text;
  ASSERT_EQ(session->size(), 2u);
  EXPECT_EQ((*session)[0].request.fields.at("host"), "localhost");
  EXPECT_EQ((*session)[0].response.value_or(""), R"({"ips":["127.0.0.1"]})");
  ASSERT_FALSE((*session)[1].response);
  EXPECT_EQ((*session)[1].response.error().message, "no such host: it's\ngone");
}

// A session as upstream's kwctl writes it (serde_yaml's layout and quoting).
TEST(Session, ReadsUpstreamsFormat) {
  const std::string path = kw::testing::SourcePath("tests/data/sessions/upstream_get_resource.yml");
  auto text = ReadFile(path);
  ASSERT_TRUE(text) << text.error().message;
  auto session = ParseSession(*text, path);
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_EQ(session->size(), 1u);
  EXPECT_EQ((*session)[0].request,
            Request("kubernetes", "get_resource",
                    R"({"api_version":"v1","kind":"Namespace","name":"default","disable_cache":false})"));
  EXPECT_EQ((*session)[0].response.value_or(""),
            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","uid":"e3b0c442"}})");
}

std::string SessionError(std::string_view text) {
  auto session = ParseSession(text, "bad.yml");
  EXPECT_FALSE(session);
  return session ? std::string() : session.error().message;
}

TEST(Session, MalformedFilesNameTheFileAndTheExchange) {
  EXPECT_EQ(SessionError("type: Exchange\n"),
            "invalid host capabilities session bad.yml: expected a sequence of exchanges, got an "
            "object");
  EXPECT_EQ(SessionError(""),
            "invalid host capabilities session bad.yml: expected a sequence of exchanges, got null");
  EXPECT_TRUE(SessionError("- [").starts_with("invalid host capabilities session bad.yml: "));
  EXPECT_EQ(SessionError("- type: Exchange\n  request: \"!Nope\\nx: 1\\n\"\n  response: {type: Success, payload: ''}\n"),
            "invalid host capabilities session bad.yml: exchange 1: request: unknown request "
            "variant 'Nope', expected one of: OciManifestDigest, OciManifest, "
            "OciManifestAndConfig, SigstorePubKeyVerify, SigstoreKeylessVerify, "
            "SigstoreKeylessPrefixVerify, SigstoreGithubActionsVerify, SigstoreCertificateVerify, "
            "DNSLookupHost, CryptoIsCertificateTrusted, KubernetesListResourceNamespace, "
            "KubernetesListResourceAll, KubernetesGetResource, KubernetesCanI");
  std::string ok = ExchangeToYaml(DnsExchange("a", std::string("{}")));
  EXPECT_EQ(SessionError(ok + "- type: Exchange\n  request: \"!DNSLookupHost\\nhost: b\\n\"\n"),
            "invalid host capabilities session bad.yml: exchange 2: missing field 'response'");
  EXPECT_EQ(SessionError(ok + "- type: Exchange\n  response: {type: Success, payload: ''}\n"),
            "invalid host capabilities session bad.yml: exchange 2: missing field 'request'");
  EXPECT_EQ(SessionError("- type: Exchange\n  request: \"!DNSLookupHost\\n\"\n  response: {type: Success, payload: ''}\n"),
            "invalid host capabilities session bad.yml: exchange 1: request: the request must be "
            "a variant tag (such as !KubernetesGetResource) over a mapping of its fields");
  EXPECT_EQ(SessionError("- type: Exchange\n  request: \"!DNSLookupHost\\nhost: a\\n\"\n  response: {type: Success}\n"),
            "invalid host capabilities session bad.yml: exchange 1: missing field "
            "'response.payload'");
  EXPECT_EQ(SessionError("- type: Exchange\n  request: \"!DNSLookupHost\\nhost: a\\n\"\n  response: {type: Maybe}\n"),
            "invalid host capabilities session bad.yml: exchange 1: field 'response.type' must be "
            "Success or Error");
  EXPECT_EQ(SessionError("- type: Other\n"),
            "invalid host capabilities session bad.yml: exchange 1: unknown type \"Other\", "
            "expected Exchange");
  EXPECT_EQ(SessionError("- 42\n"),
            "invalid host capabilities session bad.yml: exchange 1: must be a mapping, got a "
            "number");
}

TEST(SessionReplayer, AnswersInOrder) {
  SessionReplayer replayer({DnsExchange("a", std::string("A")),
                            DnsExchange("b", Fail(ErrorKind::kHostError, "B failed"))});
  EXPECT_EQ(replayer.Remaining(), 2u);
  EXPECT_EQ(replayer.Answer(DnsExchange("a", {}).request).value_or(""), "A");
  auto b = replayer.Answer(DnsExchange("b", {}).request);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind, ErrorKind::kHostError);
  EXPECT_EQ(b.error().message, "B failed");
  EXPECT_EQ(replayer.Remaining(), 0u);
}

TEST(SessionReplayer, MismatchNamesWhatWasExpectedAndWhatWasAsked) {
  SessionReplayer replayer({DnsExchange("a", std::string("A"))});
  auto answer = replayer.Answer(DnsExchange("z", {}).request);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().message,
            "host capabilities replay: the session expected:\n!DNSLookupHost\nhost: a\n"
            "but the policy asked:\n!DNSLookupHost\nhost: z\n");
  auto exhausted = replayer.Answer(DnsExchange("a", {}).request);
  ASSERT_FALSE(exhausted);
  EXPECT_EQ(exhausted.error().message,
            "host capabilities replay: the session has no more exchanges, but the policy "
            "asked:\n!DNSLookupHost\nhost: a\n");
}

TEST(SessionReplayer, LeftoversAreCounted) {
  SessionReplayer replayer({DnsExchange("a", std::string("A")), DnsExchange("b", std::string("B"))});
  ASSERT_TRUE(replayer.Answer(DnsExchange("a", {}).request));
  EXPECT_EQ(replayer.Remaining(), 1u);
  replayer.LogLeftovers();  // a warning; must not consume them
  EXPECT_EQ(replayer.Remaining(), 1u);
}

TEST(SessionReplayer, RewindingAnswersTheSameExchangesAgain) {
  SessionReplayer replayer({DnsExchange("setup", std::string("S")),
                            DnsExchange("a", std::string("A")), DnsExchange("b", std::string("B"))});
  ASSERT_TRUE(replayer.Answer(DnsExchange("setup", {}).request));
  const std::size_t start = replayer.Position();
  EXPECT_EQ(start, 1u);
  for (int round = 0; round < 3; ++round) {
    replayer.Rewind(start);
    EXPECT_EQ(replayer.Answer(DnsExchange("a", {}).request).value_or(""), "A");
    EXPECT_EQ(replayer.Answer(DnsExchange("b", {}).request).value_or(""), "B");
    EXPECT_FALSE(replayer.Answer(DnsExchange("b", {}).request));  // used up until rewound
  }
  EXPECT_EQ(replayer.Remaining(), 0u);
  replayer.Rewind(0);
  EXPECT_EQ(replayer.Remaining(), 3u);
  replayer.Rewind(10);  // past the end: nothing left, as after the last exchange
  EXPECT_EQ(replayer.Remaining(), 0u);
}

TEST(SessionReplayer, LoadRefusesMissingAndMalformedFiles) {
  std::string dir = kw::testing::MakeTempDir();
  auto missing = SessionReplayer::Load(dir + "/none.yml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("none.yml"), std::string::npos) << missing.error().message;

  ASSERT_TRUE(WriteFile(dir + "/bad.yml", "- type: Exchange\n"));
  auto bad = SessionReplayer::Load(dir + "/bad.yml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid host capabilities session " + dir +
                                     "/bad.yml: exchange 1: missing field 'request'");
  std::filesystem::remove_all(dir);
}

TEST(SessionRecorder, RecordsWhatTheProvidersAnswerAndNothingElse) {
  std::string dir = kw::testing::MakeTempDir();
  const std::string path = dir + "/session.yml";
  auto recorder = SessionRecorder::Create(path);
  ASSERT_TRUE(recorder) << recorder.error().message;

  host::Dispatcher dispatcher;
  dispatcher.Register("net", {"v1/dns_lookup_host"},
                      [](const host::CallContext&, std::string_view, std::string_view payload)
                          -> Result<std::string> {
                        if (payload == "\"bad\"") return Fail(ErrorKind::kIo, "no such host");
                        return std::string(R"({"ips":["10.0.0.1"]})");
                      });
  dispatcher.WrapProviders([&](const std::string& ns, host::Provider real) {
    return RecordingProvider(ns, std::move(real), *recorder);
  });
  host::CallContext ctx{"p", &kAll, std::nullopt};
  EXPECT_TRUE(dispatcher.Call(ctx, "kubewarden", "net", "v1/dns_lookup_host", "\"db\""));
  EXPECT_FALSE(dispatcher.Call(ctx, "kubewarden", "net", "v1/dns_lookup_host", "\"bad\""));
  // Not a request (the payload does not decode): answered, not recorded.
  EXPECT_TRUE(dispatcher.Call(ctx, "kubewarden", "net", "v1/dns_lookup_host", "42"));
  // tracing/log is never recorded.
  EXPECT_TRUE(dispatcher.Call(ctx, "kubewarden", "tracing", "log", R"({"level":"info"})"));

  // Each exchange is in the file as soon as it happened.
  auto before_finish = ReadFile(path);
  ASSERT_TRUE(before_finish);
  auto partial = ParseSession(*before_finish, path);
  ASSERT_TRUE(partial) << partial.error().message;
  EXPECT_EQ(partial->size(), 2u);

  ASSERT_TRUE((*recorder)->Finish());
  auto text = ReadFile(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "- type: Exchange\n"
            "  request: |\n"
            "    !DNSLookupHost\n"
            "    host: db\n"
            "  response:\n"
            "    type: Success\n"
            "    payload: \"{\\\"ips\\\":[\\\"10.0.0.1\\\"]}\"\n"
            "- type: Exchange\n"
            "  request: |\n"
            "    !DNSLookupHost\n"
            "    host: bad\n"
            "  response:\n"
            "    type: Error\n"
            "    message: no such host\n");
  std::filesystem::remove_all(dir);
}

TEST(SessionRecorder, AnEmptySessionIsAnEmptySequence) {
  std::string dir = kw::testing::MakeTempDir();
  auto recorder = SessionRecorder::Create(dir + "/empty.yml");
  ASSERT_TRUE(recorder);
  ASSERT_TRUE((*recorder)->Finish());
  auto session = SessionReplayer::Load(dir + "/empty.yml");
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ((*session)->Remaining(), 0u);
  EXPECT_FALSE(SessionRecorder::Create(dir + "/no/such/dir/s.yml"));
  std::filesystem::remove_all(dir);
}

TEST(MakeDispatcher, ReplayServesEveryNamespaceWithoutRealProviders) {
  auto get = Request("kubernetes", "get_resource",
                     R"({"api_version":"v1","kind":"Namespace","name":"default","disable_cache":false})");
  auto digest = Request("oci", "v1/manifest_digest", R"("busybox")");
  auto replayer = std::make_shared<SessionReplayer>(std::vector<Exchange>{
      {get, std::string(R"({"kind":"Namespace"})")},
      {digest, std::string(R"({"digest":"sha256:00"})")}});
  auto dispatcher = MakeDispatcher({.replayer = replayer});
  // The contextAwareResources gate holds in a replay too: refused, and nothing consumed.
  host::CallContext ungranted{"p", &kAll, std::nullopt};
  auto refused = dispatcher->Call(ungranted, "kubewarden", "kubernetes", "get_resource",
                                  HostCallFromRequest(get).payload);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, KubernetesAccessDenied("v1", "Namespace"));
  EXPECT_EQ(replayer->Remaining(), 2u);
  host::HostCapabilities granted = host::HostCapabilities::AllowAll();
  granted.SetKubernetesResources({{"v1", "Namespace"}});
  host::CallContext ctx{"p", &granted, std::nullopt};
  auto object = dispatcher->Call(ctx, "kubewarden", "kubernetes", "get_resource",
                                 HostCallFromRequest(get).payload);
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(*object, R"({"kind":"Namespace"})");
  auto d = dispatcher->Call(ctx, "kubewarden", "oci", "v1/manifest_digest", R"("busybox")");
  EXPECT_EQ(d.value_or(""), R"({"digest":"sha256:00"})");
  // Replay does not bypass the gate.
  const host::HostCapabilities none = host::HostCapabilities::DenyAll();
  host::CallContext denied{"p", &none, std::nullopt};
  EXPECT_FALSE(dispatcher->Call(denied, "kubewarden", "net", "v1/dns_lookup_host", R"("x")"));
  EXPECT_EQ(replayer->Remaining(), 0u);  // the denied call never reached the session
  // An operation outside the capability tree is still unknown.
  auto unknown = dispatcher->Call(ctx, "kubewarden", "oci", "v3/verify", "{}");
  ASSERT_FALSE(unknown);
}

}  // namespace
}  // namespace kw::capabilities
