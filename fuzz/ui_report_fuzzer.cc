// What the compliance UI reads from outside, hostile: the input's first line is a request target
// for its JSON API, the rest a policy report as the API server hands it over. The report is
// parsed and, when it is one, indexed and recorded in an in-memory history; then every endpoint
// answers the target's query. Every answer must be JSON; nothing may crash.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "ui/api.h"
#include "ui/history_store.h"
#include "ui/report.h"
#include "ui/report_index.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view query = input.substr(0, newline);
  const std::string_view report_text =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  kw::ui::ReportIndex index;
  // A fresh history each time: one kept across inputs would grow by a row per input.
  auto history = kw::ui::HistoryStore::Open(":memory:");
  Check(history.has_value());
  if (auto report = kw::ui::ParseReport(report_text)) {
    const std::string uid = report->resource.uid;
    Check(!uid.empty());
    index.Upsert("Report/ns/name", std::move(*report));
    Check(index.Resource(uid).has_value());
    if (auto snapshot = index.Snap()) Check((*history)->Record(*snapshot).has_value());
  }
  const kw::ui::Api api(index, history->get());
  for (std::string_view endpoint : {"/api/v1/summary", "/api/v1/history", "/api/v1/namespaces",
                                    "/api/v1/policies", "/api/v1/resources", "/api/v1/results",
                                    "/api/v1/filters", "/api/v1/resources/"}) {
    std::string target(endpoint);
    if (endpoint.ends_with('/')) {
      target += query.substr(0, query.find('?'));
    } else {
      target += "?" + std::string(query);
    }
    const kw::ui::ApiAnswer answer = api.Answer(target);
    Check(answer.status == 200 || answer.status == 400 || answer.status == 404);
    Check(kw::ParseJson(answer.body).has_value());
  }
  return 0;
}
