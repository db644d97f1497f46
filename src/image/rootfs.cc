#include "image/rootfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <vector>

namespace kw::image {
namespace {

Error Invalid(std::string message) { return Error(ErrorKind::kInvalidArgument, std::move(message)); }

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

Result<void> CheckImagePath(const std::string& path) {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
      path.find("//") != std::string::npos) {
    return std::unexpected(Invalid(fmt::format("'{}' is not a normalised absolute path", path)));
  }
  for (const std::string& part : SplitPath(path)) {
    if (part == "." || part == "..") {
      return std::unexpected(Invalid(fmt::format("'{}' has a '.' or '..' component", path)));
    }
  }
  return {};
}

// `path` with "." and ".." resolved lexically. Only applied to paths whose prefix up to any ".."
// has no symlink left in it (CopyHostPath resolves symlinks from the left), so this is exact.
std::string Normalise(std::string_view path) {
  std::vector<std::string> out;
  for (std::string& part : SplitPath(path)) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(part));
  }
  std::string joined;
  for (const std::string& part : out) joined += "/" + part;
  return joined.empty() ? "/" : joined;
}

Result<struct stat> LStat(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    return std::unexpected(Error(errno == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                                 fmt::format("{}: {}", path, std::strerror(errno))));
  }
  return st;
}

Result<std::string> ReadLink(const std::string& path) {
  std::error_code error;
  std::filesystem::path target = std::filesystem::read_symlink(path, error);
  if (error) return std::unexpected(Error(ErrorKind::kIo, fmt::format("{}: {}", path, error.message())));
  return target.string();
}

std::string_view TypeName(EntryType type) {
  switch (type) {
    case EntryType::kDirectory: return "directory";
    case EntryType::kSymlink: return "symlink";
    case EntryType::kFile: return "file";
  }
  return "entry";
}

}  // namespace

Result<void> RootFs::EnsureParents(const std::string& path) {
  std::string ancestor;
  std::vector<std::string> parts = SplitPath(path);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    ancestor += "/" + parts[i];
    auto found = entries_.find(ancestor);
    if (found == entries_.end()) {
      entries_[ancestor] = RootFsEntry{.type = EntryType::kDirectory, .mode = 0755};
      implicit_.insert(ancestor);
    } else if (found->second.type != EntryType::kDirectory) {
      return std::unexpected(Invalid(fmt::format("'{}' lies under the {} '{}'", path,
                                                 TypeName(found->second.type), ancestor)));
    }
  }
  return {};
}

Result<void> RootFs::Put(const std::string& path, RootFsEntry entry) {
  if (auto ok = CheckImagePath(path); !ok) return ok;
  if (auto ok = EnsureParents(path); !ok) return ok;
  auto found = entries_.find(path);
  if (found == entries_.end()) {
    entries_.emplace(path, std::move(entry));
    return {};
  }
  // A directory made only to hold children takes whatever a declaration says about it.
  if (implicit_.contains(path) && entry.type == EntryType::kDirectory) {
    found->second = std::move(entry);
    implicit_.erase(path);
    return {};
  }
  if (found->second == entry) return {};
  return std::unexpected(Invalid(fmt::format("'{}' is declared twice, differently", path)));
}

Result<void> RootFs::AddDirectory(const std::string& path, std::uint32_t mode, Owner owner) {
  return Put(path, {.type = EntryType::kDirectory, .mode = mode & 07777, .uid = owner.uid,
                    .gid = owner.gid});
}

Result<void> RootFs::AddFile(const std::string& path, const std::string& host_path,
                             std::optional<std::uint32_t> mode, Owner owner) {
  auto st = LStat(host_path);
  if (!st) return std::unexpected(st.error());
  if (!S_ISREG(st->st_mode)) {
    return std::unexpected(Invalid(fmt::format("{} is not a regular file", host_path)));
  }
  return Put(path, {.type = EntryType::kFile,
                    .mode = mode.value_or(st->st_mode) & 07777,
                    .uid = owner.uid,
                    .gid = owner.gid,
                    .host_path = host_path});
}

Result<void> RootFs::AddSymlink(const std::string& path, const std::string& target) {
  if (target.empty()) return std::unexpected(Invalid(fmt::format("'{}': empty symlink target", path)));
  return Put(path, {.type = EntryType::kSymlink, .mode = 0777, .target = target});
}

Result<void> RootFs::CopyHostPath(const std::string& host_path) {
  if (host_path.empty() || host_path.front() != '/') {
    return std::unexpected(Invalid(fmt::format("'{}' is not an absolute path", host_path)));
  }
  std::string pending = Normalise(host_path);
  // As the kernel's limit on symlinks followed in one lookup.
  for (int hops = 0; hops <= 40; ++hops) {
    std::vector<std::string> parts = SplitPath(pending);
    if (parts.empty()) return std::unexpected(Invalid(fmt::format("cannot copy '{}'", host_path)));
    std::string current;
    bool restarted = false;
    for (std::size_t i = 0; i < parts.size() && !restarted; ++i) {
      current += "/" + parts[i];
      bool last = i + 1 == parts.size();
      auto st = LStat(current);
      if (!st) return std::unexpected(st.error());
      if (S_ISLNK(st->st_mode)) {
        auto target = ReadLink(current);
        if (!target) return std::unexpected(target.error());
        if (auto ok = AddSymlink(current, *target); !ok) return ok;
        std::string base = target->front() == '/'
                               ? *target
                               : current.substr(0, current.rfind('/')) + "/" + *target;
        for (std::size_t j = i + 1; j < parts.size(); ++j) base += "/" + parts[j];
        pending = Normalise(base);
        restarted = true;
      } else if (S_ISDIR(st->st_mode)) {
        if (last) {
          return std::unexpected(
              Invalid(fmt::format("{} is a directory ('tree' copies directories)", current)));
        }
        if (auto ok = AddDirectory(current, st->st_mode); !ok) return ok;
      } else if (S_ISREG(st->st_mode) && last) {
        return AddFile(current, current);
      } else {
        return std::unexpected(Invalid(fmt::format("{} is not a file nor a directory", current)));
      }
    }
    if (!restarted) break;
  }
  return std::unexpected(Invalid(fmt::format("{}: too many levels of symbolic links", host_path)));
}

Result<void> RootFs::CopyHostTree(const std::string& path, const std::string& host_dir) {
  auto st = LStat(host_dir);
  if (!st) return std::unexpected(st.error());
  if (!S_ISDIR(st->st_mode)) {
    return std::unexpected(Invalid(fmt::format("{} is not a directory", host_dir)));
  }
  if (auto ok = AddDirectory(path, st->st_mode); !ok) return ok;
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(host_dir, error), end; !error && it != end;
       it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  if (error) return std::unexpected(Error(ErrorKind::kIo, fmt::format("{}: {}", host_dir, error.message())));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string from = host_dir + "/" + name;
    std::string to = path + "/" + name;
    auto child = LStat(from);
    if (!child) return std::unexpected(child.error());
    Result<void> added;
    if (S_ISLNK(child->st_mode)) {
      auto target = ReadLink(from);
      if (!target) return std::unexpected(target.error());
      added = AddSymlink(to, *target);
    } else if (S_ISDIR(child->st_mode)) {
      added = CopyHostTree(to, from);
    } else if (S_ISREG(child->st_mode)) {
      added = AddFile(to, from);
    } else {
      added = std::unexpected(Invalid(fmt::format("{} is not a file, directory or symlink", from)));
    }
    if (!added) return added;
  }
  return {};
}

namespace {

Result<std::uint32_t> ParseNumber(std::string_view text, int base, std::string_view what) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::unexpected(Invalid(fmt::format("invalid {} '{}'", what, text)));
  }
  return value;
}

struct Options {
  std::optional<std::uint32_t> mode;
  Owner owner;
};

Result<Options> ParseOptions(const std::vector<std::string>& words, std::size_t first) {
  Options options;
  for (std::size_t i = first; i < words.size(); ++i) {
    std::string_view word = words[i];
    if (word.starts_with("mode=")) {
      auto mode = ParseNumber(word.substr(5), 8, "mode");
      if (!mode) return std::unexpected(mode.error());
      if (*mode > 07777) return std::unexpected(Invalid(fmt::format("invalid mode '{}'", word.substr(5))));
      options.mode = *mode;
    } else if (word.starts_with("owner=")) {
      std::string_view owner = word.substr(6);
      std::size_t colon = owner.find(':');
      if (colon == std::string_view::npos) {
        return std::unexpected(Invalid(fmt::format("owner '{}' is not <uid>:<gid>", owner)));
      }
      auto uid = ParseNumber(owner.substr(0, colon), 10, "uid");
      auto gid = ParseNumber(owner.substr(colon + 1), 10, "gid");
      if (!uid) return std::unexpected(uid.error());
      if (!gid) return std::unexpected(gid.error());
      options.owner = {*uid, *gid};
    } else {
      return std::unexpected(Invalid(fmt::format("unexpected '{}'", word)));
    }
  }
  return options;
}

Result<void> AddLine(RootFs& rootfs, const std::vector<std::string>& words) {
  const std::string& kind = words[0];
  auto need = [&](std::size_t count) -> Result<void> {
    if (words.size() < count) {
      return std::unexpected(Invalid(fmt::format("'{}' needs {} argument(s)", kind, count - 1)));
    }
    return {};
  };
  if (kind == "dir") {
    if (auto ok = need(2); !ok) return ok;
    auto options = ParseOptions(words, 2);
    if (!options) return std::unexpected(options.error());
    return rootfs.AddDirectory(words[1], options->mode.value_or(0755), options->owner);
  }
  if (kind == "file") {
    if (auto ok = need(3); !ok) return ok;
    auto options = ParseOptions(words, 3);
    if (!options) return std::unexpected(options.error());
    return rootfs.AddFile(words[1], words[2], options->mode, options->owner);
  }
  std::size_t arity = kind == "copy" ? 2 : 3;
  if (kind != "symlink" && kind != "copy" && kind != "tree") {
    return std::unexpected(Invalid(fmt::format("unknown entry kind '{}'", kind)));
  }
  if (words.size() != arity) {
    return std::unexpected(Invalid(fmt::format("'{}' takes {} argument(s)", kind, arity - 1)));
  }
  if (kind == "symlink") return rootfs.AddSymlink(words[1], words[2]);
  if (kind == "copy") return rootfs.CopyHostPath(words[1]);
  return rootfs.CopyHostTree(words[1], words[2]);
}

}  // namespace

Result<void> AddDescription(RootFs& rootfs, std::string_view description) {
  std::size_t line_number = 0;
  while (!description.empty()) {
    ++line_number;
    std::size_t end = description.find('\n');
    std::string_view line = description.substr(0, end);
    description.remove_prefix(end == std::string_view::npos ? description.size() : end + 1);
    if (std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> words;
    std::size_t start = 0;
    while (true) {
      start = line.find_first_not_of(" \t\r", start);
      if (start == std::string_view::npos) break;
      std::size_t stop = line.find_first_of(" \t\r", start);
      words.emplace_back(line.substr(start, stop - start));
      if (stop == std::string_view::npos) break;
      start = stop;
    }
    if (words.empty()) continue;
    if (auto ok = AddLine(rootfs, words); !ok) {
      return std::unexpected(ok.error().Wrap(fmt::format("line {}", line_number)));
    }
  }
  return {};
}

}  // namespace kw::image
