// The policy SDK's typed host-capability helpers (sdk/cpp/include/kubewarden/host.h,
// host_oci.h) over whatever a host answers, built natively with a fake waPC host: a malformed
// answer must come back as an error, never crash, and a success needs the fields it reports.
#include <cstdint>
#include <string>
#include <string_view>

#include "kubewarden/kubewarden.h"

namespace {
std::string answer;
}  // namespace

// The waPC imports: every host call succeeds with `answer`.
extern "C" {
void kubewarden_wapc_guest_request(char*, char*) {}
void kubewarden_wapc_guest_response(const char*, std::size_t) {}
void kubewarden_wapc_guest_error(const char*, std::size_t) {}
int kubewarden_wapc_host_call(const char*, std::size_t, const char*, std::size_t, const char*,
                              std::size_t, const char*, std::size_t) {
  return 1;
}
std::size_t kubewarden_wapc_host_response_len() { return answer.size(); }
void kubewarden_wapc_host_response(char* ptr) { answer.copy(ptr, answer.size()); }
std::size_t kubewarden_wapc_host_error_len() { return 0; }
void kubewarden_wapc_host_error(char*) {}
void kubewarden_wapc_console_log(const char*, std::size_t) {}
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace host = kubewarden::host;
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
