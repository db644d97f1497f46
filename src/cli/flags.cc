#include "cli/flags.h"

#include <charconv>
#include <cmath>
#include <iostream>
#include <type_traits>

#include <fmt/format.h>

namespace kw::cli {
namespace {

// Bounds as a user writes them: 1000000, not 1e+06 nor 1000000.000000.
std::string Readable(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

template <typename T>
std::optional<T> ParseNumber(const std::string& text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) return std::nullopt;
  }
  return value;
}

std::string NotAllowed(const std::string& input, std::string_view expected,
                       std::string_view note = "") {
  return fmt::format("'{}' is not allowed: expected {}{}{}", input, expected,
                     note.empty() ? "" : "; ", note);
}

// A number check: `expected` says what passes in the error, `range` in --help (after the type:
// "FLOAT:0 to 1000000"); `fits` decides.
template <typename T, typename Fits>
CLI::Validator NumberCheck(std::string expected, std::string range, std::string note, Fits fits) {
  return CLI::Validator(
      [expected, note, fits](std::string& input) -> std::string {
        std::optional<T> value = ParseNumber<T>(input);
        return value && fits(*value) ? std::string() : NotAllowed(input, expected, note);
      },
      std::move(range));
}

constexpr std::string_view kChoicesName = "ONE-OF";

}  // namespace

CLI::Validator NumberIn(double min, double max, std::string note) {
  std::string range = fmt::format("{} to {}", Readable(min), Readable(max));
  return NumberCheck<double>("a number from " + range, range, std::move(note),
                             [min, max](double v) { return v >= min && v <= max; });
}

CLI::Validator PositiveNumberUpTo(double max, std::string note) {
  return NumberCheck<double>(
      fmt::format("a number greater than 0 and at most {}", Readable(max)),
      fmt::format("over 0 to {}", Readable(max)), std::move(note),
      [max](double v) { return v > 0 && v <= max; });
}

CLI::Validator WholeNumberIn(long long min, long long max, std::string note) {
  std::string range = fmt::format("{} to {}", min, max);
  return NumberCheck<long long>("a whole number from " + range, range, std::move(note),
                                [min, max](long long v) { return v >= min && v <= max; });
}

// The values travel in the validator's description ("{a,b,c}", CLI11's own notation for sets,
// shown in --help): ChoicesOf reads them back from there, so the option's definition is the one
// place they are written.
CLI::Validator OneOf(std::vector<std::string> values) {
  std::string listed = fmt::format("{}", fmt::join(values, ", "));
  std::string description = fmt::format("{{{}}}", fmt::join(values, ","));
  return CLI::Validator(
      [values, listed](std::string& input) -> std::string {
        for (const auto& v : values) {
          if (input == v) return {};
        }
        return NotAllowed(input, "one of " + listed);
      },
      description, std::string(kChoicesName));
}

std::vector<std::string> ChoicesOf(const CLI::Option& option) {
  // get_validator is not const in CLI11, though it only looks.
  auto& mutable_option = const_cast<CLI::Option&>(option);
  CLI::Validator* validator = nullptr;
  try {
    validator = mutable_option.get_validator(std::string(kChoicesName));
  } catch (const CLI::OptionNotFound&) {
    return {};
  }
  std::string description = validator->get_description();
  if (description.size() < 2) return {};
  std::vector<std::string> values;
  std::string_view rest(description);
  rest = rest.substr(1, rest.size() - 2);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    values.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return values;
}

namespace {

// "kwctl scaffold": the command line words naming `app`.
std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* parent = app.get_parent(); parent != nullptr; parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

// The usage error of a command that needs a subcommand and got none, or a word that names none.
std::optional<std::string> SubcommandError(const CLI::App& app) {
  const CLI::App* deepest = &app;
  while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
  if (deepest->get_require_subcommand_min() == 0) return std::nullopt;
  std::vector<std::string> names;
  for (const CLI::App* sub : deepest->get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  std::string path = CommandPath(*deepest);
  std::vector<std::string> rest = deepest->remaining();
  std::string what;
  if (rest.empty()) {
    what = fmt::format("`{}` needs a subcommand", path);
  } else if (rest.front().starts_with("-")) {
    what = fmt::format("unknown option '{}' for `{}`, which needs a subcommand", rest.front(),
                       path);
  } else {
    what = fmt::format("unknown subcommand '{}' for `{}`", rest.front(), path);
  }
  return fmt::format("{}: expected one of {}\nRun `{} --help` for more information.\n", what,
                     fmt::join(names, ", "), path);
}

}  // namespace

std::optional<int> Parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (argc <= 1 && app.get_require_subcommand_min() > 0) {
      // Nothing asked: the help says what there is to ask (as upstream's kwctl does).
      std::cerr << app.help();
      return 2;
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      if (auto message = SubcommandError(app)) {
        std::cerr << *message;
        return 2;
      }
    }
    int code = app.exit(e, std::cout, std::cerr);
    return code == 0 ? 0 : 2;
  }
}

}  // namespace kw::cli
