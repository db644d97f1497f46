// Recording and replaying a policy's host-capability calls: kwctl's
// `--record-host-capabilities-interactions FILE` and `--replay-host-capabilities-interactions
// FILE` (tooling.md §1.6), in upstream's session format so that sessions move both ways between
// upstream kwctl and ours.
//
// A session file is a YAML sequence of exchanges, in the order the calls were made:
//
//   - type: Exchange
//     request: |
//       !KubernetesGetResource
//       api_version: v1
//       kind: Namespace
//       name: default
//       namespace: null
//       disable_cache: false
//     response:
//       type: Success           # or `type: Error` with `message: <text>`
//       payload: '{"apiVersion":"v1",...}'
//
// `request` is a string: the host call as upstream's CallbackRequestType enum, serialized by
// serde_yaml (the variant as a `!Tag`, then its fields in declaration order, Option fields as
// null). Requests are compared as values, never as text, so quoting and layout do not matter.
//
// Only the namespaces served by providers are recorded (oci, net, crypto, kubernetes);
// tracing/log never is. The capability gate runs before any of this (host/host.h).
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "host/host.h"

namespace kw::capabilities {

// A session file above this size is refused before it is parsed: list answers of a large
// cluster run to megabytes, and the parse costs memory in proportion (base/yaml.h).
inline constexpr std::size_t kMaxSessionFileBytes = 64u << 20;

// One host call as upstream's CallbackRequestType value: the variant's name and its fields, in
// upstream's declaration order, absent Option fields as null. Compared by value.
struct CallbackRequest {
  std::string variant;  // "DNSLookupHost", "KubernetesGetResource", ...
  json::object fields;
  bool operator==(const CallbackRequest& other) const {
    return variant == other.variant && fields == other.fields;
  }
};

// The host call a policy makes: what it asks, of which namespace and operation.
struct HostCall {
  std::string ns;
  std::string operation;
  std::string payload;  // JSON
};

// The request of a host call. kInvalidArgument naming the field at fault when the payload does
// not decode as upstream's serde would read it; kNotFound for a namespace or operation that has
// no request variant (tracing/log, unknown ones).
Result<CallbackRequest> RequestFromHostCall(std::string_view ns, std::string_view operation,
                                            std::string_view payload);

// The host call that makes `request`. Both oci verify versions map onto the Sigstore* variants;
// back they become oci/v2/verify, the one version that has all five.
HostCall HostCallFromRequest(const CallbackRequest& request);

// serde_yaml's text of the request: "!DNSLookupHost\nhost: localhost\n".
std::string RequestToYaml(const CallbackRequest& request);

// Reads a request back, checking it against the variant's fields as serde would: an unknown
// tag, a missing field (Option fields may be absent), or a field of the wrong type is a
// kInvalidArgument error that says which. Unknown fields are ignored, as serde does.
Result<CallbackRequest> RequestFromYaml(std::string_view text);

// One exchange: what the policy asked and what it got (a payload, or the host error message).
struct Exchange {
  CallbackRequest request;
  Result<std::string> response;
};

// One exchange as an item of the session's YAML sequence ("- type: Exchange\n  ...").
std::string ExchangeToYaml(const Exchange& exchange);

// A whole session. kInvalidArgument "invalid host capabilities session <file>: ..." naming the
// exchange at fault (from 1) when the text is not a sequence of well-formed exchanges.
Result<std::vector<Exchange>> ParseSession(std::string_view text, std::string_view file);

// Appends every exchange to a session file as it happens, flushed at once, so a crash loses at
// most the exchange under way; the file is always a valid session once Finish ran, and a valid
// prefix of one before. Appending (not rewriting) keeps a long `kwctl bench` linear in time and
// constant in memory. Thread-safe.
class SessionRecorder {
 public:
  // Creates (or truncates) `path`; kIo when it cannot be written.
  static Result<std::shared_ptr<SessionRecorder>> Create(const std::string& path);
  ~SessionRecorder();
  SessionRecorder(const SessionRecorder&) = delete;
  SessionRecorder& operator=(const SessionRecorder&) = delete;

  // Appends one exchange. A response that is not UTF-8 cannot be written in the format and is
  // left out, with a warning. A write error is kept for Finish.
  void Record(const Exchange& exchange);

  // Closes the file, writing `[]` when nothing was recorded (an empty file is no sequence).
  // Returns the first write error, if any. Later Record calls are dropped.
  Result<void> Finish();

 private:
  SessionRecorder(std::string path, std::FILE* file);
  Result<void> WriteLocked(std::string_view text);

  const std::string path_;
  std::mutex mutex_;
  std::FILE* file_;  // guarded by mutex_; nullptr once finished
  std::size_t recorded_ = 0;
  std::optional<Error> write_error_;
};

// Answers host calls from a session, in order: each call takes the next exchange, which must
// have been recorded for an equal request, else the guest gets an error saying what was
// expected and what was asked. A call past the last exchange gets an error too, and the first
// such call is also logged as a warning. Thread-safe (calls are answered in the order they
// arrive).
class SessionReplayer {
 public:
  // Reads and checks the whole session up front, so that a malformed one is an error at
  // start-up naming the file and the exchange (upstream panics there, exit 101).
  static Result<std::shared_ptr<SessionReplayer>> Load(const std::string& path);
  explicit SessionReplayer(std::vector<Exchange> exchanges);

  // The recorded answer to `asked` (a kHostError error for a recorded error, a mismatch, or an
  // exhausted session).
  Result<std::string> Answer(const CallbackRequest& asked);

  std::size_t Remaining() const;
  // Logs the exchanges no call used (a warning each), as upstream does at the end.
  void LogLeftovers() const;

  // The number of exchanges used so far, and going back to an earlier such number: the calls
  // that follow are answered from there again. kwctl bench replays the same exchanges for
  // every iteration of an evaluation this way.
  std::size_t Position() const;
  void Rewind(std::size_t position);

 private:
  mutable std::mutex mutex_;
  const std::vector<Exchange> exchanges_;
  std::size_t next_ = 0;  // guarded by mutex_
  bool warned_exhausted_ = false;  // guarded by mutex_
};

// A provider of namespace `ns` that runs `real`, then records the call and its answer.
// Calls whose payload has no request (it does not decode) are answered but not recorded:
// upstream fails those before they reach its recorder.
host::Provider RecordingProvider(std::string ns, host::Provider real,
                                 std::shared_ptr<SessionRecorder> recorder);

// Registers replaying providers for every namespace and operation of the capability tree
// (host::HostCapabilities::KnownCapabilities but tracing), answering from `replayer`: no real
// provider is needed, so a replay reaches no cluster, registry or resolver.
void RegisterReplay(host::Dispatcher& dispatcher, std::shared_ptr<SessionReplayer> replayer);

}  // namespace kw::capabilities
