#include "base/files.h"

#include "base/strings.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kw {
namespace {

std::string_view FileTypeName(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Appends what `fd` holds to `out`, failing once more than `max_bytes` arrived (a pipe or a
// device has no size to check beforehand; /dev/zero never ends).
template <typename Bytes>
Result<void> ReadFd(int fd, const std::string& what, std::size_t max_bytes, Bytes& out) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrorKind::kIo, "cannot read " + what + ": " + std::strerror(errno));
    }
    if (n == 0) return {};
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Fail(ErrorKind::kInvalidArgument,
                  what + " is larger than the " + ByteSize(max_bytes) + " limit");
    }
    out.insert(out.end(), buf, buf + n);
  }
}

template <typename Bytes>
Result<Bytes> ReadPath(const std::string& path, std::size_t max_bytes, FileTypes types) {
  int flags = O_RDONLY | O_CLOEXEC;
  // Opening a FIFO for reading waits for a writer; with O_NONBLOCK the open returns at once and
  // the type check below refuses it. Reads of regular files ignore the flag.
  if (types == FileTypes::kRegularOnly) flags |= O_NONBLOCK;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    int err = errno;
    return Fail(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                "cannot open " + path + ": " + std::strerror(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    return Fail(ErrorKind::kIo, "cannot read " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return Fail(ErrorKind::kInvalidArgument, "cannot read " + path + ": it is a directory");
  }
  Bytes out;
  if (S_ISREG(st.st_mode)) {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > max_bytes) return std::unexpected(TooLarge(path, size, max_bytes));
    out.reserve(size);  // the file may still grow; ReadFd keeps to the cap regardless
  } else if (types == FileTypes::kRegularOnly) {
    return Fail(ErrorKind::kInvalidArgument, "cannot read " + path + ": it is " +
                                                 std::string(FileTypeName(st.st_mode)) +
                                                 ", not a regular file");
  }
  KW_TRY(ReadFd(fd, path, max_bytes, out));
  return out;
}

}  // namespace

Error TooLarge(std::string_view what, std::uint64_t size, std::uint64_t limit) {
  return Error(ErrorKind::kInvalidArgument, std::string(what) + " is " + ByteSize(size) +
                                                ", more than the " + ByteSize(limit) + " limit");
}

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes, FileTypes types) {
  return ReadPath<std::string>(path, max_bytes, types);
}

Result<std::vector<std::uint8_t>> ReadBinaryFile(const std::string& path, std::size_t max_bytes,
                                                 FileTypes types) {
  return ReadPath<std::vector<std::uint8_t>>(path, max_bytes, types);
}

Result<std::string> ReadConfigFile(const std::string& path) {
  return ReadFile(path, kMaxConfigFileBytes);
}

Result<std::string> ReadStdin(std::size_t max_bytes) {
  std::string out;
  KW_TRY(ReadFd(STDIN_FILENO, "standard input", max_bytes, out));
  return out;
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

namespace {

std::int64_t Nanoseconds(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

std::optional<FileIdentity> IdentifyFile(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, Nanoseconds(st.st_mtim),
                      Nanoseconds(st.st_ctim)};
}

}  // namespace kw
