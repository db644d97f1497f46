// How the admission webhooks read other objects of the cluster (the image pull Secret and the
// sigstore trust ConfigMap a PolicyServer names). The controller implements it with its
// Kubernetes client; tests with a map.
#pragma once

#include <optional>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace kw::crd {

class ObjectLookup {
 public:
  virtual ~ObjectLookup() = default;
  // The object `kind` ("Secret") of `api_version` ("v1") named `name` in namespace `ns`;
  // nullopt when it does not exist; an error when the API server could not tell. May be called
  // from several webhook requests at once.
  virtual Result<std::optional<json::value>> Get(std::string_view api_version,
                                                 std::string_view kind, std::string_view ns,
                                                 std::string_view name) = 0;
};

}  // namespace kw::crd
