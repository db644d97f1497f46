// An ObjectLookup over objects held in memory, for tests and fuzzing of the webhooks without a
// cluster. Not thread-safe while objects are added.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "crd/object_lookup.h"

namespace kw::crd {

class MapObjectLookup : public ObjectLookup {
 public:
  void Add(std::string_view api_version, std::string_view kind, std::string_view ns,
           std::string_view name, json::value object) {
    objects_[Id(api_version, kind, ns, name)] = std::move(object);
  }
  // Makes every Get fail with `error`, as an unreachable API server would.
  void FailWith(Error error) { failure_ = std::move(error); }

  Result<std::optional<json::value>> Get(std::string_view api_version, std::string_view kind,
                                         std::string_view ns, std::string_view name) override {
    if (failure_) return std::unexpected(*failure_);
    auto it = objects_.find(Id(api_version, kind, ns, name));
    if (it == objects_.end()) return std::optional<json::value>();
    return std::optional<json::value>(it->second);
  }

 private:
  using ObjectId = std::tuple<std::string, std::string, std::string, std::string>;
  static ObjectId Id(std::string_view api_version, std::string_view kind, std::string_view ns,
                     std::string_view name) {
    return {std::string(api_version), std::string(kind), std::string(ns), std::string(name)};
  }

  std::map<ObjectId, json::value> objects_;
  std::optional<Error> failure_;
};

}  // namespace kw::crd
