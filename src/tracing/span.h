// Spans: what policy-server records of each admission request and each policy evaluation when
// tracing is on (--log-fmt otlp, policy-server.md §5.3), in OpenTelemetry's data model.
//
// A Span records from Start to End (or its destruction) and then hands its SpanData to a
// SpanSink (batch_processor.h), which exports it later, elsewhere. A default-constructed Span
// records nothing and costs nothing: every call on it returns at once, so instrumented code
// does not ask whether tracing is on.
//
// CurrentSpan makes a span the one the work under way on this thread belongs to: nested
// evaluations start their children from it, and guest logs become its events, without passing
// it through every layer in between. Spans are not thread-safe; one thread records each.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kw::tracing {

using TraceId = std::array<std::uint8_t, 16>;
using SpanId = std::array<std::uint8_t, 8>;

using AttributeValue = std::variant<std::string, bool, std::int64_t, double>;
struct Attribute {
  std::string key;
  AttributeValue value;
};

struct SpanEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  std::vector<Attribute> attributes;
};

// OpenTelemetry's SpanKind, with its protobuf numbers.
enum class SpanKind { kInternal = 1, kServer = 2 };

// Limits on what one span keeps (what a guest logs is not bounded otherwise): OpenTelemetry's
// default span limits for the counts, and our own for the length of a string value and for the
// bytes of all its events, so that a full export queue stays within tens of MiB however much a
// guest logs.
inline constexpr std::size_t kMaxEventsPerSpan = 128;
inline constexpr std::size_t kMaxAttributes = 128;  // per span and per event
inline constexpr std::size_t kMaxStringValueBytes = 4096;
inline constexpr std::size_t kMaxEventBytesPerSpan = 32 * 1024;
// A detailed span's (below): an explanation shows whole patches and every host call of a
// request, still within bounds whatever a guest does.
inline constexpr std::size_t kMaxDetailedStringValueBytes = 256 * 1024;
inline constexpr std::size_t kMaxDetailedEventBytesPerSpan = 256 * 1024;

struct SpanData {
  TraceId trace_id{};
  SpanId span_id{};
  std::optional<SpanId> parent_span_id;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  std::vector<Attribute> attributes;
  std::vector<SpanEvent> events;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
};

// Takes the spans that ended. Must not block: it runs on the threads that serve requests.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void Record(SpanData span) = 0;
};

// Where a span continues a trace started elsewhere: a W3C `traceparent` header's.
struct SpanContext {
  TraceId trace_id{};
  SpanId span_id{};
  bool sampled = true;
};

// Parses a `traceparent` header (W3C Trace Context): "00-<trace id>-<parent id>-<flags>" in
// lowercase hex, or a later version's longer form. nullopt for anything invalid (all-zero ids,
// version ff, uppercase, wrong lengths), which then starts a new trace, as the recommendation
// says.
std::optional<SpanContext> ParseTraceparent(std::string_view header);

// Random ids, never all zero, from the kernel's generator (getrandom), read in blocks so that
// a span costs no system call.
TraceId NewTraceId();
SpanId NewSpanId();

// Lowercase hex, as traceparent and OTLP/JSON write ids.
std::string Hex(const std::uint8_t* bytes, std::size_t size);
template <std::size_t N>
std::string Hex(const std::array<std::uint8_t, N>& id) {
  return Hex(id.data(), N);
}

// Nanoseconds since the epoch, now.
std::uint64_t NowUnixNano();

class Span {
 public:
  Span() = default;  // records nothing
  // A span recorded into `sink` when it ends: the root of a new trace, or, with a sampled
  // `parent`, its child. A parent that was not sampled gives a span that records nothing
  // (OpenTelemetry's default sampler, parent-based).
  static Span Start(SpanSink& sink, std::string_view name, SpanKind kind,
                    const std::optional<SpanContext>& parent = std::nullopt);
  // A child of this span (kInternal); records nothing when this one does not.
  Span StartChild(std::string_view name) const;

  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { End(); }

  bool recording() const { return sink_ != nullptr; }

  // A detailed span also records what only an explained decision needs (evaluator/
  // explanation.h): patches, warnings, host calls, a group's short-circuits; its strings and
  // events may be larger. Its children are detailed too. Exported traces never are, so they
  // keep their size and cost. Only a recording span can be detailed.
  void SetDetailed() { detailed_ = recording(); }
  bool detailed() const { return detailed_; }

  // Attributes, in the order set; string values longer than kMaxStringValueBytes are cut (at a
  // UTF-8 character boundary).
  void SetString(std::string_view key, std::string_view value);
  void SetBool(std::string_view key, bool value);
  void SetInt(std::string_view key, std::int64_t value);
  // An event now (past kMaxEventsPerSpan or kMaxEventBytesPerSpan, counted as dropped instead).
  void AddEvent(std::string_view name, std::vector<Attribute> attributes);

  // Hands the span to its sink; later calls do nothing. Idempotent.
  void End();

 private:
  void Add(std::string_view key, AttributeValue value);

  SpanSink* sink_ = nullptr;
  SpanData data_;
  std::size_t event_bytes_ = 0;
  bool detailed_ = false;
};

// An attribute with a string value cut to kMaxStringValueBytes (kMaxDetailedStringValueBytes
// with `detailed`): for events' attributes.
Attribute StringAttribute(std::string_view key, std::string_view value, bool detailed = false);

// While it lives, `span` is the current span of this thread (the previous one again after).
class CurrentSpan {
 public:
  explicit CurrentSpan(Span& span);
  ~CurrentSpan();
  CurrentSpan(const CurrentSpan&) = delete;
  CurrentSpan& operator=(const CurrentSpan&) = delete;

  // The current span of this thread; nullptr when none.
  static Span* Get();
  // A child of the current span, or a span that records nothing when there is none.
  static Span StartChild(std::string_view name);

 private:
  Span* previous_;
};

}  // namespace kw::tracing
