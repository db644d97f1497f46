// Streaming gzip compression (zlib). The output depends only on the input and the zlib version:
// the gzip header carries no file name and a zero modification time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kw::image {

class GzipStream {
 public:
  GzipStream();
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  void Write(std::string_view bytes);
  // The whole compressed stream; the object is not to be used afterwards.
  std::string Finish();

 private:
  struct State;
  void Deflate(int flush);

  std::unique_ptr<State> state_;
  std::string out_;
};

}  // namespace kw::image
