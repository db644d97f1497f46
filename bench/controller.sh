#!/usr/bin/env bash
# kubewarden-controller's reaction times, against the API-server double (tests/kube_apiserver)
# with real policy-server processes as the replicas of the PolicyServers:
#
#   ./bench/controller.sh
#
#   a. a ClusterAdmissionPolicy applied → its ValidatingWebhookConfiguration created (20 policies
#      applied one after the other on a PolicyServer with 2 replicas, module already compiled);
#   b. a policy change (its rejection message) → answered by every replica (10 changes);
#   c. 200 policies on one PolicyServer, the controller started from scratch → all active.
# Each replica is a policy-server process with the Pod object a kubelet would have made
# (crd/replica_report.h), following its ConfigMap through the API.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
source "$root/bench/work_dir.sh"

echo "bench-token,bench,1001,\"system:masters\"" > "$work/tokens.csv"
api_port=18743
seeds=()
for crd in "$root"/deploy/crds/policies.kubewarden.io_*.yaml; do seeds+=(--seed "$crd"); done
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: kubewarden}\n' > "$work/namespace.yaml"
"$build/tests/kube_apiserver/kube-apiserver-double" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --token-file "$work/tokens.csv" --port $api_port "${seeds[@]}" --seed "$work/namespace.yaml" \
  > "$work/double.log" 2>&1 &
for _ in $(seq 1 200); do grep -q listening "$work/double.log" && break; sleep 0.1; done
grep -q listening "$work/double.log" || { cat "$work/double.log" >&2; exit 1; }
cat > "$work/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "https://localhost:$api_port", certificate-authority: "$work/cert.pem"}}]
users: [{name: bench, user: {token: bench-token}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
current-context: bench
KUBECONFIG

python3 "$root/bench/controller_bench.py" --work "$work" --build "$build" --api "https://localhost:$api_port"
