// The compliance UI's JSON API (/api/v1/...), as the shared UI contract describes it: summary,
// history, namespaces, policies, resources (list and one), results, filters. Pure: a request
// target in, a status and a JSON body out.
//
// Every list and summary takes the common filters (namespace, policy, kind, severity, category,
// result: repeatable or comma-separated; search: a case-insensitive substring) and lists take
// page (1-based) and per_page (default 50, at most 500). A value that cannot be read (result=x,
// page=0, sort=x) is a 400 naming it; unknown parameters are ignored.
#pragma once

#include <string>
#include <string_view>

#include "ui/history_store.h"
#include "ui/report_index.h"

namespace kw::ui {

struct ApiAnswer {
  int status = 200;
  std::string body;  // JSON; errors are {"error": "..."}
};

class Api {
 public:
  // `history` may be null (no history kept: the history is empty, last_scan null).
  Api(const ReportIndex& index, const HistoryStore* history) : index_(index), history_(history) {}

  // `target`: the path under /api/ and its query, as sent ("/api/v1/resources?page=2").
  ApiAnswer Answer(std::string_view target) const;

 private:
  const ReportIndex& index_;
  const HistoryStore* history_;
};

}  // namespace kw::ui
