// Writes desired objects (desired.h) to the API server only where they differ from what it
// holds, so that a controller at steady state makes no writes at all.
//
// "Differs" is judged by Covers: the live object must hold every field the desired one sets,
// with the same value; fields only the live object has (what the API server defaults, what
// other managers own) are not a difference. Lists compare element by element and must have the
// same length. A difference is written with server-side apply (field manager
// "kubewarden-controller", forced), which also removes the fields the controller set before and
// no longer sets.
//
// Covers alone cannot see such a field (a label or a resource limit taken out of a
// PolicyServer): the live object still holds everything desired. So every object written
// carries the annotation kAppliedHashAnnotation, a digest of the desired object it was written
// from; a new desired object has a new digest, which the live one does not cover, and is
// applied.
//
// The API server rewrites some values into a canonical form (resource quantities: "1000m"
// becomes "1"), so desired objects carry them in that form already (desired.cc, with
// crd::Quantity::canonical()). A value still in another form (one the canonical form does not
// model) is written again at each reconciliation: a no-op apply (no new resourceVersion, no
// watch event, no loop). The API-server double does not rewrite quantities.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/json.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kw::controller {

inline constexpr std::string_view kAppliedHashAnnotation = "kubewarden.io/applied-hash";

// `desired` with kAppliedHashAnnotation set to the digest of `desired` itself.
json::value WithAppliedHash(const json::value& desired);

// True when `live` holds everything `desired` sets (see above).
bool Covers(const json::value& live, const json::value& desired);

class Applier {
 public:
  Applier(std::shared_ptr<const kube::Client> client, std::shared_ptr<kube::Discovery> discovery,
          std::string field_manager = "kubewarden-controller");

  // Applies `desired` unless `live` (the object as last seen, nullptr when there is none)
  // already covers it. Returns the object as the server answered when it wrote, else nullopt.
  Result<std::optional<json::value>> Ensure(const json::value& desired, const json::value* live);

  // Deletes the object when `live` says it exists; a 404 is success (already gone).
  Result<bool> EnsureDeleted(std::string_view api_version, std::string_view kind,
                             std::string_view ns, std::string_view name, const json::value* live);

  // Writes `status` to the object's status subresource unless `live`'s status already equals
  // it. The write is conditional on `live`'s resourceVersion (kConflict when it moved on).
  Result<bool> EnsureStatus(const json::value& live, const json::value& status);

  // Sets metadata.finalizers to `finalizers`, conditional on `live`'s resourceVersion.
  Result<void> SetFinalizers(const json::value& live, const json::array& finalizers);

  // Writes made so far (applies, deletes, status and finalizer updates).
  std::uint64_t writes() const { return writes_.load(); }

  kube::Discovery& discovery() { return *discovery_; }
  const kube::Client& client() const { return *client_; }

 private:
  Result<kube::ResourceType> TypeOf(const json::value& object);

  const std::shared_ptr<const kube::Client> client_;
  const std::shared_ptr<kube::Discovery> discovery_;
  const std::string field_manager_;
  std::atomic<std::uint64_t> writes_{0};
};

}  // namespace kw::controller
