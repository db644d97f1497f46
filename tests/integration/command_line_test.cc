// What a user meets at the command line of the real `kwctl` and `policy-server` binaries, where
// they trip (issue 11): numeric flags out of range, unknown subcommands, shell completions, a
// module run in the wrong execution mode, ports given twice or already in use, and log lines
// that interpolate text with control characters. Asserts the messages, exit codes and outputs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::TestData;

std::string Request(const std::string& name) {
  return testing::SourcePath("tests/data/requests/" + name);
}

ProcessResult Kwctl(std::vector<std::string> args) { return testing::RunKwctl(std::move(args)); }

// policy-server on loopback with `args` after the address and `--policies`, run to its exit.
// `policies_yml` names a module that does not exist unless given: a start-up error that is
// about anything else than that module then proves it came before the policies loaded.
ProcessResult RunServer(std::vector<std::string> args,
                        const std::string& policies_yml = "p:\n  module: /nonexistent/p.wasm\n") {
  std::vector<std::string> argv = {testing::PolicyServerBinary(), "--addr", "127.0.0.1",
                                   "--policies", testing::WriteTempFile("policies.yml", policies_yml)};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunProcess(argv);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// --- numeric flags: readable ranges ---------------------------------------------------------

// CLI11's own range checks print their bounds with std::to_string: 309 digits for "any positive
// number". None of that may reach a user.
void ExpectReadableUsageError(const ProcessResult& r, const std::string& expected) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(expected));
  EXPECT_THAT(r.err, Not(HasSubstr("not in range")));
  EXPECT_THAT(r.err, Not(HasSubstr(".000000")));
  EXPECT_LT(r.err.size(), 300u) << r.err;
}

// A usage error and the message it must carry.
struct UsageCase {
  std::vector<std::string> args;
  std::string expected;
};

TEST(NumericFlags, PolicyServerRangesReadAsSentences) {
  for (const UsageCase& c : std::vector<UsageCase>{
           // 0 is refused, with what really turns the timeout off.
           {{"--policy-timeout", "0"},
            "--policy-timeout: '0' is not allowed: expected a whole number from 1 to 1000000; to "
            "run policies without a timeout, use --disable-timeout-protection"},
           {{"--policy-timeout", "1.5"},
            "--policy-timeout: '1.5' is not allowed: expected a whole number"},
           {{"--client-read-timeout", "0"},
            "--client-read-timeout: '0' is not allowed: expected a number greater than 0 and at "
            "most 1000000"},
           {{"--port", "70000"},
            "--port: '70000' is not allowed: expected a whole number from 0 to 65535"},
           {{"--readiness-probe-port", "-1"}, "--readiness-probe-port: '-1' is not allowed"},
           {{"--enable-metrics", "--metrics-port", "x"}, "--metrics-port: 'x' is not allowed"},
           {{"--workers", "0"},
            "--workers: '0' is not allowed: expected a whole number from 1 to 1024"},
           {{"--log-fmt", "xml"},
            "--log-fmt: 'xml' is not allowed: expected one of text, json, otlp"}}) {
    ExpectReadableUsageError(RunServer(c.args), c.expected);
  }
}

TEST(NumericFlags, KwctlTimeoutOfZeroMeansNoTimeout) {
  // The documented meaning (README, --help): the evaluation runs, unbounded.
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                  "--policy-timeout", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"allowed\":true"));
  EXPECT_THAT(Kwctl({"run", "--help"}).out, HasSubstr("0 = no timeout"));
}

TEST(NumericFlags, KwctlRangesReadAsSentences) {
  for (const UsageCase& c : std::vector<UsageCase>{
           {{"run", "--policy-timeout", "-1"},
            "--policy-timeout: '-1' is not allowed: expected a number from 0 to 1000000"},
           {{"run", "--policy-timeout", "soon"}, "--policy-timeout: 'soon'"},
           {{"run", "--memory-limit", "0"},
            "--memory-limit: '0' is not allowed: expected a whole number from 1 to 4096"},
           {{"bench", "--warm-up-time", "0"},
            "--warm-up-time: '0' is not allowed: expected a number greater than 0 and at most "
            "1000000"},
           {{"bench", "--measurement-time", "-3"}, "--measurement-time: '-3' is not allowed"},
           {{"bench", "--num-samples", "0"},
            "--num-samples: '0' is not allowed: expected a whole number from 1 to 1000000"}}) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {TestData("test_policy.wasm"), "-r", Request("pod_plain.json")});
    ExpectReadableUsageError(Kwctl(args), c.expected);
  }
}

// --- subcommands ----------------------------------------------------------------------------

constexpr const char* kKwctlSubcommands =
    "run, bench, inspect, annotate, info, pull, verify, push, policies, rm, digest, save, load, "
    "scaffold, completions";

TEST(KwctlSubcommands, AnUnknownOneIsNamedWithTheValidOnes) {
  auto r = Kwctl({"foo"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, std::string("unknown subcommand 'foo' for `kwctl`: expected one of ") +
                       kKwctlSubcommands + "\nRun `kwctl --help` for more information.\n");

  auto nested = Kwctl({"-v", "scaffold", "manfest"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_THAT(nested.err,
              HasSubstr("unknown subcommand 'manfest' for `kwctl scaffold`: expected one of "
                        "admission-request, verification-config, manifest, vap, artifacthub\nRun "
                        "`kwctl scaffold --help`"));
}

TEST(KwctlSubcommands, AMissingOneIsAskedFor) {
  auto option = Kwctl({"--bogus"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_THAT(option.err, HasSubstr("unknown option '--bogus' for `kwctl`, which needs a "
                                    "subcommand: expected one of run, bench"));
  auto scaffold = Kwctl({"scaffold"});
  EXPECT_EQ(scaffold.exit_code, 2);
  EXPECT_THAT(scaffold.err, HasSubstr("`kwctl scaffold` needs a subcommand: expected one of "
                                      "admission-request, verification-config"));
  // Nothing at all: the help, as upstream prints it.
  auto bare = Kwctl({});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_THAT(bare.err, AllOf(HasSubstr("Usage: kwctl"), HasSubstr("completions")));
}

TEST(KwctlSubcommands, CompletionsNeedsAKnownShell) {
  auto missing = Kwctl({"completions"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--shell is required"));
  auto unknown = Kwctl({"completions", "--shell", "powershell"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err,
              HasSubstr("--shell: 'powershell' is not allowed: expected one of bash, zsh, fish"));
}

TEST(KwctlHelp, RunNamesEveryKindOfPolicyItTakes) {
  for (const char* command : {"run", "bench"}) {
    auto r = Kwctl({command, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, AllOf(HasSubstr("registry://"), HasSubstr("https://"),
                             HasSubstr("file://"), HasSubstr(".yaml/.yml")))
        << command;
  }
}

// --- completions ----------------------------------------------------------------------------

std::string CompletionScript(const std::string& shell) {
  auto r = Kwctl({"completions", "-s", shell});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return testing::WriteTempFile("kwctl." + shell, r.out);
}

// What bash completes for the words of `line` (the last one being completed, "" for a new
// word), with the script loaded as a user loads it.
std::vector<std::string> BashCompletions(const std::string& script,
                                         const std::vector<std::string>& words) {
  std::string array;
  for (const auto& w : words) array += " '" + w + "'";
  auto r = testing::RunProcess(
      {"/bin/bash", "-c",
       "source '" + script + "' && COMP_WORDS=(" + array + ") && COMP_CWORD=" +
           std::to_string(words.size() - 1) +
           " && _kwctl && printf '%s\\n' \"${COMPREPLY[@]}\""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> out;
  for (auto& line : Lines(r.out)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

TEST(KwctlCompletions, BashRegistersAndCompletesTheRealTree) {
  std::string script = CompletionScript("bash");
  auto registered = testing::RunProcess(
      {"/bin/bash", "-c", "source '" + script + "' && complete -p kwctl"});
  EXPECT_EQ(registered.out, "complete -F _kwctl kwctl\n") << registered.err;

  using V = std::vector<std::string>;
  EXPECT_EQ(BashCompletions(script, {"kwctl", "sc"}), V{"scaffold"});
  EXPECT_EQ(BashCompletions(script, {"kwctl", "-v", "com"}), V{"completions"});
  EXPECT_EQ(BashCompletions(script, {"kwctl", "scaffold", "ma"}), V{"manifest"});
  EXPECT_EQ(BashCompletions(script, {"kwctl", "run", "--req"}), V{"--request-path"});
  EXPECT_EQ(BashCompletions(script, {"kwctl", "completions", "--shell", ""}),
            (V{"bash", "zsh", "fish"}));
  EXPECT_EQ(BashCompletions(script, {"kwctl", "scaffold", "manifest", "-t", "Cl"}),
            V{"ClusterAdmissionPolicy"});
  // The value of an option is stepped over: `run` here is a file name, not the subcommand.
  EXPECT_EQ(BashCompletions(script, {"kwctl", "bench", "-r", "run", "--num"}),
            V{"--num-samples"});
  // Every subcommand, and nothing else, where one is expected.
  auto top = BashCompletions(script, {"kwctl", ""});
  std::set<std::string> names(top.begin(), top.end());
  std::set<std::string> expected;
  for (std::string_view rest = kKwctlSubcommands; !rest.empty();) {
    std::size_t comma = rest.find(", ");
    expected.emplace(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 2);
  }
  EXPECT_EQ(names, expected);
}

TEST(KwctlCompletions, ZshScriptIsValidAndCoversTheTree) {
  std::string script = CompletionScript("zsh");
  std::string text = ReadFile(script).value();
  EXPECT_EQ(text.rfind("#compdef kwctl\n", 0), 0u);
  EXPECT_THAT(text, AllOf(HasSubstr("_kwctl__scaffold__manifest() {"),
                          HasSubstr("'completions:Generate shell completions"),
                          HasSubstr("{-s+,--shell=}'[Shell type]:shell:(bash zsh fish)'"),
                          HasSubstr("compdef _kwctl kwctl")));
  // zsh is installed by scripts/setup.sh.
  auto parsed = testing::RunProcess({"/usr/bin/zsh", "-n", script});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
}

TEST(KwctlCompletions, FishScriptIsValidAndCoversTheTree) {
  std::string script = CompletionScript("fish");
  std::string text = ReadFile(script).value();
  EXPECT_THAT(text,
              AllOf(HasSubstr("complete -c kwctl -n '__fish_use_subcommand' -f -a completions"),
                    HasSubstr("complete -c kwctl -n '__fish_seen_subcommand_from completions' -s s "
                              "-l shell -r -f -a 'bash zsh fish'"),
                    HasSubstr("complete -c kwctl -n '__fish_seen_subcommand_from scaffold; and "
                              "__fish_seen_subcommand_from manifest' -s t -l type")));
  // fish is installed by scripts/setup.sh.
  auto parsed = testing::RunProcess({"/usr/bin/fish", "--no-execute", script});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
}

// --- execution modes: what the module is, and which mode runs it ----------------------------

TEST(ExecutionMode, KwctlSaysAWasiProgramIsNotAWapcPolicy) {
  auto r = Kwctl({"run", TestData("wasi_policy.wasm"), "-r", Request("pod_plain.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("this module is not a waPC policy: it exports no `__guest_call` "
                              "function. It looks like a WASI program (it exports `_start`): run "
                              "it with execution mode `wasi` (`kwctl run -e wasi`, or "
                              "`executionMode: wasi` in its metadata"),
                    Not(HasSubstr("Provided settings are not valid"))));
  // Which is right: in that mode it runs.
  auto wasi = Kwctl({"run", TestData("wasi_policy.wasm"), "-e", "wasi", "-r",
                     Request("pod_plain.json")});
  EXPECT_EQ(wasi.exit_code, 0) << wasi.err;
}

TEST(ExecutionMode, KwctlNamesTheRightModeForEachMismatch) {
  struct Case {
    std::string module;
    std::string mode;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"opa_privileged_v1_3.wasm", "kubewarden-wapc",
            "this module is not a waPC policy: it exports no `__guest_call` function. It looks "
            "like a Rego policy built by `opa build -t wasm` (it exports `opa_eval`"},
           {"opa_privileged_v1_3.wasm", "kubewarden-wapc",
            "run it with execution mode `opa` or `gatekeeper` (`kwctl run -e opa`"},
           {"test_policy.wasm", "wasi",
            "this module is not a WASI program: it exports no `_start` function. It looks like a "
            "waPC policy (it exports `__guest_call`): run it with execution mode "
            "`kubewarden-wapc` (`kwctl run -e kubewarden-wapc`"},
           {"test_policy.wasm", "gatekeeper",
            "the module does not implement the OPA wasm ABI 1.x: it exports no "
            "`opa_wasm_abi_version` global (modules built for OPA wasm ABI versions before 1.0 "
            "are not supported). It looks like a waPC policy"},
           {"wasi_policy.wasm", "opa", "It looks like a WASI program (it exports `_start`)"},
           {"missing_guest_call.wasm", "kubewarden-wapc",
            "it exports no `__guest_call` function. It exports none of `__guest_call` (waPC), "
            "`_start` (WASI) or `opa_*` symbols (Rego): it does not look like a Kubewarden "
            "policy"}}) {
    auto r = Kwctl({"run", TestData(c.module), "-e", c.mode, "-r", Request("pod_plain.json")});
    EXPECT_EQ(r.exit_code, 1) << c.module << " as " << c.mode;
    EXPECT_THAT(r.err, HasSubstr(c.expected)) << c.module << " as " << c.mode;
  }
}

TEST(ExecutionMode, PolicyServerRefusesAWasiProgramRunAsWapcAtStartUp) {
  auto r = RunServer({"--port", std::to_string(testing::FreeLoopbackPort()),
                      "--readiness-probe-port", std::to_string(testing::FreeLoopbackPort())},
                     "go-program:\n  module: " + TestData("wasi_policy.wasm") + "\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("go-program"),
                           HasSubstr("this module is not a waPC policy: it exports no "
                                     "`__guest_call` function. It looks like a WASI program"),
                           HasSubstr("`executionMode: wasi` in its metadata, embedded by `kwctl "
                                     "annotate`, which is what policy-server reads")));
}

// --- listening ports: checked before the policies load ---------------------------------------

// A socket listening on a loopback port, held for the test's lifetime.
class HeldPort {
 public:
  HeldPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~HeldPort() { close(fd_); }
  std::string port() const { return std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ListeningPorts, TheSamePortTwiceIsRefusedBeforeLoading) {
  std::string port = std::to_string(testing::FreeLoopbackPort());
  auto r = RunServer({"--port", port, "--readiness-probe-port", port});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: --port and --readiness-probe-port are both " + port +
                       ": each listener needs a port of its own\n");

  auto metrics = RunServer({"--port", std::to_string(testing::FreeLoopbackPort()),
                            "--readiness-probe-port", port, "--enable-metrics",
                            "--metrics-port", port});
  EXPECT_EQ(metrics.exit_code, 1);
  EXPECT_THAT(metrics.err, HasSubstr("--readiness-probe-port and --metrics-port are both " +
                                     port));
}

TEST(ListeningPorts, APortInUseIsNamedBeforeLoading) {
  HeldPort held;
  std::string free_port = std::to_string(testing::FreeLoopbackPort());
  auto api = RunServer({"--port", held.port(), "--readiness-probe-port", free_port});
  EXPECT_EQ(api.exit_code, 1);
  // The module does not exist: an error about the port proves the port came first.
  EXPECT_EQ(api.err, "Error: cannot listen on 127.0.0.1:" + held.port() +
                         " (--port): Address already in use\n");

  auto readiness = RunServer({"--port", free_port, "--readiness-probe-port", held.port()});
  EXPECT_EQ(readiness.exit_code, 1);
  EXPECT_EQ(readiness.err, "Error: cannot listen on 127.0.0.1:" + held.port() +
                               " (--readiness-probe-port): Address already in use\n");
}

// --- log lines: control characters escaped ----------------------------------------------------

// A module URI carrying a newline, a carriage return, an escape sequence, DEL and a C1 control
// (YAML double-quoted escapes): once in a log line, it must not break it.
constexpr const char* kHostileUriYaml = R"("/nonexistent/a\nFORGED\r\e[2J\x7f\u0085.wasm")";
constexpr const char* kHostileUriEscaped = R"(/nonexistent/a\nFORGED\r\x1b[2J\x7f\u{0085}.wasm)";

// What may drive a terminal or hide text: ESC, CR, DEL and the C1 controls.
void ExpectNoRawControls(const std::string& text) {
  EXPECT_EQ(text.find_first_of("\x1b\r\x7f"), std::string::npos) << text;
  EXPECT_EQ(text.find("\xc2\x85"), std::string::npos) << text;
}

// Errors keep their line breaks (some list what failed on lines of their own), and escape every
// other control character.
constexpr const char* kHostileUriInError = "/nonexistent/a\nFORGED\\r\\x1b[2J\\x7f\\u{0085}.wasm";

// Each log line of policy-server's text format starts with its timestamp.
const std::regex kTextLogLine(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z +[A-Z]+ policy_server: .*)");

TEST(LogLines, PolicyServerTextLogsEscapeControlCharacters) {
  auto server = testing::PolicyServer::Start(
      std::string("hostile:\n  module: ") + kHostileUriYaml + "\n",
      {"--continue-on-errors", "--log-no-color"});
  ASSERT_TRUE(server);
  std::string out = server->process().Stdout();
  EXPECT_THAT(out, HasSubstr(kHostileUriEscaped));
  for (const std::string& line : Lines(out)) {
    EXPECT_TRUE(std::regex_match(line, kTextLogLine)) << "a forged or broken line: " << line;
    ExpectNoRawControls(line);
  }
}

TEST(LogLines, PolicyServerJsonLogsAreOneValidObjectPerLine) {
  auto server = testing::PolicyServer::Start(
      std::string("hostile:\n  module: ") + kHostileUriYaml + "\n",
      {"--continue-on-errors", "--log-fmt", "json"});
  ASSERT_TRUE(server);
  bool seen = false;
  for (const std::string& line : Lines(server->process().Stdout())) {
    auto entry = ParseJson(line);
    ASSERT_TRUE(entry && entry->is_object()) << "not one JSON object: " << line;
    std::string message(entry->at("fields").at("message").as_string());
    // The message is the text as it was, once the JSON is read.
    seen |= message.find("/nonexistent/a\nFORGED\r\x1b[2J\x7f\xc2\x85.wasm") != std::string::npos;
    ExpectNoRawControls(line);
  }
  EXPECT_TRUE(seen);
}

TEST(LogLines, PolicyServerStartUpErrorEscapesControlCharacters) {
  auto r = RunServer({"--port", std::to_string(testing::FreeLoopbackPort()),
                      "--readiness-probe-port", std::to_string(testing::FreeLoopbackPort())},
                     std::string("hostile:\n  module: ") + kHostileUriYaml + "\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(kHostileUriInError));
  ExpectNoRawControls(r.err);
}

TEST(LogLines, KwctlLogsAndErrorsEscapeControlCharacters) {
  // A policy CR whose name (the policy id in kwctl's logs) holds a newline and an escape
  // sequence. The guest logs before spinning until the timeout; both lines carry the id.
  std::string crd = testing::WriteTempFile(
      "policy.yaml",
      "apiVersion: policies.kubewarden.io/v1\n"
      "kind: ClusterAdmissionPolicy\n"
      "metadata:\n"
      "  name: \"spinner\\nFORGED \\e[31mred\"\n"
      "spec:\n"
      "  module: " + TestData("validate_loop.wasm") + "\n");
  auto r = Kwctl({"--no-color", "run", crd, "-r", Request("pod_plain.json"),
                  "--policy-timeout", "0.2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("spinner\\nFORGED \\x1b[31mred"));
  const std::regex log_line(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z [a-z]+ .*)");
  for (const std::string& line : Lines(r.err)) {
    EXPECT_TRUE(std::regex_match(line, log_line)) << "a forged or broken line: " << line;
  }

  auto error = Kwctl({"run", "/nonexistent/a\nFORGED\r\x1b[2J\x7f\xc2\x85.wasm", "-r",
                      Request("pod_plain.json")});
  EXPECT_EQ(error.exit_code, 1);
  EXPECT_THAT(error.err, HasSubstr(kHostileUriInError));
  ExpectNoRawControls(error.err);
}

}  // namespace
}  // namespace kw
