// Micro-benchmarks of the CEL evaluator (src/cel/program.h) on the 5 KB Pod AdmissionReview
// (tests/data/requests/pod_5k.json), with a ValidatingAdmissionPolicy-style set of 5
// validations compiled once. Issue 16's target for the whole cel-policy: 30 µs per evaluation.
//
//   BM_CelVapEvaluate        the 5 validations against `object` (the Pod, parsed once)
//   BM_CelVapParseAndEvaluate  parsing the AdmissionReview JSON too, as once per request
//   BM_CelCompile            compiling the 5 expressions (once per policy settings)
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cel/program.h"

namespace kw::cel {
namespace {

constexpr const char* kValidations[] = {
    "object.spec.containers.all(c, has(c.securityContext) && has(c.securityContext.runAsNonRoot) && "
    "c.securityContext.runAsNonRoot)",
    "object.spec.containers.all(c, !c.image.endsWith(':latest') && c.image.contains(':'))",
    "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && "
    "has(c.resources.limits.memory))",
    "!has(object.spec.hostNetwork) || !object.spec.hostNetwork",
    "'tier' in object.metadata.labels && object.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
};

std::string PodReview() {
  std::ifstream in(std::string(KW_BENCH_SOURCE_DIR) + "/tests/data/requests/pod_5k.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Program> Compile() {
  std::vector<Program> programs;
  for (const char* source : kValidations) programs.push_back(Program::Compile(source).value());
  return programs;
}

bool EvaluateAll(const std::vector<Program>& programs, const Value& review) {
  MapActivation vars;
  Value request = *review.MapFind("request");
  vars.Bind("object", *request.MapFind("object"));
  vars.Bind("request", request);
  bool all = true;
  for (const auto& p : programs) all = p.Evaluate(vars).IsBool(true) && all;
  return all;
}

void BM_CelVapEvaluate(benchmark::State& state) {
  auto programs = Compile();
  Value review = ParseJson(PodReview()).value();
  if (!EvaluateAll(programs, review)) {
    state.SkipWithError("a validation did not hold on the Pod");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(EvaluateAll(programs, review));
}
BENCHMARK(BM_CelVapEvaluate);

void BM_CelVapParseAndEvaluate(benchmark::State& state) {
  auto programs = Compile();
  std::string body = PodReview();
  for (auto _ : state) benchmark::DoNotOptimize(EvaluateAll(programs, ParseJson(body).value()));
}
BENCHMARK(BM_CelVapParseAndEvaluate);

void BM_CelCompile(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Compile());
}
BENCHMARK(BM_CelCompile);

}  // namespace
}  // namespace kw::cel

BENCHMARK_MAIN();
