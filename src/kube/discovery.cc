#include "kube/discovery.h"

#include <algorithm>

#include "base/json.h"
#include "base/percent_decode.h"

namespace kw::kube {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxGroupVersions = 1024;

// "v1" is the core group (/api/v1); anything else must be "<group>/<version>".
Result<std::pair<std::string, std::string>> SplitApiVersion(std::string_view api_version) {
  const std::size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) {
    if (api_version.empty()) return Fail(ErrorKind::kInvalidArgument, "empty apiVersion");
    return std::pair<std::string, std::string>{"", std::string(api_version)};
  }
  const std::string_view group = api_version.substr(0, slash);
  const std::string_view version = api_version.substr(slash + 1);
  if (group.empty() || version.empty() || version.find('/') != std::string_view::npos) {
    return Fail(ErrorKind::kInvalidArgument, "invalid apiVersion '" + std::string(api_version) + "'");
  }
  return std::pair<std::string, std::string>{std::string(group), std::string(version)};
}

std::string NotFound(std::string_view api_version, std::string_view kind) {
  return "Cannot find resource " + std::string(api_version) + "/" + std::string(kind);
}

}  // namespace

std::string ResourceType::ApiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::CollectionPath(std::string_view ns) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) path += "/namespaces/" + PercentEncode(ns);
  return path + "/" + plural;
}

std::string ResourceType::ObjectPath(std::string_view ns, std::string_view name,
                                     std::string_view subresource) const {
  std::string path = CollectionPath(ns) + "/" + PercentEncode(name);
  if (!subresource.empty()) path += "/" + PercentEncode(subresource);
  return path;
}

bool ResourceType::Supports(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

Result<std::vector<ResourceType>> ParseApiResourceList(std::string_view api_version,
                                                       std::string_view body) {
  KW_ASSIGN_OR_RETURN(auto group_version, SplitApiVersion(api_version));
  auto parsed = ParseJson(body, "invalid discovery document");
  if (!parsed) return Fail(ErrorKind::kSyntax, parsed.error().message);
  const json::value* list = FindKey(*parsed, "resources");
  if (list == nullptr || !list->is_array()) {
    return Fail(ErrorKind::kSyntax, "the discovery document for " + std::string(api_version) +
                                        " has no resources list");
  }
  std::vector<ResourceType> resources;
  for (const json::value& entry : list->as_array()) {
    ResourceType type;
    type.group = group_version.first;
    type.version = group_version.second;
    type.plural = StringAt(entry, {"name"});
    type.kind = StringAt(entry, {"kind"});
    // Subresources ("pods/status") share their parent's kind; they are not what a kind names.
    if (type.plural.empty() || type.kind.empty() || type.plural.find('/') != std::string::npos) {
      continue;
    }
    const json::value* namespaced = FindKey(entry, "namespaced");
    type.namespaced = namespaced != nullptr && namespaced->is_bool() && namespaced->as_bool();
    if (const json::value* verbs = FindKey(entry, "verbs"); verbs != nullptr && verbs->is_array()) {
      for (const json::value& verb : verbs->as_array()) {
        if (verb.is_string()) type.verbs.emplace_back(verb.as_string());
      }
    }
    resources.push_back(std::move(type));
  }
  return resources;
}

Discovery::Discovery(std::shared_ptr<const Client> client, std::chrono::milliseconds refresh_after)
    : client_(std::move(client)), refresh_after_(refresh_after) {}

Result<std::vector<ResourceType>> Discovery::Fetch(std::string_view api_version) const {
  KW_ASSIGN_OR_RETURN(auto group_version, SplitApiVersion(api_version));
  ApiRequest request;
  request.path = group_version.first.empty()
                     ? "/api/" + PercentEncode(group_version.second)
                     : "/apis/" + PercentEncode(group_version.first) + "/" +
                           PercentEncode(group_version.second);
  KW_ASSIGN_OR_RETURN(std::string body, client_->Call(request));
  return ParseApiResourceList(api_version, body);
}

Result<ResourceType> Discovery::Find(std::string_view api_version, std::string_view kind) {
  return Lookup(api_version, kind, &ResourceType::kind);
}

Result<ResourceType> Discovery::FindResource(std::string_view api_version,
                                             std::string_view plural) {
  return Lookup(api_version, plural, &ResourceType::plural);
}

Result<ResourceType> Discovery::Lookup(std::string_view api_version, std::string_view kind,
                                       std::string ResourceType::*field) {
  const auto lookup = [&](const GroupVersion& entry) -> const ResourceType* {
    for (const ResourceType& type : entry.resources) {
      if (type.*field == kind) return &type;
    }
    return nullptr;
  };
  {
    std::lock_guard lock(mutex_);
    auto cached = cache_.find(api_version);
    if (cached != cache_.end()) {
      if (const ResourceType* type = lookup(cached->second)) return *type;
      if (Clock::now() - cached->second.fetched < refresh_after_) {
        return Fail(ErrorKind::kNotFound, NotFound(api_version, kind));
      }
    }
  }
  // Fetched outside the lock: a slow API server must not stall lookups of cached kinds.
  auto fetched = Fetch(api_version);
  if (!fetched) {
    // A group/version the server does not serve at all is as unknown as a missing kind.
    if (fetched.error().kind == ErrorKind::kNotFound) {
      std::lock_guard lock(mutex_);
      // Guests choose what they ask about: unknown group/versions are remembered only up to a
      // bound, beyond which asking again costs a request instead of memory.
      if (cache_.size() < kMaxGroupVersions) {
        cache_.insert_or_assign(std::string(api_version), GroupVersion{{}, Clock::now()});
      }
      return Fail(ErrorKind::kNotFound, NotFound(api_version, kind));
    }
    return std::unexpected(std::move(fetched).error());
  }
  std::lock_guard lock(mutex_);
  GroupVersion& entry = cache_.insert_or_assign(std::string(api_version),
                                                GroupVersion{std::move(*fetched), Clock::now()})
                            .first->second;
  if (const ResourceType* type = lookup(entry)) return *type;
  return Fail(ErrorKind::kNotFound, NotFound(api_version, kind));
}

}  // namespace kw::kube
