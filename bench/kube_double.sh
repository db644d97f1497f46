# Sourced by the benchmarks that need a Kubernetes API server: start_kube_double PORT [--seed FILE]...
# starts the API-server double (tests/kube_apiserver) on 127.0.0.1:PORT over HTTPS with $work's
# certificate and a static token, waits until it listens, and writes $work/kubeconfig for it.
# Needs $build and $work (bench/work_dir.sh); the double stops with the script's other jobs.
start_kube_double() {
  local port=$1
  shift
  echo "bench-token,bench,1001,\"system:masters\"" > "$work/tokens.csv"
  "$build/tests/kube_apiserver/kube-apiserver-double" --tls-cert "$work/cert.pem" \
    --tls-key "$work/key.pem" --token-file "$work/tokens.csv" --port "$port" "$@" \
    > "$work/double.log" 2>&1 &
  for _ in $(seq 1 200); do grep -q listening "$work/double.log" && break; sleep 0.1; done
  grep -q listening "$work/double.log" || { cat "$work/double.log" >&2; exit 1; }
  cat > "$work/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "https://localhost:$port", certificate-authority: "$work/cert.pem"}}]
users: [{name: bench, user: {token: bench-token}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
current-context: bench
KUBECONFIG
}
