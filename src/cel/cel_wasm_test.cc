// src/cel built for wasm32 (cel_smoke.wasm, tests/cel/wasm_smoke.cc) and run under Node's WASI:
// the same answers as on the host, and the limits that matter there (a 64 KiB stack: deep
// nesting ends with the recursion error instead of overwriting memory; no zone database).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "testing/process.h"

namespace kw::cel {
namespace {

std::vector<std::string> RunSmoke(const std::string& input) {
  std::string node;
  for (const char* candidate : {"/usr/bin/node", "/usr/local/bin/node"})
    if (std::filesystem::exists(candidate)) node = candidate;
  if (node.empty()) return {};
  auto r = testing::RunProcess({node, "--no-warnings", KW_CEL_RUN_WASI, KW_CEL_SMOKE_WASM}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CelWasm, SameAnswersAsTheHost) {
  std::string deep_json = std::string(1000, '[') + "1" + std::string(1000, ']');
  auto lines = RunSmoke(
      "object {\"spec\":{\"containers\":[{\"image\":\"nginx:1\"},{\"image\":\"redis\"}]},\"d\":" + deep_json + "}\n"
      "object.spec.containers.map(c, c.image.matches('^[a-z]+:'))\n"
      "9223372036854775807 + 1\n"
      "string(1e6) + string(duration('1h30m')) + string(timestamp('2009-02-13T23:31:30Z'))\n"
      "timestamp('2020-07-01T12:00:00Z').getHours('+05:30')\n"
      "timestamp('2020-07-01T12:00:00Z').getHours('Europe/Paris')\n"
      "object.d == object.d\n"
      "1 +\n"
      "quantity('1.5Gi').add(quantity('512Mi')).asInteger()\n"
      "quantity('7').compareTo(quantity('3')) + 'a-b'.split('-').size()\n"
      "format.dns1123Label().validate('a.b')\n");
  if (lines.empty()) GTEST_SKIP() << "no node to run wasm32-wasi";
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_EQ(lines[0], "bound");
  EXPECT_EQ(lines[1], "[true, false]");
  EXPECT_EQ(lines[2], "error(\"integer overflow\")");
  EXPECT_EQ(lines[3], "\"1e+065400s2009-02-13T23:31:30Z\"");
  EXPECT_EQ(lines[4], "17");
  EXPECT_EQ(lines[5], "error(\"unknown time zone Europe/Paris\")");
  EXPECT_EQ(lines[6], "true");
  EXPECT_EQ(lines[7].rfind("compile: ERROR: <input>:1:4: Syntax error: mismatched input '<EOF>'", 0), 0u) << lines[7];
  // The extension libraries, linked into the module (quantities divide in 128 bits).
  EXPECT_EQ(lines[8], "2147483648");
  EXPECT_EQ(lines[9], "3");
  EXPECT_EQ(lines[10], "optional.of([\"must not contain dots\"])");
}

TEST(CelWasm, DeepNestingEndsWithTheRecursionError) {
  std::string parens = std::string(240, '(') + "1" + std::string(240, ')');
  std::string lists = std::string(240, '[') + "1" + std::string(240, ']');
  std::string negations = "1";
  for (int i = 0; i < 240; ++i) negations = "-(" + negations + ")";
  std::string shallow = std::string(20, '[') + "1" + std::string(20, ']');
  auto lines = RunSmoke(parens + "\n" + lists + "\n" + negations + "\n" + shallow + "\n");
  if (lines.empty()) GTEST_SKIP() << "no node to run wasm32-wasi";
  ASSERT_EQ(lines.size(), 4u);
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(lines[i].find("expression recursion limit exceeded"), std::string::npos) << lines[i];
  EXPECT_EQ(lines[3], shallow);
}

}  // namespace
}  // namespace kw::cel
