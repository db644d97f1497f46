// Kubernetes' regex library (k8s.io/apiserver library.Regex): `s.find(re)` (the leftmost match,
// "" when none), `s.findAll(re)` and `s.findAll(re, n)` (Go's FindAllString: n < 0 all). Go's
// regexp syntax and compile errors; constant patterns compile once at planning.
#include <memory>

#include "cel/libraries.h"
#include "goregex/regex.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

// What one pass over the text costs: the Pike VM's text length × program size.
bool ChargeSearch(const goregex::Regexp& re, std::string_view text, CallContext& ctx) {
  return ctx.Charge(TraversalCost(text.size()) * (1 + re.program_size() / 10));
}

Value Find(const goregex::Regexp& re, std::string_view text, CallContext& ctx) {
  if (!ChargeSearch(re, text, ctx)) return CallContext::CostExceeded();
  auto m = re.Find(text);
  return Value::String(m ? std::string(text.substr(m->first, m->second - m->first)) : std::string());
}

// Go's FindAllString, empty matches included as Go delivers them.
Value FindAll(const goregex::Regexp& re, std::string_view text, std::int64_t n, CallContext& ctx) {
  if (!ChargeSearch(re, text, ctx)) return CallContext::CostExceeded();
  std::vector<Value> out;
  goregex::Regexp::Searcher searcher(re, text);
  while (n < 0 || static_cast<std::int64_t>(out.size()) < n) {
    if (!ctx.Charge(1 + re.program_size() / 10)) return CallContext::CostExceeded();
    auto m = searcher.Next();
    if (!m) break;
    out.push_back(Value::String(std::string(text.substr(m->first, m->second - m->first))));
    if (out.size() > ctx.max_list_elements()) return CallContext::SizeExceeded("list");
  }
  return Value::List(std::move(out));
}

using Run = std::function<Value(const goregex::Regexp&, Args, CallContext&)>;

// An overload whose pattern (argument 1) compiles once when constant.
void AddPatternFunction(FunctionRegistry& r, const std::string& name, std::vector<std::optional<Kind>> params,
                        std::string signature, Run run) {
  Overload o;
  o.receiver = true;
  o.params = std::move(params);
  o.signature = std::move(signature);
  o.impl = [run](Args a, CallContext& ctx) {
    if (!ctx.Charge(TraversalCost(a[1].text().size()))) return CallContext::CostExceeded();
    auto re = goregex::Regexp::Compile(a[1].text());
    if (!re) return Value::Error(re.error());
    return run(*re, a, ctx);
  };
  o.specialize = [run](std::span<const Value* const> constants) -> FunctionImpl {
    if (constants.size() < 2 || constants[1] == nullptr || constants[1]->kind() != K::kString) return {};
    auto re = goregex::Regexp::Compile(constants[1]->text());
    if (!re) return [error = re.error()](Args, CallContext&) { return Value::Error(error); };
    auto shared = std::make_shared<const goregex::Regexp>(std::move(*re));
    return [run, shared](Args a, CallContext& ctx) { return run(*shared, a, ctx); };
  };
  r.Add(name, std::move(o));
}

}  // namespace

void RegisterRegexLibrary(FunctionRegistry& r) {
  AddPatternFunction(r, "find", {K::kString, K::kString}, "(string, string) -> string",
                     [](const goregex::Regexp& re, Args a, CallContext& ctx) { return Find(re, a[0].text(), ctx); });
  AddPatternFunction(r, "findAll", {K::kString, K::kString}, "(string, string) -> list(string)", [](const goregex::Regexp& re, Args a, CallContext& ctx) {
    return FindAll(re, a[0].text(), -1, ctx);
  });
  AddPatternFunction(r, "findAll", {K::kString, K::kString, K::kInt}, "(string, string, int) -> list(string)",
                     [](const goregex::Regexp& re, Args a, CallContext& ctx) {
                       return FindAll(re, a[0].text(), a[2].int_value(), ctx);
                     });
}

}  // namespace kw::cel
