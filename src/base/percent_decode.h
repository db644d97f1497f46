// Percent-encoding and decoding (RFC 3986 %XX escapes), for URL path segments and the W3C-baggage-style
// lists of OpenTelemetry's OTEL_EXPORTER_OTLP_HEADERS.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kw {

// Decodes %XX escapes (other bytes are kept as they are); nullopt for a bad escape or a result
// that is not UTF-8.
std::optional<std::string> PercentDecode(std::string_view text);

// Encodes every byte but RFC 3986's unreserved characters (ALPHA DIGIT - . _ ~) as %XX, which is
// safe in a path segment and in a query value.
std::string PercentEncode(std::string_view text);

}  // namespace kw
