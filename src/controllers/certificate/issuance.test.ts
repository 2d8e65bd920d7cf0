// Issuance decisions that the integration tests reach only indirectly: the failure backoff holds
// until a spec change, and a CA's Retry-After is recorded in status and waited for.
import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { AcmeError } from '../../acme/errors.ts';
import type { AcmePort } from '../../acme/port.ts';
import type { MutableSecretStore } from '../../kube/secrets.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { MANUAL_TRIGGER_REASON, withManualTrigger, type IssuanceStatus } from './issuance-status.ts';
import { IssuanceReconciler } from './issuance.ts';

const now = new Date('2026-11-25T12:00:00Z');

function cert(generation: number, status: Certificate['status'] = {}): Certificate {
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

const readyIssuer = {
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

// `issuer: null` means the issuer does not exist (undefined would pick the default).
function setup(
  certificate: Certificate,
  acme: Partial<AcmePort> = {},
  issuer: AnyIssuer | null = readyIssuer,
) {
  const writes: IssuanceStatus[] = [];
  const noSecrets: MutableSecretStore = {
    get: (): Promise<V1Secret | undefined> => Promise.resolve(undefined),
    create: (s) => Promise.resolve(s),
    replace: (s) => Promise.resolve(s),
    delete: () => Promise.resolve(),
  };
  const reconciler = new IssuanceReconciler({
    getCertificate: () => certificate,
    getIssuer: () => issuer ?? undefined,
    readCertificate: () => Promise.resolve(certificate),
    secrets: noSecrets,
    acmeClients: { forIssuer: () => Promise.resolve(acme as AcmePort) },
    solvers: {},
    writeStatus: (_c, status) => {
      writes.push(status);
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    recorder: { normal: () => undefined, warning: () => undefined },
    clock: new FakeClock(now),
    backoff: { initialMs: 3_600_000, maxMs: 32 * 3_600_000 },
    clusterResourceNamespace: 'acme6',
  });
  return { reconciler, writes };
}

const failedAt = (generation: number) => ({
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

describe('IssuanceReconciler', () => {
  it('waits out the failure backoff while the spec is unchanged', async () => {
    const t = setup(cert(3, failedAt(3)), {
      createOrder: () => Promise.reject(new Error('must not order during backoff')),
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 3_600_000 });
    expect(t.writes).toEqual([]);
  });

  it('tries again at once after a spec change, which may be the fix', async () => {
    let ordered = 0;
    const t = setup(cert(4, failedAt(3)), {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => {
        ordered += 1;
        return Promise.resolve({
          url: 'https://ca.example.test/order/1',
          status: 'pending',
          identifiers: [],
          authorizations: [],
          finalize: '',
        });
      },
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(ordered).toBe(1);
    expect(t.writes[0]?.acme).toMatchObject({
      orderURL: 'https://ca.example.test/order/1',
      certificateRevision: 1,
    });
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      type: 'Issuing',
      status: 'True',
      reason: 'SecretMissing',
    });
  });

  it('places an order at once for a manual renewal, even during the failure backoff', async () => {
    const failed = failedAt(3);
    const requested = withManualTrigger(failed, cert(3, failed), now);
    const orders: string[] = [];
    const acme: Partial<AcmePort> = {
      getDirectory: () => Promise.reject(new Error('a manual renewal names no replaced certificate')),
      createOrder: (request) => {
        orders.push(request.identifiers.map((i) => i.value).join(','));
        const url = 'https://ca.example.test/order/2';
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const t = setup(cert(3, { ...failed, ...requested }), acme);
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(orders).toEqual(['web.example.test']);
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      type: 'Issuing',
      status: 'True',
      reason: MANUAL_TRIGGER_REASON,
    });
    expect(t.writes[0]?.acme?.orderURL).toBe('https://ca.example.test/order/2');
  });

  it("records a rate limit's Retry-After in status and waits for it", async () => {
    const retryAfter = new Date(now.getTime() + 3 * 3_600_000);
    const limited = new AcmeError(
      'ACME server https://ca.example.test/dir rejected the order: rateLimited: too many',
      {
        kind: 'problem',
        classification: 'transient',
        server: 'https://ca.example.test/dir',
        operation: 'the order',
        retryAfter,
      },
    );
    const t = setup(cert(1), {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => Promise.reject(limited),
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 3 * 3_600_000 });
    const written = t.writes.at(-1)!;
    expect(written.acme?.retryAfter).toBe('2026-11-25T15:00:00Z');
    expect(written.conditions?.[0]).toMatchObject({
      status: 'True',
      message: `retrying: ${limited.message}`,
    });
  });

  it('waits for a missing issuer without placing an order', async () => {
    const t = setup(cert(1), { createOrder: () => Promise.reject(new Error('no')) }, null);
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 300_000 });
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'IssuerNotReady',
      message: 'Issuer le does not exist',
    });
  });
});
