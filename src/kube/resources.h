// The verbs of the Kubernetes API on a resource type (discovery.h): get, list with pagination and
// selectors, create, update, patches (JSON merge, server-side apply), the status subresource,
// delete and delete-collection, and SubjectAccessReviews. Objects are Boost.JSON values in and
// out; failures carry the API server's Status (client.h).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kw::kube {

struct Selectors {
  std::string label_selector;  // "app=nginx,tier in (web)"
  std::string field_selector;  // "metadata.name=x"
};

// Appends `key=<value, percent-encoded>` to a path's query string ("?" first, then "&"); nothing
// when `value` is empty.
void AddQuery(std::string& path, std::string_view key, std::string_view value);
// The selectors as labelSelector / fieldSelector query parameters.
void AddSelectors(std::string& path, const Selectors& selectors);

struct ListOptions {
  std::string ns;  // empty: every namespace (or a cluster-scoped resource)
  Selectors selectors;
  std::size_t limit = 500;         // page size; 0: the server's choice (everything)
  std::string continue_token;      // from the previous page
  std::string resource_version;    // empty: the most recent
};

struct ListPage {
  std::vector<json::value> items;
  std::string resource_version;  // of the list
  std::string continue_token;    // empty on the last page
};

// One page of a list.
Result<ListPage> ListPageOf(const Client& client, const ResourceType& type,
                            const ListOptions& options);
// Every page, handed over page by page (so a large list is never held twice); returns the
// list's resourceVersion. A continue token that expired mid-way (410) fails: callers relist.
Result<std::string> ListAll(const Client& client, const ResourceType& type, ListOptions options,
                            const std::function<Result<void>(ListPage&)>& on_page);

Result<json::value> Get(const Client& client, const ResourceType& type, std::string_view ns,
                        std::string_view name);
Result<json::value> Create(const Client& client, const ResourceType& type, std::string_view ns,
                           const json::value& object);
// PUT: conflicts (a stale metadata.resourceVersion) are kConflict.
Result<json::value> Update(const Client& client, const ResourceType& type, std::string_view ns,
                           const json::value& object, std::string_view subresource = {});
// RFC 7386 JSON merge patch.
Result<json::value> MergePatch(const Client& client, const ResourceType& type, std::string_view ns,
                               std::string_view name, const json::value& patch,
                               std::string_view subresource = {});

struct ApplyOptions {
  std::string field_manager;  // required by the API server
  bool force = false;         // take over fields other managers own
};
// Server-side apply of `object` (its apiVersion, kind and metadata.name are required).
Result<json::value> Apply(const Client& client, const ResourceType& type, std::string_view ns,
                          const json::value& object, const ApplyOptions& options,
                          std::string_view subresource = {});

struct DeleteOptions {
  std::string propagation_policy;  // "", "Foreground", "Background", "Orphan"
};
// The object as the server answered (the deleted object, or a Status while finalizers run).
Result<json::value> Delete(const Client& client, const ResourceType& type, std::string_view ns,
                           std::string_view name, const DeleteOptions& options = {});
Result<void> DeleteCollection(const Client& client, const ResourceType& type, std::string_view ns,
                              const Selectors& selectors, const DeleteOptions& options = {});

// POSTs a SubjectAccessReview whose `spec` is given and returns its `status`.
Result<json::value> SubjectAccessReview(const Client& client, const json::value& spec);

}  // namespace kw::kube
