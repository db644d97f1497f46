// Unit tests of the parts of the Kubernetes client that need no API server: error mapping,
// discovery documents, resource paths, watch-stream decoding, field masks and the rate limiter.
// The client against a server is tested in tests/integration/kube_client_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/json.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/field_mask.h"
#include "kube/rate_limiter.h"
#include "kube/watch.h"

namespace kw::kube {
namespace {

TEST(StatusError, TakesTheMessageAndCodeOfAStatus) {
  Error error = StatusError(404, R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404})");
  EXPECT_EQ(error.kind, ErrorKind::kNotFound);
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(error.message, "pods \"x\" not found");
}

TEST(StatusError, QuotesAnythingElseSafelyAndBriefly) {
  Error error = StatusError(502, std::string("<html>\x01\n") + std::string(1000, 'x'));
  EXPECT_EQ(error.kind, ErrorKind::kIo);
  EXPECT_EQ(error.http_status, 502);
  EXPECT_TRUE(error.message.starts_with("the API server answered 502: <html>??x")) << error.message;
  EXPECT_LT(error.message.size(), 300u);
  EXPECT_EQ(StatusError(409, "").kind, ErrorKind::kConflict);
  EXPECT_EQ(StatusError(403, "").kind, ErrorKind::kPermissionDenied);
}

constexpr char kAppsV1[] = R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
  {"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment",
   "verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["deploy"]},
  {"name":"deployments/status","singularName":"","namespaced":true,"kind":"Deployment",
   "verbs":["get","patch","update"]},
  {"name":"controllerrevisions","namespaced":true,"kind":"ControllerRevision","verbs":["get"]}]})";

TEST(Discovery, ParsesResourcesAndSkipsSubresources) {
  auto resources = ParseApiResourceList("apps/v1", kAppsV1);
  ASSERT_TRUE(resources) << resources.error().message;
  ASSERT_EQ(resources->size(), 2u);
  const ResourceType& deployments = (*resources)[0];
  EXPECT_EQ(deployments.plural, "deployments");
  EXPECT_EQ(deployments.kind, "Deployment");
  EXPECT_EQ(deployments.group, "apps");
  EXPECT_EQ(deployments.ApiVersion(), "apps/v1");
  EXPECT_TRUE(deployments.namespaced);
  EXPECT_TRUE(deployments.Supports("watch"));
  EXPECT_FALSE((*resources)[1].Supports("list"));
}

TEST(Discovery, RefusesDocumentsThatAreNot) {
  EXPECT_FALSE(ParseApiResourceList("apps/v1", "<html>"));
  EXPECT_FALSE(ParseApiResourceList("apps/v1", R"({"resources":3})"));
  EXPECT_FALSE(ParseApiResourceList("a/b/c", kAppsV1));
}

TEST(ResourceType, BuildsPathsWithEncodedSegments) {
  ResourceType pods{"", "v1", "Pod", "pods", true, {}};
  EXPECT_EQ(pods.CollectionPath(""), "/api/v1/pods");
  EXPECT_EQ(pods.CollectionPath("kube-system"), "/api/v1/namespaces/kube-system/pods");
  EXPECT_EQ(pods.ObjectPath("default", "web", "status"), "/api/v1/namespaces/default/pods/web/status");
  EXPECT_EQ(pods.ObjectPath("default", "../x?y"), "/api/v1/namespaces/default/pods/..%2Fx%3Fy");
  ResourceType roles{"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, {}};
  // Cluster-scoped resources ignore a namespace.
  EXPECT_EQ(roles.ObjectPath("default", "admin"),
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin");
}

std::vector<WatchEvent> FeedAll(WatchDecoder& decoder, const std::vector<std::string>& chunks,
                                Result<bool>* last = nullptr) {
  std::vector<WatchEvent> events;
  for (const std::string& chunk : chunks) {
    auto fed = decoder.Feed(chunk, [&](WatchEvent& event) {
      events.push_back(std::move(event));
      return true;
    });
    if (last != nullptr) *last = fed;
    if (!fed) break;
  }
  return events;
}

TEST(WatchDecoder, SplitsEventsWhereverTheChunksCut) {
  const std::string stream =
      R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
      "\n"
      R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})"
      "\n"
      R"({"type":"DELETED","object":{"metadata":{"name":"a"}}}{"type":"MODIFIED","object":{}})"
      "\n";
  for (std::size_t cut = 1; cut < stream.size(); cut += 7) {
    WatchDecoder decoder;
    std::vector<std::string> chunks;
    for (std::size_t at = 0; at < stream.size(); at += cut) chunks.push_back(stream.substr(at, cut));
    auto events = FeedAll(decoder, chunks);
    ASSERT_EQ(events.size(), 4u) << "chunks of " << cut;
    EXPECT_EQ(events[0].type, WatchEvent::Type::kAdded);
    EXPECT_EQ(events[1].type, WatchEvent::Type::kBookmark);
    EXPECT_EQ(events[2].type, WatchEvent::Type::kDeleted);
    EXPECT_EQ(events[3].type, WatchEvent::Type::kModified);
    EXPECT_EQ(ToJson(events[0].object), R"({"metadata":{"name":"a"}})");
  }
}

TEST(WatchDecoder, RefusesGarbageAndStaysFailed) {
  for (const char* bad : {"<html>", R"({"type":"ADDED"})", R"({"type":"UPSERT","object":{}})",
                          R"({"type":"ADDED","object":[]})", R"([1,2])"}) {
    WatchDecoder decoder;
    Result<bool> last = false;
    FeedAll(decoder, {bad, "\n"}, &last);
    ASSERT_FALSE(last) << bad;
    EXPECT_EQ(last.error().kind, ErrorKind::kIo);
    EXPECT_FALSE(decoder.Feed(R"({"type":"ADDED","object":{}})", [](WatchEvent&) { return true; }));
  }
}

TEST(WatchDecoder, BoundsTheSizeOfAnEvent) {
  WatchDecoder decoder(1024);
  Result<bool> last = false;
  // An event that never ends: refused once it passes the cap, not buffered forever.
  std::vector<std::string> chunks{R"({"type":"ADDED","object":{"data":")"};
  for (int i = 0; i < 100; ++i) chunks.push_back(std::string(100, 'x'));
  FeedAll(decoder, chunks, &last);
  ASSERT_FALSE(last);
  EXPECT_NE(last.error().message.find("larger than 1024 bytes"), std::string::npos);
}

TEST(WatchDecoder, StopsWhenAskedTo) {
  WatchDecoder decoder;
  int seen = 0;
  auto fed = decoder.Feed(R"({"type":"ADDED","object":{}}{"type":"ADDED","object":{}})",
                          [&](WatchEvent&) { return ++seen < 1; });
  ASSERT_TRUE(fed);
  EXPECT_TRUE(*fed);
  EXPECT_EQ(seen, 1);
}

TEST(FieldMask, KeepsTheMaskedFieldsAndAlwaysTheIdentity) {
  auto object = ParseJson(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","labels":{"a":"b"}},
      "spec":{"nodeName":"n1","containers":[{"name":"c","image":"i1","ports":[1]},
                                            {"name":"d","image":"i2"}]},
      "status":{"phase":"Running"}})");
  ASSERT_TRUE(object);
  FieldMask({"spec.containers.image", "status"}).Apply(object->as_object());
  EXPECT_EQ(ToJson(*object),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}},)"
            R"("spec":{"containers":[{"image":"i1"},{"image":"i2"}]},"status":{"phase":"Running"}})");
}

TEST(FieldMask, WithoutPathsKeepsEverything) {
  auto object = ParseJson(R"({"kind":"Pod","spec":{"x":1}})");
  FieldMask().Apply(object->as_object());
  EXPECT_EQ(ToJson(*object), R"({"kind":"Pod","spec":{"x":1}})");
}

TEST(RateLimiter, GivesTheBurstThenWaitsUpToTheDeadline) {
  RateLimiter limiter(1, 3);  // one per second after a burst of three
  const auto now = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire(now + std::chrono::milliseconds(1)));
  auto refused = limiter.Acquire(RateLimiter::Clock::now() + std::chrono::milliseconds(100));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kTimeout);
  RateLimiter unlimited(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.Acquire(now));
}

}  // namespace
}  // namespace kw::kube
