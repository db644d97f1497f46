#include "metrics/otlp_exporter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "base/percent_decode.h"
#include "base/strings.h"
#include "metrics/exposition.h"

namespace kw::metrics {
namespace {

constexpr std::chrono::milliseconds kDefaultInterval{60000};
constexpr std::chrono::milliseconds kDefaultTimeout{10000};
constexpr std::size_t kMaxReplyBytes = 1u << 20;

// The per-signal variable, else the generic one; empty values count as unset.
std::optional<std::string> Lookup(const Environment& env, const std::string& metrics_name,
                                  const std::string& generic_name) {
  for (const std::string* name : {&metrics_name, &generic_name}) {
    if (auto value = env(*name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

std::optional<std::string> LookupOtlp(const Environment& env, std::string_view suffix) {
  return Lookup(env, "OTEL_EXPORTER_OTLP_METRICS_" + std::string(suffix),
                "OTEL_EXPORTER_OTLP_" + std::string(suffix));
}

std::chrono::milliseconds Milliseconds(const std::optional<std::string>& text,
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

}  // namespace

std::optional<std::string> ProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<std::optional<OtlpExporterConfig>> OtlpExporterConfigFromEnvironment(
    const Environment& environment) {
  OtlpExporterConfig config;
  if (auto url = environment("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"); url && !url->empty()) {
    config.url = *url;
  } else if (auto base = environment("OTEL_EXPORTER_OTLP_ENDPOINT"); base && !base->empty()) {
    config.url = *base + (base->ends_with('/') ? "v1/metrics" : "/v1/metrics");
  } else {
    return std::nullopt;
  }
  if (auto protocol = LookupOtlp(environment, "PROTOCOL"); protocol && *protocol != "http/json") {
    spdlog::warn("OTLP protocol '{}' is not supported: metrics are exported as http/json",
                 *protocol);
  }
  config.interval = Milliseconds(environment("OTEL_METRIC_EXPORT_INTERVAL"),
                                 "OTEL_METRIC_EXPORT_INTERVAL", kDefaultInterval);
  config.timeout =
      Milliseconds(LookupOtlp(environment, "TIMEOUT"), "OTEL_EXPORTER_OTLP_TIMEOUT", kDefaultTimeout);
  config.ca_file = LookupOtlp(environment, "CERTIFICATE");
  config.client_certificate_file = LookupOtlp(environment, "CLIENT_CERTIFICATE");
  config.client_key_file = LookupOtlp(environment, "CLIENT_KEY");
  if (auto headers = environment("OTEL_EXPORTER_OTLP_METRICS_HEADERS"); headers) {
    config.headers = ParseOtlpHeaders(*headers, "OTEL_EXPORTER_OTLP_METRICS_HEADERS");
  } else if (headers = environment("OTEL_EXPORTER_OTLP_HEADERS"); headers) {
    config.headers = ParseOtlpHeaders(*headers, "OTEL_EXPORTER_OTLP_HEADERS");
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

struct OtlpExporter::Impl {
  const Registry& registry;
  OtlpExporterConfig config;
  HttpUrl url;
  std::shared_ptr<const net::TlsConfig> tls;
  bool failing = false;  // the last export failed: log the recovery

  void Export() {
    Snapshot snapshot = registry.Collect();
    if (snapshot.evaluations_total.empty()) return;  // nothing recorded yet
    net::HttpRequest request{.method = "POST", .url = config.url, .headers = config.headers,
                             .body = OtlpJson(snapshot), .max_response_bytes = kMaxReplyBytes,
                             .timeout = config.timeout};
    // Configured headers may replace the User-Agent (they come later), not the Content-Type.
    request.headers.insert(request.headers.begin(), {"User-Agent", "kubewarden-policy-server"});
    std::erase_if(request.headers,
                  [](const auto& header) { return EqualsIgnoreCase(header.first, "content-type"); });
    request.headers.emplace_back("Content-Type", "application/json");
    auto reply = net::Send(request, tls.get());
    std::string failure;
    if (!reply) {
      failure = reply.error().message;
    } else if (reply->status < 200 || reply->status >= 300) {
      failure = "HTTP " + std::to_string(reply->status) + ": " + reply->body.substr(0, 200);
    }
    if (!failure.empty()) {
      spdlog::warn("exporting metrics to {} failed: {}", config.url, failure);
    } else if (failing) {
      spdlog::info("exporting metrics to {} works again", config.url);
    }
    failing = !failure.empty();
  }
};

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::Start(const Registry& registry,
                                                          OtlpExporterConfig config) {
  KW_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(config.url));
  std::unique_ptr<Impl> impl(new Impl{registry, std::move(config), std::move(url)});
  if (impl->url.tls) {
    const OtlpExporterConfig& c = impl->config;
    // A configured CA bundle replaces the system's trust store, as the OpenTelemetry SDKs do.
    auto tls = net::TlsConfig::Create({.system_roots = !c.ca_file.has_value(),
                                       .ca_file = c.ca_file,
                                       .client_certificate_file = c.client_certificate_file,
                                       .client_key_file = c.client_key_file});
    if (!tls) return std::unexpected(tls.error().Wrap("OTLP metrics exporter"));
    impl->tls = std::move(*tls);
  } else if (impl->config.ca_file || impl->config.client_certificate_file) {
    spdlog::warn("OTLP metrics endpoint {} is plain http: the TLS settings are ignored",
                 impl->config.url);
  }
  std::unique_ptr<OtlpExporter> exporter(new OtlpExporter(std::move(impl)));
  exporter->thread_ = std::thread([e = exporter.get()] { e->Run(); });
  return exporter;
}

OtlpExporter::OtlpExporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpExporter::~OtlpExporter() { Stop(); }

void OtlpExporter::Run() {
  std::unique_lock lock(mutex_);
  for (bool last = false; !last;) {
    wake_.wait_for(lock, impl_->config.interval, [&] { return stopping_; });
    last = stopping_;  // the final export happens on the way out
    lock.unlock();
    try {
      impl_->Export();
    } catch (const std::exception& e) {  // allocation failure and the like: try again later
      spdlog::warn("exporting metrics to {} failed: {}", impl_->config.url, e.what());
    }
    lock.lock();
  }
}

void OtlpExporter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kw::metrics
