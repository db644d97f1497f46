// policy-server under abusive clients, end to end: floods of silent connections (memory per
// connection, and whether it goes back), connections past the open-file limit, and many large
// bodies at once (the request memory budget). The real binary on loopback, its open-file limit
// lowered with prlimit(1) where the test needs it, its memory read from /proc/<pid>/status.
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "testing/certificates.h"
#include "testing/http_client.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::Eventually;

using namespace std::chrono_literals;
using testing::Http;
using testing::HttpOptions;
using testing::PolicyServer;
using testing::RawConnection;

constexpr std::size_t kMiB = 1u << 20;

std::string PlainReview() { return "{\"request\":" + testing::RequestFile("pod_plain.json") + "}"; }

std::string Policies() {
  return "privileged:\n  module: " + testing::TestData("test_policy.wasm") + "\n";
}

bool Accepted(const testing::HttpResult& r) {
  return r.ok() && r.status == 200 && r.body.find("\"allowed\":true") != std::string::npos;
}

std::string RawPost(std::string_view body, std::string_view extra = "") {
  return "POST /validate/privileged HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// Lets this test process open `needed` descriptors; false when its hard limit is lower.
bool AllowOpenFiles(rlim_t needed) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max < needed) return false;
  limit.rlim_cur = limit.rlim_max;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

int Get(const std::string& url) {
  HttpOptions get;
  get.method = "GET";
  get.content_type.reset();
  get.timeout = 10s;
  auto r = Http(url, get);
  return r.ok() ? static_cast<int>(r.status) : 0;
}

int Readiness(const PolicyServer& server) {
  return Get("http://127.0.0.1:" + std::to_string(server.readiness_port()) + "/readiness");
}

// A TLS client that completes its handshake, then sends nothing.
class SilentTlsClient {
 public:
  explicit SilentTlsClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    timeval handshake_timeout{20, 0};  // never hang the test
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &handshake_timeout, sizeof handshake_timeout);
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    handshaken_ = SSL_connect(ssl_) == 1;
  }
  ~SilentTlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }

  bool handshaken() const { return handshaken_; }

  // Whether the server closes the connection within `timeout`.
  bool ClosedWithin(std::chrono::seconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte;
    // Session tickets come first (TLS 1.3), then the end of the connection, or nothing.
    int n = SSL_read(ssl_, &byte, 1);
    return n <= 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshaken_ = false;
};

// --- silent connections -----------------------------------------------------------------------

// The red-team flood, scaled down: thousands of connections to the TLS port that send nothing.
// Each used to cost about 86 KiB (TLS state and read buffers made at accept), kept after close.
TEST(SilentConnections, CostLittleMemoryWhichGoesBackOnClose) {
  constexpr int kConnections = 3000;
  if (!AllowOpenFiles(kConnections + 200)) GTEST_SKIP() << "the open-file limit is too low";
  testing::Certificates certs = testing::MakeCertificates();
  // A long read timeout, so that the connections stay open while they are measured.
  auto server = PolicyServer::Start(Policies(),
                                    {"--cert-file", certs.server_cert, "--key-file",
                                     certs.server_key, "--client-read-timeout", "60"},
                                    /*tls=*/true);
  ASSERT_TRUE(server);
  HttpOptions validate;
  validate.ca_file = certs.ca;
  validate.body = PlainReview();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Accepted(Http(server->Url("/validate/privileged"), validate)));
  const std::size_t baseline = testing::ResidentBytes(server->process().pid());

  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < kConnections; ++i) {
    flood.push_back(std::make_unique<RawConnection>(server->port()));
  }
  // Connections are accepted in order: once a later one is answered, the flood is all in.
  EXPECT_TRUE(Accepted(Http(server->Url("/validate/privileged"), validate)));
  EXPECT_EQ(Readiness(*server), 200);
  const std::size_t during = testing::ResidentBytes(server->process().pid());
  EXPECT_LT(during, baseline + kConnections * 8 * 1024)
      << "RSS grew by " << (during - baseline) / kConnections << " bytes per silent connection";

  flood.clear();
  std::size_t after = 0;
  EXPECT_TRUE(Eventually([&] {
    after = testing::ResidentBytes(server->process().pid());
    return after < baseline + 8 * kMiB;
  }, 15s)) << "RSS " << after / 1024 << " KiB after the flood closed, " << baseline / 1024
      << " KiB before it";
  EXPECT_TRUE(Accepted(Http(server->Url("/validate/privileged"), validate)));
}

// Connections that have not sent a request are closed at the read timeout, not kept for the
// keep-alive idle timeout (120 s): neither a silent one nor one that only did a TLS handshake.
TEST(SilentConnections, AreClosedAtTheReadTimeout) {
  testing::Certificates certs = testing::MakeCertificates();
  auto server = PolicyServer::Start(Policies(),
                                    {"--cert-file", certs.server_cert, "--key-file",
                                     certs.server_key, "--client-read-timeout", "1"},
                                    /*tls=*/true);
  ASSERT_TRUE(server);
  RawConnection silent(server->port());
  SilentTlsClient handshake_only(server->port());
  ASSERT_TRUE(handshake_only.handshaken());
  bool closed = false;
  EXPECT_EQ(silent.ReadUntilClosed(20s, &closed), "");
  EXPECT_TRUE(closed) << "a connection that sent nothing should be closed at the read timeout";
  EXPECT_TRUE(handshake_only.ClosedWithin(20s))
      << "a connection that sent no request should be closed at the read timeout";
}

// --- the connection limit ---------------------------------------------------------------------

// Opens `count` connections to `port` that send nothing, and waits until the server has dealt
// with the last one: admitted connections stay open (a long read timeout), so when the server
// sheds connections, the last one is closed, and, accepts being in order, all the others have
// been admitted or shed too. False when the last one was not closed.
bool Flood(int port, int count, std::vector<std::unique_ptr<RawConnection>>& out) {
  for (int i = 0; i < count; ++i) out.push_back(std::make_unique<RawConnection>(port));
  bool closed = false;
  out.back()->ReadUntilClosed(15s, &closed);
  return closed;
}

// Sends a request on each of `connections`: how many are answered.
int Answered(std::vector<std::unique_ptr<RawConnection>>& connections) {
  const std::string request = RawPost(PlainReview(), "Connection: close\r\n");
  for (auto& c : connections) c->Send(request);
  int answered = 0;
  for (auto& c : connections) {
    bool closed = false;
    if (c->ReadUntilClosed(15s, &closed).starts_with("HTTP/1.1 200 OK")) ++answered;
  }
  return answered;
}

TEST(ConnectionLimit, ShedsTheExcessAndKeepsTheProbesAnswering) {
  if (!AllowOpenFiles(600)) GTEST_SKIP() << "the open-file limit is too low";
  const int metrics_port = testing::FreeLoopbackPort();
  // 256 descriptors: 128 for API connections by default; asking for more only warns.
  auto server = PolicyServer::Start(
      Policies(),
      {"--client-read-timeout", "60", "--enable-metrics", "--metrics-port",
       std::to_string(metrics_port), "--max-connections", "100000"},
      /*tls=*/false, {"/usr/bin/prlimit", "--nofile=256:256", "--"});
  ASSERT_TRUE(server);
  const std::string out = server->process().Stdout();
  EXPECT_NE(out.find("--max-connections 100000 is more than the open-file limit (256) allows: "
                     "serving at most 128 connections"),
            std::string::npos)
      << out;

  std::vector<std::unique_ptr<RawConnection>> flood;
  ASSERT_TRUE(Flood(server->port(), 300, flood)) << "connections past the limit should be closed";
  // At the limit, the probes and the metrics still answer, and new API connections are closed.
  EXPECT_EQ(Readiness(*server), 200);
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"), 200);
  EXPECT_FALSE(server->Post("/validate/privileged", PlainReview()).ok());
  EXPECT_EQ(Answered(flood), 128);
  EXPECT_TRUE(server->process().Running());
  EXPECT_NE(server->process().Stdout().find("at the limit of 128 connections: closing new "
                                            "connections at once"),
            std::string::npos);
  // Once they are gone, new connections are served again.
  flood.clear();
  EXPECT_TRUE(Eventually(
      [&] { return Accepted(server->Post("/validate/privileged", PlainReview())); }, 15s));
}

TEST(ConnectionLimit, IsReadFromTheEnvironmentToo) {
  auto server = PolicyServer::Start(Policies(), {"--client-read-timeout", "60"}, /*tls=*/false,
                                    {"/usr/bin/env", "KUBEWARDEN_MAX_CONNECTIONS=20"});
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawConnection>> flood;
  ASSERT_TRUE(Flood(server->port(), 30, flood));
  EXPECT_EQ(Answered(flood), 20);
  EXPECT_NE(server->process().Stdout().find("serving at most 20 API connections"),
            std::string::npos);
}

// --- the request memory budget ----------------------------------------------------------------

// A valid AdmissionReview of `size` bytes (JSON allows the padding).
std::string ReviewOfSize(std::size_t size) {
  std::string review = PlainReview();
  review.resize(size, ' ');
  return review;
}

TEST(RequestMemoryBudget, RequestsPastItAreAnswered503AndNothingElseIsLost) {
  // 4 MiB: one 2 MiB body fits, a second one does not (large requests may use three quarters).
  auto server = PolicyServer::Start(Policies(), {"--max-request-buffer-mib", "4",
                                                 "--client-read-timeout", "30"});
  ASSERT_TRUE(server);
  const std::string large = RawPost(ReviewOfSize(2 * kMiB - 1), "Connection: close\r\n");
  const std::string_view all_but_last(large.data(), large.size() - 1);

  RawConnection first(server->port());
  std::thread sending([&] { first.Send(all_but_last); });
  sending.join();
  ASSERT_TRUE(first.WaitUntilPeerHasRead(15s));  // the server holds the whole body

  RawConnection second(server->port());
  std::thread refused([&] { second.Send(large); });
  bool closed = false;
  std::string busy = second.ReadUntilClosed(15s, &closed);
  refused.join();
  EXPECT_TRUE(busy.starts_with("HTTP/1.1 503 Service Unavailable")) << busy.substr(0, 300);
  EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos) << busy;
  EXPECT_NE(busy.find("the server is receiving too many requests at once: retry later"),
            std::string::npos)
      << busy;

  // Small requests still go through, the held one completes, and the refused one, retried.
  EXPECT_TRUE(Accepted(server->Post("/validate/privileged", PlainReview())));
  ASSERT_TRUE(first.Send(large.substr(large.size() - 1)));
  std::string answer = first.ReadUntilClosed(15s, &closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK")) << answer.substr(0, 300);
  EXPECT_NE(answer.find("\"allowed\":true"), std::string::npos);
  EXPECT_TRUE(Accepted(server->Post("/validate/privileged", ReviewOfSize(2 * kMiB - 1))));
  EXPECT_NE(server->process().Stdout().find("requests are holding the whole request memory "
                                            "budget (4 MiB)"),
            std::string::npos);
}

// The red-team case, scaled down: many clients each sending a body just under the 2 MiB limit,
// then stalling. Without the budget each held its 2 MiB until the read timeout.
TEST(RequestMemoryBudget, BoundsTheMemoryOfStalledBodies) {
  constexpr int kClients = 32;
  auto server = PolicyServer::Start(Policies(), {"--max-request-buffer-mib", "4",
                                                 "--client-read-timeout", "30"});
  ASSERT_TRUE(server);
  const std::size_t baseline = testing::ResidentBytes(server->process().pid());
  const std::string large = RawPost(ReviewOfSize(2 * kMiB - 1));
  const std::string_view all_but_last(large.data(), large.size() - 1);
  std::vector<std::unique_ptr<RawConnection>> clients;
  std::vector<std::thread> senders;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawConnection>(server->port()));
    senders.emplace_back([&, c = clients.back().get()] { c->Send(all_but_last); });
  }
  for (auto& t : senders) t.join();
  int refused = 0;
  for (auto& c : clients) {
    // Held bodies were read whole; refused ones were answered and read to their end.
    EXPECT_TRUE(c->WaitUntilPeerHasRead(15s));
  }
  const std::size_t during = testing::ResidentBytes(server->process().pid());
  for (auto& c : clients) {
    bool closed = false;
    if (c->ReadUntilClosed(5s, &closed).starts_with("HTTP/1.1 503")) ++refused;
  }
  EXPECT_GE(refused, kClients - 2);
  EXPECT_LT(during, baseline + 24 * kMiB)
      << "RSS grew by " << (during - baseline) / kMiB << " MiB with " << kClients
      << " stalled 2 MiB bodies and a 4 MiB budget";
  EXPECT_EQ(Readiness(*server), 200);
  EXPECT_TRUE(Accepted(server->Post("/validate/privileged", PlainReview())));
}

// --- hostile memory ---------------------------------------------------------------------------

// A WASI policy that mallocs until its memory cap (256 MiB) and fails, request after request on
// both workers: each dropped instance's memory goes back to the system at once. Left to V8's
// garbage collector it stayed resident for many requests (RSS above 500 MiB after five).
TEST(HostileMemory, DroppedInstancesDoNotStayResident) {
  const std::string policies = "bomb:\n  module: " +
                               testing::AnnotatedRegoFixture("wasi_policy.wasm", "wasi") +
                               "\n  settings: {mode: memory_bomb}\n" + Policies();
  // Filling 256 MiB takes a while on a busy machine: the deadline must not cut it short.
  auto server = PolicyServer::Start(policies, {"--workers", "2", "--policy-timeout", "60"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(Accepted(server->Post("/validate/privileged", PlainReview())));
  const std::size_t baseline = testing::ResidentBytes(server->process().pid());
  for (int i = 0; i < 8; ++i) {
    testing::HttpResult r = server->Post("/validate/bomb", PlainReview());
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_NE(r.body.find("malloc failed after"), std::string::npos) << r.body;
  }
  const std::size_t after = testing::ResidentBytes(server->process().pid());
  EXPECT_LT(after, baseline + 128 * kMiB)
      << "RSS grew by " << (after - baseline) / kMiB << " MiB over 8 memory bombs";
  EXPECT_TRUE(Accepted(server->Post("/validate/privileged", PlainReview())));
}

}  // namespace
}  // namespace kw
