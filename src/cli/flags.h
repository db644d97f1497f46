// What kwctl and policy-server share in front of their flags (CLI11): numeric checks whose errors
// read as sentences, choices that the completion scripts can list, and parsing that reports an
// unknown subcommand as such.
//
// CLI11's own range checks print the bounds with std::to_string, so a positive-number check says
// "Value 0 not in range 0.000000 to 1797693134862315708..." (309 digits). These say, for example,
// "--policy-timeout: 0 is not allowed: expected a whole number from 1 to 1000000".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kw::cli {

// The largest timeout a flag takes, in seconds (about 11.5 days): longer than any evaluation or
// benchmark needs, and far from overflowing when counted in milliseconds.
inline constexpr double kMaxTimeoutSeconds = 1'000'000;

// A number (decimal, finite) from `min` to `max`, both included. `note`, when given, ends the
// error message (what to do instead, say).
CLI::Validator NumberIn(double min, double max, std::string note = "");
// A number greater than 0 and at most `max`.
CLI::Validator PositiveNumberUpTo(double max, std::string note = "");
// An integer from `min` to `max`, both included.
CLI::Validator WholeNumberIn(long long min, long long max, std::string note = "");

// CLI11 drops the name of an option in the hidden group ("") from the errors of its checks, so
// an option with one of these checks should stay visible.

// One of `values`, exactly. Completion scripts offer them (ChoicesOf).
CLI::Validator OneOf(std::vector<std::string> values);
// The values an option accepts when it was given a OneOf check; empty otherwise.
std::vector<std::string> ChoicesOf(const CLI::Option& option);

// Parses `argv` into `app`. Returns nullopt when the command should run; otherwise the process
// exit code, after printing what the parse had to say: help or the version (exit 0), or a usage
// error on stderr (exit 2). A word where a subcommand is expected that names none is reported
// as an unknown subcommand, with the list of valid ones (CLI11 would only say "A subcommand is
// required").
std::optional<int> Parse(CLI::App& app, int argc, const char* const* argv);

}  // namespace kw::cli
