#!/usr/bin/env bash
# make demo: start the testbed (kube-apiserver, BIND, pebble), run the acme6 controller, apply a
# ClusterIssuer and a Certificate, and show the certificate being issued over dns-01. Everything is
# stopped on exit unless ACME6_DEMO_KEEP=1 (then: make testbed-down, and kill the controller).
# ACME6_DEMO_DNS=rfc2136 (default) updates BIND directly; ACME6_DEMO_DNS=iij-dpf goes through the
# IIJ DNS Platform Service API emulator, which publishes into BIND.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/node_modules/.bin:$PATH
start=$SECONDS

node test/testbed/cli.ts up >/dev/null
set -a; . .testbed/env; set +a
k() { echo "\$ kubectl $*"; "$ACME6_KUBECTL" "$@"; echo; }
dns=${ACME6_DEMO_DNS:-rfc2136}
[[ $dns == rfc2136 || $dns == iij-dpf ]] || { echo "ACME6_DEMO_DNS must be rfc2136 or iij-dpf, not $dns" >&2; exit 2; }
controller_pid=""
emulator_pid=""
cleanup() {
  [[ -n $controller_pid ]] && kill "$controller_pid" 2>/dev/null && wait "$controller_pid" 2>/dev/null || true
  [[ -n $emulator_pid ]] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null || true
  echo; node test/testbed/cli.ts down
}
[[ ${ACME6_DEMO_KEEP:-0} == 1 ]] || trap cleanup EXIT

echo "== the testbed (.testbed/env, secrets omitted)"; grep -v SECRET .testbed/env; echo
"$ACME6_KUBECTL" create namespace acme6 >/dev/null
"$ACME6_KUBECTL" -n acme6 create secret generic testbed-tsig --from-literal=secret="$ACME6_TSIG_SECRET" >/dev/null
issuer_file=deploy/examples/clusterissuer-testbed-pebble.yaml
if [[ $dns == iij-dpf ]]; then
  rm -f .testbed/iij-dpf.env
  node test/emulators/iij-dpf/cli.ts demo-token dpm00000001 > .testbed/iij-dpf.log 2>&1 &
  emulator_pid=$!
  for _ in $(seq 100); do [[ -f .testbed/iij-dpf.env ]] && break; sleep 0.1; done
  set -a; . .testbed/iij-dpf.env; set +a
  "$ACME6_KUBECTL" -n acme6 create secret generic iij-dpf-token --from-literal=token=demo-token >/dev/null
  issuer_file=deploy/examples/clusterissuer-testbed-iij-dpf.yaml
  # The emulator's certificate comes from a private CA, trusted the way any private CA would be.
  export NODE_EXTRA_CA_CERTS=$ACME6_IIJ_DPF_CA_FILE
  echo "== IIJ DPF emulator at $ACME6_IIJ_DPF_ENDPOINT (log .testbed/iij-dpf.log)"; echo
fi
node src/cmd/acme6.ts controller --cluster-resource-namespace acme6 > .testbed/controller.log 2>&1 &
controller_pid=$!
echo "== acme6 controller running (pid $controller_pid, log .testbed/controller.log), dns-01 via $dns"; echo

ca=$(base64 -w0 "$ACME6_PEBBLE_LISTENER_CA_FILE")
sed -e "s|@PEBBLE_DIRECTORY_URL@|$ACME6_PEBBLE_DIRECTORY_URL|" -e "s|@PEBBLE_CA_BUNDLE_BASE64@|$ca|" \
    -e "s|@DNS_PRIMARY@|$ACME6_DNS_PRIMARY|g" -e "s|@DNS_SECONDARY@|$ACME6_DNS_SECONDARY|g" \
    -e "s|@TSIG_KEY_NAME@|$ACME6_TSIG_KEY_NAME|" -e "s|@IIJ_DPF_ENDPOINT@|${ACME6_IIJ_DPF_ENDPOINT:-}|" \
  "$issuer_file" | "$ACME6_KUBECTL" apply -f -
"$ACME6_KUBECTL" apply -f deploy/examples/certificate-demo.yaml
echo
k wait --for=condition=Ready clusterissuer/testbed-pebble --timeout=60s
k wait --for=condition=Ready certificate/demo --timeout=120s
k get clusterissuers
k get certificates -A -o wide
k get secret demo-tls
echo "\$ kubectl get secret demo-tls -o jsonpath='{.data.tls\\.crt}' | base64 -d | openssl x509 -noout -subject -issuer -ext subjectAltName -enddate"
"$ACME6_KUBECTL" get secret demo-tls -o jsonpath='{.data.tls\.crt}' | base64 -d | openssl x509 -noout -subject -issuer -ext subjectAltName -enddate
echo
k get events --field-selector involvedObject.kind=Certificate
echo "demo finished in $((SECONDS - start)) s"
