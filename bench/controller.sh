#!/usr/bin/env bash
# kubewarden-controller's reaction times, against the API-server double (tests/kube_apiserver)
# with real policy-server processes as the replicas of the PolicyServers:
#
#   ./bench/controller.sh
#
#   a. a ClusterAdmissionPolicy applied → its ValidatingWebhookConfiguration created (20 policies
#      applied one after the other on a PolicyServer with 2 replicas, module already compiled);
#   b. a policy change (its rejection message) → answered by every replica (10 changes);
#   c. 200 policies (KW_BENCH_POLICIES) on one PolicyServer, the controller started from scratch
#      → all active;
#   d. then 10 more policies on that server, one after another → each active, and what each
#      costs the controller in CPU (a change on a server makes all its policies look again).
# Each replica is a policy-server process with the Pod object a kubelet would have made
# (crd/replica_report.h), following its ConfigMap through the API.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
source "$root/bench/work_dir.sh"

seeds=()
for crd in "$root"/deploy/crds/policies.kubewarden.io_*.yaml; do seeds+=(--seed "$crd"); done
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: kubewarden}\n' > "$work/namespace.yaml"
source "$root/bench/kube_double.sh"
api_port=18743
start_kube_double $api_port "${seeds[@]}" --seed "$work/namespace.yaml"

python3 "$root/bench/controller_bench.py" --work "$work" --build "$build" --api "https://localhost:$api_port" \
  --policies "${KW_BENCH_POLICIES:-200}"
