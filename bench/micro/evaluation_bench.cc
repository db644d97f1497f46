// Micro-benchmarks of the engine and the waPC evaluation path (Google Benchmark).
//
//   BM_Compile          validate + compile a policy module (unique bytes per iteration, so V8's
//                       process-wide cache cannot make it look free)
//   BM_Instantiate      a fresh waPC instance of the policy, with its initializers
//   BM_WapcEcho1K       one raw waPC round trip with a 1 KiB payload
//   BM_HostOverhead     the whole evaluation of a 5 KB Pod AdmissionReview by a guest that does
//                       nothing (wapc_accept): request parsing and normalization, payload
//                       building, the waPC call, response parsing, AdmissionReview serialization.
//                       All of it is host-side work.
//   BM_ParseAndNormalizeReview, BM_BuildValidatePayload
//                       the first two steps of BM_HostOverhead alone.
//   BM_TrivialPolicy    the same with test_policy.wasm, which parses the request in the guest
//                       (nlohmann-json) and checks privileged containers.
//   BM_MutatingPolicy   test_policy.wasm adding a label to the Pod: the guest re-serializes it
//                       and the host diffs it into a patch.
//   BM_ExplainedMutatingPolicy
//                       BM_MutatingPolicy explained (evaluator/explanation.h, as kwctl run
//                       --explain and /explain do it), its JSON document included: what
//                       explaining costs. Not explaining costs nothing: BM_MutatingPolicy and
//                       BM_TrivialPolicy are the path of every request.
//   BM_ParseMutatedResponse, BM_DiffObjects, BM_DiffParsedJson, BM_DiffParsedJsonEveryContainer
//                       the host-side pieces of a mutation.
//   BM_WasiTrivialPolicy the whole evaluation of the 5 KB Pod by a WASI program (executionMode:
//                       wasi) that reads its stdin and accepts (wasi_accept): a fresh instance
//                       and a whole `_start` run per request, as the WASI protocol requires.
//   BM_WasiStdioPolicy  the same with wasi_policy.wasm, a 40 KB wasi-libc program using stdio.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "admission/json_patch.h"
#include "admission/request.h"
#include "admission/response.h"
#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "evaluator/evaluator.h"
#include "evaluator/explanation.h"
#include "runtime/wapc/wapc_instance.h"
#include "wasm/wasm_binary.h"

namespace kw {
namespace {

std::string DataDir() { return KW_BENCH_DATA_DIR; }
std::string SourceDir() { return KW_BENCH_SOURCE_DIR; }

engine::Engine& TheEngine() {
  static auto* engine = engine::CreateV8Engine().value().release();
  return *engine;
}

std::vector<std::uint8_t> Fixture(const std::string& name) {
  return ReadBinaryFile(DataDir() + "/" + name).value();
}

engine::CallOptions Deadline() {
  return {.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2)};
}

void BM_Compile(benchmark::State& state) {
  auto bytes = Fixture("test_policy.wasm");
  std::uint64_t n = 0;
  for (auto _ : state) {
    std::string salt = std::to_string(n++);
    auto unique = wasm::AppendCustomSection(
        bytes, "salt", std::span(reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()));
    auto module = TheEngine().Compile(unique);
    if (!module) state.SkipWithError(module.error().message.c_str());
    benchmark::DoNotOptimize(module);
  }
  state.SetLabel("test_policy.wasm, " + std::to_string(bytes.size() / 1024) + " KiB");
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMillisecond);

void BM_Instantiate(benchmark::State& state) {
  auto module = TheEngine().Compile(Fixture("test_policy.wasm")).value();
  auto worker = TheEngine().CreateWorker().value();
  for (auto _ : state) {
    auto instance = runtime::wapc::WapcInstance::Create(*worker, module, {}, Deadline());
    if (!instance) state.SkipWithError(instance.error().message.c_str());
    benchmark::DoNotOptimize(instance);
  }
}
BENCHMARK(BM_Instantiate)->Unit(benchmark::kMicrosecond);

void BM_WapcEcho1K(benchmark::State& state) {
  auto module = TheEngine().Compile(Fixture("wapc_echo.wasm")).value();
  auto worker = TheEngine().CreateWorker().value();
  auto instance = runtime::wapc::WapcInstance::Create(*worker, module, {}, Deadline()).value();
  std::string payload(1024, 'x');
  for (auto _ : state) {
    auto r = instance->Call("validate", payload, Deadline());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_WapcEcho1K)->Unit(benchmark::kMicrosecond);

// One evaluation as policy-server will do it: body text in, AdmissionReview text out.
void EvaluateReview(benchmark::State& state, const std::string& fixture,
                    json::value settings = json::object(),
                    std::optional<policy::ExecutionMode> mode = std::nullopt,
                    bool explain = false) {
  auto policy = std::make_shared<evaluator::Policy>();
  policy->config.id = "bench";
  policy->config.settings = std::move(settings);
  policy->config.allowed_to_mutate = true;
  policy->config.timeout = std::chrono::seconds(2);
  policy->module = runtime::LoadPolicyModule(TheEngine(), Fixture(fixture), mode).value();
  auto worker = TheEngine().CreateWorker().value();
  evaluator::Evaluator evaluator(*worker, std::make_shared<const host::Dispatcher>());
  std::string body = ReadFile(SourceDir() + "/tests/data/requests/pod_5k.json").value();
  // Every policy here accepts this Pod: a rejection means the benchmark would time a failure.
  auto first = evaluator.Evaluate(*policy, admission::ParseAdmissionReview(body).value(),
                                  evaluator::Origin::kValidate);
  if (!first.allowed) {
    std::string why = "the policy rejected the request: " + admission::AdmissionResponseJson(first);
    state.SkipWithError(why.c_str());
    return;
  }
  evaluator::EnvironmentEntry entry;
  entry.id = policy->config.id;
  entry.policy = policy;
  for (auto _ : state) {
    auto request = admission::ParseAdmissionReview(body).value();
    const auto evaluate = [&] {
      return evaluator.Evaluate(*policy, request, evaluator::Origin::kValidate);
    };
    if (explain) {
      evaluator::Explained explained = evaluator::Explain(entry, request, evaluate);
      std::string out = admission::AdmissionReviewJson(explained.response) +
                        json::serialize(evaluator::ExplanationJson(explained.explanation));
      benchmark::DoNotOptimize(out);
    } else {
      std::string out = admission::AdmissionReviewJson(evaluate());
      benchmark::DoNotOptimize(out);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.SetLabel(fixture + ", 5 KB Pod AdmissionReview");
}

// The host-side pieces of BM_HostOverhead, to see where its time goes.
void BM_ParseAndNormalizeReview(benchmark::State& state) {
  std::string body = ReadFile(SourceDir() + "/tests/data/requests/pod_5k.json").value();
  for (auto _ : state) {
    auto request = admission::ParseAdmissionReview(body);
    benchmark::DoNotOptimize(request);
  }
}
BENCHMARK(BM_ParseAndNormalizeReview)->Unit(benchmark::kMicrosecond);

void BM_BuildValidatePayload(benchmark::State& state) {
  std::string body = ReadFile(SourceDir() + "/tests/data/requests/pod_5k.json").value();
  auto request = admission::ParseAdmissionReview(body).value();
  const std::string settings = admission::SerializeSettings(json::object());
  for (auto _ : state) {
    auto payload = admission::BuildValidatePayload(request, settings);
    benchmark::DoNotOptimize(payload);
  }
}
BENCHMARK(BM_BuildValidatePayload)->Unit(benchmark::kMicrosecond);

void BM_HostOverhead(benchmark::State& state) { EvaluateReview(state, "wapc_accept.wasm"); }
BENCHMARK(BM_HostOverhead)->Unit(benchmark::kMicrosecond);

void BM_TrivialPolicy(benchmark::State& state) { EvaluateReview(state, "test_policy.wasm"); }
BENCHMARK(BM_TrivialPolicy)->Unit(benchmark::kMicrosecond);

void BM_WasiTrivialPolicy(benchmark::State& state) {
  EvaluateReview(state, "wasi_accept.wasm", json::object(), policy::ExecutionMode::kWasi);
}
BENCHMARK(BM_WasiTrivialPolicy)->Unit(benchmark::kMicrosecond);

// The same with a 40 KB wasi-libc program using stdio (tests/data/wasi/wasi_policy.c), which
// scans the request for a privileged container: more code to instantiate and initialize.
void BM_WasiStdioPolicy(benchmark::State& state) {
  EvaluateReview(state, "wasi_policy.wasm", json::object(), policy::ExecutionMode::kWasi);
}
BENCHMARK(BM_WasiStdioPolicy)->Unit(benchmark::kMicrosecond);

// A mutation of the 5 KB Pod: the host parses the mutated object and the original, diffs them
// and encodes the patch (the guest is test_policy.wasm adding one label).
void BM_MutatingPolicy(benchmark::State& state) {
  EvaluateReview(state, "test_policy.wasm",
                 json::object({{"add_label", json::object({{"key", "team"}, {"value", "blue"}})}}));
}
BENCHMARK(BM_MutatingPolicy)->Unit(benchmark::kMicrosecond);

void BM_ExplainedMutatingPolicy(benchmark::State& state) {
  EvaluateReview(state, "test_policy.wasm",
                 json::object({{"add_label", json::object({{"key", "team"}, {"value", "blue"}})}}),
                 std::nullopt, /*explain=*/true);
}
BENCHMARK(BM_ExplainedMutatingPolicy)->Unit(benchmark::kMicrosecond);

// The host-side pieces of a mutation of the 5 KB Pod: parsing the policy's answer (which carries
// the whole mutated object), and diffing it against the request's object into a patch.
struct MutationFixture {
  std::string body = ReadFile(SourceDir() + "/tests/data/requests/pod_5k.json").value();
  admission::ValidationRequest request = admission::ParseAdmissionReview(body).value();
  std::string mutated = [this] {
    json::value m = request.OriginalObject().value();
    m.at("metadata").as_object()["labels"].emplace_object()["team"] = "blue";
    return json::serialize(m);
  }();
  std::string output = R"({"accepted":true,"mutated_object":)" + mutated + "}";
};

void BM_ParseMutatedResponse(benchmark::State& state) {
  MutationFixture f;
  for (auto _ : state) {
    auto parsed = admission::ParsePolicyValidationResponse(f.output);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseMutatedResponse)->Unit(benchmark::kMicrosecond);

void DiffMutation(benchmark::State& state,
                  Result<std::string> (*diff)(std::string_view, std::string_view)) {
  MutationFixture f;
  const std::string_view original = *f.request.ObjectJson();
  for (auto _ : state) {
    auto patch = diff(original, f.mutated);
    benchmark::DoNotOptimize(patch);
  }
}

void BM_DiffObjects(benchmark::State& state) { DiffMutation(state, admission::Diff); }
BENCHMARK(BM_DiffObjects)->Unit(benchmark::kMicrosecond);

// The same diff as the host makes it (FromPolicyResponse): over the texts, parsing only what
// differs.
void BM_DiffParsedJson(benchmark::State& state) { DiffMutation(state, admission::DiffParsedJson); }
BENCHMARK(BM_DiffParsedJson)->Unit(benchmark::kMicrosecond);

// The same with edits deep in every container and in the Pod's securityContext, as
// user-group-psp makes them (runAsGroup set everywhere): the walk goes down five paths.
void BM_DiffParsedJsonEveryContainer(benchmark::State& state) {
  MutationFixture f;
  json::value m = f.request.OriginalObject().value();
  json::object& spec = m.at("spec").as_object();
  for (json::value& container : spec.at("containers").as_array()) {
    container.as_object()["securityContext"].emplace_object()["runAsGroup"] = 1000;
  }
  spec["securityContext"].emplace_object()["runAsGroup"] = 1000;
  const std::string mutated = json::serialize(m);
  const std::string_view original = *f.request.ObjectJson();
  for (auto _ : state) {
    auto patch = admission::DiffParsedJson(original, mutated);
    benchmark::DoNotOptimize(patch);
  }
}
BENCHMARK(BM_DiffParsedJsonEveryContainer)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kw

BENCHMARK_MAIN();
