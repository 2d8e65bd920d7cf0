#!/usr/bin/env bash
# Builds the testbed's Go binaries once and caches them outside the repo, keyed by version:
#   $ACME6_TESTBED_CACHE/kubernetes-<v>/{kube-apiserver,kube-controller-manager,kubectl}
#   $ACME6_TESTBED_CACHE/etcd-<v>/etcd
#   $ACME6_TESTBED_CACHE/pebble-<v>-<patches hash>/{pebble,pebble-challtestsrv}
#   $ACME6_TESTBED_CACHE/traefik-<v>/{traefik,crds/}
#   $ACME6_TESTBED_CACHE/gateway-api-<v>/crds/   (standard channel, the version Traefik's go.mod requires)
# A finished build leaves a .complete marker; anything without it is rebuilt from scratch.
# Prints the cache directories as KEY=path lines on stdout (for the harness); progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${ACME6_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acme6/testbed}
mkdir -p "$cache"
# Concurrent runs (two test suites, a demo) wait for one another instead of building the same
# directory at once; the waiter then finds the .complete marker.
exec 9>"$cache/.build.lock"
flock 9
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

log() { printf '[testbed-build] %s\n' "$*" >&2; }

# build_once NAME DIR FUNCTION EXPECTED: runs FUNCTION to fill DIR unless DIR/.complete exists;
# EXPECTED is about what a cold build took on the 2-core development machine.
build_once() {
  local name=$1 dir=$2 fn=$3 expected=$4
  step=$((step + 1))
  if [[ -f $dir/.complete ]]; then log "[$step/5] $name: cached in $dir"; return; fi
  log "[$step/5] $name: building from its Go module into $dir ($expected on 2 cores)"
  local start=$SECONDS
  rm -rf "$dir" "$dir.tmp"; mkdir -p "$dir.tmp"
  "$fn" "$dir.tmp"
  touch "$dir.tmp/.complete"; mv "$dir.tmp" "$dir"
  log "$name: built in $((SECONDS - start)) s"
}

k8s_module_dir() { go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

build_kubernetes() {
  local out=$1 work src minor
  work=$(mktemp -d); src=$(k8s_module_dir)
  minor=${K8S_VERSION#v1.}               # 36.3: staging modules are tagged v0.36.3
  # The wrapper requires k8s.io/kubernetes and points each staging module (replaced by ./staging in
  # upstream's go.mod, which we cannot use from outside) at its published v0 tag. The list comes
  # from upstream's go.mod so a new staging module needs no edit here.
  {
    printf 'module acme6.io/testbed/kubernetes\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 v0.'"$minor"'#p' "$src/go.mod"
    printf ')\n'
  } > "$work/go.mod"
  grep -q 'k8s.io/api =>' "$work/go.mod" || { log "no staging replaces found in $src/go.mod"; exit 1; }
  # Same version stamps as upstream's hack/lib/version.sh, so `kubectl version` and discovery tell the truth.
  local major=1 minor_only=${minor%%.*} ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor_only"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$work" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$work"
}

# The etcd version kubeadm uses with this Kubernetes release ("3.6.8-0" -> v3.6.8).
etcd_version() {
  local v
  v=$(sed -n 's/^\tDefaultEtcdVersion = "\([0-9.]*\)-[0-9]*"$/\1/p' "$(k8s_module_dir)/cmd/kubeadm/app/constants/constants.go")
  [[ -n $v ]] || { log "cannot read DefaultEtcdVersion from kubeadm's constants"; exit 1; }
  printf 'v%s' "$v"
}

build_etcd() {
  local out=$1 work
  work=$(mktemp -d)
  # etcd's server module has local replaces, so `go install` refuses it; a wrapper module ignores them.
  printf 'module acme6.io/testbed/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$work/go.mod"
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$work"
}

# Pebble's module with acme6's patches (hack/testbed/patches/pebble-*.patch) applied: upstream's Authz
# handler holds an authorization's lock while it waits for the store's, which deadlocks the whole CA
# under concurrent orders (seen in `make bench`: every request hung; goroutine dump in the patch's
# comment). The cache directory names the patches' hash, so a changed patch rebuilds.
pebble_patches=("$here"/patches/pebble-*.patch)
build_pebble() {
  local out=$1 work src patch
  work=$(mktemp -d)
  src=$(go mod download -json "github.com/letsencrypt/pebble/v2@$PEBBLE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n $src ]] || { log "cannot download github.com/letsencrypt/pebble/v2@$PEBBLE_VERSION"; exit 1; }
  cp -r "$src/." "$work/"; chmod -R u+w "$work"
  for patch in "${pebble_patches[@]}"; do (cd "$work" && git apply -p1 "$patch"); done
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$out/" ./cmd/pebble ./cmd/pebble-challtestsrv)
  rm -rf "$work"
}

# Traefik's go.mod replaces some dependencies with forks, so `go install traefik@version` refuses it.
# The wrapper module requires Traefik and repeats upstream's replace and exclude directives (read from
# its go.mod, so a new fork needs no edit here). The CRDs for the kubernetesCRD provider are copied
# from the same module's docs.
build_traefik() {
  local out=$1 work src
  work=$(mktemp -d)
  src=$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n $src ]] || { log "cannot download github.com/traefik/traefik/v3@$TRAEFIK_VERSION"; exit 1; }
  {
    printf 'module acme6.io/testbed/traefik\n\ngo 1.26.0\n\nrequire github.com/traefik/traefik/v3 %s\n\n' "$TRAEFIK_VERSION"
    awk '/^replace \($/ {inside=1; print; next} inside {print; if ($0 == ")") inside=0; next}
         /^(replace|exclude) / {print}' "$src/go.mod"
  } > "$work/go.mod"
  # A replace to a directory inside Traefik's tree (a nested module) cannot work from outside it.
  if grep -q '=> \.' "$work/go.mod"; then log "traefik $TRAEFIK_VERSION replaces a module with a local directory"; exit 1; fi
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$out/traefik" \
      -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
      github.com/traefik/traefik/v3/cmd/traefik)
  mkdir -p "$out/crds"
  cp "$src/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" "$out/crds/"
  chmod u+w "$out/crds/"*
  rm -rf "$work"
}

traefik_module_dir() { go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# The Gateway API version Traefik's Kubernetes Gateway provider is built against (its go.mod).
gateway_api_version() {
  local v
  v=$(sed -n 's#^\tsigs.k8s.io/gateway-api \(v[0-9.]*\)$#\1#p' "$(traefik_module_dir)/go.mod")
  [[ -n $v ]] || { log "cannot read sigs.k8s.io/gateway-api from Traefik's go.mod"; exit 1; }
  printf '%s' "$v"
}

# The Gateway API CRDs of the standard channel, copied from the module of that version.
build_gateway_api() {
  local out=$1 src
  src=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n $src ]] || { log "cannot download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"; exit 1; }
  mkdir -p "$out/crds"
  cp "$src"/config/crd/standard/*.yaml "$out/crds/"
  chmod u+w "$out/crds/"*
}

ETCD_VERSION=$(etcd_version)
GATEWAY_API_VERSION=$(gateway_api_version)
k8s_dir=$cache/kubernetes-$K8S_VERSION
etcd_dir=$cache/etcd-$ETCD_VERSION
pebble_dir=$cache/pebble-$PEBBLE_VERSION-$(cat "${pebble_patches[@]}" | sha256sum | cut -c1-8)
traefik_dir=$cache/traefik-$TRAEFIK_VERSION
gateway_dir=$cache/gateway-api-$GATEWAY_API_VERSION
total=$SECONDS step=0
build_once "pebble $PEBBLE_VERSION" "$pebble_dir" build_pebble "about 1 min"
build_once "etcd $ETCD_VERSION" "$etcd_dir" build_etcd "about 1 min"
build_once "kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION" "$k8s_dir" build_kubernetes "about 7 min"
build_once "traefik $TRAEFIK_VERSION" "$traefik_dir" build_traefik "about 10 min"
build_once "gateway-api $GATEWAY_API_VERSION CRDs" "$gateway_dir" build_gateway_api "a few seconds"
log "all testbed binaries ready ($((SECONDS - total)) s)"
printf 'KUBERNETES_BIN=%s\nETCD_BIN=%s\nPEBBLE_BIN=%s\nTRAEFIK_BIN=%s\nGATEWAY_API=%s\n' \
  "$k8s_dir" "$etcd_dir" "$pebble_dir" "$traefik_dir" "$gateway_dir"
