#include "tracing/span.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

namespace kw::tracing {
namespace {

thread_local Span* current_span = nullptr;

// Random bytes, from a per-thread block refilled from getrandom(2).
void FillRandom(std::uint8_t* out, std::size_t size) {
  struct Pool {
    std::array<std::uint8_t, 4096> bytes;
    std::size_t used = 4096;
  };
  thread_local Pool pool;
  while (size > 0) {
    if (pool.used == pool.bytes.size()) {
      std::size_t filled = 0;
      while (filled < pool.bytes.size()) {
        ssize_t n = getrandom(pool.bytes.data() + filled, pool.bytes.size() - filled, 0);
        if (n > 0) {
          filled += static_cast<std::size_t>(n);
        } else if (errno != EINTR) {
          // No getrandom (a very old kernel, a seccomp filter): std::random_device reads the
          // same source through another path.
          std::random_device device;
          for (; filled < pool.bytes.size(); ++filled) {
            pool.bytes[filled] = static_cast<std::uint8_t>(device());
          }
        }
      }
      pool.used = 0;
    }
    const std::size_t take = std::min(size, pool.bytes.size() - pool.used);
    std::memcpy(out, pool.bytes.data() + pool.used, take);
    pool.used += take;
    out += take;
    size -= take;
  }
}

template <std::size_t N>
std::array<std::uint8_t, N> NonZeroRandom() {
  std::array<std::uint8_t, N> id{};
  do {
    FillRandom(id.data(), N);
  } while (std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; }));
  return id;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is invalid in traceparent
}

// `text` (2*N lowercase hex digits) into `out`; false when it is not that or is all zeros.
template <std::size_t N>
bool ParseHexId(std::string_view text, std::array<std::uint8_t, N>& out) {
  if (text.size() != 2 * N) return false;
  bool zero = true;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = HexDigit(text[2 * i]);
    const int lo = HexDigit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    zero = zero && out[i] == 0;
  }
  return !zero;
}

std::string Cut(std::string_view value, bool detailed) {
  const std::size_t limit = detailed ? kMaxDetailedStringValueBytes : kMaxStringValueBytes;
  if (value.size() <= limit) return std::string(value);
  std::size_t end = limit;
  // Back to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return std::string(value.substr(0, end));
}

}  // namespace

std::optional<SpanContext> ParseTraceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55 characters.
  constexpr std::size_t kLength = 55;
  if (header.size() < kLength || header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return std::nullopt;
  }
  const int v_hi = HexDigit(header[0]), v_lo = HexDigit(header[1]);
  if (v_hi < 0 || v_lo < 0) return std::nullopt;
  const int version = v_hi << 4 | v_lo;
  if (version == 0xff) return std::nullopt;
  // Version 00 is exactly this long; a later version may add fields after a '-'.
  if (header.size() > kLength && (version == 0 || header[kLength] != '-')) return std::nullopt;
  SpanContext context;
  if (!ParseHexId(header.substr(3, 32), context.trace_id) ||
      !ParseHexId(header.substr(36, 16), context.span_id)) {
    return std::nullopt;
  }
  const int f_hi = HexDigit(header[53]), f_lo = HexDigit(header[54]);
  if (f_hi < 0 || f_lo < 0) return std::nullopt;
  context.sampled = ((f_hi << 4 | f_lo) & 1) != 0;
  return context;
}

TraceId NewTraceId() { return NonZeroRandom<16>(); }
SpanId NewSpanId() { return NonZeroRandom<8>(); }

std::string Hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(2 * size, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return hex;
}

std::uint64_t NowUnixNano() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Span Span::Start(SpanSink& sink, std::string_view name, SpanKind kind,
                 const std::optional<SpanContext>& parent) {
  Span span;
  if (parent && !parent->sampled) return span;
  span.sink_ = &sink;
  span.data_.trace_id = parent ? parent->trace_id : NewTraceId();
  if (parent) span.data_.parent_span_id = parent->span_id;
  span.data_.span_id = NewSpanId();
  span.data_.name = std::string(name);
  span.data_.kind = kind;
  span.data_.start_unix_nano = NowUnixNano();
  // Enough for a request span's attributes (api.h) without growing the vector on the way.
  span.data_.attributes.reserve(kind == SpanKind::kServer ? 20 : 8);
  return span;
}

Span Span::StartChild(std::string_view name) const {
  if (!recording()) return Span();
  Span child = Start(*sink_, name, SpanKind::kInternal,
                     SpanContext{data_.trace_id, data_.span_id, true});
  child.detailed_ = detailed_;
  return child;
}

Span::Span(Span&& other) noexcept
    : sink_(other.sink_),
      data_(std::move(other.data_)),
      event_bytes_(other.event_bytes_),
      detailed_(other.detailed_) {
  other.sink_ = nullptr;
  other.detailed_ = false;
}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    End();
    sink_ = other.sink_;
    data_ = std::move(other.data_);
    event_bytes_ = other.event_bytes_;
    detailed_ = other.detailed_;
    other.sink_ = nullptr;
    other.detailed_ = false;
  }
  return *this;
}

void Span::Add(std::string_view key, AttributeValue value) {
  if (data_.attributes.size() >= kMaxAttributes) {
    ++data_.dropped_attributes;
    return;
  }
  data_.attributes.push_back({std::string(key), std::move(value)});
}

void Span::SetString(std::string_view key, std::string_view value) {
  if (recording()) Add(key, Cut(value, detailed_));
}
void Span::SetBool(std::string_view key, bool value) {
  if (recording()) Add(key, value);
}
void Span::SetInt(std::string_view key, std::int64_t value) {
  if (recording()) Add(key, value);
}

void Span::AddEvent(std::string_view name, std::vector<Attribute> attributes) {
  if (!recording()) return;
  if (attributes.size() > kMaxAttributes) attributes.resize(kMaxAttributes);
  std::size_t bytes = name.size();
  for (const Attribute& a : attributes) {
    bytes += a.key.size() + sizeof(AttributeValue);
    if (const auto* s = std::get_if<std::string>(&a.value)) bytes += s->size();
  }
  const std::size_t byte_limit = detailed_ ? kMaxDetailedEventBytesPerSpan : kMaxEventBytesPerSpan;
  if (data_.events.size() >= kMaxEventsPerSpan || event_bytes_ + bytes > byte_limit) {
    ++data_.dropped_events;
    return;
  }
  event_bytes_ += bytes;
  data_.events.push_back({std::string(name), NowUnixNano(), std::move(attributes)});
}

void Span::End() {
  if (!recording()) return;
  data_.end_unix_nano = NowUnixNano();
  SpanSink* sink = sink_;
  sink_ = nullptr;
  detailed_ = false;
  sink->Record(std::move(data_));
}

Attribute StringAttribute(std::string_view key, std::string_view value, bool detailed) {
  return {std::string(key), Cut(value, detailed)};
}

CurrentSpan::CurrentSpan(Span& span) : previous_(current_span) { current_span = &span; }
CurrentSpan::~CurrentSpan() { current_span = previous_; }

Span* CurrentSpan::Get() { return current_span; }

Span CurrentSpan::StartChild(std::string_view name) {
  return current_span != nullptr ? current_span->StartChild(name) : Span();
}

}  // namespace kw::tracing
