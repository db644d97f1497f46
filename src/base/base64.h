// Base64 with the standard alphabet (RFC 4648 §4), always padded.
//
// Used for AdmissionResponse `patch` and anything else the Kubernetes API exchanges as `[]byte`.
// Decoding is strict, like Rust's `base64::STANDARD` engine that upstream uses: the input length
// must be a multiple of 4, `=` may only appear as trailing padding, no whitespace is skipped, and
// the unused bits of the last symbol must be zero. Anything else is kInvalidArgument.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace kw {

// Encodes `bytes`; the result has length 4 * ceil(n / 3).
std::string Base64Encode(std::string_view bytes);

// Appends the encoding of `bytes` to `out`, for callers assembling a larger buffer.
void Base64EncodeAppend(std::string_view bytes, std::string& out);

// Decodes `text`, rejecting anything that is not canonical padded standard base64.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace kw
