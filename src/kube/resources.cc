#include "kube/resources.h"

#include "base/percent_decode.h"

namespace kw::kube {

namespace {

Result<json::value> ParseAnswer(const std::string& body) {
  auto parsed = ParseJson(body, "the API server's answer is not JSON");
  if (!parsed) return Fail(ErrorKind::kIo, parsed.error().message);
  return parsed;
}

Result<json::value> CallJson(const Client& client, std::string method, std::string path,
                             std::string body = {},
                             std::string content_type = "application/json") {
  ApiRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.content_type = std::move(content_type);
  KW_ASSIGN_OR_RETURN(std::string answer, client.Call(request));
  return ParseAnswer(answer);
}

Result<std::string> NameOf(const json::value& object) {
  std::string name = StringAt(object, {"metadata", "name"});
  if (name.empty()) return Fail(ErrorKind::kInvalidArgument, "the object has no metadata.name");
  return name;
}

}  // namespace

void AddQuery(std::string& path, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += key;
  path += '=';
  path += PercentEncode(value);
}

void AddSelectors(std::string& path, const Selectors& selectors) {
  AddQuery(path, "labelSelector", selectors.label_selector);
  AddQuery(path, "fieldSelector", selectors.field_selector);
}

Result<ListPage> ListPageOf(const Client& client, const ResourceType& type,
                            const ListOptions& options) {
  std::string path = type.CollectionPath(options.ns);
  AddSelectors(path, options.selectors);
  if (options.limit > 0) AddQuery(path, "limit", std::to_string(options.limit));
  AddQuery(path, "continue", options.continue_token);
  AddQuery(path, "resourceVersion", options.resource_version);
  KW_ASSIGN_OR_RETURN(json::value list, CallJson(client, "GET", std::move(path)));
  ListPage page;
  page.resource_version = StringAt(list, {"metadata", "resourceVersion"});
  page.continue_token = StringAt(list, {"metadata", "continue"});
  json::value* items = list.is_object() ? list.as_object().if_contains("items") : nullptr;
  if (items == nullptr || !(items->is_array() || items->is_null())) {
    return Fail(ErrorKind::kIo, "the API server's list of " + type.plural + " has no items");
  }
  if (items->is_array()) {
    page.items.reserve(items->as_array().size());
    for (json::value& item : items->as_array()) page.items.push_back(std::move(item));
  }
  return page;
}

Result<std::string> ListAll(const Client& client, const ResourceType& type, ListOptions options,
                            const std::function<Result<void>(ListPage&)>& on_page) {
  std::string resource_version;
  for (bool first = true;; first = false) {
    KW_ASSIGN_OR_RETURN(ListPage page, ListPageOf(client, type, options));
    if (first) resource_version = page.resource_version;
    KW_TRY(on_page(page));
    if (page.continue_token.empty()) return resource_version;
    options.continue_token = std::move(page.continue_token);
    // The token pins the snapshot; a resourceVersion beside it is refused by the server.
    options.resource_version.clear();
  }
}

Result<json::value> Get(const Client& client, const ResourceType& type, std::string_view ns,
                        std::string_view name) {
  return CallJson(client, "GET", type.ObjectPath(ns, name));
}

Result<json::value> Create(const Client& client, const ResourceType& type, std::string_view ns,
                           const json::value& object) {
  return CallJson(client, "POST", type.CollectionPath(ns), ToJson(object));
}

Result<json::value> Update(const Client& client, const ResourceType& type, std::string_view ns,
                           const json::value& object, std::string_view subresource) {
  KW_ASSIGN_OR_RETURN(std::string name, NameOf(object));
  return CallJson(client, "PUT", type.ObjectPath(ns, name, subresource), ToJson(object));
}

Result<json::value> MergePatch(const Client& client, const ResourceType& type, std::string_view ns,
                               std::string_view name, const json::value& patch,
                               std::string_view subresource) {
  return CallJson(client, "PATCH", type.ObjectPath(ns, name, subresource), ToJson(patch),
                  "application/merge-patch+json");
}

Result<json::value> Apply(const Client& client, const ResourceType& type, std::string_view ns,
                          const json::value& object, const ApplyOptions& options,
                          std::string_view subresource) {
  KW_ASSIGN_OR_RETURN(std::string name, NameOf(object));
  std::string path = type.ObjectPath(ns, name, subresource);
  AddQuery(path, "fieldManager", options.field_manager);
  if (options.force) AddQuery(path, "force", "true");
  // JSON is YAML: the apply content type takes either.
  return CallJson(client, "PATCH", std::move(path), ToJson(object), "application/apply-patch+yaml");
}

Result<json::value> Delete(const Client& client, const ResourceType& type, std::string_view ns,
                           std::string_view name, const DeleteOptions& options) {
  std::string body;
  if (!options.propagation_policy.empty()) {
    body = ToJson(json::object{{"kind", "DeleteOptions"},
                               {"apiVersion", "v1"},
                               {"propagationPolicy", options.propagation_policy}});
  }
  return CallJson(client, "DELETE", type.ObjectPath(ns, name), std::move(body));
}

Result<void> DeleteCollection(const Client& client, const ResourceType& type, std::string_view ns,
                              const Selectors& selectors, const DeleteOptions& options) {
  std::string path = type.CollectionPath(ns);
  AddSelectors(path, selectors);
  AddQuery(path, "propagationPolicy", options.propagation_policy);
  KW_TRY(CallJson(client, "DELETE", std::move(path)));
  return {};
}

Result<json::value> SubjectAccessReview(const Client& client, const json::value& spec) {
  const json::object review{{"apiVersion", "authorization.k8s.io/v1"},
                            {"kind", "SubjectAccessReview"},
                            {"spec", spec}};
  KW_ASSIGN_OR_RETURN(json::value answer,
                      CallJson(client, "POST",
                               "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                               ToJson(review)));
  const json::value* status = FindKey(answer, "status");
  if (status == nullptr || !status->is_object()) {
    return Fail(ErrorKind::kIo, "the API server's SubjectAccessReview answer has no status");
  }
  return *status;
}

}  // namespace kw::kube
