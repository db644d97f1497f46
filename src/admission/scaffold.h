// `kwctl scaffold admission-request` (spec tooling §1.4): a test AdmissionRequest for an object.
//
// Only CREATE is implemented, as upstream. The request has the fixed uid
// 705ab4f5-6393-11e8-b7cc-42010a800002, kind/requestKind from the object's apiVersion and kind,
// resource/requestResource with the kind's plural, namespace (namespaced kinds only: the
// object's metadata.namespace, else "default"), operation CREATE, userInfo {username:
// "test-user", groups: ["system:masters"]}, and the object. The keys are in the order of a
// normalized AdmissionRequest (request.h).
//
// Difference from upstream: upstream finds the plural and the scope in an API-resource catalog
// fetched from the live cluster (with a placeholder plural when that fails). We use a built-in
// table of the common core, apps, batch, networking, policy, rbac, storage, autoscaling,
// admissionregistration, apiextensions and Kubewarden kinds; other kinds get the lower-cased
// kind pluralized by English rules (+s; +es after s, x, z, ch, sh; y -> ies after a consonant)
// and are treated as namespaced (like most custom resources). No cluster is contacted.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace kw::admission {

inline constexpr std::string_view kScaffoldUid = "705ab4f5-6393-11e8-b7cc-42010a800002";

struct ResourceInfo {
  std::string plural;
  bool namespaced = true;
};

// Plural and scope for a kind: the table entry for (group, kind), else for the kind in any group
// (older API groups such as extensions/v1beta1 Ingress), else the English-rules fallback.
ResourceInfo LookupResource(std::string_view group, std::string_view kind);

// `operation` other than CREATE: kUnimplemented for UPDATE/DELETE/CONNECT, kInvalidArgument for
// anything else. `object` must be an object with string `apiVersion` and `kind`.
// `old_object` must be null for CREATE (a CREATE request has no old object).
Result<json::value> ScaffoldAdmissionRequest(std::string_view operation, const json::value& object,
                                             const json::value* old_object);

}  // namespace kw::admission
