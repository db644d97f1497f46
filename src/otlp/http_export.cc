#include "otlp/http_export.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "base/percent_decode.h"
#include "base/strings.h"

namespace kw::otlp {
namespace {

constexpr std::chrono::milliseconds kDefaultTimeout{10000};
constexpr std::size_t kMaxReplyBytes = 1u << 20;

std::string Variable(std::string_view signal, std::string_view suffix) {
  std::string name = "OTEL_EXPORTER_OTLP_";
  if (!signal.empty()) name.append(signal).append("_");
  return name.append(suffix);
}

std::optional<std::string> NonEmpty(const Environment& environment, const std::string& name) {
  if (auto value = environment(name); value && !value->empty()) return value;
  return std::nullopt;
}

std::string WithPath(const std::string& base, std::string_view path) {
  return base + (base.ends_with('/') ? "v1/" : "/v1/") + std::string(path);
}

}  // namespace

std::optional<std::string> ProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> SignalVariable(const Environment& environment, Signal signal,
                                          std::string_view suffix) {
  if (auto value = NonEmpty(environment, Variable(signal.variable, suffix))) return value;
  return NonEmpty(environment, Variable({}, suffix));
}

std::chrono::milliseconds MillisecondsOr(const std::optional<std::string>& text,
                                         std::string_view name,
                                         std::chrono::milliseconds fallback) {
  if (!text) return fallback;
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc() || end != text->data() + text->size() || ms <= 0) {
    spdlog::warn("{}: '{}' is not a positive number of milliseconds; using {}", name, *text,
                 fallback.count());
    return fallback;
  }
  return std::chrono::milliseconds(ms);
}

Result<std::optional<HttpExportConfig>> HttpExportConfigFromEnvironment(
    Signal signal, const Environment& environment,
    std::optional<std::string_view> default_base_url) {
  HttpExportConfig config;
  if (auto url = NonEmpty(environment, Variable(signal.variable, "ENDPOINT"))) {
    config.url = *url;
  } else if (auto base = NonEmpty(environment, Variable({}, "ENDPOINT"))) {
    config.url = WithPath(*base, signal.path);
  } else if (default_base_url) {
    config.url = WithPath(std::string(*default_base_url), signal.path);
  } else {
    return std::nullopt;
  }
  config.timeout = MillisecondsOr(SignalVariable(environment, signal, "TIMEOUT"),
                                  "OTEL_EXPORTER_OTLP_TIMEOUT", kDefaultTimeout);
  config.ca_file = SignalVariable(environment, signal, "CERTIFICATE");
  config.client_certificate_file = SignalVariable(environment, signal, "CLIENT_CERTIFICATE");
  config.client_key_file = SignalVariable(environment, signal, "CLIENT_KEY");
  // An empty per-signal value is a choice (no headers), unlike the other variables.
  for (const std::string& name : {Variable(signal.variable, "HEADERS"), Variable({}, "HEADERS")}) {
    if (auto headers = environment(name)) {
      config.headers = ParseOtlpHeaders(*headers, name);
      break;
    }
  }
  if (config.client_certificate_file.has_value() != config.client_key_file.has_value()) {
    return Fail(ErrorKind::kInvalidArgument,
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY must be "
                "set together");
  }
  return config;
}

std::vector<std::pair<std::string, std::string>> ParseOtlpHeaders(std::string_view text,
                                                                  std::string_view what) {
  std::vector<std::pair<std::string, std::string>> headers;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = TrimBlanks(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (entry.empty()) continue;
    const std::size_t equals = entry.find('=');
    std::optional<std::string> name, value;
    if (equals != std::string_view::npos) {
      name = PercentDecode(TrimBlanks(entry.substr(0, equals)));
      value = PercentDecode(TrimBlanks(entry.substr(equals + 1)));
    }
    // A header name is an RFC 9110 token; a value must not break the request (CR, LF, NUL).
    const auto is_token = [](const std::string& s) {
      return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      });
    };
    if (!name || !value || !is_token(*name) ||
        value->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      spdlog::warn("{}: ignoring the malformed entry '{}'", what, entry);
      continue;
    }
    headers.emplace_back(std::move(*name), std::move(*value));
  }
  return headers;
}

Result<std::unique_ptr<HttpExporter>> HttpExporter::Create(HttpExportConfig config,
                                                           std::string_view what) {
  KW_ASSIGN_OR_RETURN(net::HttpUrl url, net::ParseHttpUrl(config.url));
  std::unique_ptr<HttpExporter> exporter(new HttpExporter(std::move(config), std::string(what)));
  const HttpExportConfig& c = exporter->config_;
  if (url.tls) {
    // A configured CA bundle replaces the system's trust store, as the OpenTelemetry SDKs do.
    auto tls = net::TlsConfig::Create({.system_roots = !c.ca_file.has_value(),
                                       .ca_file = c.ca_file,
                                       .client_certificate_file = c.client_certificate_file,
                                       .client_key_file = c.client_key_file});
    if (!tls) return std::unexpected(tls.error().Wrap("OTLP " + std::string(what) + " exporter"));
    exporter->tls_ = std::move(*tls);
  } else if (c.ca_file || c.client_certificate_file) {
    spdlog::warn("OTLP {} endpoint {} is plain http: the TLS settings are ignored", what, c.url);
  }
  return exporter;
}

bool HttpExporter::Post(std::string body, std::string_view content_type) {
  std::lock_guard lock(mutex_);
  net::HttpRequest request{.method = "POST", .url = config_.url, .headers = config_.headers,
                           .body = std::move(body), .max_response_bytes = kMaxReplyBytes,
                           .timeout = config_.timeout};
  request.headers.insert(request.headers.begin(), {"User-Agent", "kubewarden-policy-server"});
  std::erase_if(request.headers,
                [](const auto& header) { return EqualsIgnoreCase(header.first, "content-type"); });
  request.headers.emplace_back("Content-Type", std::string(content_type));
  std::string failure;
  try {
    auto reply = net::Send(request, tls_.get());
    if (!reply) {
      failure = reply.error().message;
    } else if (reply->status < 200 || reply->status >= 300) {
      failure = "HTTP " + std::to_string(reply->status) + ": " + reply->body.substr(0, 200);
    }
  } catch (const std::exception& e) {  // allocation failure and the like: try again later
    failure = e.what();
  }
  if (!failure.empty()) {
    spdlog::warn("exporting {} to {} failed: {}", what_, config_.url, failure);
  } else if (failing_) {
    spdlog::info("exporting {} to {} works again", what_, config_.url);
  }
  failing_ = !failure.empty();
  return failure.empty();
}

}  // namespace kw::otlp
