// The evaluator on the fake engine: real waPC runtime, policies written as C++ lambdas. The
// expected texts are upstream's, as the integration tests (tests/integration) check them.
#include "evaluator/evaluator.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "evaluator/environment.h"
#include "engine/fake/fake_wapc_guest.h"
#include "evaluator/explanation.h"

namespace kw::evaluator {
namespace {

using admission::AdmissionResponse;
using admission::AdmissionResponseStatus;
using admission::SettingsValidationResponse;
using engine::fake::WapcGuestCall;
using engine::fake::WapcHandler;

constexpr std::string_view kUid = "uid-1";
constexpr std::string_view kAccept = R"({"accepted":true})";

admission::ValidationRequest Request(std::string_view uid = kUid) {
  auto request = admission::ParseAdmissionReview(
      R"({"request":{"uid":")" + std::string(uid) + R"(",
          "kind":{"group":"","version":"v1","kind":"Pod"},
          "resource":{"group":"","version":"v1","resource":"pods"},
          "operation":"CREATE","userInfo":{"username":"alice"},
          "object":{"metadata":{"name":"pod"}}}})");
  if (!request) ADD_FAILURE() << request.error().message;
  return request.value_or(admission::ValidationRequest());
}

std::string Reject(std::string_view message) {
  return R"({"accepted":false,"message":")" + std::string(message) + R"(","code":403})";
}

// A policy answering `validate` with `validation` and `validate_settings` with `settings`.
WapcHandler Answers(std::string validation, std::string settings = R"({"valid":true})") {
  return [validation, settings](std::string_view operation, std::string_view,
                                WapcGuestCall&) -> Result<std::string> {
    if (operation == "validate") return validation;
    if (operation == "validate_settings") return settings;
    return Fail(ErrorKind::kGuestError, "unknown operation " + std::string(operation));
  };
}

// SettingsValidationResponse has no operator==; its two fields say it all.
std::pair<bool, std::optional<std::string>> Fields(const SettingsValidationResponse& r) {
  return {r.valid, r.message};
}
std::pair<bool, std::optional<std::string>> Settings(bool valid,
                                                     std::optional<std::string> message) {
  return {valid, std::move(message)};
}

AdmissionResponse Accepted() {
  AdmissionResponse r;
  r.uid = kUid;
  r.allowed = true;
  return r;
}

AdmissionResponse Rejected(std::optional<std::string> message, std::optional<std::uint16_t> code) {
  AdmissionResponse r;
  r.uid = kUid;
  r.allowed = false;
  r.status.emplace();
  r.status->message = std::move(message);
  r.status->code = code;
  return r;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  PolicySharedPtr Make(PolicyConfig config, WapcHandler handler) {
    auto bytes = engine::fake::RegisterWapcGuest(engine_, config.id, std::move(handler));
    return Load(std::move(config), bytes);
  }

  PolicySharedPtr Load(PolicyConfig config, const std::vector<std::uint8_t>& bytes) {
    auto module =
        runtime::LoadPolicyModule(engine_, bytes, policy::ExecutionMode::kKubewardenWapc);
    EXPECT_TRUE(module) << module.error().message;
    return std::make_shared<const Policy>(Policy{std::move(config), std::move(*module)});
  }

  PolicySharedPtr Make(std::string id, WapcHandler handler) {
    PolicyConfig config;
    config.id = std::move(id);
    return Make(std::move(config), std::move(handler));
  }

  AdmissionResponse Evaluate(const Policy& policy, Origin origin = Origin::kValidate,
                             Verdict* vanilla = nullptr) {
    return evaluator_.Evaluate(policy, Request(), origin, vanilla);
  }

  engine::fake::FakeEngine engine_;
  engine::WorkerPtr worker_ = *engine_.CreateWorker();
  Evaluator evaluator_{*worker_, nullptr};
};

TEST_F(EvaluatorTest, AcceptsAndRejects) {
  EXPECT_EQ(Evaluate(*Make("accept", Answers(std::string(kAccept)))), Accepted());
  EXPECT_EQ(Evaluate(*Make("reject", Answers(Reject("no")))), Rejected("no", 403));
}

TEST_F(EvaluatorTest, ThePolicyReceivesTheRequestAndItsSettings) {
  std::string seen;
  PolicyConfig config;
  config.id = "payload";
  config.settings = json::parse(R"({"limit":3})");
  auto policy = Make(std::move(config), [&seen](std::string_view, std::string_view payload,
                                                WapcGuestCall&) -> Result<std::string> {
    seen = payload;
    return std::string(kAccept);
  });
  EXPECT_EQ(Evaluate(*policy), Accepted());
  json::value payload = json::parse(seen);
  EXPECT_EQ(payload.at("settings"), json::parse(R"({"limit":3})"));
  EXPECT_EQ(payload.at("request").at("uid"), "uid-1");
}

TEST_F(EvaluatorTest, MonitorModeAcceptsButReportsTheVanillaVerdict) {
  PolicyConfig config;
  config.id = "monitor";
  config.mode = PolicyMode::kMonitor;
  auto policy = Make(std::move(config), Answers(Reject("monitored rejection")));
  Verdict vanilla;
  EXPECT_EQ(Evaluate(*policy, Origin::kValidate, &vanilla), Accepted());
  EXPECT_FALSE(vanilla.accepted);
  EXPECT_FALSE(vanilla.mutated);
  EXPECT_EQ(vanilla.code, 403);
  // /audit tells the truth.
  EXPECT_EQ(Evaluate(*policy, Origin::kAudit), Rejected("monitored rejection", 403));
}

constexpr std::string_view kMutation =
    R"({"accepted":true,"mutated_object":{"metadata":{"name":"pod","labels":{"team":"kw"}}}})";

TEST_F(EvaluatorTest, MutationWhenAllowed) {
  PolicyConfig config;
  config.id = "mutate";
  config.allowed_to_mutate = true;
  AdmissionResponse response =
      Evaluate(*Make(std::move(config), Answers(std::string(kMutation))));
  EXPECT_EQ(response.uid, kUid);
  EXPECT_TRUE(response.allowed);
  EXPECT_EQ(response.patch_type, "JSONPatch");
  EXPECT_EQ(response.status, std::nullopt);
  ASSERT_TRUE(response.patch);
  auto patch = Base64Decode(*response.patch);
  ASSERT_TRUE(patch);
  EXPECT_EQ(json::parse(*patch),
            json::parse(R"([{"op":"add","path":"/metadata/labels","value":{"team":"kw"}}])"));
}

TEST_F(EvaluatorTest, MutationWhenNotAllowedIsUpstreamsRejection) {
  auto policy = Make("mutate-denied", Answers(std::string(kMutation)));
  Verdict vanilla;
  AdmissionResponse expected = Rejected(
      "Request rejected by policy mutate-denied. The policy attempted to mutate the request, "
      "but it is currently configured to not allow mutations.",
      std::nullopt);
  EXPECT_EQ(Evaluate(*policy, Origin::kValidate, &vanilla), expected);
  EXPECT_TRUE(vanilla.accepted);
  EXPECT_TRUE(vanilla.mutated);
  // /audit shows the raw verdict, patch included.
  AdmissionResponse audited = Evaluate(*policy, Origin::kAudit);
  EXPECT_TRUE(audited.allowed);
  EXPECT_EQ(audited.patch_type, "JSONPatch");
  EXPECT_TRUE(audited.patch);
}

TEST_F(EvaluatorTest, CustomMessageKeepsTheOriginalAsACause) {
  PolicyConfig config;
  config.id = "custom-message";
  config.custom_message = "the custom message";
  auto policy = Make(std::move(config), Answers(Reject("the original message")));
  AdmissionResponse expected = Rejected("the custom message", 403);
  expected.status->details.emplace().causes.push_back(
      {std::nullopt, "the original message", std::nullopt});
  EXPECT_EQ(Evaluate(*policy), expected);
  EXPECT_EQ(Evaluate(*policy, Origin::kAudit), Rejected("the original message", 403));
  // An accepted request keeps no message.
  PolicyConfig accepting;
  accepting.id = "custom-accept";
  accepting.custom_message = "the custom message";
  EXPECT_EQ(Evaluate(*Make(std::move(accepting), Answers(std::string(kAccept)))), Accepted());
}

TEST_F(EvaluatorTest, GuestFailuresAreRejectionsWithCode500) {
  auto failing = Make("failing", [](std::string_view, std::string_view,
                                    WapcGuestCall&) -> Result<std::string> {
    return Fail(ErrorKind::kGuestError, "the policy failed on purpose");
  });
  Verdict vanilla;
  EXPECT_EQ(Evaluate(*failing, Origin::kValidate, &vanilla),
            Rejected("internal server error: Guest call failure: the policy failed on purpose",
                     500));
  EXPECT_FALSE(vanilla.accepted);
  EXPECT_EQ(vanilla.code, 500);

  auto trapping = Make("trapping", [](std::string_view, std::string_view,
                                      WapcGuestCall&) -> Result<std::string> {
    return Fail(ErrorKind::kTrap, "about to trap");
  });
  EXPECT_EQ(Evaluate(*trapping), Rejected("internal server error: about to trap", 500));

  // Monitor mode lets even a failure through; /audit does not.
  PolicyConfig monitored;
  monitored.id = "failing-monitored";
  monitored.mode = PolicyMode::kMonitor;
  auto failing_monitored = Make(std::move(monitored), Answers("not json"));
  EXPECT_EQ(Evaluate(*failing_monitored), Accepted());
  AdmissionResponse audited = Evaluate(*failing_monitored, Origin::kAudit);
  EXPECT_FALSE(audited.allowed);
  ASSERT_TRUE(audited.status && audited.status->message);
  EXPECT_TRUE(audited.status->message->starts_with(
      "internal server error: invalid response from policy: "))
      << *audited.status->message;
  EXPECT_EQ(audited.status->code, 500);
}

TEST_F(EvaluatorTest, TimeoutIsUpstreamsMessage) {
  PolicyConfig config;
  config.id = "sleeping";
  config.timeout = std::chrono::hours(1);  // the fake interrupts an endless loop without waiting
  auto policy = Make(std::move(config), [](std::string_view, std::string_view,
                                           WapcGuestCall& call) -> Result<std::string> {
    return std::unexpected(call.context().RunForever());
  });
  EXPECT_EQ(Evaluate(*policy),
            Rejected("Policy execution interrupted because it exceeded the allowed execution time",
                     500));
}

TEST_F(EvaluatorTest, TimeoutsAreCountedAndTimedOutAnswersAsATimeoutDoes) {
  const auto loop = [](std::string_view, std::string_view,
                       WapcGuestCall& call) -> Result<std::string> {
    return std::unexpected(call.context().RunForever());
  };
  PolicyConfig config;
  config.id = "sleeping";
  config.timeout = std::chrono::hours(1);
  config.mode = PolicyMode::kMonitor;
  auto policy = Make(config, loop);
  EXPECT_EQ(evaluator_.timeouts(), 0u);
  EXPECT_EQ(Evaluate(*Make("fine", Answers(Reject("no")))), Rejected("no", 403));
  EXPECT_EQ(evaluator_.timeouts(), 0u);
  // Monitor mode: the timeout's rejection becomes an acceptance on /validate, not on /audit.
  Verdict evaluated;
  const AdmissionResponse validated = Evaluate(*policy, Origin::kValidate, &evaluated);
  const AdmissionResponse audited = Evaluate(*policy, Origin::kAudit);
  EXPECT_EQ(evaluator_.timeouts(), 2u);
  EnvironmentEntry entry{.id = "sleeping", .mode = PolicyMode::kMonitor, .policy = policy};
  Verdict given;
  EXPECT_EQ(TimedOut(entry, Request(), Origin::kValidate, &given), validated);
  EXPECT_EQ(given.accepted, evaluated.accepted);
  EXPECT_EQ(given.code, evaluated.code);
  EXPECT_EQ(TimedOut(entry, Request(), Origin::kAudit), audited);
  EXPECT_EQ(evaluator_.timeouts(), 2u) << "TimedOut evaluates nothing";
}

TEST_F(EvaluatorTest, ValidatesSettings) {
  EXPECT_EQ(Fields(evaluator_.ValidateSettings(*Make("valid", Answers("", R"({"valid":true})")))),
            Settings(true, std::nullopt));
  EXPECT_EQ(Fields(evaluator_.ValidateSettings(
                *Make("invalid", Answers("", R"({"valid":false,"message":"limit is missing"})")))),
            Settings(false, "limit is missing"));
  auto failing = Make("settings-failing", [](std::string_view, std::string_view,
                                             WapcGuestCall&) -> Result<std::string> {
    return Fail(ErrorKind::kGuestError, "boom");
  });
  EXPECT_EQ(Fields(evaluator_.ValidateSettings(*failing)),
            Settings(false,
                     "Error invoking settings validation callback: Guest call failure: boom"));
}

TEST_F(EvaluatorTest, WarmRuntimeIsReusedAndReplacedAfterAFailure) {
  int instances = 0;
  auto bytes = engine::fake::RegisterStatefulWapcGuest(engine_, "warm", [&instances] {
    ++instances;
    return [](std::string_view, std::string_view payload, WapcGuestCall&) -> Result<std::string> {
      std::string uid(json::parse(payload).at("request").at("uid").as_string());
      if (uid == "trap") return Fail(ErrorKind::kTrap, "unreachable");
      if (uid == "refuse") return Fail(ErrorKind::kGuestError, "refused");
      return std::string(kAccept);
    };
  });
  PolicyConfig config;
  config.id = "warm";
  auto policy = Load(std::move(config), bytes);
  EXPECT_EQ(Evaluate(*policy), Accepted());
  EXPECT_EQ(Evaluate(*policy), Accepted());
  EXPECT_EQ(instances, 1);
  // A failure the guest reports leaves its state sound: the instance is kept.
  EXPECT_FALSE(evaluator_.Evaluate(*policy, Request("refuse"), Origin::kValidate).allowed);
  EXPECT_EQ(Evaluate(*policy), Accepted());
  EXPECT_EQ(instances, 1);
  // A trap may have left it half-updated: the next evaluation gets a fresh one.
  EXPECT_FALSE(evaluator_.Evaluate(*policy, Request("trap"), Origin::kValidate).allowed);
  EXPECT_EQ(instances, 1);
  EXPECT_EQ(Evaluate(*policy), Accepted());
  EXPECT_EQ(instances, 2);
}

TEST_F(EvaluatorTest, HostCallsGoThroughTheGrants) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  dispatcher->Register("net", {"v1/dns_lookup_host"},
                       [](const host::CallContext&, std::string_view,
                          std::string_view payload) -> Result<std::string> {
                         return payload == R"("example.com")" ? "10.0.0.1" : "unknown";
                       });
  Evaluator evaluator(*worker_, dispatcher);
  // The policy rejects with what the host answered, or with the host's error.
  WapcHandler resolve = [](std::string_view, std::string_view,
                           WapcGuestCall& call) -> Result<std::string> {
    auto answer = call.HostCall("kubewarden", "net", "v1/dns_lookup_host", R"("example.com")");
    return Reject(answer ? "resolved " + *answer : answer.error().message);
  };
  PolicyConfig granted;
  granted.id = "granted";
  granted.capabilities =
      std::make_shared<const host::HostCapabilities>(host::HostCapabilities::AllowAll());
  EXPECT_EQ(evaluator.Evaluate(*Make(std::move(granted), resolve), Request(), Origin::kValidate),
            Rejected("resolved 10.0.0.1", 403));
  EXPECT_EQ(evaluator.Evaluate(*Make("denied", resolve), Request(), Origin::kValidate),
            Rejected("Policy has not been granted access to the 'net/v1/dns_lookup_host' host "
                     "capability. The violation has been reported.",
                     403));
}

TEST_F(EvaluatorTest, HostCallsKnowTheDeadlineOfTheEvaluation) {
  // A provider that may block (a DNS lookup) waits no longer than this deadline.
  std::optional<std::chrono::steady_clock::time_point> seen;
  auto dispatcher = std::make_shared<host::Dispatcher>();
  dispatcher->Register("net", {"v1/dns_lookup_host"},
                       [&seen](const host::CallContext& ctx, std::string_view,
                               std::string_view) -> Result<std::string> {
                         seen = ctx.deadline;
                         return std::string("{}");
                       });
  Evaluator evaluator(*worker_, dispatcher);
  WapcHandler call = [](std::string_view, std::string_view,
                        WapcGuestCall& guest) -> Result<std::string> {
    auto answer = guest.HostCall("kubewarden", "net", "v1/dns_lookup_host", R"("a")");
    return answer ? std::string(kAccept) : Reject(answer.error().message);
  };
  PolicyConfig bounded;
  bounded.id = "bounded";
  bounded.timeout = std::chrono::hours(1);
  bounded.capabilities =
      std::make_shared<const host::HostCapabilities>(host::HostCapabilities::AllowAll());
  PolicyConfig unbounded = bounded;
  unbounded.id = "unbounded";
  unbounded.timeout = std::chrono::milliseconds(0);

  // Each evaluation's own deadline (its start + the timeout), not the one the instance was
  // created under: the second evaluation reuses the instance of the first.
  PolicySharedPtr policy = Make(std::move(bounded), call);
  for (int i = 0; i < 2; ++i) {
    seen.reset();
    const auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(evaluator.Evaluate(*policy, Request(), Origin::kValidate), Accepted());
    const auto after = std::chrono::steady_clock::now();
    ASSERT_TRUE(seen.has_value());
    EXPECT_GE(*seen, before + std::chrono::hours(1));
    EXPECT_LE(*seen, after + std::chrono::hours(1));
  }

  EXPECT_EQ(evaluator.Evaluate(*Make(std::move(unbounded), call), Request(), Origin::kValidate),
            Accepted());
  EXPECT_FALSE(seen.has_value());
}

// A waPC module importing what no host provides: it loads, but cannot be instantiated.
std::vector<std::uint8_t> RegisterUnlinkable(engine::fake::FakeEngine& engine, std::string name) {
  engine::fake::GuestDefinition definition;
  definition.name = std::move(name);
  definition.imports = {{"env", "missing", {{}, {}}}};
  constexpr engine::ValType I32 = engine::ValType::kI32;
  definition.exports = {{"__guest_call", {{I32, I32}, {I32}}}};
  definition.instantiate = [] { return engine::fake::GuestExports{}; };
  return engine.Register(std::move(definition));
}

constexpr std::string_view kUnlinkableMessage =
    "unknown import: `env::missing` has not been defined";

TEST_F(EvaluatorTest, AModuleThatCannotBeInstantiatedIsARejection) {
  PolicyConfig config;
  config.id = "unlinkable";
  auto policy = Load(std::move(config), RegisterUnlinkable(engine_, "unlinkable"));
  EXPECT_EQ(Evaluate(*policy),
            Rejected("internal server error: " + std::string(kUnlinkableMessage), 500));
  EXPECT_EQ(Fields(evaluator_.ValidateSettings(*policy)),
            Settings(false, "Error invoking settings validation callback: " +
                                std::string(kUnlinkableMessage)));
}

class EvaluatorGroupTest : public EvaluatorTest {
 protected:
  // Ids are unique per group: the evaluator keeps the runtime of the first policy of an id.
  std::string NextGroupId() { return "group" + std::to_string(++groups_); }

  PolicyGroupSharedPtr Group(std::string expression,
                             std::map<std::string, WapcHandler> members,
                             PolicyMode mode = PolicyMode::kProtect) {
    std::string id = NextGroupId();
    std::map<std::string, PolicySharedPtr> policies;
    for (auto& [name, handler] : members) {
      policies[name] = Make(id + "/" + name, std::move(handler));
    }
    return GroupOf(std::move(id), expression, std::move(policies), mode);
  }

  PolicyGroupSharedPtr GroupOf(std::string id, std::string_view expression,
                               std::map<std::string, PolicySharedPtr> members,
                               PolicyMode mode = PolicyMode::kProtect) {
    auto group = std::make_shared<PolicyGroup>();
    group->id = std::move(id);
    group->mode = mode;
    group->message = "the group rejects";
    std::set<std::string> names;
    for (const auto& [name, member] : members) names.insert(name);
    group->members = std::move(members);
    auto parsed = policy::GroupExpression::Parse(expression, names);
    EXPECT_TRUE(parsed) << parsed.error().message;
    if (parsed) group->expression = std::move(*parsed);
    return group;
  }

  AdmissionResponse Evaluate(const PolicyGroup& group, Origin origin = Origin::kValidate) {
    return evaluator_.Evaluate(group, Request(), origin);
  }

  int groups_ = 0;
};

AdmissionResponse GroupRejection(std::vector<admission::StatusCause> causes) {
  AdmissionResponse r = Rejected("the group rejects", std::nullopt);
  r.status->details.emplace().causes = std::move(causes);
  return r;
}

TEST_F(EvaluatorGroupTest, ExpressionOverMemberVerdicts) {
  auto either = Group("strict() || plain()", {{"strict", Answers(Reject("strict says no"))},
                                              {"plain", Answers(std::string(kAccept))}});
  EXPECT_EQ(Evaluate(*either), Accepted());

  auto both = Group("strict() && plain()", {{"strict", Answers(Reject("strict says no"))},
                                            {"plain", Answers(Reject("plain says no"))}});
  // Short-circuit: plain() is never evaluated, so only strict() is a cause.
  EXPECT_EQ(Evaluate(*both),
            GroupRejection({{std::nullopt, "strict says no", "spec.policies.strict"}}));

  auto neither = Group("strict() || plain()", {{"strict", Answers(Reject("strict says no"))},
                                               {"plain", Answers(Reject("plain says no"))}});
  EXPECT_EQ(Evaluate(*neither),
            GroupRejection({{std::nullopt, "strict says no", "spec.policies.strict"},
                            {std::nullopt, "plain says no", "spec.policies.plain"}}));
}

TEST_F(EvaluatorGroupTest, MutatingMembersAreRefused) {
  auto group = Group("mutating()", {{"mutating", Answers(std::string(kMutation))}});
  EXPECT_EQ(Evaluate(*group),
            GroupRejection({{std::nullopt, std::string(kGroupMutationMessage),
                             "spec.policies.mutating"}}));
}

TEST_F(EvaluatorGroupTest, MonitorModeAndAudit) {
  auto group = Group("strict()", {{"strict", Answers(Reject("strict says no"))}},
                     PolicyMode::kMonitor);
  EXPECT_EQ(Evaluate(*group), Accepted());
  EXPECT_EQ(Evaluate(*group, Origin::kAudit),
            GroupRejection({{std::nullopt, "strict says no", "spec.policies.strict"}}));
}

TEST_F(EvaluatorGroupTest, AMemberThatCannotBeInstantiatedFailsTheExpression) {
  std::string id = NextGroupId();
  PolicyConfig config;
  config.id = id + "/unlinkable";
  auto bytes = RegisterUnlinkable(engine_, config.id);
  auto member = Load(std::move(config), bytes);
  auto group = GroupOf(id, "unlinkable()", {{"unlinkable", member}});
  EXPECT_EQ(Evaluate(*group),
            Rejected("error evaluating policy group expression: " +
                         std::string(kUnlinkableMessage),
                     500));
}

TEST_F(EvaluatorGroupTest, SettingsOfEveryMember) {
  auto group = Group("a() && b()",
                     {{"a", Answers("", R"({"valid":true})")},
                      {"b", Answers("", R"({"valid":false,"message":"b is wrong"})")}});
  EXPECT_EQ(Fields(evaluator_.ValidateSettings(*group)),
            Settings(false, "b: b is wrong"));
}


// Explained decisions (explanation.h): what the detailed spans of an evaluation say.

EnvironmentEntry EntryOf(PolicySharedPtr policy) {
  EnvironmentEntry entry;
  entry.id = policy->config.id;
  entry.mode = policy->config.mode;
  entry.policy = std::move(policy);
  return entry;
}

EnvironmentEntry EntryOf(PolicyGroupSharedPtr group) {
  EnvironmentEntry entry;
  entry.id = group->id;
  entry.mode = group->mode;
  entry.group = std::move(group);
  return entry;
}

// The explained evaluation of `entry` as kwctl run and policy-server's /explain do it.
Explained ExplainOf(Evaluator& evaluator, const EnvironmentEntry& entry) {
  return Explain(entry, Request(), [&] {
    return entry.group ? evaluator.Evaluate(*entry.group, Request(), Origin::kValidate)
                       : evaluator.Evaluate(*entry.policy, Request(), Origin::kValidate);
  });
}

TEST_F(EvaluatorTest, ExplainsALonePolicy) {
  EnvironmentEntry entry = EntryOf(Make("explained-reject", Answers(Reject("no privileged pods"))));
  Explained explained = ExplainOf(evaluator_, entry);
  EXPECT_EQ(explained.response, Rejected("no privileged pods", 403));
  const Explanation& x = explained.explanation;
  EXPECT_EQ(x.uid, kUid);
  EXPECT_EQ(x.operation, "CREATE");
  EXPECT_EQ(x.identity.kind.name, "Pod");
  EXPECT_EQ(x.policy_id, "explained-reject");
  EXPECT_EQ(x.mode, "protect");
  EXPECT_FALSE(x.is_group);
  ASSERT_EQ(x.evaluations.size(), 1u);
  EXPECT_EQ(x.evaluations[0].policy_id, "explained-reject");
  EXPECT_EQ(x.evaluations[0].verdict, "rejected");
  EXPECT_EQ(x.evaluations[0].message, "no privileged pods");
  EXPECT_EQ(x.evaluations[0].code, 403);
  EXPECT_EQ(x.response, explained.response);
  json::value j = ExplanationJson(x);
  EXPECT_EQ(j.at("policy").at("type"), "policy");
  EXPECT_EQ(j.at("evaluations").at(0).at("verdict"), "rejected");
  EXPECT_EQ(j.at("response").at("allowed"), false);
}

TEST_F(EvaluatorTest, ExplainsAPatchAndTheMonitorModeAnswer) {
  PolicyConfig config;
  config.id = "explained-mutate";
  config.allowed_to_mutate = true;
  EnvironmentEntry entry = EntryOf(Make(std::move(config), Answers(std::string(kMutation))));
  Explained explained = ExplainOf(evaluator_, entry);
  ASSERT_EQ(explained.explanation.evaluations.size(), 1u);
  const EvaluationRecord& e = explained.explanation.evaluations[0];
  EXPECT_EQ(e.verdict, "allowed");
  ASSERT_TRUE(e.patch);
  EXPECT_EQ(json::parse(*e.patch),
            json::parse(R"([{"op":"add","path":"/metadata/labels","value":{"team":"kw"}}])"));
  EXPECT_EQ(ExplanationJson(explained.explanation).at("evaluations").at(0).at("patch").at(0).at("op"),
            "add");

  PolicyConfig monitored;
  monitored.id = "explained-monitor";
  monitored.mode = PolicyMode::kMonitor;
  EnvironmentEntry watch = EntryOf(Make(std::move(monitored), Answers(Reject("would reject"))));
  Explained watched = ExplainOf(evaluator_, watch);
  EXPECT_EQ(watched.explanation.mode, "monitor");
  EXPECT_EQ(watched.explanation.evaluations.at(0).verdict, "rejected");  // its own verdict
  EXPECT_TRUE(watched.response.allowed);                                 // what was answered
}

TEST_F(EvaluatorTest, ExplainsHostCallsAndFailures) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  dispatcher->Register("net", {"v1/dns_lookup_host"},
                       [](const host::CallContext&, std::string_view,
                          std::string_view) -> Result<std::string> { return "10.0.0.1"; });
  Evaluator evaluator(*worker_, dispatcher);
  WapcHandler resolve = [](std::string_view operation, std::string_view,
                           WapcGuestCall& call) -> Result<std::string> {
    if (operation != "validate") return std::string(R"({"valid":true})");
    (void)call.HostCall("kubewarden", "net", "v1/dns_lookup_host", R"("example.com")");
    (void)call.HostCall("kubewarden", "oci", "v1/verify", "{}");
    return Fail(ErrorKind::kGuestError, "the guest trapped");
  };
  PolicyConfig config;
  config.id = "explained-host-calls";
  config.capabilities = std::make_shared<const host::HostCapabilities>(
      *host::HostCapabilities::Parse({"net/v1/dns_lookup_host"}));
  EnvironmentEntry entry = EntryOf(Make(std::move(config), resolve));
  Explained explained = ExplainOf(evaluator, entry);
  ASSERT_EQ(explained.explanation.evaluations.size(), 1u);
  const EvaluationRecord& e = explained.explanation.evaluations[0];
  EXPECT_EQ(e.verdict, "error");
  ASSERT_TRUE(e.message);
  EXPECT_NE(e.message->find("the guest trapped"), std::string::npos);
  ASSERT_EQ(e.host_calls.size(), 2u);
  EXPECT_EQ(e.host_calls[0].binding, "kubewarden");
  EXPECT_EQ(e.host_calls[0].ns, "net");
  EXPECT_EQ(e.host_calls[0].operation, "v1/dns_lookup_host");
  EXPECT_TRUE(e.host_calls[0].ok);
  EXPECT_EQ(e.host_calls[1].ns, "oci");
  EXPECT_FALSE(e.host_calls[1].ok);
  EXPECT_NE(e.host_calls[1].error.find("has not been granted access"), std::string::npos);
  EXPECT_EQ(explained.response.status->code, 500);
}

// A sink keeping what it is given, for the spans of ordinary (not explained) tracing.
class KeptSpans final : public tracing::SpanSink {
 public:
  void Record(tracing::SpanData span) override { spans.push_back(std::move(span)); }
  std::vector<tracing::SpanData> spans;
};

TEST_F(EvaluatorTest, OrdinaryTracingRecordsNothingOfTheExplanation) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  Evaluator evaluator(*worker_, dispatcher);
  PolicyConfig config;
  config.id = "traced-mutate";
  config.allowed_to_mutate = true;
  config.capabilities =
      std::make_shared<const host::HostCapabilities>(host::HostCapabilities::AllowAll());
  WapcHandler handler = [](std::string_view operation, std::string_view,
                           WapcGuestCall& call) -> Result<std::string> {
    if (operation != "validate") return std::string(R"({"valid":true})");
    (void)call.HostCall("kubewarden", "net", "v1/dns_lookup_host", R"("example.com")");
    return std::string(kMutation);
  };
  auto policy = Make(std::move(config), handler);
  KeptSpans sink;
  {
    tracing::Span root = tracing::Span::Start(sink, "validation", tracing::SpanKind::kServer);
    tracing::CurrentSpan current(root);
    evaluator.Evaluate(*policy, Request(), Origin::kValidate);
  }
  ASSERT_EQ(sink.spans.size(), 2u);
  const tracing::SpanData& evaluation = sink.spans[0];
  EXPECT_EQ(evaluation.name, "policy_evaluation");
  for (const auto& attribute : evaluation.attributes) EXPECT_NE(attribute.key, "patch");
  EXPECT_TRUE(evaluation.events.empty());
}

TEST_F(EvaluatorGroupTest, ExplainsWhereTheGroupStopped) {
  auto group = Group("strict() && (plain() || other())",
                     {{"strict", Answers(Reject("strict says no"))},
                      {"plain", Answers(std::string(kAccept))},
                      {"other", Answers(std::string(kAccept))}});
  EnvironmentEntry entry = EntryOf(group);
  Explained explained = ExplainOf(evaluator_, entry);
  const Explanation& x = explained.explanation;
  EXPECT_TRUE(x.is_group);
  ASSERT_EQ(x.evaluations.size(), 1u);
  EXPECT_EQ(x.evaluations[0].member, "strict");
  EXPECT_EQ(x.evaluations[0].policy_id, group->id + "/strict");
  EXPECT_EQ(x.evaluations[0].verdict, "rejected");
  ASSERT_TRUE(x.group);
  EXPECT_EQ(x.group->expression, "strict() && (plain() || other())");
  EXPECT_EQ(x.group->skipped, (std::vector<std::string>{"other", "plain"}));
  EXPECT_EQ(x.group->stop_reasons,
            (std::vector<std::string>{"`&&` short-circuited: strict() was false, so plain(), "
                                      "other() not evaluated"}));
  EXPECT_FALSE(x.group->allowed);
  EXPECT_EQ(x.group->message, "the group rejects");

  auto either = Group("plain() || strict()", {{"strict", Answers(Reject("strict says no"))},
                                              {"plain", Answers(std::string(kMutation))}});
  EnvironmentEntry either_entry = EntryOf(either);
  Explained mutated = ExplainOf(evaluator_, either_entry);
  // plain() mutated, which is its denial; strict() was then needed and denied too.
  ASSERT_EQ(mutated.explanation.evaluations.size(), 2u);
  EXPECT_EQ(mutated.explanation.evaluations[0].member, "plain");
  EXPECT_TRUE(mutated.explanation.evaluations[0].patch);
  EXPECT_EQ(mutated.explanation.evaluations[0].verdict, "rejected");
  EXPECT_EQ(mutated.explanation.evaluations[0].message, kGroupMutationMessage);
  EXPECT_EQ(mutated.explanation.evaluations[1].member, "strict");
  ASSERT_EQ(mutated.explanation.group->stop_reasons.size(), 1u);
  EXPECT_TRUE(mutated.explanation.group->stop_reasons[0].starts_with("member mutated: plain()"));
}

}  // namespace
}  // namespace kw::evaluator
