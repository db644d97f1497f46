#include "crd/defaulting.h"

#include <gtest/gtest.h>

#include "admission/json_patch.h"

namespace kw::crd {
namespace {

using DefaultingFunction = Result<std::string> (*)(std::string_view);

// `object` after the patch `defaulting` gives for it, checked to apply cleanly.
std::string Defaulted(DefaultingFunction defaulting, std::string_view object) {
  auto patch = defaulting(object);
  EXPECT_TRUE(patch) << patch.error().message;
  if (!patch) return "";
  auto doc = ParseJson(object);
  auto ops = ParseJson(*patch);
  auto patched = admission::ApplyPatch(*doc, ops->as_array());
  EXPECT_TRUE(patched) << patched.error().message;
  return patched ? ToJson(*patched) : "";
}

TEST(Defaulting, PoliciesGetTheDefaultPolicyServerAndTheFinalizer) {
  EXPECT_EQ(Defaulted(PolicyDefaultingPatch, R"({"metadata":{"name":"p"},"spec":{"module":"m"}})"),
            R"({"metadata":{"name":"p","finalizers":["kubewarden.io/finalizer"]},"spec":{"module":"m","policyServer":"default"}})");
  EXPECT_EQ(Defaulted(PolicyDefaultingPatch, R"({"metadata":{"name":"p","finalizers":["other"]},"spec":{"policyServer":""}})"),
            R"({"metadata":{"name":"p","finalizers":["other","kubewarden.io/finalizer"]},"spec":{"policyServer":"default"}})");
  EXPECT_EQ(Defaulted(PolicyDefaultingPatch, R"({"metadata":{"name":"p"}})"),
            R"({"metadata":{"name":"p","finalizers":["kubewarden.io/finalizer"]},"spec":{"policyServer":"default"}})");
}

TEST(Defaulting, PatchesAreMinimalAndIdempotent) {
  auto patch = PolicyDefaultingPatch(R"({"metadata":{"name":"p","finalizers":["a"]},"spec":{"policyServer":null}})");
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, R"([{"op":"add","path":"/metadata/finalizers/1","value":"kubewarden.io/finalizer"},)"
                    R"({"op":"replace","path":"/spec/policyServer","value":"default"}])");
  auto none = PolicyDefaultingPatch(
      R"({"metadata":{"name":"p","finalizers":["kubewarden.io/finalizer"]},"spec":{"policyServer":"mine"}})");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "[]");
}

TEST(Defaulting, PolicyServersOnlyGetTheFinalizer) {
  EXPECT_EQ(Defaulted(PolicyServerDefaultingPatch, R"({"metadata":{"name":"default"},"spec":{"image":"i","replicas":1}})"),
            R"({"metadata":{"name":"default","finalizers":["kubewarden.io/finalizer"]},"spec":{"image":"i","replicas":1}})");
  auto none = PolicyServerDefaultingPatch(R"({"metadata":{"name":"default","finalizers":["kubewarden.io/finalizer"]}})");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "[]");
}

TEST(Defaulting, RefusesObjectsThatCannotTakeDefaults) {
  for (std::string_view bad : {"[]", "{", R"({"metadata":[]})", R"({"metadata":{"finalizers":"x"}})",
                               R"({"metadata":{},"spec":"x"})"}) {
    auto patch = PolicyDefaultingPatch(bad);
    ASSERT_FALSE(patch) << bad;
    EXPECT_EQ(patch.error().kind, ErrorKind::kInvalidArgument) << bad;
  }
  // A PolicyServer's spec is not touched.
  auto untouched = PolicyServerDefaultingPatch(R"({"metadata":{"finalizers":["kubewarden.io/finalizer"]},"spec":"x"})");
  ASSERT_TRUE(untouched);
  EXPECT_EQ(*untouched, "[]");
  // A policyServer of another type is left to validation.
  auto patch = PolicyDefaultingPatch(R"({"metadata":{"finalizers":["kubewarden.io/finalizer"]},"spec":{"policyServer":3}})");
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, "[]");
}

}  // namespace
}  // namespace kw::crd
