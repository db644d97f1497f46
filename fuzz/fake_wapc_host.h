// A waPC host for natively built fuzzers of guest code (the policy SDK, the catalogue's shared
// headers): every host call succeeds and answers `fake_wapc_host::answer`, which the fuzzer sets
// to its input. Include once per fuzzer binary (it defines the waPC imports).
#pragma once

#include <cstddef>
#include <string>

namespace fake_wapc_host {
inline std::string answer;
}  // namespace fake_wapc_host

extern "C" {
void kubewarden_wapc_guest_request(char*, char*) {}
void kubewarden_wapc_guest_response(const char*, std::size_t) {}
void kubewarden_wapc_guest_error(const char*, std::size_t) {}
int kubewarden_wapc_host_call(const char*, std::size_t, const char*, std::size_t, const char*,
                              std::size_t, const char*, std::size_t) {
  return 1;
}
std::size_t kubewarden_wapc_host_response_len() { return fake_wapc_host::answer.size(); }
void kubewarden_wapc_host_response(char* ptr) {
  fake_wapc_host::answer.copy(ptr, fake_wapc_host::answer.size());
}
std::size_t kubewarden_wapc_host_error_len() { return 0; }
void kubewarden_wapc_host_error(char*) {}
void kubewarden_wapc_console_log(const char*, std::size_t) {}
}
