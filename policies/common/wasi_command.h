// policies/common/wasi_command.h: the glue of a WASI policy (policy-server.md §4.d,
// policies-more.md §1.1), the command-module counterpart of the SDK's policy.h.
//
//   std::expected<std::string, std::string> Validate(std::string_view input);
//   std::expected<std::string, std::string> ValidateSettings(std::string_view input);
//   int main(int argc, char** argv) { return kw_policies::wasi::Run(argc, argv, Validate,
//                                                                   ValidateSettings); }
//
// Respond<Check> turns `kw::ValidationResponse Check(kw::json::Document&, std::string_view)`
// into such a Validate.
//
// The host runs `policy.wasm validate` (stdin: {"request", "settings"}) or `policy.wasm
// validate-settings` (stdin: the settings). A handler returns the JSON to print on stdout, or the
// error to print on stderr, which makes the run fail (exit code 1): the host then reports that
// text. Any other invocation fails the same way.
//
// HostCall reaches the host capabilities through the `host.call` import: the host appends the
// answer (or its error text) to stdin, which must have been read to its end before.
#ifndef POLICIES_COMMON_WASI_COMMAND_H_
#define POLICIES_COMMON_WASI_COMMAND_H_

#include <unistd.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include <kubewarden/json.h>
#include <kubewarden/response.h>

namespace kw_policies::wasi {

using Handler = std::expected<std::string, std::string> (*)(std::string_view input);

// Everything stdin holds now, up to its (current) end.
inline std::string ReadStdin() {
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

inline void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A Handler answering what `check` decides; `check` builds any mutated object in `doc`.
template <kubewarden::ValidationResponse (*check)(kubewarden::json::Document& doc,
                                                  std::string_view input)>
std::expected<std::string, std::string> Respond(std::string_view input) {
  kubewarden::json::Document doc;
  return check(doc, input).ToJson();
}

inline int Run(int argc, char** argv, Handler validate, Handler validate_settings) {
  std::string_view command = argc == 2 ? std::string_view(argv[1]) : std::string_view();
  Handler handler = command == "validate"            ? validate
                    : command == "validate-settings" ? validate_settings
                                                     : nullptr;
  if (handler == nullptr) {
    WriteAll(2, "usage: policy.wasm validate|validate-settings\n");
    return 1;
  }
  std::string input = ReadStdin();
  auto result = handler(input);
  if (!result) {
    WriteAll(2, result.error());
    return 1;
  }
  WriteAll(1, *result);
  return 0;
}

extern "C" {
__attribute__((import_module("host"), import_name("call"))) std::int32_t kw_wasi_host_call(
    const char* binding, std::size_t binding_len, const char* ns, std::size_t ns_len,
    const char* op, std::size_t op_len, const char* payload, std::size_t payload_len);
}

// Calls a host capability: its answer, or the host's error text.
inline std::expected<std::string, std::string> HostCall(std::string_view binding,
                                                        std::string_view ns, std::string_view op,
                                                        std::string_view payload) {
  std::int32_t rc = kw_wasi_host_call(binding.data(), binding.size(), ns.data(), ns.size(),
                                      op.data(), op.size(), payload.data(), payload.size());
  std::string answer = ReadStdin();
  if (rc != 0) return std::unexpected(std::move(answer));
  return answer;
}

}  // namespace kw_policies::wasi

#endif  // POLICIES_COMMON_WASI_COMMAND_H_
