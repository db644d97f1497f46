// The Kubernetes client (src/kube) against the API-server double (tests/kube_apiserver) over
// HTTPS: connection from kubeconfigs, discovery, the verbs, paging, watches, reflectors that
// survive broken streams, garbage and expired versions, and SubjectAccessReviews.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "base/json.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/leader_election.h"
#include "kube/reflector.h"
#include "kube/resolve.h"
#include "kube/resources.h"
#include "testing/kube_double.h"
#include "testing/process.h"

namespace kw::kube {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::shared_ptr<Client> Connect(const std::string& kubeconfig, ClientOptions options = {}) {
  ConnectionEnvironment environment;  // nothing from the process: the kubeconfig only
  auto client = ConnectToCluster({kubeconfig, ""}, options, environment);
  EXPECT_TRUE(client) << client.error().message;
  EXPECT_TRUE(client && *client);
  return client ? *client : nullptr;
}

json::value ConfigMap(const std::string& name, const std::string& value,
                      const std::string& ns = "default") {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", json::object{{"name", name}, {"namespace", ns}}},
                      {"data", json::object{{"key", value}}}};
}

std::string At(const json::value& value, std::initializer_list<std::string_view> path) {
  const json::value* current = &value;
  for (std::string_view key : path) {
    current = FindKey(*current, key);
    if (current == nullptr) return "<missing>";
  }
  return current->is_string() ? std::string(current->as_string()) : ToJson(*current);
}

// Every object a reflector holds, as "namespace/name=<data.key>".
std::vector<std::string> Contents(const Reflector& reflector, std::string_view ns = "") {
  std::vector<std::string> out;
  reflector.Visit(ns, [&](std::string_view object_ns, std::string_view name, std::string_view json) {
    auto parsed = ParseJson(json);
    out.push_back(std::string(object_ns) + "/" + std::string(name) + "=" +
                  (parsed ? At(*parsed, {"data", "key"}) : "<bad json>"));
  });
  return out;
}

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  // (Re)starts the double with `options`, and the client on it.
  void Start(const testing::KubeDoubleOptions& options) {
    kube_.reset();
    kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
    client_ = Connect(kube_->KubeconfigPath());
    ASSERT_TRUE(client_);
    discovery_ = std::make_shared<Discovery>(client_);
    auto configmaps = discovery_->Find("v1", "ConfigMap");
    ASSERT_TRUE(configmaps) << configmaps.error().message;
    configmaps_ = *configmaps;
  }

  std::unique_ptr<testing::KubeApiServerDouble> kube_;
  std::shared_ptr<Client> client_;
  std::shared_ptr<Discovery> discovery_;
  ResourceType configmaps_;
};

TEST_F(KubeClientTest, DiscoversResourcesAndNamesTheUnknownAsUpstream) {
  auto deployments = discovery_->Find("apps/v1", "Deployment");
  ASSERT_TRUE(deployments) << deployments.error().message;
  EXPECT_EQ(deployments->plural, "deployments");
  EXPECT_TRUE(deployments->namespaced);
  auto namespaces = discovery_->Find("v1", "Namespace");
  ASSERT_TRUE(namespaces);
  EXPECT_FALSE(namespaces->namespaced);

  auto unknown_kind = discovery_->Find("v1", "Nope");
  ASSERT_FALSE(unknown_kind);
  EXPECT_EQ(unknown_kind.error().message, "Cannot find resource v1/Nope");
  auto unknown_group = discovery_->Find("example.com/v1", "Widget");
  ASSERT_FALSE(unknown_group);
  EXPECT_EQ(unknown_group.error().message, "Cannot find resource example.com/v1/Widget");
}

TEST_F(KubeClientTest, AuthenticatesWithATokenAndReportsRefusals) {
  auto with_token = Connect(kube_->TokenKubeconfigPath());
  ASSERT_TRUE(with_token);
  EXPECT_TRUE(Get(*with_token, configmaps_, "default", "absent").error().kind ==
              ErrorKind::kNotFound);

  ConnectionConfig stranger;
  stranger.server = kube_->Url();
  stranger.certificate_authority_pem = kube_->CaPem();
  stranger.token = "wrong-token";
  auto client = Client::Create(stranger);
  ASSERT_TRUE(client);
  auto refused = Get(**client, configmaps_, "default", "x");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kPermissionDenied);
  EXPECT_EQ(refused.error().http_status, 401);
  EXPECT_EQ(refused.error().message, "Unauthorized");

  // A server whose certificate the configured CA did not sign is a TLS error.
  ConnectionConfig untrusting = stranger;
  untrusting.certificate_authority_pem.clear();  // the system's roots do not know the test CA
  auto untrusted = Get(**Client::Create(untrusting), configmaps_, "default", "x");
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().kind, ErrorKind::kTls);
}

TEST_F(KubeClientTest, CreatesUpdatesPatchesAppliesAndDeletes) {
  auto created = Create(*client_, configmaps_, "default", ConfigMap("settings", "one"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_NE(At(*created, {"metadata", "uid"}), "<missing>");

  auto again = Create(*client_, configmaps_, "default", ConfigMap("settings", "one"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(again.error().message, "configmaps \"settings\" already exists");

  // An update from a stale version conflicts; from the current one it lands.
  json::value stale = *created;
  stale.as_object()["data"] = json::object{{"key", "two"}};
  ASSERT_TRUE(Update(*client_, configmaps_, "default", stale));
  stale.as_object()["data"] = json::object{{"key", "three"}};
  auto conflict = Update(*client_, configmaps_, "default", stale);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().http_status, 409);
  EXPECT_TRUE(conflict.error().message.starts_with("Operation cannot be fulfilled on configmaps"))
      << conflict.error().message;

  auto patched = MergePatch(*client_, configmaps_, "default", "settings",
                            json::object{{"data", json::object{{"extra", "x"}}}});
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ(At(*patched, {"data", "key"}), "two");
  EXPECT_EQ(At(*patched, {"data", "extra"}), "x");

  // Server-side apply: a manager owns what it applied; another one conflicts unless forced.
  auto applied = Apply(*client_, configmaps_, "default", ConfigMap("applied", "mine"),
                       {"kubewarden-test", false});
  ASSERT_TRUE(applied) << applied.error().message;
  auto contested = Apply(*client_, configmaps_, "default", ConfigMap("applied", "theirs"),
                         {"someone-else", false});
  ASSERT_FALSE(contested);
  EXPECT_EQ(contested.error().kind, ErrorKind::kConflict);
  EXPECT_NE(contested.error().message.find("kubewarden-test"), std::string::npos)
      << contested.error().message;
  auto forced = Apply(*client_, configmaps_, "default", ConfigMap("applied", "theirs"),
                      {"someone-else", true});
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_EQ(At(*forced, {"data", "key"}), "theirs");

  ASSERT_TRUE(Delete(*client_, configmaps_, "default", "settings"));
  EXPECT_EQ(Get(*client_, configmaps_, "default", "settings").error().kind,
            ErrorKind::kNotFound);
  ASSERT_TRUE(DeleteCollection(*client_, configmaps_, "default", {}));
  EXPECT_EQ(Get(*client_, configmaps_, "default", "applied").error().kind, ErrorKind::kNotFound);
}

// The server's priority and fairness sheds load with 429: the request is sent again after the
// wait asked for, a write as well as a read; a request still shed after its deadline fails.
TEST_F(KubeClientTest, SendsThrottledRequestsAgainAfterTheWaitAskedFor) {
  kube_->Faults(R"({"path":"/api/v1/namespaces/default/configmaps","verb":"create","count":2,
                    "status":429,"body":"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":1},\"code\":429}"})");
  const auto started = std::chrono::steady_clock::now();
  auto created = Create(*client_, configmaps_, "default", ConfigMap("throttled", "one"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));

  kube_->Faults(R"({"path":"/api/v1/namespaces/default/configmaps","verb":"list","count":100,
                    "status":429,"reason":"TooManyRequests"})");
  auto client = Connect(kube_->KubeconfigPath(), {.timeout = std::chrono::seconds(2)});
  ASSERT_TRUE(client);
  auto listed = kube::ListPageOf(*client, configmaps_, {.ns = "default"});
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().http_status, 429);
}

TEST_F(KubeClientTest, WritesTheStatusSubresourceOnly) {
  auto namespaces = discovery_->Find("v1", "Namespace");
  ASSERT_TRUE(namespaces);
  auto pods = discovery_->Find("v1", "Pod");
  ASSERT_TRUE(pods);
  json::value pod = json::object{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", json::object{{"name", "web"}, {"namespace", "default"}}},
      {"spec", json::object{{"containers", json::array{json::object{{"name", "c"},
                                                                   {"image", "nginx"}}}}}}};
  ASSERT_TRUE(Create(*client_, *pods, "default", pod));
  auto status = MergePatch(*client_, *pods, "default", "web",
                           json::object{{"status", json::object{{"phase", "Running"}}}}, "status");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(At(*status, {"status", "phase"}), "Running");
  // Through the main resource the status does not change.
  auto main = MergePatch(*client_, *pods, "default", "web",
                         json::object{{"status", json::object{{"phase", "Failed"}}}});
  ASSERT_TRUE(main);
  EXPECT_EQ(At(*main, {"status", "phase"}), "Running");
}

TEST_F(KubeClientTest, ListsPageByPageWithSelectors) {
  std::string yaml;
  for (int i = 0; i < 1200; ++i) {
    yaml += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-" + std::to_string(i) +
            "\n  namespace: default\n  labels:\n    parity: " + (i % 2 ? "odd" : "even") +
            "\ndata:\n  key: v" + std::to_string(i) + "\n";
  }
  testing::KubeDoubleOptions seeded;
  seeded.seed_files = {testing::WriteTempFile("configmaps.yaml", yaml)};
  Start(seeded);
  std::size_t items = 0, pages = 0;
  ListOptions options;
  options.ns = "default";
  auto version = ListAll(*client_, configmaps_, options, [&](ListPage& page) -> Result<void> {
    items += page.items.size();
    ++pages;
    return {};
  });
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_FALSE(version->empty());
  EXPECT_EQ(items, 1200u);
  EXPECT_EQ(pages, 3u);

  options.selectors.label_selector = "parity=odd";
  auto odd = ListPageOf(*client_, configmaps_, options);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->items.size(), 500u);
  options.selectors.label_selector = "parity in (odd";
  auto malformed = ListPageOf(*client_, configmaps_, options);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().http_status, 400);
  options.selectors = {"", "metadata.name=cm-7"};
  auto by_name = ListPageOf(*client_, configmaps_, options);
  ASSERT_TRUE(by_name);
  ASSERT_EQ(by_name->items.size(), 1u);
  EXPECT_EQ(At(by_name->items[0], {"data", "key"}), "v7");
}

TEST_F(KubeClientTest, ReflectorFollowsChangesAndSurvivesBrokenStreams) {
  ASSERT_TRUE(Create(*client_, configmaps_, "default", ConfigMap("a", "1")));
  ASSERT_TRUE(Create(*client_, configmaps_, "kube-system", ConfigMap("b", "1", "kube-system")));
  ReflectorOptions options;
  options.initial_backoff = std::chrono::milliseconds(20);
  options.max_backoff = std::chrono::milliseconds(200);
  Reflector reflector(client_, configmaps_, {}, {}, options);
  ASSERT_TRUE(reflector.WaitSynced(Clock::now() + seconds(10)));
  EXPECT_EQ(Contents(reflector), (std::vector<std::string>{"default/a=1", "kube-system/b=1"}));
  EXPECT_EQ(Contents(reflector, "kube-system"), (std::vector<std::string>{"kube-system/b=1"}));

  ASSERT_TRUE(Create(*client_, configmaps_, "default", ConfigMap("c", "1")));
  ASSERT_TRUE(MergePatch(*client_, configmaps_, "default", "a",
                         json::object{{"data", json::object{{"key", "2"}}}}));
  ASSERT_TRUE(Delete(*client_, configmaps_, "kube-system", "b"));
  EXPECT_TRUE(testing::Eventually([&] {
    return Contents(reflector) == std::vector<std::string>{"default/a=2", "default/c=1"};
  })) << ::testing::PrintToString(Contents(reflector));

  // The watch is cut mid-stream, then answered with garbage: the reflector reconnects.
  kube_->Faults(R"([{"path":"/api/v1/configmaps","verb":"watch","count":1,"cutAfterEvents":0},
                    {"path":"/api/v1/configmaps","verb":"watch","count":2,"garbage":true}])");
  kube_->Request("DELETE", "/api/v1/namespaces/default/configmaps/c");
  ASSERT_TRUE(Create(*client_, configmaps_, "default", ConfigMap("d", "1")));
  EXPECT_TRUE(testing::Eventually([&] {
    return Contents(reflector) == std::vector<std::string>{"default/a=2", "default/d=1"};
  })) << ::testing::PrintToString(Contents(reflector));

  // Every version handed out so far expires: the reflector lists again and stays right.
  kube_->Compact();
  kube_->Faults(R"({"path":"/api/v1/configmaps","verb":"watch","count":1,"cutAfterEvents":0})");
  ASSERT_TRUE(Create(*client_, configmaps_, "default", ConfigMap("e", "1")));
  EXPECT_TRUE(testing::Eventually([&] {
    return Contents(reflector) ==
           std::vector<std::string>{"default/a=2", "default/d=1", "default/e=1"};
  })) << ::testing::PrintToString(Contents(reflector));
  EXPECT_EQ(reflector.size(), 3u);
}

TEST_F(KubeClientTest, ReflectorStoresCompactObjectsWithTheirType) {
  ASSERT_TRUE(Apply(*client_, configmaps_, "default", ConfigMap("a", "1"), {"test", false}));
  Reflector reflector(client_, configmaps_, {}, {"data"});
  ASSERT_TRUE(reflector.WaitSynced(Clock::now() + seconds(10)));
  std::string stored;
  reflector.Visit("default", [&](std::string_view, std::string_view, std::string_view json) {
    stored = std::string(json);
  });
  auto object = ParseJson(stored);
  ASSERT_TRUE(object) << stored;
  EXPECT_EQ(At(*object, {"apiVersion"}), "v1");  // list items come without it
  EXPECT_EQ(At(*object, {"kind"}), "ConfigMap");
  EXPECT_EQ(At(*object, {"metadata", "managedFields"}), "<missing>");
  EXPECT_EQ(At(*object, {"data", "key"}), "1");
}

TEST_F(KubeClientTest, ReflectorCacheSharesAndReportsRefusedLists) {
  ReflectorCache cache(client_, discovery_, 2);
  auto first = cache.Get({"v1", "ConfigMap", {}, {}}, Clock::now() + seconds(10));
  ASSERT_TRUE(first) << first.error().message;
  auto second = cache.Get({"v1", "ConfigMap", {}, {}}, Clock::now() + seconds(10));
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());

  auto bad_field = cache.Get({"v1", "ConfigMap", {"", "spec.nope=1"}, {}},
                             Clock::now() + seconds(10));
  ASSERT_FALSE(bad_field);
  EXPECT_NE(bad_field.error().message.find("field label not supported"), std::string::npos)
      << bad_field.error().message;
  // The refused one does not count against the limit; a third distinct one does.
  ASSERT_TRUE(cache.Get({"v1", "ConfigMap", {"a=b", ""}, {}}, Clock::now() + seconds(10)));
  auto over = cache.Get({"v1", "ConfigMap", {"c=d", ""}, {}}, Clock::now() + seconds(10));
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("too many distinct watches"), std::string::npos);
}

TEST_F(KubeClientTest, AnswersSubjectAccessReviews) {
  testing::KubeDoubleOptions options;
  options.sar_rules = R"(
- user: alice
  verb: list
  resource: pods
  namespace: default
  allowed: true
  reason: alice may list pods
)";
  Start(options);
  const auto review = [&](const std::string& user) {
    return SubjectAccessReview(
        *client_, json::object{{"user", user},
                               {"resourceAttributes", json::object{{"verb", "list"},
                                                                   {"resource", "pods"},
                                                                   {"namespace", "default"}}}});
  };
  auto alice = review("alice");
  ASSERT_TRUE(alice) << alice.error().message;
  EXPECT_EQ(At(*alice, {"allowed"}), "true");
  EXPECT_EQ(At(*alice, {"reason"}), "alice may list pods");
  auto bob = review("bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(At(*bob, {"allowed"}), "false");
}

TEST_F(KubeClientTest, ReusesConnectionsAndLimitsItsRate) {
  ClientOptions limited;
  limited.qps = 1000;
  limited.burst = 5;
  auto client = Connect(kube_->KubeconfigPath(), limited);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Get(*client, configmaps_, "default", "absent").error().kind, ErrorKind::kNotFound);
  }
  // A deadline sooner than the next token is refused rather than waited past.
  ClientOptions slow;
  slow.qps = 0.5;
  slow.burst = 1;
  auto throttled = Connect(kube_->KubeconfigPath(), slow);
  ApiRequest request;
  request.path = "/api/v1/namespaces/default/configmaps";
  ASSERT_TRUE(throttled->Call(request));
  request.deadline = Clock::now() + std::chrono::milliseconds(100);
  auto refused = throttled->Call(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kTimeout);
}

LeaderElectionConfig Candidate(const std::string& identity) {
  LeaderElectionConfig config;
  config.ns = "default";
  config.name = "controller";
  config.identity = identity;
  config.lease_duration = std::chrono::milliseconds(1500);
  config.renew_deadline = std::chrono::milliseconds(1000);
  config.retry_period = std::chrono::milliseconds(100);
  return config;
}

TEST_F(KubeClientTest, OneLeaderAtATimeHandingOverOnRelease) {
  std::atomic<int> leading{0}, stopped{0};
  LeaderCallbacks callbacks{[&] { ++leading; }, [&] { ++stopped; }};
  auto first = std::make_unique<LeaderElector>(client_, Candidate("first"), callbacks);
  ASSERT_TRUE(testing::Eventually([&] { return first->IsLeader(); }));
  LeaderElector second(client_, Candidate("second"), callbacks);
  // The second one sees the leader and waits while the lease is renewed.
  ASSERT_TRUE(testing::Eventually([&] { return second.CurrentLeader() == "first"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_FALSE(second.IsLeader());
  EXPECT_EQ(leading.load(), 1);

  first.reset();  // steps down and releases the lease
  EXPECT_EQ(stopped.load(), 1);
  ASSERT_TRUE(testing::Eventually([&] { return second.IsLeader(); }));
  EXPECT_EQ(leading.load(), 2);
  auto leases = discovery_->Find("coordination.k8s.io/v1", "Lease");
  ASSERT_TRUE(leases);
  auto lease = Get(*client_, *leases, "default", "controller");
  ASSERT_TRUE(lease);
  EXPECT_EQ(At(*lease, {"spec", "holderIdentity"}), "second");
  EXPECT_EQ(At(*lease, {"spec", "leaseTransitions"}), "1");  // a released lease taken again
}

TEST_F(KubeClientTest, ALeaderThatVanishesIsReplacedAfterTheLeaseDuration) {
  auto leases = discovery_->Find("coordination.k8s.io/v1", "Lease");
  ASSERT_TRUE(leases);
  // A lease held by a candidate that no longer renews it.
  ASSERT_TRUE(Create(*client_, *leases, "default",
                     json::object{{"apiVersion", "coordination.k8s.io/v1"},
                                  {"kind", "Lease"},
                                  {"metadata", json::object{{"name", "controller"},
                                                            {"namespace", "default"}}},
                                  {"spec", json::object{{"holderIdentity", "gone"},
                                                        {"leaseDurationSeconds", 1},
                                                        {"leaseTransitions", 3}}}}));
  LeaderElector next(client_, Candidate("next"), {});
  ASSERT_TRUE(testing::Eventually([&] { return next.CurrentLeader() == "gone"; }));
  EXPECT_FALSE(next.IsLeader());
  ASSERT_TRUE(testing::Eventually([&] { return next.IsLeader(); }));
  auto lease = Get(*client_, *leases, "default", "controller");
  ASSERT_TRUE(lease);
  EXPECT_EQ(At(*lease, {"spec", "holderIdentity"}), "next");
  EXPECT_EQ(At(*lease, {"spec", "leaseTransitions"}), "4");
}

}  // namespace
}  // namespace kw::kube
