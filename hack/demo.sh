#!/usr/bin/env bash
# make demo: start the testbed (kube-apiserver, BIND, pebble), run the acme6 controller, apply a
# ClusterIssuer and a Certificate, and show the certificate being issued over dns-01. Everything is
# stopped on exit unless ACME6_DEMO_KEEP=1 (then: make testbed-down, and kill the controller).
# ACME6_DEMO_DNS=rfc2136 (default) updates BIND directly; iij-dpf and iij-do go through the emulator
# of IIJ's DNS Platform Service API or DNS Outsourcing DO-API, which publishes into BIND.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/node_modules/.bin:$PATH
start=$SECONDS

node test/testbed/cli.ts up >/dev/null
set -a; . .testbed/env; set +a
k() { echo "\$ kubectl $*"; "$ACME6_KUBECTL" "$@"; echo; }
dns=${ACME6_DEMO_DNS:-rfc2136}
case $dns in rfc2136 | iij-dpf | iij-do) ;; *) echo "ACME6_DEMO_DNS must be rfc2136, iij-dpf or iij-do, not $dns" >&2; exit 2 ;; esac
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
if [[ $dns == iij-* ]]; then
  rm -f ".testbed/$dns.env"
  if [[ $dns == iij-dpf ]]; then
    node test/emulators/iij-dpf/cli.ts demo-token dpm00000001 > .testbed/iij-dpf.log 2>&1 &
    "$ACME6_KUBECTL" -n acme6 create secret generic iij-dpf-token --from-literal=token=demo-token >/dev/null
  else
    node test/emulators/iij-do/cli.ts demo-access-key demo-secret-key do00000001 > .testbed/iij-do.log 2>&1 &
    "$ACME6_KUBECTL" -n acme6 create secret generic iij-do-keys \
      --from-literal=access=demo-access-key --from-literal=secret=demo-secret-key >/dev/null
  fi
  emulator_pid=$!
  for _ in $(seq 100); do [[ -f .testbed/$dns.env ]] && break; sleep 0.1; done
  set -a; . ".testbed/$dns.env"; set +a
  issuer_file=deploy/examples/clusterissuer-testbed-$dns.yaml
  # The emulator's certificate comes from a private CA, trusted the way any private CA would be.
  export NODE_EXTRA_CA_CERTS=.testbed/$dns-ca.pem
  echo "== $dns emulator running (log .testbed/$dns.log)"; echo
fi
node src/cmd/acme6.ts controller --cluster-resource-namespace acme6 > .testbed/controller.log 2>&1 &
controller_pid=$!
echo "== acme6 controller running (pid $controller_pid, log .testbed/controller.log), dns-01 via $dns"; echo

ca=$(base64 -w0 "$ACME6_PEBBLE_LISTENER_CA_FILE")
sed -e "s|@PEBBLE_DIRECTORY_URL@|$ACME6_PEBBLE_DIRECTORY_URL|" -e "s|@PEBBLE_CA_BUNDLE_BASE64@|$ca|" \
    -e "s|@DNS_PRIMARY@|$ACME6_DNS_PRIMARY|g" -e "s|@DNS_SECONDARY@|$ACME6_DNS_SECONDARY|g" \
    -e "s|@TSIG_KEY_NAME@|$ACME6_TSIG_KEY_NAME|" -e "s|@IIJ_DPF_ENDPOINT@|${ACME6_IIJ_DPF_ENDPOINT:-}|" -e "s|@IIJ_DO_ENDPOINT@|${ACME6_IIJ_DO_ENDPOINT:-}|" \
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
