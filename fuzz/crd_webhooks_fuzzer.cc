// The controller's admission webhooks (src/crd/admission.h) over hostile AdmissionReview bodies.
// The first byte picks the webhook (5 kinds × mutate/validate) and whether the rest is the whole
// body or only the object of a well-formed review (which reaches validation and defaulting
// deeply). Every answer must be a JSON AdmissionReview with a response, every refusal a typed
// error.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "crd/admission.h"
#include "crd/map_object_lookup.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr const char* kPaths[] = {
    "/mutate-policies-kubewarden-io-v1-clusteradmissionpolicy",
    "/mutate-policies-kubewarden-io-v1-admissionpolicy",
    "/mutate-policies-kubewarden-io-v1-clusteradmissionpolicygroup",
    "/mutate-policies-kubewarden-io-v1-admissionpolicygroup",
    "/mutate-policies-kubewarden-io-v1-policyserver",
    "/validate-policies-kubewarden-io-v1-clusteradmissionpolicy",
    "/validate-policies-kubewarden-io-v1-admissionpolicy",
    "/validate-policies-kubewarden-io-v1-clusteradmissionpolicygroup",
    "/validate-policies-kubewarden-io-v1-admissionpolicygroup",
    "/validate-policies-kubewarden-io-v1-policyserver",
};

kw::crd::MapObjectLookup& Lookup() {
  static kw::crd::MapObjectLookup* lookup = [] {
    auto* l = new kw::crd::MapObjectLookup();
    l->Add("v1", "Secret", "kubewarden", "regcred",
           kw::json::object{{"type", "kubernetes.io/dockerconfigjson"}});
    l->Add("v1", "ConfigMap", "kubewarden", "trust", kw::json::object{});
    return l;
  }();
  return *lookup;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t selector = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const char* path = kPaths[selector % 10];
  std::string body;
  if (selector / 10 % 2 == 1) {
    body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",)"
           R"("operation":"UPDATE","object":)" + std::string(rest) +
           R"(,"oldObject":{"spec":{"policyServer":"default","mode":"protect"}}}})";
  } else {
    body = std::string(rest);
  }
  kw::crd::WebhookOptions options;
  auto answer = kw::crd::HandleAdmissionReview(path, body, Lookup(), options);
  if (!answer) {
    Check(answer.error().kind == kw::ErrorKind::kInvalidArgument);
    return 0;
  }
  auto parsed = kw::ParseJson(*answer);
  Check(parsed.has_value());
  const kw::json::value* response = kw::FindKey(*parsed, "response");
  Check(response != nullptr && response->is_object());
  const kw::json::value* allowed = kw::FindKey(*response, "allowed");
  Check(allowed != nullptr && allowed->is_bool());
  return 0;
}
