// The identity every OTLP export of policy-server carries (policy-server.md §5).
#pragma once

#include <string_view>

namespace kw::otlp {

// The resource's service.name, upstream's.
inline constexpr std::string_view kServiceName = "kubewarden-policy-server";

}  // namespace kw::otlp
