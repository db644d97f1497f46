#include "capabilities/rego_context.h"

#include <algorithm>

#include "base/json.h"

namespace kw::capabilities {

namespace {

using Clock = std::chrono::steady_clock;
using Resource = host::HostCapabilities::KubernetesResource;

std::string Quoted(std::string_view text) { return ToJson(json::value(text)); }

// Appends `"key":` after a comma when the object already has members.
void Member(std::string& out, bool& first, std::string_view key) {
  if (!first) out += ',';
  first = false;
  out += Quoted(key);
  out += ':';
}

struct Source {
  Resource resource;
  std::shared_ptr<const kube::Reflector> reflector;
};

// {<plural>: {<ns>: {<name>: obj}}} or, cluster-scoped, {<plural>: {<name>: obj}}.
std::string OpaInventory(const std::vector<Source>& sources) {
  std::string out = "{";
  bool first_plural = true;
  for (const Source& source : sources) {
    Member(out, first_plural, source.reflector->type().plural);
    out += '{';
    const bool namespaced = source.reflector->type().namespaced;
    std::string current_ns;
    bool first_ns = true, first_name = true, open_ns = false;
    source.reflector->Visit("", [&](std::string_view ns, std::string_view name,
                                    std::string_view json) {
      if (namespaced && (!open_ns || ns != current_ns)) {
        if (open_ns) out += '}';
        Member(out, first_ns, ns);
        out += '{';
        current_ns = std::string(ns);
        open_ns = true;
        first_name = true;
      }
      Member(out, first_name, name);
      out += json;
    });
    if (open_ns) out += '}';
    out += '}';
  }
  out += '}';
  return out;
}

// {"cluster": {<apiVersion>: {<Kind>: {<name>: obj}}},
//  "namespace": {<ns>: {<apiVersion>: {<Kind>: {<name>: obj}}}}}
std::string GatekeeperInventory(const std::vector<Source>& sources) {
  // namespace -> apiVersion -> kind -> the objects' `"name":obj` members.
  std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> by_namespace;
  std::map<std::string, std::map<std::string, std::string>> cluster;
  for (const Source& source : sources) {
    const auto& [api_version, kind] = source.resource;
    const bool namespaced = source.reflector->type().namespaced;
    source.reflector->Visit("", [&](std::string_view ns, std::string_view name,
                                    std::string_view json) {
      std::string& members = namespaced ? by_namespace[std::string(ns)][api_version][kind]
                                        : cluster[api_version][kind];
      if (!members.empty()) members += ',';
      members += Quoted(name);
      members += ':';
      members += json;
    });
  }
  const auto write_versions = [](std::string& out,
                                 const std::map<std::string, std::map<std::string, std::string>>&
                                     versions) {
    out += '{';
    bool first_version = true;
    for (const auto& [api_version, kinds] : versions) {
      Member(out, first_version, api_version);
      out += '{';
      bool first_kind = true;
      for (const auto& [kind, members] : kinds) {
        Member(out, first_kind, kind);
        out += '{' + members + '}';
      }
      out += '}';
    }
    out += '}';
  };
  std::string out = "{\"cluster\":";
  write_versions(out, cluster);
  out += ",\"namespace\":{";
  bool first_ns = true;
  for (const auto& [ns, versions] : by_namespace) {
    Member(out, first_ns, ns);
    write_versions(out, versions);
  }
  out += "}}";
  return out;
}

}  // namespace

Result<std::shared_ptr<const std::string>> ClusterRegoContext::Inventory(
    const host::HostCapabilities& capabilities, Shape shape,
    std::optional<Clock::time_point> deadline) const {
  if (!cluster_->connected()) {
    return Fail(ErrorKind::kHostError, std::string(kube::kNoClientMessage));
  }
  const Clock::time_point wait_until =
      deadline.value_or(Clock::now() + cluster_->options().default_wait);
  std::vector<Source> sources;
  for (const Resource& resource : capabilities.kubernetes_resources()) {
    KW_ASSIGN_OR_RETURN(auto reflector,
                        cluster_->Reflector({resource.first, resource.second, {}, {}}, wait_until));
    sources.push_back({resource, std::move(reflector)});
  }
  auto key = std::make_pair(capabilities.kubernetes_resources(), shape);
  {
    std::lock_guard lock(mutex_);
    auto found = built_.find(key);
    if (found != built_.end() &&
        std::all_of(sources.begin(), sources.end(), [&](const Source& source) {
          return source.reflector->last_change() < found->second.at;
        })) {
      return found->second.text;
    }
  }
  // Taken before reading: a change made while building makes the next call build again.
  const Clock::time_point started = Clock::now();
  auto text = std::make_shared<const std::string>(
      shape == Shape::kOpa ? OpaInventory(sources) : GatekeeperInventory(sources));
  std::lock_guard lock(mutex_);
  built_[key] = Built{text, started};
  return text;
}

}  // namespace kw::capabilities
