// policy-server across changes to its surroundings, end to end: certificate files rewritten
// while it serves (hot reload, policy-server.md §1.2), and restarts that find the compiled code
// of the previous run (the compiled-code cache). The real binary, real TLS clients.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "base/files.h"
#include "testing/certificates.h"
#include "testing/http_client.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::Eventually;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Certificates;
using testing::Http;
using testing::HttpOptions;
using testing::HttpResult;
using testing::MakeCertificates;
using testing::PolicyServer;

std::string Read(const std::string& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text) << path;
  return text ? *text : "";
}

// Rewrites `path` in place (same inode: IN_CLOSE_WRITE), as `cat new > path` does.
void Overwrite(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::trunc) << content;
}

// PEM without the line breaks, which curl and openssl place differently.
std::string Flat(std::string pem) {
  std::erase_if(pem, [](char c) { return c == '\n' || c == '\r' || c == ' '; });
  return pem;
}

std::string PlainReview() {
  return "{\"request\":" + Read(testing::SourcePath("tests/data/requests/pod_plain.json")) + "}";
}
std::string PrivilegedReview() {
  return Read(testing::SourcePath("tests/data/requests/pod_privileged.json"));
}

bool Logged(PolicyServer& server, std::string_view text) {
  return server.process().Stdout().find(text) != std::string::npos;
}

// --- certificate hot reload ------------------------------------------------------------------

class CertificateReload : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = MakeCertificates();
    b_ = MakeCertificates();
    dir_ = testing::MakeTempDir();
    // Clients trust both CAs, so that they connect whichever certificate is served.
    trusted_ = dir_ + "/trusted.pem";
    ASSERT_TRUE(WriteFile(trusted_, Read(a_.ca) + Read(b_.ca)));
  }

  // A request on a new connection: the verdict for a plain pod, and the certificate served.
  HttpResult Validate(PolicyServer& server, const Certificates* client = nullptr) {
    HttpOptions o;
    o.ca_file = trusted_;
    o.body = PlainReview();
    if (client) {
      o.cert_file = client->client_cert;
      o.key_file = client->client_key;
    }
    return Http(server.Url("/validate/privileged"), o);
  }
  bool Serves(PolicyServer& server, const Certificates& expected) {
    HttpResult r = Validate(server);
    return r.ok() && r.status == 200 && Flat(r.peer_certificate) == Flat(Read(expected.server_cert));
  }
  static bool Accepted(const HttpResult& r) {
    return r.ok() && r.status == 200 && r.body.find("\"allowed\":true") != std::string::npos;
  }

  static std::string Policies() {
    return "privileged:\n  module: " + testing::TestData("test_policy.wasm") + "\n";
  }

  Certificates a_, b_;
  std::string dir_;
  std::string trusted_;
};

TEST_F(CertificateReload, CertificateAndKeyAreReloadedOnceBothChanged) {
  std::string cert = dir_ + "/tls.crt";
  std::string key = dir_ + "/tls.key";
  ASSERT_TRUE(WriteFile(cert, Read(a_.server_cert)));
  ASSERT_TRUE(WriteFile(key, Read(a_.server_key)));
  auto server = PolicyServer::Start(Policies(), {"--cert-file", cert, "--key-file", key}, true);
  ASSERT_TRUE(server);
  ASSERT_TRUE(Serves(*server, a_));

  // The certificate alone (rewritten in place): it does not match the key in use, so A stays.
  Overwrite(cert, Read(b_.server_cert));
  ASSERT_TRUE(Eventually([&] { return Logged(*server, "TLS certificate file " + cert + " changed"); }))
      << server->process().Stdout();
  EXPECT_TRUE(Serves(*server, a_));

  // Then the key (replaced by a rename, as editors do): both changed, new connections get B.
  ASSERT_TRUE(WriteFile(key, Read(b_.server_key)));
  EXPECT_TRUE(Eventually([&] { return Serves(*server, b_); })) << server->process().Stdout();
  EXPECT_TRUE(Logged(*server, "reloaded the TLS certificate and key"));

  // Garbage in both: the reload fails, B is still served and requests still answered.
  Overwrite(cert, "not a certificate\n");
  Overwrite(key, "not a key\n");
  ASSERT_TRUE(Eventually([&] { return Logged(*server, "cannot reload the TLS certificate and key"); }))
      << server->process().Stdout();
  EXPECT_TRUE(Serves(*server, b_));
  EXPECT_TRUE(Accepted(Validate(*server)));
  HttpOptions o;
  o.ca_file = trusted_;
  o.body = PrivilegedReview();
  EXPECT_NE(Http(server->Url("/validate/privileged"), o).body.find("\"allowed\":false"),
            std::string::npos);

  // A good pair again (A) is picked up after the failure.
  Overwrite(cert, Read(a_.server_cert));
  Overwrite(key, Read(a_.server_key));
  EXPECT_TRUE(Eventually([&] { return Serves(*server, a_); })) << server->process().Stdout();
  EXPECT_TRUE(server->process().Running());
}

TEST_F(CertificateReload, KubernetesSecretVolumeUpdatesAreSeen) {
  // A Secret volume: the files are symlinks through `..data`, which the kubelet points at a new
  // timestamped directory, renamed into place, when the Secret changes.
  auto write_version = [&](const std::string& name, const Certificates& c) {
    fs::create_directory(dir_ + "/" + name);
    ASSERT_TRUE(WriteFile(dir_ + "/" + name + "/tls.crt", Read(c.server_cert)));
    ASSERT_TRUE(WriteFile(dir_ + "/" + name + "/tls.key", Read(c.server_key)));
  };
  write_version("..2024_01_01_00_00_00.1", a_);
  fs::create_directory_symlink("..2024_01_01_00_00_00.1", dir_ + "/..data");
  fs::create_symlink("..data/tls.crt", dir_ + "/tls.crt");
  fs::create_symlink("..data/tls.key", dir_ + "/tls.key");
  auto server = PolicyServer::Start(
      Policies(), {"--cert-file", dir_ + "/tls.crt", "--key-file", dir_ + "/tls.key"}, true);
  ASSERT_TRUE(server);
  ASSERT_TRUE(Serves(*server, a_));

  write_version("..2024_01_02_00_00_00.2", b_);
  fs::create_directory_symlink("..2024_01_02_00_00_00.2", dir_ + "/..data_tmp");
  fs::rename(dir_ + "/..data_tmp", dir_ + "/..data");
  fs::remove_all(dir_ + "/..2024_01_01_00_00_00.1");
  EXPECT_TRUE(Eventually([&] { return Serves(*server, b_); })) << server->process().Stdout();
}

TEST_F(CertificateReload, ClientCaChangesReloadTheVerifier) {
  std::string client_ca = dir_ + "/client-ca.pem";
  ASSERT_TRUE(WriteFile(client_ca, Read(a_.ca)));
  auto server = PolicyServer::Start(Policies(),
                                    {"--cert-file", a_.server_cert, "--key-file",
                                     a_.server_key, "--client-ca-file", client_ca},
                                    true);
  ASSERT_TRUE(server);
  EXPECT_TRUE(Accepted(Validate(*server, &a_)));
  EXPECT_FALSE(Accepted(Validate(*server, &b_)));

  // The CA file now holds B's CA: B's clients get in, A's no longer do; the server certificate
  // is the one in use.
  Overwrite(client_ca, Read(b_.ca));
  EXPECT_TRUE(Eventually([&] { return Accepted(Validate(*server, &b_)); }))
      << server->process().Stdout();
  EXPECT_FALSE(Accepted(Validate(*server, &a_)));
  HttpResult r = Validate(*server, &b_);
  EXPECT_EQ(Flat(r.peer_certificate), Flat(Read(a_.server_cert)));

  // A CA file that is not PEM: refused, B's CA stays in use.
  Overwrite(client_ca, "garbage\n");
  ASSERT_TRUE(Eventually([&] { return Logged(*server, "cannot reload the TLS client CAs"); }))
      << server->process().Stdout();
  EXPECT_TRUE(Accepted(Validate(*server, &b_)));
}

// --- compiled-code cache ---------------------------------------------------------------------

std::size_t CountEntries(const std::string& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) n += e.path().extension() == ".code";
  return n;
}

std::string TwoModules() {
  return "privileged:\n  module: " + testing::TestData("test_policy.wasm") +
         "\n"
         "accept:\n  module: " + testing::TestData("wapc_accept.wasm") + "\n";
}

void ExpectVerdicts(PolicyServer& server) {
  HttpResult plain = server.Post("/validate/privileged", PlainReview());
  ASSERT_TRUE(plain.ok()) << plain.error;
  EXPECT_NE(plain.body.find("\"allowed\":true"), std::string::npos) << plain.body;
  HttpResult privileged = server.Post("/validate/privileged", PrivilegedReview());
  EXPECT_NE(privileged.body.find("Privileged container is not allowed"), std::string::npos)
      << privileged.body;
  EXPECT_NE(server.Post("/validate/accept", PrivilegedReview()).body.find("\"allowed\":true"),
            std::string::npos);
}

TEST(CompiledCodeCache, ASecondStartLoadsTheCodeTheFirstCompiled) {
  std::string cache = testing::MakeTempDir() + "/compiled";
  {
    auto first = PolicyServer::Start(TwoModules(), {"--compiled-cache-dir", cache});
    ASSERT_TRUE(first);
    EXPECT_TRUE(Logged(*first, "(2 modules compiled, 0 from the compiled-code cache, 0 failed)"))
        << first->process().Stdout();
    ExpectVerdicts(*first);
    // Stored once V8 has optimized the code, in the background.
    EXPECT_TRUE(Eventually([&] { return CountEntries(cache) == 2; }, 30s));
  }
  auto second = PolicyServer::Start(TwoModules(), {"--compiled-cache-dir", cache});
  ASSERT_TRUE(second);
  EXPECT_TRUE(Logged(*second, "(0 modules compiled, 2 from the compiled-code cache, 0 failed)"))
      << second->process().Stdout();
  ExpectVerdicts(*second);
}

TEST(CompiledCodeCache, DamagedEntriesAreCompiledAgain) {
  std::string cache = testing::MakeTempDir() + "/compiled";
  {
    auto first = PolicyServer::Start(TwoModules(), {"--compiled-cache-dir", cache});
    ASSERT_TRUE(first);
    ASSERT_TRUE(Eventually([&] { return CountEntries(cache) == 2; }, 30s));
  }
  bool truncate = true;
  for (const auto& e : fs::directory_iterator(cache)) {
    std::string content = Read(e.path().string());
    ASSERT_TRUE(WriteFile(e.path().string(), truncate ? content.substr(0, content.size() / 2)
                                             : std::string(content.size(), '\x5a')));
    truncate = false;
  }
  auto second = PolicyServer::Start(TwoModules(), {"--compiled-cache-dir", cache});
  ASSERT_TRUE(second);
  EXPECT_TRUE(Logged(*second, "(2 modules compiled, 0 from the compiled-code cache, 0 failed)"))
      << second->process().Stdout();
  EXPECT_TRUE(Logged(*second, "ignoring compiled-code cache entry"));
  ExpectVerdicts(*second);
}

TEST(CompiledCodeCache, UnusableOrDisabledCacheOnlyCostsCompilation) {
  // A file where the directory should be: a warning, then policies compiled as usual.
  std::string file = testing::MakeTempDir() + "/not-a-directory";
  ASSERT_TRUE(WriteFile(file, "x"));
  auto unusable = PolicyServer::Start(TwoModules(), {"--compiled-cache-dir", file});
  ASSERT_TRUE(unusable);
  EXPECT_TRUE(Logged(*unusable, "compiled-code cache off")) << unusable->process().Stdout();
  EXPECT_TRUE(Logged(*unusable, "policies are compiled on every start"));
  ExpectVerdicts(*unusable);

  std::string cache = testing::MakeTempDir() + "/compiled";
  auto disabled = PolicyServer::Start(
      TwoModules(), {"--compiled-cache-dir", cache, "--disable-compiled-cache"});
  ASSERT_TRUE(disabled);
  EXPECT_TRUE(Logged(*disabled, "compiled-code cache off"));
  ExpectVerdicts(*disabled);
  EXPECT_FALSE(fs::exists(cache));
}

TEST(CompiledCodeCache, DefaultsToADirectoryInThePoliciesDownloadDir) {
  std::string download = testing::MakeTempDir();
  auto server = PolicyServer::Start(TwoModules(), {"--policies-download-dir", download});
  ASSERT_TRUE(server);
  EXPECT_TRUE(Eventually([&] { return CountEntries(download + "/compiled-code") == 2; }, 30s));
}

// --- --daemon --------------------------------------------------------------------------------

struct DaemonRun {
  std::string dir = testing::MakeTempDir();
  std::string pid_file = dir + "/policy-server.pid";
  std::string out_file = dir + "/out.log";
  int port = testing::FreeLoopbackPort();
  int readiness_port = testing::FreeLoopbackPort();

  testing::ProcessResult Start(const std::string& policies_yml) const {
    const std::string policies = dir + "/policies.yml";
    EXPECT_TRUE(WriteFile(policies, policies_yml));
    return testing::RunProcess({testing::PolicyServerBinary(), "--daemon", "--daemon-pid-file",
                                pid_file, "--daemon-stdout-file", out_file, "--addr",
                                "127.0.0.1", "--port", std::to_string(port),
                                "--readiness-probe-port", std::to_string(readiness_port),
                                "--policies", policies});
  }
};

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

// Kills a daemon the test left running (a failed assertion), which nothing else would reap.
struct KillOnExit {
  pid_t pid;
  ~KillOnExit() {
    if (Alive(pid)) kill(pid, SIGKILL);
  }
};

TEST(Daemon, DetachesAndTheCommandReturnsOnceReady) {
  DaemonRun run;
  const std::string policies =
      "privileged:\n  module: " + testing::TestData("test_policy.wasm") + "\n";
  testing::ProcessResult started = run.Start(policies);
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const pid_t pid = std::stoi(Read(run.pid_file));
  const KillOnExit cleanup{pid};
  ASSERT_TRUE(Alive(pid));
  // Ready when the command returned: no polling.
  HttpOptions get;
  get.method = "GET";
  get.content_type.reset();
  EXPECT_EQ(Http("http://127.0.0.1:" + std::to_string(run.readiness_port) + "/readiness", get)
                .status,
            200);
  EXPECT_EQ(Http("http://127.0.0.1:" + std::to_string(run.port) + "/validate/privileged",
                 {.body = PrivilegedReview()})
                .status,
            200);
  EXPECT_NE(Read(run.out_file).find("listening on 127.0.0.1"), std::string::npos);

  // The pid file is locked while the daemon runs.
  DaemonRun second;
  second.pid_file = run.pid_file;
  testing::ProcessResult refused = second.Start(policies);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("is locked: another policy-server daemon is running"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(Alive(pid));

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_TRUE(Eventually([&] { return !Alive(pid); }));
  EXPECT_FALSE(fs::exists(run.pid_file));
  EXPECT_NE(Read(run.out_file).find("shut down"), std::string::npos);
}

TEST(Daemon, StartUpErrorsReachTheCommand) {
  DaemonRun run;
  testing::ProcessResult failed = run.Start("privileged:\n  module: file:///nonexistent.wasm\n");
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("Error: "), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("nonexistent.wasm"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(run.pid_file));

  DaemonRun unwritable;
  unwritable.pid_file = "/nonexistent-dir/policy-server.pid";
  failed = unwritable.Start("{}\n");
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("cannot open the pid file '/nonexistent-dir/policy-server.pid'"),
            std::string::npos)
      << failed.err;
}

}  // namespace
}  // namespace kw
