// cel-policy's `kw.*` CEL libraries: the host capabilities (policy-server.md §4.c) as CEL
// functions, with upstream cel-policy's CEL surface:
//
//   kw.k8s.apiVersion('v1').kind('Pod').namespace('team-a').labelSelector('app=web').list()
//   kw.k8s.apiVersion('v1').kind('ConfigMap').namespace('team-a').get('limits')
//   kw.oci.image('nginx').manifestDigest()          // also manifest(), manifestConfig()
//   kw.sigstore.image('nginx').pubKey(pem).annotation('env', 'prod').verify().isTrusted()
//   kw.crypto.certificate(pem).certificateChain(ca).verify().reason()
//   kw.net.lookupHost('example.com')                // list(string)
//
// Builders and responses are immutable opaque values, each builder call a new one; their
// types (kw.k8s.Client, kw.sigstore.PubKeyVerifier, ...) are declared in every overload's
// signature, so the checker rejects misuse at compile time. A host error is an evaluation
// error naming the capability ("kubernetes/get_resource failed: <host message>"), and so is an
// answer of the wrong shape. Every host call is charged kHostCallCost to the evaluation's cost
// budget, before it is made.
//
// The functions call the host (the SDK's waPC imports): they are for the wasm32 policy only,
// and register into cel-policy's registry alone (src/cel stays host-free).
#ifndef KW_CEL_POLICY_KW_LIBRARIES_H_
#define KW_CEL_POLICY_KW_LIBRARIES_H_

#include <cstdint>

#include "cel/functions.h"

namespace kw::cel_policy {

// A host call costs far more than any CEL step: one charge bounds an expression to
// 1,000 calls under Kubernetes' per-expression budget of 1,000,000.
inline constexpr std::uint64_t kHostCallCost = 1000;

// Adds kw.k8s, kw.oci, kw.sigstore, kw.crypto and kw.net to `registry`.
void RegisterKubewardenLibraries(cel::FunctionRegistry& registry);

}  // namespace kw::cel_policy

#endif  // KW_CEL_POLICY_KW_LIBRARIES_H_
