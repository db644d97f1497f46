// Micro-benchmarks of the OPA wasm ABI host (executionMode opa | gatekeeper), Google Benchmark.
//
//   BM_OpaTrivialPolicy/<fixture>  the whole evaluation of a 5 KB Pod AdmissionReview by a
//                       trivial OPA policy (a substring check over its input, then a constant
//                       AdmissionReview result), as policy-server does it: request parsing,
//                       input building, the guest evaluation on the warm instance (heap rewound,
//                       input loaded, evaluated, result dumped), result parsing and
//                       AdmissionReview serialization. v1_3 goes through opa_eval (ABI 1.2+),
//                       v1_1 through the opa_eval_ctx_* calls.
//   BM_GatekeeperTrivialPolicy     the same for a Gatekeeper policy (opa_eval).
//   BM_OpaAbiEvaluate/<fixture>    the ABI calls alone (OpaInstance::Evaluate) with the 5 KB input.
#include <benchmark/benchmark.h>

#include "admission/request.h"
#include "admission/response.h"
#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "evaluator/evaluator.h"
#include "runtime/opa/opa_instance.h"

namespace kw {
namespace {

engine::Engine& TheEngine() {
  static auto* engine = engine::CreateV8Engine().value().release();
  return *engine;
}

std::vector<std::uint8_t> Fixture(const std::string& name) {
  return ReadBinaryFile(std::string(KW_BENCH_DATA_DIR) + "/" + name).value();
}

std::string PodReview() {
  return ReadFile(std::string(KW_BENCH_SOURCE_DIR) + "/tests/data/requests/pod_5k.json").value();
}

void EvaluateReview(benchmark::State& state, const std::string& fixture,
                    policy::ExecutionMode mode) {
  auto policy = std::make_shared<evaluator::Policy>();
  policy->config.id = "bench";
  policy->config.settings = json::object();
  policy->config.timeout = std::chrono::seconds(2);
  auto module = runtime::LoadPolicyModule(TheEngine(), Fixture(fixture), mode);
  if (!module) {
    state.SkipWithError(module.error().message.c_str());
    return;
  }
  policy->module = *module;
  auto worker = TheEngine().CreateWorker().value();
  evaluator::Evaluator evaluator(*worker, std::make_shared<const host::Dispatcher>());
  std::string body = PodReview();
  // The Pod is accepted: a rejection would mean timing a failure.
  auto first = evaluator.Evaluate(*policy, admission::ParseAdmissionReview(body).value(),
                                  evaluator::Origin::kValidate);
  if (!first.allowed) {
    state.SkipWithError(("the policy rejected the request: " +
                         admission::AdmissionResponseJson(first)).c_str());
    return;
  }
  for (auto _ : state) {
    auto request = admission::ParseAdmissionReview(body).value();
    auto response = evaluator.Evaluate(*policy, request, evaluator::Origin::kValidate);
    std::string out = admission::AdmissionReviewJson(response);
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(fixture + ", 5 KB Pod AdmissionReview");
}

void BM_OpaTrivialPolicy(benchmark::State& state, const char* fixture) {
  EvaluateReview(state, fixture, policy::ExecutionMode::kOpa);
}
BENCHMARK_CAPTURE(BM_OpaTrivialPolicy, v1_3_opa_eval, "opa_privileged_v1_3.wasm")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_OpaTrivialPolicy, v1_1_eval_ctx, "opa_privileged_v1_1.wasm")
    ->Unit(benchmark::kMicrosecond);

void BM_GatekeeperTrivialPolicy(benchmark::State& state) {
  EvaluateReview(state, "gatekeeper_privileged_v1_2.wasm", policy::ExecutionMode::kGatekeeper);
}
BENCHMARK(BM_GatekeeperTrivialPolicy)->Unit(benchmark::kMicrosecond);

void BM_OpaAbiEvaluate(benchmark::State& state, const char* fixture) {
  auto module = runtime::LoadPolicyModule(TheEngine(), Fixture(fixture),
                                          policy::ExecutionMode::kOpa).value();
  auto worker = TheEngine().CreateWorker().value();
  auto instance =
      runtime::opa::OpaInstance::Create(*worker, module->module, "bench", "{}", {}).value();
  auto request = admission::ParseAdmissionReview(PodReview()).value();
  std::string input = "{\"request\":" + std::string(request.json()) + "}";
  for (auto _ : state) {
    auto result = instance->Evaluate(input, {});
    if (!result) state.SkipWithError(result.error().message.c_str());
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK_CAPTURE(BM_OpaAbiEvaluate, v1_3_opa_eval, "opa_privileged_v1_3.wasm")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_OpaAbiEvaluate, v1_1_eval_ctx, "opa_privileged_v1_1.wasm")
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kw

BENCHMARK_MAIN();
