// kubewarden/kubewarden.h: the C++ guest SDK for Kubewarden policies (umbrella header).
//
// A policy is one C++ file compiled to wasm32-wasi (see sdk/cpp/README.md):
//
//   #include <kubewarden/kubewarden.h>
//   namespace kw = kubewarden;
//
//   kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& settings) { ... }
//   kw::ValidationResponse Validate(kw::ValidationRequest& request) { ... }
//   KUBEWARDEN_POLICY(Validate, ValidateSettings)
//
// What each header provides:
//   json.h      the JSON DOM (parse, look up, edit, serialize) and Writer
//   wapc.h      the waPC guest protocol, host calls, __console_log, the module's exports
//   allocator.h the small malloc the module uses (installed by wapc.h)
//   request.h   ValidationRequest: the AdmissionRequest fields, object, settings
//   response.h  Accept, Reject, Mutate, EvaluationError, warnings, audit annotations;
//               SettingsValid, SettingsInvalid
//   settings.h  SettingsReader: serde-compatible settings decoding and messages
//   serde.h     serde-style error texts
//   format.h    RustDebug, RustList, RustSet, GoSet (policies.md §1.6)
//   k8s.h       typed decoding of workloads, pod spec extraction R/G/P, container lists
//   wildcard.h  the `*`/`?` image patterns (policies.md §1.8)
//   host.h      host capabilities (generic and typed: kubernetes, net, crypto) and
//               tracing/log logging; host_oci.h (included by it) the oci ones
//   policy.h    KUBEWARDEN_POLICY
#ifndef KUBEWARDEN_KUBEWARDEN_H_
#define KUBEWARDEN_KUBEWARDEN_H_

#include "kubewarden/allocator.h"
#include "kubewarden/format.h"
#include "kubewarden/host.h"
#include "kubewarden/json.h"
#include "kubewarden/k8s.h"
#include "kubewarden/wildcard.h"
#include "kubewarden/policy.h"
#include "kubewarden/request.h"
#include "kubewarden/response.h"
#include "kubewarden/serde.h"
#include "kubewarden/settings.h"
#include "kubewarden/wapc.h"

#endif  // KUBEWARDEN_KUBEWARDEN_H_
