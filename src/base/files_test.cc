#include "base/files.h"

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace kw {
namespace {

std::string TempDir() {
  std::string dir = std::filesystem::temp_directory_path() / ("kw_files_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(WriteFile, ConcurrentWritersOfOnePathLeaveOneWholeVersion) {
  std::string dir = TempDir();
  std::string path = dir + "/file";
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&path, i] {
      std::string content(100000, static_cast<char>('a' + i));
      for (int round = 0; round < 20; ++round) ASSERT_TRUE(WriteFile(path, content));
    });
  }
  for (auto& t : writers) t.join();
  auto text = ReadFile(path);
  ASSERT_TRUE(text);
  ASSERT_EQ(text->size(), 100000u);
  EXPECT_EQ(text->find_first_not_of((*text)[0]), std::string::npos);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  std::filesystem::remove_all(dir);
}

TEST(WriteFile, FailureNamesThePath) {
  auto r = WriteFile("/nonexistent-dir/file", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kIo);
  EXPECT_NE(r.error().message.find("/nonexistent-dir/file"), std::string::npos);
}

}  // namespace
}  // namespace kw
