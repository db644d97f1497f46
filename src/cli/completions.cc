#include "cli/completions.h"

#include <functional>

#include <fmt/format.h>

#include "cli/flags.h"

namespace kw::cli {
namespace {

// What the scripts need to know of one option.
struct Flag {
  std::vector<std::string> shorts;  // without the dash: "r"
  std::vector<std::string> longs;   // without the dashes: "request-path"
  std::string description;
  bool takes_value = false;
  bool repeatable = false;
  std::vector<std::string> choices;  // of a OneOf option

  // "-r", "--request-path": every spelling.
  std::vector<std::string> Spellings() const {
    std::vector<std::string> out;
    for (const auto& s : shorts) out.push_back("-" + s);
    for (const auto& l : longs) out.push_back("--" + l);
    return out;
  }
};

// One command of the tree: the binary itself, or a subcommand at any depth.
struct Command {
  std::vector<std::string> path;  // {"kwctl", "scaffold", "manifest"}
  std::string description;
  std::vector<Flag> flags;
  std::vector<Command> subcommands;
  bool takes_positionals = false;

  std::string Joined(std::string_view separator) const {
    return fmt::format("{}", fmt::join(path, separator));
  }
  std::vector<std::string> SubcommandNames() const {
    std::vector<std::string> out;
    for (const auto& sub : subcommands) out.push_back(sub.path.back());
    return out;
  }
};

Command Describe(const CLI::App& app, std::vector<std::string> path) {
  Command command;
  command.path = std::move(path);
  command.description = app.get_description();
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;  // hidden
    if (option->get_positional() && !option->nonpositional()) {
      command.takes_positionals = true;
      continue;
    }
    Flag flag;
    flag.shorts = option->get_snames();
    flag.longs = option->get_lnames();
    flag.description = option->get_description();
    flag.takes_value = option->get_items_expected_max() > 0;  // 0 for flags
    flag.repeatable = flag.takes_value && option->get_items_expected_max() > 1;
    flag.choices = ChoicesOf(*option);
    command.flags.push_back(std::move(flag));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    std::vector<std::string> sub_path = command.path;
    sub_path.push_back(sub->get_name());
    command.subcommands.push_back(Describe(*sub, std::move(sub_path)));
  }
  return command;
}

void ForEachCommand(const Command& command, const std::function<void(const Command&)>& visit) {
  visit(command);
  for (const auto& sub : command.subcommands) ForEachCommand(sub, visit);
}

// 'text' for bash and zsh: nothing inside single quotes is special but the quote itself.
std::string SingleQuoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// 'text' for fish, whose single quotes take \' and \\ as escapes.
std::string FishQuoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string Words(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, " "));
}

// bash: one function walks the words before the cursor to find the (sub)command being typed,
// stepping over the values of its options, then completes from that command's lists.
std::string BashScript(const Command& root) {
  const std::string function = "_" + root.path.front();
  std::string walk;         // case arms: entering a subcommand, or skipping an option's value
  std::string values;       // case arms: completing the value of the option before the cursor
  std::string per_command;  // case arms: each command's subcommands, options and positionals
  ForEachCommand(root, [&](const Command& command) {
    const std::string here = command.Joined(" ");
    for (const auto& sub : command.subcommands) {
      walk += fmt::format("      {}) command={} ;;\n", SingleQuoted(here + "/" + sub.path.back()),
                          SingleQuoted(sub.Joined(" ")));
    }
    std::vector<std::string> option_words;
    for (const Flag& flag : command.flags) {
      std::vector<std::string> spellings = flag.Spellings();
      option_words.insert(option_words.end(), spellings.begin(), spellings.end());
      if (!flag.takes_value) continue;
      std::vector<std::string> patterns;
      for (const auto& s : spellings) patterns.push_back(SingleQuoted(here + "/" + s));
      std::string pattern = fmt::format("{}", fmt::join(patterns, "|"));
      walk += fmt::format("      {}) skip=1 ;;\n", pattern);
      values += flag.choices.empty()
                    ? fmt::format("    {}) _{}_files; return ;;\n", pattern, root.path.front())
                    : fmt::format("    {}) COMPREPLY=($(compgen -W {} -- \"$cur\")); return ;;\n",
                                  pattern, SingleQuoted(Words(flag.choices)));
    }
    per_command += fmt::format(
        "    {}) subcommands={}; options={}; positionals={} ;;\n", SingleQuoted(here),
        SingleQuoted(Words(command.SubcommandNames())), SingleQuoted(Words(option_words)),
        command.takes_positionals ? 1 : 0);
  });
  return fmt::format(
      R"(# bash completion for {root}, generated by `{root} completions --shell bash`.
# Load it with `source <({root} completions --shell bash)`, or save it in bash-completion's
# completions directory as `{root}`.

{function}_files() {{
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$cur"))
}}

{function}() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local command={root_quoted} word skip=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${{COMP_WORDS[i]}}
    if ((skip)); then
      skip=0
      continue
    fi
    case "$command/$word" in
{walk}    esac
  done
  case "$command/$prev" in
{values}  esac
  local subcommands options positionals
  case "$command" in
{per_command}  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif [[ -n $subcommands ]]; then
    COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
  elif ((positionals)); then
    {function}_files
  else
    COMPREPLY=()
  fi
}}

complete -F {function} {root}
)",
      fmt::arg("root", root.path.front()), fmt::arg("root_quoted", SingleQuoted(root.path.front())),
      fmt::arg("function", function), fmt::arg("walk", walk), fmt::arg("values", values),
      fmt::arg("per_command", per_command));
}

// An _arguments explanation: the text between [ and ], where brackets and backslashes are
// escaped (the whole spec is single-quoted by the caller).
std::string ZshExplanation(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// A _describe entry, "name:description" (a colon in the name would end it).
std::string ZshDescribed(std::string_view name, std::string_view description) {
  std::string out;
  for (char c : name) {
    if (c == ':') out.push_back('\\');
    out.push_back(c);
  }
  return SingleQuoted(out + ":" + std::string(description));
}

std::string ZshFunction(const Command& command) { return "_" + command.Joined("__"); }

// One _arguments spec per option: '(-r --request-path)'{-r+,--request-path=}'[...]:value:_files'.
std::string ZshOptionSpec(const Flag& flag) {
  std::vector<std::string> names;
  for (const auto& s : flag.shorts) names.push_back("-" + s + (flag.takes_value ? "+" : ""));
  for (const auto& l : flag.longs) names.push_back("--" + l + (flag.takes_value ? "=" : ""));
  std::string suffix = "[" + ZshExplanation(flag.description) + "]";
  if (flag.takes_value) {
    std::string value = flag.longs.empty() ? flag.shorts.front() : flag.longs.front();
    suffix += ":" + value + ":" +
              (flag.choices.empty() ? "_files" : "(" + Words(flag.choices) + ")");
  }
  std::string exclusions;
  if (flag.repeatable) {
    exclusions = "*";
  } else if (names.size() > 1) {
    exclusions = "(" + Words(flag.Spellings()) + ")";
  }
  if (names.size() == 1) return SingleQuoted(exclusions + names.front() + suffix);
  return SingleQuoted(exclusions) + "{" + fmt::format("{}", fmt::join(names, ",")) + "}" +
         SingleQuoted(suffix);
}

// zsh: a function per command; one with subcommands lets _arguments find the subcommand word,
// then hands the rest of the line to that subcommand's function.
std::string ZshScript(const Command& root) {
  std::string functions;
  ForEachCommand(root, [&](const Command& command) {
    std::string specs;
    for (const Flag& flag : command.flags) specs += "    " + ZshOptionSpec(flag) + " \\\n";
    std::string body;
    if (command.subcommands.empty()) {
      if (command.takes_positionals) specs += "    '*:file:_files' \\\n";
      body = fmt::format("  _arguments -s \\\n{}    && return 0\n", specs);
    } else {
      std::string entries;
      std::string dispatch;
      for (const auto& sub : command.subcommands) {
        entries += "        " + ZshDescribed(sub.path.back(), sub.description) + "\n";
        dispatch += fmt::format("        {}) {} ;;\n", sub.path.back(), ZshFunction(sub));
      }
      body = fmt::format(
          "  local context state state_descr line\n"
          "  typeset -A opt_args\n"
          "  _arguments -C -s \\\n{specs}"
          "    '1: :->subcommand' \\\n"
          "    '*:: :->arguments' \\\n"
          "    && return 0\n"
          "  case $state in\n"
          "    subcommand)\n"
          "      local -a subcommands\n"
          "      subcommands=(\n{entries}"
          "      )\n"
          "      _describe -t commands {title} subcommands\n"
          "      ;;\n"
          "    arguments)\n"
          "      case $words[1] in\n{dispatch}"
          "      esac\n"
          "      ;;\n"
          "  esac\n",
          fmt::arg("specs", specs), fmt::arg("entries", entries),
          fmt::arg("title", SingleQuoted(command.Joined(" ") + " subcommand")),
          fmt::arg("dispatch", dispatch));
    }
    functions += fmt::format("{}() {{\n{}}}\n\n", ZshFunction(command), body);
  });
  const std::string& name = root.path.front();
  return fmt::format(
      R"(#compdef {name}
# zsh completion for {name}, generated by `{name} completions --shell zsh`.
# Save it as `_{name}` in a directory of $fpath, or source it after compinit.

{functions}if [ "$funcstack[1]" = "_{name}" ]; then
  _{name} "$@"
else
  compdef _{name} {name}
fi
)",
      fmt::arg("name", name), fmt::arg("functions", functions));
}

// fish: one `complete` line per subcommand name and per option, each under a condition saying
// which command is being typed (the subcommand words seen so far).
std::string FishScript(const Command& root) {
  const std::string& name = root.path.front();
  std::string lines;
  ForEachCommand(root, [&](const Command& command) {
    // Typing `command` itself: its words are on the line and none of its subcommands yet.
    std::vector<std::string> conditions;
    if (command.path.size() == 1) {
      conditions.push_back("__fish_use_subcommand");
    } else {
      for (std::size_t i = 1; i < command.path.size(); ++i) {
        conditions.push_back("__fish_seen_subcommand_from " + command.path[i]);
      }
      if (!command.subcommands.empty()) {
        conditions.push_back("not __fish_seen_subcommand_from " +
                             Words(command.SubcommandNames()));
      }
    }
    const std::string condition = FishQuoted(fmt::format("{}", fmt::join(conditions, "; and ")));
    const std::string prefix = fmt::format("complete -c {} -n {}", name, condition);
    for (const auto& sub : command.subcommands) {
      lines += fmt::format("{} -f -a {} -d {}\n", prefix, sub.path.back(),
                           FishQuoted(sub.description));
    }
    for (const Flag& flag : command.flags) {
      std::string line = prefix;
      for (const auto& s : flag.shorts) line += " -s " + s;
      for (const auto& l : flag.longs) line += " -l " + l;
      if (flag.takes_value) {
        line += flag.choices.empty() ? " -r -F" : " -r -f -a " + FishQuoted(Words(flag.choices));
      }
      lines += line + " -d " + FishQuoted(flag.description) + "\n";
    }
    if (command.takes_positionals && command.subcommands.empty()) lines += prefix + " -F\n";
  });
  return fmt::format(
      R"(# fish completion for {name}, generated by `{name} completions --shell fish`.
# Save it as ~/.config/fish/completions/{name}.fish, or source it.

# Only where a command takes files do file names come up.
complete -c {name} -f
{lines})",
      fmt::arg("name", name), fmt::arg("lines", lines));
}

}  // namespace

const std::vector<std::string>& CompletionShells() {
  static const std::vector<std::string> shells = {"bash", "zsh", "fish"};
  return shells;
}

Result<std::string> CompletionScript(const CLI::App& app, std::string_view shell) {
  Command root = Describe(app, {app.get_name()});
  if (shell == "bash") return BashScript(root);
  if (shell == "zsh") return ZshScript(root);
  if (shell == "fish") return FishScript(root);
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("no completion script for the shell '{}': expected one of {}", shell,
                          fmt::join(CompletionShells(), ", ")));
}

}  // namespace kw::cli
