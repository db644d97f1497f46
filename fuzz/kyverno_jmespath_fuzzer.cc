// kyverno-dsl's JMESPath (policies/kyverno-dsl/jmespath.h) as policy authors write it inside
// `{{ }}`: every input parses or is refused with a SyntaxError text, and what parses evaluates
// (or fails with a text) against a small Pod-like document within the value weight limit.
// Every input is also x509_decode's argument (a request's certificate text, attacker-chosen):
// as PEM text, and as the DER of a PEM block; either it decodes or it fails with a text.
#include <cstdint>
#include <string>
#include <string_view>

#include "cel/text.h"
#include "jmespath.h"
#include "value.h"
#include "x509_decode.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

const kyverno::Value& Document() {
  static const kyverno::Value doc = [] {
    kyverno::Value v;
    std::string error;
    kyverno::ParseJson(
        R"({"request": {"operation": "CREATE", "object": {"metadata": {"name": "web", "labels": {"app": "web"}},)"
        R"("spec": {"containers": [{"name": "a", "image": "nginx:1", "ports": [{"containerPort": 80}]},)"
        R"({"name": "b", "image": "busybox", "resources": {"limits": {"memory": "1Gi"}}}]}}}, "n": [3, 1, 2]})",
        &v, &error);
    return v;
  }();
  return doc;
}

void CheckX509(std::string_view pem) {
  auto certificate = kyverno::DecodeX509(pem);
  Check(certificate ? certificate->is_object() : !certificate.error().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckX509(text);
  CheckX509("-----BEGIN CERTIFICATE-----\n" + kw::cel::Base64Encode(text) + "\n-----END CERTIFICATE-----\n");
  std::string error;
  auto expr = kyverno::jmespath::Expression::Parse(text, &error);
  if (!expr) {
    Check(!error.empty());
    return 0;
  }
  kyverno::Value out;
  if (!expr->Evaluate(Document(), &out, &error)) {
    Check(!error.empty());
    return 0;
  }
  Check(out.weight() <= kyverno::kMaxValueWeight);
  return 0;
}
