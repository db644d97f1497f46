// The `net` host capabilities: `net/v1/dns_lookup_host`.
//
// The payload is a JSON string, the host name; the answer `{"ips": [...]}` lists its IPv4 and
// IPv6 addresses in getaddrinfo's order (RFC 6724 sorting), one entry per address and socket
// type SOCK_STREAM, without further de-duplication, as upstream's `dns_lookup::lookup_host`.
// There is no cache, as in upstream's code (its docs promise one of a minute).
//
// getaddrinfo blocks for as long as the resolver likes, and the watchdog cannot interrupt a guest
// waiting in the host. So a lookup runs on a helper thread of its own while the worker waits at
// most until the policy's deadline, and never longer than `max_lookup_time`; a lookup that does
// not finish by then is a host error and its thread is left to finish alone. At most
// `max_lookups_in_flight` such threads exist at once (beyond that a lookup fails at once), so a
// policy asking thousands of times a second of a resolver that hangs cannot pile threads up.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "host/host.h"

namespace kw::capabilities {

// A dns_lookup_host payload above this size is refused before it is parsed (a host name has at
// most 253 bytes; JSON escapes may triple that).
inline constexpr std::size_t kMaxDnsLookupPayload = 1024;

// Resolves a host name to its addresses in text form ("127.0.0.1", "::1"), blocking.
using HostResolver = std::function<Result<std::vector<std::string>>(const std::string& host)>;

struct NetOptions {
  std::chrono::milliseconds max_lookup_time{5000};
  std::size_t max_lookups_in_flight = 32;
  HostResolver resolver;  // empty: ResolveHost (getaddrinfo); tests substitute slow ones
};

// The host name of a dns_lookup_host payload. kInvalidArgument with a message that says what is
// wrong: not JSON, not a string, too large, a NUL byte.
Result<std::string> DecodeDnsLookupHost(std::string_view payload);

// getaddrinfo(host, AF_UNSPEC, SOCK_STREAM). kNotFound with gai_strerror's text when the name
// does not resolve.
Result<std::vector<std::string>> ResolveHost(const std::string& host);

// Registers the `net` namespace.
void RegisterNet(host::Dispatcher& dispatcher, NetOptions options = {});

}  // namespace kw::capabilities
