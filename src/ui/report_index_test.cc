#include "ui/report_index.h"

#include <gtest/gtest.h>

namespace kw::ui {
namespace {

ReportResult Result(std::string policy, Verdict verdict, std::string severity = "",
                    std::string category = "", std::string message = "") {
  ReportResult result;
  result.policy = std::move(policy);
  result.result = verdict;
  result.severity = std::move(severity);
  result.category = std::move(category);
  result.message = std::move(message);
  result.properties = "{}";
  return result;
}

ParsedReport Report(std::string uid, std::string ns, std::string kind, std::string name,
                    std::vector<ReportResult> results, std::string run_uid = "run-1") {
  ParsedReport report;
  report.resource = {std::move(uid), "v1", std::move(kind), std::move(ns), std::move(name)};
  report.results = std::move(results);
  report.run_uid = std::move(run_uid);
  return report;
}

// Two namespaces and a cluster-scoped resource; policies p (high, PSP) and q.
class ReportIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index.Upsert("PolicyReport/a/1", Report("1", "a", "Pod", "web",
                                            {Result("p", Verdict::kFail, "high", "PSP", "Privileged"),
                                             Result("q", Verdict::kPass)}));
    index.Upsert("PolicyReport/a/2", Report("2", "a", "Deployment", "api",
                                            {Result("p", Verdict::kPass, "high", "PSP")}));
    index.Upsert("PolicyReport/b/3", Report("3", "b", "Pod", "db",
                                            {Result("p", Verdict::kFail, "high", "PSP"),
                                             Result("q", Verdict::kFail)}));
    index.Upsert("ClusterPolicyReport//4", Report("4", "", "Namespace", "a",
                                                  {Result("q", Verdict::kWarn)}));
  }
  ReportIndex index;
};

TEST_F(ReportIndexTest, Summarizes) {
  const Summary all = index.Summarize({});
  EXPECT_EQ(all.totals.Of(Verdict::kPass), 2);
  EXPECT_EQ(all.totals.Of(Verdict::kFail), 3);
  EXPECT_EQ(all.totals.Of(Verdict::kWarn), 1);
  EXPECT_EQ(all.resources, 4u);
  EXPECT_EQ(all.namespaces, 2u);
  EXPECT_EQ(all.policies, 2u);
  EXPECT_EQ(all.by_severity.at("high").Of(Verdict::kFail), 2);
  EXPECT_EQ(all.by_severity.at("").Of(Verdict::kFail), 1);
  EXPECT_EQ(all.by_category.at("PSP").Of(Verdict::kPass), 1);

  Filter only_b;
  only_b.namespaces = {"b"};
  const Summary b = index.Summarize(only_b);
  EXPECT_EQ(b.totals.Of(Verdict::kFail), 2);
  EXPECT_EQ(b.resources, 1u);
}

TEST_F(ReportIndexTest, FiltersCombine) {
  Filter filter;
  filter.results = {Verdict::kFail};
  filter.kinds = {"Pod"};
  filter.policies = {"q", "p"};
  EXPECT_EQ(index.Results(filter, ResultSort::kPolicy, {}).total, 3u);
  filter.severities = {"high"};
  EXPECT_EQ(index.Results(filter, ResultSort::kPolicy, {}).total, 2u);
  filter.categories = {"none"};
  EXPECT_EQ(index.Results(filter, ResultSort::kPolicy, {}).total, 0u);
}

TEST_F(ReportIndexTest, SearchIsCaseInsensitiveOverNamesAndMessages) {
  Filter filter;
  filter.search = "PRIVILEGED";
  auto results = index.Results(filter, ResultSort::kPolicy, {});
  ASSERT_EQ(results.total, 1u);
  EXPECT_EQ(results.items[0].resource.name, "web");
  filter.search = "deploy";  // a kind
  EXPECT_EQ(index.Resources(filter, ListSort::kName, {}).total, 1u);
  filter.search = std::string("web\0a", 5);  // fields are searched one by one, never across two
  EXPECT_EQ(index.Results(filter, ResultSort::kPolicy, {}).total, 0u);
}

TEST_F(ReportIndexTest, ListsNamespacesWithoutClusterScopedResources) {
  auto by_name = index.Namespaces({}, ListSort::kName, {});
  ASSERT_EQ(by_name.total, 2u);
  EXPECT_EQ(by_name.items[0].ns, "a");
  EXPECT_EQ(by_name.items[0].resources, 2u);
  EXPECT_EQ(by_name.items[0].totals.Of(Verdict::kPass), 2);
  auto by_fail = index.Namespaces({}, ListSort::kFail, {});
  EXPECT_EQ(by_fail.items[0].ns, "b");
}

TEST_F(ReportIndexTest, ListsPolicies) {
  auto policies = index.Policies({}, ListSort::kName, {});
  ASSERT_EQ(policies.total, 2u);
  EXPECT_EQ(policies.items[0].policy, "p");
  EXPECT_EQ(policies.items[0].severity, "high");
  EXPECT_EQ(policies.items[0].category, "PSP");
  EXPECT_EQ(policies.items[0].namespaces, 2u);
  EXPECT_EQ(policies.items[1].totals.Of(Verdict::kWarn), 1);
}

TEST_F(ReportIndexTest, ResourcesCountOnlyTheirFilteredResults) {
  Filter fails;
  fails.results = {Verdict::kFail};
  auto resources = index.Resources(fails, ListSort::kFail, {});
  ASSERT_EQ(resources.total, 2u);
  EXPECT_EQ(resources.items[0].resource.name, "db");
  EXPECT_EQ(resources.items[0].totals.Of(Verdict::kFail), 2);
  EXPECT_EQ(resources.items[1].totals.Of(Verdict::kPass), 0);
}

TEST_F(ReportIndexTest, Paginates) {
  auto page = index.Results({}, ResultSort::kName, {2, 2});
  EXPECT_EQ(page.total, 6u);
  ASSERT_EQ(page.items.size(), 2u);
  // By name: a, api, db, db, web, web.
  EXPECT_EQ(page.items[0].resource.name, "db");
  EXPECT_EQ(page.items[1].resource.name, "db");
  EXPECT_EQ(index.Results({}, ResultSort::kName, {4, 2}).items.size(), 0u);
  EXPECT_EQ(index.Results({}, ResultSort::kName, {3, 4}).items.size(), 0u);
  EXPECT_EQ(index.Results({}, ResultSort::kName, {2, 4}).items.size(), 2u);
}

TEST_F(ReportIndexTest, SortsResultsByPolicyThenNamespace) {
  auto results = index.Results({}, ResultSort::kPolicy, {});
  ASSERT_EQ(results.items.size(), 6u);
  EXPECT_EQ(results.items[0].result.policy, "p");
  EXPECT_EQ(results.items[0].resource.ns, "a");
  EXPECT_EQ(results.items[3].result.policy, "q");
  EXPECT_EQ(results.items[3].resource.ns, "");
  auto by_namespace = index.Results({}, ResultSort::kNamespace, {});
  EXPECT_EQ(by_namespace.items[0].resource.ns, "");
}

TEST_F(ReportIndexTest, OneResource) {
  auto detail = index.Resource("3");
  ASSERT_TRUE(detail);
  EXPECT_EQ(detail->resource.name, "db");
  EXPECT_EQ(detail->results.size(), 2u);
  EXPECT_FALSE(index.Resource("nope"));
}

TEST_F(ReportIndexTest, FilterValuesAreSortedAndDistinct) {
  const FilterValues values = index.Values();
  EXPECT_EQ(values.namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(values.policies, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(values.kinds, (std::vector<std::string>{"Deployment", "Namespace", "Pod"}));
  EXPECT_EQ(values.severities, (std::vector<std::string>{"high"}));
  EXPECT_EQ(values.categories, (std::vector<std::string>{"PSP"}));
}

TEST_F(ReportIndexTest, ChangesAndRemovals) {
  const std::uint64_t before = index.generation();
  EXPECT_FALSE(index.Upsert("PolicyReport/b/3", Report("3", "b", "Pod", "db",
                                                       {Result("p", Verdict::kFail, "high", "PSP"),
                                                        Result("q", Verdict::kFail)})));
  EXPECT_EQ(index.generation(), before);
  EXPECT_TRUE(index.Upsert("PolicyReport/b/3",
                           Report("3", "b", "Pod", "db", {Result("p", Verdict::kPass)})));
  EXPECT_EQ(index.Summarize({}).totals.Of(Verdict::kFail), 1);
  EXPECT_EQ(index.result_count(), 5u);
  EXPECT_TRUE(index.Remove("PolicyReport/a/1"));
  EXPECT_FALSE(index.Remove("PolicyReport/a/1"));
  EXPECT_EQ(index.Summarize({}).totals.Of(Verdict::kFail), 0);
  EXPECT_EQ(index.result_count(), 3u);
  EXPECT_GT(index.generation(), before);
}

// The audit scanner rewrites only the reports that changed: the scan is the one that wrote last.
TEST_F(ReportIndexTest, SnapshotCountsPerDimensionUnderTheRunThatWroteLast) {
  std::optional<Snapshot> snapshot = index.Snap();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->run_uid, "run-1");  // no timestamps: the smallest uid
  ReportResult newer = Result("q", Verdict::kPass);
  newer.timestamp = "2026-12-06T10:00:00Z";
  index.Upsert("PolicyReport/c/5", Report("5", "c", "Pod", "x", {newer}, "run-9"));
  ReportResult older = Result("q", Verdict::kPass);
  older.timestamp = "2026-12-06T09:00:00Z";
  index.Upsert("PolicyReport/c/6", Report("6", "c", "Pod", "y", {older}, "run-0"));
  EXPECT_EQ(index.Snap()->run_uid, "run-9");
  index.Remove("PolicyReport/c/5");
  index.Remove("PolicyReport/c/6");
  snapshot = index.Snap();
  EXPECT_EQ(snapshot->totals.Of(Verdict::kFail), 3);
  EXPECT_EQ(snapshot->by_namespace.at("").Of(Verdict::kWarn), 1);
  EXPECT_EQ(snapshot->by_namespace.at("a").Of(Verdict::kPass), 2);
  EXPECT_EQ(snapshot->by_policy.at("q").Of(Verdict::kFail), 1);
  EXPECT_EQ(snapshot->by_severity.at("high").Of(Verdict::kFail), 2);
  EXPECT_EQ(snapshot->by_category.at("PSP").Of(Verdict::kPass), 1);
  EXPECT_FALSE(ReportIndex().Snap());
}

}  // namespace
}  // namespace kw::ui
