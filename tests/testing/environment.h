// Test helper: an environment of a few variables, for code that reads its settings through an
// injected lookup (OTEL_* for the OTLP exporters) rather than the process's own.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace kw::testing {

inline std::function<std::optional<std::string>(const std::string&)> FakeEnvironment(
    std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace kw::testing
