// What the soak creates: one ClusterIssuer per way of solving (RFC 2136 to BIND, IIJ DPF, IIJ
// DO-API, http-01 through Traefik), and N Certificates spread over them, wildcard + apex included.

export const CLUSTER_NAMESPACE = 'acme6';
export const NAMESPACE = 'soak';

export type SolverKind = 'rfc2136' | 'dpf' | 'do' | 'http01';

/** The zone each kind's names live in: each emulator has a zone of its own in the testbed's BIND. */
export const ZONES: Record<SolverKind, string> = {
  rfc2136: 'example.test',
  http01: 'example.test',
  dpf: 'sub.example.test',
  do: 'acme6.test',
};

export interface SoakCertificate {
  name: string;
  kind: SolverKind;
  dnsNames: string[];
}

/** Two in five over RFC 2136, one each over DPF, DO-API and http-01; every other dns-01 one is apex + wildcard. */
export function soakCertificates(count: number): SoakCertificate[] {
  const kinds: SolverKind[] = ['rfc2136', 'dpf', 'rfc2136', 'do', 'http01'];
  return Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length]!;
    const name = `${kind === 'rfc2136' ? 'rfc' : kind}-${i}`;
    const host = `${name}.${ZONES[kind]}`;
    const wildcard = kind !== 'http01' && i % 2 === 0;
    return { name, kind, dnsNames: wildcard ? [host, `*.${host}`] : [host] };
  });
}

export function certificateObject(c: SoakCertificate): object {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name: c.name, namespace: NAMESPACE },
    spec: {
      secretName: `${c.name}-tls`,
      dnsNames: c.dnsNames,
      issuerRef: { kind: 'ClusterIssuer', name: `soak-${c.kind}` },
      privateKey: { algorithm: 'ECDSA', size: 256 },
    },
  };
}

/** How the issuers reach the CA, DNS and the DNS APIs. */
export interface IssuerTargets {
  directoryUrl: string;
  caBundlePem: string;
  dnsPrimary: string;
  dnsSecondary: string;
  tsigKeyName: string;
  dpfEndpoint: string;
  dpfServiceCode: string;
  doEndpoint: string;
  doServiceCode: string;
}

/** The Secret the solver credentials live in (cluster resource namespace). */
export const CREDENTIALS = 'soak-credentials';

export function clusterIssuer(kind: SolverKind, t: IssuerTargets): object {
  const propagation = { nameservers: [t.dnsPrimary, t.dnsSecondary], interval: '1s', timeout: '5m' };
  const ref = (key: string) => ({ name: CREDENTIALS, key });
  const solver = {
    rfc2136: {
      dns01: {
        rfc2136: {
          nameserver: t.dnsPrimary,
          tsigKeyName: t.tsigKeyName,
          tsigAlgorithm: 'HMACSHA256',
          tsigSecretSecretRef: ref('tsig'),
        },
        propagation,
      },
    },
    dpf: {
      dns01: {
        iijDpf: { tokenSecretRef: ref('dpf-token'), serviceCode: t.dpfServiceCode, endpoint: t.dpfEndpoint },
        propagation,
      },
    },
    do: {
      dns01: {
        iijDo: {
          accessKeySecretRef: ref('do-access'),
          secretKeySecretRef: ref('do-secret'),
          serviceCode: t.doServiceCode,
          endpoint: t.doEndpoint,
        },
        propagation,
      },
    },
    http01: {
      http01: { ingress: { ingressClassName: 'traefik' }, selfCheck: { interval: '1s', passes: 1 } },
    },
  }[kind];
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'ClusterIssuer',
    metadata: { name: `soak-${kind}` },
    spec: {
      acme: {
        server: t.directoryUrl,
        email: 'ops@example.test',
        caBundle: Buffer.from(t.caBundlePem).toString('base64'),
        privateKeySecretRef: { name: `soak-${kind}-account` },
        solvers: [solver],
      },
    },
  };
}
