// What an issuance asks the CA: each authorization once, the order only when it may have changed
// (not while its records propagate, not again before cleaning up), and the finished order forgotten.
import { describe, expect, it } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import type { AcmeAuthorization, AcmeChallenge, AcmeOrder, AcmePort } from '../../acme/port.ts';
import type { MutableSecretStore } from '../../kube/secrets.ts';
import type { Certificate } from '../../api/certificate.ts';
import type { ChallengeSolver } from './challenge-solver.ts';
import { cert, now, readyIssuer } from './issuance-testing.ts';
import { KnownOrders } from './known-orders.ts';
import { cleanUpChallenges, IssuanceFailure, stepOrder, type OrderContext } from './order-progress.ts';
import { chooseSolvers } from './solver-selection.ts';

const names = ['web.example.test', '*.web.example.test'];
const orderURL = 'https://ca.example.test/order/1';

/**
 * A CA with one order for `names`: an answered challenge has passed (or failed) by the next look at
 * the order, a finalized order is issued by the next look. Counts every request.
 */
function fakeCa(outcome: 'valid' | 'invalid' = 'valid') {
  const requests: string[] = [];
  const authzURL = (i: number): string => `https://ca.example.test/authz/${i}`;
  const challenges: AcmeChallenge[] = names.map((_, i) => ({
    type: 'dns-01',
    url: `https://ca.example.test/chall/${i}`,
    status: 'pending',
    token: `token-${i}`,
  }));
  let finalized = false;
  let issued = false;
  const authorization = (i: number): AcmeAuthorization => ({
    url: authzURL(i),
    status: challenges[i]!.status === 'processing' ? 'pending' : challenges[i]!.status,
    identifier: { type: 'dns', value: 'web.example.test' },
    wildcard: names[i]!.startsWith('*.'),
    challenges: [{ ...challenges[i]! }],
  });
  const order = (): AcmeOrder => {
    const statuses = names.map((_, i) => authorization(i).status);
    const status = statuses.includes('invalid')
      ? 'invalid'
      : issued
        ? 'valid'
        : finalized
          ? 'processing'
          : statuses.every((s) => s === 'valid')
            ? 'ready'
            : 'pending';
    return {
      url: orderURL,
      status,
      identifiers: names.map((value) => ({ type: 'dns', value })),
      authorizations: names.map((_, i) => authzURL(i)),
      finalize: `${orderURL}/finalize`,
      ...(issued ? { certificate: 'https://ca.example.test/cert/1' } : {}),
    };
  };
  const acme: Partial<AcmePort> = {
    getOrder: () => {
      requests.push('order');
      // The CA validates answered challenges and issues finalized orders before the next look.
      for (const c of challenges) {
        if (c.status === 'processing') {
          c.status = outcome;
          if (outcome === 'invalid')
            c.error = { type: 'urn:ietf:params:acme:error:dns', detail: 'no TXT record' };
        }
      }
      if (finalized) issued = true;
      return Promise.resolve(order());
    },
    getAuthorizations: (o) => {
      for (const _ of o.authorizations) requests.push('authz');
      return Promise.resolve(o.authorizations.map((url) => authorization(Number(url.split('/').at(-1)))));
    },
    challengeValue: () => Promise.resolve('txt-value'),
    answerChallenge: (c) => {
      requests.push('challenge');
      const answered = challenges.find((x) => x.url === c.url)!;
      answered.status = 'processing';
      return Promise.resolve({ ...answered });
    },
    finalizeOrder: () => {
      requests.push('finalize');
      finalized = true;
      return Promise.resolve(order());
    },
    downloadCertificate: () => {
      requests.push('certificate');
      return Promise.reject(new Error('downloaded'));
    },
  };
  return { acme: acme as AcmePort, requests, order };
}

/** A dns-01 solver whose records are visible at the second check. */
function propagatingSolver(): ChallengeSolver {
  const checks = new Map<string, number>();
  return {
    present: (task) => {
      const n = (checks.get(task.token) ?? 0) + 1;
      checks.set(task.token, n);
      return Promise.resolve({
        ready: n >= 2,
        detail: `check ${n}`,
        recheckAfterMs: 1000,
        giveUpAfterMs: 600_000,
      });
    },
    cleanUp: () => Promise.resolve(),
  };
}

function memorySecrets(): MutableSecretStore {
  const stored = new Map<string, V1Secret>();
  return {
    get: (ns, name) => Promise.resolve(stored.get(`${ns}/${name}`)),
    create: (s) => {
      stored.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
      return Promise.resolve(s);
    },
    replace: (s) => {
      stored.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
      return Promise.resolve(s);
    },
    delete: (ns, name) => {
      stored.delete(`${ns}/${name}`);
      return Promise.resolve();
    },
  };
}

function context(acme: AcmePort, knownOrders: KnownOrders): OrderContext {
  const certificate = cert(1) as Certificate & { metadata: { name: string; namespace: string; uid: string } };
  certificate.spec.dnsNames = names;
  return {
    certificate,
    issuer: readyIssuer,
    secretNamespace: 'team',
    acme,
    choices: chooseSolvers(readyIssuer.spec.acme.solvers, names).choices,
    solvers: { 'dns-01': propagatingSolver() },
    secrets: memorySecrets(),
    revision: 1,
    existingSecret: undefined,
    now,
    orderStartedAt: now,
    firstPublished: new Map(),
    knownOrders,
  };
}

/** Steps the order until it fails or downloads its certificate; returns the waits in between. */
async function runOrder(ctx: OrderContext): Promise<{ waits: number[]; error: Error }> {
  const waits: number[] = [];
  for (let step = 0; step < 30; step++) {
    try {
      const outcome = await stepOrder(ctx, orderURL);
      if (outcome.kind === 'wait') waits.push(outcome.afterMs);
    } catch (err) {
      return { waits, error: err as Error };
    }
  }
  throw new Error('the order never finished');
}

const count = (requests: string[]) =>
  requests.reduce<Record<string, number>>((n, r) => ({ ...n, [r]: (n[r] ?? 0) + 1 }), {});

describe('the CA requests of one issuance (name + *.name)', () => {
  it('fetches each authorization once and looks at the order only when it may have changed', async () => {
    const ca = fakeCa();
    const known = new KnownOrders();
    known.rememberOrder(ca.order()); // as issuance-start does with the new order
    const { error } = await runOrder(context(ca.acme, known));
    expect(error.message).toBe('downloaded');
    expect(count(ca.requests)).toEqual({ authz: 2, challenge: 2, order: 2, finalize: 1, certificate: 1 });
  });

  it('takes the challenges down without asking the CA, then forgets the order', async () => {
    const ca = fakeCa();
    const known = new KnownOrders();
    known.rememberOrder(ca.order());
    const ctx = context(ca.acme, known);
    await runOrder(ctx);
    const before = ca.requests.length;
    expect(await cleanUpChallenges(ctx, orderURL)).toEqual([]);
    expect(ca.requests.length).toBe(before);
    expect(known.size).toBe(0);
  });

  it('polls soon after answering, then less often while nothing changes', async () => {
    const ca = fakeCa();
    const known = new KnownOrders();
    const ctx = context(ca.acme, known);
    // The first step publishes (not yet visible): wait for the solver's recheck.
    expect(await stepOrder(ctx, orderURL)).toMatchObject({ kind: 'wait', afterMs: 1000 });
    // The second answers both challenges: look at the order again soon.
    expect(await stepOrder(ctx, orderURL)).toMatchObject({ kind: 'wait', afterMs: 250 });
  });

  it('names the failed challenge when the order turns invalid', async () => {
    const ca = fakeCa('invalid');
    const { error } = await runOrder(context(ca.acme, new KnownOrders()));
    expect(error).toBeInstanceOf(IssuanceFailure);
    expect(error.message).toBe('dns-01 challenge for web.example.test failed: no TXT record');
  });

  it('without memory (a new process) asks for everything and still issues', async () => {
    const ca = fakeCa();
    const ctx = context(ca.acme, new KnownOrders());
    delete ctx.knownOrders;
    const { error } = await runOrder(ctx);
    expect(error.message).toBe('downloaded');
  });
});
