// kubewarden/regex.h: Go's regular expressions (RE2 syntax, package regexp) for policies whose
// upstream is written in Go (policies.md §1.7: safe-labels, safe-annotations; kyverno-dsl).
//
//   auto re = kubewarden::regex::Regexp::Compile("team-([a-z]+)$");
//   if (!re) return re.error();  // e.g. "error parsing regexp: missing closing ]: `[a-z+$`"
//   re->Match("my-team-blue");   // true: some substring matches (Go's MatchString)
//   re->Find("my-team-blue");    // {3, 12}: the leftmost-first match (Go's FindStringIndex)
//   re->FindSubmatchIndex("my-team-blue");          // {3, 12, 8, 12}: with the groups
//   re->ReplaceAllString("my-team-blue", "<$1>");  // "my-<blue>": Go's $1 ${1} $name $$
//
// Groups cost nothing until asked for (Match and Find do not track them). Searcher runs Go's
// FindAll iteration (Next) and gives a match's groups on demand (SubmatchIndex); Expand,
// SubexpNames, SubexpIndex and ReplaceAllLiteralString are Go's too.
//
// The engine is lib/goregex (goregex/regex.h, whose top comment gives the syntax, semantics,
// error texts, limits and costs), which the host's OPA builtins share; this header gives it
// the SDK's namespace. Policies compile with `-I lib/goregex/include` besides
// `-I sdk/cpp/include` (cmake/kw_wasm_policy.cmake passes both).
#ifndef KUBEWARDEN_REGEX_H_
#define KUBEWARDEN_REGEX_H_

#include "goregex/regex.h"

namespace kubewarden::regex {

// A compiled Go regular expression: Compile, Match, Find, FindSubmatchIndex, Expand,
// ReplaceAllString, ReplaceAllLiteralString, Searcher (see goregex/regex.h).
using goregex::Regexp;

}  // namespace kubewarden::regex

#endif  // KUBEWARDEN_REGEX_H_
