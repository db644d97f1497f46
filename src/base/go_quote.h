// Go's strconv.Quote, for messages that carry over Go programs' texts exactly (OPA's builtins,
// Kubernetes field errors render their string values with %q).
#pragma once

#include <string>
#include <string_view>

namespace kw {

// `text` double-quoted, with Go's escapes; bytes that start no well-formed UTF-8 sequence become
// \xNN. With `ascii_only`, runes above 0x7E are escaped too (strconv.QuoteToASCII).
std::string GoQuote(std::string_view text, bool ascii_only = false);

}  // namespace kw
