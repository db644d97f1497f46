#!/usr/bin/env bash
# The README's catalogue table, reproduced: `kwctl bench` of every policy that reviews Pods
# without a host capability, on the 5 KB Pod AdmissionReview (tests/data/requests/pod_5k.json),
# one after the other in one run, so that the figures compare. pod-privileged comes first and
# last: it is the yardstick (a machine where it moves is too busy to read the others).
#
#   ./bench/catalogue.sh [seconds per policy, default 3] [policy...]
#
# Prints a line per policy: size, then `validate`'s mean and min in µs. The settings are the
# ones below (a policy missing there runs with none): what makes each policy do its work on
# that Pod (user-group-psp's mutate it). Run after scripts/build.sh, on an otherwise idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
kwctl="$build/cmd/kwctl/kwctl"
review="$root/tests/data/requests/pod_5k.json"
seconds="${1:-3}"
shift || true

declare -A settings=(
  [container-resources]='{"cpu": {"minLimit": "100m", "maxLimit": 4, "minRequest": "50m", "maxRequest": "100m"}, "memory": {"minLimit": "64Mi", "maxLimit": "8Gi", "minRequest": "32Mi", "maxRequest": "64Mi"}, "ignoreImages": ["registry.example.com/ignored:*"]}'
  [environment-variable-policy]='{"criteria": "doesNotContainAnyOf", "values": ["HTTP_PROXY", "HTTPS_PROXY", "DEBUG_MODE"]}'
  [priority-class-policy]='{"denied_priority_classes": ["system-node-critical"]}'
  [probes]='{"liveness": {"enforce": true}, "readiness": {"enforce": true}}'
  [selinux-psp]='{"rule": "RunAsAny"}'
  [volumemounts]='{"reject": "anyIn", "volumeMountsNames": ["secrets"]}'
  [labels]='{"criteria": "containsAnyOf", "values": ["app", "team"]}'
  [annotations]='{"criteria": "doesNotContainAnyOf", "values": ["forbidden"]}'
  [deprecated-api-versions]='{"kubernetes_version": "1.30.0"}'
  [user-group-psp]='{"run_as_group": {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]}}'
  [trusted-repos]='{"registries": {"reject": ["evil.example.com"]}, "tags": {"reject": ["latest"]}}'
  [safe-labels]='{"denied_labels": ["forbidden"], "constrained_labels": {"app": "^[a-z-]+$", "tier": "^(frontend|backend)$"}}'
  [safe-annotations]='{"denied_annotations": ["forbidden"], "constrained_annotations": {"owner": "^[a-z-]+$"}}'
  [cel-policy]='{"validations": [
      {"expression": "object.spec.containers.all(c, has(c.securityContext) && has(c.securityContext.runAsNonRoot) && c.securityContext.runAsNonRoot)"},
      {"expression": "object.spec.containers.all(c, !c.image.endsWith(\":latest\") && c.image.contains(\":\"))"},
      {"expression": "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.memory))"},
      {"expression": "!has(object.spec.hostNetwork) || !object.spec.hostNetwork"},
      {"expression": "\"tier\" in object.metadata.labels && object.metadata.name.matches(\"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\")"}]}'
  [kyverno-dsl]='{"policy": "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: disallow-privileged-containers\nspec:\n  validationFailureAction: audit\n  rules:\n    - name: check-privileged\n      match:\n        any:\n          - resources:\n              kinds: [Pod]\n      validate:\n        message: Privileged mode is not allowed\n        pattern:\n          spec:\n            containers:\n              - =(securityContext):\n                  =(privileged): \"false\"\n"}'
)

policies=("$@")
if ((${#policies[@]} == 0)); then
  policies=(pod-privileged allow-privilege-escalation-psp allowed-proc-mount-types-psp apparmor-psp
            capabilities-psp container-resources env-variable-secrets-scanner
            environment-variable-policy flexvolume-drivers-psp host-namespaces-psp hostpaths-psp
            pod-ndots pod-runtime priority-class-policy probes readonly-root-filesystem-psp
            seccomp-psp selinux-psp share-pid-namespace-policy sysctl-psp trusted-repos
            user-group-psp volumemounts volumes-psp labels annotations safe-labels
            safe-annotations echo deprecated-api-versions cel-policy kyverno-dsl pod-privileged)
fi

printf '%-32s %8s %10s %10s\n' policy size mean min
for policy in "${policies[@]}"; do
  module="$build/policies/$policy.wasm"
  args=(bench "$module" -r "$review" --measurement-time "$seconds")
  [[ -n "${settings[$policy]:-}" ]] && args+=(--settings-json "${settings[$policy]}")
  # "policy-from-cli/validate  time: [min mean max]  (...)"
  line=$("$kwctl" "${args[@]}" 2>&1 | grep '/validate ' || true)
  if [[ -z "$line" ]]; then
    printf '%-32s %s\n' "$policy" "kwctl bench failed: $("$kwctl" "${args[@]}" 2>&1 | tail -n 1)"
    continue
  fi
  read -r min min_unit mean mean_unit < <(sed -E 's/.*\[([0-9.]+) ([^ ]+) ([0-9.]+) ([^ ]+) .*/\1 \2 \3 \4/' <<<"$line")
  printf '%-32s %5s KB %7s %-2s %7s %-2s\n' "$policy" "$(( ($(stat -c %s "$module") + 500) / 1000 ))" \
    "$mean" "$mean_unit" "$min" "$min_unit"
done
