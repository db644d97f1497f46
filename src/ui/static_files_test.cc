#include "ui/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/process.h"

namespace kw::ui {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path dir = kw::testing::MakeTempDir();
    root = dir / "web";
    Write(root / "index.html", "<html>app</html>");
    Write(root / "assets" / "app.js", "console.log(1)");
    Write(root / "assets" / "style.css", "body{}");
    Write(dir / "secret.txt", "secret");
    fs::create_symlink(dir / "secret.txt", root / "leak.txt");
  }
  fs::path root;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirContentType) {
  const StaticFiles files(root.string());
  WebAnswer js = files.Serve("/assets/app.js?v=2");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_FALSE(js.no_cache);
  EXPECT_EQ(files.Serve("/assets/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(files.Serve("/assets/%61pp.js").body, "console.log(1)");
}

TEST_F(StaticFilesTest, IndexAndTheSinglePageFallback) {
  const StaticFiles files(root.string());
  for (std::string_view target : {"/", "/index.html", "/namespaces/team-a", "/assets/", "/missing.js"}) {
    WebAnswer answer = files.Serve(target);
    EXPECT_EQ(answer.status, 200) << target;
    EXPECT_EQ(answer.body, "<html>app</html>") << target;
    EXPECT_EQ(answer.content_type, "text/html; charset=utf-8") << target;
    EXPECT_TRUE(answer.no_cache) << target;
  }
}

TEST_F(StaticFilesTest, RefusesToLeaveTheRoot) {
  const StaticFiles files(root.string());
  for (std::string_view target : {"/../secret.txt", "/assets/../../secret.txt",
                                  "/%2e%2e/secret.txt", "/assets/%2E%2E/%2e%2e/secret.txt",
                                  "/a%5c..%5csecret.txt", "/a%00b", "relative", "/%zz"}) {
    WebAnswer answer = files.Serve(target);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_EQ(answer.body.find("secret"), std::string::npos) << target;
  }
  // A link out of the root is no file of it.
  EXPECT_EQ(files.Serve("/leak.txt").body, "<html>app</html>");
}

TEST_F(StaticFilesTest, NoIndexIsA404) {
  const StaticFiles files((root / "assets").string());
  EXPECT_EQ(files.Serve("/").status, 404);
  EXPECT_EQ(files.Serve("/app.js").status, 200);
  EXPECT_EQ(StaticFiles("/nonexistent").Serve("/").status, 404);
}

TEST(ContentTypeTest, KnownExtensions) {
  EXPECT_EQ(StaticFiles::ContentType("a.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentType("a.PNG"), "image/png");
  EXPECT_EQ(StaticFiles::ContentType("a.json"), "application/json");
  EXPECT_EQ(StaticFiles::ContentType("a.woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::ContentType("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace kw::ui
