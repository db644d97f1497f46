// The compliance UI's web root: the files of the single-page app, with `index.html` for any
// path that names no file (the app's own routes), a Content-Type from the extension, and
// `Cache-Control: no-cache` on index.html so that a new version of the app is picked up at once
// (its assets can be cached).
//
// A path that climbs out of the root ("..", also %-encoded), or carries a NUL or a backslash,
// is refused with 400; so is a file reached through a symbolic link that leads outside the root.
#pragma once

#include <string>
#include <string_view>

namespace kw::ui {

// An answer of the UI's HTTP server (static_files.h's, and process.h's routing).
struct WebAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  bool no_cache = false;
};

class StaticFiles {
 public:
  explicit StaticFiles(std::string root);

  // `target`: the request's path and query, as sent.
  WebAnswer Serve(std::string_view target) const;

  // The Content-Type for a file name (application/octet-stream for unknown extensions).
  static std::string_view ContentType(std::string_view file_name);

 private:
  std::string root_;  // canonical, when it exists
};

}  // namespace kw::ui
