// Hostile kubeconfig files through the parser, the merge and the context selection: whatever
// the text, a value or a clear error, and what is selected is usable (an http(s) server, a
// client certificate only with its key, inline credentials within their cap). Contexts whose
// cluster or user names a file are not selected: the input must not choose what the fuzzer
// reads (a FIFO would block it).
#include <cstdint>
#include <string>
#include <string_view>

#include "kube/kubeconfig.h"

namespace {

bool NamesAFile(const kw::kube::Kubeconfig& config, const kw::kube::KubeconfigContext& context) {
  if (auto it = config.clusters.find(context.cluster); it != config.clusters.end()) {
    if (!it->second.certificate_authority.file.empty()) return true;
  }
  if (auto it = config.users.find(context.user); it != config.users.end()) {
    if (!it->second.client_certificate.file.empty() || !it->second.client_key.file.empty()) {
      return true;
    }
  }
  return false;
}

void CheckUsable(const kw::kube::ConnectionConfig& connection) {
  if (!connection.server.starts_with("https://") && !connection.server.starts_with("http://")) {
    __builtin_trap();
  }
  if (connection.client_certificate_pem.empty() != connection.client_key_pem.empty()) {
    __builtin_trap();
  }
  for (const std::string* pem : {&connection.certificate_authority_pem,
                                 &connection.client_certificate_pem, &connection.client_key_pem}) {
    if (pem->size() > kw::kube::kMaxPemBytes) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = kw::kube::ParseKubeconfig(text, "/nonexistent-kubeconfig-fuzz/config");
  if (!parsed) return 0;
  // Merged with itself: every definition comes from the first copy.
  const kw::kube::Kubeconfig merged = kw::kube::MergeKubeconfigs({*parsed, *parsed});
  if (merged.contexts.size() != parsed->contexts.size()) __builtin_trap();
  for (const auto& [name, context] : merged.contexts) {
    if (NamesAFile(merged, context)) continue;
    if (auto connection = kw::kube::SelectContext(merged, name)) CheckUsable(*connection);
  }
  if (merged.contexts.contains(merged.current_context) &&
      !NamesAFile(merged, merged.contexts.at(merged.current_context))) {
    if (auto connection = kw::kube::SelectContext(merged)) CheckUsable(*connection);
  }
  return 0;
}
