#include "tracing/span.h"

#include <set>

#include <gtest/gtest.h>

namespace kw::tracing {
namespace {

struct CollectingSink final : SpanSink {
  std::vector<SpanData> spans;
  void Record(SpanData span) override { spans.push_back(std::move(span)); }
};

const AttributeValue* Find(const std::vector<Attribute>& attributes, std::string_view key) {
  for (const Attribute& a : attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

TEST(ParseTraceparent, AcceptsTheW3cForm) {
  auto context = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(Hex(context->trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Hex(context->span_id), "00f067aa0ba902b7");
  EXPECT_TRUE(context->sampled);
  auto unsampled = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_FALSE(unsampled->sampled);
  // A later version may carry more, after a '-'.
  EXPECT_TRUE(
      ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-next"));
}

TEST(ParseTraceparent, RefusesWhatTheRecommendationRefuses) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",         // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",    // v00 with more
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // version ff
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",      // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",      // zero span id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",      // uppercase
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",      // misplaced dash
           "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",     // later version, no dash
           "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(Ids, AreRandomAndNeverZero) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    TraceId t = NewTraceId();
    SpanId s = NewSpanId();
    EXPECT_NE(Hex(t), std::string(32, '0'));
    EXPECT_NE(Hex(s), std::string(16, '0'));
    seen.insert(Hex(t));
    seen.insert(Hex(s));
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(Span, ChildrenShareTheTraceAndNameTheirParent) {
  CollectingSink sink;
  {
    Span root = Span::Start(sink, "validation", SpanKind::kServer);
    root.SetString("policy_id", "p");
    root.SetBool("allowed", true);
    root.SetInt("response_code", 403);
    {
      Span child = root.StartChild("policy_evaluation");
      EXPECT_TRUE(child.recording());
    }
    EXPECT_EQ(sink.spans.size(), 1u);  // the child ended first
  }
  ASSERT_EQ(sink.spans.size(), 2u);
  const SpanData& child = sink.spans[0];
  const SpanData& root = sink.spans[1];
  EXPECT_EQ(root.name, "validation");
  EXPECT_EQ(root.kind, SpanKind::kServer);
  EXPECT_FALSE(root.parent_span_id.has_value());
  EXPECT_EQ(child.trace_id, root.trace_id);
  EXPECT_EQ(child.parent_span_id, root.span_id);
  EXPECT_EQ(child.kind, SpanKind::kInternal);
  EXPECT_LE(root.start_unix_nano, child.start_unix_nano);
  EXPECT_LE(child.end_unix_nano, root.end_unix_nano);
  EXPECT_EQ(std::get<std::string>(*Find(root.attributes, "policy_id")), "p");
  EXPECT_EQ(std::get<bool>(*Find(root.attributes, "allowed")), true);
  EXPECT_EQ(std::get<std::int64_t>(*Find(root.attributes, "response_code")), 403);
}

TEST(Span, ContinuesARemoteParentUnlessItWasNotSampled) {
  CollectingSink sink;
  auto parent = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  Span::Start(sink, "audit", SpanKind::kServer, parent).End();
  ASSERT_EQ(sink.spans.size(), 1u);
  EXPECT_EQ(Hex(sink.spans[0].trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Hex(*sink.spans[0].parent_span_id), "00f067aa0ba902b7");

  parent->sampled = false;
  Span unsampled = Span::Start(sink, "audit", SpanKind::kServer, parent);
  EXPECT_FALSE(unsampled.recording());
  EXPECT_FALSE(unsampled.StartChild("x").recording());
  unsampled.End();
  EXPECT_EQ(sink.spans.size(), 1u);
}

TEST(Span, ANullSpanRecordsNothing) {
  Span span;
  span.SetString("a", "b");
  span.AddEvent("e", {});
  EXPECT_FALSE(span.recording());
  EXPECT_FALSE(span.StartChild("c").recording());
  span.End();
}

TEST(Span, EndsOnceWhateverHappensToIt) {
  CollectingSink sink;
  Span span = Span::Start(sink, "a", SpanKind::kInternal);
  Span moved = std::move(span);
  moved.End();
  moved.End();
  span.End();
  Span other = Span::Start(sink, "b", SpanKind::kInternal);
  other = Span::Start(sink, "c", SpanKind::kInternal);  // "b" ends here
  other.End();
  ASSERT_EQ(sink.spans.size(), 3u);
  EXPECT_EQ(sink.spans[1].name, "b");
  EXPECT_EQ(sink.spans[2].name, "c");
}

TEST(Span, KeepsWhatAGuestSaysBounded) {
  CollectingSink sink;
  {
    Span span = Span::Start(sink, "a", SpanKind::kInternal);
    for (std::size_t i = 0; i < kMaxEventsPerSpan + 5; ++i) {
      span.AddEvent("policy_log", {StringAttribute("message", "m")});
    }
    for (std::size_t i = 0; i < kMaxAttributes + 2; ++i) span.SetInt("k", 1);
    // "é" is 2 bytes: a cut in its middle backs off to its start.
    std::string long_value(kMaxStringValueBytes - 1, 'x');
    long_value += "é";
    span.SetString("long", long_value);
  }
  ASSERT_EQ(sink.spans.size(), 1u);
  EXPECT_EQ(sink.spans[0].events.size(), kMaxEventsPerSpan);
  EXPECT_EQ(sink.spans[0].dropped_events, 5u);
  EXPECT_EQ(sink.spans[0].attributes.size(), kMaxAttributes);
  EXPECT_EQ(sink.spans[0].dropped_attributes, 3u);  // two more ints and "long"
  Attribute cut = StringAttribute("m", std::string(kMaxStringValueBytes - 1, 'x') + "é");
  EXPECT_EQ(std::get<std::string>(cut.value).size(), kMaxStringValueBytes - 1);
}

TEST(Span, BoundsTheBytesOfItsEvents) {
  CollectingSink sink;
  {
    Span span = Span::Start(sink, "a", SpanKind::kInternal);
    for (int i = 0; i < 20; ++i) {
      span.AddEvent("policy_log", {StringAttribute("message", std::string(10000, 'm'))});
    }
  }
  ASSERT_EQ(sink.spans.size(), 1u);
  const std::size_t kept = sink.spans[0].events.size();
  EXPECT_GE(kept, 1u);
  EXPECT_LE(kept * kMaxStringValueBytes, kMaxEventBytesPerSpan);
  EXPECT_EQ(kept + sink.spans[0].dropped_events, 20u);
}

TEST(CurrentSpan, IsPerThreadAndNests) {
  CollectingSink sink;
  EXPECT_EQ(CurrentSpan::Get(), nullptr);
  EXPECT_FALSE(CurrentSpan::StartChild("x").recording());
  Span outer = Span::Start(sink, "outer", SpanKind::kServer);
  {
    CurrentSpan a(outer);
    Span inner = CurrentSpan::StartChild("inner");
    {
      CurrentSpan b(inner);
      EXPECT_EQ(CurrentSpan::Get(), &inner);
      CurrentSpan::Get()->AddEvent("policy_log", {});
    }
    EXPECT_EQ(CurrentSpan::Get(), &outer);
  }
  EXPECT_EQ(CurrentSpan::Get(), nullptr);
  outer.End();
  ASSERT_EQ(sink.spans.size(), 2u);
  EXPECT_EQ(sink.spans[0].name, "inner");
  EXPECT_EQ(sink.spans[0].events.size(), 1u);
  EXPECT_EQ(sink.spans[0].parent_span_id, sink.spans[1].span_id);
}

}  // namespace
}  // namespace kw::tracing
