// The five Kubewarden kinds the controller's admission webhooks serve (spec tooling.md §5.1).
#pragma once

#include <optional>
#include <string_view>

namespace kw::crd {

enum class CrdKind {
  kPolicyServer,
  kClusterAdmissionPolicy,
  kAdmissionPolicy,
  kClusterAdmissionPolicyGroup,
  kAdmissionPolicyGroup,
};

// "ClusterAdmissionPolicy", as in `kind:` and in messages.
constexpr std::string_view KindName(CrdKind kind) {
  switch (kind) {
    case CrdKind::kPolicyServer: return "PolicyServer";
    case CrdKind::kClusterAdmissionPolicy: return "ClusterAdmissionPolicy";
    case CrdKind::kAdmissionPolicy: return "AdmissionPolicy";
    case CrdKind::kClusterAdmissionPolicyGroup: return "ClusterAdmissionPolicyGroup";
    case CrdKind::kAdmissionPolicyGroup: return "AdmissionPolicyGroup";
  }
  return "";
}

constexpr bool IsPolicyGroup(CrdKind kind) {
  return kind == CrdKind::kClusterAdmissionPolicyGroup || kind == CrdKind::kAdmissionPolicyGroup;
}

// AdmissionPolicy and AdmissionPolicyGroup live in a namespace and are confined to it.
constexpr bool IsNamespacedPolicy(CrdKind kind) {
  return kind == CrdKind::kAdmissionPolicy || kind == CrdKind::kAdmissionPolicyGroup;
}

}  // namespace kw::crd
