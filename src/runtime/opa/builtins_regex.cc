// regex.split, regex.find_n and regex.template_match: Go's regexp package over the
// Go-compatible engine the guest SDK uses too (lib/goregex, goregex/regex.h).
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

namespace kw::runtime::opa::internal {
namespace {

using Program = goregex::Regexp;

// Caps the matches one call may return: each costs a search of up to the whole text, so an
// unbounded n over a long text of empty matches would be quadratic.
constexpr std::size_t kMaxMatches = 100'000;
constexpr std::size_t kMaxSearchWork = 200'000'000;

// Go's allMatches: up to `limit` non-overlapping matches, an empty match right after the
// previous match skipped.
Result<std::vector<std::pair<std::size_t, std::size_t>>> FindAll(std::string_view builtin,
                                                                 const Program& program,
                                                                 std::string_view text,
                                                                 std::size_t limit) {
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  std::optional<std::size_t> prev_end;
  // Each search costs at least the program's size (clearing its marks): bound their product
  // so that a large program with many empty matches cannot hold the thread for long. Host
  // code is not interrupted by the policy's deadline.
  std::size_t searches = 0;
  Program::Searcher searcher(program, text);
  for (std::size_t pos = 0; matches.size() < limit && pos <= text.size();) {
    if (++searches * program.program_size() > kMaxSearchWork) {
      return std::unexpected(BuiltinError(builtin, "too many matches for this pattern"));
    }
    auto m = searcher.Find(pos);
    if (!m) break;
    bool accept = true;
    if (m->second == pos) {
      if (prev_end && m->first == *prev_end) accept = false;
      std::size_t width = 1;
      if (pos < text.size()) width = DecodeUtf8OrReplacement(text.substr(pos)).length;
      pos += width;
    } else {
      pos = m->second;
    }
    prev_end = m->second;
    if (accept) matches.push_back(*m);
  }
  return matches;
}

Result<Program> CompileFor(std::string_view builtin, std::string_view pattern) {
  auto program = Program::Compile(pattern);
  if (!program) return std::unexpected(BuiltinError(builtin, program.error()));
  return std::move(*program);
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

}  // namespace

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
  for (const auto& [first, last] : matches) {
    end = first;
    if (last != 0) out.emplace_back(json::string(text.substr(beg, end - beg)));
    beg = last;
  }
  if (end != text.size()) out.emplace_back(json::string(text.substr(beg)));
  return json::value(std::move(out));
}

Result<json::value> RegexFindN(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "regex.find_n";
  KW_TRY(CheckArity(kName, args, 3));
  KW_ASSIGN_OR_RETURN(std::string_view pattern, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::int64_t n, IntOperand(kName, args, 3));
  KW_ASSIGN_OR_RETURN(Program program, CompileFor(kName, pattern));
  // Go: a negative n means every match; there are at most len(text) + 1 of them.
  std::size_t limit = text.size() + 1;
  if (n >= 0) limit = std::min(limit, static_cast<std::size_t>(n));
  KW_ASSIGN_OR_RETURN(auto matches, FindAll(kName, program, text, std::min(limit, kMaxMatches + 1)));
  if (matches.size() > kMaxMatches) {
    return std::unexpected(
        BuiltinError(kName, "more than " + std::to_string(kMaxMatches) + " matches"));
  }
  json::array out;
  for (const auto& [first, last] : matches) {
    out.emplace_back(json::string(text.substr(first, last - first)));
  }
  return json::value(std::move(out));
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

}  // namespace kw::runtime::opa::internal
