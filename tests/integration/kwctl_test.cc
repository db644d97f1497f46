// kwctl end to end: the real binary, real policies, real files. Asserts what a user sees: the
// JSON on stdout, the messages on stderr and the exit codes.
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

#include <gtest/gtest.h>

#include "admission/json_patch.h"
#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "base/yaml.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::KwctlBinary;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SourcePath;
using testing::TestData;

std::string Request(const std::string& name) { return SourcePath("tests/data/requests/" + name); }

ProcessResult Kwctl(std::vector<std::string> args, const std::string& stdin_data = "") {
  args.insert(args.begin(), KwctlBinary());
  return RunProcess(args, stdin_data);
}

json::value ParseLine(const std::string& line) {
  auto v = ParseJson(line);
  EXPECT_TRUE(v) << line;
  return v ? *v : json::value();
}

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t nl = out.find('\n', start);
    lines.push_back(out.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::MakeTempDir() + "/" + name;
  EXPECT_TRUE(WriteFile(path, content));
  return path;
}

TEST(KwctlRun, AcceptsWithUpstreamResponseShape) {
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"uid\":\"e7b8a2b0-4d7c-4b53-8a0f-0a2b9f0c1d11\",\"allowed\":true,"
            "\"auditAnnotations\":null,\"warnings\":null}\n");
}

TEST(KwctlRun, RejectsAndStillExitsZero) {
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "--request-path",
                  Request("pod_privileged.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(Lines(r.out)[0]);
  EXPECT_EQ(v.at("uid"), "1299d386-525b-4032-98ae-1949f69f9cfc");
  EXPECT_EQ(v.at("allowed"), false);
  EXPECT_EQ(v.at("status").at("message"), "Privileged container is not allowed");
}

TEST(KwctlRun, RejectionCarriesPolicyCodeWarningsAndAnnotations) {
  auto reject = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                       "--settings-json", R"({"reject":"go away","code":403})"});
  ASSERT_EQ(reject.exit_code, 0) << reject.err;
  json::value v = ParseLine(reject.out);
  EXPECT_EQ(v.at("status").at("code"), 403);
  EXPECT_EQ(v.at("status").at("message"), "go away");

  auto extras = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                       "--settings-json", R"({"warnings":["w1"],"annotations":{"k":"v"}})"});
  ASSERT_EQ(extras.exit_code, 0) << extras.err;
  json::value e = ParseLine(extras.out);
  EXPECT_EQ(e.at("allowed"), true);
  EXPECT_EQ(e.at("warnings"), json::array({"w1"}));
  EXPECT_EQ(e.at("auditAnnotations"), json::object({{"k", "v"}}));
}

TEST(KwctlRun, MutationBecomesAnApplicableJsonPatch) {
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_privileged.json"),
                  "--settings-json", R"({"add_label":{"key":"team","value":"blue"}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(r.out);
  EXPECT_EQ(v.at("allowed"), true);
  EXPECT_EQ(v.at("patchType"), "JSONPatch");
  auto patch_text = Base64Decode(std::string(v.at("patch").as_string()));
  ASSERT_TRUE(patch_text);
  auto patch = ParseJson(std::string(patch_text->begin(), patch_text->end()));
  ASSERT_TRUE(patch && patch->is_array());

  auto review = ParseJson(*ReadFile(Request("pod_privileged.json")));
  json::value object = review->at("request").at("object");
  auto patched = admission::ApplyPatch(object, patch->as_array());
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ(patched->at("metadata").at("labels").at("team"), "blue");
  EXPECT_EQ(patched->at("metadata").at("labels").at("app"), "web");
}

TEST(KwctlRun, InvalidSettingsFailWithUpstreamMessage) {
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                  "--settings-json", R"({"invalid":"replicas must be positive"})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Error: Provided settings are not valid: replicas must be positive"),
            std::string::npos)
      << r.err;
}

TEST(KwctlRun, ReadsSettingsFromYamlFileAndRequestFromStdin) {
  std::string settings = WriteTemp("settings.yaml", "reject: from a yaml file\ncode: 418\n");
  auto request = ReadFile(Request("pod_plain.json"));
  ASSERT_TRUE(request);
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", "-", "-s", settings}, *request);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(r.out);
  EXPECT_EQ(v.at("status").at("message"), "from a yaml file");
  EXPECT_EQ(v.at("status").at("code"), 418);
}

TEST(KwctlRun, RawRequestIsPassedVerbatim) {
  std::string raw = WriteTemp("raw.json", R"({"user":"alice","action":"delete"})");
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", raw, "--raw", "--settings-json",
                  R"({"reject":"raw says no"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(r.out);
  EXPECT_EQ(v.at("uid"), "");
  EXPECT_EQ(v.at("status").at("message"), "raw says no");
}

TEST(KwctlRun, PolicyCrsApplyModesAndCustomMessages) {
  std::string wasm = TestData("test_policy.wasm");
  std::string crds = WriteTemp("policies.yaml", R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata:
  name: strict
spec:
  module: file://)" + wasm + R"(
  mode: protect
  message: "denied by the platform team"
  settings: {}
---
apiVersion: policies.kubewarden.io/v1
kind: AdmissionPolicy
metadata:
  name: watching
spec:
  module: )" + wasm + R"(
  mode: monitor
---
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata:
  name: no-mutation-allowed
spec:
  module: )" + wasm + R"(
  mutating: false
  settings:
    add_label: {key: team, value: red}
)");
  auto r = Kwctl({"run", crds, "-r", Request("pod_privileged.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;

  json::value strict = ParseLine(lines[0]);
  EXPECT_EQ(strict.at("allowed"), false);
  EXPECT_EQ(strict.at("status").at("message"), "denied by the platform team");
  EXPECT_EQ(strict.at("status").at("details").at("causes").at(0).at("message"),
            "Privileged container is not allowed");

  json::value watching = ParseLine(lines[1]);
  EXPECT_EQ(watching.at("allowed"), true);
  EXPECT_EQ(watching.as_object().count("status"), 0u);

  json::value gated = ParseLine(lines[2]);
  EXPECT_EQ(gated.at("allowed"), false);
  EXPECT_EQ(gated.at("status").at("message"),
            "Request rejected by policy no-mutation-allowed. The policy attempted to mutate the "
            "request, but it is currently configured to not allow mutations.");
  EXPECT_EQ(gated.as_object().count("patch"), 0u);
}

TEST(KwctlRun, PolicyCrFieldsTheCrdLacksAreWarnedAbout) {
  std::string crds = WriteTemp("typo.yaml", R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: typo}
spec:
  module: )" + TestData("test_policy.wasm") + R"(
  setings: {reject: never read}
)");
  auto r = Kwctl({"run", crds, "-r", Request("pod_plain.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ClusterAdmissionPolicy 'typo': unknown field 'setings' is ignored"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(ParseLine(Lines(r.out).at(0)).at("allowed"), true);  // no settings: accepted

  std::string bad = WriteTemp("bad.yaml", "apiVersion: policies.kubewarden.io/v1\n"
                                          "kind: AdmissionPolicy\nmetadata: {name: p}\n"
                                          "spec: {module: a.wasm, mode: audit}\n");
  auto refused = Kwctl({"run", bad, "-r", Request("pod_privileged.json")});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("AdmissionPolicy 'p': field 'mode': unknown value 'audit', expected "
                             "one of: protect, monitor"),
            std::string::npos)
      << refused.err;
}

std::string GroupCr(const std::string& name, const std::string& mode, const std::string& expression) {
  std::string wasm = TestData("test_policy.wasm");
  return R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicyGroup
metadata:
  name: )" + name + R"(
spec:
  mode: )" + mode + R"(
  expression: ")" + expression + R"("
  message: "the group says no"
  policies:
    privileged:
      module: )" + wasm + R"(
    labels:
      module: )" + wasm + R"(
      settings:
        add_label: {key: team, value: blue}
    always:
      module: )" + wasm + R"(
      settings:
        respond: {accepted: true, warnings: ["member warnings never reach the group response"]}
)";
}

TEST(KwctlRun, PolicyGroupsCombineMembersWithTheirExpression) {
  std::string path = WriteTemp("groups.yaml", GroupCr("strict", "protect", "privileged() && labels()") +
                                                  "---\n" +
                                                  GroupCr("lenient", "protect", "labels() || always()") +
                                                  "---\n" +
                                                  GroupCr("watching", "monitor", "privileged()"));
  auto r = Kwctl({"run", path, "-r", Request("pod_privileged.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;

  // privileged() denies, so labels() is never evaluated: one cause.
  EXPECT_EQ(lines[0],
            "{\"uid\":\"1299d386-525b-4032-98ae-1949f69f9cfc\",\"allowed\":false,\"status\":{"
            "\"message\":\"the group says no\",\"details\":{\"causes\":[{\"reason\":null,"
            "\"message\":\"Privileged container is not allowed\",\"field\":"
            "\"spec.policies.privileged\"}]}},\"auditAnnotations\":null,\"warnings\":null}");

  // A mutating member counts as a denial; always() then accepts the request.
  EXPECT_EQ(lines[1],
            "{\"uid\":\"1299d386-525b-4032-98ae-1949f69f9cfc\",\"allowed\":true,"
            "\"auditAnnotations\":null,\"warnings\":null}");

  // Monitor mode lets it through.
  json::value watching = ParseLine(lines[2]);
  EXPECT_EQ(watching.at("allowed"), true);
}

TEST(KwctlRun, PolicyGroupMutationIsReportedAsCause) {
  std::string path = WriteTemp("group.yaml", GroupCr("g", "protect", "labels()"));
  auto r = Kwctl({"run", path, "-r", Request("pod_plain.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(r.out);
  EXPECT_EQ(v.at("allowed"), false);
  EXPECT_EQ(v.at("status").at("details").at("causes").at(0).at("message"),
            "mutation is not allowed inside of policy group");
  EXPECT_EQ(v.as_object().count("patch"), 0u);
}

TEST(KwctlRun, InvalidGroupExpressionIsRefusedUpFront) {
  std::string path = WriteTemp("group.yaml", GroupCr("g", "protect", "privileged() && nobody()"));
  auto r = Kwctl({"run", path, "-r", Request("pod_plain.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid policy group expression 'privileged() && nobody()': unknown "
                       "policy `nobody`"),
            std::string::npos)
      << r.err;
}

TEST(KwctlRun, BadPolicyOutputBecomesA500Rejection) {
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                  "--settings-json", R"({"respond":{"accepted":"yes"}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(r.out);
  EXPECT_EQ(v.at("allowed"), false);
  EXPECT_EQ(v.at("status").at("code"), 500);
  std::string message(v.at("status").at("message").as_string());
  EXPECT_TRUE(message.starts_with("internal server error: invalid response from policy: "))
      << message;
}

TEST(KwctlRun, HostCapabilitiesAreGated) {
  std::string settings =
      R"({"host_call":{"binding":"kubewarden","namespace":"oci","operation":"v1/manifest_digest","payload":"busybox"}})";
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                  "--settings-json", settings, "--allowed-host-capabilities",
                  "net/v1/dns_lookup_host"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = ParseLine(r.out);
  EXPECT_EQ(v.at("status").at("message"),
            "host error: Policy has not been granted access to the 'oci/v1/manifest_digest' host "
            "capability. The violation has been reported.");

  auto bad_pattern = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                            "--allowed-host-capabilities", "oci/v9/*"});
  EXPECT_EQ(bad_pattern.exit_code, 1);
  EXPECT_NE(bad_pattern.err.find("invalid host capability pattern 'oci/v9/*'"), std::string::npos)
      << bad_pattern.err;
}

TEST(KwctlRun, RunawayPolicyIsInterrupted) {
  auto r = Kwctl({"run", TestData("infinite_loop.wasm"), "-r", Request("pod_plain.json"),
                  "--policy-timeout", "0.2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("execution deadline exceeded"), std::string::npos) << r.err;
}

TEST(KwctlRun, MemoryLimitIsConfigurable) {
  auto r = Kwctl({"run", TestData("memory_grow_bomb.wasm"), "-r", Request("pod_plain.json"),
                  "--memory-limit", "16"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("guest ran out of memory (limit 16 MiB)"), std::string::npos) << r.err;

  auto out_of_range = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                             "--memory-limit", "0"});
  EXPECT_EQ(out_of_range.exit_code, 2);
}

TEST(KwctlRun, ReportsBadInputClearly) {
  auto missing = Kwctl({"run", "/nonexistent/policy.wasm", "-r", Request("pod_plain.json")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Cannot find policy with uri: /nonexistent/policy.wasm"),
            std::string::npos);

  auto not_wasm = Kwctl({"run", TestData("not_wasm.wasm"), "-r", Request("pod_plain.json")});
  EXPECT_EQ(not_wasm.exit_code, 1);
  EXPECT_NE(not_wasm.err.find("not a WebAssembly module"), std::string::npos) << not_wasm.err;

  // Nothing listens on loopback's discard port: the fetch fails, naming the URI.
  auto registry = Kwctl({"run", "registry://127.0.0.1:9/kubewarden/pod-privileged:v0.2.5", "-r",
                         Request("pod_plain.json")});
  EXPECT_EQ(registry.exit_code, 1);
  EXPECT_NE(registry.err.find(
                "cannot fetch policy registry://127.0.0.1:9/kubewarden/pod-privileged:v0.2.5"),
            std::string::npos)
      << registry.err;

  std::string broken = WriteTemp("broken.json", "{\"uid\": ");
  auto bad_json = Kwctl({"run", TestData("test_policy.wasm"), "-r", broken});
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_NE(bad_json.err.find("invalid request"), std::string::npos) << bad_json.err;

  std::string incomplete = WriteTemp("incomplete.json", R"({"uid":"x","operation":"CREATE"})");
  auto bad_request = Kwctl({"run", TestData("test_policy.wasm"), "-r", incomplete});
  EXPECT_EQ(bad_request.exit_code, 1);
  EXPECT_NE(bad_request.err.find("missing field `kind`"), std::string::npos) << bad_request.err;

  auto opa = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"), "-e", "opa"});
  EXPECT_EQ(opa.exit_code, 1);
  EXPECT_NE(opa.err.find("cannot load policy " + TestData("test_policy.wasm") +
                         ": the module does not implement the OPA wasm ABI 1.x: it exports no "
                         "`opa_wasm_abi_version` global"),
            std::string::npos)
      << opa.err;

  auto usage = Kwctl({"run", TestData("test_policy.wasm")});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("request-path"), std::string::npos) << usage.err;
}

TEST(KwctlAnnotate, AnnotatesAndInspectShowsTheMetadata) {
  std::string out = testing::MakeTempDir() + "/annotated.wasm";
  auto a = Kwctl({"annotate", TestData("test_policy.wasm"), "-m",
                  SourcePath("tests/data/metadata/test_policy.yml"), "-o", out});
  ASSERT_EQ(a.exit_code, 0) << a.err;

  auto yaml = Kwctl({"inspect", out, "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  auto metadata = ParseYamlAsJson(yaml.out);
  ASSERT_TRUE(metadata) << yaml.out;
  EXPECT_EQ(metadata->at("protocolVersion"), "v1");  // asked from the guest itself
  EXPECT_EQ(metadata->at("mutating"), true);
  EXPECT_EQ(metadata->at("executionMode"), "kubewarden-wapc");
  EXPECT_EQ(metadata->at("rules").at(0).at("resources").at(0), "pods");
  EXPECT_EQ(metadata->at("annotations").at("io.kubewarden.policy.title"), "test-policy");
  EXPECT_TRUE(metadata->at("annotations").as_object().contains("io.kubewarden.kwctl"));

  auto pretty = Kwctl({"inspect", out});
  ASSERT_EQ(pretty.exit_code, 0) << pretty.err;
  EXPECT_NE(pretty.out.find("test-policy"), std::string::npos) << pretty.out;
  EXPECT_NE(pretty.out.find("Rules"), std::string::npos);

  // The annotated module still runs.
  auto run = Kwctl({"run", out, "-r", Request("pod_plain.json")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(KwctlAnnotate, RefusesInvalidMetadataAndInspectRefusesBareModules) {
  std::string out = testing::MakeTempDir() + "/annotated.wasm";
  auto a = Kwctl({"annotate", TestData("test_policy.wasm"), "-m",
                  SourcePath("tests/data/metadata/invalid_operation.yml"), "-o", out});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_NE(a.err.find("Metadata is invalid"), std::string::npos) << a.err;

  auto inspect = Kwctl({"inspect", TestData("wapc_echo.wasm")});
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_NE(inspect.err.find("No Kubewarden metadata found inside of"), std::string::npos);
}

TEST(KwctlInfo, PrintsVersionAndPaths) {
  auto r = Kwctl({"info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("kwctl version: ")) << r.out;
  EXPECT_NE(r.out.find("Policy store: "), std::string::npos);
  EXPECT_NE(r.out.find("kubewarden/store"), std::string::npos);
}

TEST(KwctlScaffold, BuildsAnAdmissionRequestFromAnObject) {
  std::string pod = WriteTemp("pod.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx
)");
  auto r = Kwctl({"scaffold", "admission-request", "--operation", "CREATE", "--object", pod});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = ParseJson(r.out);
  ASSERT_TRUE(v) << r.out;
  EXPECT_EQ(v->at("uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(v->at("kind").at("kind"), "Pod");
  EXPECT_EQ(v->at("resource").at("resource"), "pods");
  EXPECT_EQ(v->at("namespace"), "default");
  EXPECT_EQ(v->at("operation"), "CREATE");

  // The scaffolded request is accepted by `kwctl run`.
  std::string request = WriteTemp("request.json", r.out);
  auto run = Kwctl({"run", TestData("test_policy.wasm"), "-r", request});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\"allowed\":true"), std::string::npos);
}

TEST(KwctlBench, ReportsBothOperations) {
  auto r = Kwctl({"bench", TestData("test_policy.wasm"), "-r", Request("pod_privileged.json"),
                  "--warm-up-time", "0.05", "--measurement-time", "0.2", "--num-samples", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("policy-from-cli/validate_settings"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("policy-from-cli/validate "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("5 samples"), std::string::npos) << r.out;

  auto invalid = Kwctl({"bench", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                        "--settings-json", R"({"invalid":"nope"})", "--measurement-time", "0.1"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("[policy-from-cli] - provided settings are not valid: nope"),
            std::string::npos)
      << invalid.err;
}

TEST(KwctlRun, KeepsCompiledCodeForTheNextRun) {
  std::string cache = testing::MakeTempDir() + "/compiled";
  std::vector<std::string> run = {"-v", "run", TestData("test_policy.wasm"), "-r",
                                  Request("pod_privileged.json"), "--compiled-cache-dir", cache};
  auto first = Kwctl(run);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("1 modules compiled, 0 loaded from the compiled-code cache"),
            std::string::npos)
      << first.err;
  // kwctl waited for the optimized code before exiting, so the entry is there now.
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(cache), {}), 1);

  auto second = Kwctl(run);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("0 modules compiled, 1 loaded from the compiled-code cache"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(second.out, first.out);

  auto disabled = Kwctl({"-v", "run", TestData("test_policy.wasm"), "-r",
                         Request("pod_privileged.json"), "--disable-compiled-cache"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_NE(disabled.err.find("1 modules compiled, 0 loaded"), std::string::npos);
  EXPECT_EQ(disabled.out, first.out);
}

}  // namespace
}  // namespace kw

namespace kw {
namespace {

TEST(KwctlInfo, ListsTheOpaBuiltinsTheHostImplements) {
  auto r = Kwctl({"info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t section = r.out.find("Open Policy Agent/Gatekeeper implemented builtins:\n");
  ASSERT_NE(section, std::string::npos) << r.out;
  for (std::string_view name : {"  - sprintf\n", "  - time.now_ns\n", "  - regex.find_n\n",
                                "  - parse_rfc3339_ns\n", "  - yaml.unmarshal\n"}) {
    std::size_t at = r.out.find(name);
    EXPECT_NE(at, std::string::npos) << name << " missing from:\n" << r.out;
    EXPECT_GT(at, section) << name;
  }
}

}  // namespace
}  // namespace kw

// kwctl scaffold verification-config, manifest and artifacthub.
namespace kw {
namespace {

// Sets an environment variable for the kwctl processes a test starts, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Runs kwctl from `dir`, for the commands that look for files in the working directory.
class ScopedWorkingDir {
 public:
  explicit ScopedWorkingDir(const std::string& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedWorkingDir() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

// test_policy.wasm annotated with the metadata.yml of one of the sample policies, so that the
// scaffolded manifest also runs.
std::string AnnotatedTestPolicy(const std::string& sample) {
  std::string out = testing::MakeTempDir() + "/" + sample + ".wasm";
  auto a = Kwctl({"annotate", TestData("test_policy.wasm"), "-m",
                  SourcePath("policies/" + sample + "/metadata.yml"), "-o", out});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  return out;
}

json::value ParseYaml(const std::string& text) {
  auto v = ParseYamlAsJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : json::value();
}

TEST(KwctlScaffold, VerificationConfigIsUpstreamsDefault) {
  std::string config_home = testing::MakeTempDir();
  ScopedEnv env("XDG_CONFIG_HOME", config_home);
  auto r = Kwctl({"scaffold", "verification-config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("# Default Kubewarden verification config\n")) << r.out;
  EXPECT_NE(r.out.find("#   kwctl scaffold verification-config > " + config_home +
                       "/kubewarden/verification-config.yml\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(ParseYaml(r.out), json::parse(R"({"apiVersion": "v1",
      "allOf": [{"kind": "githubAction", "owner": "kubewarden", "repo": null,
                 "annotations": null}],
      "anyOf": null})"));
}

TEST(KwctlScaffold, ManifestOfAnAnnotatedPolicyRunsAsIs) {
  std::string policy = AnnotatedTestPolicy("pod-privileged");
  std::string settings = WriteTemp("settings.yaml", "reject: go away\ncode: 403\n");
  auto r = Kwctl({"scaffold", "manifest", "--type", "ClusterAdmissionPolicy", "-s", settings,
                  policy});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("apiVersion: policies.kubewarden.io/v1\n"
                                "kind: ClusterAdmissionPolicy\n"
                                "metadata:\n"
                                "  annotations:\n"
                                "    io.kubewarden.policy.category: PSP\n"
                                "    io.kubewarden.policy.severity: medium\n"
                                "  name: pod-privileged-policy\n"
                                "spec:\n"
                                "  module: file://" + policy + "\n"
                                "  settings:\n"
                                "    reject: go away\n"
                                "    code: 403\n"
                                "  rules:\n"))
      << r.out;
  json::value cr = ParseYaml(r.out);
  const json::object& spec = cr.at("spec").as_object();
  EXPECT_EQ(spec.at("rules").as_array().size(), 4u);
  EXPECT_EQ(spec.at("rules").at(2).at("resources"),
            json::array({"deployments", "replicasets", "statefulsets", "daemonsets"}));
  EXPECT_EQ(spec.at("mutating"), false);
  // backgroundAudit is true (the CRD default) and no context-aware resources are declared.
  EXPECT_FALSE(spec.contains("backgroundAudit"));
  EXPECT_FALSE(spec.contains("contextAwareResources"));
  EXPECT_EQ(r.err, "");

  // The manifest is a policy definition `kwctl run` takes, settings included.
  std::string crd = WriteTemp("policy.yaml", r.out);
  auto run = Kwctl({"run", crd, "-r", Request("pod_plain.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::value response = ParseLine(run.out);
  EXPECT_EQ(response.at("allowed"), false);
  EXPECT_EQ(response.at("status").at("message"), "go away");
}

TEST(KwctlScaffold, AdmissionPolicyWithTitleAndJsonSettings) {
  std::string policy = AnnotatedTestPolicy("pod-privileged");
  auto r = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", "--title", "no-privileged",
                  "--settings-json", R"({"allowed": ["a", "b"]})", "file://" + policy});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value cr = ParseYaml(r.out);
  EXPECT_EQ(cr.at("kind"), "AdmissionPolicy");
  EXPECT_EQ(cr.at("metadata").at("name"), "no-privileged");
  // A file:// URI is kept as given.
  EXPECT_EQ(cr.at("spec").at("module"), json::value("file://" + policy));
  EXPECT_EQ(cr.at("spec").at("settings"), json::parse(R"({"allowed": ["a", "b"]})"));
}

TEST(KwctlScaffold, ContextAwareResourcesNeedTheFlag) {
  std::string policy = AnnotatedTestPolicy("namespace-label-propagator");
  auto cleared = Kwctl({"scaffold", "manifest", "-t", "ClusterAdmissionPolicy", policy});
  ASSERT_EQ(cleared.exit_code, 0) << cleared.err;
  json::value cr = ParseYaml(cleared.out);
  EXPECT_EQ(cr.at("spec").at("mutating"), true);
  EXPECT_FALSE(cr.at("spec").as_object().contains("contextAwareResources")) << cleared.out;
  EXPECT_NE(cleared.err.find("the `spec.contextAwareResources` attribute has been cleared"),
            std::string::npos)
      << cleared.err;

  auto granted = Kwctl({"scaffold", "manifest", "-t", "ClusterAdmissionPolicy",
                        "--allow-context-aware", policy});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_EQ(ParseYaml(granted.out).at("spec").at("contextAwareResources"),
            json::parse(R"([{"apiVersion": "v1", "kind": "Namespace"}])"));
  EXPECT_NE(granted.err.find("Carefully review the contents of the `contextAwareResources` "
                             "attribute for abuses"),
            std::string::npos)
      << granted.err;
}

TEST(KwctlScaffold, ManifestReportsBadInput) {
  std::string policy = AnnotatedTestPolicy("pod-privileged");
  auto unknown_type = Kwctl({"scaffold", "manifest", "-t", "PolicyServer", policy});
  EXPECT_EQ(unknown_type.exit_code, 2);
  EXPECT_NE(unknown_type.err.find("--type: 'PolicyServer' is not allowed: expected one of"),
            std::string::npos)
      << unknown_type.err;
  auto no_type = Kwctl({"scaffold", "manifest", policy});
  EXPECT_EQ(no_type.exit_code, 2);

  auto bad_json = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", "--settings-json",
                         R"({"a": )", policy});
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_EQ(bad_json.out, "");
  EXPECT_NE(bad_json.err.find("Error: invalid settings (--settings-json)"), std::string::npos)
      << bad_json.err;

  std::string list = WriteTemp("list.yaml", "- a\n- b\n");
  auto not_mapping = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", "-s", list, policy});
  EXPECT_EQ(not_mapping.exit_code, 1);
  EXPECT_NE(not_mapping.err.find("Error: invalid settings (" + list + "): not a mapping"),
            std::string::npos)
      << not_mapping.err;

  auto both = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", "-s", list,
                     "--settings-json", "{}", policy});
  EXPECT_EQ(both.exit_code, 2);

  auto bad_title = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", "--title",
                          "Pod_Privileged", policy});
  EXPECT_EQ(bad_title.exit_code, 1);
  EXPECT_NE(bad_title.err.find("'Pod_Privileged' is not a valid Kubernetes resource name"),
            std::string::npos)
      << bad_title.err;

  auto bare = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", TestData("wapc_echo.wasm")});
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_NE(bare.err.find("No Kubewarden metadata found inside of '" + TestData("wapc_echo.wasm") +
                          "'"),
            std::string::npos)
      << bare.err;

  // Registry URIs are fetched as `kwctl run` fetches them (nothing listens on port 9).
  auto registry = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy",
                         "registry://127.0.0.1:9/kubewarden/pod-privileged:v0.2.5"});
  EXPECT_EQ(registry.exit_code, 1);
  EXPECT_NE(registry.err.find(
                "cannot fetch policy registry://127.0.0.1:9/kubewarden/pod-privileged:v0.2.5"),
            std::string::npos)
      << registry.err;

  auto missing = Kwctl({"scaffold", "manifest", "-t", "AdmissionPolicy", "/nonexistent/p.wasm"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Cannot find policy with uri: /nonexistent/p.wasm"),
            std::string::npos)
      << missing.err;
}

// A ValidatingAdmissionPolicy and its binding (the Kubernetes documentation's shape) as a
// ClusterAdmissionPolicy on cel-policy; warnings on stderr, the resource on stdout.
TEST(KwctlScaffold, VapBecomesAClusterAdmissionPolicy) {
  std::string vap = WriteTemp("vap.yaml", R"yaml(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: demo-policy.example.com}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
)yaml");
  std::string binding = WriteTemp("binding.yaml", R"yaml(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding}
spec:
  policyName: demo-policy.example.com
  validationActions: [Deny]
)yaml");
  auto r = Kwctl({"scaffold", "vap", "-p", vap, "-b", binding, "--cel-policy",
                  "ghcr.io/kubewarden/policies/cel-policy:v1.6.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "apiVersion: policies.kubewarden.io/v1\n"
            "kind: ClusterAdmissionPolicy\n"
            "metadata:\n"
            "  name: demo-binding\n"
            "spec:\n"
            "  module: ghcr.io/kubewarden/policies/cel-policy:v1.6.3\n"
            "  settings:\n"
            "    failurePolicy: Fail\n"
            "    validations:\n"
            "    - expression: object.spec.replicas <= 5\n"
            "  rules:\n"
            "  - apiGroups:\n"
            "    - apps\n"
            "    apiVersions:\n"
            "    - v1\n"
            "    resources:\n"
            "    - deployments\n"
            "    operations:\n"
            "    - CREATE\n"
            "    - UPDATE\n"
            "  mutating: false\n");
  EXPECT_EQ(r.err, "");

  r = Kwctl({"scaffold", "vap", "-p", vap, "-b", binding});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no fixed version"), std::string::npos) << r.err;

  r = Kwctl({"scaffold", "vap", "-p", binding, "-b", binding});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Error: --policy: expected a ValidatingAdmissionPolicy"), std::string::npos)
      << r.err;
  r = Kwctl({"scaffold", "vap", "-p", vap});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // --binding is required
}

TEST(KwctlScaffold, ArtifactHubPackageFromMetadataAndQuestions) {
  std::string questions_text = "questions:\n- variable: allowed\n  type: boolean\n";
  std::string questions = WriteTemp("questions-ui.yml", questions_text);
  std::string out = testing::MakeTempDir() + "/artifacthub-pkg.yml";
  auto r = Kwctl({"scaffold", "artifacthub", "-m",
                  SourcePath("policies/pod-privileged/metadata.yml"), "-q", questions, "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto text = ReadFile(out);
  ASSERT_TRUE(text);
  EXPECT_TRUE(text->starts_with("# Kubewarden Artifacthub Package config\n")) << *text;
  json::value pkg = ParseYaml(*text);
  EXPECT_EQ(pkg.at("version"), "1.0.13");
  EXPECT_EQ(pkg.at("name"), "pod-privileged-policy");
  EXPECT_EQ(pkg.at("displayName"), "Pod Privileged Policy");
  EXPECT_EQ(pkg.at("containersImages"),
            json::parse(R"([{"name": "policy",
                             "image": "ghcr.io/kubewarden/policies/pod-privileged:v1.0.13"}])"));
  EXPECT_EQ(pkg.at("keywords"), json::array({"psp", "container", "privileged"}));
  // The policy's GitHub release tag names the release asset.
  EXPECT_EQ(pkg.at("links").at(0).at("url"),
            "https://github.com/kubewarden/policies/releases/download/pod-privileged-policy/"
            "v1.0.13/policy.wasm");
  EXPECT_EQ(pkg.at("maintainers"),
            json::parse(R"([{"name": "Kubewarden developers",
                             "email": "cncf-kubewarden-maintainers@lists.cncf.io"}])"));
  const json::object& annotations = pkg.at("annotations").as_object();
  EXPECT_EQ(annotations.at("kubewarden/questions-ui"), json::value(questions_text));
  EXPECT_EQ(annotations.at("kubewarden/mutation"), "false");
  auto rules = ParseYamlAsJson(std::string(annotations.at("kubewarden/rules").as_string()));
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->as_array().size(), 4u);
  std::string created_at(pkg.at("createdAt").as_string());
  EXPECT_TRUE(std::regex_match(created_at,
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)")))
      << created_at;
}

TEST(KwctlScaffold, ArtifactHubFindsItsFilesInTheWorkingDirectory) {
  std::string dir = testing::MakeTempDir();
  ASSERT_TRUE(WriteFile(dir + "/metadata.yaml",
                        *ReadFile(SourcePath("policies/pod-privileged/metadata.yml"))));
  ASSERT_TRUE(WriteFile(dir + "/questions.yaml", "questions: []\n"));
  ScopedWorkingDir cwd(dir);
  auto r = Kwctl({"scaffold", "artifacthub", "--version", "9.9.9"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value pkg = ParseYaml(r.out);
  EXPECT_EQ(pkg.at("version"), "1.0.13");  // --version is deprecated and ignored
  EXPECT_NE(r.err.find("--version is deprecated and ignored"), std::string::npos) << r.err;
  EXPECT_EQ(pkg.at("annotations").at("kubewarden/questions-ui"), "questions: []\n");

  ASSERT_TRUE(WriteFile(dir + "/questions-ui.yml", "\n"));  // preferred over questions.yaml
  auto empty = Kwctl({"scaffold", "artifacthub"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("Error: the questions file questions-ui.yml is empty"),
            std::string::npos)
      << empty.err;

  std::filesystem::remove(dir + "/metadata.yaml");
  auto no_metadata = Kwctl({"scaffold", "artifacthub"});
  EXPECT_EQ(no_metadata.exit_code, 1);
  EXPECT_NE(no_metadata.err.find("cannot find metadata.yml or metadata.yaml"), std::string::npos)
      << no_metadata.err;
}

TEST(KwctlScaffold, ArtifactHubNamesMissingAnnotations) {
  std::string metadata = SourcePath("tests/data/metadata/test_policy.yml");
  auto r = Kwctl({"scaffold", "artifacthub", "-m", metadata});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Error: " + metadata +
                       ": missing required annotation `io.kubewarden.policy.version`"),
            std::string::npos)
      << r.err;

  std::string no_oci = WriteTemp("metadata.yml", R"(rules: []
mutating: false
annotations:
  io.kubewarden.policy.title: p
  io.kubewarden.policy.version: 0.1.0
  io.artifacthub.displayName: P
  io.kubewarden.policy.description: A policy
)");
  auto oci = Kwctl({"scaffold", "artifacthub", "-m", no_oci});
  EXPECT_EQ(oci.exit_code, 1);
  EXPECT_NE(oci.err.find("missing required annotation `io.kubewarden.policy.ociUrl`"),
            std::string::npos)
      << oci.err;
}

}  // namespace
}  // namespace kw
