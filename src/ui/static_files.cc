#include "ui/static_files.h"

#include <filesystem>
#include <system_error>

#include "base/files.h"
#include "base/percent_decode.h"
#include "base/strings.h"

namespace kw::ui {
namespace {

namespace fs = std::filesystem;

// A web app's files are small; this only keeps a mistaken file in the root from costing memory.
constexpr std::size_t kMaxFileBytes = 64u << 20;

WebAnswer Plain(int status, std::string text) {
  return {status, "text/plain; charset=utf-8", std::move(text), false};
}

// True when `path` is `root` or lies under it (both canonical).
bool Within(const fs::path& root, const fs::path& path) {
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

}  // namespace

StaticFiles::StaticFiles(std::string root) : root_(std::move(root)) {
  std::error_code error;
  fs::path canonical = fs::canonical(root_, error);
  if (!error) root_ = canonical.string();
}

std::string_view StaticFiles::ContentType(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  const std::string name = AsciiLower(file_name);
  for (const auto& [extension, type] : kTypes) {
    if (name.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

WebAnswer StaticFiles::Serve(std::string_view target) const {
  const std::string_view raw = target.substr(0, target.find_first_of("?#"));
  auto decoded = PercentDecode(raw);
  if (!decoded || decoded->empty() || decoded->front() != '/') return Plain(400, "bad path\n");
  const std::string& path = *decoded;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) {
    return Plain(400, "bad path\n");
  }
  fs::path relative;
  for (std::string_view rest = std::string_view(path).substr(1); !rest.empty();) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment == "..") return Plain(400, "bad path: '..' is not allowed\n");
    if (segment.empty() || segment == ".") continue;
    relative /= std::string(segment);
  }
  const fs::path root(root_);
  const auto serve_file = [&](const fs::path& file, bool is_index) -> std::optional<WebAnswer> {
    std::error_code error;
    const fs::path canonical = fs::canonical(file, error);
    if (error || !fs::is_regular_file(canonical, error) || !Within(root, canonical)) {
      return std::nullopt;
    }
    auto content = ReadFile(canonical.string(), kMaxFileBytes, FileTypes::kRegularOnly);
    if (!content) return Plain(500, content.error().message + "\n");
    return WebAnswer{200, std::string(ContentType(canonical.filename().string())),
                        std::move(*content), is_index};
  };
  if (!relative.empty()) {
    const bool is_index = relative == "index.html";
    if (auto answer = serve_file(root / relative, is_index)) return std::move(*answer);
  }
  // The single-page app's fallback: its routes are not files.
  if (auto answer = serve_file(root / "index.html", true)) return std::move(*answer);
  return Plain(404, "not found (no index.html in the web root " + root_ + ")\n");
}

}  // namespace kw::ui
