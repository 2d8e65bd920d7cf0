// Helpers for unit tests of the issuance: a Certificate, a ready Issuer, and a reconciler whose
// dependencies record the status writes.
import { ApiException, type V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import type { AcmePort } from '../../acme/port.ts';
import { mintCertificate } from '../../acme/testing.ts';
import type { MutableSecretStore } from '../../kube/secrets.ts';
import { FakeClock } from '../../runtime/clock.ts';
import type { IssuanceStatus } from './issuance-status.ts';
import { IssuanceReconciler, type IssuanceDeps } from './issuance.ts';

export const now = new Date('2026-11-25T12:00:00Z');

export function cert(generation: number, status: Certificate['status'] = {}): Certificate {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: 'team', uid: 'u1', generation, resourceVersion: '7' },
    spec: {
      secretName: 'web-tls',
      dnsNames: ['web.example.test'],
      issuerRef: { name: 'le', kind: 'Issuer', group: 'acme6.io' },
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
    },
    status,
  };
}

export const readyIssuer = {
  apiVersion: 'acme6.io/v1alpha1',
  kind: 'Issuer',
  metadata: { name: 'le', namespace: 'team', generation: 1, uid: 'i1' },
  spec: {
    acme: {
      server: 'https://ca.example.test/dir',
      privateKeySecretRef: { name: 'le-account', key: 'tls.key' },
      solvers: [{ dns01: { rfc2136: { nameserver: '127.0.0.1:53', tsigAlgorithm: 'HMACSHA256' } } }],
    },
  },
  status: {
    acme: { uri: 'https://ca.example.test/acct/1' },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'AccountRegistered',
        message: '',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
} as unknown as AnyIssuer;

/** What a test may set besides the Certificate, its CA and issuer. */
export interface SetupOptions {
  /** The Certificate as the apiserver has it, when the cache (`certificate`) lags behind it. */
  fresh?: Certificate | null;
  /** Secrets by name, as the apiserver has them. */
  secrets?: Record<string, V1Secret>;
  /** Secrets by name, as the managed-Secret cache has them (may lag `secrets`). */
  cachedSecrets?: Record<string, V1Secret>;
  solvers?: IssuanceDeps['solvers'];
  /** How many status writes fail with 409 Conflict first (another writer changed the object). */
  conflicts?: number;
  /** How many status writes fail with 503 first, after the conflicts (the apiserver restarting). */
  unavailable?: number;
  /** --max-concurrent-issuances' slots. */
  slots?: IssuanceDeps['slots'];
}

/** An Event the reconciler recorded. */
export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

// `issuer: null` means the issuer does not exist (undefined would pick the default).
export function setup(
  certificate: Certificate,
  acme: Partial<AcmePort> = {},
  issuer: AnyIssuer | null = readyIssuer,
  more: SetupOptions = {},
) {
  const writes: IssuanceStatus[] = [];
  let conflicts = more.conflicts ?? 0;
  let unavailable = more.unavailable ?? 0;
  const events: RecordedEvent[] = [];
  /** Secret names read from the apiserver, in order. */
  const secretReads: string[] = [];
  const noSecrets: MutableSecretStore = {
    get: (_ns, name): Promise<V1Secret | undefined> => {
      secretReads.push(name);
      return Promise.resolve(more.secrets?.[name]);
    },
    create: (s) => Promise.resolve(s),
    replace: (s) => Promise.resolve(s),
    delete: () => Promise.resolve(),
  };
  const reconciler = new IssuanceReconciler({
    ...(more.slots ? { slots: more.slots } : {}),
    getCertificate: () => certificate,
    getIssuer: () => issuer ?? undefined,
    // `null` is a Certificate the apiserver no longer has.
    readCertificate: () => Promise.resolve(more.fresh === null ? undefined : (more.fresh ?? certificate)),
    secrets: noSecrets,
    ...(more.cachedSecrets
      ? { cachedSecret: (_ns: string, name: string) => more.cachedSecrets?.[name] }
      : {}),
    acmeClients: { forIssuer: () => Promise.resolve(acme as AcmePort) },
    solvers: more.solvers ?? {},
    writeStatus: (_c, status) => {
      if (conflicts > 0) {
        conflicts -= 1;
        return Promise.reject(new ApiException(409, 'Conflict', {}, {}));
      }
      if (unavailable > 0) {
        unavailable -= 1;
        return Promise.reject(new ApiException(503, 'Service Unavailable', {}, {}));
      }
      writes.push(status);
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    recorder: {
      normal: (_ref, reason, message) => void events.push({ type: 'Normal', reason, message }),
      warning: (_ref, reason, message) => void events.push({ type: 'Warning', reason, message }),
    },
    clock: new FakeClock(now),
    backoff: { initialMs: 3_600_000, maxMs: 32 * 3_600_000 },
    clusterResourceNamespace: 'acme6',
  });
  return { reconciler, writes, events, secretReads };
}

export const failedAt = (generation: number) => ({
  failedIssuanceAttempts: 2,
  lastFailureTime: '2026-11-25T11:30:00Z',
  nextAttemptTime: '2026-11-25T13:00:00Z',
  conditions: [
    {
      type: 'Issuing',
      status: 'False' as const,
      reason: 'Failed',
      message: 'boom',
      lastTransitionTime: '2026-11-25T11:30:00Z',
      observedGeneration: generation,
    },
  ],
});

/** An ACME directory with nothing in it: enough for code that only places orders. */
export const directory = () =>
  Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } });

/** A CA that records each order it places. */
export function countingCa() {
  const orders: string[] = [];
  const acme: Partial<AcmePort> = {
    getDirectory: directory,
    createOrder: () => {
      const url = `https://ca.example.test/order/${orders.length + 1}`;
      orders.push(url);
      return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
    },
  };
  return { acme, orders };
}

/** A Secret with a valid certificate for web.example.test, so a due renewalTime means Renewing. */
export async function validSecret() {
  const leaf = await mintCertificate({
    commonName: 'web.example.test',
    dnsNames: ['web.example.test'],
    notBefore: new Date('2026-10-01T00:00:00Z'),
    notAfter: new Date('2026-12-30T00:00:00Z'),
  });
  return tlsSecretOf(leaf);
}

/** Secret team/web-tls holding the leaf and its key. */
export function tlsSecretOf(leaf: { pem: string; keyPem: string }): V1Secret {
  return {
    metadata: { name: 'web-tls', namespace: 'team' },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(leaf.pem).toString('base64'),
      'tls.key': Buffer.from(leaf.keyPem).toString('base64'),
    },
  };
}
