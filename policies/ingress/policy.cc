// ingress (policies.md §31): TLS coverage and allowed/denied backend ports of Ingresses.
//
// Go-origin: the settings decode like encoding/json (field names match case-insensitively, the
// last duplicate wins, null is absent, the first type error in document order is reported as
// Go's UnmarshalTypeError text). request.object is decoded as an Ingress whatever the kind; a
// decode error rejects with code 400. Checks, in order: TLS hosts == rule hosts (requireTLS),
// ports not on the allow list, ports on the deny list.
#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>

#include <algorithm>
#include <cstdint>

namespace kw = kubewarden;

namespace {

struct Settings {
  bool require_tls = false;
  std::vector<std::uint64_t> allow_ports;  // sorted, unique
  std::vector<std::uint64_t> deny_ports;   // sorted, unique
};

// A JSON number that Go decodes into an unsigned integer: digits only, fits in 64 bits.
std::optional<std::uint64_t> GoUint(const kw::json::Value& v) {
  if (!v.IsNumber()) return std::nullopt;
  std::string_view text = v.NumberText();
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return v.AsUint64();
}

void ReadPorts(const kw::json::Value& m, std::string_view field, std::vector<std::uint64_t>& out,
               std::string& error) {
  out.clear();
  if (m.IsNull()) return;
  if (!m.IsArray()) {
    if (error.empty()) error = kw::GoTypeError(m, field, "[]uint", /*with_number_text=*/true);
    return;
  }
  for (const kw::json::Value& e : m) {
    if (e.IsNull()) {
      out.push_back(0);
    } else if (auto port = GoUint(e)) {
      out.push_back(*port);
    } else if (error.empty()) {
      error = kw::GoTypeError(e, field, "uint", /*with_number_text=*/true);
    }
  }
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  if (!value.IsObject()) {
    if (value.IsNull()) return std::nullopt;
    return kw::GoTypeError(value, "", "main.Settings", /*with_number_text=*/true);
  }
  std::string error;
  for (const kw::json::Value& m : value) {
    if (kw::GoFieldMatches(m.key(), "requireTLS")) {
      if (m.IsNull()) continue;
      if (m.IsBool()) {
        settings.require_tls = *m.AsBool();
      } else if (error.empty()) {
        error = kw::GoTypeError(m, "Settings.requireTLS", "bool", /*with_number_text=*/true);
      }
    } else if (kw::GoFieldMatches(m.key(), "allowPorts")) {
      ReadPorts(m, "Settings.allowPorts", settings.allow_ports, error);
    } else if (kw::GoFieldMatches(m.key(), "denyPorts")) {
      ReadPorts(m, "Settings.denyPorts", settings.deny_ports, error);
    }
  }
  if (!error.empty()) return error;
  kw::SortUnique(settings.allow_ports);
  kw::SortUnique(settings.deny_ports);
  for (std::uint64_t port : settings.allow_ports) {
    if (std::binary_search(settings.deny_ports.begin(), settings.deny_ports.end(), port)) {
      return "No port can be allowed and denied at the same time";
    }
  }
  return std::nullopt;
}

// What the policy reads of an Ingress, decoded with Go's type checks.
struct Ingress {
  std::vector<std::string_view> tls_hosts;   // sorted, unique
  std::vector<std::string_view> rule_hosts;  // sorted, unique
  std::vector<std::uint64_t> ports;          // sorted, unique
};

class Decoder {
 public:
  std::string error;

  // Checks that `v` (a member at Go path `field`) is an object or null; false when null/wrong.
  bool Object(const kw::json::Value* v, std::string_view field, std::string_view type) {
    if (v == nullptr || v->IsNull()) return false;
    if (v->IsObject()) return true;
    Fail(*v, field, type);
    return false;
  }
  bool Array(const kw::json::Value* v, std::string_view field, std::string_view type) {
    if (v == nullptr || v->IsNull()) return false;
    if (v->IsArray()) return true;
    Fail(*v, field, type);
    return false;
  }
  std::optional<std::string_view> String(const kw::json::Value* v, std::string_view field) {
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (v->IsString()) return v->AsString();
    Fail(*v, field, "string");
    return std::nullopt;
  }
  void Fail(const kw::json::Value& v, std::string_view field, std::string_view type) {
    if (error.empty()) error = kw::GoTypeError(v, field, type, /*with_number_text=*/true);
  }
};

std::optional<std::string> DecodeIngress(const kw::json::Value* object, Ingress& ingress) {
  Decoder d;
  if (object == nullptr || object->IsNull()) return std::nullopt;
  if (!object->IsObject()) {
    return kw::GoTypeError(*object, "", "v1.Ingress", /*with_number_text=*/true);
  }
  const kw::json::Value* spec = object->Find("spec");
  if (!d.Object(spec, "Ingress.spec", "v1.IngressSpec")) {
    if (!d.error.empty()) return d.error;
    return std::nullopt;
  }

  const kw::json::Value* tls = spec->Find("tls");
  if (d.Array(tls, "IngressSpec.spec.tls", "[]v1.IngressTLS")) {
    for (const kw::json::Value& entry : *tls) {
      if (!d.Object(&entry, "IngressSpec.spec.tls", "v1.IngressTLS")) continue;
      const kw::json::Value* hosts = entry.Find("hosts");
      if (!d.Array(hosts, "IngressTLS.spec.tls.hosts", "[]string")) continue;
      for (const kw::json::Value& host : *hosts) {
        if (host.IsNull()) {
          ingress.tls_hosts.push_back("");
        } else if (auto h = d.String(&host, "IngressTLS.spec.tls.hosts")) {
          ingress.tls_hosts.push_back(*h);
        }
      }
    }
  }

  const kw::json::Value* rules = spec->Find("rules");
  if (d.Array(rules, "IngressSpec.spec.rules", "[]v1.IngressRule")) {
    for (const kw::json::Value& rule : *rules) {
      if (!d.Object(&rule, "IngressSpec.spec.rules", "v1.IngressRule")) continue;
      if (auto host = d.String(rule.Find("host"), "IngressRule.spec.rules.host")) {
        if (!host->empty()) ingress.rule_hosts.push_back(*host);
      }
      const kw::json::Value* http = rule.Find("http");
      if (!d.Object(http, "IngressRule.spec.rules.http", "v1.HTTPIngressRuleValue")) continue;
      const kw::json::Value* paths = http->Find("paths");
      if (!d.Array(paths, "HTTPIngressRuleValue.spec.rules.http.paths", "[]v1.HTTPIngressPath")) {
        continue;
      }
      for (const kw::json::Value& path : *paths) {
        if (!d.Object(&path, "HTTPIngressRuleValue.spec.rules.http.paths", "v1.HTTPIngressPath")) {
          continue;
        }
        const kw::json::Value* backend = path.Find("backend");
        if (!d.Object(backend, "HTTPIngressPath.spec.rules.http.paths.backend",
                      "v1.IngressBackend")) {
          continue;
        }
        const kw::json::Value* service = backend->Find("service");
        if (!d.Object(service, "IngressBackend.spec.rules.http.paths.backend.service",
                      "v1.IngressServiceBackend")) {
          continue;
        }
        const kw::json::Value* port = service->Find("port");
        if (!d.Object(port, "IngressServiceBackend.spec.rules.http.paths.backend.service.port",
                      "v1.ServiceBackendPort")) {
          continue;
        }
        d.String(port->Find("name"),
                 "ServiceBackendPort.spec.rules.http.paths.backend.service.port.name");
        const kw::json::Value* number = port->Find("number");
        if (number == nullptr || number->IsNull()) continue;
        std::optional<std::int64_t> n;
        std::string_view text = number->NumberText();
        bool integral = number->IsNumber() &&
                        text.find_first_of(".eE") == std::string_view::npos;
        if (integral) n = number->AsInt64();
        if (!n || *n < INT32_MIN || *n > INT32_MAX) {
          d.Fail(*number, "ServiceBackendPort.spec.rules.http.paths.backend.service.port.number",
                 "int32");
          continue;
        }
        // Named ports (no number) are ignored; a present number counts.
        ingress.ports.push_back(static_cast<std::uint64_t>(*n));
      }
    }
  }
  if (!d.error.empty()) return d.error;
  kw::SortUnique(ingress.tls_hosts);
  kw::SortUnique(ingress.rule_hosts);
  kw::SortUnique(ingress.ports);
  return std::nullopt;
}

std::string PortSet(const std::vector<std::uint64_t>& ports) {
  std::string out = "Set{";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (i > 0) out.append(", ");
    char buf[24];
    int len = 0;
    std::uint64_t v = ports[i];
    do {
      buf[len++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (len > 0) out.push_back(buf[--len]);
  }
  out.push_back('}');
  return out;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  Ingress ingress;
  if (auto error = DecodeIngress(request.object(), ingress)) return kw::Reject(*error, 400);

  if (settings.require_tls && ingress.tls_hosts != ingress.rule_hosts) {
    return kw::Reject("Not all hosts have TLS enabled");
  }
  if (!settings.allow_ports.empty()) {
    std::vector<std::uint64_t> bad;
    for (std::uint64_t port : ingress.ports) {
      if (!std::binary_search(settings.allow_ports.begin(), settings.allow_ports.end(), port)) {
        bad.push_back(port);
      }
    }
    if (!bad.empty()) return kw::Reject("these ports are not on the allowed list: " + PortSet(bad));
  }
  if (!settings.deny_ports.empty()) {
    std::vector<std::uint64_t> bad;
    for (std::uint64_t port : ingress.ports) {
      if (std::binary_search(settings.deny_ports.begin(), settings.deny_ports.end(), port)) {
        bad.push_back(port);
      }
    }
    if (!bad.empty()) return kw::Reject("these ports are explicitly denied: " + PortSet(bad));
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_GO_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
