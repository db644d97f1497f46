// The errors of the double's API, carried as the real server's `Status` objects.
//
// Each factory produces the code, reason, message and details kube-apiserver answers with
// (k8s.io/apimachinery/pkg/api/errors), so that a client's error handling meets the same bodies.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace kw::kube_double {

struct ApiError {
  int code = 500;
  std::string reason;  // "NotFound", "AlreadyExists", ... ("" for a bare Failure)
  std::string message;
  json::object details;  // empty = no `details` key

  // The `Status` object: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}.
  json::object ToStatus() const;
};

template <typename T>
using ApiResult = std::expected<T, ApiError>;

inline std::unexpected<ApiError> Reject(ApiError error) { return std::unexpected(std::move(error)); }

// `resource` is the qualified resource the real server names in messages: "pods" for the core
// group, "deployments.apps" otherwise; `group` goes into details only when not empty.
struct ResourceName {
  std::string plural;
  std::string group;
  std::string Qualified() const { return group.empty() ? plural : plural + "." + group; }
};

ApiError NotFound(const ResourceName& resource, std::string_view name);
ApiError AlreadyExists(const ResourceName& resource, std::string_view name);
ApiError Conflict(const ResourceName& resource, std::string_view name, std::string_view why);
// "the object has been modified; please apply your changes to the latest version and try again"
ApiError ModifiedConflict(const ResourceName& resource, std::string_view name);
ApiError BadRequest(std::string message);
ApiError MethodNotSupported(const ResourceName& resource, std::string_view action);
// 422 "<Kind>[.<group>] \"<name>\" is invalid: <field>: <detail>" with one cause; with several,
// the "<field>: <detail>" parts are listed in brackets, comma-separated, as the real server.
struct InvalidCause {
  std::string field;
  std::string reason;  // "FieldValueRequired", "FieldValueInvalid", ...
  std::string detail;
};
ApiError Invalid(std::string_view group, std::string_view kind, std::string_view name,
                 const std::vector<InvalidCause>& causes);
ApiError Invalid(std::string_view group, std::string_view kind, std::string_view name,
                 std::string_view field, std::string_view cause_reason, std::string_view detail);
ApiError Expired(std::string message);
ApiError GenericNotFound();  // "the server could not find the requested resource"
ApiError Unauthorized();
ApiError Forbidden(std::string message);
ApiError InternalError(std::string message);
ApiError UnsupportedMediaType(std::string_view content_type);

}  // namespace kw::kube_double
