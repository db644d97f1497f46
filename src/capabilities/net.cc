#include "capabilities/net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/json.h"

namespace kw::capabilities {
namespace {

constexpr std::string_view kWhat = "cannot decode the net/v1/dns_lookup_host payload";

// What a lookup thread and the worker waiting for it share; whichever finishes last frees it.
struct Lookup {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<Result<std::vector<std::string>>> result;
};

class BoundedResolver {
 public:
  explicit BoundedResolver(NetOptions options) : options_(std::move(options)) {
    if (!options_.resolver) options_.resolver = ResolveHost;
  }

  Result<std::vector<std::string>> Resolve(
      const std::string& host, std::optional<std::chrono::steady_clock::time_point> deadline) {
    auto limit = std::chrono::steady_clock::now() + options_.max_lookup_time;
    if (deadline && *deadline < limit) limit = *deadline;
    if (limit <= std::chrono::steady_clock::now()) return TimedOut(host);
    if (in_flight_->fetch_add(1) >= options_.max_lookups_in_flight) {
      in_flight_->fetch_sub(1);
      return Fail(ErrorKind::kIo, "DNS lookup of '" + host + "' refused: " +
                                      std::to_string(options_.max_lookups_in_flight) +
                                      " lookups are already in progress");
    }
    auto lookup = std::make_shared<Lookup>();
    try {
      std::thread([lookup, host, resolver = options_.resolver, in_flight = in_flight_] {
        auto result = resolver(host);
        {
          std::lock_guard lock(lookup->mutex);
          lookup->result = std::move(result);
        }
        lookup->done.notify_one();
        in_flight->fetch_sub(1);
      }).detach();
    } catch (const std::system_error& e) {
      in_flight_->fetch_sub(1);
      return Fail(ErrorKind::kIo, "DNS lookup of '" + host + "': cannot start: " + e.what());
    }
    std::unique_lock lock(lookup->mutex);
    if (!lookup->done.wait_until(lock, limit, [&] { return lookup->result.has_value(); })) {
      return TimedOut(host);
    }
    return std::move(*lookup->result);
  }

 private:
  std::unexpected<Error> TimedOut(const std::string& host) const {
    return Fail(ErrorKind::kTimeout,
                "DNS lookup of '" + host + "' did not finish within " +
                    std::to_string(options_.max_lookup_time.count()) +
                    " ms or before the policy's deadline");
  }

  NetOptions options_;
  // Shared with the lookup threads, which may outlive the dispatcher.
  std::shared_ptr<std::atomic<std::size_t>> in_flight_ =
      std::make_shared<std::atomic<std::size_t>>(0);
};

std::string AddressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = address->sa_family == AF_INET
                        ? static_cast<const void*>(
                              &reinterpret_cast<const sockaddr_in*>(address)->sin_addr)
                        : static_cast<const void*>(
                              &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  if (inet_ntop(address->sa_family, raw, text, sizeof text) == nullptr) return {};
  return text;
}

}  // namespace

Result<std::string> DecodeDnsLookupHost(std::string_view payload) {
  if (payload.size() > kMaxDnsLookupPayload) {
    return Fail(ErrorKind::kInvalidArgument,
                std::string(kWhat) + ": " + std::to_string(payload.size()) +
                    " bytes is more than the limit of " + std::to_string(kMaxDnsLookupPayload) +
                    " bytes");
  }
  KW_ASSIGN_OR_RETURN(json::value value, ParseJson(payload, kWhat));
  if (!value.is_string()) {
    return Fail(ErrorKind::kInvalidArgument,
                std::string(kWhat) + ": expected a JSON string (the host name)");
  }
  std::string host(value.get_string());
  if (host.find('\0') != std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument,
                std::string(kWhat) + ": the host name contains a NUL character");
  }
  return host;
}

Result<std::vector<std::string>> ResolveHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return Fail(ErrorKind::kNotFound,
                "DNS lookup of '" + host + "' failed: " +
                    (rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc)));
  }
  std::vector<std::string> ips;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    if (std::string ip = AddressText(a->ai_addr); !ip.empty()) ips.push_back(std::move(ip));
  }
  freeaddrinfo(found);
  return ips;
}

void RegisterNet(host::Dispatcher& dispatcher, NetOptions options) {
  auto resolver = std::make_shared<BoundedResolver>(std::move(options));
  dispatcher.Register(
      "net", {"v1/dns_lookup_host"},
      [resolver](const host::CallContext& ctx, std::string_view,
                 std::string_view payload) -> Result<std::string> {
        KW_ASSIGN_OR_RETURN(std::string host, DecodeDnsLookupHost(payload));
        KW_ASSIGN_OR_RETURN(std::vector<std::string> ips, resolver->Resolve(host, ctx.deadline));
        json::array list;
        for (auto& ip : ips) list.emplace_back(ip);
        return ToJson(json::object{{"ips", std::move(list)}});
      });
}

}  // namespace kw::capabilities
