// Parsing JSON text into a simdjson DOM with parsers reused per thread. Private to the admission
// component: simdjson's header is large, so only the .cc files that need it include this.
//
// simdjson parses into memory owned by its parser, so a DOM lives until that parser's next
// parse. WithDom runs a callback while the DOM is alive. A thread keeps a few parsers, because
// the callbacks nest: a policy's answer and the request's object are both alive while one is
// diffed against the other.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "admission/request.h"
#include "base/error.h"
#include "base/json.h"

namespace kw::admission::internal {

// Texts up to this size are parsed with parsers and input buffers kept per thread, whose memory
// (several times the input size) stays allocated for the thread's life. Larger ones get their
// own, freed afterwards, so that one huge text does not pin its memory forever.
inline constexpr std::size_t kReusedDomCapacity = 256 * 1024;

struct DomScratch {
  simdjson::dom::parser parser;
  std::string buffer;
  bool ready = false;
  bool in_use = false;
};

// Parses `text` (depth bounded by kMaxJsonDepth) and returns `fn(root)`, computed while the DOM
// is alive. A syntax error is returned as `on_error(code)`.
template <typename OnError, typename Fn>
auto WithDom(std::string_view text, OnError&& on_error, Fn&& fn) -> decltype(fn(
    std::declval<simdjson::dom::element>())) {
  if (text.size() > simdjson::SIMDJSON_MAXSIZE_BYTES) return on_error(simdjson::CAPACITY);
  thread_local std::array<DomScratch, 3> reused;
  std::unique_ptr<DomScratch> own;
  DomScratch* scratch = nullptr;
  if (text.size() <= kReusedDomCapacity) {
    for (DomScratch& s : reused) {
      if (!s.in_use) {
        scratch = &s;
        break;
      }
    }
  }
  if (scratch == nullptr) {
    own = std::make_unique<DomScratch>();
    scratch = own.get();
  }
  if (!scratch->ready) {
    // Sized for this text; parse() grows it later as needed, keeping the depth bound. simdjson
    // accepts depths below its bound, Boost.JSON up to its bound.
    const std::size_t capacity = std::max<std::size_t>(text.size(), 4096);
    if (scratch->parser.allocate(capacity, kMaxJsonDepth + 1) != simdjson::SUCCESS) {
      return on_error(simdjson::MEMALLOC);
    }
    scratch->ready = true;
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
  scratch->buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  scratch->buffer.assign(text);
  scratch->buffer.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  if (const auto code = scratch->parser.parse(scratch->buffer.data(), text.size(), false).get(root);
      code != simdjson::SUCCESS) {
    return on_error(code);
  }
  // Released on every exit, so that a later parse on this thread may reuse the parser.
  struct Release {
    DomScratch* s;
    ~Release() { s->in_use = false; }
  } release{scratch};
  scratch->in_use = true;
  return fn(root);
}

// Appends the compact serialization of `value` to `out`, with json_util.h's string escaping.
// Floating-point numbers keep a fraction or exponent (1.0 stays a float, as serde_json writes
// it), so that a value's type survives the round trip.
void AppendElementJson(std::string& out, simdjson::dom::element value);

// `value` as a Boost.JSON DOM (for small values only: it allocates per node).
json::value ElementToJson(simdjson::dom::element value);

// Whether the JSON text `text` is `null` (surrounding whitespace allowed).
bool IsJsonNull(std::string_view text);

}  // namespace kw::admission::internal
