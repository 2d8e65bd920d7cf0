import { describe, expect, it } from 'vitest';
import type { Certificate, PresentedChallenge } from '../../api/certificate.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { staleChallenges } from './challenge-cleanup-plan.ts';
import { ChallengeCleanup, CLEANUP_PENDING_REASON, type ChallengeCleanupDeps } from './challenge-cleanup.ts';
import type { ChallengeTask } from './challenge-solver.ts';

const ORDER = 'https://ca.test/order/1';
const entry = (over: Partial<PresentedChallenge> = {}): PresentedChallenge => ({
  orderURL: ORDER,
  type: 'dns-01',
  dnsName: 'a.example.test',
  token: 'tok',
  value: 'txt-value',
  issuerKind: 'Issuer',
  issuerName: 'ca',
  solverIndex: 0,
  presentedTime: '2026-01-01T00:00:00Z',
  ...over,
});

function cert(
  records: PresentedChallenge[],
  opts: { orderURL?: string; deleting?: boolean } = {},
): Certificate {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      finalizers: ['acme6.io/challenge-cleanup'],
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}),
    },
    spec: { secretName: 'web-tls', dnsNames: ['a.example.test'], issuerRef: { name: 'ca', kind: 'Issuer' } },
    status: { presentedChallenges: records, ...(opts.orderURL ? { acme: { orderURL: opts.orderURL } } : {}) },
  } as unknown as Certificate;
}

const issuer = {
  metadata: { name: 'ca', namespace: 'ns' },
  spec: { acme: { solvers: [{ dns01: { rfc2136: { nameserver: '[2001:db8::53]:53' } } }] } },
} as unknown as AnyIssuer;

function harness(
  certificate: Certificate,
  opts: { issuer?: AnyIssuer; failWith?: string; fresh?: Certificate } = {},
) {
  let stored = opts.fresh ?? certificate;
  const cleaned: ChallengeTask[] = [];
  const warnings: string[][] = [];
  const finalizer: boolean[] = [];
  const solver = {
    present: () => Promise.reject(new Error('not in this test')),
    cleanUp: (task: ChallengeTask) =>
      opts.failWith ? Promise.reject(new Error(opts.failWith)) : Promise.resolve(void cleaned.push(task)),
  };
  const deps: ChallengeCleanupDeps = {
    getCertificate: () => stored,
    readCertificate: () => Promise.resolve(stored),
    getIssuer: () => ('issuer' in opts ? opts.issuer : issuer),
    solvers: { 'dns-01': solver, 'http-01': solver },
    writeRecords: (c, records) => {
      const resourceVersion = String(Number(c.metadata.resourceVersion) + 1);
      stored = {
        ...c,
        metadata: { ...c.metadata, resourceVersion },
        status: { ...c.status, presentedChallenges: records },
      };
      return Promise.resolve(resourceVersion);
    },
    setFinalizer: (_c, held) => Promise.resolve(void finalizer.push(held)),
    recorder: { normal: () => {}, warning: (_ref, reason, message) => void warnings.push([reason, message]) },
    clock: new FakeClock(new Date('2026-01-01T00:02:00Z')),
    clusterResourceNamespace: 'acme6',
  };
  return { cleanup: new ChallengeCleanup(deps), cleaned, warnings, finalizer, stored: () => stored };
}

describe('staleChallenges', () => {
  it('keeps the order in flight and takes down every other, and all of them on deletion', () => {
    const current = entry();
    const old = entry({ orderURL: 'https://ca.test/order/0', token: 'old-token' });
    expect(staleChallenges(cert([current, old], { orderURL: ORDER }))).toEqual([old]);
    expect(staleChallenges(cert([current, old]))).toEqual([current, old]);
    expect(staleChallenges(cert([current, old], { orderURL: ORDER, deleting: true }))).toEqual([
      current,
      old,
    ]);
  });
});

describe('ChallengeCleanup', () => {
  it('records a response and hands back the version the issuance writes on next', async () => {
    const h = harness(cert([], { orderURL: ORDER }));
    expect(await h.cleanup.record(cert([], { orderURL: ORDER }) as never, entry())).toBe('8');
    expect(h.stored().status?.presentedChallenges).toEqual([entry()]);
    expect(h.finalizer).toEqual([true]);
  });

  it('records nothing and answers 409 when the cache is behind the apiserver', async () => {
    const fresh = cert([], { orderURL: 'https://ca.test/order/2' });
    const h = harness(cert([], { orderURL: ORDER }), { fresh });
    await expect(h.cleanup.record(cert([], { orderURL: ORDER }) as never, entry())).rejects.toMatchObject({
      code: 409,
    });
    expect(h.stored().status?.presentedChallenges).toEqual([]);
  });

  it('takes a TXT record down from status alone and then releases its finalizer', async () => {
    const h = harness(cert([entry()], { deleting: true }));
    await h.cleanup.reconcile('ns/web');
    expect(
      h.cleaned.map((t) => [t.domain, t.value, t.secretNamespace, t.solver.dns01 !== undefined]),
    ).toEqual([['a.example.test', 'txt-value', 'ns', true]]);
    expect(h.stored().status?.presentedChallenges).toEqual([]);
    await h.cleanup.reconcile('ns/web');
    expect(h.finalizer).toEqual([false]);
  });

  it('takes http-01 objects down even when the issuer is gone', async () => {
    const h = harness(cert([entry({ type: 'http-01' })], { deleting: true }), { issuer: undefined });
    await h.cleanup.reconcile('ns/web');
    expect(h.cleaned.map((t) => [t.domain, t.token, t.certificate.uid])).toEqual([
      ['a.example.test', 'tok', 'u1'],
    ]);
    expect(h.stored().status?.presentedChallenges).toEqual([]);
  });

  it('keeps the record and the finalizer, warns and retries while the DNS server refuses', async () => {
    const h = harness(cert([entry()], { deleting: true }), { failWith: 'REFUSED by 2001:db8::53' });
    await expect(h.cleanup.reconcile('ns/web')).rejects.toThrow(/REFUSED/);
    expect(h.stored().status?.presentedChallenges).toHaveLength(1);
    expect(h.finalizer).toEqual([]);
    expect(h.warnings).toEqual([
      [
        CLEANUP_PENDING_REASON,
        expect.stringMatching(/TXT record _acme-challenge\.a\.example\.test "txt-value".*REFUSED/),
      ],
    ]);
  });

  it('says plainly when a dns-01 record cannot be reached because its issuer is gone', async () => {
    const h = harness(cert([entry()], { deleting: true }), { issuer: undefined });
    await expect(h.cleanup.reconcile('ns/web')).rejects.toThrow(
      /Issuer ca does not exist.*remove the record by hand/,
    );
    expect(h.cleaned).toEqual([]);
  });

  it('records a response once, after holding the finalizer', async () => {
    const h = harness(cert([]));
    const stored = h.stored() as Certificate & { metadata: { name: string; namespace: string; uid: string } };
    await h.cleanup.record(stored, entry());
    await h.cleanup.record(h.stored() as typeof stored, entry());
    expect(h.finalizer).toEqual([true]);
    expect(h.stored().status?.presentedChallenges).toEqual([entry()]);
  });
});

describe('a response the order in flight reuses', () => {
  it('stays up, and only its old entry goes', async () => {
    const reused = entry({ orderURL: 'https://ca.test/order/0' });
    const h = harness(cert([reused, entry()], { orderURL: ORDER }));
    await h.cleanup.reconcile('ns/web');
    expect(h.cleaned).toEqual([]);
    expect(h.stored().status?.presentedChallenges).toEqual([entry()]);
  });
});

describe('ChallengeCleanup finalizer', () => {
  it('keeps its finalizer while an order is in flight, even before the cache shows the record', async () => {
    const h = harness(cert([], { orderURL: ORDER }));
    await h.cleanup.reconcile('ns/web');
    expect(h.finalizer).toEqual([]);
  });
});
