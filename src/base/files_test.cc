#include "base/files.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/strings.h"

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

TEST(ByteSize, ExactUnitsAndOneDecimal) {
  EXPECT_EQ(ByteSize(0), "0 bytes");
  EXPECT_EQ(ByteSize(1), "1 byte");
  EXPECT_EQ(ByteSize(1023), "1023 bytes");
  EXPECT_EQ(ByteSize(1024), "1 KiB");
  EXPECT_EQ(ByteSize(1536), "1.5 KiB");
  EXPECT_EQ(ByteSize(4u << 20), "4 MiB");
  EXPECT_EQ(ByteSize(65011712 + 1000), "62.0 MiB");
  EXPECT_EQ(ByteSize((1u << 20) - 1), "1024.0 KiB");  // rounds up within its unit
  EXPECT_EQ(ByteSize(512ull << 20), "512 MiB");
  EXPECT_EQ(ByteSize(3ull << 30), "3 GiB");
}

TEST(ReadFile, RefusesARegularFileOverTheCapBeforeReadingIt) {
  std::string path = TempDir() + "/policies.yml";
  ASSERT_TRUE(WriteFile(path, std::string(8u << 20, '#')));
  auto r = ReadFile(path, 4u << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().message, path + " is 8 MiB, more than the 4 MiB limit");
  // At the cap exactly is fine.
  auto exact = ReadFile(path, 8u << 20);
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->size(), 8u << 20);
}

TEST(ReadConfigFile, CapsAt4MiB) {
  std::string path = TempDir() + "/settings.json";
  ASSERT_TRUE(WriteFile(path, std::string(kMaxConfigFileBytes + 100 * 1024, ' ')));
  auto r = ReadConfigFile(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, path + " is 4.1 MiB, more than the 4 MiB limit");
  ASSERT_TRUE(WriteFile(path, "{}"));
  EXPECT_EQ(ReadConfigFile(path).value_or("?"), "{}");
}

TEST(ReadFile, ReadsADeviceOnlyUpToTheCap) {
  // /dev/zero never ends: what a read costs is its cap, not a gigabyte.
  auto r = ReadFile("/dev/zero", 64 * 1024);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "/dev/zero is larger than the 64 KiB limit");
  auto binary = ReadBinaryFile("/dev/zero", 1024);
  ASSERT_FALSE(binary);
  EXPECT_EQ(binary.error().message, "/dev/zero is larger than the 1 KiB limit");
}

TEST(ReadFile, RegularOnlyRefusesDevicesFifosAndDirectoriesWithoutReading) {
  auto device = ReadBinaryFile("/dev/zero", 1u << 30, FileTypes::kRegularOnly);
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(device.error().message,
            "cannot read /dev/zero: it is a character device, not a regular file");

  // Nobody writes to this FIFO: a read that opened it the ordinary way would wait forever.
  std::string fifo = TempDir() + "/module.wasm";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = ReadBinaryFile(fifo, 1u << 30, FileTypes::kRegularOnly);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot read " + fifo + ": it is a FIFO, not a regular file");

  std::string dir = TempDir();
  auto d = ReadFile(dir, 1024, FileTypes::kRegularOnly);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "cannot read " + dir + ": it is a directory");
}

TEST(ReadFile, MissingFileIsNotFound) {
  auto r = ReadFile("/nonexistent-dir/policies.yml", 1024);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("/nonexistent-dir/policies.yml"), std::string::npos);
}

}  // namespace
}  // namespace kw
