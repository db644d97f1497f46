#include "ui/report_index.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_set>

#include "base/strings.h"

namespace kw::ui {
namespace {

bool Allows(const std::vector<std::string>& allowed, std::string_view value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string Haystack(const AuditedResource& resource, const ReportResult& result) {
  std::string text;
  text.reserve(resource.name.size() + resource.ns.size() + resource.kind.size() +
               result.policy.size() + result.message.size() + 4);
  // NUL between fields: queries holding one match nothing (see ForEachMatch).
  for (const std::string* field :
       {&resource.name, &resource.ns, &resource.kind, &result.policy, &result.message}) {
    text += AsciiLower(*field);
    text += '\0';
  }
  return text;
}

// Sorts `rows` by `less` only as far as `page` needs, and moves that page out.
template <typename Row, typename Less>
Paged<Row> PageOf(std::vector<Row> rows, Page page, Less less) {
  Paged<Row> paged;
  paged.total = rows.size();
  const std::size_t per_page = std::max<std::size_t>(page.per_page, 1);
  const std::size_t first = (std::max<std::size_t>(page.page, 1) - 1) * per_page;
  if (first >= rows.size()) return paged;
  const std::size_t end = std::min(rows.size(), first + std::min(per_page, rows.size() - first));
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(end), rows.end(), less);
  paged.items.assign(std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(first)),
                     std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(end)));
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

}  // namespace

template <typename Visit>
void ReportIndex::ForEachMatch(const Filter& filter, Visit&& visit) const {
  const std::string needle = AsciiLower(filter.search);
  // The haystacks' separator: a needle holding it would match across two fields.
  if (needle.find('\0') != std::string::npos) return;
  for (const auto& [key, entry] : reports_) {
    const AuditedResource& resource = entry.report.resource;
    if (!Allows(filter.namespaces, resource.ns) || !Allows(filter.kinds, resource.kind)) continue;
    for (std::size_t i = 0; i < entry.report.results.size(); ++i) {
      const ReportResult& result = entry.report.results[i];
      if (!Allows(filter.policies, result.policy) || !Allows(filter.severities, result.severity) ||
          !Allows(filter.categories, result.category)) {
        continue;
      }
      if (!filter.results.empty() &&
          std::find(filter.results.begin(), filter.results.end(), result.result) ==
              filter.results.end()) {
        continue;
      }
      if (!needle.empty() && entry.haystacks[i].find(needle) == std::string::npos) continue;
      visit(entry, result);
    }
  }
}

void ReportIndex::Touch() {
  ++generation_;
  last_change_ = std::chrono::system_clock::now();
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
  std::unordered_set<std::string_view> resources, namespaces, policies;
  std::shared_lock lock(mutex_);
  ForEachMatch(filter, [&](const Entry& entry, const ReportResult& result) {
    summary.totals.Add(result.result);
    summary.by_severity[result.severity].Add(result.result);
    summary.by_category[result.category].Add(result.result);
    resources.insert(entry.report.resource.uid);
    if (!entry.report.resource.ns.empty()) namespaces.insert(entry.report.resource.ns);
    policies.insert(result.policy);
  });
  summary.resources = resources.size();
  summary.namespaces = namespaces.size();
  summary.policies = policies.size();
  return summary;
}

Paged<NamespaceRow> ReportIndex::Namespaces(const Filter& filter, ListSort sort, Page page) const {
  std::unordered_map<std::string_view, std::pair<NamespaceRow, std::unordered_set<std::string_view>>>
      rows;
  {
    std::shared_lock lock(mutex_);
    ForEachMatch(filter, [&](const Entry& entry, const ReportResult& result) {
      const AuditedResource& resource = entry.report.resource;
      if (resource.ns.empty()) return;
      auto& [row, uids] = rows[resource.ns];
      if (row.ns.empty()) row.ns = resource.ns;
      row.totals.Add(result.result);
      uids.insert(resource.uid);
    });
    for (auto& [ns, row] : rows) row.first.resources = row.second.size();
  }
  std::vector<NamespaceRow> list;
  list.reserve(rows.size());
  for (auto& [ns, row] : rows) list.push_back(std::move(row.first));
  const auto name = [](const NamespaceRow& row) -> const std::string& { return row.ns; };
  if (sort == ListSort::kFail) return PageOf(std::move(list), page, ByFailThen<NamespaceRow>(name));
  return PageOf(std::move(list), page,
                [](const NamespaceRow& a, const NamespaceRow& b) { return a.ns < b.ns; });
}

Paged<PolicyRow> ReportIndex::Policies(const Filter& filter, ListSort sort, Page page) const {
  std::unordered_map<std::string_view, std::pair<PolicyRow, std::unordered_set<std::string_view>>>
      rows;
  {
    std::shared_lock lock(mutex_);
    ForEachMatch(filter, [&](const Entry& entry, const ReportResult& result) {
      auto& [row, namespaces] = rows[result.policy];
      if (row.policy.empty()) row.policy = result.policy;
      if (row.severity.empty()) row.severity = result.severity;
      if (row.category.empty()) row.category = result.category;
      row.totals.Add(result.result);
      if (!entry.report.resource.ns.empty()) namespaces.insert(entry.report.resource.ns);
    });
    for (auto& [policy, row] : rows) row.first.namespaces = row.second.size();
  }
  std::vector<PolicyRow> list;
  list.reserve(rows.size());
  for (auto& [policy, row] : rows) list.push_back(std::move(row.first));
  const auto name = [](const PolicyRow& row) -> const std::string& { return row.policy; };
  if (sort == ListSort::kFail) return PageOf(std::move(list), page, ByFailThen<PolicyRow>(name));
  return PageOf(std::move(list), page,
                [](const PolicyRow& a, const PolicyRow& b) { return a.policy < b.policy; });
}

Paged<ResourceRow> ReportIndex::Resources(const Filter& filter, ListSort sort, Page page) const {
  std::unordered_map<std::string_view, ResourceRow> rows;
  {
    std::shared_lock lock(mutex_);
    ForEachMatch(filter, [&](const Entry& entry, const ReportResult& result) {
      auto [it, inserted] = rows.try_emplace(entry.report.resource.uid);
      if (inserted) it->second.resource = entry.report.resource;
      it->second.totals.Add(result.result);
    });
  }
  std::vector<ResourceRow> list;
  list.reserve(rows.size());
  for (auto& [uid, row] : rows) list.push_back(std::move(row));
  const auto name = [](const ResourceRow& row) {
    const AuditedResource& r = row.resource;
    return std::tie(r.name, r.ns, r.kind, r.uid);
  };
  if (sort == ListSort::kFail) return PageOf(std::move(list), page, ByFailThen<ResourceRow>(name));
  return PageOf(std::move(list), page,
                [&](const ResourceRow& a, const ResourceRow& b) { return name(a) < name(b); });
}

Paged<ResultRow> ReportIndex::Results(const Filter& filter, ResultSort sort, Page page) const {
  // Pointers while sorting, copies of the one page at the end: the lock is held throughout.
  struct Match {
    const AuditedResource* resource;
    const ReportResult* result;
  };
  std::vector<Match> matches;
  std::shared_lock lock(mutex_);
  ForEachMatch(filter, [&](const Entry& entry, const ReportResult& result) {
    matches.push_back({&entry.report.resource, &result});
  });
  const auto key = [sort](const Match& m) {
    const AuditedResource& r = *m.resource;
    const ReportResult& x = *m.result;
    switch (sort) {
      case ResultSort::kNamespace:
        return std::tie(r.ns, r.name, r.kind, x.policy, x.rule, r.uid);
      case ResultSort::kName:
        return std::tie(r.name, r.ns, r.kind, x.policy, x.rule, r.uid);
      case ResultSort::kPolicy:
        break;
    }
    return std::tie(x.policy, r.ns, r.name, r.kind, x.rule, r.uid);
  };
  Paged<Match> paged = PageOf(std::move(matches), page,
                              [&](const Match& a, const Match& b) { return key(a) < key(b); });
  Paged<ResultRow> rows;
  rows.total = paged.total;
  rows.items.reserve(paged.items.size());
  for (const Match& match : paged.items) rows.items.push_back({*match.resource, *match.result});
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
  std::set<std::string_view> namespaces, policies, kinds, severities, categories;
  FilterValues values;
  std::shared_lock lock(mutex_);
  for (const auto& [key, entry] : reports_) {
    const AuditedResource& resource = entry.report.resource;
    if (!resource.ns.empty()) namespaces.insert(resource.ns);
    if (!resource.kind.empty()) kinds.insert(resource.kind);
    for (const ReportResult& result : entry.report.results) {
      policies.insert(result.policy);
      if (!result.severity.empty()) severities.insert(result.severity);
      if (!result.category.empty()) categories.insert(result.category);
    }
  }
  const auto list = [](const std::set<std::string_view>& set) {
    return std::vector<std::string>(set.begin(), set.end());
  };
  return {list(namespaces), list(policies), list(kinds), list(severities), list(categories)};
}

std::optional<Snapshot> ReportIndex::Snap() const {
  std::shared_lock lock(mutex_);
  if (reports_.empty()) return std::nullopt;
  Snapshot snapshot;
  snapshot.time = last_change_;
  std::unordered_map<std::string_view, std::size_t> run_uids;
  for (const auto& [key, entry] : reports_) {
    const ParsedReport& report = entry.report;
    ++run_uids[report.run_uid];
    for (const ReportResult& result : report.results) {
      snapshot.totals.Add(result.result);
      snapshot.by_severity[result.severity].Add(result.result);
      snapshot.by_category[result.category].Add(result.result);
      snapshot.by_namespace[report.resource.ns].Add(result.result);
      snapshot.by_policy[result.policy].Add(result.result);
    }
  }
  // Ties go to the smallest uid, so that the choice does not depend on the hash map's order.
  const std::pair<const std::string_view, std::size_t>* best = nullptr;
  for (const auto& candidate : run_uids) {
    if (best == nullptr || candidate.second > best->second ||
        (candidate.second == best->second && candidate.first < best->first)) {
      best = &candidate;
    }
  }
  snapshot.run_uid = std::string(best->first);
  return snapshot;
}

}  // namespace kw::ui
