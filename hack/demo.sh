#!/usr/bin/env bash
# make demo: start the testbed, apply the sample ClusterIssuer and Certificate, show what kubectl
# shows. The testbed is stopped on exit unless ACME6_DEMO_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/node_modules/.bin:$PATH

node test/testbed/cli.ts up >/dev/null
if [[ ${ACME6_DEMO_KEEP:-0} != 1 ]]; then
  trap 'echo; node test/testbed/cli.ts down' EXIT
fi
set -a; . .testbed/env; set +a
k() { echo "\$ kubectl $*"; "$ACME6_KUBECTL" "$@"; echo; }

echo "== the testbed (.testbed/env)"; cat .testbed/env; echo
ca=$(base64 -w0 "$ACME6_PEBBLE_LISTENER_CA_FILE")
sed -e "s|@PEBBLE_DIRECTORY_URL@|$ACME6_PEBBLE_DIRECTORY_URL|" -e "s|@PEBBLE_CA_BUNDLE_BASE64@|$ca|" \
  deploy/examples/clusterissuer-testbed-pebble.yaml | "$ACME6_KUBECTL" apply -f -
"$ACME6_KUBECTL" apply -f deploy/examples/certificate-demo.yaml
echo
k get clusterissuers
k get certificates -A -o wide
k explain certificate.spec.privateKey
echo "No acme6 controller runs yet, so READY and EXPIRES stay empty; the ACME core will fill them."
