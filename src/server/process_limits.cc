#include "server/process_limits.h"

#include <malloc.h>
#include <string.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

namespace kw::server {

std::uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlim_t soft = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      spdlog::warn("cannot raise the open-file limit from {}: {}", soft, strerror(errno));
      limit.rlim_cur = soft;
    }
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur;
}

ConnectionLimits DefaultConnectionLimits(std::uint64_t open_files) {
  const std::uint64_t reserve = std::clamp<std::uint64_t>(open_files / 8, 128, 4096);
  ConnectionLimits limits;
  std::uint64_t api = open_files >= 2 * reserve ? open_files - reserve : open_files / 2;
  limits.api = static_cast<std::size_t>(std::max<std::uint64_t>(api, 1));
  limits.probes = static_cast<std::size_t>(std::clamp<std::uint64_t>(open_files / 16, 1, 64));
  return limits;
}

void TuneAllocatorForServing() {
  // A fixed threshold also turns off glibc's dynamic one, which after the first large free would
  // rise to that size and keep every later body of that size in the heap.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
}

void ReleaseFreeMemory() { malloc_trim(0); }

}  // namespace kw::server
