// Shell completion scripts for a CLI11 command line (`kwctl completions --shell <shell>`).
//
// The scripts are generated from the CLI11 app itself (its subcommand tree, each command's
// options, whether they take a value, the values of OneOf options, whether it has positional
// arguments), so they list exactly what the binary parses and cannot drift from it. They are
// static: completing never runs the binary. What they complete:
//   - subcommand names where a subcommand is expected, at any depth;
//   - a command's options (long and short) after `-`;
//   - the values of OneOf options; file names for other options that take a value and for
//     positional arguments.
// Options in the hidden group ("") are left out, as --help leaves them out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"

namespace kw::cli {

// The shells there are scripts for: bash, zsh, fish.
const std::vector<std::string>& CompletionShells();

// The completion script of `app` for `shell`; kInvalidArgument for a shell not in
// CompletionShells(). bash: `source <(kwctl completions -s bash)` or a file in
// bash-completion's completions directory. zsh: a file `_kwctl` in $fpath, or sourced after
// compinit. fish: a file `kwctl.fish` in ~/.config/fish/completions, or sourced.
Result<std::string> CompletionScript(const CLI::App& app, std::string_view shell);

}  // namespace kw::cli
