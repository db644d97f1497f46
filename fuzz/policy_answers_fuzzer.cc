// The catalogue's shared guest code over whatever a Kubernetes or OCI host call answers, built
// natively with a fake waPC host (fake_wapc_host.h): the Rust SDK-style typed decode of
// get_resource answers (policies/common/upstream_kubernetes.h), image-cve-policy's
// VulnerabilityReport lists (report.h) and the image reference parser
// (policies/common/image_reference.h). Hostile answers must come back as errors or "no report",
// never crash.
#include <cstdint>
#include <string>
#include <string_view>

#include "fake_wapc_host.h"
#include "policies/common/image_reference.h"
#include "policies/common/upstream_kubernetes.h"
#include "policies/image-cve-policy/report.h"

namespace {
void Check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace kw = kubewarden;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fake_wapc_host::answer.assign(input);

  kw::json::Document doc;
  auto ns = upstream::RustGetObject(doc, "v1", "Namespace", "team-a", std::nullopt, false);
  if (ns) {
    Check((*ns)->IsObject());
    if (const kw::json::Value* labels = (*ns)->GetObject("metadata/labels")) {
      for (const kw::json::Value& label : *labels) Check(label.IsString());
    }
  }

  kw::json::Document list_doc;
  auto list = upstream::RustListResourcesByNamespace(list_doc, "v1", "Service", "team-a");
  if (list) {
    auto report = image_cve::FirstReport(**list);
    image_cve::Settings settings;
    settings.cvss_score = image_cve::CvssScore{.threshold = 7, .threshold_literal = "7"};
    settings.max_severity[image_cve::kHigh] = image_cve::SeverityCount{.limit = 0};
    if (report) (void)image_cve::CheckReport(*report, settings);
  }

  auto ref = image_reference::ParseReference(input);
  if (ref) Check(!ref->registry.empty() && !ref->repository.empty() && (ref->tag || ref->digest));
  return 0;
}
