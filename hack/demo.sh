#!/usr/bin/env bash
# make demo: start the testbed (kube-apiserver, BIND, pebble as the CA), run the acme6 controller,
# apply deploy/examples (a ClusterIssuer and an annotated Ingress), wait for the certificate the
# Ingress asks for, and show it with kubectl and the kubectl acme6 plugin. Everything is stopped on
# exit unless ACME6_DEMO_KEEP=1 (then: make testbed-down, and kill the controller yourself).
# ACME6_DEMO_DNS=rfc2136 (default) updates BIND directly; iij-dpf and iij-do go through the emulator
# of IIJ's DNS Platform Service API or DNS Outsourcing DO-API, which publishes into BIND.
# ACME6_DEMO_WITH=certificate applies a Certificate instead of the Ingress; ACME6_DEMO_WITH=gateway
# applies an annotated Gateway (class traefik, listeners on the testbed's HTTPS port) and shows the
# certificate Traefik then serves for it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH=$repo/node_modules/.bin:$PATH
start=$SECONDS

dns=${ACME6_DEMO_DNS:-rfc2136}
case $dns in rfc2136 | iij-dpf | iij-do) ;; *) echo "ACME6_DEMO_DNS must be rfc2136, iij-dpf or iij-do, not $dns" >&2; exit 2 ;; esac
with=${ACME6_DEMO_WITH:-ingress}
case $with in ingress | certificate | gateway) ;; *) echo "ACME6_DEMO_WITH must be ingress, certificate or gateway, not $with" >&2; exit 2 ;; esac
if [[ $with == ingress ]]; then
  example=deploy/examples/ingress-demo.yaml certificate=web-demo-tls
elif [[ $with == gateway ]]; then
  example=deploy/examples/gateway-demo.yaml certificate=shop-demo-tls
else
  example=deploy/examples/certificate-demo.yaml certificate=demo
fi

# What the demo needs, built before it starts; each step is cached by version, so a warm run only
# checks. Durations are for the 2-core development machine.
step() { printf '[demo %s] %s\n' "$1" "$2" >&2; }
step 1/4 "Debian packages for the testbed and the image (apt-get, about 1 min when any is missing)"
bash hack/testbed/debian-packages.sh
step 2/4 "testbed binaries: pebble, etcd, kube-apiserver, Traefik from their Go modules (about 20 min when not cached, 0 s cached)"
bash hack/testbed/build.sh >/dev/null
# The image runs the testbed's pods; rebuilt only when the sources changed after it was built (the
# rule the testbed itself enforces, test/testbed/pod-runtime.ts).
index=dist/image/oci/index.json
if [[ -f $index && -z $(find src package.json package-lock.json -newer "$index" ! -name '*.test.ts' -print -quit) ]]; then
  step 3/4 "the acme6 image: up to date ($index)"
else
  step 3/4 "the acme6 program and its image, which runs the testbed's pods (tsc and make image: about 3 min the first time, 30 s after a change)"
  make --no-print-directory -s image >/dev/null
fi
step 4/4 "the testbed, the controller and a certificate (about 30 s; ready after $((SECONDS - start)) s of preparation)"

controller_pid=""
emulator_pid=""
stop() { if [[ -n $1 ]] && kill "$1" 2>/dev/null; then wait "$1" 2>/dev/null || true; fi; }
cleanup() {
  stop "$controller_pid"
  stop "$emulator_pid"
  rm -rf "$repo/.testbed/bin"
  echo; node test/testbed/cli.ts down
}
[[ ${ACME6_DEMO_KEEP:-0} == 1 ]] || trap cleanup EXIT

node test/testbed/cli.ts up >/dev/null
set -a # KUBECONFIG and the testbed's addresses, exported
# shellcheck source=/dev/null
. .testbed/env
set +a

# `kubectl` is the testbed's own; `kubectl acme6` finds the plugin on the PATH, as it would once
# installed (npm's bin kubectl-acme6), here run from the sources.
mkdir -p .testbed/bin
ln -sf "$ACME6_KUBECTL" .testbed/bin/kubectl
printf '#!/bin/sh\nexec %q %q "$@"\n' "$(command -v node)" "$repo/src/cmd/kubectl-acme6.ts" > .testbed/bin/kubectl-acme6
chmod +x .testbed/bin/kubectl-acme6
export PATH=$repo/.testbed/bin:$PATH
k() { echo "\$ kubectl $*"; kubectl "$@"; echo; }

echo "== the testbed (.testbed/env, secrets omitted)"; grep -v SECRET .testbed/env; echo
kubectl create namespace acme6 >/dev/null
kubectl -n acme6 create secret generic testbed-tsig --from-literal=secret="$ACME6_TSIG_SECRET" >/dev/null
issuer_file=deploy/examples/clusterissuer-testbed-pebble.yaml
if [[ $dns == iij-* ]]; then
  rm -f ".testbed/$dns.env"
  if [[ $dns == iij-dpf ]]; then
    node test/emulators/iij-dpf/cli.ts demo-token dpm00000001 > .testbed/iij-dpf.log 2>&1 &
    kubectl -n acme6 create secret generic iij-dpf-token --from-literal=token=demo-token >/dev/null
  else
    node test/emulators/iij-do/cli.ts demo-access-key demo-secret-key do00000001 > .testbed/iij-do.log 2>&1 &
    kubectl -n acme6 create secret generic iij-do-keys \
      --from-literal=access=demo-access-key --from-literal=secret=demo-secret-key >/dev/null
  fi
  emulator_pid=$!
  for _ in $(seq 100); do [[ -f .testbed/$dns.env ]] && break; sleep 0.1; done
  set -a
  # shellcheck source=/dev/null
  . ".testbed/$dns.env"
  set +a
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
  "$issuer_file" | kubectl apply -f -
if [[ $with == gateway ]]; then
  # Traefik maps a listener to the entrypoint on its port: the testbed's HTTPS port, not 443.
  echo "\$ kubectl apply -n default -f $example   # port 443 -> $ACME6_INGRESS_HTTPS_PORT"
  sed "s/port: 443$/port: $ACME6_INGRESS_HTTPS_PORT/" "$example" | kubectl apply -n default -f -; echo
else
  k apply -n default -f "$example"
fi
k wait --for=condition=Ready clusterissuer/testbed-pebble --timeout=60s
# The Ingress's Certificate is created by the controller: wait for it to exist, then to be Ready.
k wait -n default --for=create "certificate/$certificate" --timeout=30s
k wait -n default --for=condition=Ready "certificate/$certificate" --timeout=120s
# Ready comes with the TLS Secret; a moment later the issuance drops the key it held for the order.
k wait -n default --for=delete "secret/$certificate-next-key" --timeout=30s
if [[ $with == gateway ]]; then
  k wait -n default --for=condition=Ready certificate/www-demo-tls --timeout=120s
  k get -n default gateway,certificate,secret
  # The certificate Traefik serves on its HTTPS entrypoint for the listener's name (SNI).
  echo "== served by Traefik for shop.example.test on 127.0.0.1:$ACME6_INGRESS_HTTPS_PORT"
  for _ in $(seq 30); do
    node -e '
      const tls = require("node:tls");
      const s = tls.connect({ host: "127.0.0.1", port: Number(process.argv[1]), servername: "shop.example.test",
        ca: require("node:fs").readFileSync(process.argv[2]) }, () => {
        const c = s.getPeerX509Certificate(); console.log(`subjectAltName: ${c.subjectAltName}\nissuer: ${c.issuer}\nverified: ${s.authorized}`); s.end(); });
      s.on("error", (e) => { console.error(e.message); process.exit(1); });' "$ACME6_INGRESS_HTTPS_PORT" "$ACME6_PEBBLE_ROOT_CA_FILE" && break
    sleep 1
  done
  echo
else
  k get -n default ingress,certificate,secret
fi
k acme6 status certificate "$certificate" -n default
k acme6 inspect secret "$(kubectl get -n default "certificate/$certificate" -o jsonpath='{.spec.secretName}')" -n default
echo "demo finished in $((SECONDS - start)) s"
