// kyverno-dsl's settings (policies/kyverno-dsl): the `policy` text (YAML or JSON) decoded as a
// ClusterPolicy, or refused with "failed to convert policy to JSON: ..." / "cannot unmarshal
// policy: ..."; a policy that decodes is evaluated against a fixed Pod CREATE request and
// answers one response per applicable rule.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine.h"
#include "value.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

const kyverno::Value& Request() {
  static const kyverno::Value request = [] {
    kyverno::Value v;
    std::string error;
    kyverno::ParseJson(
        R"({"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "default",)"
        R"("operation": "CREATE", "userInfo": {"username": "alice"}, "object": {"apiVersion": "v1", "kind": "Pod",)"
        R"("metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a": "b"}},)"
        R"("spec": {"containers": [{"name": "a", "image": "nginx:latest", "securityContext": {"privileged": true}}]}}})",
        &v, &error);
    return v;
  }();
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kyverno::Value policy;
  std::string error;
  if (!kyverno::DecodePolicy(text, &policy, &error)) {
    Check(error.starts_with("failed to convert policy to JSON: ") || error.starts_with("cannot unmarshal policy: "));
    return 0;
  }
  // Bound the evaluation work the fuzzer asks for; the engine's own limits are what is tested.
  if (size > 16 * 1024) return 0;
  std::vector<kyverno::RuleResponse> responses = kyverno::Evaluate(kyverno::Prepare(std::move(policy)), Request());
  (void)kyverno::VerdictMessage(responses);
  return 0;
}
