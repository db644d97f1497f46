#include "kwctl/explain_text.h"

#include <gtest/gtest.h>

namespace kw::kwctl {
namespace {

evaluator::Explanation GroupExplanation() {
  evaluator::Explanation x;
  x.uid = "uid-1";
  x.operation = "CREATE";
  x.identity.kind = {"apps", "v1", "Deployment"};
  x.identity.name = "web";
  x.ns = "default";
  x.policy_id = "safe";
  x.mode = "protect";
  x.is_group = true;
  evaluator::EvaluationRecord member;
  member.policy_id = "safe/no_privileged_pod";
  member.member = "no_privileged_pod";
  member.verdict = "rejected";
  member.message = "Privileged container is not allowed";
  member.code = 403;
  member.duration_us = 12;
  member.host_calls.push_back({"kubewarden", "kubernetes", "get_resource", false,
                               "not granted", 3});
  x.evaluations.push_back(member);
  x.group = evaluator::GroupRecord{
      .expression = "no_privileged_pod() && labels()",
      .skipped = {"labels"},
      .stop_reasons = {"`&&` short-circuited: no_privileged_pod() was false, so labels() not "
                       "evaluated"},
      .allowed = false,
      .message = "the group says no"};
  x.response.uid = "uid-1";
  x.response.allowed = false;
  x.response.status.emplace().message = "the group says no";
  x.duration_us = 20;
  return x;
}

TEST(ExplanationText, OneAlignedLinePerEvaluationThenWhyItStopped) {
  EXPECT_EQ(ExplanationText(GroupExplanation(), false),
            "policy   safe (group, protect)\n"
            "request  uid-1 CREATE apps/v1 Deployment default/web\n"
            "group    no_privileged_pod() && labels()\n"
            "   1  no_privileged_pod  rejected      12 µs  code 403  \"Privileged container is "
            "not allowed\"\n"
            "      host call  kubewarden kubernetes/get_resource  error  3 µs  \"not granted\"\n"
            "skipped  labels\n"
            "stopped  `&&` short-circuited: no_privileged_pod() was false, so labels() not "
            "evaluated\n"
            "answer   rejected  \"the group says no\"  in 20 µs\n");
}

TEST(ExplanationText, ColourOnlyWhenAskedAndGuestTextIsEscaped) {
  evaluator::Explanation x = GroupExplanation();
  x.evaluations[0].message = "\x1b[2Jcleared\nforged line";
  std::string plain = ExplanationText(x, false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos) << plain;
  EXPECT_NE(plain.find("\\x1b[2Jcleared\\nforged line"), std::string::npos) << plain;
  std::string coloured = ExplanationText(x, true);
  EXPECT_NE(coloured.find("\x1b[31mrejected\x1b[0m"), std::string::npos) << coloured;
}

}  // namespace
}  // namespace kw::kwctl
