#!/usr/bin/env bash
# Installs the Debian packages the testbed needs, only those missing (idempotent, quiet when done):
#   iptables        ip6tables/ip6tables-restore for the node agent's real-netfilter tests
#   conntrack       conntrack entry cleanup in the agent tests
#   bind9           the authoritative DNS server (TSIG-signed dynamic updates) for dns-01
#   bind9-utils     named-checkconf, tsig-keygen; bind9-dnsutils: dig and nsupdate for debugging
#   iproute2        network namespaces and veth pairs; util-linux: setpriv --pdeathsig
#   openssl         make demo shows the issued certificate with it
#   mmdebstrap umoci skopeo   make image: Debian root filesystem, OCI layout, docker-archive tarball
#   runc            the OCI runtime that runs the image's containers in the testbed (crun 1.8 refuses
#                   a hybrid cgroup v1/v2 host such as this one)
set -euo pipefail
packages=(iptables conntrack bind9 bind9-utils bind9-dnsutils iproute2 util-linux openssl mmdebstrap umoci skopeo runc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "[testbed-packages] installing: ${missing[*]}" >&2
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
# Debian starts named on install; the testbed runs its own instances, so the system one is stopped.
if [[ " ${missing[*]} " == *" bind9 "* ]] && command -v systemctl >/dev/null && systemctl is-active --quiet named 2>/dev/null; then
  $sudo systemctl disable --now named >&2 || true
fi
