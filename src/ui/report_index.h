// The compliance UI's memory: every current result of every report, keyed by report, and the
// queries the JSON API answers over them (filters, search, sort, pagination, totals).
//
// Queries scan all results: at 50,000 results a scan with a substring search is about a
// millisecond, cheaper than keeping indexes per filter up to date. Strings are interned
// (symbols.h) so that grouping and sorting compare integers. A page of a sorted list is selected
// (nth_element), then only the page is sorted: linear in the results whatever the page.
//
// Thread-safe: the watcher writes while the API reads (a shared lock per query).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ui/report.h"
#include "ui/symbols.h"

namespace kw::ui {

struct Totals {
  std::array<std::int64_t, kVerdictCount> counts{};
  void Add(Verdict verdict, std::int64_t n = 1) { counts[static_cast<int>(verdict)] += n; }
  void Add(const Totals& other) {
    for (int i = 0; i < kVerdictCount; ++i) counts[i] += other.counts[i];
  }
  std::int64_t Of(Verdict verdict) const { return counts[static_cast<int>(verdict)]; }
  bool operator==(const Totals&) const = default;
};

// What a query keeps. Each list is "any of these" (empty: no restriction); the lists combine
// with "and".
struct Filter {
  std::vector<std::string> namespaces, policies, kinds, severities, categories;
  std::vector<Verdict> results;
  // Case-insensitive substring of the resource's name, namespace or kind, or the result's policy
  // or message; "" matches everything.
  std::string search;
};

struct Page {
  std::size_t page = 1;  // 1-based
  std::size_t per_page = 50;
};

template <typename Item>
struct Paged {
  std::vector<Item> items;
  std::size_t total = 0;
};

enum class ListSort { kName, kFail };                    // fail: most failures first
enum class ResultSort { kPolicy, kNamespace, kName };

struct Summary {
  Totals totals;
  std::map<std::string, Totals> by_severity;  // "" for results without one
  std::map<std::string, Totals> by_category;
  std::size_t resources = 0;
  std::size_t namespaces = 0;  // cluster-scoped resources are in none
  std::size_t policies = 0;
};

struct NamespaceRow {
  std::string ns;
  Totals totals;
  std::size_t resources = 0;
};

struct PolicyRow {
  std::string policy;
  std::string severity;  // the first found among its results
  std::string category;
  Totals totals;
  std::size_t namespaces = 0;
};

struct ResourceRow {
  AuditedResource resource;
  Totals totals;
};

struct ResultRow {
  AuditedResource resource;
  ReportResult result;
};

struct ResourceDetail {
  AuditedResource resource;
  std::vector<ReportResult> results;
};

struct FilterValues {
  std::vector<std::string> namespaces, policies, kinds, severities, categories;
};

// What the history records of one state of the reports.
struct Snapshot {
  std::string run_uid;  // of the report written last (its results' newest timestamp)
  std::chrono::system_clock::time_point time;  // of the last change
  Totals totals;
  std::map<std::string, Totals> by_severity, by_category, by_namespace, by_policy;
};

class ReportIndex {
 public:
  // Stores the report under `key` (any string unique per report object, e.g. kind/ns/name).
  // False when the report is the same as the one already stored (nothing changed).
  bool Upsert(const std::string& key, ParsedReport report);
  // False when there was nothing under `key`.
  bool Remove(const std::string& key);

  // Counts changes: what the history compares to know whether it recorded the current state.
  std::uint64_t generation() const;
  std::chrono::system_clock::time_point last_change() const;
  std::size_t report_count() const;
  std::size_t result_count() const;

  Summary Summarize(const Filter& filter) const;
  Paged<NamespaceRow> Namespaces(const Filter& filter, ListSort sort, Page page) const;
  Paged<PolicyRow> Policies(const Filter& filter, ListSort sort, Page page) const;
  Paged<ResourceRow> Resources(const Filter& filter, ListSort sort, Page page) const;
  Paged<ResultRow> Results(const Filter& filter, ResultSort sort, Page page) const;
  // Every result of the resource `uid` (across the reports naming it), or nullopt.
  std::optional<ResourceDetail> Resource(std::string_view uid) const;
  FilterValues Values() const;
  // The current state, for the history; nullopt when there is no report.
  std::optional<Snapshot> Snap() const;

 private:
  // A result's strings as symbols (symbols.h), for grouping and sorting, and its verdict: what
  // a scan reads of every result, packed apart from the strings for the cache's sake.
  struct ResultSymbols {
    Symbol policy, rule, severity, category;
    Verdict verdict;
  };
  struct Entry {
    ParsedReport report;
    Symbol uid, kind, ns, name;
    std::vector<ResultSymbols> results;
    // Per result: name, namespace, kind, policy and message lower-cased, for the search.
    std::vector<std::string> haystacks;
  };
  struct Resolved;
  // The filter's strings as symbols (a value never seen matches nothing).
  Resolved Resolve(const Filter& filter) const;
  // Calls `visit(entry, i)` for every result i of every entry that passes `filter`, under the
  // caller's lock.
  template <typename Visit>
  void ForEachMatch(const Resolved& filter, Visit&& visit) const;
  void Touch();
  void Release(const Entry& entry);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> reports_;
  Symbols symbols_;
  std::size_t results_ = 0;
  std::uint64_t generation_ = 0;
  std::chrono::system_clock::time_point last_change_ = std::chrono::system_clock::now();
};

}  // namespace kw::ui
