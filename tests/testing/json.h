// Test helpers: JSON literals in tests, JSON answers whose exact text depends on the machine, and
// the settings of test_policy.wasm.
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "base/json.h"

namespace kw::testing {

// Parses `text`, failing the current test (and returning null) when it is not JSON.
inline json::value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::value();
}

// Whether `text` is net/v1/dns_lookup_host's answer for localhost: {"ips": [...]}, not empty,
// with 127.0.0.1 and ::1 only (which of them, the machine's /etc/hosts says).
inline bool IsLocalhostLookup(std::string_view text) {
  auto v = ParseJson(text);
  const json::value* ips = v && v->is_object() && v->as_object().size() == 1
                               ? v->as_object().if_contains("ips")
                               : nullptr;
  if (ips == nullptr || !ips->is_array() || ips->as_array().empty()) return false;
  for (const json::value& ip : ips->as_array()) {
    if (!ip.is_string() || (ip.get_string() != "127.0.0.1" && ip.get_string() != "::1")) {
      return false;
    }
  }
  return true;
}

// test_policy.wasm's settings for one host call: it makes the call and answers with what it got
// (accepted with the answer as the message, or rejected with "host error: <the host's error>").
inline json::value TestPolicyHostCall(std::string_view ns, std::string_view operation,
                                      json::value payload) {
  return json::object{{"host_call", json::object{{"binding", "kubewarden"},
                                                 {"namespace", ns},
                                                 {"operation", operation},
                                                 {"payload", std::move(payload)}}}};
}

}  // namespace kw::testing
