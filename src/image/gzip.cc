#include "image/gzip.h"

#include <zlib.h>

#include <cstdlib>

namespace kw::image {

struct GzipStream::State {
  z_stream z{};
};

GzipStream::GzipStream() : state_(std::make_unique<State>()) {
  // 15 window bits + 16: a gzip wrapper instead of zlib's. Fails only when out of memory.
  if (deflateInit2(&state_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    std::abort();
  }
}

GzipStream::~GzipStream() { deflateEnd(&state_->z); }

void GzipStream::Deflate(int flush) {
  z_stream& z = state_->z;
  char buffer[64 * 1024];
  int status;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = deflate(&z, flush);
    if (status == Z_STREAM_ERROR) std::abort();  // a bug: deflate's state is ours alone
    out_.append(buffer, sizeof buffer - z.avail_out);
  } while (z.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END));
}

void GzipStream::Write(std::string_view bytes) {
  z_stream& z = state_->z;
  while (!bytes.empty()) {
    // avail_in is 32 bits wide.
    std::size_t piece = std::min<std::size_t>(bytes.size(), 1u << 30);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(piece);
    Deflate(Z_NO_FLUSH);
    bytes.remove_prefix(piece);
  }
}

std::string GzipStream::Finish() {
  state_->z.avail_in = 0;
  Deflate(Z_FINISH);
  return std::move(out_);
}

}  // namespace kw::image
