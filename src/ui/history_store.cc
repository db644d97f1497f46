#include "ui/history_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <utility>

#include "base/sha256.h"

namespace kw::ui {
namespace {

constexpr int kSchemaVersion = 1;

// Version 1: scans, and their counts per dimension (severity, category, namespace, policy).
// `digest` identifies a scan's counts, so that recording the same state again changes nothing.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE scans (
  id INTEGER PRIMARY KEY,
  run_uid TEXT NOT NULL UNIQUE,
  time TEXT NOT NULL,
  digest TEXT NOT NULL,
  pass INTEGER NOT NULL, fail INTEGER NOT NULL, warn INTEGER NOT NULL,
  error INTEGER NOT NULL, skip INTEGER NOT NULL
);
CREATE INDEX scans_by_time ON scans (time, id);
CREATE TABLE scan_groups (
  scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  pass INTEGER NOT NULL, fail INTEGER NOT NULL, warn INTEGER NOT NULL,
  error INTEGER NOT NULL, skip INTEGER NOT NULL,
  PRIMARY KEY (scan_id, dimension, value)
) WITHOUT ROWID;
)sql";

constexpr const char* kTrendAll = R"sql(
SELECT run_uid, time, pass, fail, warn, error, skip
FROM (SELECT * FROM scans ORDER BY time DESC, id DESC LIMIT ?1)
ORDER BY time, id
)sql";

constexpr const char* kTrendOf = R"sql(
SELECT s.run_uid, s.time, COALESCE(g.pass, 0), COALESCE(g.fail, 0), COALESCE(g.warn, 0),
       COALESCE(g.error, 0), COALESCE(g.skip, 0)
FROM (SELECT id, run_uid, time FROM scans ORDER BY time DESC, id DESC LIMIT ?1) AS s
LEFT JOIN scan_groups AS g ON g.scan_id = s.id AND g.dimension = ?2 AND g.value = ?3
ORDER BY s.time, s.id
)sql";

constexpr const char* kFindScan = "SELECT id, digest FROM scans WHERE run_uid = ?1";
constexpr const char* kInsertScan =
    "INSERT INTO scans (run_uid, time, digest, pass, fail, warn, error, skip) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kUpdateScan =
    "UPDATE scans SET time = ?2, digest = ?3, pass = ?4, fail = ?5, warn = ?6, error = ?7, "
    "skip = ?8 WHERE id = ?1";
constexpr const char* kDeleteGroups = "DELETE FROM scan_groups WHERE scan_id = ?1";
constexpr const char* kInsertGroup =
    "INSERT INTO scan_groups (scan_id, dimension, value, pass, fail, warn, error, skip) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

Error SqliteError(sqlite3* db, std::string_view doing) {
  return Error(ErrorKind::kIo, fmt::format("history database: {}: {}", doing, sqlite3_errmsg(db)));
}

// One prepared statement, reset and its bindings cleared when it goes out of scope.
class Statement {
 public:
  static Result<Statement> Prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
      return std::unexpected(SqliteError(db, "preparing a statement"));
    }
    return Statement(db, statement);
  }
  Statement(Statement&& other) noexcept
      : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}
  ~Statement() { sqlite3_finalize(statement_); }

  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, std::int64_t number) {
    sqlite3_bind_int64(statement_, index, number);
    return *this;
  }
  // Binds the five counts at `first`...`first + 4`.
  Statement& BindTotals(int first, const Totals& totals) {
    for (int i = 0; i < kVerdictCount; ++i) Bind(first + i, totals.counts[i]);
    return *this;
  }
  // True while a row is there to read.
  Result<bool> Step() {
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    return std::unexpected(SqliteError(db_, "running a statement"));
  }
  Result<void> Run() {
    KW_TRY(Step());
    sqlite3_reset(statement_);
    return {};
  }
  void Reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string Text(int column) const {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string();
  }
  Totals TotalsAt(int first) const {
    Totals totals;
    for (int i = 0; i < kVerdictCount; ++i) totals.counts[i] = Int(first + i);
    return totals;
  }

 private:
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  sqlite3* db_;
  sqlite3_stmt* statement_;
};

Result<void> Execute(sqlite3* db, const char* sql, std::string_view doing) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error(ErrorKind::kIo, fmt::format("history database: {}: {}", doing,
                                            message ? message : sqlite3_errmsg(db)));
    sqlite3_free(message);
    return std::unexpected(std::move(error));
  }
  return {};
}

// A transaction that rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(sqlite3* db) {
    KW_TRY(Execute(db, "BEGIN IMMEDIATE", "starting a transaction"));
    return Transaction(db);
  }
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  ~Transaction() {
    if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Result<void> Commit() {
    KW_TRY(Execute(std::exchange(db_, nullptr), "COMMIT", "committing"));
    return {};
  }

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

using Groups = std::map<std::string, Totals>;
// A snapshot's counts per dimension, as the `dimension` column names them.
std::array<std::pair<const char*, const Groups*>, 4> GroupsOf(const Snapshot& snapshot) {
  return {{{"severity", &snapshot.by_severity},
           {"category", &snapshot.by_category},
           {"namespace", &snapshot.by_namespace},
           {"policy", &snapshot.by_policy}}};
}

// The counts of a snapshot as one string: equal digests, equal counts.
std::string DigestOf(const Snapshot& snapshot) {
  std::string text;
  const auto add = [&](std::string_view name, const Totals& totals) {
    text += name;
    text += '\0';
    for (std::int64_t count : totals.counts) text += std::to_string(count) + ",";
    text += '\n';
  };
  add("", snapshot.totals);
  for (const auto& [dimension, groups] :
       GroupsOf(snapshot)) {
    for (const auto& [value, totals] : *groups) add(std::string(dimension) + "/" + value, totals);
  }
  return Sha256Hex(Sha256(AsBytes(text)));
}

}  // namespace

Result<std::unique_ptr<HistoryStore>> HistoryStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     nullptr);
  std::unique_ptr<HistoryStore> store(new HistoryStore(db));
  const auto fail = [&](std::string_view why) {
    return Fail(ErrorKind::kIo, fmt::format("cannot open the history database {}: {}", path, why));
  };
  if (opened != SQLITE_OK) return fail(db ? sqlite3_errmsg(db) : "out of memory");
  if (sqlite3_db_readonly(db, "main") == 1) return fail("it is read-only");
  sqlite3_busy_timeout(db, 5000);
  // The first statement reads the file: a file that is not a database fails here.
  if (auto wal = Execute(db, "PRAGMA journal_mode = WAL", "setting the journal"); !wal) {
    return fail(wal.error().message);
  }
  KW_TRY(Execute(db, "PRAGMA foreign_keys = ON", "enabling foreign keys"));
  auto check = Statement::Prepare(db, "PRAGMA quick_check");
  if (!check) return fail(check.error().message);
  auto row = check->Step();
  if (!row) return fail(row.error().message);
  if (!*row || check->Text(0) != "ok") {
    return fail("the file is damaged (" + (*row ? check->Text(0) : std::string("no answer")) + ")");
  }
  if (auto migrated = store->Migrate(); !migrated) return fail(migrated.error().message);
  return store;
}

HistoryStore::~HistoryStore() { sqlite3_close_v2(db_); }

Result<void> HistoryStore::Migrate() {
  // In a write transaction even when there is nothing to do: a file we cannot write fails now.
  KW_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
  KW_ASSIGN_OR_RETURN(Statement version, Statement::Prepare(db_, "PRAGMA user_version"));
  KW_ASSIGN_OR_RETURN(bool has_row, version.Step());
  const std::int64_t current = has_row ? version.Int(0) : 0;
  version.Reset();
  if (current > kSchemaVersion) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("schema version {} is newer than this binary's ({})", current,
                            kSchemaVersion));
  }
  if (current < 1) KW_TRY(Execute(db_, kSchemaV1, "creating the schema"));
  // Later versions: `if (current < 2) ...`, each step from the one before.
  KW_TRY(Execute(db_, fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str(),
                 "recording the schema version"));
  return transaction.Commit();
}

Result<bool> HistoryStore::Record(const Snapshot& snapshot) {
  const std::string digest = DigestOf(snapshot);
  const std::string time = FormatTime(snapshot.time);
  std::lock_guard lock(mutex_);
  KW_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
  KW_ASSIGN_OR_RETURN(Statement find, Statement::Prepare(db_, kFindScan));
  KW_ASSIGN_OR_RETURN(bool exists, find.Bind(1, snapshot.run_uid).Step());
  std::int64_t id = 0;
  if (exists) {
    if (find.Text(1) == digest) return false;
    id = find.Int(0);
    KW_ASSIGN_OR_RETURN(Statement update, Statement::Prepare(db_, kUpdateScan));
    KW_TRY(update.Bind(1, id).Bind(2, time).Bind(3, digest).BindTotals(4, snapshot.totals).Run());
    KW_ASSIGN_OR_RETURN(Statement clear, Statement::Prepare(db_, kDeleteGroups));
    KW_TRY(clear.Bind(1, id).Run());
  } else {
    KW_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db_, kInsertScan));
    KW_TRY(insert.Bind(1, snapshot.run_uid).Bind(2, time).Bind(3, digest)
               .BindTotals(4, snapshot.totals).Run());
    id = sqlite3_last_insert_rowid(db_);
  }
  KW_ASSIGN_OR_RETURN(Statement group, Statement::Prepare(db_, kInsertGroup));
  for (const auto& [dimension, groups] :
       GroupsOf(snapshot)) {
    for (const auto& [value, totals] : *groups) {
      KW_TRY(group.Bind(1, id).Bind(2, dimension).Bind(3, value).BindTotals(4, totals).Run());
    }
  }
  KW_TRY(transaction.Commit());
  return true;
}

Result<std::vector<TrendPoint>> HistoryStore::Trend(const TrendFilter& filter,
                                                    std::size_t limit) const {
  if (filter.ns && filter.policy) {
    return Fail(ErrorKind::kInvalidArgument,
                "the history is kept per namespace or per policy: give one of them, not both");
  }
  std::lock_guard lock(mutex_);
  KW_ASSIGN_OR_RETURN(Statement query,
                      Statement::Prepare(db_, filter.ns || filter.policy ? kTrendOf : kTrendAll));
  query.Bind(1, static_cast<std::int64_t>(limit));
  if (filter.ns) query.Bind(2, "namespace").Bind(3, *filter.ns);
  if (filter.policy) query.Bind(2, "policy").Bind(3, *filter.policy);
  std::vector<TrendPoint> points;
  while (true) {
    KW_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    points.push_back({query.Text(0), query.Text(1), query.TotalsAt(2)});
  }
  return points;
}

Result<std::optional<TrendPoint>> HistoryStore::Latest() const {
  KW_ASSIGN_OR_RETURN(std::vector<TrendPoint> last, Trend({}, 1));
  if (last.empty()) return std::nullopt;
  return std::move(last.back());
}

}  // namespace kw::ui
