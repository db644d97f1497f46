// The environment builder on the fake engine: policies are C++ lambdas behind real module files,
// loaded, built, validated and rebuilt the way policy-server and kwctl do.
#include "loader/environment_builder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/fake/fake_wapc_guest.h"
#include "testing/process.h"

namespace kw::loader {
namespace {

using evaluator::EntryState;
using evaluator::EnvironmentEntry;
using evaluator::EnvironmentSharedPtr;
using engine::fake::WapcGuestCall;
using policy::GroupEntry;
using policy::PolicyDefinition;
using policy::PolicyEntry;

constexpr std::string_view kAccept = R"({"accepted":true})";

admission::ValidationRequest Request() {
  auto request = admission::ParseAdmissionReview(
      R"({"request":{"uid":"uid-1","kind":{"group":"","version":"v1","kind":"Pod"},
          "resource":{"group":"","version":"v1","resource":"pods"},
          "operation":"CREATE","userInfo":{"username":"alice"},"object":{}}})");
  EXPECT_TRUE(request) << request.error().message;
  return request.value_or(admission::ValidationRequest());
}

class EnvironmentBuilderTest : public ::testing::Test {
 protected:
  // A module file whose policy accepts everything and refuses settings with "bad": true.
  std::string Module(const std::string& name) {
    auto bytes = engine::fake::RegisterWapcGuest(
        engine_, name,
        [](std::string_view operation, std::string_view payload,
           WapcGuestCall&) -> Result<std::string> {
          if (operation == "validate_settings") {
            return payload.find("\"bad\":true") == std::string_view::npos
                       ? std::string(R"({"valid":true})")
                       : std::string(R"({"valid":false,"message":"bad is set"})");
          }
          return std::string(kAccept);
        });
    std::string path = dir_ + "/" + name + ".wasm";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  static PolicyDefinition Policy(std::string id, std::string module, json::value settings = json::object()) {
    PolicyEntry p;
    p.module.module = std::move(module);
    p.module.settings = std::move(settings);
    return {std::move(id), std::move(p)};
  }

  static PolicyDefinition Group(std::string id, std::string module_a, std::string module_b) {
    GroupEntry g;
    g.expression = "a() && b()";
    g.message = "no";
    g.members["a"].module = std::move(module_a);
    g.members["b"].module = std::move(module_b);
    return {std::move(id), std::move(g)};
  }

  // Validates on the test's own evaluator, counting the entries validated.
  SettingsValidator Validator() {
    return [this](const std::vector<const EnvironmentEntry*>& entries) {
      std::vector<admission::SettingsValidationResponse> out;
      for (const EnvironmentEntry* e : entries) {
        ++validated_;
        out.push_back(evaluator_.ValidateSettings(*e));
      }
      return out;
    };
  }

  BuildResult Build(const std::vector<PolicyDefinition>& definitions,
                    const EnvironmentSharedPtr& previous = nullptr) {
    return builder_.Build(definitions, previous.get(), Validator(), "v");
  }

  engine::fake::FakeEngine engine_;
  engine::WorkerPtr worker_ = *engine_.CreateWorker();
  evaluator::Evaluator evaluator_{*worker_, nullptr};
  std::string dir_ = testing::MakeTempDir();
  EnvironmentBuilder builder_{engine_, nullptr, FetchSettings(), EnvironmentOptions()};
  int validated_ = 0;
};

TEST_F(EnvironmentBuilderTest, BuildsPoliciesGroupsAndAddressableMembers) {
  std::string a = Module("a"), b = Module("b");
  BuildResult built = Build({Policy("p", a), Group("g", a, b)});
  ASSERT_TRUE(built.failures.empty()) << built.failures.front().message;
  const auto& env = *built.environment;
  ASSERT_EQ(env.entries().size(), 4u);
  EXPECT_EQ(env.entries()[0].id, "p");
  EXPECT_EQ(env.entries()[1].id, "g");
  ASSERT_NE(env.Find("g/a"), nullptr);
  EXPECT_TRUE(env.Find("g/a")->member);
  EXPECT_EQ(env.Find("g/a")->policy, env.Find("g")->group->members.at("a"));
  for (const auto& e : env.entries()) EXPECT_EQ(e.state(), EntryState::kLive) << e.id;
  EXPECT_EQ(built.compiled_modules, 2u);  // two files, three policies
  EXPECT_EQ(validated_, 2);               // p and g (g validates its members)

  auto answer = evaluator_.Evaluate(env, "g", Request(), evaluator::Origin::kValidate);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->allowed);
  auto unknown = evaluator_.Evaluate(env, "nope", Request(), evaluator::Origin::kValidate);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().message, "unknown policy: nope");
}

TEST_F(EnvironmentBuilderTest, FailuresAreServedAsRejectionsWithTheirError) {
  std::string a = Module("a");
  std::string missing = dir_ + "/missing.wasm";
  BuildResult built = Build({Policy("p", a), Policy("gone", missing), Group("g", a, missing),
                             Policy("bad-settings", a, json::object{{"bad", true}})});
  ASSERT_EQ(built.failures.size(), 3u);
  EXPECT_EQ(built.failures[0].id, "gone");
  EXPECT_EQ(built.failures[0].kind, FailureKind::kLoad);
  EXPECT_EQ(built.failures[0].message, "Cannot find policy with uri: " + missing);
  EXPECT_EQ(built.failures[1].message, "member 'b': Cannot find policy with uri: " + missing);
  EXPECT_EQ(built.failures[2].kind, FailureKind::kSettings);
  EXPECT_EQ(built.failures[2].message, "Policy settings are invalid: bad is set");

  const auto& env = *built.environment;
  EXPECT_EQ(env.Find("p")->state(), EntryState::kLive);
  const EnvironmentEntry* gone = env.Find("gone");
  EXPECT_EQ(gone->state(), EntryState::kFailed);
  EXPECT_EQ(*gone->error, "bootstrap failure: gone: Cannot find policy with uri: " + missing);
  // A failed group's members answer with its error.
  EXPECT_EQ(env.Find("g/a")->state(), EntryState::kFailed);
  EXPECT_EQ(env.Find("g/a")->error, env.Find("g")->error);

  auto rejected = evaluator_.Evaluate(env, *env.Find("bad-settings"), Request(),
                                      evaluator::Origin::kValidate);
  EXPECT_FALSE(rejected.allowed);
  ASSERT_TRUE(rejected.status);
  EXPECT_EQ(rejected.status->code, 500);
  EXPECT_EQ(rejected.status->message, "Policy settings are invalid: bad is set");
}

TEST_F(EnvironmentBuilderTest, ConfigurationErrorsAreTheirOwnKind) {
  PolicyDefinition d = Policy("p", Module("a"));
  std::get<PolicyEntry>(d.entry).module.timeout_eval_seconds = 0;
  PolicyDefinition caps = Policy("caps", Module("b"));
  std::get<PolicyEntry>(caps.entry).module.host_capabilities = {"nope/*"};
  BuildResult built = Build({d, caps});
  ASSERT_EQ(built.failures.size(), 2u);
  EXPECT_EQ(built.failures[0].kind, FailureKind::kConfiguration);
  EXPECT_EQ(built.failures[0].message,
            "policies.yml: policy 'p': field 'timeoutEvalSeconds': must be at least 1");
  EXPECT_EQ(built.failures[1].kind, FailureKind::kConfiguration);
  EXPECT_NE(built.failures[1].message.find("policies.yml: policy 'caps': field 'hostCapabilities'"),
            std::string::npos)
      << built.failures[1].message;
}

TEST_F(EnvironmentBuilderTest, UnchangedIdsAreServedByTheSameObjectsAndNotRevalidated) {
  std::string a = Module("a"), b = Module("b");
  std::vector<PolicyDefinition> definitions = {Policy("p", a), Group("g", a, b),
                                               Policy("q", b, json::object{{"x", 1}})};
  BuildResult first = Build(definitions);
  ASSERT_TRUE(first.failures.empty());
  validated_ = 0;

  definitions[2] = Policy("q", b, json::object{{"x", 2}});  // only q's settings change
  BuildResult second = Build(definitions, first.environment);
  ASSERT_TRUE(second.failures.empty());
  EXPECT_EQ(second.reused_entries, 2u);
  EXPECT_EQ(second.compiled_modules, 0u);
  EXPECT_EQ(validated_, 1);  // q only
  const auto& before = *first.environment;
  const auto& after = *second.environment;
  EXPECT_EQ(after.Find("p")->policy, before.Find("p")->policy);
  EXPECT_EQ(after.Find("g")->group, before.Find("g")->group);
  EXPECT_EQ(after.Find("g/b")->policy, before.Find("g/b")->policy);
  EXPECT_NE(after.Find("q")->policy, before.Find("q")->policy);
  EXPECT_EQ(after.Find("q")->policy->config.settings, (json::object{{"x", 2}}));
  EXPECT_GT(after.generation(), before.generation());
}

TEST_F(EnvironmentBuilderTest, AChangedModuleFileIsRecompiled) {
  std::string path = dir_ + "/policy.wasm";
  std::filesystem::copy_file(Module("first"), path);
  BuildResult first = Build({Policy("p", path)});
  ASSERT_TRUE(first.failures.empty());
  std::filesystem::copy_file(Module("second"), path,
                             std::filesystem::copy_options::overwrite_existing);
  BuildResult second = Build({Policy("p", path)}, first.environment);
  ASSERT_TRUE(second.failures.empty());
  EXPECT_EQ(second.compiled_modules, 1u);
  EXPECT_EQ(second.reused_entries, 0u);
  EXPECT_NE(second.environment->Find("p")->policy->module,
            first.environment->Find("p")->policy->module);
}

TEST_F(EnvironmentBuilderTest, AFailedRebuildKeepsServingTheLastGoodVersion) {
  std::string a = Module("a"), b = Module("b");
  std::string missing = dir_ + "/missing.wasm";
  BuildResult first = Build({Policy("p", a), Group("g", a, b), Policy("s", a)});
  ASSERT_TRUE(first.failures.empty());

  BuildResult second = Build({Policy("p", missing), Group("g", a, missing),
                              Policy("s", a, json::object{{"bad", true}}), Policy("new", missing)},
                             first.environment);
  ASSERT_EQ(second.failures.size(), 4u);
  const auto& env = *second.environment;
  for (std::string id : {"p", "g", "g/a", "s"}) {
    const EnvironmentEntry* e = env.Find(id);
    ASSERT_NE(e, nullptr) << id;
    EXPECT_EQ(e->state(), EntryState::kLastGood) << id;
  }
  EXPECT_EQ(env.Find("p")->policy, first.environment->Find("p")->policy);
  EXPECT_EQ(env.Find("g")->group, first.environment->Find("g")->group);
  EXPECT_EQ(*env.Find("s")->error, "Policy settings are invalid: bad is set");
  EXPECT_EQ(env.Find("new")->state(), EntryState::kFailed);
  // The last good version answers.
  auto answer = evaluator_.Evaluate(env, "p", Request(), evaluator::Origin::kValidate);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->allowed);

  // Once the definition is fixed, the id is live again, and a last-good id is rebuilt (its
  // definition may equal what it serves, but its module may not have loaded the last time).
  BuildResult third = Build({Policy("p", a), Group("g", a, b), Policy("s", a)}, second.environment);
  EXPECT_TRUE(third.failures.empty());
  for (const auto& e : third.environment->entries()) {
    EXPECT_EQ(e.state(), EntryState::kLive) << e.id;
  }
  EXPECT_EQ(third.environment->Find("new"), nullptr);  // removed
}

TEST_F(EnvironmentBuilderTest, EvaluatorsDropTheRuntimesOfPoliciesNoLongerServed) {
  std::string a = Module("a"), b = Module("b");
  BuildResult first = Build({Policy("p", a), Policy("q", b)});
  auto request = Request();
  for (std::string id : {"p", "q"}) {
    ASSERT_TRUE(evaluator_.Evaluate(*first.environment, id, request, evaluator::Origin::kValidate));
  }
  EXPECT_EQ(evaluator_.warm_runtimes(), 2u);
  BuildResult second = Build({Policy("p", a)}, first.environment);
  ASSERT_TRUE(evaluator_.Evaluate(*second.environment, "p", request, evaluator::Origin::kValidate));
  EXPECT_EQ(evaluator_.warm_runtimes(), 1u);  // q's is gone, p's is the same warm one
  // An older environment still in use by a request does not bring the pruning back.
  ASSERT_TRUE(evaluator_.Evaluate(*first.environment, "q", request, evaluator::Origin::kValidate));
  EXPECT_EQ(evaluator_.warm_runtimes(), 2u);
}

TEST_F(EnvironmentBuilderTest, KwctlGrantsCapabilitiesByFlag) {
  EnvironmentOptions options;
  options.host_capabilities_override = std::vector<std::string>{"bogus"};
  EnvironmentBuilder kwctl(engine_, nullptr, FetchSettings(), options);
  BuildResult built = kwctl.Build({Policy("p", Module("a"))}, nullptr, {}, "");
  ASSERT_EQ(built.failures.size(), 1u);
  EXPECT_TRUE(built.failures[0].message.starts_with("--allowed-host-capabilities: "))
      << built.failures[0].message;
}

}  // namespace
}  // namespace kw::loader
