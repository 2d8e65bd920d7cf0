// Progressing an issuance: an order in flight for something the Certificate no longer asks for (a
// name removed, another issuer, another key) is abandoned at once, its challenges cleaned up, with
// no failure recorded and no backoff.
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import type { AcmeAuthorization, AcmeOrder, AcmePort } from '../../acme/port.ts';
import type { ChallengeSolver, ChallengeTask } from './challenge-solver.ts';
import { cert, now, readyIssuer, setup } from './issuance-testing.ts';
import { orderFingerprint } from './order-fingerprint.ts';
import { chooseSolvers } from './solver-selection.ts';

const orderURL = 'https://ca.example.test/order/1';
const ordered = ['web.example.test', 'old.example.test'];

/** A pending order with one pending dns-01 authorization per name. */
const pendingOrder: Partial<AcmePort> = {
  getOrder: (url): Promise<AcmeOrder> =>
    Promise.resolve({
      url,
      status: 'pending',
      identifiers: [],
      authorizations: ordered.map((value) => `https://ca.example.test/authz/${value}`),
      finalize: '',
    }),
  getAuthorizations: (): Promise<AcmeAuthorization[]> =>
    Promise.resolve(
      ordered.map((value) => ({
        url: `https://ca.example.test/authz/${value}`,
        status: 'pending',
        identifier: { type: 'dns', value },
        wildcard: false,
        challenges: [
          { type: 'dns-01', url: `https://ca.example.test/chall/${value}`, status: 'pending', token: 't' },
        ],
      })),
    ),
  challengeValue: () => Promise.resolve('txt-value'),
};

/** A dns-01 solver that records what it took down and never sees its record propagate. */
function recordingSolver() {
  const cleaned: string[] = [];
  const solver: ChallengeSolver = {
    present: () =>
      Promise.resolve({ ready: false, detail: 'not yet', recheckAfterMs: 1000, giveUpAfterMs: 600_000 }),
    cleanUp: (task: ChallengeTask) => {
      cleaned.push(task.domain);
      return Promise.resolve();
    },
  };
  return { solver, cleaned };
}

/** The Certificate with an order in flight placed for `ordered` from issuer le. */
function inFlight(): Certificate {
  const placedFor = { spec: { ...cert(1).spec, dnsNames: ordered } };
  const choices = chooseSolvers(readyIssuer.spec.acme.solvers, ordered).choices;
  return cert(2, {
    conditions: [
      {
        type: 'Issuing',
        status: 'True',
        reason: 'SecretMissing',
        message: 'Secret web-tls does not exist',
        lastTransitionTime: '2026-11-25T11:59:00Z',
        observedGeneration: 1,
      },
    ],
    acme: {
      orderURL,
      orderState: 'pending',
      certificateRevision: 1,
      orderFingerprint: orderFingerprint(placedFor, readyIssuer, choices),
      challenges: ordered.map((dnsName) => ({ dnsName, type: 'dns-01' as const, state: 'pending' as const })),
    },
  });
}

/** That Certificate, now asking for `spec`. */
function withSpec(spec: Partial<Certificate['spec']>): Certificate {
  const c = inFlight();
  return { ...c, spec: { ...c.spec, ...spec } };
}

describe('an order in flight when the spec changes', () => {
  it.each([
    ['a name is removed', { dnsNames: ['web.example.test'] }],
    [
      'the issuerRef changes',
      {
        dnsNames: ordered,
        issuerRef: { name: 'other', kind: 'Issuer' as const, group: 'acme6.io' as const },
      },
    ],
    [
      'the private key changes',
      {
        dnsNames: ordered,
        privateKey: { algorithm: 'RSA' as const, size: 3072, rotationPolicy: 'Always' as const },
      },
    ],
  ])('is abandoned and cleaned up when %s, without a failure', async (_why, spec) => {
    const { solver, cleaned } = recordingSolver();
    const t = setup(withSpec(spec), pendingOrder, undefined, { solvers: { 'dns-01': solver } });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(t.writes).toHaveLength(1);
    expect(t.writes[0]?.acme).toBeUndefined();
    expect(t.writes[0]?.failedIssuanceAttempts).toBeUndefined();
    expect(t.writes[0]?.conditions?.[0]?.reason).not.toBe('Failed');
    expect(cleaned.sort()).toEqual([...ordered].sort());
    expect(t.events.filter((e) => e.type === 'Warning')).toEqual([]);
  });

  it('is kept while the spec still matches it', async () => {
    const { solver, cleaned } = recordingSolver();
    const t = setup(withSpec({ dnsNames: [...ordered].reverse() }), pendingOrder, undefined, {
      solvers: { 'dns-01': solver },
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 1000 });
    expect(t.writes.at(-1)?.acme?.orderURL).toBe(orderURL);
    expect(cleaned).toEqual([]);
  });
});

describe('the propagation timeout of an order placed long ago', () => {
  it('counts from when this controller first published the record, not from the order', async () => {
    // Placed ten minutes ago by a leader that died before publishing; the timeout is five minutes.
    const placedLongAgo = withSpec({ dnsNames: ordered });
    placedLongAgo.status!.acme!.orderCreatedTime = new Date(now.getTime() - 600_000).toISOString();
    const published: string[] = [];
    const solver: ChallengeSolver = {
      present: (task) => {
        published.push(task.domain);
        return Promise.resolve({
          ready: false,
          detail: 'not yet',
          recheckAfterMs: 1000,
          giveUpAfterMs: 300_000,
        });
      },
      cleanUp: () => Promise.resolve(),
    };
    const t = setup(placedLongAgo, pendingOrder, undefined, { solvers: { 'dns-01': solver } });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 1000 });
    expect(published.sort()).toEqual([...ordered].sort());
    expect(t.writes.at(-1)?.acme?.orderURL).toBe(orderURL);
    expect(t.writes.at(-1)?.failedIssuanceAttempts).toBeUndefined();
    expect(t.events.filter((e) => e.type === 'Warning')).toEqual([]);
  });
});
