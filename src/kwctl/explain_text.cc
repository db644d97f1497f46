#include "kwctl/explain_text.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/log_format.h"

namespace kw::kwctl {
namespace {

std::string Paint(std::string_view text, std::string_view verdict, bool color) {
  if (!color) return std::string(text);
  const char* code = verdict == "allowed" ? "32" : verdict == "rejected" ? "31" : "33";
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::string Quoted(std::string_view text) { return "\"" + cli::EscapeForText(text) + "\""; }

std::string Microseconds(std::int64_t us) { return fmt::format("{} µs", us); }

// "apps/v1 Deployment ns/name", or what of it the request has.
std::string About(const evaluator::Explanation& x) {
  if (x.raw) return "raw request";
  const auto& kind = x.identity.kind;
  std::string about = x.operation + " ";
  about += kind.group.empty() ? kind.version : kind.group + "/" + kind.version;
  about += " " + kind.name;
  if (!x.identity.subresource.empty()) about += "/" + x.identity.subresource;
  std::string name = x.ns && !x.ns->empty() ? *x.ns + "/" : "";
  name += x.identity.name;
  if (!name.empty()) about += " " + name;
  return cli::EscapeForText(about);
}

}  // namespace

std::string ExplanationText(const evaluator::Explanation& x, bool color) {
  std::string out;
  out += fmt::format("policy   {} ({}, {})\n", cli::EscapeForText(x.policy_id),
                     x.is_group ? "group" : "policy", x.mode);
  out += fmt::format("request  {} {}\n", cli::EscapeForText(x.uid), About(x));
  if (x.group) out += fmt::format("group    {}\n", cli::EscapeForText(x.group->expression));

  std::size_t width = 6;
  for (const auto& e : x.evaluations) {
    width = std::max(width, (e.member.empty() ? e.policy_id : e.member).size());
  }
  for (std::size_t i = 0; i < x.evaluations.size(); ++i) {
    const auto& e = x.evaluations[i];
    std::string name = cli::EscapeForText(e.member.empty() ? e.policy_id : e.member);
    std::string line = fmt::format("  {:>2}  {:<{}}  {}{}  {:>9}", i + 1, name, width,
                                   Paint(e.verdict, e.verdict, color),
                                   std::string(8 - std::min<std::size_t>(8, e.verdict.size()), ' '),
                                   Microseconds(e.duration_us));
    if (e.code) line += fmt::format("  code {}", *e.code);
    if (e.message) line += "  " + Quoted(*e.message);
    out += line + "\n";
    const std::string indent(6, ' ');
    for (const auto& c : e.host_calls) {
      out += fmt::format("{}host call  {} {}/{}  {}  {}", indent, cli::EscapeForText(c.binding),
                         cli::EscapeForText(c.ns), cli::EscapeForText(c.operation),
                         c.ok ? "ok" : "error", Microseconds(c.duration_us));
      if (!c.ok) out += "  " + Quoted(c.error);
      out += "\n";
    }
    for (const auto& l : e.logs) {
      out += fmt::format("{}log        {} {}\n", indent, cli::EscapeForText(l.level),
                         Quoted(l.message));
    }
    if (e.patch) out += fmt::format("{}patch      {}\n", indent, cli::EscapeForText(*e.patch));
    for (const auto& w : e.warnings) out += fmt::format("{}warning    {}\n", indent, Quoted(w));
    if (e.dropped_events > 0) {
      out += fmt::format("{}({} more host calls or logs not recorded)\n", indent, e.dropped_events);
    }
  }
  if (x.not_evaluated) out += "nothing evaluated: " + cli::EscapeForText(*x.not_evaluated) + "\n";
  if (x.group) {
    if (!x.group->skipped.empty()) {
      std::string skipped;
      for (const auto& s : x.group->skipped) skipped += (skipped.empty() ? "" : ", ") + s;
      out += "skipped  " + cli::EscapeForText(skipped) + "\n";
    }
    for (const auto& reason : x.group->stop_reasons) {
      out += "stopped  " + cli::EscapeForText(reason) + "\n";
    }
  }
  const auto& r = x.response;
  const std::string verdict = r.allowed ? "allowed" : "rejected";
  std::string answer = "answer   " + Paint(verdict, verdict, color);
  if (r.patch) answer += " with a patch";
  if (r.status && r.status->code) answer += fmt::format("  code {}", *r.status->code);
  if (r.status && r.status->message) answer += "  " + Quoted(*r.status->message);
  answer += "  in " + Microseconds(x.duration_us);
  out += answer + "\n";
  return out;
}

bool StderrWantsColor(bool no_color_flag) {
  if (no_color_flag || isatty(STDERR_FILENO) != 1) return false;
  const char* no_color = std::getenv("NO_COLOR");
  return no_color == nullptr || *no_color == '\0';
}

}  // namespace kw::kwctl
