# Sourced by the load scripts: default_group_yaml prints policies.yml entries for the bundled
# default policies as one group, `defaults-group`, whose expression requires every member (the
# default set evaluated by one request). Needs $build.
#
# do_not_run_as_root (user-group-psp) comes last: it would mutate the benchmarks' 5 KB Pod (no
# Pod-level runAsNonRoot), and a member that mutates counts as false inside a group, so placed
# earlier it would cut the `&&` short and leave members unevaluated. Last, all six run for every
# request, and the group answers allowed:false (the soak and slow-lane checks expect it).
default_group_yaml() {
  echo "defaults-group:"
  echo "  expression: \"no_privilege_escalation() && no_host_namespace_sharing() && no_privileged_pod() && do_not_share_host_paths() && drop_capabilities() && do_not_run_as_root()\""
  echo "  message: rejected by the default policies"
  echo "  policies:"
  awk '/^clusterwide-/{name=$0; sub(/^clusterwide-/, "", name); sub(/:$/, "", name); gsub(/-/, "_", name);
                        print "    " name ":"; next}
       /^  (policyMode|allowedToMutate|hostCapabilities):/{next}
       /^  /{print "    " $0}' "$build/defaults/policies.yml"
}
