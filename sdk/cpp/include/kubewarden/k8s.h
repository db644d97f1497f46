// kubewarden/k8s.h: Kubernetes objects — typed decoding, pod specs, containers.
//
// Pod specs (policies.md §1.5). Kind dispatch uses request.kind.kind, never object.kind:
//   Pod                                         -> spec
//   Deployment, ReplicaSet, StatefulSet,
//   DaemonSet, Job, ReplicationController       -> spec/template/spec
//   CronJob                                     -> spec/jobTemplate/spec/template/spec
// Three extraction helpers return the pod spec (a pointer into request.mutable_object(), so
// edits to it are edits of the object, written back at the same path), nullptr for "none", or
// an error text:
//   ExtractPodSpec    (R, Rust SDK): decodes the object as its kind (typed check below); any
//                     other kind: "Object should be one of these kinds: Deployment, ...";
//                     decode failure: "error deserializing JSON data: <serde text>";
//                     a missing or null step of the path: none.
//   ExtractPodSpecGo  (G, Go SDK): the same with "object should be ..." (lower-case o) and
//                     Go-style decode errors; a missing pod spec is an empty one, never none.
//   ExtractPodSpecFromPod (P): decodes request.object as a Pod whatever the kind.
//
// Typed decoding (§1.4). Upstream Rust policies deserialize the object into k8s-openapi structs;
// a wrong JSON type anywhere fails the decode. CheckObject walks the object against a compact
// schema of the workload kinds (ObjectMeta, the workload specs, PodSpec, Container,
// SecurityContext, probes, volumes, ...) in document order and reports the first mismatch the
// way serde would ("invalid type: string \"yes\", expected a boolean"), plus the Rust-only
// apiVersion/kind check ("invalid value: string \"v2\", expected v1"). Unknown members are
// ignored and JSON null is "absent" (except in required fields, as in k8s-openapi). `status`
// and a few free-form structs are not descended into; their internals are not type-checked.
//
// Containers: Containers(spec, ContainerList::kInit) iterates one list (empty when absent or not
// an array); ContainerListKey names it. ForEachContainer walks several lists in one loop and
// hands over each container's list and index; ContainerPointer turns those into the JSON
// pointer a patch or a message needs ("/spec/template/spec/initContainers/0").
//
// All functions are pure apart from the documented edits; the schema is constant data.
#ifndef KUBEWARDEN_K8S_H_
#define KUBEWARDEN_K8S_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "kubewarden/json.h"
#include "kubewarden/request.h"
#include "kubewarden/serde.h"

namespace kubewarden::k8s {

// ------------------------------------------------------------------------------------------------
// Schema.
// ------------------------------------------------------------------------------------------------

enum class FieldType : std::uint8_t {
  kString,       // String
  kBool,         // bool
  kInt32,        // i32
  kInt64,        // i64
  kIntOrString,  // IntOrString: an i32 or a string
  kQuantity,     // Quantity: a string (a JSON number is a decode error, §1.4)
  kTime,         // Time: a string (the format is not checked)
  kStringList,   // Vec<String>
  kInt64List,    // Vec<i64>
  kStringMap,    // BTreeMap<String, String>
  kQuantityMap,  // BTreeMap<String, Quantity>
  kStruct,       // a nested struct (`schema`)
  kStructList,   // Vec<struct>
  kAny,          // not checked
  kApiVersion,   // the top-level apiVersion (Rust: must equal the kind's)
  kKind,         // the top-level kind (Rust: must equal the kind's)
};

struct Struct;

// Packed (12 bytes on wasm32): the schema is a few hundred of these in the module's data.
struct Field {
  constexpr Field() = default;
  constexpr Field(std::string_view n, FieldType t, const Struct* s = nullptr, bool r = false)
      : name_data(n.data()),
        name_size(static_cast<std::uint8_t>(n.size())),
        type(t),
        required(r),
        schema(s) {}
  constexpr std::string_view name() const { return {name_data, name_size}; }

  const char* name_data = "";
  std::uint8_t name_size = 0;
  FieldType type = FieldType::kAny;
  bool required = false;           // a non-Option field: null is a type error
  const Struct* schema = nullptr;  // kStruct, kStructList
};

struct Struct {
  constexpr std::string_view name() const { return {name_data, name_size}; }

  const char* name_data;  // the k8s-openapi type name ("PodSpec")
  std::uint8_t name_size;
  std::uint8_t size;          // number of fields
  std::uint8_t mask;          // hash table size - 1 (a power of two minus one)
  const Field* fields;        // in declaration order
  const std::uint8_t* slots;  // open-addressing hash table: field index + 1, or 0 (empty)
};

namespace schema {

// Fields are found through a small hash table built at compile time, so a lookup is usually
// one hash, one slot and one comparison: the decoder looks up every member of the object.
constexpr std::uint32_t FieldHash(std::string_view name) {
  std::uint32_t n = static_cast<std::uint32_t>(name.size());
  if (n == 0) return 0;
  std::uint32_t h = n * 0x9E3779B1u;
  h ^= static_cast<unsigned char>(name[0]) * 0x85EBCA77u;
  h ^= static_cast<unsigned char>(name[n - 1]) * 0xC2B2AE3Du;
  h ^= static_cast<unsigned char>(name[n / 2]) * 0x27D4EB2Fu;
  return h ^ (h >> 15);
}

// At most 2/3 full, at most 256 slots.
template <std::size_t N>
constexpr std::size_t TableSize() {
  std::size_t p = 4;
  while (p * 2 < N * 3) p *= 2;
  return p;
}

template <std::size_t N>
struct HashedFields {
  Field fields[N];
  std::uint8_t slots[TableSize<N>()];
};

template <std::size_t N>
consteval HashedFields<N> HashFields(const Field (&in)[N]) {
  static_assert(N < 255 && TableSize<N>() <= 256);
  HashedFields<N> out{};
  constexpr std::uint32_t kMask = static_cast<std::uint32_t>(TableSize<N>() - 1);
  for (std::size_t i = 0; i < N; ++i) {
    out.fields[i] = in[i];
    std::uint32_t h = FieldHash(in[i].name()) & kMask;
    while (out.slots[h] != 0) h = (h + 1) & kMask;
    out.slots[h] = static_cast<std::uint8_t>(i + 1);
  }
  return out;
}

#define KW_K8S_STRUCT_(var, rust_name, table)                                           \
  inline constexpr auto var##Hashed_ = HashFields(table);                               \
  inline constexpr Struct var {                                                         \
    rust_name, sizeof(rust_name) - 1, sizeof(table) / sizeof(Field),                    \
        static_cast<std::uint8_t>(sizeof(var##Hashed_.slots) - 1), var##Hashed_.fields, \
        var##Hashed_.slots                                                              \
  }
#define KW_K8S_OPAQUE_(var, rust_name) \
  inline constexpr Struct var { rust_name, sizeof(rust_name) - 1, 0, 0, nullptr, nullptr }

using FT = FieldType;

// --- Free-form or rarely inspected structs: only "is an object" is checked. ---
KW_K8S_OPAQUE_(kAffinity, "Affinity");
KW_K8S_OPAQUE_(kEnvVarSource, "EnvVarSource");
KW_K8S_OPAQUE_(kPodFailurePolicy, "PodFailurePolicy");
KW_K8S_OPAQUE_(kSuccessPolicy, "SuccessPolicy");
KW_K8S_OPAQUE_(kPersistentVolumeClaim, "PersistentVolumeClaim");
KW_K8S_OPAQUE_(kAwsEbs, "AWSElasticBlockStoreVolumeSource");
KW_K8S_OPAQUE_(kAzureDisk, "AzureDiskVolumeSource");
KW_K8S_OPAQUE_(kAzureFile, "AzureFileVolumeSource");
KW_K8S_OPAQUE_(kCephFs, "CephFSVolumeSource");
KW_K8S_OPAQUE_(kCinder, "CinderVolumeSource");
KW_K8S_OPAQUE_(kDownwardApi, "DownwardAPIVolumeSource");
KW_K8S_OPAQUE_(kEphemeralVolume, "EphemeralVolumeSource");
KW_K8S_OPAQUE_(kFc, "FCVolumeSource");
KW_K8S_OPAQUE_(kFlocker, "FlockerVolumeSource");
KW_K8S_OPAQUE_(kGcePd, "GCEPersistentDiskVolumeSource");
KW_K8S_OPAQUE_(kGitRepo, "GitRepoVolumeSource");
KW_K8S_OPAQUE_(kGlusterfs, "GlusterfsVolumeSource");
KW_K8S_OPAQUE_(kIscsi, "ISCSIVolumeSource");
KW_K8S_OPAQUE_(kPhoton, "PhotonPersistentDiskVolumeSource");
KW_K8S_OPAQUE_(kPortworx, "PortworxVolumeSource");
KW_K8S_OPAQUE_(kProjected, "ProjectedVolumeSource");
KW_K8S_OPAQUE_(kQuobyte, "QuobyteVolumeSource");
KW_K8S_OPAQUE_(kRbd, "RBDVolumeSource");
KW_K8S_OPAQUE_(kScaleIo, "ScaleIOVolumeSource");
KW_K8S_OPAQUE_(kStorageOs, "StorageOSVolumeSource");
KW_K8S_OPAQUE_(kVsphere, "VsphereVirtualDiskVolumeSource");

// --- meta/v1 ---
inline constexpr Field kOwnerReferenceFields[] = {
    {"apiVersion", FT::kString, nullptr, true},
    {"blockOwnerDeletion", FT::kBool},
    {"controller", FT::kBool},
    {"kind", FT::kString, nullptr, true},
    {"name", FT::kString, nullptr, true},
    {"uid", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kOwnerReference, "OwnerReference", kOwnerReferenceFields);

inline constexpr Field kManagedFieldsEntryFields[] = {
    {"apiVersion", FT::kString}, {"fieldsType", FT::kString}, {"fieldsV1", FT::kAny},
    {"manager", FT::kString},    {"operation", FT::kString},  {"subresource", FT::kString},
    {"time", FT::kTime},
};
KW_K8S_STRUCT_(kManagedFieldsEntry, "ManagedFieldsEntry", kManagedFieldsEntryFields);

inline constexpr Field kObjectMetaFields[] = {
    {"annotations", FT::kStringMap},
    {"creationTimestamp", FT::kTime},
    {"deletionGracePeriodSeconds", FT::kInt64},
    {"deletionTimestamp", FT::kTime},
    {"finalizers", FT::kStringList},
    {"generateName", FT::kString},
    {"generation", FT::kInt64},
    {"labels", FT::kStringMap},
    {"managedFields", FT::kStructList, &kManagedFieldsEntry},
    {"name", FT::kString},
    {"namespace", FT::kString},
    {"ownerReferences", FT::kStructList, &kOwnerReference},
    {"resourceVersion", FT::kString},
    {"selfLink", FT::kString},
    {"uid", FT::kString},
};
KW_K8S_STRUCT_(kObjectMeta, "ObjectMeta", kObjectMetaFields);

inline constexpr Field kLabelSelectorRequirementFields[] = {
    {"key", FT::kString, nullptr, true},
    {"operator", FT::kString, nullptr, true},
    {"values", FT::kStringList},
};
KW_K8S_STRUCT_(kLabelSelectorRequirement, "LabelSelectorRequirement",
               kLabelSelectorRequirementFields);

inline constexpr Field kLabelSelectorFields[] = {
    {"matchExpressions", FT::kStructList, &kLabelSelectorRequirement},
    {"matchLabels", FT::kStringMap},
};
KW_K8S_STRUCT_(kLabelSelector, "LabelSelector", kLabelSelectorFields);

// --- core/v1: containers ---
inline constexpr Field kCapabilitiesFields[] = {
    {"add", FT::kStringList},
    {"drop", FT::kStringList},
};
KW_K8S_STRUCT_(kCapabilities, "Capabilities", kCapabilitiesFields);

inline constexpr Field kSeLinuxOptionsFields[] = {
    {"level", FT::kString},
    {"role", FT::kString},
    {"type", FT::kString},
    {"user", FT::kString},
};
KW_K8S_STRUCT_(kSeLinuxOptions, "SELinuxOptions", kSeLinuxOptionsFields);

inline constexpr Field kSeccompProfileFields[] = {
    {"localhostProfile", FT::kString},
    {"type", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kSeccompProfile, "SeccompProfile", kSeccompProfileFields);

inline constexpr Field kAppArmorProfileFields[] = {
    {"localhostProfile", FT::kString},
    {"type", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kAppArmorProfile, "AppArmorProfile", kAppArmorProfileFields);

inline constexpr Field kWindowsOptionsFields[] = {
    {"gmsaCredentialSpec", FT::kString},
    {"gmsaCredentialSpecName", FT::kString},
    {"hostProcess", FT::kBool},
    {"runAsUserName", FT::kString},
};
KW_K8S_STRUCT_(kWindowsOptions, "WindowsSecurityContextOptions", kWindowsOptionsFields);

inline constexpr Field kSecurityContextFields[] = {
    {"allowPrivilegeEscalation", FT::kBool},
    {"appArmorProfile", FT::kStruct, &kAppArmorProfile},
    {"capabilities", FT::kStruct, &kCapabilities},
    {"privileged", FT::kBool},
    {"procMount", FT::kString},
    {"readOnlyRootFilesystem", FT::kBool},
    {"runAsGroup", FT::kInt64},
    {"runAsNonRoot", FT::kBool},
    {"runAsUser", FT::kInt64},
    {"seLinuxOptions", FT::kStruct, &kSeLinuxOptions},
    {"seccompProfile", FT::kStruct, &kSeccompProfile},
    {"windowsOptions", FT::kStruct, &kWindowsOptions},
};
KW_K8S_STRUCT_(kSecurityContext, "SecurityContext", kSecurityContextFields);

inline constexpr Field kSysctlFields[] = {
    {"name", FT::kString, nullptr, true},
    {"value", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kSysctl, "Sysctl", kSysctlFields);

inline constexpr Field kPodSecurityContextFields[] = {
    {"appArmorProfile", FT::kStruct, &kAppArmorProfile},
    {"fsGroup", FT::kInt64},
    {"fsGroupChangePolicy", FT::kString},
    {"runAsGroup", FT::kInt64},
    {"runAsNonRoot", FT::kBool},
    {"runAsUser", FT::kInt64},
    {"seLinuxChangePolicy", FT::kString},
    {"seLinuxOptions", FT::kStruct, &kSeLinuxOptions},
    {"seccompProfile", FT::kStruct, &kSeccompProfile},
    {"supplementalGroups", FT::kInt64List},
    {"supplementalGroupsPolicy", FT::kString},
    {"sysctls", FT::kStructList, &kSysctl},
    {"windowsOptions", FT::kStruct, &kWindowsOptions},
};
KW_K8S_STRUCT_(kPodSecurityContext, "PodSecurityContext", kPodSecurityContextFields);

inline constexpr Field kContainerPortFields[] = {
    {"containerPort", FT::kInt32, nullptr, true},
    {"hostIP", FT::kString},
    {"hostPort", FT::kInt32},
    {"name", FT::kString},
    {"protocol", FT::kString},
};
KW_K8S_STRUCT_(kContainerPort, "ContainerPort", kContainerPortFields);

inline constexpr Field kEnvVarFields[] = {
    {"name", FT::kString, nullptr, true},
    {"value", FT::kString},
    {"valueFrom", FT::kStruct, &kEnvVarSource},
};
KW_K8S_STRUCT_(kEnvVar, "EnvVar", kEnvVarFields);

inline constexpr Field kRefSourceFields[] = {
    {"name", FT::kString},
    {"optional", FT::kBool},
};
KW_K8S_STRUCT_(kConfigMapEnvSource, "ConfigMapEnvSource", kRefSourceFields);
KW_K8S_STRUCT_(kSecretEnvSource, "SecretEnvSource", kRefSourceFields);

inline constexpr Field kEnvFromSourceFields[] = {
    {"configMapRef", FT::kStruct, &kConfigMapEnvSource},
    {"prefix", FT::kString},
    {"secretRef", FT::kStruct, &kSecretEnvSource},
};
KW_K8S_STRUCT_(kEnvFromSource, "EnvFromSource", kEnvFromSourceFields);

inline constexpr Field kExecActionFields[] = {{"command", FT::kStringList}};
KW_K8S_STRUCT_(kExecAction, "ExecAction", kExecActionFields);

inline constexpr Field kHttpHeaderFields[] = {
    {"name", FT::kString, nullptr, true},
    {"value", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kHttpHeader, "HTTPHeader", kHttpHeaderFields);

inline constexpr Field kHttpGetActionFields[] = {
    {"host", FT::kString},   {"httpHeaders", FT::kStructList, &kHttpHeader},
    {"path", FT::kString},   {"port", FT::kIntOrString, nullptr, true},
    {"scheme", FT::kString},
};
KW_K8S_STRUCT_(kHttpGetAction, "HTTPGetAction", kHttpGetActionFields);

inline constexpr Field kTcpSocketActionFields[] = {
    {"host", FT::kString},
    {"port", FT::kIntOrString, nullptr, true},
};
KW_K8S_STRUCT_(kTcpSocketAction, "TCPSocketAction", kTcpSocketActionFields);

inline constexpr Field kGrpcActionFields[] = {
    {"port", FT::kInt32, nullptr, true},
    {"service", FT::kString},
};
KW_K8S_STRUCT_(kGrpcAction, "GRPCAction", kGrpcActionFields);

inline constexpr Field kSleepActionFields[] = {{"seconds", FT::kInt64, nullptr, true}};
KW_K8S_STRUCT_(kSleepAction, "SleepAction", kSleepActionFields);

inline constexpr Field kProbeFields[] = {
    {"exec", FT::kStruct, &kExecAction},
    {"failureThreshold", FT::kInt32},
    {"grpc", FT::kStruct, &kGrpcAction},
    {"httpGet", FT::kStruct, &kHttpGetAction},
    {"initialDelaySeconds", FT::kInt32},
    {"periodSeconds", FT::kInt32},
    {"successThreshold", FT::kInt32},
    {"tcpSocket", FT::kStruct, &kTcpSocketAction},
    {"terminationGracePeriodSeconds", FT::kInt64},
    {"timeoutSeconds", FT::kInt32},
};
KW_K8S_STRUCT_(kProbe, "Probe", kProbeFields);

inline constexpr Field kLifecycleHandlerFields[] = {
    {"exec", FT::kStruct, &kExecAction},
    {"httpGet", FT::kStruct, &kHttpGetAction},
    {"sleep", FT::kStruct, &kSleepAction},
    {"tcpSocket", FT::kStruct, &kTcpSocketAction},
};
KW_K8S_STRUCT_(kLifecycleHandler, "LifecycleHandler", kLifecycleHandlerFields);

inline constexpr Field kLifecycleFields[] = {
    {"postStart", FT::kStruct, &kLifecycleHandler},
    {"preStop", FT::kStruct, &kLifecycleHandler},
    {"stopSignal", FT::kString},
};
KW_K8S_STRUCT_(kLifecycle, "Lifecycle", kLifecycleFields);

inline constexpr Field kResourceClaimFields[] = {
    {"name", FT::kString, nullptr, true},
    {"request", FT::kString},
};
KW_K8S_STRUCT_(kResourceClaim, "ResourceClaim", kResourceClaimFields);

inline constexpr Field kResourceRequirementsFields[] = {
    {"claims", FT::kStructList, &kResourceClaim},
    {"limits", FT::kQuantityMap},
    {"requests", FT::kQuantityMap},
};
KW_K8S_STRUCT_(kResourceRequirements, "ResourceRequirements", kResourceRequirementsFields);

inline constexpr Field kContainerResizePolicyFields[] = {
    {"resourceName", FT::kString, nullptr, true},
    {"restartPolicy", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kContainerResizePolicy, "ContainerResizePolicy", kContainerResizePolicyFields);

inline constexpr Field kVolumeDeviceFields[] = {
    {"devicePath", FT::kString, nullptr, true},
    {"name", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kVolumeDevice, "VolumeDevice", kVolumeDeviceFields);

inline constexpr Field kVolumeMountFields[] = {
    {"mountPath", FT::kString, nullptr, true},
    {"mountPropagation", FT::kString},
    {"name", FT::kString, nullptr, true},
    {"readOnly", FT::kBool},
    {"recursiveReadOnly", FT::kString},
    {"subPath", FT::kString},
    {"subPathExpr", FT::kString},
};
KW_K8S_STRUCT_(kVolumeMount, "VolumeMount", kVolumeMountFields);

// Container and EphemeralContainer share these (EphemeralContainer adds targetContainerName).
#define KW_K8S_CONTAINER_FIELDS_A_                                                                 \
  {"args", FT::kStringList}, {"command", FT::kStringList}, {"env", FT::kStructList, &kEnvVar},     \
      {"envFrom", FT::kStructList, &kEnvFromSource}, {"image", FT::kString},                       \
      {"imagePullPolicy", FT::kString}, {"lifecycle", FT::kStruct, &kLifecycle},                   \
      {"livenessProbe", FT::kStruct, &kProbe}, {"name", FT::kString, nullptr, true},               \
      {"ports", FT::kStructList, &kContainerPort}, {"readinessProbe", FT::kStruct, &kProbe},       \
      {"resizePolicy", FT::kStructList, &kContainerResizePolicy},                                  \
      {"resources", FT::kStruct, &kResourceRequirements}, {"restartPolicy", FT::kString},          \
      {"securityContext", FT::kStruct, &kSecurityContext}, {"startupProbe", FT::kStruct, &kProbe}, \
      {"stdin", FT::kBool}, {                                                                      \
    "stdinOnce", FT::kBool                                                                         \
  }
#define KW_K8S_CONTAINER_FIELDS_B_                                                    \
  {"terminationMessagePath", FT::kString}, {"terminationMessagePolicy", FT::kString}, \
      {"tty", FT::kBool}, {"volumeDevices", FT::kStructList, &kVolumeDevice},         \
      {"volumeMounts", FT::kStructList, &kVolumeMount}, {                             \
    "workingDir", FT::kString                                                         \
  }

inline constexpr Field kContainerFields[] = {KW_K8S_CONTAINER_FIELDS_A_,
                                             KW_K8S_CONTAINER_FIELDS_B_};
KW_K8S_STRUCT_(kContainer, "Container", kContainerFields);

inline constexpr Field kEphemeralContainerFields[] = {
    KW_K8S_CONTAINER_FIELDS_A_, {"targetContainerName", FT::kString}, KW_K8S_CONTAINER_FIELDS_B_};
KW_K8S_STRUCT_(kEphemeralContainer, "EphemeralContainer", kEphemeralContainerFields);

#undef KW_K8S_CONTAINER_FIELDS_A_
#undef KW_K8S_CONTAINER_FIELDS_B_

// --- core/v1: volumes ---
inline constexpr Field kLocalObjectReferenceFields[] = {{"name", FT::kString}};
KW_K8S_STRUCT_(kLocalObjectReference, "LocalObjectReference", kLocalObjectReferenceFields);

inline constexpr Field kKeyToPathFields[] = {
    {"key", FT::kString, nullptr, true},
    {"mode", FT::kInt32},
    {"path", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kKeyToPath, "KeyToPath", kKeyToPathFields);

inline constexpr Field kConfigMapVolumeSourceFields[] = {
    {"defaultMode", FT::kInt32},
    {"items", FT::kStructList, &kKeyToPath},
    {"name", FT::kString},
    {"optional", FT::kBool},
};
KW_K8S_STRUCT_(kConfigMapVolumeSource, "ConfigMapVolumeSource", kConfigMapVolumeSourceFields);

inline constexpr Field kSecretVolumeSourceFields[] = {
    {"defaultMode", FT::kInt32},
    {"items", FT::kStructList, &kKeyToPath},
    {"optional", FT::kBool},
    {"secretName", FT::kString},
};
KW_K8S_STRUCT_(kSecretVolumeSource, "SecretVolumeSource", kSecretVolumeSourceFields);

inline constexpr Field kCsiVolumeSourceFields[] = {
    {"driver", FT::kString, nullptr, true},
    {"fsType", FT::kString},
    {"nodePublishSecretRef", FT::kStruct, &kLocalObjectReference},
    {"readOnly", FT::kBool},
    {"volumeAttributes", FT::kStringMap},
};
KW_K8S_STRUCT_(kCsiVolumeSource, "CSIVolumeSource", kCsiVolumeSourceFields);

inline constexpr Field kEmptyDirVolumeSourceFields[] = {
    {"medium", FT::kString},
    {"sizeLimit", FT::kQuantity},
};
KW_K8S_STRUCT_(kEmptyDirVolumeSource, "EmptyDirVolumeSource", kEmptyDirVolumeSourceFields);

inline constexpr Field kFlexVolumeSourceFields[] = {
    {"driver", FT::kString, nullptr, true},
    {"fsType", FT::kString},
    {"options", FT::kStringMap},
    {"readOnly", FT::kBool},
    {"secretRef", FT::kStruct, &kLocalObjectReference},
};
KW_K8S_STRUCT_(kFlexVolumeSource, "FlexVolumeSource", kFlexVolumeSourceFields);

inline constexpr Field kHostPathVolumeSourceFields[] = {
    {"path", FT::kString, nullptr, true},
    {"type", FT::kString},
};
KW_K8S_STRUCT_(kHostPathVolumeSource, "HostPathVolumeSource", kHostPathVolumeSourceFields);

inline constexpr Field kImageVolumeSourceFields[] = {
    {"pullPolicy", FT::kString},
    {"reference", FT::kString},
};
KW_K8S_STRUCT_(kImageVolumeSource, "ImageVolumeSource", kImageVolumeSourceFields);

inline constexpr Field kNfsVolumeSourceFields[] = {
    {"path", FT::kString, nullptr, true},
    {"readOnly", FT::kBool},
    {"server", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kNfsVolumeSource, "NFSVolumeSource", kNfsVolumeSourceFields);

inline constexpr Field kPvcVolumeSourceFields[] = {
    {"claimName", FT::kString, nullptr, true},
    {"readOnly", FT::kBool},
};
KW_K8S_STRUCT_(kPvcVolumeSource, "PersistentVolumeClaimVolumeSource", kPvcVolumeSourceFields);

inline constexpr Field kVolumeFields[] = {
    {"awsElasticBlockStore", FT::kStruct, &kAwsEbs},
    {"azureDisk", FT::kStruct, &kAzureDisk},
    {"azureFile", FT::kStruct, &kAzureFile},
    {"cephfs", FT::kStruct, &kCephFs},
    {"cinder", FT::kStruct, &kCinder},
    {"configMap", FT::kStruct, &kConfigMapVolumeSource},
    {"csi", FT::kStruct, &kCsiVolumeSource},
    {"downwardAPI", FT::kStruct, &kDownwardApi},
    {"emptyDir", FT::kStruct, &kEmptyDirVolumeSource},
    {"ephemeral", FT::kStruct, &kEphemeralVolume},
    {"fc", FT::kStruct, &kFc},
    {"flexVolume", FT::kStruct, &kFlexVolumeSource},
    {"flocker", FT::kStruct, &kFlocker},
    {"gcePersistentDisk", FT::kStruct, &kGcePd},
    {"gitRepo", FT::kStruct, &kGitRepo},
    {"glusterfs", FT::kStruct, &kGlusterfs},
    {"hostPath", FT::kStruct, &kHostPathVolumeSource},
    {"image", FT::kStruct, &kImageVolumeSource},
    {"iscsi", FT::kStruct, &kIscsi},
    {"name", FT::kString, nullptr, true},
    {"nfs", FT::kStruct, &kNfsVolumeSource},
    {"persistentVolumeClaim", FT::kStruct, &kPvcVolumeSource},
    {"photonPersistentDisk", FT::kStruct, &kPhoton},
    {"portworxVolume", FT::kStruct, &kPortworx},
    {"projected", FT::kStruct, &kProjected},
    {"quobyte", FT::kStruct, &kQuobyte},
    {"rbd", FT::kStruct, &kRbd},
    {"scaleIO", FT::kStruct, &kScaleIo},
    {"secret", FT::kStruct, &kSecretVolumeSource},
    {"storageos", FT::kStruct, &kStorageOs},
    {"vsphereVolume", FT::kStruct, &kVsphere},
};
KW_K8S_STRUCT_(kVolume, "Volume", kVolumeFields);

// --- core/v1: the pod spec ---
inline constexpr Field kPodDnsConfigOptionFields[] = {
    {"name", FT::kString},
    {"value", FT::kString},
};
KW_K8S_STRUCT_(kPodDnsConfigOption, "PodDNSConfigOption", kPodDnsConfigOptionFields);

inline constexpr Field kPodDnsConfigFields[] = {
    {"nameservers", FT::kStringList},
    {"options", FT::kStructList, &kPodDnsConfigOption},
    {"searches", FT::kStringList},
};
KW_K8S_STRUCT_(kPodDnsConfig, "PodDNSConfig", kPodDnsConfigFields);

inline constexpr Field kHostAliasFields[] = {
    {"hostnames", FT::kStringList},
    {"ip", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kHostAlias, "HostAlias", kHostAliasFields);

inline constexpr Field kPodOsFields[] = {{"name", FT::kString, nullptr, true}};
KW_K8S_STRUCT_(kPodOs, "PodOS", kPodOsFields);

inline constexpr Field kPodReadinessGateFields[] = {{"conditionType", FT::kString, nullptr, true}};
KW_K8S_STRUCT_(kPodReadinessGate, "PodReadinessGate", kPodReadinessGateFields);

inline constexpr Field kPodResourceClaimFields[] = {
    {"name", FT::kString, nullptr, true},
    {"resourceClaimName", FT::kString},
    {"resourceClaimTemplateName", FT::kString},
};
KW_K8S_STRUCT_(kPodResourceClaim, "PodResourceClaim", kPodResourceClaimFields);

inline constexpr Field kPodSchedulingGateFields[] = {{"name", FT::kString, nullptr, true}};
KW_K8S_STRUCT_(kPodSchedulingGate, "PodSchedulingGate", kPodSchedulingGateFields);

inline constexpr Field kTolerationFields[] = {
    {"effect", FT::kString},           {"key", FT::kString},   {"operator", FT::kString},
    {"tolerationSeconds", FT::kInt64}, {"value", FT::kString},
};
KW_K8S_STRUCT_(kToleration, "Toleration", kTolerationFields);

inline constexpr Field kTopologySpreadConstraintFields[] = {
    {"labelSelector", FT::kStruct, &kLabelSelector},
    {"matchLabelKeys", FT::kStringList},
    {"maxSkew", FT::kInt32, nullptr, true},
    {"minDomains", FT::kInt32},
    {"nodeAffinityPolicy", FT::kString},
    {"nodeTaintsPolicy", FT::kString},
    {"topologyKey", FT::kString, nullptr, true},
    {"whenUnsatisfiable", FT::kString, nullptr, true},
};
KW_K8S_STRUCT_(kTopologySpreadConstraint, "TopologySpreadConstraint",
               kTopologySpreadConstraintFields);

inline constexpr Field kPodSpecFields[] = {
    {"activeDeadlineSeconds", FT::kInt64},
    {"affinity", FT::kStruct, &kAffinity},
    {"automountServiceAccountToken", FT::kBool},
    {"containers", FT::kStructList, &kContainer, true},
    {"dnsConfig", FT::kStruct, &kPodDnsConfig},
    {"dnsPolicy", FT::kString},
    {"enableServiceLinks", FT::kBool},
    {"ephemeralContainers", FT::kStructList, &kEphemeralContainer},
    {"hostAliases", FT::kStructList, &kHostAlias},
    {"hostIPC", FT::kBool},
    {"hostNetwork", FT::kBool},
    {"hostPID", FT::kBool},
    {"hostUsers", FT::kBool},
    {"hostname", FT::kString},
    {"imagePullSecrets", FT::kStructList, &kLocalObjectReference},
    {"initContainers", FT::kStructList, &kContainer},
    {"nodeName", FT::kString},
    {"nodeSelector", FT::kStringMap},
    {"os", FT::kStruct, &kPodOs},
    {"overhead", FT::kQuantityMap},
    {"preemptionPolicy", FT::kString},
    {"priority", FT::kInt32},
    {"priorityClassName", FT::kString},
    {"readinessGates", FT::kStructList, &kPodReadinessGate},
    {"resourceClaims", FT::kStructList, &kPodResourceClaim},
    {"resources", FT::kStruct, &kResourceRequirements},
    {"restartPolicy", FT::kString},
    {"runtimeClassName", FT::kString},
    {"schedulerName", FT::kString},
    {"schedulingGates", FT::kStructList, &kPodSchedulingGate},
    {"securityContext", FT::kStruct, &kPodSecurityContext},
    {"serviceAccount", FT::kString},
    {"serviceAccountName", FT::kString},
    {"setHostnameAsFQDN", FT::kBool},
    {"shareProcessNamespace", FT::kBool},
    {"subdomain", FT::kString},
    {"terminationGracePeriodSeconds", FT::kInt64},
    {"tolerations", FT::kStructList, &kToleration},
    {"topologySpreadConstraints", FT::kStructList, &kTopologySpreadConstraint},
    {"volumes", FT::kStructList, &kVolume},
};
KW_K8S_STRUCT_(kPodSpec, "PodSpec", kPodSpecFields);

inline constexpr Field kPodTemplateSpecFields[] = {
    {"metadata", FT::kStruct, &kObjectMeta},
    {"spec", FT::kStruct, &kPodSpec},
};
KW_K8S_STRUCT_(kPodTemplateSpec, "PodTemplateSpec", kPodTemplateSpecFields);

// --- apps/v1 and batch/v1 specs ---
inline constexpr Field kRollingUpdateDeploymentFields[] = {
    {"maxSurge", FT::kIntOrString},
    {"maxUnavailable", FT::kIntOrString},
};
KW_K8S_STRUCT_(kRollingUpdateDeployment, "RollingUpdateDeployment", kRollingUpdateDeploymentFields);
KW_K8S_STRUCT_(kRollingUpdateDaemonSet, "RollingUpdateDaemonSet", kRollingUpdateDeploymentFields);

inline constexpr Field kDeploymentStrategyFields[] = {
    {"rollingUpdate", FT::kStruct, &kRollingUpdateDeployment},
    {"type", FT::kString},
};
KW_K8S_STRUCT_(kDeploymentStrategy, "DeploymentStrategy", kDeploymentStrategyFields);

inline constexpr Field kDaemonSetUpdateStrategyFields[] = {
    {"rollingUpdate", FT::kStruct, &kRollingUpdateDaemonSet},
    {"type", FT::kString},
};
KW_K8S_STRUCT_(kDaemonSetUpdateStrategy, "DaemonSetUpdateStrategy", kDaemonSetUpdateStrategyFields);

inline constexpr Field kRollingUpdateStatefulSetFields[] = {
    {"maxUnavailable", FT::kIntOrString},
    {"partition", FT::kInt32},
};
KW_K8S_STRUCT_(kRollingUpdateStatefulSet, "RollingUpdateStatefulSetStrategy",
               kRollingUpdateStatefulSetFields);

inline constexpr Field kStatefulSetUpdateStrategyFields[] = {
    {"rollingUpdate", FT::kStruct, &kRollingUpdateStatefulSet},
    {"type", FT::kString},
};
KW_K8S_STRUCT_(kStatefulSetUpdateStrategy, "StatefulSetUpdateStrategy",
               kStatefulSetUpdateStrategyFields);

inline constexpr Field kStatefulSetOrdinalsFields[] = {{"start", FT::kInt32}};
KW_K8S_STRUCT_(kStatefulSetOrdinals, "StatefulSetOrdinals", kStatefulSetOrdinalsFields);

inline constexpr Field kPvcRetentionPolicyFields[] = {
    {"whenDeleted", FT::kString},
    {"whenScaled", FT::kString},
};
KW_K8S_STRUCT_(kPvcRetentionPolicy, "StatefulSetPersistentVolumeClaimRetentionPolicy",
               kPvcRetentionPolicyFields);

inline constexpr Field kDeploymentSpecFields[] = {
    {"minReadySeconds", FT::kInt32},
    {"paused", FT::kBool},
    {"progressDeadlineSeconds", FT::kInt32},
    {"replicas", FT::kInt32},
    {"revisionHistoryLimit", FT::kInt32},
    {"selector", FT::kStruct, &kLabelSelector, true},
    {"strategy", FT::kStruct, &kDeploymentStrategy},
    {"template", FT::kStruct, &kPodTemplateSpec, true},
};
KW_K8S_STRUCT_(kDeploymentSpec, "DeploymentSpec", kDeploymentSpecFields);

inline constexpr Field kReplicaSetSpecFields[] = {
    {"minReadySeconds", FT::kInt32},
    {"replicas", FT::kInt32},
    {"selector", FT::kStruct, &kLabelSelector, true},
    {"template", FT::kStruct, &kPodTemplateSpec},
};
KW_K8S_STRUCT_(kReplicaSetSpec, "ReplicaSetSpec", kReplicaSetSpecFields);

inline constexpr Field kStatefulSetSpecFields[] = {
    {"minReadySeconds", FT::kInt32},
    {"ordinals", FT::kStruct, &kStatefulSetOrdinals},
    {"persistentVolumeClaimRetentionPolicy", FT::kStruct, &kPvcRetentionPolicy},
    {"podManagementPolicy", FT::kString},
    {"replicas", FT::kInt32},
    {"revisionHistoryLimit", FT::kInt32},
    {"selector", FT::kStruct, &kLabelSelector, true},
    {"serviceName", FT::kString},
    {"template", FT::kStruct, &kPodTemplateSpec, true},
    {"updateStrategy", FT::kStruct, &kStatefulSetUpdateStrategy},
    {"volumeClaimTemplates", FT::kStructList, &kPersistentVolumeClaim},
};
KW_K8S_STRUCT_(kStatefulSetSpec, "StatefulSetSpec", kStatefulSetSpecFields);

inline constexpr Field kDaemonSetSpecFields[] = {
    {"minReadySeconds", FT::kInt32},
    {"revisionHistoryLimit", FT::kInt32},
    {"selector", FT::kStruct, &kLabelSelector, true},
    {"template", FT::kStruct, &kPodTemplateSpec, true},
    {"updateStrategy", FT::kStruct, &kDaemonSetUpdateStrategy},
};
KW_K8S_STRUCT_(kDaemonSetSpec, "DaemonSetSpec", kDaemonSetSpecFields);

inline constexpr Field kReplicationControllerSpecFields[] = {
    {"minReadySeconds", FT::kInt32},
    {"replicas", FT::kInt32},
    {"selector", FT::kStringMap},
    {"template", FT::kStruct, &kPodTemplateSpec},
};
KW_K8S_STRUCT_(kReplicationControllerSpec, "ReplicationControllerSpec",
               kReplicationControllerSpecFields);

inline constexpr Field kJobSpecFields[] = {
    {"activeDeadlineSeconds", FT::kInt64},
    {"backoffLimit", FT::kInt32},
    {"backoffLimitPerIndex", FT::kInt32},
    {"completionMode", FT::kString},
    {"completions", FT::kInt32},
    {"managedBy", FT::kString},
    {"manualSelector", FT::kBool},
    {"maxFailedIndexes", FT::kInt32},
    {"parallelism", FT::kInt32},
    {"podFailurePolicy", FT::kStruct, &kPodFailurePolicy},
    {"podReplacementPolicy", FT::kString},
    {"selector", FT::kStruct, &kLabelSelector},
    {"successPolicy", FT::kStruct, &kSuccessPolicy},
    {"suspend", FT::kBool},
    {"template", FT::kStruct, &kPodTemplateSpec, true},
    {"ttlSecondsAfterFinished", FT::kInt32},
};
KW_K8S_STRUCT_(kJobSpec, "JobSpec", kJobSpecFields);

inline constexpr Field kJobTemplateSpecFields[] = {
    {"metadata", FT::kStruct, &kObjectMeta},
    {"spec", FT::kStruct, &kJobSpec},
};
KW_K8S_STRUCT_(kJobTemplateSpec, "JobTemplateSpec", kJobTemplateSpecFields);

inline constexpr Field kCronJobSpecFields[] = {
    {"concurrencyPolicy", FT::kString},
    {"failedJobsHistoryLimit", FT::kInt32},
    {"jobTemplate", FT::kStruct, &kJobTemplateSpec, true},
    {"schedule", FT::kString, nullptr, true},
    {"startingDeadlineSeconds", FT::kInt64},
    {"successfulJobsHistoryLimit", FT::kInt32},
    {"suspend", FT::kBool},
    {"timeZone", FT::kString},
};
KW_K8S_STRUCT_(kCronJobSpec, "CronJobSpec", kCronJobSpecFields);

// --- Top-level objects: apiVersion, kind, metadata, spec, status. ---
// (metadata is a plain ObjectMeta in k8s-openapi, not an Option: null is a type error.)
#define KW_K8S_TOP_(var, rust_name, spec)            \
  inline constexpr Field var##Fields[] = {           \
      {"apiVersion", FT::kApiVersion},               \
      {"kind", FT::kKind},                           \
      {"metadata", FT::kStruct, &kObjectMeta, true}, \
      {"spec", FT::kStruct, &spec},                  \
      {"status", FT::kAny},                          \
  };                                                 \
  KW_K8S_STRUCT_(var, rust_name, var##Fields)

KW_K8S_TOP_(kPod, "Pod", kPodSpec);
KW_K8S_TOP_(kDeployment, "Deployment", kDeploymentSpec);
KW_K8S_TOP_(kReplicaSet, "ReplicaSet", kReplicaSetSpec);
KW_K8S_TOP_(kStatefulSet, "StatefulSet", kStatefulSetSpec);
KW_K8S_TOP_(kDaemonSet, "DaemonSet", kDaemonSetSpec);
KW_K8S_TOP_(kReplicationController, "ReplicationController", kReplicationControllerSpec);
KW_K8S_TOP_(kJob, "Job", kJobSpec);
KW_K8S_TOP_(kCronJob, "CronJob", kCronJobSpec);

// Not a pod carrier: for CheckObject only (see kNamespaceKind).
inline constexpr Field kNamespaceSpecFields[] = {{"finalizers", FT::kStringList}};
KW_K8S_STRUCT_(kNamespaceSpec, "NamespaceSpec", kNamespaceSpecFields);
KW_K8S_TOP_(kNamespace, "Namespace", kNamespaceSpec);

#undef KW_K8S_TOP_
#undef KW_K8S_STRUCT_
#undef KW_K8S_OPAQUE_

}  // namespace schema

// One of the eight kinds that carry a pod spec.
struct WorkloadKind {
  std::string_view kind;           // "Deployment"
  std::string_view api_version;    // "apps/v1"
  std::string_view pod_spec_path;  // "spec/template/spec" (a json::Value::Get path)
  const Struct* schema;
};

inline constexpr WorkloadKind kWorkloadKinds[] = {
    {"Pod", "v1", "spec", &schema::kPod},
    {"Deployment", "apps/v1", "spec/template/spec", &schema::kDeployment},
    {"ReplicaSet", "apps/v1", "spec/template/spec", &schema::kReplicaSet},
    {"StatefulSet", "apps/v1", "spec/template/spec", &schema::kStatefulSet},
    {"DaemonSet", "apps/v1", "spec/template/spec", &schema::kDaemonSet},
    {"ReplicationController", "v1", "spec/template/spec", &schema::kReplicationController},
    {"Job", "batch/v1", "spec/template/spec", &schema::kJob},
    {"CronJob", "batch/v1", "spec/jobTemplate/spec/template/spec", &schema::kCronJob},
};

// A Namespace, for CheckObject(object, kNamespaceKind): it carries no pod spec and is not one of
// kWorkloadKinds (so the pod-spec extractions reject it as any other kind).
inline constexpr WorkloadKind kNamespaceKind{"Namespace", "v1", "", &schema::kNamespace};

// The workload kind named `kind`, or nullptr.
inline const WorkloadKind* FindWorkloadKind(std::string_view kind) {
  for (const WorkloadKind& w : kWorkloadKinds) {
    if (w.kind == kind) return &w;
  }
  return nullptr;
}

inline constexpr std::string_view kUnsupportedKindRust =
    "Object should be one of these kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, "
    "ReplicationController, Job, CronJob, Pod";
inline constexpr std::string_view kUnsupportedKindGo =
    "object should be one of these kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, "
    "ReplicationController, Job, CronJob, Pod";
inline constexpr std::string_view kDecodeErrorPrefixRust = "error deserializing JSON data: ";

// ------------------------------------------------------------------------------------------------
// Typed decoding.
// ------------------------------------------------------------------------------------------------

// Whose decoder to imitate: serde + k8s-openapi (Rust SDK) or encoding/json (Go SDK).
enum class Dialect { kRust, kGo };

namespace internal {

inline const Field* FindField(const Struct& s, std::string_view name) {
  if (s.size == 0) return nullptr;
  std::uint32_t h = schema::FieldHash(name) & s.mask;
  while (std::uint8_t slot = s.slots[h]) {
    const Field& f = s.fields[slot - 1];
    if (f.name_size == name.size() &&
        json::internal::BytesEqual(f.name_data, name.data(), name.size())) {
      return &f;
    }
    h = (h + 1) & s.mask;
  }
  return nullptr;
}

// One decode; the dialect is a template parameter so a policy only links the one it uses.
template <Dialect kDialect>
class Decoder {
 public:
  explicit Decoder(const WorkloadKind& kind) : kind_(kind) {}

  // Checks `object` against the kind's schema; returns the first error's text.
  std::optional<std::string> Run(const json::Value& object) {
    if (!object.IsObject()) {
      if constexpr (kDialect == Dialect::kRust) {
        return serde::InvalidType(object, kind_.kind);
      } else {
        return GoError(object, "v1." + std::string(kind_.kind));
      }
    }
    if (!CheckStruct(object, *kind_.schema)) return std::move(error_);
    return std::nullopt;
  }

 private:
  static constexpr std::size_t kMaxPath = 32;

  bool CheckStruct(const json::Value& v, const Struct& s) {
    for (const json::Value& m : v) {
      const Field* f = internal::FindField(s, m.key());
      if (f == nullptr) continue;
      if constexpr (kDialect == Dialect::kGo) {
        // Go's errors name the field path (serde's do not).
        if (depth_ < kMaxPath) path_[depth_] = f->name();
        struct_[depth_ < kMaxPath ? depth_ : kMaxPath - 1] = &s;
      }
      ++depth_;
      bool ok = CheckField(m, *f);
      --depth_;
      if (!ok) return false;
    }
    return true;
  }

  bool CheckField(const json::Value& v, const Field& f) {
    if (v.IsNull()) {
      if (!f.required || kDialect == Dialect::kGo) return true;
      return Fail(v, f.type, f.schema);
    }
    switch (f.type) {
      case FieldType::kString:
      case FieldType::kQuantity:
      case FieldType::kTime:
        return v.IsString() || Fail(v, f.type, f.schema);
      case FieldType::kBool:
        return v.IsBool() || Fail(v, f.type, f.schema);
      case FieldType::kInt32:
        return CheckInteger<std::int32_t>(v, f);
      case FieldType::kInt64:
        return CheckInteger<std::int64_t>(v, f);
      case FieldType::kIntOrString:
        if (v.IsString()) return true;
        return CheckInteger<std::int32_t>(v, f);
      case FieldType::kStringList:
      case FieldType::kInt64List:
        if (!v.IsArray()) return Fail(v, f.type, f.schema);
        for (const json::Value& e : v) {
          bool ok = f.type == FieldType::kStringList ? e.IsString()
                                                     : (e.IsInteger() && e.AsInt64().has_value());
          if (!ok && !(e.IsNull() && kDialect == Dialect::kGo)) {
            return Fail(e,
                        f.type == FieldType::kStringList ? FieldType::kString : FieldType::kInt64,
                        nullptr);
          }
        }
        return true;
      case FieldType::kStringMap:
      case FieldType::kQuantityMap:
        if (!v.IsObject()) return Fail(v, f.type, f.schema);
        for (const json::Value& e : v) {
          if (!e.IsString() && !(e.IsNull() && kDialect == Dialect::kGo)) {
            return Fail(e,
                        f.type == FieldType::kStringMap ? FieldType::kString : FieldType::kQuantity,
                        nullptr);
          }
        }
        return true;
      case FieldType::kStruct:
        if (!v.IsObject()) return Fail(v, f.type, f.schema);
        return CheckStruct(v, *f.schema);
      case FieldType::kStructList:
        if (!v.IsArray()) return Fail(v, f.type, f.schema);
        for (const json::Value& e : v) {
          if (e.IsNull() && kDialect == Dialect::kGo) continue;
          if (!e.IsObject()) return Fail(e, FieldType::kStruct, f.schema);
          if (!CheckStruct(e, *f.schema)) return false;
        }
        return true;
      case FieldType::kAny:
        return true;
      case FieldType::kApiVersion:
      case FieldType::kKind: {
        if (!v.IsString()) return Fail(v, FieldType::kString, nullptr);
        if constexpr (kDialect == Dialect::kGo) return true;
        std::string_view want = f.type == FieldType::kKind ? kind_.kind : kind_.api_version;
        if (*v.AsString() == want) return true;
        error_ = serde::InvalidValue(v, want);
        return false;
      }
    }
    return true;
  }

  template <typename T>
  bool CheckInteger(const json::Value& v, const Field& f) {
    if constexpr (kDialect == Dialect::kRust) {
      std::string e;
      if (serde::DecodeInteger<T>(v, &e)) return true;
      if (f.type == FieldType::kIntOrString) {
        // k8s-openapi's IntOrString visitor names itself in every error.
        bool out_of_range = v.IsInteger() && (v.AsInt64() || v.AsUint64());
        error_ = out_of_range ? serde::InvalidValue(v, "IntOrString")
                              : serde::InvalidType(v, "IntOrString");
      } else {
        error_ = std::move(e);
      }
      return false;
    } else {
      if (v.IsInteger()) {
        auto n = v.AsInt64();
        if (n && *n >= std::numeric_limits<T>::min() && *n <= std::numeric_limits<T>::max()) {
          return true;
        }
      }
      if (f.type == FieldType::kIntOrString && v.IsNumber()) return true;  // Go: lenient
      return Fail(v, f.type, f.schema);
    }
  }

  // Records the type error for `v` where `type` was expected.
  bool Fail(const json::Value& v, FieldType type, const Struct* s) {
    if constexpr (kDialect == Dialect::kRust) {
      error_ = serde::InvalidType(v, RustExpected(type, s));
    } else {
      error_ = GoError(v, GoType(type, s));
    }
    return false;
  }

  static std::string RustExpected(FieldType type, const Struct* s) {
    switch (type) {
      case FieldType::kBool:
        return "a boolean";
      case FieldType::kInt32:
        return "i32";
      case FieldType::kInt64:
        return "i64";
      case FieldType::kIntOrString:
        return "IntOrString";
      case FieldType::kStringList:
      case FieldType::kInt64List:
      case FieldType::kStructList:
        return "a sequence";
      case FieldType::kStringMap:
      case FieldType::kQuantityMap:
        return "a map";
      case FieldType::kStruct:
        return std::string(s->name());
      default:
        return "a string";
    }
  }

  static std::string GoType(FieldType type, const Struct* s) {
    switch (type) {
      case FieldType::kBool:
        return "bool";
      case FieldType::kInt32:
        return "int32";
      case FieldType::kInt64:
        return "int64";
      case FieldType::kIntOrString:
        return "intstr.IntOrString";
      case FieldType::kQuantity:
        return "resource.Quantity";
      case FieldType::kStringList:
        return "[]string";
      case FieldType::kInt64List:
        return "[]int64";
      case FieldType::kStringMap:
        return "map[string]string";
      case FieldType::kQuantityMap:
        return "v1.ResourceList";
      case FieldType::kStruct:
        return "v1." + std::string(s->name());
      case FieldType::kStructList:
        return "[]v1." + std::string(s->name());
      default:
        return "string";
    }
  }

  // "json: cannot unmarshal <json type> into Go struct field <Struct>.<path> of type <type>"
  std::string GoError(const json::Value& v, std::string_view go_type) const {
    static constexpr std::string_view kJsonTypes[] = {"null",   "bool",  "number",
                                                      "string", "array", "object"};
    std::string out = "json: cannot unmarshal ";
    out.append(kJsonTypes[static_cast<int>(v.type())]);
    if (v.IsNumber()) out.append(" ").append(v.NumberText());
    if (depth_ == 0) {
      out.append(" into Go value of type ").append(go_type);
      return out;
    }
    out.append(" into Go struct field ");
    std::size_t top = depth_ < kMaxPath ? depth_ : kMaxPath;
    out.append(struct_[top - 1]->name());
    for (std::size_t i = 0; i < top; ++i) out.append(".").append(path_[i]);
    out.append(" of type ").append(go_type);
    return out;
  }

  const WorkloadKind& kind_;
  std::string error_;
  std::string_view path_[kMaxPath];
  const Struct* struct_[kMaxPath] = {};
  std::size_t depth_ = 0;
};

}  // namespace internal

// Type-checks `object` as a `kind` (one of kWorkloadKinds) the way `dialect`'s SDK decodes it.
// Returns the decode error text (without any prefix), or nullopt when it decodes.
inline std::optional<std::string> CheckObject(const json::Value& object, const WorkloadKind& kind,
                                              Dialect dialect = Dialect::kRust) {
  if (dialect == Dialect::kGo) return internal::Decoder<Dialect::kGo>(kind).Run(object);
  return internal::Decoder<Dialect::kRust>(kind).Run(object);
}

// ------------------------------------------------------------------------------------------------
// Pod specs.
// ------------------------------------------------------------------------------------------------

// The pod spec (a pointer into the request's object), nullptr for none, or an error text.
using PodSpecResult = std::expected<json::Value*, std::string>;

namespace internal {

// Follows `path` one token at a time: nullptr as soon as a step is missing or null. The
// decode has already guaranteed that every present step is an object.
inline json::Value* WalkPodSpecPath(json::Value* object, std::string_view path) {
  json::Value* v = object;
  std::size_t i = 0;
  while (v != nullptr && i <= path.size()) {
    std::size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    v = v->Find(path.substr(i, slash - i));
    if (v != nullptr && !v->IsObject()) return nullptr;
    i = slash + 1;
  }
  return v;
}

}  // namespace internal

// Extraction R (see the file comment).
inline PodSpecResult ExtractPodSpec(ValidationRequest& request) {
  const WorkloadKind* kind = FindWorkloadKind(request.kind().kind);
  if (kind == nullptr) return std::unexpected(std::string(kUnsupportedKindRust));
  json::Value* object = request.mutable_object();
  if (object == nullptr) {
    // k8s-openapi cannot build a Pod out of null (or nothing).
    json::Document& doc = request.document();
    return std::unexpected(std::string(kDecodeErrorPrefixRust) +
                           serde::InvalidType(*doc.Null(), kind->kind));
  }
  if (auto error = internal::Decoder<Dialect::kRust>(*kind).Run(*object)) {
    return std::unexpected(std::string(kDecodeErrorPrefixRust) + *error);
  }
  return internal::WalkPodSpecPath(object, kind->pod_spec_path);
}

// Extraction G (see the file comment). Never returns nullptr: a missing pod spec is an empty
// object, detached from the request's object (edits to it are not part of the object).
inline PodSpecResult ExtractPodSpecGo(ValidationRequest& request) {
  const WorkloadKind* kind = FindWorkloadKind(request.kind().kind);
  if (kind == nullptr) return std::unexpected(std::string(kUnsupportedKindGo));
  json::Value* object = request.mutable_object();
  if (object != nullptr) {
    if (auto error = internal::Decoder<Dialect::kGo>(*kind).Run(*object)) {
      return std::unexpected(*error);
    }
  }
  json::Value* spec = object ? internal::WalkPodSpecPath(object, kind->pod_spec_path) : nullptr;
  return spec ? spec : request.document().Object();
}

// Pod-only P: decodes request.object as a Pod whatever request.kind says (Rust dialect).
// Returns its spec, nullptr for none, or the decode error (without a prefix: each policy says
// what it does with it).
inline PodSpecResult ExtractPodSpecFromPod(ValidationRequest& request) {
  const WorkloadKind& pod = kWorkloadKinds[0];
  json::Value* object = request.mutable_object();
  if (object == nullptr) {
    return std::unexpected(serde::InvalidType(*request.document().Null(), pod.kind));
  }
  if (auto error = internal::Decoder<Dialect::kRust>(pod).Run(*object)) {
    return std::unexpected(*error);
  }
  return internal::WalkPodSpecPath(object, pod.pod_spec_path);
}

// ------------------------------------------------------------------------------------------------
// Containers.
// ------------------------------------------------------------------------------------------------

enum class ContainerList { kContainers, kInitContainers, kEphemeralContainers };

// "containers", "initContainers" or "ephemeralContainers".
constexpr std::string_view ContainerListKey(ContainerList list) {
  switch (list) {
    case ContainerList::kContainers:
      return "containers";
    case ContainerList::kInitContainers:
      return "initContainers";
    case ContainerList::kEphemeralContainers:
      return "ephemeralContainers";
  }
  return "";
}

// The elements of one container list of a pod spec; empty when the list is absent, null or not
// an array. Elements are not guaranteed to be objects unless the spec was decoded (R, G, P).
template <typename V>
class ContainerRange {
 public:
  explicit ContainerRange(V* array) : array_(array) {}
  auto begin() const { return array_ ? array_->begin() : json::ChildIterator<V>(nullptr); }
  auto end() const { return json::ChildIterator<V>(nullptr); }
  bool empty() const { return array_ == nullptr || array_->empty(); }

 private:
  V* array_;
};

inline ContainerRange<json::Value> Containers(json::Value& pod_spec, ContainerList list) {
  json::Value* v = pod_spec.Find(ContainerListKey(list));
  return ContainerRange<json::Value>(v && v->IsArray() ? v : nullptr);
}
inline ContainerRange<const json::Value> Containers(const json::Value& pod_spec,
                                                    ContainerList list) {
  const json::Value* v = pod_spec.Find(ContainerListKey(list));
  return ContainerRange<const json::Value>(v && v->IsArray() ? v : nullptr);
}

// Whether any container of `list` satisfies `pred(const json::Value& container)`.
template <typename Pred>
bool AnyContainer(const json::Value& pod_spec, ContainerList list, Pred pred) {
  for (const json::Value& c : Containers(pod_spec, list)) {
    if (pred(c)) return true;
  }
  return false;
}

// "container", "init container" or "ephemeral container": the words of upstream's messages.
constexpr std::string_view ContainerListNoun(ContainerList list) {
  switch (list) {
    case ContainerList::kContainers:
      return "container";
    case ContainerList::kInitContainers:
      return "init container";
    case ContainerList::kEphemeralContainers:
      return "ephemeral container";
  }
  return "";
}

// The three lists in the order most upstream policies check them.
inline constexpr ContainerList kAllContainerLists[] = {
    ContainerList::kContainers, ContainerList::kInitContainers,
    ContainerList::kEphemeralContainers};

// Calls `fn(container, list, index)` for every element of each list of `lists`, in that order
// (a list absent or not an array has none). `pod_spec` may be const or not; `container` has
// the same constness. When `fn` returns bool, false stops the walk and ForEachContainer
// returns false; otherwise it returns true.
template <typename V, typename Fn>
bool ForEachContainer(V& pod_spec, Fn&& fn,
                      std::span<const ContainerList> lists = kAllContainerLists) {
  for (ContainerList list : lists) {
    std::size_t index = 0;
    for (auto& container : Containers(pod_spec, list)) {
      if constexpr (std::is_same_v<decltype(fn(container, list, index)), bool>) {
        if (!fn(container, list, index)) return false;
      } else {
        fn(container, list, index);
      }
      ++index;
    }
  }
  return true;
}

// The JSON pointer of a workload kind's pod spec: "/spec", "/spec/template/spec", ...
inline std::string PodSpecPointer(const WorkloadKind& kind) {
  return "/" + std::string(kind.pod_spec_path);
}

// The JSON pointer of container `index` of `list` under the pod spec at `pod_spec_pointer`.
inline std::string ContainerPointer(std::string_view pod_spec_pointer, ContainerList list,
                                    std::size_t index) {
  std::string out(pod_spec_pointer);
  out.append("/").append(ContainerListKey(list)).append("/").append(std::to_string(index));
  return out;
}

}  // namespace kubewarden::k8s

#endif  // KUBEWARDEN_K8S_H_
