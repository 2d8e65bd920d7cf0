#!/usr/bin/env bash
# Builds Helm v3 from its Go module once and caches it outside the repo, keyed by version:
#   $ACME6_TESTBED_CACHE/helm-<v>/helm
# The tests use it for `helm lint` and `helm template` of deploy/helm/acme6.
# A finished build leaves a .complete marker; anything without it is rebuilt from scratch.
# Prints HELM_BIN=<dir> on stdout (for the harness); progress goes to stderr.
set -euo pipefail
# Pinned here, not in versions.env (build.sh's), so the two scripts can change independently.
HELM_VERSION=v3.22.0
cache=${ACME6_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acme6/testbed}
dir=$cache/helm-$HELM_VERSION
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

log() { printf '[testbed-helm] %s\n' "$*" >&2; }

mkdir -p "$cache"
# Concurrent runs wait for one another instead of building the same directory at once (a lock of
# its own: no need to wait for build.sh's builds).
exec 9>"$cache/.helm-build.lock"
flock 9

build_helm() {
  local out=$1 work src k8s_minor
  work=$(mktemp -d)
  # A wrapper module requiring helm, with helm's own go.mod pins copied in as its requirements, so
  # the build resolves exactly the dependency versions upstream released with (helm's go.mod has
  # no replace directives that a wrapper would lose).
  src=$(cd "$work" && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $src ]] || { log "cannot download helm.sh/helm/v3@$HELM_VERSION"; exit 1; }
  {
    printf 'module acme6.io/testbed/helm\n\ngo 1.26.0\n\nrequire helm.sh/helm/v3 %s\n\n' "$HELM_VERSION"
    sed -n '/^require (/,/^)/p' "$src/go.mod"
  } > "$work/go.mod"
  cp "$src/go.sum" "$work/go.sum"
  # The same version stamps as helm's Makefile: `helm version` tells the truth and the default
  # Kubernetes version for `helm template` (Capabilities) is the client-go helm was built with.
  k8s_minor=$(sed -n 's/^\tk8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$src/go.mod")
  [[ -n $k8s_minor ]] || { log "cannot read helm's client-go version"; exit 1; }
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/helm" helm.sh/helm/v3/cmd/helm)
  rm -rf "$work"
}

if [[ -f $dir/.complete ]]; then
  log "helm $HELM_VERSION: cached in $dir"
else
  log "helm $HELM_VERSION: building into $dir"
  start=$SECONDS
  rm -rf "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp"
  build_helm "$dir.tmp"
  touch "$dir.tmp/.complete"
  mv "$dir.tmp" "$dir"
  log "helm $HELM_VERSION: built in $((SECONDS - start)) s"
fi
printf 'HELM_BIN=%s\n' "$dir"
