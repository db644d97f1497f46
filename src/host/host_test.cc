#include "host/host.h"

#include <gtest/gtest.h>

namespace kw::host {
namespace {

TEST(HostCapabilities, AcceptsValidPatterns) {
  for (const auto& p : std::vector<std::string>{"*", "oci/*", "oci/v1/*", "oci/v1/verify",
                                                "kubernetes/can_i", "net/v1/dns_lookup_host"}) {
    EXPECT_TRUE(HostCapabilities::Parse({p})) << p;
  }
}

TEST(HostCapabilities, RejectsInvalidPatterns) {
  for (const auto& p : std::vector<std::string>{"", "  ", "oci", "oci/v1", "oci/v*", "*/v1/verify",
                                                "oci/v3/*", "nope/*", "oci/v1/verify/*",
                                                "oci//verify", "kubernetes/can_i/x"}) {
    auto r = HostCapabilities::Parse({p});
    EXPECT_FALSE(r) << "'" << p << "' should be invalid";
    if (!r) {
      EXPECT_NE(r.error().message.find(p), std::string::npos);
    }
  }
}

TEST(HostCapabilities, MatchesPrefixesAndExactPaths) {
  auto c = HostCapabilities::Parse({"oci/v1/*", "kubernetes/can_i"});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Allows("oci/v1/verify"));
  EXPECT_TRUE(c->Allows("oci/v1/manifest_digest"));
  EXPECT_FALSE(c->Allows("oci/v2/verify"));
  EXPECT_TRUE(c->Allows("kubernetes/can_i"));
  EXPECT_FALSE(c->Allows("kubernetes/get_resource"));
  EXPECT_FALSE(HostCapabilities::DenyAll().Allows("oci/v1/verify"));
  EXPECT_TRUE(HostCapabilities::AllowAll().Allows("net/v1/dns_lookup_host"));
}

TEST(Dispatcher, ChecksBindingThenGrantThenNamespace) {
  Dispatcher d;
  auto deny = HostCapabilities::DenyAll();
  CallContext ctx{"p1", &deny};

  auto bad_binding = d.Call(ctx, "other", "tracing", "log", "{}");
  ASSERT_FALSE(bad_binding);
  EXPECT_EQ(bad_binding.error().message, "unknown binding: other");

  auto denied = d.Call(ctx, "kubewarden", "oci", "v1/verify", "{}");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, ErrorKind::kHostError);
  EXPECT_EQ(denied.error().message,
            "Policy has not been granted access to the 'oci/v1/verify' host capability. The "
            "violation has been reported.");

  auto all = HostCapabilities::AllowAll();
  CallContext granted{"p1", &all};
  auto unknown_ns = d.Call(granted, "kubewarden", "oci", "v1/verify", "{}");
  ASSERT_FALSE(unknown_ns);
  EXPECT_EQ(unknown_ns.error().message, "unknown namespace: oci");

  auto unknown_op = d.Call(granted, "kubewarden", "tracing", "nope", "{}");
  ASSERT_FALSE(unknown_op);
  EXPECT_EQ(unknown_op.error().message, "unknown operation: nope");
}

TEST(Dispatcher, TracingLogIsAlwaysAllowedAndNeverFails) {
  Dispatcher d;
  CallContext ctx{"p1", nullptr};
  auto ok = d.Call(ctx, "kubewarden", "tracing", "log", R"({"level":"INFO","message":"hi","x":1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "");
  EXPECT_TRUE(d.Call(ctx, "kubewarden", "tracing", "log", "not json"));
}

TEST(Dispatcher, RoutesToRegisteredProviders) {
  Dispatcher d;
  d.Register("net", {"v1/dns_lookup_host"},
             [](const CallContext& ctx, std::string_view op, std::string_view payload)
                 -> Result<std::string> {
               if (payload == "\"fail\"") return Fail(ErrorKind::kIo, "lookup failed");
               return std::string(ctx.policy_id) + ":" + std::string(op) + ":" + std::string(payload);
             });
  auto caps = HostCapabilities::Parse({"net/*"});
  ASSERT_TRUE(caps);
  CallContext ctx{"p9", &*caps};
  auto r = d.Call(ctx, "kubewarden", "net", "v1/dns_lookup_host", "\"example\"");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "p9:v1/dns_lookup_host:\"example\"");
  auto f = d.Call(ctx, "kubewarden", "net", "v1/dns_lookup_host", "\"fail\"");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().kind, ErrorKind::kHostError);
  EXPECT_EQ(f.error().message, "lookup failed");
}

}  // namespace
}  // namespace kw::host
