#include "ui/report_index.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_set>

#include "base/strings.h"

namespace kw::ui {
namespace {

std::string Haystack(const AuditedResource& resource, const ReportResult& result) {
  std::string text;
  text.reserve(resource.name.size() + resource.ns.size() + resource.kind.size() +
               result.policy.size() + result.message.size() + 5);
  // NUL between fields: queries holding one match nothing (see ForEachMatch).
  for (const std::string* field :
       {&resource.name, &resource.ns, &resource.kind, &result.policy, &result.message}) {
    text += AsciiLower(*field);
    text += '\0';
  }
  return text;
}

// Rows keyed by symbol: a slot per symbol, so that finding a row costs an array access.
template <typename Row>
class BySymbol {
 public:
  explicit BySymbol(std::size_t bound) : slots_(bound, kNone) {}
  Row& operator[](Symbol symbol) {
    std::uint32_t& slot = slots_[symbol];
    if (slot == kNone) {
      slot = static_cast<std::uint32_t>(rows_.size());
      rows_.emplace_back(symbol, Row{});
    }
    return rows_[slot].second;
  }
  bool Contains(Symbol symbol) const { return slots_[symbol] != kNone; }
  std::vector<std::pair<Symbol, Row>>& rows() { return rows_; }
  std::size_t size() const { return rows_.size(); }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<std::uint32_t> slots_;
  std::vector<std::pair<Symbol, Row>> rows_;
};

struct Seen {};

// The rows of `page` in the order of `less`, the rest left unsorted: the page's first row is
// selected (nth_element), then only the page is sorted.
template <typename Row, typename Less>
Paged<Row> PageOf(std::vector<Row> rows, Page page, Less less) {
  Paged<Row> paged;
  paged.total = rows.size();
  const std::size_t per_page = std::max<std::size_t>(page.per_page, 1);
  const std::size_t page_index = std::max<std::size_t>(page.page, 1) - 1;
  if (page_index >= rows.size() / per_page + (rows.size() % per_page != 0)) return paged;
  const auto first = rows.begin() + static_cast<std::ptrdiff_t>(page_index * per_page);
  const auto end = rows.begin() + static_cast<std::ptrdiff_t>(
                                      std::min(rows.size(), page_index * per_page + per_page));
  std::nth_element(rows.begin(), first, rows.end(), less);
  std::partial_sort(first, end, rows.end(), less);
  paged.items.assign(std::make_move_iterator(first), std::make_move_iterator(end));
  return paged;
}

// Most failures first, then by `name`.
template <typename Row, typename Name>
auto ByFailThen(Name name) {
  return [name](const Row& a, const Row& b) {
    const auto fa = a.totals.Of(Verdict::kFail), fb = b.totals.Of(Verdict::kFail);
    if (fa != fb) return fa > fb;
    return name(a) < name(b);
  };
}

// A page of `list` by name, or by failures then name.
template <typename Row, typename Name>
Paged<Row> ListPage(std::vector<Row> list, ListSort sort, Page page, Name name) {
  if (sort == ListSort::kFail) return PageOf(std::move(list), page, ByFailThen<Row>(name));
  return PageOf(std::move(list), page, [&](const Row& a, const Row& b) { return name(a) < name(b); });
}

}  // namespace

struct ReportIndex::Resolved {
  bool nothing = false;  // a list named only values no result has
  std::vector<Symbol> namespaces, policies, kinds, severities, categories;
  std::vector<Verdict> results;
  std::string needle;

  static bool Allows(const std::vector<Symbol>& allowed, Symbol symbol) {
    return allowed.empty() || std::find(allowed.begin(), allowed.end(), symbol) != allowed.end();
  }
};

ReportIndex::Resolved ReportIndex::Resolve(const Filter& filter) const {
  Resolved resolved;
  const auto resolve = [&](const std::vector<std::string>& values, std::vector<Symbol>& symbols) {
    for (const std::string& value : values) {
      if (auto symbol = symbols_.Find(value)) symbols.push_back(*symbol);
    }
    if (!values.empty() && symbols.empty()) resolved.nothing = true;
  };
  resolve(filter.namespaces, resolved.namespaces);
  resolve(filter.policies, resolved.policies);
  resolve(filter.kinds, resolved.kinds);
  resolve(filter.severities, resolved.severities);
  resolve(filter.categories, resolved.categories);
  resolved.results = filter.results;
  resolved.needle = AsciiLower(filter.search);
  // The haystacks' separator: a needle holding it would match across two fields.
  if (resolved.needle.find('\0') != std::string::npos) resolved.nothing = true;
  return resolved;
}

template <typename Visit>
void ReportIndex::ForEachMatch(const Resolved& filter, Visit&& visit) const {
  if (filter.nothing) return;
  for (const auto& [key, entry] : reports_) {
    if (!Resolved::Allows(filter.namespaces, entry.ns) || !Resolved::Allows(filter.kinds, entry.kind)) {
      continue;
    }
    for (std::size_t i = 0; i < entry.results.size(); ++i) {
      const ResultSymbols& symbols = entry.results[i];
      if (!Resolved::Allows(filter.policies, symbols.policy) ||
          !Resolved::Allows(filter.severities, symbols.severity) ||
          !Resolved::Allows(filter.categories, symbols.category)) {
        continue;
      }
      if (!filter.results.empty() &&
          std::find(filter.results.begin(), filter.results.end(), symbols.verdict) ==
              filter.results.end()) {
        continue;
      }
      if (!filter.needle.empty() && entry.haystacks[i].find(filter.needle) == std::string::npos) {
        continue;
      }
      visit(entry, i);
    }
  }
}

void ReportIndex::Touch() {
  ++generation_;
  last_change_ = std::chrono::system_clock::now();
}

void ReportIndex::Release(const Entry& entry) {
  for (Symbol symbol : {entry.uid, entry.kind, entry.ns, entry.name}) symbols_.Release(symbol);
  for (const ResultSymbols& result : entry.results) {
    for (Symbol symbol : {result.policy, result.rule, result.severity, result.category}) {
      symbols_.Release(symbol);
    }
  }
}

bool ReportIndex::Upsert(const std::string& key, ParsedReport report) {
  Entry entry;
  entry.haystacks.reserve(report.results.size());
  for (const ReportResult& result : report.results) {
    entry.haystacks.push_back(Haystack(report.resource, result));
  }
  entry.report = std::move(report);
  std::unique_lock lock(mutex_);
  auto [it, inserted] = reports_.try_emplace(key);
  if (!inserted) {
    if (it->second.report == entry.report) return false;
    results_ -= it->second.report.results.size();
    Release(it->second);
  }
  const AuditedResource& resource = entry.report.resource;
  entry.uid = symbols_.Acquire(resource.uid);
  entry.kind = symbols_.Acquire(resource.kind);
  entry.ns = symbols_.Acquire(resource.ns);
  entry.name = symbols_.Acquire(resource.name);
  entry.results.reserve(entry.report.results.size());
  for (const ReportResult& result : entry.report.results) {
    entry.results.push_back({symbols_.Acquire(result.policy), symbols_.Acquire(result.rule),
                             symbols_.Acquire(result.severity), symbols_.Acquire(result.category),
                             result.result});
  }
  results_ += entry.report.results.size();
  it->second = std::move(entry);
  Touch();
  return true;
}

bool ReportIndex::Remove(const std::string& key) {
  std::unique_lock lock(mutex_);
  auto it = reports_.find(key);
  if (it == reports_.end()) return false;
  results_ -= it->second.report.results.size();
  Release(it->second);
  reports_.erase(it);
  Touch();
  return true;
}

std::uint64_t ReportIndex::generation() const {
  std::shared_lock lock(mutex_);
  return generation_;
}

std::chrono::system_clock::time_point ReportIndex::last_change() const {
  std::shared_lock lock(mutex_);
  return last_change_;
}

std::size_t ReportIndex::report_count() const {
  std::shared_lock lock(mutex_);
  return reports_.size();
}

std::size_t ReportIndex::result_count() const {
  std::shared_lock lock(mutex_);
  return results_;
}

Summary ReportIndex::Summarize(const Filter& filter) const {
  Summary summary;
  std::shared_lock lock(mutex_);
  const Resolved resolved = Resolve(filter);
  const std::size_t bound = symbols_.Bound();
  BySymbol<Totals> by_severity(bound), by_category(bound);
  BySymbol<Seen> resources(bound), namespaces(bound), policies(bound);
  ForEachMatch(resolved, [&](const Entry& entry, std::size_t i) {
    const Verdict verdict = entry.results[i].verdict;
    summary.totals.Add(verdict);
    by_severity[entry.results[i].severity].Add(verdict);
    by_category[entry.results[i].category].Add(verdict);
    resources[entry.uid];
    if (!entry.report.resource.ns.empty()) namespaces[entry.ns];
    policies[entry.results[i].policy];
  });
  for (auto& [symbol, totals] : by_severity.rows()) summary.by_severity[symbols_.Text(symbol)] = totals;
  for (auto& [symbol, totals] : by_category.rows()) summary.by_category[symbols_.Text(symbol)] = totals;
  summary.resources = resources.size();
  summary.namespaces = namespaces.size();
  summary.policies = policies.size();
  return summary;
}

Paged<NamespaceRow> ReportIndex::Namespaces(const Filter& filter, ListSort sort, Page page) const {
  std::vector<NamespaceRow> list;
  {
    std::shared_lock lock(mutex_);
    const Resolved resolved = Resolve(filter);
    const std::size_t bound = symbols_.Bound();
    BySymbol<NamespaceRow> rows(bound);
    BySymbol<Seen> resources(bound);
    ForEachMatch(resolved, [&](const Entry& entry, std::size_t i) {
      if (entry.report.resource.ns.empty()) return;
      NamespaceRow& row = rows[entry.ns];
      row.totals.Add(entry.results[i].verdict);
      if (!resources.Contains(entry.uid)) {
        resources[entry.uid];
        ++row.resources;
      }
    });
    list.reserve(rows.size());
    for (auto& [symbol, row] : rows.rows()) {
      row.ns = symbols_.Text(symbol);
      list.push_back(std::move(row));
    }
  }
  return ListPage(std::move(list), sort, page,
                  [](const NamespaceRow& row) -> const std::string& { return row.ns; });
}

Paged<PolicyRow> ReportIndex::Policies(const Filter& filter, ListSort sort, Page page) const {
  std::vector<PolicyRow> list;
  {
    std::shared_lock lock(mutex_);
    const Resolved resolved = Resolve(filter);
    BySymbol<PolicyRow> rows(symbols_.Bound());
    // (policy, namespace) pairs seen, to count each policy's namespaces once.
    std::unordered_set<std::uint64_t> pairs;
    ForEachMatch(resolved, [&](const Entry& entry, std::size_t i) {
      const ReportResult& result = entry.report.results[i];
      const Symbol policy = entry.results[i].policy;
      PolicyRow& row = rows[policy];
      if (row.severity.empty()) row.severity = result.severity;
      if (row.category.empty()) row.category = result.category;
      row.totals.Add(result.result);
      if (!entry.report.resource.ns.empty() &&
          pairs.insert(std::uint64_t{policy} << 32 | entry.ns).second) {
        ++row.namespaces;
      }
    });
    list.reserve(rows.size());
    for (auto& [symbol, row] : rows.rows()) {
      row.policy = symbols_.Text(symbol);
      list.push_back(std::move(row));
    }
  }
  return ListPage(std::move(list), sort, page,
                  [](const PolicyRow& row) -> const std::string& { return row.policy; });
}

Paged<ResourceRow> ReportIndex::Resources(const Filter& filter, ListSort sort, Page page) const {
  // Symbols' ranks while selecting the page, copies of the page's rows at the end.
  struct Row {
    const Entry* entry;
    Totals totals;
    std::array<std::uint32_t, 4> key;  // ranks of name, namespace, kind, uid
  };
  std::shared_lock lock(mutex_);
  const Resolved resolved = Resolve(filter);
  BySymbol<Row> rows(symbols_.Bound());
  ForEachMatch(resolved, [&](const Entry& entry, std::size_t i) {
    Row& row = rows[entry.uid];
    if (row.entry == nullptr) row.entry = &entry;
    row.totals.Add(entry.results[i].verdict);
  });
  const std::vector<std::uint32_t>& ranks = symbols_.Ranks();
  std::vector<Row> list;
  list.reserve(rows.size());
  for (auto& [symbol, row] : rows.rows()) {
    const Entry& entry = *row.entry;
    row.key = {ranks[entry.name], ranks[entry.ns], ranks[entry.kind], ranks[entry.uid]};
    list.push_back(row);
  }
  Paged<Row> paged =
      ListPage(std::move(list), sort, page, [](const Row& row) -> const auto& { return row.key; });
  Paged<ResourceRow> result;
  result.total = paged.total;
  for (const Row& row : paged.items) result.items.push_back({row.entry->report.resource, row.totals});
  return result;
}

Paged<ResultRow> ReportIndex::Results(const Filter& filter, ResultSort sort, Page page) const {
  struct Match {
    std::array<std::uint32_t, 6> key;  // ranks, in the order of `sort`
    const Entry* entry;
    std::uint32_t index;
  };
  std::shared_lock lock(mutex_);
  const Resolved resolved = Resolve(filter);
  const std::vector<std::uint32_t>& ranks = symbols_.Ranks();
  std::vector<Match> matches;
  ForEachMatch(resolved, [&](const Entry& entry, std::size_t i) {
    const ResultSymbols& r = entry.results[i];
    std::array<std::uint32_t, 6> key;
    switch (sort) {
      case ResultSort::kNamespace:
        key = {ranks[entry.ns], ranks[entry.name], ranks[entry.kind], ranks[r.policy], ranks[r.rule], ranks[entry.uid]};
        break;
      case ResultSort::kName:
        key = {ranks[entry.name], ranks[entry.ns], ranks[entry.kind], ranks[r.policy], ranks[r.rule], ranks[entry.uid]};
        break;
      case ResultSort::kPolicy:
        key = {ranks[r.policy], ranks[entry.ns], ranks[entry.name], ranks[entry.kind], ranks[r.rule], ranks[entry.uid]};
        break;
    }
    matches.push_back({key, &entry, static_cast<std::uint32_t>(i)});
  });
  Paged<Match> paged = PageOf(std::move(matches), page,
                              [](const Match& a, const Match& b) { return a.key < b.key; });
  Paged<ResultRow> rows;
  rows.total = paged.total;
  rows.items.reserve(paged.items.size());
  for (const Match& match : paged.items) {
    rows.items.push_back({match.entry->report.resource, match.entry->report.results[match.index]});
  }
  return rows;
}

std::optional<ResourceDetail> ReportIndex::Resource(std::string_view uid) const {
  std::optional<ResourceDetail> detail;
  std::shared_lock lock(mutex_);
  // Reports in key order, so that a resource in two reports (both report kinds) lists its
  // results the same way every time.
  std::map<std::string_view, const Entry*> naming;
  for (const auto& [key, entry] : reports_) {
    if (entry.report.resource.uid == uid) naming.emplace(key, &entry);
  }
  for (const auto& [key, entry] : naming) {
    if (!detail) detail = ResourceDetail{entry->report.resource, {}};
    detail->results.insert(detail->results.end(), entry->report.results.begin(),
                           entry->report.results.end());
  }
  return detail;
}

FilterValues ReportIndex::Values() const {
  std::shared_lock lock(mutex_);
  const std::size_t bound = symbols_.Bound();
  BySymbol<Seen> namespaces(bound), policies(bound), kinds(bound), severities(bound),
      categories(bound);
  for (const auto& [key, entry] : reports_) {
    namespaces[entry.ns];
    kinds[entry.kind];
    for (const ResultSymbols& result : entry.results) {
      policies[result.policy];
      severities[result.severity];
      categories[result.category];
    }
  }
  // Sorted, without "" (absent values are no choice to filter on).
  const auto list = [&](BySymbol<Seen>& seen) {
    std::vector<std::string> texts;
    for (const auto& [symbol, unused] : seen.rows()) {
      if (!symbols_.Text(symbol).empty()) texts.push_back(symbols_.Text(symbol));
    }
    std::sort(texts.begin(), texts.end());
    return texts;
  };
  return {list(namespaces), list(policies), list(kinds), list(severities), list(categories)};
}

std::optional<Snapshot> ReportIndex::Snap() const {
  std::shared_lock lock(mutex_);
  if (reports_.empty()) return std::nullopt;
  Snapshot snapshot;
  snapshot.time = last_change_;
  // The scan this state comes from is the one that wrote last: the audit scanner rewrites only
  // the reports that changed, so older reports keep the run uid of the scan that last changed
  // them, and the most common uid would name an old scan. Results carry the time they were
  // written (RFC 3339 in UTC, which sorts as text); ties go to the smallest uid, so the choice
  // does not depend on the hash map's order.
  std::string_view newest_time, newest_uid;
  bool first = true;
  for (const auto& [key, entry] : reports_) {
    const ParsedReport& report = entry.report;
    std::string_view written;  // the report's newest result timestamp
    for (const ReportResult& result : report.results) {
      snapshot.totals.Add(result.result);
      snapshot.by_severity[result.severity].Add(result.result);
      snapshot.by_category[result.category].Add(result.result);
      snapshot.by_namespace[report.resource.ns].Add(result.result);
      snapshot.by_policy[result.policy].Add(result.result);
      written = std::max<std::string_view>(written, result.timestamp);
    }
    if (first || written > newest_time ||
        (written == newest_time && report.run_uid < newest_uid)) {
      newest_time = written;
      newest_uid = report.run_uid;
      first = false;
    }
  }
  snapshot.run_uid = std::string(newest_uid);
  return snapshot;
}

}  // namespace kw::ui
