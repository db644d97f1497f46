#include "crd/defaulting.h"

#include <gtest/gtest.h>

#include "admission/json_patch.h"

namespace kw::crd {
namespace {

// `object` after its defaulting patch, checked to apply cleanly.
std::string Defaulted(CrdKind kind, std::string_view object) {
  auto patch = DefaultingPatch(kind, object);
  EXPECT_TRUE(patch) << patch.error().message;
  if (!patch) return "";
  auto doc = ParseJson(object);
  auto ops = ParseJson(*patch);
  auto patched = admission::ApplyPatch(*doc, ops->as_array());
  EXPECT_TRUE(patched) << patched.error().message;
  return patched ? ToJson(*patched) : "";
}

TEST(Defaulting, PoliciesGetTheDefaultPolicyServerAndTheFinalizer) {
  for (CrdKind kind : {CrdKind::kClusterAdmissionPolicy, CrdKind::kAdmissionPolicy,
                       CrdKind::kClusterAdmissionPolicyGroup, CrdKind::kAdmissionPolicyGroup}) {
    EXPECT_EQ(Defaulted(kind, R"({"metadata":{"name":"p"},"spec":{"module":"m"}})"),
              R"({"metadata":{"name":"p","finalizers":["kubewarden.io/finalizer"]},"spec":{"module":"m","policyServer":"default"}})");
    EXPECT_EQ(Defaulted(kind, R"({"metadata":{"name":"p","finalizers":["other"]},"spec":{"policyServer":""}})"),
              R"({"metadata":{"name":"p","finalizers":["other","kubewarden.io/finalizer"]},"spec":{"policyServer":"default"}})");
    EXPECT_EQ(Defaulted(kind, R"({"metadata":{"name":"p"}})"),
              R"({"metadata":{"name":"p","finalizers":["kubewarden.io/finalizer"]},"spec":{"policyServer":"default"}})");
  }
}

TEST(Defaulting, PatchesAreMinimalAndIdempotent) {
  auto patch = DefaultingPatch(CrdKind::kClusterAdmissionPolicy,
                               R"({"metadata":{"name":"p","finalizers":["a"]},"spec":{"policyServer":null}})");
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, R"([{"op":"add","path":"/metadata/finalizers/1","value":"kubewarden.io/finalizer"},)"
                    R"({"op":"replace","path":"/spec/policyServer","value":"default"}])");
  auto none = DefaultingPatch(
      CrdKind::kClusterAdmissionPolicy,
      R"({"metadata":{"name":"p","finalizers":["kubewarden.io/finalizer"]},"spec":{"policyServer":"mine"}})");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "[]");
}

TEST(Defaulting, PolicyServersOnlyGetTheFinalizer) {
  EXPECT_EQ(Defaulted(CrdKind::kPolicyServer, R"({"metadata":{"name":"default"},"spec":{"image":"i","replicas":1}})"),
            R"({"metadata":{"name":"default","finalizers":["kubewarden.io/finalizer"]},"spec":{"image":"i","replicas":1}})");
  auto none = DefaultingPatch(CrdKind::kPolicyServer,
                              R"({"metadata":{"name":"default","finalizers":["kubewarden.io/finalizer"]}})");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "[]");
}

TEST(Defaulting, RefusesObjectsThatCannotTakeDefaults) {
  for (std::string_view bad : {"[]", "{", R"({"metadata":[]})", R"({"metadata":{"finalizers":"x"}})",
                               R"({"metadata":{},"spec":"x"})"}) {
    auto patch = DefaultingPatch(CrdKind::kAdmissionPolicy, bad);
    ASSERT_FALSE(patch) << bad;
    EXPECT_EQ(patch.error().kind, ErrorKind::kInvalidArgument) << bad;
  }
  // A policyServer of another type is left to validation.
  auto patch = DefaultingPatch(CrdKind::kAdmissionPolicy, R"({"metadata":{"finalizers":["kubewarden.io/finalizer"]},"spec":{"policyServer":3}})");
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, "[]");
}

}  // namespace
}  // namespace kw::crd
