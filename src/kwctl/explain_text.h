// `kwctl run --explain`'s terminal rendering of an explained decision (evaluator/
// explanation.h): one aligned line per policy or member evaluated, their host calls, logs,
// patches and warnings below it, then why a group stopped and what the request was answered.
// Whatever a guest put in its messages is escaped (cli/log_format.h): it cannot drive the
// terminal.
#pragma once

#include <string>

#include "evaluator/explanation.h"

namespace kw::kwctl {

// `color`: verdicts in colour (ANSI), for a terminal.
std::string ExplanationText(const evaluator::Explanation& explanation, bool color);

// Whether stderr is a terminal that wants colour: a TTY, no --no-color, no NO_COLOR
// (https://no-color.org: set and not empty).
bool StderrWantsColor(bool no_color_flag);

}  // namespace kw::kwctl
