#include "ui/api.h"

#include <charconv>
#include <map>
#include <optional>

#include "base/json.h"
#include "base/percent_decode.h"

namespace kw::ui {
namespace {

constexpr std::size_t kMaxPerPage = 500;
constexpr std::size_t kHistoryLimit = 500;

struct BadRequest {
  std::string message;
};

// The query's parameters, each with every value it was given (repeated and comma-separated
// values are split later, per parameter).
class Query {
 public:
  static Result<Query> Parse(std::string_view query) {
    Query parsed;
    while (!query.empty()) {
      const std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      auto key = Decode(pair.substr(0, eq));
      auto value = Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!key || !value) {
        return Fail(ErrorKind::kInvalidArgument, "the query has a bad %-escape or is not UTF-8");
      }
      parsed.values_[*key].push_back(std::move(*value));
    }
    return parsed;
  }

  // Every non-empty value of `key`, comma-separated ones split.
  std::vector<std::string> List(std::string_view key) const {
    std::vector<std::string> list;
    auto found = values_.find(key);
    if (found == values_.end()) return list;
    for (std::string_view value : found->second) {
      while (!value.empty()) {
        const std::size_t comma = value.find(',');
        if (std::string_view item = value.substr(0, comma); !item.empty()) list.emplace_back(item);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      }
    }
    return list;
  }
  // The last non-empty value of `key`.
  std::optional<std::string> One(std::string_view key) const {
    auto found = values_.find(key);
    if (found == values_.end()) return std::nullopt;
    for (auto it = found->second.rbegin(); it != found->second.rend(); ++it) {
      if (!it->empty()) return *it;
    }
    return std::nullopt;
  }

 private:
  // Form encoding: '+' is a space.
  static std::optional<std::string> Decode(std::string_view text) {
    std::string spaced(text);
    for (char& c : spaced) {
      if (c == '+') c = ' ';
    }
    return PercentDecode(spaced);
  }
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

Result<Filter> FilterOf(const Query& query) {
  Filter filter;
  filter.namespaces = query.List("namespace");
  filter.policies = query.List("policy");
  filter.kinds = query.List("kind");
  filter.severities = query.List("severity");
  filter.categories = query.List("category");
  for (const std::string& name : query.List("result")) {
    Verdict verdict;
    if (!ParseVerdict(name, verdict)) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid result '" + name + "': pass, fail, warn, error or skip");
    }
    filter.results.push_back(verdict);
  }
  filter.search = query.One("search").value_or("");
  return filter;
}

Result<std::size_t> PositiveNumber(const Query& query, std::string_view key, std::size_t fallback) {
  auto text = query.One(key);
  if (!text) return fallback;
  std::size_t number = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), number);
  if (error != std::errc() || end != text->data() + text->size() || number == 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid " + std::string(key) + " '" + *text + "': a number from 1");
  }
  return number;
}

Result<Page> PageOf(const Query& query) {
  Page page;
  KW_ASSIGN_OR_RETURN(page.page, PositiveNumber(query, "page", 1));
  KW_ASSIGN_OR_RETURN(page.per_page, PositiveNumber(query, "per_page", 50));
  page.per_page = std::min(page.per_page, kMaxPerPage);
  return page;
}

// `sort` as one of `names` (the first is the default), or an error listing them.
template <typename Sort>
Result<Sort> SortOf(const Query& query,
                    std::initializer_list<std::pair<std::string_view, Sort>> names) {
  auto sort = query.One("sort");
  if (!sort) return names.begin()->second;
  std::string choices;
  for (const auto& [name, value] : names) {
    if (name == *sort) return value;
    choices += choices.empty() ? std::string(name) : ", " + std::string(name);
  }
  return Fail(ErrorKind::kInvalidArgument, "invalid sort '" + *sort + "': " + choices);
}

json::object TotalsJson(const Totals& totals, json::object into = {}) {
  for (int i = 0; i < kVerdictCount; ++i) {
    into[VerdictName(static_cast<Verdict>(i))] = totals.counts[i];
  }
  return into;
}

json::object GroupsJson(const std::map<std::string, Totals>& groups) {
  json::object object;
  for (const auto& [name, totals] : groups) object[name] = TotalsJson(totals);
  return object;
}

json::object ResourceJson(const AuditedResource& resource, json::object into = {}) {
  into["uid"] = resource.uid;
  into["apiVersion"] = resource.api_version;
  into["kind"] = resource.kind;
  into["namespace"] = resource.ns;
  into["name"] = resource.name;
  return into;
}

template <typename Row, typename ToJson>
json::object ListJson(const Paged<Row>& paged, const Page& page, ToJson to_json) {
  json::array items;
  items.reserve(paged.items.size());
  for (const Row& row : paged.items) items.push_back(to_json(row));
  return {{"items", std::move(items)},
          {"total", paged.total},
          {"page", page.page},
          {"per_page", page.per_page}};
}

ApiAnswer Ok(const json::value& body) { return {200, ToJson(body)}; }

ApiAnswer ErrorAnswer(int status, std::string_view message) {
  return {status, ToJson(json::object{{"error", message}})};
}

}  // namespace

ApiAnswer Api::Answer(std::string_view target) const {
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  auto query = Query::Parse(question == std::string_view::npos ? std::string_view()
                                                               : target.substr(question + 1));
  if (!query) return ErrorAnswer(400, query.error().message);
  // Every endpoint in one place: each reads what it needs of the query; a Result error is a 400.
  const auto answer = [&]() -> Result<std::optional<json::value>> {
    if (path == "/api/v1/summary") {
      KW_ASSIGN_OR_RETURN(Filter filter, FilterOf(*query));
      const Summary summary = index_.Summarize(filter);
      json::value last_scan = nullptr;
      if (history_ != nullptr) {
        KW_ASSIGN_OR_RETURN(std::optional<TrendPoint> latest, history_->Latest());
        if (latest) last_scan = json::object{{"run_uid", latest->run_uid}, {"time", latest->time}};
      }
      return json::value(json::object{{"totals", TotalsJson(summary.totals)},
                                      {"by_severity", GroupsJson(summary.by_severity)},
                                      {"by_category", GroupsJson(summary.by_category)},
                                      {"resources", summary.resources},
                                      {"namespaces", summary.namespaces},
                                      {"policies", summary.policies},
                                      {"last_scan", std::move(last_scan)}});
    }
    if (path == "/api/v1/history") {
      TrendFilter filter{query->One("namespace"), query->One("policy")};
      std::vector<TrendPoint> points;
      if (history_ != nullptr) {
        KW_ASSIGN_OR_RETURN(points, history_->Trend(filter, kHistoryLimit));
      }
      json::array items;
      for (const TrendPoint& point : points) {
        items.push_back(TotalsJson(point.totals, {{"run_uid", point.run_uid}, {"time", point.time}}));
      }
      return json::value(json::object{{"items", std::move(items)}});
    }
    if (path == "/api/v1/namespaces") {
      KW_ASSIGN_OR_RETURN(Filter filter, FilterOf(*query));
      KW_ASSIGN_OR_RETURN(Page page, PageOf(*query));
      KW_ASSIGN_OR_RETURN(ListSort sort,
                          SortOf<ListSort>(*query, {{"name", ListSort::kName}, {"fail", ListSort::kFail}}));
      return json::value(ListJson(index_.Namespaces(filter, sort, page), page,
                                  [](const NamespaceRow& row) {
                                    json::object item = TotalsJson(row.totals, {{"namespace", row.ns}});
                                    item["resources"] = row.resources;
                                    return item;
                                  }));
    }
    if (path == "/api/v1/policies") {
      KW_ASSIGN_OR_RETURN(Filter filter, FilterOf(*query));
      KW_ASSIGN_OR_RETURN(Page page, PageOf(*query));
      KW_ASSIGN_OR_RETURN(ListSort sort,
                          SortOf<ListSort>(*query, {{"name", ListSort::kName}, {"fail", ListSort::kFail}}));
      return json::value(ListJson(index_.Policies(filter, sort, page), page, [](const PolicyRow& row) {
        json::object item = TotalsJson(row.totals, {{"policy", row.policy},
                                                    {"severity", row.severity},
                                                    {"category", row.category}});
        item["namespaces"] = row.namespaces;
        return item;
      }));
    }
    if (path == "/api/v1/resources") {
      KW_ASSIGN_OR_RETURN(Filter filter, FilterOf(*query));
      KW_ASSIGN_OR_RETURN(Page page, PageOf(*query));
      KW_ASSIGN_OR_RETURN(ListSort sort,
                          SortOf<ListSort>(*query, {{"name", ListSort::kName}, {"fail", ListSort::kFail}}));
      return json::value(ListJson(index_.Resources(filter, sort, page), page, [](const ResourceRow& row) {
        return TotalsJson(row.totals, ResourceJson(row.resource));
      }));
    }
    if (path.starts_with("/api/v1/resources/")) {
      auto uid = PercentDecode(path.substr(std::string_view("/api/v1/resources/").size()));
      if (!uid) return Fail(ErrorKind::kInvalidArgument, "the resource uid has a bad %-escape");
      std::optional<ResourceDetail> detail = index_.Resource(*uid);
      if (!detail) return std::optional<json::value>();
      json::array results;
      for (const ReportResult& result : detail->results) {
        auto properties = ParseJson(result.properties);
        results.push_back(json::object{
            {"policy", result.policy},
            {"rule", result.rule},
            {"result", VerdictName(result.result)},
            {"message", result.message},
            {"severity", result.severity},
            {"category", result.category},
            {"timestamp", result.timestamp},
            {"properties", properties ? std::move(*properties) : json::value(json::object{})}});
      }
      return json::value(json::object{{"resource", ResourceJson(detail->resource)},
                                      {"results", std::move(results)}});
    }
    if (path == "/api/v1/results") {
      KW_ASSIGN_OR_RETURN(Filter filter, FilterOf(*query));
      KW_ASSIGN_OR_RETURN(Page page, PageOf(*query));
      KW_ASSIGN_OR_RETURN(ResultSort sort,
                          SortOf<ResultSort>(*query, {{"policy", ResultSort::kPolicy},
                                                      {"namespace", ResultSort::kNamespace},
                                                      {"name", ResultSort::kName}}));
      return json::value(ListJson(index_.Results(filter, sort, page), page, [](const ResultRow& row) {
        const AuditedResource& r = row.resource;
        const ReportResult& x = row.result;
        return json::object{{"uid", r.uid},           {"kind", r.kind},
                            {"namespace", r.ns},      {"name", r.name},
                            {"policy", x.policy},     {"rule", x.rule},
                            {"result", VerdictName(x.result)}, {"message", x.message},
                            {"severity", x.severity}, {"category", x.category}};
      }));
    }
    if (path == "/api/v1/filters") {
      const FilterValues values = index_.Values();
      const auto array = [](const std::vector<std::string>& list) {
        return json::array(list.begin(), list.end());
      };
      return json::value(json::object{{"namespaces", array(values.namespaces)},
                                      {"policies", array(values.policies)},
                                      {"kinds", array(values.kinds)},
                                      {"severities", array(values.severities)},
                                      {"categories", array(values.categories)}});
    }
    return std::optional<json::value>();
  }();
  if (!answer) {
    // A history that cannot be read is our failure, not the request's.
    const int status = answer.error().kind == ErrorKind::kIo ? 500 : 400;
    return ErrorAnswer(status, answer.error().message);
  }
  if (!*answer) return ErrorAnswer(404, "not found: " + std::string(path));
  return Ok(**answer);
}

}  // namespace kw::ui
