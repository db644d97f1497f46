// kube-apiserver-double through HTTPS, as a client sees it: authentication, discovery, CRDs,
// lists (paging, selectors), watches (bookmarks, resumption, 410), optimistic concurrency,
// server-side apply, the status subresource, finalizers, garbage collection, admission webhooks
// (HTTPS test webhooks) and the /double/ test knobs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "kube/kubeconfig.h"
#include "testing/http_sink.h"
#include "testing/kube_double.h"
#include "testing/process.h"

namespace kw::kube_double {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using kw::testing::HttpOptions;
using kw::testing::HttpResult;
using kw::testing::KubeApiServerDouble;
using kw::testing::KubeDoubleOptions;
using kw::testing::HttpSink;
using kw::testing::HttpSinkOptions;

json::object Object(const HttpResult& r) {
  auto value = ParseJson(r.body);
  if (!value || !value->is_object()) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return {};
  }
  return value->get_object();
}

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = &v;
  for (auto key : path) {
    if (!at->is_object() || !at->get_object().contains(key)) return "<missing>";
    at = &at->get_object().at(key);
  }
  return at->is_string() ? std::string(at->get_string()) : ToJson(*at);
}

std::vector<json::object> Lines(const std::string& body) {
  std::vector<json::object> out;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    if (end > start) {
      auto v = ParseJson(std::string_view(body).substr(start, end - start));
      if (v && v->is_object()) out.push_back(v->get_object());
    }
    start = end + 1;
  }
  return out;
}

std::string Pod(const std::string& name, const std::string& extra_metadata = "",
                const std::string& spec = R"({"containers":[{"name":"c","image":"nginx"}]})") {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + "\"" + extra_metadata +
         R"(},"spec":)" + spec + "}";
}

class DoubleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    KubeDoubleOptions options;
    options.bookmark_interval_ms = 100;
    options.sar_rules =
        "- user: alice\n  verb: get\n  resource: pods\n  namespace: team-a\n  allowed: true\n"
        "  reason: alice reads pods\n";
    options.deny_rules =
        "- user: test-user\n  verb: delete\n  resource: secrets\n  namespace: locked\n"
        "- group: system:masters\n  verb: list\n  resource: nodes\n";
    double_ = new KubeApiServerDouble(options);
  }
  static void TearDownTestSuite() {
    delete double_;
    double_ = nullptr;
  }
  // A namespace of its own for each test.
  std::string MakeNamespace(const std::string& name) {
    HttpResult r = double_->Request("POST", "/api/v1/namespaces",
                                    R"({"metadata":{"name":")" + name + R"("}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  HttpResult Get(const std::string& path) { return double_->Request("GET", path); }

  static KubeApiServerDouble* double_;
};

KubeApiServerDouble* DoubleTest::double_ = nullptr;

TEST_F(DoubleTest, RefusesAnonymousAndUnknownTokens) {
  HttpOptions options;
  options.method = "GET";
  options.ca_file = double_->certificates().ca;
  HttpResult anonymous = kw::testing::Http(double_->Url() + "/api/v1/namespaces", options);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(Str(Object(anonymous), {"reason"}), "Unauthorized");
  EXPECT_EQ(Str(Object(anonymous), {"kind"}), "Status");
  options.headers = {"Authorization: Bearer wrong"};
  EXPECT_EQ(kw::testing::Http(double_->Url() + "/api/v1/namespaces", options).status, 401);
  options.headers = {"Authorization: Bearer test-token"};
  EXPECT_EQ(kw::testing::Http(double_->Url() + "/api/v1/namespaces", options).status, 200);
}

TEST_F(DoubleTest, RefusesCertificatesOfAnotherCa) {
  auto other = kw::testing::MakeCertificates();
  HttpOptions options;
  options.method = "GET";
  options.ca_file = double_->certificates().ca;
  options.cert_file = other.client_cert;
  options.key_file = other.client_key;
  HttpResult r = kw::testing::Http(double_->Url() + "/api/v1/namespaces", options);
  EXPECT_FALSE(r.ok() && r.status == 200) << r.status;
}

TEST_F(DoubleTest, DiscoveryListsResourcesAndSubresources) {
  json::object core = Object(Get("/api/v1"));
  EXPECT_EQ(Str(core, {"kind"}), "APIResourceList");
  EXPECT_EQ(Str(core, {"groupVersion"}), "v1");
  bool pods = false, pods_status = false;
  for (const auto& r : core["resources"].get_array()) {
    if (Str(r, {"name"}) == "pods") {
      pods = true;
      EXPECT_EQ(Str(r, {"kind"}), "Pod");
      EXPECT_EQ(Str(r, {"singularName"}), "pod");
      EXPECT_EQ(Str(r, {"shortNames"}), R"(["po"])");
      EXPECT_EQ(Str(r, {"namespaced"}), "true");
    }
    if (Str(r, {"name"}) == "pods/status") pods_status = true;
  }
  EXPECT_TRUE(pods && pods_status);
  json::object groups = Object(Get("/apis"));
  EXPECT_EQ(Str(groups, {"kind"}), "APIGroupList");
  EXPECT_THAT(ToJson(groups), HasSubstr(R"("preferredVersion":{"groupVersion":"apps/v1","version":"v1"})"));
  EXPECT_EQ(Str(Object(Get("/apis/coordination.k8s.io/v1")), {"groupVersion"}),
            "coordination.k8s.io/v1");
  EXPECT_EQ(Get("/apis/nothing.example.com/v1").status, 404);
  HttpResult unknown = Get("/api/v1/widgets");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Str(Object(unknown), {"reason"}), "NotFound");
  EXPECT_EQ(Str(Object(Get("/version")), {"major"}), "1");
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(DoubleTest, AggregatedDiscoveryWhenAsked) {
  HttpOptions options;
  options.method = "GET";
  options.ca_file = double_->certificates().ca;
  options.headers = {"Authorization: Bearer test-token",
                     "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json"};
  HttpResult apis = kw::testing::Http(double_->Url() + "/apis", options);
  ASSERT_EQ(apis.status, 200);
  EXPECT_EQ(apis.headers["content-type"],
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  json::object list = Object(apis);
  EXPECT_EQ(Str(list, {"kind"}), "APIGroupDiscoveryList");
  EXPECT_EQ(Str(list, {"apiVersion"}), "apidiscovery.k8s.io/v2");
  EXPECT_THAT(apis.body, HasSubstr(R"("resource":"deployments","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},"scope":"Namespaced")"));
  HttpResult core = kw::testing::Http(double_->Url() + "/api", options);
  EXPECT_THAT(core.body, HasSubstr(R"({"subresource":"status","responseKind":{"group":"","version":"v1","kind":"Pod"})"));
}

TEST_F(DoubleTest, CreateGetAndTheRealErrors) {
  std::string ns = MakeNamespace("create-get");
  std::string pods = "/api/v1/namespaces/" + ns + "/pods";
  HttpResult created = double_->Request("POST", pods, Pod("p1"));
  ASSERT_EQ(created.status, 201) << created.body;
  json::object pod = Object(created);
  EXPECT_EQ(Str(pod, {"metadata", "namespace"}), ns);
  EXPECT_EQ(Str(pod, {"metadata", "uid"}).size(), 36u);
  EXPECT_NE(Str(pod, {"metadata", "resourceVersion"}), "<missing>");
  EXPECT_EQ(Str(pod, {"status", "phase"}), "Pending");
  EXPECT_EQ(Str(pod, {"metadata", "managedFields"}).find("\"operation\":\"Update\"") != std::string::npos, true);

  HttpResult again = double_->Request("POST", pods, Pod("p1"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Str(Object(again), {"message"}), R"(pods "p1" already exists)");
  EXPECT_EQ(Str(Object(again), {"reason"}), "AlreadyExists");

  HttpResult missing = Get(pods + "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Str(Object(missing), {"message"}), R"(pods "nope" not found)");
  EXPECT_EQ(Str(Object(missing), {"details", "kind"}), "pods");

  HttpResult no_namespace = double_->Request("POST", "/api/v1/namespaces/absent/pods", Pod("p"));
  EXPECT_EQ(no_namespace.status, 404);
  EXPECT_EQ(Str(Object(no_namespace), {"message"}), R"(namespaces "absent" not found)");

  HttpResult no_name = double_->Request("POST", pods, R"({"metadata":{}})");
  EXPECT_EQ(no_name.status, 422);
  EXPECT_THAT(Str(Object(no_name), {"message"}), HasSubstr("name or generateName is required"));

  HttpResult wrong_version = double_->Request(
      "POST", pods, R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}})");
  EXPECT_EQ(wrong_version.status, 400);

  HttpResult generated = double_->Request("POST", pods, R"({"metadata":{"generateName":"gen-"}})");
  ASSERT_EQ(generated.status, 201);
  EXPECT_EQ(Str(Object(generated), {"metadata", "name"}).size(), 9u);

  EXPECT_EQ(double_->Request("POST", pods + "/p1", Pod("p1")).status, 405);
  EXPECT_EQ(double_->Request("DELETE", "/api/v1/pods").status, 405);

  HttpResult apps = Get("/apis/apps/v1/namespaces/" + ns + "/deployments/nope");
  EXPECT_EQ(Str(Object(apps), {"message"}), R"(deployments.apps "nope" not found)");
  EXPECT_EQ(Str(Object(apps), {"details", "group"}), "apps");
}

TEST_F(DoubleTest, ListPagesComeFromOneSnapshot) {
  std::string ns = MakeNamespace("paging");
  std::string pods = "/api/v1/namespaces/" + ns + "/pods";
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(double_->Request("POST", pods, Pod("p" + std::to_string(i))).status, 201);
  }
  json::object first = Object(Get(pods + "?limit=3"));
  EXPECT_EQ(Str(first, {"kind"}), "PodList");
  EXPECT_EQ(first["items"].get_array().size(), 3u);
  EXPECT_EQ(Str(first, {"metadata", "remainingItemCount"}), "4");
  // Typed lists leave apiVersion and kind out of their items.
  EXPECT_FALSE(first["items"].get_array()[0].get_object().contains("kind"));
  std::string token = Str(first, {"metadata", "continue"});
  std::string rv = Str(first, {"metadata", "resourceVersion"});
  // Changes after the first page do not show in the later ones.
  ASSERT_EQ(double_->Request("POST", pods, Pod("p9")).status, 201);
  ASSERT_EQ(double_->Request("DELETE", pods + "/p5").status, 200);
  std::vector<std::string> names;
  for (const auto& item : first["items"].get_array()) names.push_back(Str(item, {"metadata", "name"}));
  while (!token.empty() && token != "<missing>") {
    json::object page = Object(Get(pods + "?limit=3&continue=" + token));
    EXPECT_EQ(Str(page, {"metadata", "resourceVersion"}), rv);
    for (const auto& item : page["items"].get_array()) names.push_back(Str(item, {"metadata", "name"}));
    token = Str(page, {"metadata", "continue"});
  }
  EXPECT_EQ(names, (std::vector<std::string>{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}));

  HttpResult bad = Get(pods + "?limit=3&continue=garbage!");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(DoubleTest, SelectorsFilterAndMalformedOnesAreRefused) {
  std::string ns = MakeNamespace("selectors");
  std::string pods = "/api/v1/namespaces/" + ns + "/pods";
  ASSERT_EQ(double_->Request("POST", pods, Pod("a", R"(,"labels":{"app":"web","tier":"front"})")).status, 201);
  ASSERT_EQ(double_->Request("POST", pods, Pod("b", R"(,"labels":{"app":"db"})",
                                               R"({"nodeName":"n1","containers":[]})")).status, 201);
  ASSERT_EQ(double_->Request("POST", pods, Pod("c")).status, 201);
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    json::object list = Object(Get(pods + "?" + query));
    if (!list.contains("items")) return out;
    for (const auto& item : list["items"].get_array()) out.push_back(Str(item, {"metadata", "name"}));
    return out;
  };
  EXPECT_EQ(names("labelSelector=app%3Dweb"), std::vector<std::string>{"a"});
  EXPECT_EQ(names("labelSelector=app!%3Dweb"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names("labelSelector=app+in+(web,db)"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("labelSelector=app+notin+(web)"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names("labelSelector=tier"), std::vector<std::string>{"a"});
  EXPECT_EQ(names("labelSelector=!tier"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names("fieldSelector=spec.nodeName%3Dn1"), std::vector<std::string>{"b"});
  EXPECT_EQ(names("fieldSelector=spec.nodeName%3D"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(names("fieldSelector=metadata.name!%3Da,status.phase%3DPending"),
            (std::vector<std::string>{"b", "c"}));
  HttpResult unsupported = Get(pods + "?fieldSelector=spec.image%3Dx");
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_EQ(Str(Object(unsupported), {"message"}), "field label not supported: spec.image");
  HttpResult malformed = Get(pods + "?labelSelector=app%3D%3D%3Dx");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Str(Object(malformed), {"reason"}), "BadRequest");
  HttpResult bad_key = Get(pods + "?labelSelector=-app");
  EXPECT_EQ(bad_key.status, 400);
  EXPECT_THAT(Str(Object(bad_key), {"message"}), HasSubstr("unable to parse requirement"));
}

TEST_F(DoubleTest, WatchReplaysResumesAndBookmarks) {
  std::string ns = MakeNamespace("watching");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  ASSERT_EQ(double_->Request("POST", cms, R"({"metadata":{"name":"one"}})").status, 201);
  json::object list = Object(Get(cms));
  std::string rv = Str(list, {"metadata", "resourceVersion"});
  ASSERT_EQ(double_->Request("POST", cms, R"({"metadata":{"name":"two"}})").status, 201);
  ASSERT_EQ(double_->Request("DELETE", cms + "/one").status, 200);

  // From the list's resourceVersion: only what happened since.
  HttpResult resumed = Get(cms + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
  ASSERT_EQ(resumed.status, 200);
  EXPECT_EQ(resumed.headers["transfer-encoding"], "chunked");
  auto events = Lines(resumed.body);
  ASSERT_EQ(events.size(), 2u) << resumed.body;
  EXPECT_EQ(Str(events[0], {"type"}), "ADDED");
  EXPECT_EQ(Str(events[0], {"object", "metadata", "name"}), "two");
  EXPECT_EQ(Str(events[0], {"object", "kind"}), "ConfigMap");
  EXPECT_EQ(Str(events[1], {"type"}), "DELETED");
  EXPECT_EQ(Str(events[1], {"object", "metadata", "name"}), "one");

  // Without a resourceVersion: the current state first; bookmarks while idle.
  HttpResult fresh = Get(cms + "?watch=true&timeoutSeconds=1&allowWatchBookmarks=true");
  events = Lines(fresh.body);
  ASSERT_GE(events.size(), 2u) << fresh.body;
  EXPECT_EQ(Str(events[0], {"type"}), "ADDED");
  EXPECT_EQ(Str(events[0], {"object", "metadata", "name"}), "two");
  EXPECT_EQ(Str(events[1], {"type"}), "BOOKMARK");
  EXPECT_EQ(Str(events[1], {"object", "kind"}), "ConfigMap");
  EXPECT_NE(Str(events[1], {"object", "metadata", "resourceVersion"}), "<missing>");
}

TEST_F(DoubleTest, WatchSeesChangesAsTheyHappenAndSelectorExits) {
  std::string ns = MakeNamespace("live-watch");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  std::string rv = Str(Object(Get(cms)), {"metadata", "resourceVersion"});
  HttpResult watched;
  std::thread watcher([&] {
    watched = Get(cms + "?watch=1&timeoutSeconds=3&labelSelector=keep%3Dyes&resourceVersion=" + rv);
  });
  ASSERT_EQ(double_->Request("POST", cms, R"({"metadata":{"name":"m","labels":{"keep":"yes"}}})").status, 201);
  ASSERT_EQ(double_->Request("PATCH", cms + "/m", R"({"metadata":{"labels":{"keep":"no"}}})",
                             "application/merge-patch+json").status, 200);
  watcher.join();
  auto events = Lines(watched.body);
  ASSERT_EQ(events.size(), 2u) << watched.body;
  EXPECT_EQ(Str(events[0], {"type"}), "ADDED");
  // Leaving the selection is a deletion for this watch.
  EXPECT_EQ(Str(events[1], {"type"}), "DELETED");
}

TEST_F(DoubleTest, TooOldResourceVersionIsAnExpiredErrorEvent) {
  std::string ns = MakeNamespace("expired");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  std::string rv = Str(Object(Get(cms)), {"metadata", "resourceVersion"});
  double_->Compact();
  HttpResult r = Get(cms + "?watch=1&resourceVersion=" + rv);
  EXPECT_EQ(r.status, 200);
  auto events = Lines(r.body);
  ASSERT_EQ(events.size(), 1u) << r.body;
  EXPECT_EQ(Str(events[0], {"type"}), "ERROR");
  EXPECT_EQ(Str(events[0], {"object", "code"}), "410");
  EXPECT_EQ(Str(events[0], {"object", "reason"}), "Expired");
  EXPECT_THAT(Str(events[0], {"object", "message"}), HasSubstr("too old resource version: " + rv));
}

TEST_F(DoubleTest, UpdatesConflictOnAStaleResourceVersion) {
  std::string ns = MakeNamespace("conflicts");
  std::string leases = "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases";
  HttpResult created = double_->Request(
      "POST", leases, R"({"metadata":{"name":"leader"},"spec":{"holderIdentity":"a"}})");
  ASSERT_EQ(created.status, 201);
  std::string rv = Str(Object(created), {"metadata", "resourceVersion"});
  std::string update = R"({"metadata":{"name":"leader","resourceVersion":")" + rv +
                       R"("},"spec":{"holderIdentity":"b"}})";
  HttpResult first = double_->Request("PUT", leases + "/leader", update);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(Str(Object(first), {"metadata", "resourceVersion"}), rv);
  HttpResult second = double_->Request("PUT", leases + "/leader", update);
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(Str(Object(second), {"message"}),
            "Operation cannot be fulfilled on leases.coordination.k8s.io \"leader\": the object "
            "has been modified; please apply your changes to the latest version and try again");
  EXPECT_EQ(Str(Object(second), {"reason"}), "Conflict");
}

TEST_F(DoubleTest, GenerationCountsSpecChangesOnly) {
  std::string ns = MakeNamespace("generation");
  std::string path = "/apis/apps/v1/namespaces/" + ns + "/deployments";
  HttpResult created = double_->Request(
      "POST", path, R"({"metadata":{"name":"d"},"spec":{"replicas":1}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Str(Object(created), {"metadata", "generation"}), "1");
  HttpResult labeled = double_->Request("PATCH", path + "/d", R"({"metadata":{"labels":{"x":"y"}}})",
                                        "application/merge-patch+json");
  EXPECT_EQ(Str(Object(labeled), {"metadata", "generation"}), "1");
  HttpResult scaled = double_->Request("PATCH", path + "/d", R"([{"op":"replace","path":"/spec/replicas","value":3}])",
                                       "application/json-patch+json");
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_EQ(Str(Object(scaled), {"metadata", "generation"}), "2");
  EXPECT_EQ(Str(Object(scaled), {"spec", "replicas"}), "3");
}

TEST_F(DoubleTest, ScaleSubresourceReadsAndWritesReplicas) {
  std::string ns = MakeNamespace("scale");
  std::string path = "/apis/apps/v1/namespaces/" + ns + "/deployments";
  ASSERT_EQ(double_->Request("POST", path, R"({"metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}}}})").status, 201);
  json::object scale = Object(Get(path + "/d/scale"));
  EXPECT_EQ(Str(scale, {"kind"}), "Scale");
  EXPECT_EQ(Str(scale, {"apiVersion"}), "autoscaling/v1");
  EXPECT_EQ(Str(scale, {"spec", "replicas"}), "1");
  EXPECT_EQ(Str(scale, {"status", "selector"}), "app=d");
  HttpResult scaled = double_->Request("PATCH", path + "/d/scale", R"({"spec":{"replicas":4}})",
                                       "application/merge-patch+json");
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_EQ(Str(Object(scaled), {"spec", "replicas"}), "4");
  json::object deployment = Object(Get(path + "/d"));
  EXPECT_EQ(Str(deployment, {"spec", "replicas"}), "4");
  EXPECT_EQ(Str(deployment, {"metadata", "generation"}), "2");
  HttpResult dry = double_->Request("PATCH", path + "/d?dryRun=All", R"({"spec":{"replicas":9}})",
                                    "application/merge-patch+json");
  EXPECT_EQ(Str(Object(dry), {"spec", "replicas"}), "9");
  EXPECT_EQ(Str(Object(Get(path + "/d")), {"spec", "replicas"}), "4");
}

TEST_F(DoubleTest, StatusSubresourceIsSeparateFromTheMainResource) {
  std::string ns = MakeNamespace("status");
  std::string pods = "/api/v1/namespaces/" + ns + "/pods";
  ASSERT_EQ(double_->Request("POST", pods, Pod("s")).status, 201);
  HttpResult main = double_->Request("PATCH", pods + "/s", R"({"status":{"phase":"Running"}})",
                                     "application/merge-patch+json");
  ASSERT_EQ(main.status, 200);
  EXPECT_EQ(Str(Object(main), {"status", "phase"}), "Pending");
  HttpResult status = double_->Request("PATCH", pods + "/s/status",
                                       R"({"status":{"phase":"Running"},"spec":{"nodeName":"x"}})",
                                       "application/merge-patch+json");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(Str(Object(status), {"status", "phase"}), "Running");
  EXPECT_EQ(Str(Object(status), {"spec", "nodeName"}), "<missing>");
  EXPECT_EQ(Str(Object(Get(pods + "/s/status")), {"status", "phase"}), "Running");
}

TEST_F(DoubleTest, FinalizersHoldDeletionUntilRemoved) {
  std::string ns = MakeNamespace("finalizers");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  HttpResult created = double_->Request(
      "POST", cms, R"({"metadata":{"name":"f","finalizers":["example.com/keep"]}})");
  ASSERT_EQ(created.status, 201);
  std::string rv = Str(Object(created), {"metadata", "resourceVersion"});
  HttpResult deleted = double_->Request("DELETE", cms + "/f");
  ASSERT_EQ(deleted.status, 200);
  EXPECT_NE(Str(Object(deleted), {"metadata", "deletionTimestamp"}), "<missing>");
  EXPECT_EQ(Get(cms + "/f").status, 200);
  HttpResult released = double_->Request("PATCH", cms + "/f", R"({"metadata":{"finalizers":null}})",
                                         "application/merge-patch+json");
  EXPECT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(Get(cms + "/f").status, 404);
  // Watchers see the deletion start, then one DELETED with the finalizer gone.
  auto events = Lines(Get(cms + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv).body);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Str(events[0], {"type"}), "MODIFIED");
  EXPECT_EQ(Str(events[1], {"type"}), "DELETED");
  EXPECT_EQ(Str(events[1], {"object", "metadata", "finalizers"}), "<missing>");
}

TEST_F(DoubleTest, WritesThatChangeNothingKeepTheResourceVersion) {
  std::string ns = MakeNamespace("no-op");
  std::string path = "/api/v1/namespaces/" + ns + "/configmaps/same";
  std::string config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\ndata:\n  k: v\n";
  HttpResult first = double_->Request("PATCH", path + "?fieldManager=m", config,
                                      "application/apply-patch+yaml");
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult again = double_->Request("PATCH", path + "?fieldManager=m", config,
                                      "application/apply-patch+yaml");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Str(Object(again), {"metadata", "resourceVersion"}),
            Str(Object(first), {"metadata", "resourceVersion"}));
  HttpResult patched = double_->Request("PATCH", path, R"({"data":{"k":"v"}})",
                                        "application/merge-patch+json");
  EXPECT_EQ(Str(Object(patched), {"metadata", "resourceVersion"}),
            Str(Object(first), {"metadata", "resourceVersion"}));
  HttpResult status = double_->Request("DELETE", path + "/status");
  EXPECT_EQ(status.status, 404);
}

TEST_F(DoubleTest, ServerSideApplyTracksOwnersAndConflicts) {
  std::string ns = MakeNamespace("apply");
  std::string path = "/apis/apps/v1/namespaces/" + ns + "/deployments/web";
  std::string config = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                       "spec:\n  replicas: 2\n";
  HttpResult missing_manager = double_->Request("PATCH", path, config, "application/apply-patch+yaml");
  EXPECT_EQ(missing_manager.status, 422);
  EXPECT_THAT(Str(Object(missing_manager), {"message"}), HasSubstr("fieldManager: Required value"));
  HttpResult created = double_->Request("PATCH", path + "?fieldManager=alpha", config,
                                        "application/apply-patch+yaml");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_THAT(created.body, HasSubstr(R"("manager":"alpha","operation":"Apply")"));
  std::string other = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                      "spec:\n  replicas: 5\n";
  HttpResult conflict = double_->Request("PATCH", path + "?fieldManager=beta", other,
                                         "application/apply-patch+yaml");
  ASSERT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(Str(Object(conflict), {"message"}),
            "Apply failed with 1 conflict: conflict with \"alpha\" using apps/v1: .spec.replicas");
  HttpResult forced = double_->Request("PATCH", path + "?fieldManager=beta&force=true", other,
                                       "application/apply-patch+yaml");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(Str(Object(forced), {"spec", "replicas"}), "5");
  // alpha no longer owns replicas: dropping it from its configuration keeps beta's value.
  std::string alpha_without = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                              "  labels:\n    owner: alpha\n";
  HttpResult reapplied = double_->Request("PATCH", path + "?fieldManager=alpha", alpha_without,
                                          "application/apply-patch+yaml");
  ASSERT_EQ(reapplied.status, 200) << reapplied.body;
  EXPECT_EQ(Str(Object(reapplied), {"spec", "replicas"}), "5");
  EXPECT_EQ(Str(Object(reapplied), {"metadata", "labels", "owner"}), "alpha");
}

TEST_F(DoubleTest, CustomResourceDefinitionsComeAndGo) {
  std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"policyreports.wgpolicyk8s.io"},
    "spec":{"group":"wgpolicyk8s.io","scope":"Namespaced",
      "names":{"plural":"policyreports","singular":"policyreport","kind":"PolicyReport","listKind":"PolicyReportList","shortNames":["polr"]},
      "versions":[{"name":"v1alpha2","served":true,"storage":true,"subresources":{"status":{}}}]}})";
  HttpResult created = double_->Request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_THAT(created.body, HasSubstr(R"("type":"Established","status":"True")"));
  json::object resources = Object(Get("/apis/wgpolicyk8s.io/v1alpha2"));
  EXPECT_THAT(ToJson(resources), HasSubstr(R"("name":"policyreports")"));
  EXPECT_THAT(ToJson(resources), HasSubstr(R"("name":"policyreports/status")"));
  EXPECT_THAT(ToJson(Object(Get("/apis"))), HasSubstr(R"("name":"wgpolicyk8s.io")"));

  std::string ns = MakeNamespace("custom");
  std::string reports = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/" + ns + "/policyreports";
  HttpResult report = double_->Request(
      "POST", reports, R"({"apiVersion":"wgpolicyk8s.io/v1alpha2","kind":"PolicyReport","metadata":{"name":"r"},"results":[]})");
  ASSERT_EQ(report.status, 201) << report.body;
  json::object list = Object(Get(reports));
  EXPECT_EQ(Str(list, {"kind"}), "PolicyReportList");
  ASSERT_EQ(list["items"].get_array().size(), 1u);
  // Custom resource list items keep apiVersion and kind.
  EXPECT_EQ(Str(list["items"].get_array()[0], {"kind"}), "PolicyReport");

  HttpResult deleted = double_->Request(
      "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/policyreports.wgpolicyk8s.io");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Get("/apis/wgpolicyk8s.io/v1alpha2").status, 404);
}

TEST_F(DoubleTest, CustomResourcesArePrunedAndValidatedByTheirSchema) {
  std::string crd = R"({"metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","required":["size"],"properties":{
            "size":{"type":"integer"},
            "color":{"type":"string","enum":["red","blue"]},
            "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}}}]}})";
  ASSERT_EQ(double_->Request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status, 201);
  std::string ns = MakeNamespace("schemas");
  std::string widgets = "/apis/example.com/v1/namespaces/" + ns + "/widgets";
  HttpResult pruned = double_->Request(
      "POST", widgets,
      R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1,"unknown":true,"free":{"any":1}},"extra":1})");
  ASSERT_EQ(pruned.status, 201) << pruned.body;
  EXPECT_EQ(Str(Object(pruned), {"spec", "unknown"}), "<missing>");
  EXPECT_EQ(Str(Object(pruned), {"extra"}), "<missing>");
  EXPECT_EQ(Str(Object(pruned), {"spec", "free", "any"}), "1");
  HttpResult invalid = double_->Request(
      "POST", widgets, R"({"metadata":{"name":"v"},"spec":{"size":"big","color":"green"}})");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(Str(Object(invalid), {"message"}),
            "Widget.example.com \"v\" is invalid: [spec.size: Invalid value: \"string\": "
            "spec.size in body must be of type integer: \"string\", spec.color: Unsupported "
            "value: \"green\": supported values: \"red\", \"blue\"]");
  HttpResult missing = double_->Request("POST", widgets, R"({"metadata":{"name":"m"},"spec":{}})");
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(Str(Object(missing), {"message"}),
            "Widget.example.com \"m\" is invalid: spec.size: Required value");
}

TEST_F(DoubleTest, CustomResourcesGetTheirSchemaDefaults) {
  std::string crd = R"({"metadata":{"name":"gadgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"gadgets","singular":"gadget","kind":"Gadget"},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","properties":{
            "replicas":{"type":"integer","default":1},
            "mode":{"type":"string","enum":["protect","monitor"],"default":"protect"},
            "note":{"type":"string","nullable":true,"default":"kept null"},
            "plain":{"type":"string"},
            "nested":{"type":"object","default":{},"properties":{
              "port":{"type":"integer","default":8443},
              "host":{"type":"string"}}},
            "items":{"type":"array","items":{"type":"object","properties":{
              "weight":{"type":"integer","default":5}}}},
            "byName":{"type":"object","additionalProperties":{"type":"object","properties":{
              "on":{"type":"boolean","default":true}}}},
            "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}}}]}})";
  ASSERT_EQ(double_->Request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status, 201);
  std::string ns = MakeNamespace("defaults");
  std::string gadgets = "/apis/example.com/v1/namespaces/" + ns + "/gadgets";

  // Absent fields and non-nullable nulls take their defaults; an object a default brings is
  // defaulted in turn, and so are array elements and map values.
  HttpResult created = double_->Request(
      "POST", gadgets,
      R"({"metadata":{"name":"g"},"spec":{"mode":null,"note":null,"plain":null,"unknown":null,
          "items":[{},{"weight":2}],"byName":{"a":{},"b":{"on":false}},"free":{"weight":null}}})");
  ASSERT_EQ(created.status, 201) << created.body;
  json::object spec = Object(created)["spec"].get_object();
  EXPECT_EQ(ToJson(spec["replicas"]), "1");
  EXPECT_EQ(Str(spec, {"mode"}), "protect");
  EXPECT_EQ(Str(spec, {"note"}), "null");  // nullable: the null stays
  EXPECT_EQ(Str(spec, {"plain"}), "<missing>");  // not nullable, no default: dropped
  EXPECT_EQ(ToJson(spec["nested"]), R"({"port":8443})");
  EXPECT_EQ(ToJson(spec["items"]), R"([{"weight":5},{"weight":2}])");
  EXPECT_EQ(ToJson(spec["byName"]), R"({"a":{"on":true},"b":{"on":false}})");
  EXPECT_EQ(ToJson(spec["free"]), R"({"weight":null})");  // no schema below: left alone
  EXPECT_EQ(Str(Object(Get(gadgets + "/g")), {"spec", "nested", "port"}), "8443");

  // A merge patch that removes a defaulted field gets the default back; values given win.
  HttpResult patched = double_->Request("PATCH", gadgets + "/g",
                                        R"({"spec":{"replicas":null,"nested":{"port":9443}}})",
                                        "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Str(Object(patched), {"spec", "replicas"}), "1");
  EXPECT_EQ(Str(Object(patched), {"spec", "nested", "port"}), "9443");

  // Without a spec nothing below it is defaulted (spec itself has no default).
  HttpResult bare = double_->Request("POST", gadgets, R"({"metadata":{"name":"bare"}})");
  ASSERT_EQ(bare.status, 201) << bare.body;
  EXPECT_EQ(Str(Object(bare), {"spec"}), "<missing>");

  // Defaults come before validation: a wrong value still fails.
  HttpResult invalid = double_->Request(
      "POST", gadgets, R"({"metadata":{"name":"bad"},"spec":{"mode":"audit"}})");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(Str(Object(invalid), {"message"}),
            "Gadget.example.com \"bad\" is invalid: spec.mode: Unsupported value: \"audit\": "
            "supported values: \"protect\", \"monitor\"");
}

TEST_F(DoubleTest, NamespaceDeletionTakesItsObjects) {
  std::string ns = MakeNamespace("doomed");
  ASSERT_EQ(double_->Request("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"metadata":{"name":"c"}})").status, 201);
  ASSERT_EQ(double_->Request("DELETE", "/api/v1/namespaces/" + ns).status, 200);
  EXPECT_EQ(Get("/api/v1/namespaces/" + ns + "/configmaps/c").status, 404);
  EXPECT_EQ(Get("/api/v1/namespaces/" + ns).status, 404);
}

TEST_F(DoubleTest, ManyWatchesEachSeeEveryChange) {
  std::string ns = MakeNamespace("many-watches");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  std::string rv = Str(Object(Get(cms)), {"metadata", "resourceVersion"});
  constexpr int kWatches = 40;
  std::vector<HttpResult> results(kWatches);
  std::vector<std::thread> watchers;
  // The changes come while some watches are open and before others start: from the list's
  // resourceVersion, every watch sees all of them either way.
  for (int i = 0; i < kWatches / 2; ++i) {
    watchers.emplace_back([&, i] {
      results[i] = Get(cms + "?watch=1&timeoutSeconds=2&resourceVersion=" + rv);
    });
  }
  for (const char* name : {"x", "y", "z"}) {
    ASSERT_EQ(double_->Request("POST", cms, std::string(R"({"metadata":{"name":")") + name + "\"}}").status, 201);
  }
  for (int i = kWatches / 2; i < kWatches; ++i) {
    watchers.emplace_back([&, i] {
      results[i] = Get(cms + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
    });
  }
  for (auto& t : watchers) t.join();
  for (const auto& r : results) {
    auto events = Lines(r.body);
    ASSERT_EQ(events.size(), 3u) << r.error << r.body;
    EXPECT_EQ(Str(events[2], {"object", "metadata", "name"}), "z");
  }
}

TEST_F(DoubleTest, BodiesOtherThanJsonOrYamlAreUnsupportedMediaTypes) {
  std::string ns = MakeNamespace("media-types");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  HttpResult protobuf = double_->Request("POST", cms, "k8s\0...", "application/vnd.kubernetes.protobuf");
  EXPECT_EQ(protobuf.status, 415);
  EXPECT_EQ(Str(Object(protobuf), {"reason"}), "UnsupportedMediaType");
  HttpResult yaml = double_->Request("POST", cms, "metadata:\n  name: from-yaml\n", "application/yaml");
  EXPECT_EQ(yaml.status, 201) << yaml.body;
  HttpResult patch = double_->Request("PATCH", cms + "/from-yaml", "{}", "text/plain");
  EXPECT_EQ(patch.status, 415);
  std::string huge = R"({"metadata":{"name":"huge"},"data":{"k":")" + std::string(3u << 20, 'x') + "\"}}";
  HttpResult too_large = double_->Request("POST", cms, huge);
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(Str(Object(too_large), {"message"}), "Request entity too large: limit is 3145728");
}

TEST_F(DoubleTest, DenyRulesAnswerAsRbacDoes) {
  std::string ns = MakeNamespace("locked");
  std::string secrets = "/api/v1/namespaces/" + ns + "/secrets";
  ASSERT_EQ(double_->Request("POST", secrets, R"({"metadata":{"name":"s"}})").status, 201);
  HttpResult refused = double_->Request("DELETE", secrets + "/s");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Str(Object(refused), {"reason"}), "Forbidden");
  EXPECT_EQ(Str(Object(refused), {"message"}),
            "secrets \"s\" is forbidden: User \"test-user\" cannot delete resource \"secrets\" in "
            "API group \"\" in the namespace \"locked\"");
  EXPECT_EQ(Get(secrets + "/s").status, 200);
  HttpResult nodes = Get("/api/v1/nodes");
  EXPECT_EQ(nodes.status, 403);
  EXPECT_EQ(Str(Object(nodes), {"message"}),
            "nodes is forbidden: User \"test-user\" cannot list resource \"nodes\" in API group "
            "\"\" at the cluster scope");
}

TEST_F(DoubleTest, FixtureSeedsDocumentsAndLists) {
  MakeNamespace("fixture-seed");
  double_->Seed(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: fixture-seed\n---\n"
      "apiVersion: v1\nkind: List\nitems:\n"
      "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d\n    namespace: fixture-seed\n"
      "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata:\n    name: \"seed:reader\"\n");
  EXPECT_EQ(Get("/api/v1/namespaces/fixture-seed/configmaps/a").status, 200);
  EXPECT_EQ(Get("/apis/apps/v1/namespaces/fixture-seed/deployments/d").status, 200);
  EXPECT_EQ(Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/seed:reader").status, 200);
}

TEST_F(DoubleTest, SubjectAccessReviewsFollowTheRules) {
  auto review = [&](const std::string& user, const std::string& ns) {
    HttpResult r = double_->Request(
        "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        R"({"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":")" +
            user + R"(","resourceAttributes":{"verb":"get","resource":"pods","namespace":")" + ns +
            R"("}}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return Object(r);
  };
  json::object allowed = review("alice", "team-a");
  EXPECT_EQ(Str(allowed, {"status", "allowed"}), "true");
  EXPECT_EQ(Str(allowed, {"status", "reason"}), "alice reads pods");
  EXPECT_EQ(Str(review("alice", "team-b"), {"status", "allowed"}), "false");
  EXPECT_EQ(Str(review("bob", "team-a"), {"status", "allowed"}), "false");
}

TEST_F(DoubleTest, FaultsAnswerInsteadOfTheServer) {
  std::string ns = MakeNamespace("faults");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  double_->Faults(R"({"path":")" + cms + R"(","verb":"list","status":503,"reason":"ServiceUnavailable","message":"try later"})");
  HttpResult failed = Get(cms);
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(Str(Object(failed), {"message"}), "try later");
  EXPECT_EQ(Get(cms).status, 200);  // only the next one

  double_->Faults(R"({"path":")" + cms + R"(","garbage":true})");
  HttpResult garbage = Get(cms);
  EXPECT_FALSE(garbage.ok() && garbage.status == 200);

  ASSERT_EQ(double_->Request("POST", cms, R"({"metadata":{"name":"a"}})").status, 201);
  ASSERT_EQ(double_->Request("POST", cms, R"({"metadata":{"name":"b"}})").status, 201);
  double_->Faults(R"({"path":")" + cms + R"(","verb":"watch","cutAfterEvents":1})");
  HttpResult cut = Get(cms + "?watch=1&timeoutSeconds=5");
  EXPECT_FALSE(cut.ok());  // the stream ends without its last chunk
  EXPECT_EQ(Lines(cut.body).size(), 1u) << cut.body;
}

TEST_F(DoubleTest, CountsRequestsPerVerbAndPath) {
  std::string ns = MakeNamespace("counted");
  std::string cms = "/api/v1/namespaces/" + ns + "/configmaps";
  double_->ResetCounters();
  Get(cms);
  Get(cms);
  Get(cms + "?watch=1&timeoutSeconds=1");
  EXPECT_EQ(double_->RequestCount("list", cms), 2u);
  EXPECT_EQ(double_->RequestCount("watch", cms), 1u);
  EXPECT_EQ(double_->RequestCount("get", cms), 0u);
}

TEST(DoubleSeedTest, SeedsAtStartUpAndServesLargePagedLists) {
  std::string seed = "apiVersion: v1\nkind: List\nitems:\n";
  std::string json = R"({"apiVersion":"v1","kind":"PodList","items":[)";
  for (int i = 0; i < 2000; ++i) {
    if (i) json += ",";
    json += R"({"metadata":{"name":"pod-)" + std::to_string(i) +
            R"(","namespace":"default","labels":{"i":")" + std::to_string(i % 10) +
            R"("}},"spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running"}})";
  }
  json += "]}";
  std::string seed_file = kw::testing::WriteTempFile("pods.json", json);
  std::string more = kw::testing::WriteTempFile(
      "more.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n---\n"
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: seeded\n---\n"
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: two\n  namespace: seeded\ntype: Opaque\n");
  KubeDoubleOptions options;
  options.seed_files = {seed_file, more};
  KubeApiServerDouble server(options);
  EXPECT_EQ(server.Request("GET", "/api/v1/namespaces/default/configmaps/one").status, 200);
  EXPECT_EQ(server.Request("GET", "/api/v1/namespaces/seeded/secrets/two").status, 200);
  std::size_t total = 0;
  std::string token;
  do {
    HttpResult page = server.Request("GET", "/api/v1/pods?limit=500" +
                                                (token.empty() ? "" : "&continue=" + token));
    json::object list = Object(page);
    total += list["items"].get_array().size();
    token = Str(list, {"metadata", "continue"});
  } while (token != "<missing>");
  EXPECT_EQ(total, 2000u);
  // Seeds keep their status.
  json::object running = Object(server.Request("GET", "/api/v1/pods?fieldSelector=status.phase%3DRunning&limit=1"));
  EXPECT_EQ(running["items"].get_array().size(), 1u);
}

TEST(DoubleSeedTest, WatchHistoryBoundsResumption) {
  KubeDoubleOptions options;
  options.watch_history = 2;
  KubeApiServerDouble server(options);
  std::string cms = "/api/v1/namespaces/default/configmaps";
  std::string rv = Str(Object(server.Request("GET", cms)), {"metadata", "resourceVersion"});
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_EQ(server.Request("POST", cms, std::string(R"({"metadata":{"name":")") + name + "\"}}").status, 201);
  }
  auto events = Lines(server.Request("GET", cms + "?watch=1&resourceVersion=" + rv).body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Str(events[0], {"object", "code"}), "410");
}

TEST(DoubleKubeconfigTest, KubeconfigsReadAsTheClientReadsThem) {
  KubeApiServerDouble server;
  auto with_certificate = kube::LoadKubeconfig(server.KubeconfigPath());
  ASSERT_TRUE(with_certificate.has_value()) << with_certificate.error().message;
  auto connection = kube::SelectContext(*with_certificate);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  EXPECT_EQ(connection->server, server.Url());
  EXPECT_EQ(connection->certificate_authority_pem, server.CaPem());
  EXPECT_THAT(connection->client_certificate_pem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(connection->client_key_pem, HasSubstr("PRIVATE KEY"));
  EXPECT_TRUE(connection->token.empty());

  auto with_token = kube::LoadKubeconfig(server.TokenKubeconfigPath());
  ASSERT_TRUE(with_token.has_value()) << with_token.error().message;
  auto token_connection = kube::SelectContext(*with_token);
  ASSERT_TRUE(token_connection.has_value()) << token_connection.error().message;
  EXPECT_EQ(token_connection->token, "test-token");
  EXPECT_TRUE(token_connection->client_certificate_pem.empty());
}

// Garbage collection: the dependents of a deleted owner, per propagation policy.
class GarbageCollectionTest : public DoubleTest {
 protected:
  // A ConfigMap in `ns`, owned by the objects whose uids `owners` lists (`blocking`: with
  // blockOwnerDeletion), with `finalizers` (a JSON array, "" = none); its uid.
  std::string ConfigMap(const std::string& ns, const std::string& name,
                        const std::vector<std::string>& owners = {}, bool blocking = false,
                        const std::string& finalizers = "") {
    std::string refs;
    for (const auto& uid : owners) {
      if (!refs.empty()) refs += ',';
      refs += R"({"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":")" + uid + "\"" +
              (blocking ? R"(,"blockOwnerDeletion":true)" : "") + "}";
    }
    std::string metadata = R"({"name":")" + name + "\"" +
                           (refs.empty() ? "" : R"(,"ownerReferences":[)" + refs + "]") +
                           (finalizers.empty() ? "" : R"(,"finalizers":)" + finalizers) + "}";
    HttpResult r = double_->Request("POST", Path(ns, ""), R"({"metadata":)" + metadata + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Object(r), {"metadata", "uid"});
  }
  static std::string Path(const std::string& ns, const std::string& name) {
    return "/api/v1/namespaces/" + ns + "/configmaps" + (name.empty() ? "" : "/" + name);
  }
  HttpResult Delete(const std::string& ns, const std::string& name, const std::string& query = "") {
    return double_->Request("DELETE", Path(ns, name) + query);
  }
};

TEST_F(GarbageCollectionTest, BackgroundDeletesDependentsDownTheChain) {
  std::string ns = MakeNamespace("gc-background");
  std::string owner = ConfigMap(ns, "owner");
  std::string child = ConfigMap(ns, "child", {owner});
  ConfigMap(ns, "grandchild", {child});
  ConfigMap(ns, "held", {owner}, false, R"(["example.com/hold"])");
  ConfigMap(ns, "unrelated");
  HttpResult watch_from = Get(Path(ns, ""));
  std::string rv = Str(Object(watch_from), {"metadata", "resourceVersion"});
  ASSERT_EQ(Delete(ns, "owner").status, 200);
  EXPECT_EQ(Get(Path(ns, "owner")).status, 404);
  EXPECT_EQ(Get(Path(ns, "child")).status, 404);
  EXPECT_EQ(Get(Path(ns, "grandchild")).status, 404);
  EXPECT_EQ(Get(Path(ns, "unrelated")).status, 200);
  // A dependent with finalizers starts its deletion and waits for them.
  HttpResult held = Get(Path(ns, "held"));
  ASSERT_EQ(held.status, 200);
  EXPECT_NE(Str(Object(held), {"metadata", "deletionTimestamp"}), "<missing>");
  std::vector<std::string> deleted;
  for (const auto& e : Lines(Get(Path(ns, "") + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv).body)) {
    if (Str(e, {"type"}) == "DELETED") deleted.push_back(Str(e, {"object", "metadata", "name"}));
  }
  EXPECT_THAT(deleted, ::testing::ElementsAre("owner", "child", "grandchild"));
}

TEST_F(GarbageCollectionTest, OrphanKeepsDependentsWithoutTheReference) {
  std::string ns = MakeNamespace("gc-orphan");
  std::string owner = ConfigMap(ns, "owner");
  std::string other = ConfigMap(ns, "other");
  ConfigMap(ns, "child", {owner, other});
  HttpResult deleted = Delete(ns, "owner", "?propagationPolicy=Orphan");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_THAT(Str(Object(deleted), {"metadata", "finalizers"}), HasSubstr("orphan"));
  EXPECT_EQ(Get(Path(ns, "owner")).status, 404);
  json::object child = Object(Get(Path(ns, "child")));
  EXPECT_THAT(Str(child, {"metadata", "ownerReferences"}), Not(HasSubstr(owner)));
  EXPECT_THAT(Str(child, {"metadata", "ownerReferences"}), HasSubstr(other));
  // The deprecated orphanDependents says the same; an unknown policy is refused.
  ConfigMap(ns, "child2", {other});
  HttpResult old_style = double_->Request("DELETE", Path(ns, "other"), R"({"orphanDependents":true})");
  ASSERT_EQ(old_style.status, 200) << old_style.body;
  HttpResult child2 = Get(Path(ns, "child2"));
  ASSERT_EQ(child2.status, 200);
  EXPECT_EQ(Str(Object(child2), {"metadata", "ownerReferences"}), "<missing>");
  HttpResult bad = Delete(ns, "child2", "?propagationPolicy=Sometimes");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(Str(Object(bad), {"message"}),
            R"(DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil")");
}

TEST_F(GarbageCollectionTest, ForegroundWaitsForBlockingDependents) {
  std::string ns = MakeNamespace("gc-foreground");
  std::string owner = ConfigMap(ns, "owner");
  ConfigMap(ns, "blocker", {owner}, true, R"(["example.com/hold"])");
  ConfigMap(ns, "plain", {owner});
  HttpResult deleted = double_->Request("DELETE", Path(ns, "owner"),
                                        R"({"propagationPolicy":"Foreground"})");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  json::object waiting = Object(Get(Path(ns, "owner")));
  EXPECT_THAT(Str(waiting, {"metadata", "finalizers"}), HasSubstr("foregroundDeletion"));
  EXPECT_NE(Str(waiting, {"metadata", "deletionTimestamp"}), "<missing>");
  EXPECT_EQ(Get(Path(ns, "plain")).status, 404);
  json::object blocker = Object(Get(Path(ns, "blocker")));
  EXPECT_NE(Str(blocker, {"metadata", "deletionTimestamp"}), "<missing>");
  // Once the blocking dependent goes, so does the owner.
  HttpResult released = double_->Request("PATCH", Path(ns, "blocker"),
                                         R"({"metadata":{"finalizers":null}})",
                                         "application/merge-patch+json");
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(Get(Path(ns, "blocker")).status, 404);
  EXPECT_EQ(Get(Path(ns, "owner")).status, 404);
}

TEST_F(GarbageCollectionTest, DeleteCollectionPropagatesToEachObject) {
  std::string ns = MakeNamespace("gc-collection");
  std::string owner = ConfigMap(ns, "owner");
  ConfigMap(ns, "child", {owner});
  HttpResult r = double_->Request("DELETE", Path(ns, "") + "?fieldSelector=metadata.name%3Downer",
                                  R"({"propagationPolicy":"Orphan"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Get(Path(ns, "owner")).status, 404);
  HttpResult child = Get(Path(ns, "child"));
  ASSERT_EQ(child.status, 200);
  EXPECT_EQ(Str(Object(child), {"metadata", "ownerReferences"}), "<missing>");
}

TEST_F(GarbageCollectionTest, DependentsLiveWhileAnyOwnerLives) {
  std::string ns = MakeNamespace("gc-owners");
  std::string first = ConfigMap(ns, "first");
  std::string second = ConfigMap(ns, "second");
  ConfigMap(ns, "shared", {first, second});
  ConfigMap(ns, "dangling", {first, "00000000-0000-4000-8000-000000000000"});
  ASSERT_EQ(Delete(ns, "first").status, 200);
  json::object shared = Object(Get(Path(ns, "shared")));
  EXPECT_THAT(Str(shared, {"metadata", "ownerReferences"}), Not(HasSubstr(first)));
  EXPECT_THAT(Str(shared, {"metadata", "ownerReferences"}), HasSubstr(second));
  // An owner that does not exist counts as gone.
  EXPECT_EQ(Get(Path(ns, "dangling")).status, 404);
  ASSERT_EQ(Delete(ns, "second").status, 200);
  EXPECT_EQ(Get(Path(ns, "shared")).status, 404);
}

TEST_F(GarbageCollectionTest, DependentsOfANamespacesObjectsAreCollected) {
  std::string ns = MakeNamespace("gc-namespace");
  std::string other = MakeNamespace("gc-namespace-other");
  std::string owner = ConfigMap(ns, "owner");
  ConfigMap(other, "elsewhere", {owner});
  ASSERT_EQ(double_->Request("DELETE", "/api/v1/namespaces/" + ns).status, 200);
  EXPECT_EQ(Get(Path(other, "elsewhere")).status, 404);
}

// Admission webhooks, against a double of their own (their configurations apply to everything).
class AdmissionWebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    double_ = new KubeApiServerDouble();
    const auto& ca = double_->certificates();
    webhook_cert_ = new kw::testing::IssuedCertificate(kw::testing::IssueCertificate(
        ca, "/CN=webhook", "webhook",
        "DNS:localhost,IP:127.0.0.1,DNS:policy-server.kubewarden.svc"));
  }
  static void TearDownTestSuite() {
    delete double_;
    delete webhook_cert_;
    double_ = nullptr;
    webhook_cert_ = nullptr;
  }
  void TearDown() override {
    for (const auto& path : configurations_) double_->Request("DELETE", path);
  }

  // An HTTPS webhook answering every review with `response` (allowed, status, patch, ...) and
  // the request's uid.
  std::unique_ptr<HttpSink> Webhook(json::object response) {
    HttpSinkOptions options;
    options.cert_file = webhook_cert_->cert;
    options.key_file = webhook_cert_->key;
    options.body_for = [response](const kw::testing::CapturedRequest& request) {
      auto review = ParseJson(request.body);
      json::object answer = response;
      if (review) answer["uid"] = StringAt(*review, {"request", "uid"});
      return ToJson(json::object{{"apiVersion", "admission.k8s.io/v1"},
                                 {"kind", "AdmissionReview"},
                                 {"response", answer}});
    };
    return std::make_unique<HttpSink>(options);
  }
  static std::string CaBundle() {
    auto pem = kw::ReadFile(double_->certificates().ca, 1 << 20);
    return Base64Encode(pem ? *pem : "");
  }
  // Stores a configuration ("validating" or "mutating") with one webhook; removed after the test.
  void Configure(const std::string& type, const std::string& name, const std::string& webhook) {
    std::string plural = type + "webhookconfigurations";
    std::string kind = type == "validating" ? "ValidatingWebhookConfiguration"
                                            : "MutatingWebhookConfiguration";
    HttpResult r = double_->Request(
        "POST", "/apis/admissionregistration.k8s.io/v1/" + plural,
        R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":")" + kind +
            R"(","metadata":{"name":")" + name + R"("},"webhooks":[)" + webhook + "]}");
    ASSERT_EQ(r.status, 201) << r.body;
    configurations_.push_back("/apis/admissionregistration.k8s.io/v1/" + plural + "/" + name);
  }
  // One webhook's JSON: `name`, called at `url`, for `rules`, with `extra` fields.
  static std::string Hook(const std::string& name, const std::string& url,
                          const std::string& rules, const std::string& extra = "") {
    return R"({"name":")" + name + R"(","clientConfig":{"url":")" + url + R"(","caBundle":")" +
           CaBundle() + R"("},"rules":)" + rules +
           R"(,"sideEffects":"None","admissionReviewVersions":["v1"])" + extra + "}";
  }
  static std::string PodRules(const std::string& operations = R"(["CREATE"])") {
    return R"([{"operations":)" + operations +
           R"(,"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}])";
  }
  std::string MakeNamespace(const std::string& name, const std::string& labels = "{}") {
    HttpResult r = double_->Request(
        "POST", "/api/v1/namespaces",
        R"({"metadata":{"name":")" + name + R"(","labels":)" + labels + "}}");
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  static HttpResult CreatePod(const std::string& ns, const std::string& name,
                              const std::string& extra_metadata = "") {
    return double_->Request("POST", "/api/v1/namespaces/" + ns + "/pods", Pod(name, extra_metadata));
  }
  // The review a webhook got (its last).
  static json::object LastReview(HttpSink& sink) {
    auto requests = sink.Requests();
    if (requests.empty()) return {};
    auto review = ParseJson(requests.back().body);
    return review && review->is_object() ? review->get_object() : json::object();
  }

  static KubeApiServerDouble* double_;
  static kw::testing::IssuedCertificate* webhook_cert_;
  std::vector<std::string> configurations_;
};

KubeApiServerDouble* AdmissionWebhookTest::double_ = nullptr;
kw::testing::IssuedCertificate* AdmissionWebhookTest::webhook_cert_ = nullptr;

TEST_F(AdmissionWebhookTest, DenialFailsTheRequestWithTheWebhooksStatus) {
  std::string ns = MakeNamespace("deny");
  auto sink = Webhook(json::object{{"allowed", false},
                                   {"status", json::object{{"message", "no pods here"}}}});
  Configure("validating", "deny", Hook("deny.example.com", sink->Url(), PodRules()));
  HttpResult r = CreatePod(ns, "p");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(Object(r), {"message"}),
            R"(admission webhook "deny.example.com" denied the request: no pods here)");
  EXPECT_EQ(double_->Request("GET", "/api/v1/namespaces/" + ns + "/pods/p").status, 404);
  json::object review = LastReview(*sink);
  EXPECT_EQ(Str(review, {"apiVersion"}), "admission.k8s.io/v1");
  EXPECT_EQ(Str(review, {"request", "operation"}), "CREATE");
  EXPECT_EQ(Str(review, {"request", "kind"}), R"({"group":"","version":"v1","kind":"Pod"})");
  EXPECT_EQ(Str(review, {"request", "resource"}),
            R"({"group":"","version":"v1","resource":"pods"})");
  EXPECT_EQ(Str(review, {"request", "name"}), "p");
  EXPECT_EQ(Str(review, {"request", "namespace"}), ns);
  EXPECT_EQ(Str(review, {"request", "userInfo", "username"}), "test-user");
  EXPECT_EQ(Str(review, {"request", "object", "metadata", "namespace"}), ns);
  EXPECT_EQ(Str(review, {"request", "oldObject"}), "null");
  EXPECT_EQ(Str(review, {"request", "dryRun"}), "false");
  EXPECT_EQ(Str(review, {"request", "options", "kind"}), "CreateOptions");
  EXPECT_EQ(Str(review, {"request", "options", "apiVersion"}), "meta.k8s.io/v1");
  EXPECT_EQ(sink->Requests().back().target, "/?timeout=10s");
  double_->Request("DELETE", configurations_[0]);

  // The status code and reason the webhook gives; neither message nor reason: no explanation.
  auto forbidding = Webhook(json::object{
      {"allowed", false},
      {"status", json::object{{"code", 403}, {"reason", "Forbidden"}, {"message", "m"}}}});
  Configure("validating", "deny-403", Hook("forbid.example.com", forbidding->Url(), PodRules()));
  auto silent = Webhook(json::object{{"allowed", false}});
  Configure("validating", "deny-0", Hook("silent.example.com", silent->Url(), PodRules()));
  // Configurations go by name: deny-0 before deny-403.
  r = CreatePod(ns, "q");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(Object(r), {"message"}),
            R"(admission webhook "silent.example.com" denied the request without explanation)");
  double_->Request("DELETE", configurations_[2]);
  r = CreatePod(ns, "q");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Str(Object(r), {"reason"}), "Forbidden");
  EXPECT_EQ(Str(Object(r), {"message"}), R"(admission webhook "forbid.example.com" denied the request: m)");
}

TEST_F(AdmissionWebhookTest, MutationsApplyBeforeValidationAndStorage) {
  std::string ns = MakeNamespace("mutate");
  std::string patch = Base64Encode(R"([{"op":"add","path":"/metadata/labels","value":{"mutated":"yes"}}])");
  auto mutator = Webhook(json::object{{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", patch}});
  auto validator = Webhook(json::object{{"allowed", true}});
  Configure("mutating", "mutate", Hook("mutate.example.com", mutator->Url(),
                                       PodRules(R"(["CREATE","UPDATE"])")));
  Configure("validating", "validate", Hook("validate.example.com", validator->Url(),
                                           PodRules(R"(["CREATE","UPDATE"])")));
  HttpResult r = CreatePod(ns, "p");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(Object(r), {"metadata", "labels", "mutated"}), "yes");
  EXPECT_EQ(Str(LastReview(*validator), {"request", "object", "metadata", "labels", "mutated"}), "yes");
  EXPECT_EQ(Str(Object(double_->Request("GET", "/api/v1/namespaces/" + ns + "/pods/p")),
                {"metadata", "labels", "mutated"}),
            "yes");
  // An update: the webhooks see the new state and the old one; the mutation is stored.
  HttpResult patched = double_->Request("PATCH", "/api/v1/namespaces/" + ns + "/pods/p",
                                        R"({"metadata":{"labels":{"mutated":"no"}}})",
                                        "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Str(Object(patched), {"metadata", "labels", "mutated"}), "yes");
  json::object review = LastReview(*validator);
  EXPECT_EQ(Str(review, {"request", "operation"}), "UPDATE");
  EXPECT_EQ(Str(review, {"request", "oldObject", "metadata", "name"}), "p");
  EXPECT_EQ(Str(review, {"request", "options", "kind"}), "UpdateOptions");
}

TEST_F(AdmissionWebhookTest, ValidatingWebhooksSeeTheObjectAsItIsStored) {
  std::string ns = MakeNamespace("as-stored");
  auto mutator = Webhook(json::object{{"allowed", true}});
  auto validator = Webhook(json::object{{"allowed", true}});
  Configure("mutating", "look", Hook("look.example.com", mutator->Url(), PodRules()));
  Configure("validating", "look", Hook("look.example.com", validator->Url(), PodRules()));
  HttpResult r = double_->Request("POST", "/api/v1/namespaces/" + ns + "/pods",
                                  R"({"metadata":{"generateName":"web-"},"spec":{"containers":[{"name":"c","image":"nginx"}]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string name = Str(Object(r), {"metadata", "name"});
  // Mutating webhooks come before the name is picked; validating ones see it, and the rest
  // the server sets, as stored.
  ASSERT_EQ(mutator->Requests().size(), 1u);
  json::object before = LastReview(*mutator);
  EXPECT_EQ(Str(before, {"request", "object", "metadata", "generateName"}), "web-");
  EXPECT_EQ(Str(before, {"request", "object", "metadata", "name"}), "<missing>");
  EXPECT_EQ(Str(before, {"request", "name"}), "<missing>");
  json::object after = LastReview(*validator);
  EXPECT_EQ(Str(after, {"request", "name"}), name);
  EXPECT_EQ(Str(after, {"request", "object", "metadata", "name"}), name);
  EXPECT_NE(Str(after, {"request", "object", "metadata", "creationTimestamp"}), "<missing>");
  EXPECT_EQ(Str(after, {"request", "object", "status", "phase"}), "Pending");
}

TEST_F(AdmissionWebhookTest, ScaleRequestsSendAScaleAndMayBeMutated) {
  std::string ns = MakeNamespace("scaling");
  std::string path = "/apis/apps/v1/namespaces/" + ns + "/deployments";
  ASSERT_EQ(double_->Request("POST", path, R"({"metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}}}})").status, 201);
  // A webhook that caps replicas at 3.
  std::string patch = Base64Encode(R"([{"op":"replace","path":"/spec/replicas","value":3}])");
  auto capper = Webhook(json::object{{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", patch}});
  Configure("mutating", "cap",
            Hook("cap.example.com", capper->Url(),
                 R"([{"operations":["UPDATE"],"apiGroups":["apps"],"apiVersions":["v1"],"resources":["deployments/scale"]}])"));
  HttpResult scaled = double_->Request("PATCH", path + "/d/scale", R"({"spec":{"replicas":9}})",
                                       "application/merge-patch+json");
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_EQ(Str(Object(scaled), {"spec", "replicas"}), "3");
  EXPECT_EQ(Str(Object(double_->Request("GET", path + "/d")), {"spec", "replicas"}), "3");
  json::object review = LastReview(*capper);
  EXPECT_EQ(Str(review, {"request", "kind"}), R"({"group":"autoscaling","version":"v1","kind":"Scale"})");
  EXPECT_EQ(Str(review, {"request", "resource"}), R"({"group":"apps","version":"v1","resource":"deployments"})");
  EXPECT_EQ(Str(review, {"request", "subResource"}), "scale");
  EXPECT_EQ(Str(review, {"request", "object", "spec", "replicas"}), "9");
  EXPECT_EQ(Str(review, {"request", "oldObject", "spec", "replicas"}), "1");
}

TEST_F(AdmissionWebhookTest, IfNeededWebhooksAreCalledAgainAfterLaterChanges) {
  std::string ns = MakeNamespace("reinvoke");
  auto first = Webhook(json::object{
      {"allowed", true}, {"patchType", "JSONPatch"},
      {"patch", Base64Encode(R"([{"op":"add","path":"/metadata/annotations","value":{"a":"yes"}}])")}});
  auto second = Webhook(json::object{
      {"allowed", true}, {"patchType", "JSONPatch"},
      {"patch", Base64Encode(R"([{"op":"add","path":"/metadata/labels","value":{"b":"yes"}}])")}});
  Configure("mutating", "a", Hook("a.example.com", first->Url(), PodRules(),
                                  R"(,"reinvocationPolicy":"IfNeeded")"));
  Configure("mutating", "b", Hook("b.example.com", second->Url(), PodRules()));
  HttpResult r = CreatePod(ns, "p");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(Object(r), {"metadata", "annotations", "a"}), "yes");
  EXPECT_EQ(Str(Object(r), {"metadata", "labels", "b"}), "yes");
  ASSERT_EQ(first->Requests().size(), 2u);
  EXPECT_EQ(Str(LastReview(*first), {"request", "object", "metadata", "labels", "b"}), "yes");
  EXPECT_EQ(second->Requests().size(), 1u);
}

TEST_F(AdmissionWebhookTest, EquivalentMatchPolicyReachesWebhooksOfAnotherVersion) {
  std::string ns = MakeNamespace("equivalent");
  HttpResult crd = double_->Request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      R"({"metadata":{"name":"gizmos.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"gizmos","singular":"gizmo","kind":"Gizmo"},
      "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
                  {"name":"v1beta1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})");
  ASSERT_EQ(crd.status, 201) << crd.body;
  std::string patch = Base64Encode(R"([{"op":"add","path":"/metadata/labels","value":{"seen":"v1"}}])");
  auto equivalent = Webhook(json::object{{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", patch}});
  auto exact = Webhook(json::object{{"allowed", false}});
  std::string v1_rules =
      R"([{"operations":["CREATE"],"apiGroups":["example.com"],"apiVersions":["v1"],"resources":["gizmos"]}])";
  Configure("mutating", "equivalent", Hook("equivalent.example.com", equivalent->Url(), v1_rules));
  Configure("validating", "exact", Hook("exact.example.com", exact->Url(), v1_rules,
                                        R"(,"matchPolicy":"Exact")"));
  HttpResult r = double_->Request(
      "POST", "/apis/example.com/v1beta1/namespaces/" + ns + "/gizmos",
      R"({"apiVersion":"example.com/v1beta1","kind":"Gizmo","metadata":{"name":"g"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(Object(r), {"apiVersion"}), "example.com/v1beta1");
  EXPECT_EQ(Str(Object(r), {"metadata", "labels", "seen"}), "v1");
  EXPECT_TRUE(exact->Requests().empty());
  json::object review = LastReview(*equivalent);
  EXPECT_EQ(Str(review, {"request", "kind", "version"}), "v1");
  EXPECT_EQ(Str(review, {"request", "resource", "version"}), "v1");
  EXPECT_EQ(Str(review, {"request", "requestKind", "version"}), "v1beta1");
  EXPECT_EQ(Str(review, {"request", "requestResource", "version"}), "v1beta1");
  EXPECT_EQ(Str(review, {"request", "object", "apiVersion"}), "example.com/v1");
  double_->Request("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.com");
}

TEST_F(AdmissionWebhookTest, FailurePolicyDecidesWhatAnUnreachableWebhookDoes) {
  std::string ns = MakeNamespace("failure");
  std::string dead_url;
  {
    auto gone = Webhook(json::object{{"allowed", true}});
    dead_url = gone->Url();
  }
  Configure("validating", "dead", Hook("dead.example.com", dead_url, PodRules()));
  HttpResult r = CreatePod(ns, "p");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Str(Object(r), {"reason"}), "InternalError");
  EXPECT_THAT(Str(Object(r), {"message"}),
              HasSubstr("Internal error occurred: failed calling webhook \"dead.example.com\": "
                        "failed to call webhook: Post \"" + dead_url + "/?timeout=10s\": "));
  double_->Request("DELETE", configurations_.back());
  Configure("validating", "dead-ignored",
            Hook("dead.example.com", dead_url, PodRules(), R"(,"failurePolicy":"Ignore")"));
  EXPECT_EQ(CreatePod(ns, "p").status, 201);
}

TEST_F(AdmissionWebhookTest, SelectorsAndScopeChooseTheRequests) {
  std::string chosen = MakeNamespace("chosen", R"({"team":"a"})");
  std::string other = MakeNamespace("other");
  auto sink = Webhook(json::object{{"allowed", false}});
  Configure("validating", "selective",
            Hook("selective.example.com", sink->Url(), PodRules(),
                 R"(,"namespaceSelector":{"matchLabels":{"team":"a"}},"objectSelector":{"matchExpressions":[{"key":"skip","operator":"DoesNotExist"}]})"));
  EXPECT_EQ(CreatePod(other, "p").status, 201);
  EXPECT_EQ(CreatePod(chosen, "p", R"(,"labels":{"skip":"1"})").status, 201);
  EXPECT_EQ(CreatePod(chosen, "q").status, 400);
  EXPECT_EQ(sink->Requests().size(), 1u);

  // Cluster scope: namespaces and other cluster-scoped objects, not pods.
  auto cluster = Webhook(json::object{{"allowed", false}});
  Configure("validating", "cluster",
            Hook("cluster.example.com", cluster->Url(),
                 R"([{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Cluster"}])"));
  EXPECT_EQ(CreatePod(other, "q").status, 201);
  HttpResult ns = double_->Request("POST", "/api/v1/namespaces", R"({"metadata":{"name":"refused"}})");
  EXPECT_EQ(ns.status, 400);
  EXPECT_EQ(Str(LastReview(*cluster), {"request", "kind", "kind"}), "Namespace");
}

TEST_F(AdmissionWebhookTest, CustomResourcesAndDeletionsGoThroughWebhooks) {
  std::string ns = MakeNamespace("custom");
  HttpResult crd = double_->Request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      R"({"metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"gadgets","singular":"gadget","kind":"Gadget"},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})");
  ASSERT_EQ(crd.status, 201) << crd.body;
  auto sink = Webhook(json::object{{"allowed", false}, {"status", json::object{{"message", "keep it"}}}});
  Configure("validating", "gadgets",
            Hook("gadgets.example.com", sink->Url(),
                 R"([{"operations":["DELETE"],"apiGroups":["example.com"],"apiVersions":["v1"],"resources":["gadgets"]}])"));
  std::string gadgets = "/apis/example.com/v1/namespaces/" + ns + "/gadgets";
  ASSERT_EQ(double_->Request("POST", gadgets, R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"}})").status, 201);
  EXPECT_TRUE(sink->Requests().empty());  // creates are not in the rules
  HttpResult deleted = double_->Request("DELETE", gadgets + "/g");
  EXPECT_EQ(deleted.status, 400);
  EXPECT_EQ(Str(Object(deleted), {"message"}),
            R"(admission webhook "gadgets.example.com" denied the request: keep it)");
  EXPECT_EQ(double_->Request("GET", gadgets + "/g").status, 200);
  json::object review = LastReview(*sink);
  EXPECT_EQ(Str(review, {"request", "operation"}), "DELETE");
  EXPECT_EQ(Str(review, {"request", "kind"}), R"({"group":"example.com","version":"v1","kind":"Gadget"})");
  EXPECT_EQ(Str(review, {"request", "object"}), "null");
  EXPECT_EQ(Str(review, {"request", "oldObject", "metadata", "name"}), "g");
  EXPECT_EQ(Str(review, {"request", "options", "kind"}), "DeleteOptions");
  double_->Request("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com");
}

TEST_F(AdmissionWebhookTest, ServiceReferencesGoToTheMappedAddressWithTheServiceName) {
  std::string ns = MakeNamespace("service");
  auto sink = Webhook(json::object{{"allowed", false}, {"status", json::object{{"message", "via service"}}}});
  Configure("validating", "service",
            R"({"name":"svc.example.com","clientConfig":{"service":{"namespace":"kubewarden","name":"policy-server","path":"/validate","port":8443},"caBundle":")" +
                CaBundle() + R"("},"rules":)" + PodRules() +
                R"(,"sideEffects":"None","admissionReviewVersions":["v1"]})");
  HttpResult unmapped = CreatePod(ns, "p");
  EXPECT_EQ(unmapped.status, 500);
  EXPECT_THAT(Str(Object(unmapped), {"message"}), HasSubstr(R"(service "policy-server" not found)"));
  double_->MapService("kubewarden", "policy-server", "127.0.0.1:" + std::to_string(sink->port()));
  HttpResult r = CreatePod(ns, "p");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(Object(r), {"message"}), R"(admission webhook "svc.example.com" denied the request: via service)");
  EXPECT_EQ(sink->Requests().back().target, "/validate?timeout=10s");
}

TEST_F(AdmissionWebhookTest, CertificatesAreCheckedAgainstTheCaBundle) {
  std::string ns = MakeNamespace("tls");
  auto sink = Webhook(json::object{{"allowed", true}});
  auto other = kw::testing::MakeCertificates();
  auto other_pem = kw::ReadFile(other.ca, 1 << 20);
  ASSERT_TRUE(other_pem.has_value());
  Configure("validating", "wrong-ca",
            R"({"name":"tls.example.com","clientConfig":{"url":")" + sink->Url() +
                R"(","caBundle":")" + Base64Encode(*other_pem) + R"("},"rules":)" + PodRules() +
                R"(,"sideEffects":"None","admissionReviewVersions":["v1"]})");
  HttpResult r = CreatePod(ns, "p");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(Str(Object(r), {"message"}), HasSubstr("failed calling webhook \"tls.example.com\""));
  EXPECT_TRUE(sink->Requests().empty());
}

TEST_F(AdmissionWebhookTest, DryRunRefusesWebhooksWithSideEffects) {
  std::string ns = MakeNamespace("dryrun");
  auto sink = Webhook(json::object{{"allowed", true}});
  Configure("validating", "effects",
            Hook("effects.example.com", sink->Url(), PodRules()));
  // The hook says sideEffects None: a dry run is allowed and says so.
  HttpResult dry = double_->Request("POST", "/api/v1/namespaces/" + ns + "/pods?dryRun=All", Pod("p"));
  EXPECT_EQ(dry.status, 201) << dry.body;
  EXPECT_EQ(Str(LastReview(*sink), {"request", "dryRun"}), "true");
  double_->Request("DELETE", configurations_.back());
  std::string hook = Hook("effects.example.com", sink->Url(), PodRules());
  hook.replace(hook.find(R"("sideEffects":"None")"), 20, R"("sideEffects":"Some")");
  Configure("validating", "effects-some", hook);
  HttpResult refused = double_->Request("POST", "/api/v1/namespaces/" + ns + "/pods?dryRun=All", Pod("p"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Str(Object(refused), {"message"}),
            R"(admission webhook "effects.example.com" does not support dry run)");
}

TEST_F(AdmissionWebhookTest, SubresourcesMatchTheirOwnRules) {
  std::string ns = MakeNamespace("subresources");
  ASSERT_EQ(CreatePod(ns, "p").status, 201);
  auto sink = Webhook(json::object{{"allowed", false}, {"status", json::object{{"message", "status is ours"}}}});
  Configure("validating", "status",
            Hook("status.example.com", sink->Url(),
                 R"([{"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods/status"]}])"));
  std::string pod = "/api/v1/namespaces/" + ns + "/pods/p";
  HttpResult main = double_->Request("PATCH", pod, R"({"metadata":{"labels":{"a":"b"}}})",
                                     "application/merge-patch+json");
  EXPECT_EQ(main.status, 200) << main.body;
  EXPECT_TRUE(sink->Requests().empty());
  HttpResult status = double_->Request("PATCH", pod + "/status", R"({"status":{"phase":"Running"}})",
                                       "application/merge-patch+json");
  EXPECT_EQ(status.status, 400);
  EXPECT_EQ(Str(Object(status), {"message"}),
            R"(admission webhook "status.example.com" denied the request: status is ours)");
  json::object review = LastReview(*sink);
  EXPECT_EQ(Str(review, {"request", "subResource"}), "status");
  EXPECT_EQ(Str(review, {"request", "kind", "kind"}), "Pod");
  EXPECT_EQ(Str(review, {"request", "object", "status", "phase"}), "Running");
  EXPECT_EQ(Str(review, {"request", "oldObject", "status", "phase"}), "Pending");
  EXPECT_EQ(Str(Object(double_->Request("GET", pod)), {"status", "phase"}), "Pending");
}

TEST_F(AdmissionWebhookTest, WebhooksMayReadFromTheServerTheyAdmitFor) {
  std::string ns = MakeNamespace("callback");
  // A webhook that looks the request's namespace up before it answers, as the controller's
  // own webhooks read other objects: the double must not hold its lock across the call.
  HttpSinkOptions options;
  options.cert_file = webhook_cert_->cert;
  options.key_file = webhook_cert_->key;
  options.body_for = [](const kw::testing::CapturedRequest& request) {
    auto review = ParseJson(request.body);
    std::string ns = review ? StringAt(*review, {"request", "namespace"}) : "";
    HttpResult lookup = double_->Request("GET", "/api/v1/namespaces/" + ns);
    return ToJson(json::object{
        {"apiVersion", "admission.k8s.io/v1"},
        {"kind", "AdmissionReview"},
        {"response", json::object{{"uid", review ? StringAt(*review, {"request", "uid"}) : ""},
                                  {"allowed", lookup.status == 200}}}});
  };
  HttpSink sink(options);
  Configure("validating", "callback", Hook("callback.example.com", sink.Url(), PodRules()));
  EXPECT_EQ(CreatePod(ns, "p").status, 201);
}

TEST_F(AdmissionWebhookTest, InvalidAnswersAreFailedCalls) {
  std::string ns = MakeNamespace("invalid");
  HttpSinkOptions options;
  options.cert_file = webhook_cert_->cert;
  options.key_file = webhook_cert_->key;
  options.body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"not-yours","allowed":true}})";
  HttpSink wrong_uid(options);
  Configure("validating", "wrong-uid", Hook("uid.example.com", wrong_uid.Url(), PodRules()));
  HttpResult r = CreatePod(ns, "p");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(Str(Object(r), {"message"}),
              HasSubstr(R"(failed calling webhook "uid.example.com": received invalid webhook response: expected response.uid=")"));
  double_->Request("DELETE", configurations_.back());
  // A validating webhook may not patch.
  auto patching = Webhook(json::object{{"allowed", true}, {"patchType", "JSONPatch"},
                                       {"patch", Base64Encode("[]")}});
  Configure("validating", "patching", Hook("patch.example.com", patching->Url(), PodRules()));
  r = CreatePod(ns, "p");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(Str(Object(r), {"message"}),
              HasSubstr("received invalid webhook response: validating webhook may not return response.patch"));
}

TEST(DoubleServiceEndpointFlagTest, MapsServicesForWebhooks) {
  auto bad = kw::testing::RunProcess({kw::testing::KubeApiServerDoubleBinary(), "--tls-cert",
                                      "unread", "--tls-key", "unread", "--service-endpoint",
                                      "no-slash=127.0.0.1:1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--service-endpoint wants NAMESPACE/NAME=HOST:PORT"));

  // The webhook's certificate comes from a CA of its own, which the configuration trusts.
  auto pki = kw::testing::MakeCertificates();
  auto cert = kw::testing::IssueCertificate(pki, "/CN=webhook", "svc", "DNS:hooks.team.svc");
  auto ca = kw::ReadFile(pki.ca, 1 << 20);
  ASSERT_TRUE(ca.has_value());
  HttpSinkOptions sink_options;
  sink_options.cert_file = cert.cert;
  sink_options.key_file = cert.key;
  sink_options.body_for = [](const kw::testing::CapturedRequest& request) {
    auto review = ParseJson(request.body);
    return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":")" +
           (review ? StringAt(*review, {"request", "uid"}) : "") +
           R"(","allowed":false,"status":{"message":"flagged"}}})";
  };
  HttpSink sink(sink_options);
  KubeDoubleOptions options;
  options.extra_args = {"--service-endpoint", "team/hooks=127.0.0.1:" + std::to_string(sink.port())};
  KubeApiServerDouble server(options);
  HttpResult configured = server.Request(
      "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
      R"({"metadata":{"name":"flagged"},"webhooks":[{"name":"flagged.example.com","clientConfig":{"service":{"namespace":"team","name":"hooks","path":"/v"},"caBundle":")" +
          Base64Encode(*ca) +
          R"("},"rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["configmaps"]}],"sideEffects":"None","admissionReviewVersions":["v1"]}]})");
  ASSERT_EQ(configured.status, 201) << configured.body;
  HttpResult r = server.Request("POST", "/api/v1/namespaces/default/configmaps",
                                R"({"metadata":{"name":"c"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(Object(r), {"message"}),
            R"(admission webhook "flagged.example.com" denied the request: flagged)");
}

TEST(DoubleKubeconfigTest, ServerCertificateNamesTheInClusterService) {
  KubeApiServerDouble server;
  for (const char* name : {"kubernetes.default.svc", "localhost"}) {
    auto r = kw::testing::RunProcess({"/usr/bin/openssl", "s_client", "-connect",
                                      "127.0.0.1:" + std::to_string(server.Port()), "-CAfile",
                                      server.certificates().ca, "-verify_hostname", name,
                                      "-verify_return_error", "-brief"});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
  }
}

}  // namespace
}  // namespace kw::kube_double
