#include <cstdio>

#include "admission/response.h"
#include "kwctl/commands.h"

namespace kw::kwctl {

Result<void> Run(const RunFlags& flags) {
  KW_ASSIGN_OR_RETURN(Session session, PrepareSession(flags));
  for (const auto& policy : session.policies) {
    auto settings = session.evaluator->ValidateSettings(*policy);
    if (!settings.valid) {
      return Fail(ErrorKind::kInvalidArgument,
                  "Provided settings are not valid: " + settings.message.value_or("no message"));
    }
    auto response =
        session.evaluator->Evaluate(*policy, session.request, evaluator::Origin::kValidate);
    std::string line = admission::AdmissionResponseJson(response);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
  return {};
}

}  // namespace kw::kwctl
