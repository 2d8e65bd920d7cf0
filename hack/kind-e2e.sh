#!/usr/bin/env bash
# acme6 end to end in a kind cluster, for users with Docker and kind. NOT RUN BY CI: the development
# and CI machines have no Docker engine; `make test` covers the same path against local processes.
#
# It creates a kind cluster, builds the acme6 image (Dockerfile) and loads it into the cluster,
# deploys an authoritative DNS server (BIND, dynamic updates signed with a TSIG key generated here)
# and pebble (Let's Encrypt's test CA, its official image, with a serving certificate from a CA
# generated here), installs acme6 with kustomize (deploy/kustomize), creates a ClusterIssuer for
# pebble with an RFC 2136 dns-01 solver, issues a certificate, and prints what it got.
#
#   hack/kind-e2e.sh                  # everything, then deletes the cluster
#   ACME6_KIND_KEEP=1 hack/kind-e2e.sh  # keep the cluster (kind delete cluster --name acme6-e2e)
#
# Needs: docker, kind, kubectl (any version kind's node image supports), openssl.
set -euo pipefail
cd "$(dirname "$0")/.."

cluster=${ACME6_KIND_CLUSTER:-acme6-e2e}
image=ghcr.io/acme6/acme6:0.1.0 # the tag deploy/kustomize/kustomization.yaml deploys
pebble_image=${ACME6_PEBBLE_IMAGE:-ghcr.io/letsencrypt/pebble:2.10.1}
bind_image=${ACME6_BIND_IMAGE:-internetsystemsconsortium/bind9:9.20}
ns=acme6-e2e # where pebble and BIND run
zone=example.test
start=$SECONDS

for tool in docker kind kubectl openssl; do
  command -v "$tool" >/dev/null || { echo "kind-e2e: $tool is not installed" >&2; exit 2; }
done

work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  if [[ ${ACME6_KIND_KEEP:-0} != 1 ]]; then kind delete cluster --name "$cluster"; fi
}
trap cleanup EXIT
step() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - start))"; }

step "kind cluster $cluster"
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
kubectl config use-context "kind-$cluster" >/dev/null
kc() { kubectl --context "kind-$cluster" "$@"; }

step "image $image"
docker build -t "$image" .
kind load docker-image "$image" --name "$cluster"

step "pebble and BIND in namespace $ns"
kc create namespace "$ns" --dry-run=client -o yaml | kc apply -f -
# pebble's own serving certificate is for localhost: give it one for its Service name instead.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=kind-e2e CA" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=pebble.$ns.svc" \
  -keyout "$work/pebble.key" -out "$work/pebble.csr" 2>/dev/null
printf 'subjectAltName=DNS:pebble.%s.svc,DNS:pebble.%s.svc.cluster.local\n' "$ns" "$ns" > "$work/san.ext"
openssl x509 -req -in "$work/pebble.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 7 -extfile "$work/san.ext" -out "$work/pebble.crt" 2>/dev/null
kc -n "$ns" create secret tls pebble-tls --cert "$work/pebble.crt" --key "$work/pebble.key" \
  --dry-run=client -o yaml | kc apply -f -
tsig_secret=$(openssl rand -base64 32)
# The head of a Deployment in $ns whose pods are labelled app=NAME; the pod spec follows.
deployment_head() {
  printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: %s}\n' "$1" "$ns"
  printf 'spec:\n  selector: {matchLabels: {app: %s}}\n  template:\n' "$1"
  printf '    metadata: {labels: {app: %s}}\n    spec:' "$1"
}

kc apply -f - <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: bind, namespace: $ns}
data:
  named.conf: |
    options {
      directory "/var/lib/bind";
      listen-on { any; };
      listen-on-v6 { any; };
      recursion no;
      allow-query { any; };
    };
    key "acme6-update." { algorithm hmac-sha256; secret "$tsig_secret"; };
    zone "$zone" {
      type primary;
      file "/var/lib/bind/$zone.zone";
      update-policy { grant acme6-update. zonesub TXT; };
    };
  $zone.zone: |
    \$TTL 60
    @  IN SOA ns.$zone. hostmaster.$zone. 1 60 60 600 60
    @  IN NS  ns.$zone.
    ns IN A   127.0.0.1
---
$(deployment_head bind)
      # Dynamic updates rewrite the zone: it lives in a writable copy.
      initContainers:
        - name: zone
          image: $bind_image
          command: [cp, /config/$zone.zone, /var/lib/bind/$zone.zone]
          volumeMounts:
            - {name: config, mountPath: /config}
            - {name: zones, mountPath: /var/lib/bind}
      containers:
        - name: named
          image: $bind_image
          command: [/usr/sbin/named, -g, -c, /config/named.conf]
          ports:
            - {containerPort: 53, protocol: UDP}
            - {containerPort: 53, protocol: TCP}
          volumeMounts:
            - {name: config, mountPath: /config}
            - {name: zones, mountPath: /var/lib/bind}
      volumes:
        - {name: config, configMap: {name: bind}}
        - {name: zones, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: bind, namespace: $ns}
spec:
  selector: {app: bind}
  ports:
    - {name: dns-udp, port: 53, protocol: UDP}
    - {name: dns-tcp, port: 53, protocol: TCP}
EOF
kc -n "$ns" rollout status deployment/bind --timeout=120s
bind_ip=$(kc -n "$ns" get service bind -o jsonpath='{.spec.clusterIP}')

kc apply -f - <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: pebble, namespace: $ns}
data:
  pebble-config.json: |
    {"pebble": {
      "listenAddress": "0.0.0.0:14000",
      "managementListenAddress": "0.0.0.0:15000",
      "certificate": "/tls/tls.crt",
      "privateKey": "/tls/tls.key",
      "httpPort": 80,
      "tlsPort": 443,
      "ocspResponderURL": "",
      "externalAccountBindingRequired": false
    }}
---
$(deployment_head pebble)
      containers:
        - name: pebble
          image: $pebble_image
          # Validates dns-01 by asking BIND, the zone's authoritative server.
          args: [-config, /config/pebble-config.json, -strict, -dnsserver, "$bind_ip:53"]
          env:
            - {name: PEBBLE_VA_NOSLEEP, value: "1"}
          ports:
            - {containerPort: 14000}
          volumeMounts:
            - {name: config, mountPath: /config}
            - {name: tls, mountPath: /tls}
      volumes:
        - {name: config, configMap: {name: pebble}}
        - {name: tls, secret: {secretName: pebble-tls}}
---
apiVersion: v1
kind: Service
metadata: {name: pebble, namespace: $ns}
spec:
  selector: {app: pebble}
  ports:
    - {name: acme, port: 14000}
EOF
kc -n "$ns" rollout status deployment/pebble --timeout=120s

step "acme6 (kubectl apply --server-side -k deploy/kustomize)"
kc apply --server-side -k deploy/kustomize
kc wait --for=condition=Established crd/certificates.acme6.io crd/issuers.acme6.io crd/clusterissuers.acme6.io
kc -n acme6 rollout status deployment/acme6-controller --timeout=180s
kc -n acme6 create secret generic kind-e2e-tsig --from-literal=secret="$tsig_secret" \
  --dry-run=client -o yaml | kc apply -f -

step "ClusterIssuer and Certificate"
kc apply -f - <<EOF
apiVersion: acme6.io/v1alpha1
kind: ClusterIssuer
metadata: {name: kind-pebble}
spec:
  acme:
    server: https://pebble.$ns.svc:14000/dir
    email: e2e@$zone
    caBundle: $(base64 -w0 < "$work/ca.crt")
    privateKeySecretRef: {name: kind-pebble-account}
    solvers:
      - dns01:
          rfc2136:
            nameserver: "$bind_ip:53"
            tsigKeyName: acme6-update.
            tsigAlgorithm: HMACSHA256
            tsigSecretSecretRef: {name: kind-e2e-tsig, key: secret}
          # The zone's NS name is not reachable from the cluster: check at BIND's Service.
          propagation: {nameservers: ["$bind_ip:53"], interval: 2s}
---
apiVersion: acme6.io/v1alpha1
kind: Certificate
metadata: {name: kind-e2e, namespace: default}
spec:
  secretName: kind-e2e-tls
  dnsNames: [e2e.$zone, "*.e2e.$zone"]
  issuerRef: {kind: ClusterIssuer, name: kind-pebble}
EOF
kc wait --for=condition=Ready clusterissuer/kind-pebble --timeout=120s
if ! kc -n default wait --for=condition=Ready certificate/kind-e2e --timeout=300s; then
  kc -n default describe certificate kind-e2e
  kc -n acme6 logs deployment/acme6-controller --tail=50
  exit 1
fi

step "result"
kc -n default get certificate,secret -o wide
kc -n default get secret kind-e2e-tls -o jsonpath='{.data.tls\.crt}' | base64 -d |
  openssl x509 -noout -subject -issuer -ext subjectAltName -dates
if [[ -x node_modules/.bin/node ]]; then
  # The kubectl plugin from the sources (npm ci installed the Node 22 it needs).
  node_modules/.bin/node src/cmd/kubectl-acme6.ts status certificate kind-e2e -n default --context "kind-$cluster"
fi
echo "kind-e2e passed in $((SECONDS - start)) s"
