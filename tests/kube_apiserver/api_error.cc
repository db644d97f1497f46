#include "kube_apiserver/api_error.h"

namespace kw::kube_double {
namespace {

json::object Details(const ResourceName& resource, std::string_view name) {
  json::object details;
  details["name"] = name;
  if (!resource.group.empty()) details["group"] = resource.group;
  details["kind"] = resource.plural;
  return details;
}

}  // namespace

json::object ApiError::ToStatus() const {
  json::object status;
  status["kind"] = "Status";
  status["apiVersion"] = "v1";
  status["metadata"] = json::object();
  status["status"] = "Failure";
  status["message"] = message;
  if (!reason.empty()) status["reason"] = reason;
  if (!details.empty()) status["details"] = details;
  status["code"] = code;
  return status;
}

ApiError NotFound(const ResourceName& resource, std::string_view name) {
  return {404, "NotFound", resource.Qualified() + " \"" + std::string(name) + "\" not found",
          Details(resource, name)};
}

ApiError AlreadyExists(const ResourceName& resource, std::string_view name) {
  return {409, "AlreadyExists",
          resource.Qualified() + " \"" + std::string(name) + "\" already exists",
          Details(resource, name)};
}

ApiError Conflict(const ResourceName& resource, std::string_view name, std::string_view why) {
  return {409, "Conflict",
          "Operation cannot be fulfilled on " + resource.Qualified() + " \"" + std::string(name) +
              "\": " + std::string(why),
          Details(resource, name)};
}

ApiError ModifiedConflict(const ResourceName& resource, std::string_view name) {
  return Conflict(resource, name,
                  "the object has been modified; please apply your changes to the latest version "
                  "and try again");
}

ApiError BadRequest(std::string message) { return {400, "BadRequest", std::move(message), {}}; }

ApiError MethodNotSupported(const ResourceName& resource, std::string_view action) {
  json::object details;
  if (!resource.group.empty()) details["group"] = resource.group;
  details["kind"] = resource.plural;
  return {405, "MethodNotAllowed",
          std::string(action) + " is not supported on resources of kind \"" +
              resource.Qualified() + "\"",
          details};
}

ApiError Invalid(std::string_view group, std::string_view kind, std::string_view name,
                 const std::vector<InvalidCause>& causes) {
  json::array cause_list;
  std::string listed;
  for (const auto& c : causes) {
    cause_list.push_back(
        json::object{{"reason", c.reason}, {"message", c.detail}, {"field", c.field}});
    if (!listed.empty()) listed += ", ";
    listed += c.field + ": " + c.detail;
  }
  if (causes.size() > 1) listed = "[" + listed + "]";
  json::object details;
  details["name"] = name;
  if (!group.empty()) details["group"] = group;
  details["kind"] = kind;
  details["causes"] = std::move(cause_list);
  std::string qualified = group.empty() ? std::string(kind)
                                        : std::string(kind) + "." + std::string(group);
  return {422, "Invalid", qualified + " \"" + std::string(name) + "\" is invalid: " + listed,
          details};
}

ApiError Invalid(std::string_view group, std::string_view kind, std::string_view name,
                 std::string_view field, std::string_view cause_reason, std::string_view detail) {
  return Invalid(group, kind, name,
                 {{std::string(field), std::string(cause_reason), std::string(detail)}});
}

ApiError Expired(std::string message) { return {410, "Expired", std::move(message), {}}; }

ApiError GenericNotFound() {
  return {404, "NotFound", "the server could not find the requested resource", {}};
}

ApiError Unauthorized() { return {401, "Unauthorized", "Unauthorized", {}}; }

ApiError Forbidden(std::string message) { return {403, "Forbidden", std::move(message), {}}; }

ApiError InternalError(std::string message) {
  return {500, "InternalError", "Internal error occurred: " + message, {}};
}

ApiError UnsupportedMediaType(std::string_view content_type) {
  return {415, "UnsupportedMediaType",
          "the body of the request was in an unknown format - accepted media types include: "
          "application/json-patch+json, application/merge-patch+json, "
          "application/apply-patch+yaml, application/strategic-merge-patch+json",
          {}};
}

}  // namespace kw::kube_double
