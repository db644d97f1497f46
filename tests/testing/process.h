// Test helpers: run a binary and capture what it prints; find build outputs and fixtures.
#pragma once

#include <string>
#include <vector>

namespace kw::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path), feeding `stdin_data`, and waits for it.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// $KW_TEST_DATA/<name>: the built fixtures (tests/data in the build tree).
std::string TestData(const std::string& name);
// $KW_SOURCE_DIR/<relative>.
std::string SourcePath(const std::string& relative);
// The kwctl binary of this build.
std::string KwctlBinary();
// A fresh empty directory under the test temp dir.
std::string MakeTempDir();

}  // namespace kw::testing
