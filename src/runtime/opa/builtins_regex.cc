// The regex.* builtins OPA's wasm leaves to the host: regex.split, regex.find_n,
// regex.find_all_string_submatch_n, regex.replace and regex.template_match run Go's regexp
// package over the Go-compatible engine the guest SDK uses too (lib/goregex,
// goregex/regex.h); regex.globs_match runs the glob intersection (glob_intersection.h).
//
// Go's FindAll and Split search again from the end of each match: goregex's Regexp::Searcher
// does that, O(len(text) × program size) per search.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "goregex/regex.h"
#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/glob_intersection.h"

namespace kw::runtime::opa::internal {
namespace {

using Program = goregex::Regexp;

// Caps the matches one call may return: each costs a search of up to the whole text, so an
// unbounded n over a long text of empty matches would be quadratic.
constexpr std::size_t kMaxMatches = 100'000;
constexpr std::size_t kMaxSearchWork = 200'000'000;

// Go's allMatches: up to `limit` matches as Searcher::Next delivers them, each with its
// groups when `groups` (Go's submatch index slices), else its span alone.
Result<std::vector<Program::Submatches>> FindAll(std::string_view builtin, const Program& program,
                                                 std::string_view text, std::size_t limit,
                                                 bool groups = false) {
  std::vector<Program::Submatches> matches;
  // Each search costs at least the program's size (clearing its marks): bound their product
  // so that a large program with many empty matches cannot hold the thread for long. Host
  // code is not interrupted by the policy's deadline. Next() may search twice for one match
  // (an empty match right after another is skipped): count those too.
  std::size_t searches = 0;
  Program::Searcher searcher(program, text);
  while (matches.size() < limit) {
    searches += 2;
    if (searches * program.program_size() > kMaxSearchWork) {
      return std::unexpected(BuiltinError(builtin, "too many matches for this pattern"));
    }
    auto m = searcher.Next();
    if (!m) break;
    if (groups) {
      matches.push_back(searcher.SubmatchIndex());
    } else {
      matches.push_back({static_cast<std::ptrdiff_t>(m->first),
                         static_cast<std::ptrdiff_t>(m->second)});
    }
  }
  return matches;
}

Result<Program> CompileFor(std::string_view builtin, std::string_view pattern) {
  auto program = Program::Compile(pattern);
  if (!program) return std::unexpected(BuiltinError(builtin, program.error()));
  return std::move(*program);
}

// The operands (pattern, text, n) of regex.find_n and regex.find_all_string_submatch_n, and
// Go's FindAll(text, n) of them: a negative n means every match (at most len(text) + 1).
struct FindAllCall {
  std::string_view text;
  std::vector<Program::Submatches> matches;
};
Result<FindAllCall> FindAllN(std::string_view builtin, std::span<const json::value> args,
                             bool groups) {
  KW_TRY(CheckArity(builtin, args, 3));
  KW_ASSIGN_OR_RETURN(std::string_view pattern, StringOperand(builtin, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(builtin, args, 2));
  KW_ASSIGN_OR_RETURN(std::int64_t n, IntOperand(builtin, args, 3));
  KW_ASSIGN_OR_RETURN(Program program, CompileFor(builtin, pattern));
  std::size_t limit = text.size() + 1;
  if (n >= 0) limit = std::min(limit, static_cast<std::size_t>(n));
  KW_ASSIGN_OR_RETURN(auto matches,
                      FindAll(builtin, program, text, std::min(limit, kMaxMatches + 1), groups));
  if (matches.size() > kMaxMatches) {
    return std::unexpected(
        BuiltinError(builtin, "more than " + std::to_string(kMaxMatches) + " matches"));
  }
  return FindAllCall{text, std::move(matches)};
}

std::string_view Group(std::string_view text, const Program::Submatches& m, std::size_t i) {
  if (m[2 * i] < 0) return {};
  return text.substr(static_cast<std::size_t>(m[2 * i]),
                     static_cast<std::size_t>(m[2 * i + 1] - m[2 * i]));
}

// Go's regexp.QuoteMeta.
std::string QuoteMeta(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<json::value> RegexSplit(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "regex.split";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view pattern, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(Program program, CompileFor(kName, pattern));
  json::array out;
  // Go's Regexp.Split(s, -1).
  if (!pattern.empty() && text.empty()) {
    out.emplace_back(json::string());
    return json::value(std::move(out));
  }
  KW_ASSIGN_OR_RETURN(auto matches, FindAll(kName, program, text, text.size() + 1));
  std::size_t beg = 0, end = 0;
  for (const Program::Submatches& m : matches) {
    end = static_cast<std::size_t>(m[0]);
    if (m[1] != 0) out.emplace_back(json::string(text.substr(beg, end - beg)));
    beg = static_cast<std::size_t>(m[1]);
  }
  if (end != text.size()) out.emplace_back(json::string(text.substr(beg)));
  return json::value(std::move(out));
}

Result<json::value> RegexFindN(const BuiltinContext&, std::span<const json::value> args) {
  KW_ASSIGN_OR_RETURN(FindAllCall call, FindAllN("regex.find_n", args, false));
  json::array out;
  for (const Program::Submatches& m : call.matches) {
    out.emplace_back(json::string(Group(call.text, m, 0)));
  }
  return json::value(std::move(out));
}

// Go's FindAllStringSubmatch: per match, the match and its groups ("" for a group that took
// no part).
Result<json::value> RegexFindAllStringSubmatchN(const BuiltinContext&,
                                                std::span<const json::value> args) {
  KW_ASSIGN_OR_RETURN(FindAllCall call, FindAllN("regex.find_all_string_submatch_n", args, true));
  json::array out;
  for (const Program::Submatches& m : call.matches) {
    json::array groups;
    for (std::size_t i = 0; 2 * i < m.size(); ++i) {
      groups.emplace_back(json::string(Group(call.text, m, i)));
    }
    out.emplace_back(std::move(groups));
  }
  return json::value(std::move(out));
}

// Go's ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` expand to the groups, `$$` to `$`.
Result<json::value> RegexReplace(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "regex.replace";
  KW_TRY(CheckArity(kName, args, 3));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view pattern, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view replacement, StringOperand(kName, args, 3));
  KW_ASSIGN_OR_RETURN(Program program, CompileFor(kName, pattern));
  // Go's ReplaceAllString over FindAll's matches, which bounds the searches.
  const bool expand = replacement.find('$') != std::string_view::npos;
  KW_ASSIGN_OR_RETURN(auto matches, FindAll(kName, program, text, text.size() + 1, expand));
  std::string out;
  std::size_t copied = 0;
  for (const Program::Submatches& m : matches) {
    out.append(text.substr(copied, static_cast<std::size_t>(m[0]) - copied));
    if (expand) {
      program.Expand(out, replacement, text, m);
    } else {
      out.append(replacement);
    }
    copied = static_cast<std::size_t>(m[1]);
  }
  out.append(text.substr(copied));
  return json::value(json::string(std::move(out)));
}

// Whether two glob-style patterns have a string in common (OPA's glob-intersection package).
Result<json::value> RegexGlobsMatch(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "regex.globs_match";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view first, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view second, StringOperand(kName, args, 2));
  auto intersect = GlobsIntersect(first, second);
  if (!intersect) return std::unexpected(BuiltinError(kName, intersect.error()));
  return json::value(*intersect);
}

Result<json::value> RegexTemplateMatch(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "regex.template_match";
  KW_TRY(CheckArity(kName, args, 4));
  KW_ASSIGN_OR_RETURN(std::string_view tpl, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view value, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view delim_start, StringOperand(kName, args, 3));
  KW_ASSIGN_OR_RETURN(std::string_view delim_end, StringOperand(kName, args, 4));
  // OPA counts runes, then uses the delimiter's low byte (so only ASCII ones work as meant).
  for (auto [which, delim] : {std::pair{"start", delim_start}, std::pair{"end", delim_end}}) {
    if (std::size_t count = CountRunes(delim); count != 1) {
      return std::unexpected(BuiltinError(kName, std::string(which) +
                                                     " delimiter has to be exactly one character "
                                                     "long but is " +
                                                     std::to_string(count) + " long"));
    }
  }
  auto low_byte = [](std::string_view s) {
    return static_cast<char>(DecodeUtf8OrReplacement(s).code_point & 0xFF);
  };
  const char open = low_byte(delim_start), close = low_byte(delim_end);
  // OPA's copy of gorilla/mux's template compiler: first-level delimited parts are regular
  // expressions, the text between them literal.
  std::vector<std::size_t> idxs;
  int level = 0;
  std::size_t idx = 0;
  for (std::size_t i = 0; i < tpl.size(); ++i) {
    if (tpl[i] == open) {
      if (++level == 1) idx = i;
    } else if (tpl[i] == close) {
      if (--level == 0) {
        idxs.push_back(idx);
        idxs.push_back(i + 1);
      } else if (level < 0) {
        break;
      }
    }
  }
  if (level != 0) {
    return std::unexpected(BuiltinError(kName, "unbalanced braces in " + GoQuote(tpl)));
  }
  std::string pattern = "^";
  std::size_t end = 0;
  for (std::size_t i = 0; i < idxs.size(); i += 2) {
    std::string_view raw = tpl.substr(end, idxs[i] - end);
    end = idxs[i + 1];
    std::string_view part = tpl.substr(idxs[i] + 1, end - 1 - (idxs[i] + 1));
    pattern += QuoteMeta(raw);
    pattern += "(";
    pattern += part;
    pattern += ")";
    // Go compiles each part alone first, so a bad part is reported as itself.
    KW_TRY(CompileFor(kName, "^" + std::string(part) + "$"));
  }
  pattern += QuoteMeta(tpl.substr(end));
  pattern += "$";
  KW_ASSIGN_OR_RETURN(Program program, CompileFor(kName, pattern));
  return json::value(program.Find(value).has_value());
}

constexpr BuiltinEntry kBuiltins[] = {
    {"regex.find_all_string_submatch_n", RegexFindAllStringSubmatchN},
    {"regex.find_n", RegexFindN},
    {"regex.globs_match", RegexGlobsMatch},
    {"regex.replace", RegexReplace},
    {"regex.split", RegexSplit},
    {"regex.template_match", RegexTemplateMatch},
};

}  // namespace

std::span<const BuiltinEntry> RegexBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
