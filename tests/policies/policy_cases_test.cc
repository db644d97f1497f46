// Data-driven end-to-end tests of the policy catalogue: every policies/<name>/tests/cases.yaml
// case runs the built policy (build/policies/<name>.wasm) through the real `kwctl run` and
// checks what a user sees. The SDK's examples (sdk/cpp/examples/<name>, built into
// build/sdk/examples) are tested the same way, as suite "examples". Each case is one
// GoogleTest test named "policies.<name>/<case>"
// (cases are registered at start-up with testing::RegisterTest: INSTANTIATE_TEST_SUITE_P
// would only allow [A-Za-z0-9_] in case names).
//
// The format of cases.yaml is documented in tests/policies/README.md. In short:
//
//   cases:
//     - name: reject_privileged_container          # unique in the file; [A-Za-z0-9_]
//       request: pod_privileged.json               # an AdmissionReview fixture (see below)
//       settings: {skip_init_containers: true}     # optional, default {}
//       expect:
//         allowed: false
//         message: Privileged container is not allowed
//
// Strict by default: a rejection without `code` must carry no status code, a case without
// `patch`/`mutated_object` must not mutate, and warnings/audit annotations must be absent
// unless listed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "admission/json_patch.h"
#include "base/base64.h"
#include "base/error.h"
#include "base/files.h"
#include "base/json.h"
#include "cli/log_format.h"
#include "base/yaml.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string suite;   // "policies" (the catalogue) or "examples" (sdk/cpp/examples)
  std::string policy;  // folder name, e.g. "pod-privileged"
  std::string name;    // case name, unique within the policy
  fs::path dir;        // policies/<policy>/tests
  json::value spec;    // the case mapping from cases.yaml
  std::string error;   // a problem found while loading the file (the test reports it)
};

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

fs::path SourceDir() { return Env("KW_SOURCE_DIR", KW_DEFAULT_SOURCE_DIR); }
fs::path BinaryDir() { return Env("KW_BINARY_DIR", KW_DEFAULT_BINARY_DIR); }

std::string BuildDirOf(const std::string& suite);

// Case names become part of GoogleTest names, where '-' would start a negative filter pattern
// (and ':' separate patterns, '*'/'?' match): ctest could not select such a test.
bool ValidCaseName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The policy part of a test name: the folder name with '-' spelled '_' (see ValidCaseName).
std::string TestNameOf(std::string policy) {
  std::replace(policy.begin(), policy.end(), '-', '_');
  return policy;
}

// Where the policies of a suite live in the source tree, and where their .wasm are built.
struct Suite {
  const char* name;
  const char* source;  // relative to the source dir
  const char* build;   // relative to the binary dir
};
constexpr Suite kSuites[] = {
    {"policies", "policies", "policies"},
    {"examples", "sdk/cpp/examples", "sdk/examples"},
};

// Reads every <suite>/*/tests/cases.yaml. Problems become cases whose test fails with them, so
// that a broken file is reported instead of silently running nothing.
std::vector<Case> DiscoverCases(const Suite& suite) {
  std::vector<Case> cases;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(SourceDir() / suite.source, ec)) {
    fs::path file = entry.path() / "tests" / "cases.yaml";
    if (entry.is_directory() && fs::exists(file)) files.push_back(file);
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::string policy = file.parent_path().parent_path().filename().string();
    Case broken{suite.name, policy, "cases_yaml", file.parent_path(), json::value(), ""};
    auto text = ReadFile(file.string());
    if (!text) {
      broken.error = text.error().message;
      cases.push_back(broken);
      continue;
    }
    auto doc = ParseYamlAsJson(*text, file.string());
    if (!doc) {
      broken.error = doc.error().message;
      cases.push_back(broken);
      continue;
    }
    const json::value* list = doc->is_object() ? FindKey(*doc, "cases") : nullptr;
    if (list == nullptr || !list->is_array() || list->as_array().empty()) {
      broken.error = file.string() + ": expected a mapping with a non-empty `cases` list";
      cases.push_back(broken);
      continue;
    }
    std::set<std::string> seen;
    std::size_t index = 0;
    for (const json::value& c : list->as_array()) {
      Case k{suite.name, policy, "case_" + std::to_string(index), file.parent_path(), c, ""};
      const json::value* name = c.is_object() ? FindKey(c, "name") : nullptr;
      if (name == nullptr || !name->is_string()) {
        k.error = file.string() + ": case #" + std::to_string(index) + " has no string `name`";
      } else {
        k.name = std::string(name->as_string());
        if (!ValidCaseName(k.name)) {
          k.error = "invalid case name `" + k.name + "` (use [A-Za-z0-9_])";
          k.name = "case_" + std::to_string(index);
        } else if (!seen.insert(k.name).second) {
          k.error = "duplicate case name `" + k.name + "`";
          k.name += "_duplicate_" + std::to_string(index);
        }
      }
      cases.push_back(std::move(k));
      ++index;
    }
  }
  return cases;
}

// --- Building the request. ---

// Lower-case plural resource names of the kinds tests use; anything else: lowercase + "s".
std::string ResourceFor(const std::string& kind) {
  static const std::map<std::string, std::string> kKnown = {
      {"Ingress", "ingresses"},
      {"NetworkPolicy", "networkpolicies"},
      {"PodSecurityPolicy", "podsecuritypolicies"},
      {"PriorityClass", "priorityclasses"},
      {"StorageClass", "storageclasses"},
      {"IngressClass", "ingressclasses"},
      {"RuntimeClass", "runtimeclasses"},
  };
  if (auto it = kKnown.find(kind); it != kKnown.end()) return it->second;
  std::string r;
  for (char c : kind) r.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return r + "s";
}

std::string StringOr(const json::value& object, std::string_view key, std::string fallback) {
  const json::value* v = object.is_object() ? FindKey(object, key) : nullptr;
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : fallback;
}

// An AdmissionReview around the case's inline `object` (for `kind`, `operation`, ...).
Result<json::value> ReviewFromObject(const Case& c) {
  const json::value& object = c.spec.at("object");
  std::string kind = StringOr(c.spec, "kind", StringOr(object, "kind", ""));
  if (kind.empty()) return Fail(ErrorKind::kInvalidArgument, "inline `object` needs a `kind`");
  std::string api_version = StringOr(c.spec, "api_version", StringOr(object, "apiVersion", "v1"));
  std::string group, version = api_version;
  if (auto slash = api_version.find('/'); slash != std::string::npos) {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  std::string resource = StringOr(c.spec, "resource", ResourceFor(kind));
  std::string operation = StringOr(c.spec, "operation", "CREATE");
  json::value metadata = object.is_object() && FindKey(object, "metadata")
                             ? object.at("metadata")
                             : json::value(json::object());
  json::object request{
      {"uid", c.policy + "-" + c.name},
      {"kind", {{"group", group}, {"version", version}, {"kind", kind}}},
      {"resource", {{"group", group}, {"version", version}, {"resource", resource}}},
      {"requestKind", {{"group", group}, {"version", version}, {"kind", kind}}},
      {"requestResource", {{"group", group}, {"version", version}, {"resource", resource}}},
      {"name", StringOr(metadata, "name", "")},
      {"namespace", StringOr(metadata, "namespace", "default")},
      {"operation", operation},
      {"userInfo",
       {{"username", "kubernetes-admin"},
        {"groups", json::array{"system:masters", "system:authenticated"}}}},
      {"object", object},
      {"oldObject", FindKey(c.spec, "old_object") ? c.spec.at("old_object") : json::value()},
      {"dryRun", false},
  };
  return json::value{{"apiVersion", "admission.k8s.io/v1"},
                     {"kind", "AdmissionReview"},
                     {"request", std::move(request)}};
}

// The request file to pass to kwctl, and the review it holds (for a raw request, the request
// itself: `kwctl run --raw`, policy-server's /validate_raw).
struct Request {
  std::string path;
  json::value review;
  bool raw = false;
};

Result<Request> PrepareRequest(const Case& c) {
  const json::value* file = FindKey(c.spec, "request");
  const json::value* object = FindKey(c.spec, "object");
  const json::value* raw = FindKey(c.spec, "raw_request");
  if ((file != nullptr) + (object != nullptr) + (raw != nullptr) != 1) {
    return Fail(ErrorKind::kInvalidArgument,
                "a case needs exactly one of `request`, `object` or `raw_request`");
  }
  if (raw != nullptr) {
    std::string path = testing::MakeTempDir() + "/raw_request.json";
    KW_TRY(WriteFile(path, ToJson(*raw)));
    return Request{path, *raw, true};
  }
  if (file != nullptr) {
    if (!file->is_string()) return Fail(ErrorKind::kInvalidArgument, "`request` must be a path");
    // Relative to the cases file, then to the repository root.
    fs::path path = c.dir / std::string(file->as_string());
    if (!fs::exists(path)) path = SourceDir() / std::string(file->as_string());
    KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path.string()));
    KW_ASSIGN_OR_RETURN(json::value review, ParseJson(text, path.string()));
    return Request{path.string(), std::move(review), false};
  }
  KW_ASSIGN_OR_RETURN(json::value review, ReviewFromObject(c));
  std::string path = testing::MakeTempDir() + "/request.json";
  KW_TRY(WriteFile(path, ToJson(review)));
  return Request{path, std::move(review), false};
}

// --- Checking the outcome. ---

const std::set<std::string> kCaseKeys = {"name",       "description", "request",  "object",
                                         "kind",       "api_version", "resource", "operation",
                                         "old_object", "settings",    "replay",   "allow_context_aware",
                                         "raw_request", "expect"};

constexpr char kReplayFlag[] = "--replay-host-capabilities-interactions";

// The host-capability session a case replays (`replay:`, relative to its tests/ folder), or "".
std::string ReplayFileOf(const Case& c) {
  const json::value* replay = FindKey(c.spec, "replay");
  if (replay == nullptr || !replay->is_string()) return "";
  return (c.dir / std::string(replay->as_string())).string();
}

// Whether this kwctl knows kReplayFlag (it is being added while these cases are written).
bool KwctlReplays() {
  static const bool replays = [] {
    testing::ProcessResult help = testing::RunProcess({testing::KwctlBinary(), "run", "--help"});
    return help.out.find(kReplayFlag) != std::string::npos;
  }();
  return replays;
}
const std::set<std::string> kExpectKeys = {
    "allowed",        "message",  "message_contains",  "code",          "patch",
    "mutated_object", "warnings", "audit_annotations", "settings_error"};

void CheckKeys(const json::value& v, const std::set<std::string>& allowed, const char* what) {
  for (const auto& [key, value] : v.as_object()) {
    EXPECT_TRUE(allowed.count(std::string(key))) << "unknown key `" << key << "` in " << what;
  }
}

class PolicyCaseTest : public ::testing::Test {
 public:
  explicit PolicyCaseTest(Case c) : case_(std::move(c)) {}

  void TestBody() override {
    ASSERT_TRUE(case_.error.empty()) << case_.error;
    ASSERT_TRUE(case_.spec.is_object());
    CheckKeys(case_.spec, kCaseKeys, "the case");
    const json::value* expect = FindKey(case_.spec, "expect");
    ASSERT_TRUE(expect != nullptr && expect->is_object()) << "the case needs an `expect` mapping";
    CheckKeys(*expect, kExpectKeys, "`expect`");

    fs::path wasm = BinaryDir() / BuildDirOf(case_.suite) / (case_.policy + ".wasm");
    ASSERT_TRUE(fs::exists(wasm)) << wasm << " is not built";
    auto request = PrepareRequest(case_);
    ASSERT_TRUE(request) << request.error().message;

    const json::value* settings = FindKey(case_.spec, "settings");
    std::string settings_json = settings ? ToJson(*settings) : "{}";
    if (settings != nullptr) ASSERT_TRUE(settings->is_object()) << "`settings` must be a mapping";

    std::vector<std::string> args = {testing::KwctlBinary(), "run",           wasm.string(), "-r",
                                     request->path,          "--settings-json", settings_json};
    if (request->raw) args.push_back("--raw");
    if (std::string replay = ReplayFileOf(case_); !replay.empty()) {
      ASSERT_TRUE(fs::exists(replay)) << replay;
      if (!KwctlReplays()) GTEST_SKIP() << "kwctl run has no " << kReplayFlag << " yet";
      args.insert(args.end(), {kReplayFlag, replay});
    }
    if (const json::value* allow = FindKey(case_.spec, "allow_context_aware")) {
      ASSERT_TRUE(allow->is_bool()) << "`allow_context_aware` must be a boolean";
      if (allow->as_bool()) args.push_back("--allow-context-aware");
    }
    testing::ProcessResult run = testing::RunProcess(args);
    std::string command = "kwctl";
    for (std::size_t i = 1; i < args.size(); ++i) command += " '" + args[i] + "'";
    SCOPED_TRACE(command + "\nstdout: " + run.out + "\nstderr: " + run.err);

    if (const json::value* error = FindKey(*expect, "settings_error")) {
      ASSERT_TRUE(error->is_string());
      EXPECT_EQ(run.exit_code, 1);
      EXPECT_EQ(run.out, "");
      // The whole message, up to the end of its line.
      std::string want =
          "Provided settings are not valid: " + std::string(error->as_string()) + "\n";
      EXPECT_NE(run.err.find(want), std::string::npos) << "expected: " << want;
      return;
    }

    ASSERT_EQ(run.exit_code, 0);
    auto response = ParseJson(run.out, "kwctl output");
    ASSERT_TRUE(response && response->is_object()) << run.out;
    CheckResponse(*expect, *response, *request);
  }

 private:
  void CheckResponse(const json::value& expect, const json::value& response,
                     const Request& request) {
    const json::value* allowed = FindKey(expect, "allowed");
    ASSERT_TRUE(allowed != nullptr && allowed->is_bool()) << "`expect.allowed` is required";
    EXPECT_EQ(response.at("allowed"), *allowed);

    const json::value* status = FindKey(response, "status");
    const json::value* message = status ? FindKey(*status, "message") : nullptr;
    if (const json::value* want = FindKey(expect, "message")) {
      ASSERT_NE(message, nullptr) << "no status.message";
      EXPECT_EQ(*message, *want);
    }
    if (const json::value* want = FindKey(expect, "message_contains")) {
      ASSERT_NE(message, nullptr) << "no status.message";
      ASSERT_TRUE(want->is_string() && message->is_string());
      EXPECT_NE(std::string(message->as_string()).find(std::string(want->as_string())),
                std::string::npos);
    }
    const json::value* code = status ? FindKey(*status, "code") : nullptr;
    const json::value* want_code = FindKey(expect, "code");
    if (want_code == nullptr || want_code->is_null()) {
      EXPECT_EQ(code, nullptr) << "unexpected status.code " << (code ? ToJson(*code) : "");
    } else {
      ASSERT_NE(code, nullptr) << "no status.code";
      EXPECT_EQ(*code, *want_code);
    }

    ExpectListed(expect, "warnings", response, "warnings");
    ExpectListed(expect, "audit_annotations", response, "auditAnnotations");
    CheckPatch(expect, response, request);
  }

  // `response[field]` equals expect[key], or is null/absent when the key is not given.
  static void ExpectListed(const json::value& expect, std::string_view key,
                           const json::value& response, std::string_view field) {
    const json::value* got = FindKey(response, field);
    const json::value* want = FindKey(expect, key);
    if (want == nullptr) {
      EXPECT_TRUE(got == nullptr || got->is_null()) << field << ": " << ToJson(*got);
    } else {
      ASSERT_NE(got, nullptr) << "no " << field;
      EXPECT_EQ(*got, *want) << field;
    }
  }

  static void CheckPatch(const json::value& expect, const json::value& response,
                         const Request& request) {
    const json::value* patch = FindKey(response, "patch");
    const json::value* want_patch = FindKey(expect, "patch");
    const json::value* want_object = FindKey(expect, "mutated_object");
    if (want_patch == nullptr && want_object == nullptr) {
      EXPECT_EQ(patch, nullptr) << "unexpected mutation";
      return;
    }
    ASSERT_NE(patch, nullptr) << "no patch";
    EXPECT_EQ(response.at("patchType"), "JSONPatch");
    auto text = Base64Decode(std::string(patch->as_string()));
    ASSERT_TRUE(text) << text.error().message;
    auto ops = ParseJson(*text, "patch");
    ASSERT_TRUE(ops && ops->is_array()) << *text;
    if (want_patch != nullptr) {
      EXPECT_EQ(*ops, *want_patch) << "patch: " << *text;
    }
    if (want_object != nullptr) {
      // A raw request is the patched document itself; otherwise an AdmissionReview, or a bare
      // AdmissionRequest, holds it.
      const json::value& review = request.review;
      const json::value* admission = request.raw ? nullptr : FindKey(review, "request");
      const json::value* object =
          request.raw ? &review : FindKey(admission ? *admission : review, "object");
      ASSERT_NE(object, nullptr) << "the request has no object to patch";
      auto patched = admission::ApplyPatch(*object, ops->as_array());
      ASSERT_TRUE(patched) << patched.error().message << "\npatch: " << *text;
      EXPECT_EQ(*patched, *want_object) << "patched object: " << ToJson(*patched);
    }
  }

  Case case_;
};

std::string BuildDirOf(const std::string& suite) {
  for (const Suite& s : kSuites) {
    if (suite == s.name) return s.build;
  }
  return suite;
}

// kwctl run and policy-server build their environments and evaluate through the same code; this
// proves it on every case: for each policy, one policy-server serves every distinct settings of
// its cases (allowed to mutate and granted every host capability, as kwctl's command-line policy
// is by default), and answers each case's
// request exactly as `kwctl run` does, settings refusals included. Cases that replay a recorded
// session are left out: the policy-server has no replay.
TEST(PolicyServerAndKwctl, GiveIdenticalAnswersOnEveryCase) {
  std::size_t compared = 0;
  for (const Suite& suite : kSuites) {
    std::map<std::string, std::vector<Case>> by_policy;
    for (Case& c : DiscoverCases(suite)) {
      if (c.error.empty() && c.spec.is_object() && ReplayFileOf(c).empty()) {
        by_policy[c.policy].push_back(std::move(c));
      }
    }
    for (const auto& [policy, cases] : by_policy) {
      SCOPED_TRACE(suite.name + std::string("/") + policy);
      fs::path wasm = BinaryDir() / suite.build / (policy + ".wasm");
      std::map<std::string, std::string> ids;  // settings JSON -> policy id
      std::string policies_yml;
      for (const Case& c : cases) {
        const json::value* settings = FindKey(c.spec, "settings");
        std::string json = settings ? ToJson(*settings) : "{}";
        if (ids.contains(json)) continue;
        std::string id = "s" + std::to_string(ids.size());
        ids[json] = id;
        // JSON is YAML: the settings go in as a flow mapping.
        policies_yml += id + ":\n  module: " + wasm.string() + "\n  allowedToMutate: true\n" +
                        "  hostCapabilities: ['*']\n  settings: " + json + "\n";
      }
      auto server = testing::PolicyServer::Start(policies_yml, {"--continue-on-errors"});
      ASSERT_TRUE(server);
      for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        auto request = PrepareRequest(c);
        ASSERT_TRUE(request) << request.error().message;
        const json::value* settings = FindKey(c.spec, "settings");
        std::string settings_json = settings ? ToJson(*settings) : "{}";
        std::vector<std::string> args = {testing::KwctlBinary(), "run", wasm.string(), "-r",
                                         request->path, "--settings-json", settings_json};
        if (request->raw) args.push_back("--raw");
        testing::ProcessResult run = testing::RunProcess(args);
        const json::value* review_request =
            request->raw ? nullptr : FindKey(request->review, "request");
        std::string review = review_request ? ToJson(request->review)
                                            : "{\"request\":" + ToJson(request->review) + "}";
        auto served = server->Post(
            (request->raw ? "/validate_raw/" : "/validate/") + ids[settings_json], review);
        ASSERT_EQ(served.status, 200) << served.body;
        auto answer = ParseJson(served.body, "policy-server answer");
        ASSERT_TRUE(answer) << served.body;
        const json::value& response = answer->at("response");
        if (run.exit_code == 1) {
          constexpr std::string_view kKwctl = "Provided settings are not valid: ";
          std::size_t at = run.err.find(kKwctl);
          ASSERT_NE(at, std::string::npos) << run.err;
          // The rest of kwctl's error, which may span lines.
          std::string why = run.err.substr(at + kKwctl.size());
          while (!why.empty() && why.back() == '\n') why.pop_back();
          // kwctl prints errors escaped for a terminal (tabs and other controls, cli/log_format.h):
          // the server's message, escaped the same way, must read the same.
          std::string message = StringAt(response, {"status", "message"});
          while (!message.empty() && message.back() == '\n') message.pop_back();
          spdlog::memory_buf_t escaped;
          cli::AppendEscaped(message, cli::Escaping::kTextLines, escaped);
          EXPECT_EQ(std::string(escaped.data(), escaped.size()),
                    "Policy settings are invalid: " + why);
        } else {
          ASSERT_EQ(run.exit_code, 0) << run.err;
          auto printed = ParseJson(run.out, "kwctl output");
          ASSERT_TRUE(printed) << run.out;
          EXPECT_EQ(*printed, response) << "kwctl: " << run.out << "\nserver: " << served.body;
        }
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 500u);
}

// Registers one test per case before main() runs.
const bool kRegistered = [] {
  for (const Suite& suite : kSuites) {
    for (Case& c : DiscoverCases(suite)) {
      std::string name = TestNameOf(c.policy) + "/" + c.name;
      std::string file = (c.dir / "cases.yaml").string();
      ::testing::RegisterTest(suite.name, name.c_str(), nullptr, nullptr, file.c_str(), 1,
                              [c]() -> ::testing::Test* { return new PolicyCaseTest(c); });
    }
  }
  return true;
}();

}  // namespace
}  // namespace kw
