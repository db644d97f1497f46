#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/process.h"
#include "ui/process.h"

namespace kw::ui {
namespace {

class RouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = kw::testing::MakeTempDir();
    std::ofstream(root + "/index.html") << "<html></html>";
  }
  WebAnswer Get(std::string_view target, bool ready = true) {
    const Api api(index, nullptr);
    const StaticFiles files(root);
    return Route("GET", target, api, files, ready);
  }
  ReportIndex index;
  std::string root;
};

TEST_F(RouteTest, Probes) {
  EXPECT_EQ(Get("/healthz", false).status, 200);
  EXPECT_EQ(Get("/readyz", false).status, 503);
  EXPECT_EQ(Get("/readyz?verbose", true).status, 200);
}

TEST_F(RouteTest, TheApiAnswersJsonEvenForWhatItDoesNotKnow) {
  for (std::string_view target : {"/api/v1/summary", "/api/v1/nothing", "/api", "/api/"}) {
    WebAnswer answer = Get(target);
    EXPECT_EQ(answer.content_type, "application/json") << target;
  }
  EXPECT_EQ(Get("/api/v1/summary").status, 200);
  EXPECT_EQ(Get("/api/v1/nothing").status, 404);
}

TEST_F(RouteTest, TheRestIsTheWebRoot) {
  WebAnswer answer = Get("/namespaces/team-a");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "<html></html>");
  EXPECT_TRUE(answer.no_cache);
  EXPECT_EQ(Get("/apis").body, "<html></html>");  // not the API: a route of the app
}

TEST_F(RouteTest, OnlyGet) {
  const Api api(index, nullptr);
  const StaticFiles files(root);
  WebAnswer answer = Route("POST", "/api/v1/summary", api, files, true);
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(answer.content_type, "application/json");
}

}  // namespace
}  // namespace kw::ui
