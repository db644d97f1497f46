// The compiled-code cache: the directory store on its own (whatever the directory holds, a bad
// entry is a miss), then with the real V8 engine through ModuleLoader (what is stored is loaded
// back, and anything unusable is compiled again and replaced).
#include "loader/code_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "host/host.h"
#include "loader/loader.h"
#include "testing/module_builder.h"
#include "runtime/runtime.h"

namespace kw::loader {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Below one directory per test process, removed when the tests end.
std::string FreshDir() {
  static const std::string root =
      fs::temp_directory_path() / ("kw_code_cache_test_" + std::to_string(::getpid()));
  static int n = 0;
  static const bool cleanup = [] {
    std::atexit([] {
      std::error_code ec;
      fs::permissions(root, fs::perms::owner_all, ec);
      fs::remove_all(root, ec);
    });
    return true;
  }();
  (void)cleanup;
  std::string dir = root + "/" + std::to_string(n++);
  fs::remove_all(dir);
  return dir;
}

std::vector<std::uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::shared_ptr<CodeCacheDirectory> OpenOrDie(const std::string& dir) {
  auto cache = CodeCacheDirectory::Open(dir);
  EXPECT_TRUE(cache) << cache.error().message;
  return cache ? *cache : nullptr;
}

constexpr std::string_view kKey = "0123456789abcdef";

TEST(CodeCacheDirectory, StoresAndLoadsEntries) {
  std::string dir = FreshDir() + "/nested/compiled";
  auto cache = OpenOrDie(dir);
  ASSERT_TRUE(cache);
  // Created for this user only.
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(cache->Get(kKey), std::nullopt);
  cache->Put(kKey, Bytes("machine code"));
  EXPECT_TRUE(fs::is_regular_file(cache->PathOf(kKey)));
  EXPECT_EQ(cache->Get(kKey), Bytes("machine code"));
  cache->Put(kKey, Bytes("newer code"));
  EXPECT_EQ(cache->Get(kKey), Bytes("newer code"));
  auto stats = cache->stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.writes, 2u);
  EXPECT_EQ(stats.rejected, 0u);
}

TEST(CodeCacheDirectory, DamagedEntriesAreMisses) {
  auto cache = OpenOrDie(FreshDir());
  ASSERT_TRUE(cache);
  std::string good = CodeCacheDirectory::Encode(kKey, Bytes("machine code"));
  std::string other_version = good;
  other_version[8] = 2;
  std::string flipped = good;
  flipped.back() ^= 0x20;
  std::map<std::string, std::string> damaged = {
      {"empty", ""},
      {"garbage", "this is not a cache entry at all, just text of some length"},
      {"truncated header", good.substr(0, 12)},
      {"truncated key", good.substr(0, 20)},
      {"truncated checksum", good.substr(0, 16 + kKey.size() + 20)},
      {"truncated value", good.substr(0, good.size() - 3)},
      {"trailing bytes", good + "xyz"},
      {"flipped value bit", flipped},
      {"another format version", other_version},
      {"another key", CodeCacheDirectory::Encode("fedcba9876543210", Bytes("machine code"))},
      {"oversized key length", std::string(good).replace(12, 4, "\xff\xff\xff\x7f", 4)},
      {"oversized value length", std::string(good).replace(16 + kKey.size(), 8, 8, '\xff')},
  };
  std::uint64_t rejected = 0;
  for (const auto& [what, content] : damaged) {
    ASSERT_TRUE(WriteFile(cache->PathOf(kKey), content)) << what;
    EXPECT_EQ(cache->Get(kKey), std::nullopt) << what;
    EXPECT_EQ(cache->stats().rejected, ++rejected) << what;
  }
  // Not a regular file: refused without being opened (a FIFO would block the reader).
  fs::remove(cache->PathOf(kKey));
  ASSERT_EQ(::mkfifo(cache->PathOf(kKey).c_str(), 0600), 0);
  EXPECT_EQ(cache->Get(kKey), std::nullopt);
  fs::remove(cache->PathOf(kKey));
  fs::create_directory(cache->PathOf(kKey));
  EXPECT_EQ(cache->Get(kKey), std::nullopt);
  EXPECT_EQ(cache->stats().rejected, rejected + 2);
  EXPECT_EQ(cache->stats().hits, 0u);
  // A good entry written over a damaged one is served again.
  fs::remove(cache->PathOf(kKey));
  ASSERT_TRUE(WriteFile(cache->PathOf(kKey), good));
  EXPECT_EQ(cache->Get(kKey), Bytes("machine code"));
}

TEST(CodeCacheDirectory, KeysNeverNameOtherFiles) {
  std::string dir = FreshDir();
  auto cache = OpenOrDie(dir + "/cache");
  ASSERT_TRUE(cache);
  for (std::string_view key : std::vector<std::string_view>{"../escape", "", "ABCDEF", "a/b",
                                                             std::string_view("ab\0cd", 5)}) {
    cache->Put(key, Bytes("code"));
    EXPECT_EQ(cache->Get(key), std::nullopt);
  }
  cache->Put(std::string(CodeCacheDirectory::kMaxKeyLength + 1, 'a'), Bytes("code"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir + "/cache"), {}), 0);
  EXPECT_FALSE(fs::exists(dir + "/escape.code"));
}

TEST(CodeCacheDirectory, FailedStoresAreCountedNotFatal) {
  std::string dir = FreshDir();
  auto cache = OpenOrDie(dir);
  ASSERT_TRUE(cache);
  cache->Put(kKey, Bytes("code"));
  // The directory disappears under us: stores fail (counted, warned once), nothing throws.
  fs::remove_all(dir);
  cache->Put(kKey, Bytes("code"));
  cache->Put("abcd", Bytes("code"));
  EXPECT_EQ(cache->stats().write_failures, 2u);
  EXPECT_EQ(cache->Get(kKey), std::nullopt);
}

TEST(CodeCacheDirectory, ReadOnlyDirectoryIsStillRead) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes to read-only directories";
  std::string dir = FreshDir();
  auto writable = OpenOrDie(dir);
  writable->Put(kKey, Bytes("code"));
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  auto read_only = OpenOrDie(dir);
  ASSERT_TRUE(read_only);
  EXPECT_TRUE(read_only->read_only());
  EXPECT_EQ(read_only->Get(kKey), Bytes("code"));
  read_only->Put("abcd", Bytes("code"));
  EXPECT_EQ(read_only->stats().write_failures, 0u);
  fs::permissions(dir, fs::perms::owner_all);
}

TEST(CodeCacheDirectory, RefusesDirectoriesOthersCanWrite) {
  std::string dir = FreshDir();
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);
  auto shared = CodeCacheDirectory::Open(dir);
  ASSERT_FALSE(shared);
  EXPECT_NE(shared.error().message.find("every user may write to it"), std::string::npos);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_all);
  EXPECT_TRUE(CodeCacheDirectory::Open(dir)) << "group-writable (a Kubernetes fsGroup volume)";

  if (::geteuid() != 0) GTEST_SKIP() << "only root can give a directory to another user";
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  auto foreign = CodeCacheDirectory::Open(dir);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("belongs to another user"), std::string::npos);
}

TEST(CodeCacheDirectory, NotADirectoryFailsToOpen) {
  std::string dir = FreshDir();
  fs::create_directories(dir);
  ASSERT_TRUE(WriteFile(dir + "/file", "x"));
  EXPECT_FALSE(CodeCacheDirectory::Open(dir + "/file"));
  EXPECT_FALSE(CodeCacheDirectory::Open(dir + "/file/below"));
  EXPECT_FALSE(CodeCacheDirectory::Open(""));
}

// --- with the V8 engine ---------------------------------------------------------------------

// Remembers every key the engine asks for and every value it stores.
class RecordingCache final : public engine::CodeCache {
 public:
  std::optional<std::vector<std::uint8_t>> Get(std::string_view key) override {
    std::lock_guard lock(mutex_);
    gets.emplace_back(key);
    auto it = values.find(std::string(key));
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  void Put(std::string_view key, std::span<const std::uint8_t> value) override {
    std::lock_guard lock(mutex_);
    values[std::string(key)] = {value.begin(), value.end()};
  }
  std::mutex mutex_;
  std::vector<std::string> gets;
  std::map<std::string, std::vector<std::uint8_t>> values;
};

class CodeCacheEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = engine::CreateV8Engine().value().release(); }

  static std::string Fixture(const std::string& name) {
    const char* dir = std::getenv("KW_TEST_DATA");
    return std::string(dir ? dir : "tests/data") + "/" + name;
  }

  // test_policy.wasm loaded through a fresh ModuleLoader with `cache`.
  static Result<runtime::PolicyModuleSharedPtr> Load(engine::CodeCacheSharedPtr cache,
                                                     bool* from_cache = nullptr) {
    ModuleLoader loader(*engine_, std::nullopt, std::move(cache));
    KW_ASSIGN_OR_RETURN(runtime::PolicyModuleSharedPtr module, loader.Load(Fixture("test_policy.wasm")));
    EXPECT_EQ(loader.cached_modules() + loader.compiled_modules(), 1u);
    if (from_cache) *from_cache = loader.cached_modules() == 1;
    return module;
  }

  // The module answers settings validation (its code runs).
  static void ExpectRuns(const runtime::PolicyModuleSharedPtr& module) {
    auto worker = engine_->CreateWorker();
    ASSERT_TRUE(worker);
    runtime::RuntimeOptions options;
    options.policy_id = "p";
    options.dispatcher = std::make_shared<const host::Dispatcher>();
    auto runtime = runtime::CreatePolicyRuntime(**worker, module, std::move(options));
    ASSERT_TRUE(runtime) << runtime.error().message;
    EXPECT_TRUE((*runtime)->ValidateSettings().valid);
  }

  static std::vector<std::string> Entries(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
    return out;
  }

  static engine::Engine* engine_;
};

engine::Engine* CodeCacheEngineTest::engine_ = nullptr;

TEST_F(CodeCacheEngineTest, KeysFollowTheBytesAndTheMemoryCap) {
  auto cache = std::make_shared<RecordingCache>();
  auto a = policy::testing::ModuleBuilder().ExportFunction("a").Build();
  auto b = policy::testing::ModuleBuilder().ExportFunction("b").Build();
  ASSERT_TRUE(engine_->Compile(a, {.code_cache = cache}));
  ASSERT_TRUE(engine_->Compile(a, {.code_cache = cache}));
  ASSERT_TRUE(engine_->Compile(b, {.code_cache = cache}));
  ASSERT_TRUE(engine_->Compile(a, {.max_memory_pages = 16, .code_cache = cache}));
  ASSERT_EQ(cache->gets.size(), 4u);
  EXPECT_EQ(cache->gets[0], cache->gets[1]);
  EXPECT_NE(cache->gets[0], cache->gets[2]);
  EXPECT_NE(cache->gets[0], cache->gets[3]);
  EXPECT_EQ(cache->gets[0].size(), 64u);
  EXPECT_EQ(cache->gets[0].find_first_not_of("0123456789abcdef"), std::string::npos);
  // Without a cache, nothing is looked up.
  ASSERT_TRUE(engine_->Compile(a));
  EXPECT_EQ(cache->gets.size(), 4u);
}

TEST_F(CodeCacheEngineTest, CompiledCodeIsStoredThenLoaded) {
  std::string dir = FreshDir();
  auto cache = OpenOrDie(dir);
  ASSERT_TRUE(cache);
  bool from_cache = true;
  auto first = Load(cache, &from_cache);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(from_cache);
  // The optimized code is stored in the background.
  ASSERT_TRUE(engine_->WaitForCodeCacheWrites(30s));
  EXPECT_EQ(cache->stats().writes, 1u);
  ASSERT_EQ(Entries(dir).size(), 1u);
  EXPECT_GT(fs::file_size(Entries(dir)[0]), 10'000u);

  auto second = Load(cache, &from_cache);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(from_cache);
  EXPECT_TRUE((*second)->module->from_code_cache());
  EXPECT_EQ(cache->stats().hits, 1u);
  ExpectRuns(*second);
  // Nothing more to store for a module that came from the cache.
  EXPECT_TRUE(engine_->WaitForCodeCacheWrites(0ms));
  EXPECT_EQ(cache->stats().writes, 1u);
}

TEST_F(CodeCacheEngineTest, UnusableEntriesAreCompiledAgainAndReplaced) {
  std::string dir = FreshDir();
  auto cache = OpenOrDie(dir);
  ASSERT_TRUE(cache);
  ASSERT_TRUE(Load(cache));
  ASSERT_TRUE(engine_->WaitForCodeCacheWrites(30s));
  ASSERT_EQ(Entries(dir).size(), 1u);
  std::string entry = Entries(dir)[0];
  std::string key = fs::path(entry).stem().string();
  std::string good = ReadFile(entry).value();
  std::vector<std::uint8_t> good_value = cache->Get(key).value();

  // Whole entries (right key, right checksum) whose code V8 refuses from its header: not V8
  // code at all, and V8 code stamped with another V8 version (the version hash follows V8's
  // 4-byte magic number). V8 code damaged past its header is not tried: V8 does not check it
  // (flipped bytes ran, or crashed, in experiments), which is why entries carry a checksum.
  std::vector<std::uint8_t> other_v8 = good_value;
  other_v8[4] ^= 0xff;
  std::map<std::string, std::string> unusable = {
      {"truncated file", good.substr(0, good.size() / 2)},
      {"garbage file", std::string(good.size(), 'x')},
      {"not V8 code", CodeCacheDirectory::Encode(key, Bytes("not machine code at all"))},
      {"another V8 version", CodeCacheDirectory::Encode(key, other_v8)},
  };
  for (const auto& [what, content] : unusable) {
    ASSERT_TRUE(WriteFile(entry, content)) << what;
    std::uint64_t writes = cache->stats().writes;
    bool from_cache = true;
    auto module = Load(cache, &from_cache);
    ASSERT_TRUE(module) << what << ": " << module.error().message;
    EXPECT_FALSE(from_cache) << what;
    ExpectRuns(*module);
    ASSERT_TRUE(engine_->WaitForCodeCacheWrites(30s)) << what;
    EXPECT_EQ(cache->stats().writes, writes + 1) << what;
    auto replaced = cache->Get(key);
    ASSERT_TRUE(replaced) << what << ": not replaced by a whole entry";
    EXPECT_GT(replaced->size(), 10'000u) << what;
  }
}

TEST_F(CodeCacheEngineTest, AVanishedDirectoryOnlyCostsTheStore) {
  std::string dir = FreshDir();
  auto cache = OpenOrDie(dir);
  ASSERT_TRUE(cache);
  fs::remove_all(dir);
  bool from_cache = true;
  auto module = Load(cache, &from_cache);
  ASSERT_TRUE(module) << module.error().message;
  EXPECT_FALSE(from_cache);
  ExpectRuns(*module);
  ASSERT_TRUE(engine_->WaitForCodeCacheWrites(30s));
  EXPECT_EQ(cache->stats().write_failures, 1u);
}

}  // namespace
}  // namespace kw::loader
