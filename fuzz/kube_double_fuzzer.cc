// Hostile requests through kube-apiserver-double's API layer (tests/kube_apiserver): paths,
// queries (selectors, continue tokens, resourceVersions), content types and bodies (objects,
// patches of every kind, apply configurations), and the parsers the double reads its own input
// with (token files, fault rules, service endpoints, delete options), and webhooks' answers.
// Whatever the input, an answer and no crash; the managedFields format round-trips.
//
// Input: line 1 the method, line 2 the path and query, line 3 the content type, the rest the
// body; the whole input also goes through the parsers on its own.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <map>

#include "admission/json_patch.h"
#include "base/json.h"
#include "kube_apiserver/api.h"
#include "kube_apiserver/auth.h"
#include "kube_apiserver/control.h"
#include "kube_apiserver/gc.h"
#include "kube_apiserver/patches.h"
#include "kube_apiserver/selectors.h"
#include "kube_apiserver/webhooks.h"

namespace {

using namespace kw::kube_double;

std::string_view TakeLine(std::string_view& text) {
  std::size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return line;
}

// Percent-decoding is the HTTP layer's; the fuzzer hands the query over as key=value pairs.
std::map<std::string, std::string> Query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    std::size_t eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
  }
  return out;
}

void Parsers(std::string_view text) {
  (void)ParseLabelSelector(text);
  if (auto fields = ParseFieldSelector(text, {"metadata.name", "spec.nodeName"}, false)) {
    for (const auto& r : fields->requirements) {
      if (r.path != "metadata.name" && r.path != "spec.nodeName") __builtin_trap();
    }
  }
  (void)ParseTokenFile(text);
  (void)ParseSarRules(text);
  (void)ParseDenyRules(text);
  (void)ParseResourcePath(text);
  (void)ParseAdmissionResponse(text, "v1", "uid", false);
  if (auto verdict = ParseAdmissionResponse(text, "v1", "uid", true); verdict && verdict->patch) {
    (void)kw::admission::ApplyPatch(boost::json::object{{"metadata", boost::json::object{}}},
                                    *verdict->patch);
  }
  Webhooks webhooks;
  (void)webhooks.AddServiceEndpointFlag(text);
  auto value = kw::ParseJson(text);
  if (!value) return;
  (void)webhooks.AddServiceEndpointJson(*value);
  Faults faults;
  (void)faults.Add(*value);
  (void)MergePatch(*value, *value);
  (void)StrategicMergePatch(*value, *value);
  if (value->is_object()) {
    (void)PropagationFinalizer(value->get_object(), false);
    (void)StartDeletion(value->get_object(), "orphan", "now");
    FieldSet fields = FieldsOf(value->get_object(), false);
    if (FromFieldsV1(ToFieldsV1(fields)) != fields) __builtin_trap();
    (void)Apply(value->get_object(), value->get_object(), "fuzz", "v1", false, "", "now");
    boost::json::object copy = value->get_object();
    RecordUpdate(&value->get_object(), copy, "fuzz", "v1", "", "now");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<Api> api;
  static int runs = 0;
  if (!api || ++runs % 500 == 0) api = std::make_unique<Api>(100, std::vector<SarRule>{});
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Parsers(text);
  ApiRequest request;
  request.method = std::string(TakeLine(text));
  std::string_view target = TakeLine(text);
  std::size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = Query(target.substr(question + 1));
  request.content_type = std::string(TakeLine(text));
  request.body = std::string(text);
  ApiOutcome outcome = api->Handle(request);
  if (auto* plan = std::get_if<WatchPlan>(&outcome); plan && plan->watcher) {
    (void)plan->watcher->Take();
    api->Unwatch(plan->watcher);
  }
  return 0;
}
