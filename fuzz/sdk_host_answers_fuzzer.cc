// The policy SDK's typed host-capability helpers (sdk/cpp/include/kubewarden/host.h,
// host_oci.h) over whatever a host answers, built natively with a fake waPC host: a malformed
// answer must come back as an error, never crash, and a success needs the fields it reports.
#include <cstdint>
#include <string>
#include <string_view>

#include "fake_wapc_host.h"
#include "kubewarden/kubewarden.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace host = kubewarden::host;
  std::string& answer = fake_wapc_host::answer;
  answer.assign(reinterpret_cast<const char*>(data), size);

  host::SubjectAccessReview review;
  review.user = "u";
  review.resource_attributes.resource = "pods";
  review.resource_attributes.verb = "get";
  auto status = host::CanI(review);
  if (status && answer.find("allowed") == std::string::npos) __builtin_trap();

  auto verified = host::Verify(host::GithubActionsVerify{"img", "owner", std::nullopt, {}});
  if (verified && answer.find("is_trusted") == std::string::npos) __builtin_trap();

  kubewarden::json::Document doc;
  (void)host::OciManifest(doc, "img");
  return 0;
}
