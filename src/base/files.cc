#include "base/files.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kw {
namespace {

Result<std::string> ReadFd(int fd, const std::string& what, std::size_t max_bytes) {
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrorKind::kIo, "cannot read " + what + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Fail(ErrorKind::kInvalidArgument,
                  what + " is larger than the " + std::to_string(max_bytes) + "-byte limit");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Fail(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                "cannot open " + path + ": " + std::strerror(err));
  }
  struct stat st{};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Fail(ErrorKind::kInvalidArgument, "cannot read " + path + ": it is a directory");
  }
  auto result = ReadFd(fd, path, max_bytes);
  ::close(fd);
  return result;
}

Result<std::vector<std::uint8_t>> ReadBinaryFile(const std::string& path, std::size_t max_bytes) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, max_bytes));
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

Result<std::string> ReadStdin(std::size_t max_bytes) {
  return ReadFd(STDIN_FILENO, "standard input", max_bytes);
}

Result<void> WriteFile(const std::string& path, std::string_view data) {
  // Unique per process and per call, so concurrent writers of one path (threads, or processes
  // sharing a cache directory) never write into each other's temporary file; the last rename
  // wins whole.
  static std::atomic<std::uint64_t> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(ErrorKind::kIo, "cannot create " + path + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Fail(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(err));
  }
  return {};
}

}  // namespace kw
