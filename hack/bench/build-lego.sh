#!/usr/bin/env bash
# Builds hack/bench/lego-batch (the bare lego client, github.com/go-acme/lego/v5 as a library) once
# and caches it next to the testbed binaries, keyed by lego's version and the program's hash:
#   $ACME6_TESTBED_CACHE/lego-<v>-<hash>/lego-batch
# Prints LEGO_BATCH=<path to the binary> on stdout; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${ACME6_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acme6/testbed}
hash=$(sha256sum "$here/lego-batch/main.go" | cut -c1-12)
dir=$cache/lego-$LEGO_VERSION-$hash
mkdir -p "$cache"
exec 9>"$cache/.build-lego.lock"
flock 9
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
if [[ ! -f $dir/.complete ]]; then
  printf '[bench-build] lego %s: building lego-batch into %s\n' "$LEGO_VERSION" "$dir" >&2
  rm -rf "$dir" "$dir.tmp"; mkdir -p "$dir.tmp"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$here/lego-batch/main.go" "$work/"
  printf 'module acme6.io/bench/lego-batch\n\ngo 1.26.0\n\nrequire github.com/go-acme/lego/v5 %s\n' "$LEGO_VERSION" > "$work/go.mod"
  (cd "$work" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$dir.tmp/lego-batch" .)
  touch "$dir.tmp/.complete"; mv "$dir.tmp" "$dir"
fi
printf 'LEGO_BATCH=%s\n' "$dir/lego-batch"
