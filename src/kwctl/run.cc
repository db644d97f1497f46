#include <cstdio>

#include "admission/response.h"
#include "evaluator/explanation.h"
#include "kwctl/commands.h"
#include "kwctl/explain_text.h"

namespace kw::kwctl {

Result<void> Run(const RunFlags& flags) {
  KW_ASSIGN_OR_RETURN(Session session, PrepareSession(flags));
  for (const auto& target : session.targets) {
    auto settings = session.ValidateSettings(*target);
    if (!settings.valid) {
      return Fail(ErrorKind::kInvalidArgument,
                  "Provided settings are not valid: " + settings.message.value_or("no message"));
    }
    admission::AdmissionResponse response;
    if (flags.explain.empty()) {
      response = session.Evaluate(*target);
    } else {
      evaluator::Explained explained = evaluator::Explain(
          *target, session.request, [&] { return session.Evaluate(*target); });
      response = std::move(explained.response);
      std::string text = flags.explain == "json"
                             ? json::serialize(evaluator::ExplanationJson(explained.explanation)) + "\n"
                             : ExplanationText(explained.explanation, flags.explain_color);
      std::fwrite(text.data(), 1, text.size(), stderr);
    }
    std::string line = admission::AdmissionResponseJson(response);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
  session.FinishCodeCacheWrites();
  return session.FinishHostCapabilitiesSession();
}

}  // namespace kw::kwctl
