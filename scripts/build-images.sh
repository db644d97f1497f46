#!/usr/bin/env bash
# Builds a container image for each binary of the build, without Docker: the binary (debug info
# stripped), the shared libraries it links and the dynamic loader, CA certificates, tzdata, a
# non-root user and /tmp. Images are reproducible: the same build gives the same digests.
#
#   scripts/build-images.sh [--push REGISTRY/PREFIX] [--tag TAG] [--sources-path FILE] [NAME...]
#
# NAMEs: policy-server, controller, kwctl, audit-scanner, compliance-ui (default: every one whose
# binary is built). Without --push, each image is an OCI image layout in build/images/<NAME>/
# ($KW_IMAGES_DIR/<NAME>/ when set); `tar -C build/images/<NAME> -cf <NAME>.tar .` packs one,
# and `skopeo copy oci:...` or `crane push` can upload it. With --push, REGISTRY/PREFIX/<NAME>:TAG
# is pushed with the project's own registry client: credentials from docker's config.json,
# insecure registries and extra CAs from --sources-path (sources.yaml, as kwctl's).
#
# Layers, bottom first: (1) what every image shares: /etc/passwd and /etc/group with the user
# kubewarden (65533:65533), CA certificates, /usr/share/zoneinfo, /tmp (1777) and the home
# directory; (2) the shared libraries and the loader; (3) the binary. Images of binaries that
# link the same libraries share the first two layers, so a registry stores them once.
#
# Paths and entrypoints follow upstream's images and charts, which run the images with these
# commands (tooling.md §6.2, §8.5, §10; policy-server.md §2.1):
#   policy-server  /policy-server (ENTRYPOINT ["/policy-server"], USER 65533:65533 upstream)
#   controller     /manager; we assume the chart's Deployment names `/manager` as the command,
#                  as upstream's controller image (a Go manager) is built to be run; the
#                  entrypoint is /manager too, so a chart that only passes args works as well.
#                  /kubewarden-controller is a symlink to it.
#   audit-scanner  /audit-scanner (the chart's CronJob runs `/audit-scanner ...`; we assume as
#                  its command, which overrides the entrypoint)
#   kwctl          /kwctl
#   compliance-ui  /compliance-ui, and its web app at /web when the front end is built (build/web):
#                  the binary's default --web-root is <its directory>/../web; deploy/ui runs it
# All run as 65533:65533 (upstream's policy-server user) so that runAsNonRoot holds and the
# first layer is the same for every image.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
kw_image="$build/cmd/kw-image/kw-image"
out="${KW_IMAGES_DIR:-$build/images}"
uid=65533

push="" tag="latest" sources=()
names=()
while (($#)); do
  case "$1" in
    --push) push="${2:?--push needs REGISTRY/PREFIX}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --sources-path) sources=(--sources-path "${2:?--sources-path needs a file}"); shift 2 ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-images: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
[[ -x "$kw_image" ]] || { echo "build-images: $kw_image is not built (ninja -C $build kw-image)" >&2; exit 1; }

# name → binary in the build tree, path in the image.
declare -A binary=(
  [policy-server]="$build/cmd/policy-server/policy-server"
  [controller]="$build/cmd/kubewarden-controller/kubewarden-controller"
  [kwctl]="$build/cmd/kwctl/kwctl"
  [audit-scanner]="$build/cmd/audit-scanner/audit-scanner"
  [compliance-ui]="$build/cmd/compliance-ui/compliance-ui"
)
declare -A target=([policy-server]=/policy-server [controller]=/manager [kwctl]=/kwctl
                   [audit-scanner]=/audit-scanner [compliance-ui]=/compliance-ui)
declare -A ports=([policy-server]="3000/tcp 8081/tcp 8443/tcp" [controller]="8081/tcp 8088/tcp 9443/tcp"
                [compliance-ui]="8080/tcp")
if ((${#names[@]} == 0)); then
  for name in policy-server controller kwctl audit-scanner compliance-ui; do
    [[ -x "${binary[$name]}" ]] && names+=("$name")
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Layer 1: the same for every image.
printf 'root:x:0:0:root:/root:/sbin/nologin\nkubewarden:x:%d:%d:kubewarden:/home/kubewarden:/sbin/nologin\n' \
  "$uid" "$uid" >"$work/passwd"
printf 'root:x:0:\nkubewarden:x:%d:\n' "$uid" >"$work/group"
cat >"$work/system.layer" <<LAYER
file /etc/passwd $work/passwd mode=0644
file /etc/group $work/group mode=0644
file /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt mode=0644
tree /usr/share/zoneinfo /usr/share/zoneinfo
dir /tmp mode=1777
dir /home/kubewarden mode=0755 owner=$uid:$uid
LAYER

# The libraries `ldd` resolves for $1, the loader included, as layer lines. System libraries keep
# their host paths and the symlinks on the way (/lib → usr/lib, libfoo.so.1 → libfoo.so.1.2.3);
# others (V8's libnode under .deps, found through an rpath) go to /usr/lib/x86_64-linux-gnu under
# the name the binary asks for, where the loader looks by default.
library_lines() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3} $1 ~ /^\// {print "-", $1}' | sort -u |
    while read -r soname path; do
      case "$(readlink -f "$path")" in
        /usr/*|/lib*) echo "copy $path" ;;
        *) echo "file /usr/lib/x86_64-linux-gnu/$soname $(readlink -f "$path") mode=0644" ;;
      esac
    done
}

mkdir -p "$out"
for name in "${names[@]}"; do
  bin="${binary[$name]:-}"
  [[ -n "$bin" ]] || { echo "build-images: unknown image $name" >&2; exit 2; }
  [[ -x "$bin" ]] || { echo "build-images: $bin is not built" >&2; exit 1; }
  started=$SECONDS
  objcopy --strip-debug "$bin" "$work/$name.bin"
  library_lines "$bin" >"$work/$name.libs.layer"
  echo "file ${target[$name]} $work/$name.bin mode=0755" >"$work/$name.app.layer"
  if [[ "$name" == controller ]]; then
    echo "symlink /kubewarden-controller manager" >>"$work/$name.app.layer"
  fi
  if [[ "$name" == compliance-ui && -d "$build/web" ]]; then
    echo "tree /web $build/web" >>"$work/$name.app.layer"
  fi
  args=(--layer "$work/system.layer" --layer "$work/$name.libs.layer" --layer "$work/$name.app.layer"
        --entrypoint "${target[$name]}" --user "$uid:$uid" --workdir /
        --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
        --label org.opencontainers.image.title="$name"
        --label org.opencontainers.image.source=https://github.com/kubewarden/kubewarden-controller)
  for port in ${ports[$name]:-}; do args+=(--expose "$port"); done
  if [[ -n "$push" ]]; then
    digest=$("$kw_image" "${args[@]}" "${sources[@]}" --push "$push/$name:$tag")
    echo "$push/$name:$tag@$digest ($((SECONDS - started)) s)"
  else
    rm -rf "${out:?}/$name"
    digest=$("$kw_image" "${args[@]}" --layout "$out/$name" --tag "$tag")
    echo "$out/$name $name:$tag@$digest ($((SECONDS - started)) s)"
  fi
done
