// The compliance UI's history: one row per audit scan (run uid) with its totals, overall and per
// severity, category, namespace and policy, in an SQLite file so that trends survive restarts.
//
// The schema is created, or migrated from an older version, when the file is opened (its
// version in PRAGMA user_version); a file from a newer version, a file that is not a database
// or is damaged, and a file or folder we cannot write are errors at open, not at the first scan.
// The journal is WAL, so readers (the API) never wait for the writer (the settle timer).
//
// Thread-safe (one connection behind a mutex: the writes are a few per scan).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "ui/report_index.h"

struct sqlite3;

namespace kw::ui {

struct TrendPoint {
  std::string run_uid;
  std::string time;  // RFC 3339, UTC
  Totals totals;
};

// A trend over all results, or those of one namespace ("" is cluster-scoped) or one policy.
struct TrendFilter {
  std::optional<std::string> ns;
  std::optional<std::string> policy;
};

class HistoryStore {
 public:
  // Opens (creating it if needed) the database at `path`; ":memory:" keeps it in memory.
  static Result<std::unique_ptr<HistoryStore>> Open(const std::string& path);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // Records `snapshot` as the row of its run uid, replacing what that row held. A snapshot
  // equal to the recorded one (the same counts) keeps the row's time, so that a restart, which
  // sees the same reports again, does not move the scan in time. True when something was written.
  Result<bool> Record(const Snapshot& snapshot);

  // The last `limit` scans, oldest first. With a namespace or policy, each scan's counts of it
  // (zeros where a scan had none). Both at once is kInvalidArgument: the history keeps them
  // apart, not crossed.
  Result<std::vector<TrendPoint>> Trend(const TrendFilter& filter, std::size_t limit = 500) const;

  // The most recent scan, or nullopt when none is recorded.
  Result<std::optional<TrendPoint>> Latest() const;

 private:
  explicit HistoryStore(sqlite3* db) : db_(db) {}
  Result<void> Migrate();

  mutable std::mutex mutex_;
  sqlite3* db_;
};

}  // namespace kw::ui
