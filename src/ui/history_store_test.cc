#include "ui/history_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/files.h"
#include "testing/process.h"

namespace kw::ui {
namespace {

using std::chrono::system_clock;

Totals Counts(std::int64_t pass, std::int64_t fail) {
  Totals totals;
  totals.Add(Verdict::kPass, pass);
  totals.Add(Verdict::kFail, fail);
  return totals;
}

Snapshot Scan(std::string run_uid, std::int64_t seconds, std::int64_t pass, std::int64_t fail) {
  Snapshot snapshot;
  snapshot.run_uid = std::move(run_uid);
  snapshot.time = system_clock::time_point(std::chrono::seconds(seconds));
  snapshot.totals = Counts(pass, fail);
  snapshot.by_namespace["team-a"] = Counts(pass, 0);
  snapshot.by_namespace[""] = Counts(0, fail);
  snapshot.by_policy["p"] = Counts(pass, fail);
  snapshot.by_severity["high"] = Counts(pass, fail);
  snapshot.by_category["PSP"] = Counts(pass, fail);
  return snapshot;
}

TEST(HistoryStoreTest, OneRowPerRunUidOldestFirst) {
  auto store = HistoryStore::Open(":memory:");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->Latest()->has_value(), false);
  EXPECT_EQ((*store)->Record(Scan("run-1", 1000, 5, 1)), true);
  EXPECT_EQ((*store)->Record(Scan("run-2", 2000, 6, 0)), true);
  EXPECT_EQ((*store)->Record(Scan("run-1", 1500, 4, 2)), true);  // the same scan, still writing

  auto trend = (*store)->Trend({});
  ASSERT_TRUE(trend) << trend.error().message;
  ASSERT_EQ(trend->size(), 2u);
  EXPECT_EQ((*trend)[0].run_uid, "run-1");
  EXPECT_EQ((*trend)[0].time, "1970-01-01T00:25:00Z");
  EXPECT_EQ((*trend)[0].totals, Counts(4, 2));
  EXPECT_EQ((*trend)[1].run_uid, "run-2");
  EXPECT_EQ((*(*store)->Latest())->run_uid, "run-2");

  auto limited = (*store)->Trend({}, 1);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].run_uid, "run-2");
}

TEST(HistoryStoreTest, TheSameCountsKeepTheirTime) {
  auto store = HistoryStore::Open(":memory:");
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->Record(Scan("run-1", 1000, 5, 1)), true);
  EXPECT_EQ((*store)->Record(Scan("run-1", 9000, 5, 1)), false);
  EXPECT_EQ((*(*store)->Latest())->time, "1970-01-01T00:16:40Z");
}

TEST(HistoryStoreTest, TrendOfOneNamespaceOrPolicy) {
  auto store = HistoryStore::Open(":memory:");
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->Record(Scan("run-1", 1000, 5, 1)));
  Snapshot without_team = Scan("run-2", 2000, 3, 3);
  without_team.by_namespace.erase("team-a");
  ASSERT_TRUE((*store)->Record(without_team));

  auto team = (*store)->Trend({.ns = "team-a"});
  ASSERT_TRUE(team);
  ASSERT_EQ(team->size(), 2u);
  EXPECT_EQ((*team)[0].totals, Counts(5, 0));
  EXPECT_EQ((*team)[1].totals, Counts(0, 0));  // a scan that saw none of it counts zeros
  auto cluster = (*store)->Trend({.ns = ""});
  EXPECT_EQ((*cluster)[1].totals, Counts(0, 3));
  auto policy = (*store)->Trend({.policy = "p"});
  EXPECT_EQ((*policy)[1].totals, Counts(3, 3));
  EXPECT_EQ((*store)->Trend({.ns = "a", .policy = "p"}).error().kind, ErrorKind::kInvalidArgument);
}

TEST(HistoryStoreTest, SurvivesReopening) {
  const std::string path = kw::testing::MakeTempDir() + "/history.db";
  {
    auto store = HistoryStore::Open(path);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->Record(Scan("run-1", 1000, 5, 1)));
  }
  auto store = HistoryStore::Open(path);
  ASSERT_TRUE(store) << store.error().message;
  auto trend = (*store)->Trend({.policy = "p"});
  ASSERT_TRUE(trend);
  ASSERT_EQ(trend->size(), 1u);
  EXPECT_EQ((*trend)[0].totals, Counts(5, 1));
}

TEST(HistoryStoreTest, ACorruptFileIsAnErrorAtOpen) {
  const std::string path = kw::testing::WriteTempFile("history.db", std::string(8192, 'x'));
  auto store = HistoryStore::Open(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("cannot open the history database " + path), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos) << store.error().message;
}

TEST(HistoryStoreTest, AnUnwritablePlaceIsAnErrorAtOpen) {
  auto store = HistoryStore::Open(kw::testing::MakeTempDir() + "/missing/dir/history.db");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("cannot open the history database"), std::string::npos);
  auto directory = HistoryStore::Open(kw::testing::MakeTempDir());
  EXPECT_FALSE(directory);
}

TEST(HistoryStoreTest, AFileFromANewerVersionIsRefused) {
  const std::string path = kw::testing::MakeTempDir() + "/history.db";
  ASSERT_TRUE(HistoryStore::Open(path));
  {
    // A newer compliance-ui moved the schema on.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = HistoryStore::Open(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("schema version 99 is newer"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace kw::ui
