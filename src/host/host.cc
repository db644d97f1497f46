#include "host/host.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/json.h"
#include "base/strings.h"
#include "tracing/span.h"

namespace kw::host {
namespace {

Error HostError(std::string message) { return Error(ErrorKind::kHostError, std::move(message)); }

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// A guest's log line as an event of the span being recorded (tracing/span.h), when there is
// one: "policy_log" (upstream's name for these lines), with `level`, `message` and the line's
// other fields as attributes (strings, booleans, integers and numbers as such, the rest as JSON
// text).
void AddLogEvent(std::string_view level, std::string_view message, const json::object& fields) {
  tracing::Span* span = tracing::CurrentSpan::Get();
  if (span == nullptr || !span->recording()) return;
  std::vector<tracing::Attribute> attributes;
  attributes.reserve(2 + fields.size());
  attributes.push_back(tracing::StringAttribute("level", level));
  attributes.push_back(tracing::StringAttribute("message", message));
  for (const auto& [key, value] : fields) {
    if (value.is_string()) {
      attributes.push_back(tracing::StringAttribute(key, value.as_string()));
    } else if (value.is_bool()) {
      attributes.push_back({std::string(key), value.as_bool()});
    } else if (value.is_int64()) {
      attributes.push_back({std::string(key), value.as_int64()});
    } else if (value.is_number()) {
      attributes.push_back({std::string(key), value.to_number<double>()});
    } else {
      attributes.push_back(tracing::StringAttribute(key, ToJson(value)));
    }
  }
  span->AddEvent("policy_log", std::move(attributes));
}

// tracing/log: a policy's structured log line. Never fails, as upstream: a malformed payload is
// itself logged.
Result<std::string> TracingLog(const CallContext& ctx, std::string_view operation,
                               std::string_view payload) {
  auto parsed = ParseJson(payload, "invalid log payload");
  if (!parsed || !parsed->is_object()) {
    spdlog::error("policy {}: cannot decode log payload: {}", ctx.policy_id,
                  parsed ? std::string("not a JSON object") : parsed.error().message);
    return std::string();
  }
  json::object fields = parsed->as_object();
  std::string level;
  if (auto* l = fields.if_contains("level"); l && l->is_string()) {
    level = AsciiLower(l->as_string());
  }
  std::string message;
  if (auto* m = fields.if_contains("message"); m && m->is_string()) {
    message = std::string(m->as_string());
  }
  fields.erase("level");
  fields.erase("message");
  spdlog::level::level_enum lvl = spdlog::level::info;
  if (level == "trace") lvl = spdlog::level::trace;
  else if (level == "debug") lvl = spdlog::level::debug;
  else if (level == "warning" || level == "warn") lvl = spdlog::level::warn;
  else if (level == "error") lvl = spdlog::level::err;
  spdlog::log(lvl, "policy_log policy={} {} data={}", ctx.policy_id, message, ToJson(fields));
  AddLogEvent(level.empty() ? "info" : level, message, fields);
  return std::string();
}

}  // namespace

void HostCapabilities::SetKubernetesResources(std::vector<KubernetesResource> resources) {
  std::sort(resources.begin(), resources.end());
  resources.erase(std::unique(resources.begin(), resources.end()), resources.end());
  kubernetes_resources_ = std::move(resources);
}

bool HostCapabilities::AllowsKubernetesResource(std::string_view api_version,
                                                std::string_view kind) const {
  return std::any_of(kubernetes_resources_.begin(), kubernetes_resources_.end(),
                     [&](const KubernetesResource& r) {
                       return r.first == api_version && r.second == kind;
                     });
}

const std::vector<std::string_view>& HostCapabilities::KnownCapabilities() {
  static const std::vector<std::string_view> known = {
      "oci/v1/verify",
      "oci/v1/manifest_digest",
      "oci/v1/oci_manifest",
      "oci/v1/oci_manifest_config",
      "oci/v2/verify",
      "net/v1/dns_lookup_host",
      "crypto/v1/is_certificate_trusted",
      "kubernetes/list_resources_by_namespace",
      "kubernetes/list_resources_all",
      "kubernetes/get_resource",
      "kubernetes/can_i",
  };
  return known;
}

HostCapabilities HostCapabilities::AllowAll() {
  HostCapabilities c;
  c.patterns_ = {"*"};
  return c;
}

Result<HostCapabilities> HostCapabilities::Parse(const std::vector<std::string>& patterns) {
  HostCapabilities c;
  for (const auto& pattern : patterns) {
    auto invalid = [&](std::string_view why) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid host capability pattern '" + pattern + "': " + std::string(why));
    };
    if (pattern.find_first_not_of(" \t") == std::string::npos) return invalid("it is blank");
    if (pattern == "*") {
      c.patterns_.push_back(pattern);
      continue;
    }
    auto segments = Split(pattern);
    bool wildcard = segments.back() == "*";
    if (wildcard) segments.pop_back();
    for (auto s : segments) {
      if (s.find('*') != std::string_view::npos) {
        return invalid("`*` is allowed only as a whole trailing segment");
      }
      if (s.empty()) return invalid("it has an empty segment");
    }
    // Every segment must walk down the known tree; an exact path must end at a leaf.
    std::string prefix;
    for (auto s : segments) prefix += std::string(s) + "/";
    bool is_node = false, is_leaf = false;
    for (auto known : KnownCapabilities()) {
      std::string k(known);
      if (k + "/" == prefix) is_leaf = true;
      else if (k.starts_with(prefix)) is_node = true;
    }
    if (!is_node && !is_leaf) return invalid("unknown capability");
    if (!wildcard && !is_leaf) {
      return invalid("it names a group of capabilities; add `/*` to grant all of them");
    }
    if (wildcard && !is_node) return invalid("`/*` must follow a group of capabilities");
    c.patterns_.push_back(pattern);
  }
  return c;
}

bool HostCapabilities::Allows(std::string_view path) const {
  for (const auto& p : patterns_) {
    if (p == "*") return true;
    if (p.ends_with("/*")) {
      if (path.starts_with(std::string_view(p).substr(0, p.size() - 1))) return true;
    } else if (p == path) {
      return true;
    }
  }
  return false;
}

Dispatcher::Dispatcher() { Register("tracing", {"log"}, TracingLog); }

void Dispatcher::Register(std::string ns, std::vector<std::string> operations, Provider provider) {
  providers_[std::move(ns)] = Entry{std::move(operations), std::move(provider)};
}

void Dispatcher::WrapProviders(
    const std::function<Provider(const std::string& ns, Provider)>& wrap) {
  for (auto& [ns, entry] : providers_) {
    if (ns != "tracing") entry.provider = wrap(ns, std::move(entry.provider));
  }
}

Result<std::string> Dispatcher::Call(const CallContext& ctx, std::string_view binding,
                                     std::string_view ns, std::string_view operation,
                                     std::string_view payload) const {
  tracing::Span* span = tracing::CurrentSpan::Get();
  if (span == nullptr || !span->detailed() || ns == "tracing") {
    return Dispatch(ctx, binding, ns, operation, payload);
  }
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> result = Dispatch(ctx, binding, ns, operation, payload);
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  span->AddEvent("host_call",
                 {tracing::StringAttribute("binding", binding),
                  tracing::StringAttribute("namespace", ns),
                  tracing::StringAttribute("operation", operation),
                  tracing::StringAttribute("outcome", result ? "ok" : "error"),
                  tracing::StringAttribute("error", result ? "" : result.error().message),
                  {"duration_us", static_cast<std::int64_t>(took.count())}});
  return result;
}

Result<std::string> Dispatcher::Dispatch(const CallContext& ctx, std::string_view binding,
                                         std::string_view ns, std::string_view operation,
                                         std::string_view payload) const {
  if (binding != "kubewarden") {
    return std::unexpected(HostError("unknown binding: " + std::string(binding)));
  }
  if (ns != "tracing") {
    std::string path = std::string(ns) + "/" + std::string(operation);
    if (ctx.capabilities == nullptr || !ctx.capabilities->Allows(path)) {
      spdlog::warn("policy {} was denied the host capability '{}'", ctx.policy_id, path);
      return std::unexpected(HostError("Policy has not been granted access to the '" + path +
                                       "' host capability. The violation has been reported."));
    }
  }
  auto it = providers_.find(ns);
  if (it == providers_.end()) {
    return std::unexpected(HostError("unknown namespace: " + std::string(ns)));
  }
  const auto& ops = it->second.operations;
  if (std::find(ops.begin(), ops.end(), operation) == ops.end()) {
    return std::unexpected(HostError("unknown operation: " + std::string(operation)));
  }
  auto result = it->second.provider(ctx, operation, payload);
  if (!result) return std::unexpected(HostError(result.error().message));
  return result;
}

}  // namespace kw::host
