# Sourced by the load scripts: a temporary directory $work holding a self-signed certificate for
# localhost and 127.0.0.1 ($work/cert.pem, $work/key.pem). On exit, every background job of the
# script is killed and the directory removed; a script that starts other servers defines
# stop_extra_servers first.
# policy-server refuses to run as root unless told to (--allow-root); the benchmarks run as
# whoever runs them, root on this project's machines.
if ((EUID == 0)); then export KUBEWARDEN_ALLOW_ROOT=true; fi
work=$(mktemp -d)
cleanup() {
  if declare -F stop_extra_servers >/dev/null; then stop_extra_servers; fi
  kill $(jobs -p) 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
