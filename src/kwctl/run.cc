#include <cstdio>

#include "admission/response.h"
#include "kwctl/commands.h"

namespace kw::kwctl {

Result<void> Run(const RunFlags& flags) {
  KW_ASSIGN_OR_RETURN(Session session, PrepareSession(flags));
  for (const auto& target : session.targets) {
    auto settings = session.ValidateSettings(*target);
    if (!settings.valid) {
      return Fail(ErrorKind::kInvalidArgument,
                  "Provided settings are not valid: " + settings.message.value_or("no message"));
    }
    auto response =
        session.Evaluate(*target);
    std::string line = admission::AdmissionResponseJson(response);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
  session.FinishCodeCacheWrites();
  return session.FinishHostCapabilitiesSession();
}

}  // namespace kw::kwctl
