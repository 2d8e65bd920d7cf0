import { describe, expect, it } from 'vitest';
import { http01Solver } from '../../api/solver.ts';
import type { ChallengeTask } from '../../controllers/certificate/challenge-solver.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { isTerminalError } from '../../runtime/errors.ts';
import { Http01ChallengeSolver } from './challenge-solver.ts';
import type { SolverObjectStore } from './kube-objects.ts';
import type { SelfChecker } from './network-self-check.ts';
import type { SolverObjects } from './resources.ts';
import type { SelfCheckReport } from './self-check.ts';
import type { HTTPRoute } from '../../controllers/gateway/types.ts';

class FakeStore implements SolverObjectStore {
  readonly objects = new Map<string, SolverObjects>();
  ensured = 0;
  ensure(objects: SolverObjects): Promise<void> {
    this.ensured++;
    if (!this.objects.has(objects.name)) this.objects.set(objects.name, objects);
    return Promise.resolve();
  }
  remove(_namespace: string, name: string): Promise<void> {
    this.objects.delete(name);
    return Promise.resolve();
  }
  /** The route as the apiserver would return it, with the status a Gateway controller wrote. */
  routeStatus: HTTPRoute['status'] = {};
  getRoute(_namespace: string, name: string): Promise<HTTPRoute | undefined> {
    const route = this.objects.get(name)?.route;
    return Promise.resolve(route && { ...route, status: this.routeStatus });
  }
}

const ok = (domain: string): SelfCheckReport => ({
  domain,
  results: [{ target: { family: 'A', address: '192.0.2.10' }, port: 80, outcome: { kind: 'ok' } }],
  lookupProblems: [],
});
const refusedV6 = (domain: string): SelfCheckReport => ({
  domain,
  results: [
    {
      target: { family: 'AAAA', address: '2001:db8::1' },
      port: 80,
      outcome: { kind: 'error', message: 'connection refused' },
    },
    { target: { family: 'A', address: '192.0.2.10' }, port: 80, outcome: { kind: 'ok' } },
  ],
  lookupProblems: [],
});

/** Lets pending promise callbacks run (the solver awaits its store before it sets a timer). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(answer: (domain: string) => SelfCheckReport | Promise<SelfCheckReport>) {
  const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
  const store = new FakeStore();
  const calls: string[] = [];
  const checker: SelfChecker = {
    check: (domain) => {
      calls.push(domain);
      return Promise.resolve(answer(domain));
    },
  };
  const solver = new Http01ChallengeSolver(store, checker, clock, { image: 'acme6:dev' });
  return { clock, store, calls, solver };
}

const task = (selfCheck: object = {}, extra: Partial<ChallengeTask> = {}): ChallengeTask => ({
  solver: { http01: http01Solver.parse({ ingress: { ingressClassName: 'traefik' }, selfCheck }) },
  secretNamespace: 'acme6',
  certificate: { name: 'app', namespace: 'web', uid: 'uid-1' },
  domain: 'app.example.test',
  wildcard: false,
  token: 'tok1',
  value: 'tok1.thumb',
  ...extra,
});

describe('Http01ChallengeSolver', () => {
  it('creates the solver objects and is ready after the configured consecutive passes', async () => {
    const { clock, store, solver } = setup(ok);
    const first = await solver.present(task({ passes: 2, interval: '5s' }));
    expect(store.objects.size).toBe(1);
    expect(first).toEqual({
      ready: false,
      detail: 'A 192.0.2.10:80 ok (pass 1 of 2)',
      failing: false,
      recheckAfterMs: 5000,
      giveUpAfterMs: 600_000,
    });
    // Too early: the last result stands, no new check.
    expect((await solver.present(task({ passes: 2, interval: '5s' }))).ready).toBe(false);
    clock.advance(5000);
    const second = await solver.present(task({ passes: 2, interval: '5s' }));
    expect(second).toMatchObject({ ready: true, detail: 'A 192.0.2.10:80 ok' });
    // Created once; not asked for again while the check passes.
    expect(store.ensured).toBe(1);
    await solver.cleanUp(task());
    expect(store.objects.size).toBe(0);
  });

  it('reports a failing address and starts counting again after a failure', async () => {
    let healthy = false;
    const { clock, solver } = setup((d) => (healthy ? ok(d) : refusedV6(d)));
    const failing = await solver.present(task({ passes: 1 }));
    expect(failing).toMatchObject({
      ready: false,
      failing: true,
      detail: 'AAAA [2001:db8::1]:80 connection refused; A 192.0.2.10:80 ok',
    });
    healthy = true;
    clock.advance(5000);
    expect(await solver.present(task({ passes: 1 }))).toMatchObject({ ready: true, failing: false });
  });

  it('answers from the last result while a slow check runs, without waiting for it', async () => {
    let release: (report: SelfCheckReport) => void = () => {};
    const slow = new Promise<SelfCheckReport>((resolve) => (release = resolve));
    const { clock, solver, calls } = setup(() => slow);
    const pending = solver.present(task());
    await settle();
    clock.advance(1500); // the quick-answer wait runs out
    expect(await pending).toEqual({
      ready: false,
      detail: 'self-check running',
      recheckAfterMs: 2000,
      giveUpAfterMs: 600_000,
    });
    // A second present does not start a second check of the same challenge.
    const again = solver.present(task());
    await settle();
    clock.advance(1500);
    await again;
    expect(calls).toHaveLength(1);
    release(ok('app.example.test'));
    await slow;
    expect((await solver.present(task({ passes: 1 }))).ready).toBe(true);
  });

  it('with mode Skip, waits skipWait after creating the solver and does not check', async () => {
    const { clock, solver, calls } = setup(ok);
    const skip = task({ mode: 'Skip', skipWait: '20s' });
    expect(await solver.present(skip)).toMatchObject({ ready: false, recheckAfterMs: 20_000 });
    clock.advance(20_000);
    expect(await solver.present(skip)).toMatchObject({ ready: true });
    expect(calls).toHaveLength(0);
  });

  it('refuses wildcard names as a terminal error', async () => {
    const { solver, store } = setup(ok);
    const err = await solver.present(task({}, { wildcard: true })).catch((e: unknown) => e);
    expect(isTerminalError(err)).toBe(true);
    expect((err as Error).message).toBe(
      'http-01 cannot validate the wildcard name *.app.example.test; use a dns01 solver',
    );
    expect(store.objects.size).toBe(0);
  });

  it('through a gatewayHTTPRoute, names the route and the reason its Gateway gave when the check fails', async () => {
    const { store, solver } = setup(refusedV6);
    const routed: ChallengeTask = {
      ...task(),
      solver: {
        http01: http01Solver.parse({
          gatewayHTTPRoute: { parentRefs: [{ name: 'public', namespace: 'gw', sectionName: 'web' }] },
          selfCheck: { passes: 1 },
        }),
      },
    };
    store.routeStatus = {
      parents: [
        {
          parentRef: {
            group: 'gateway.networking.k8s.io',
            kind: 'Gateway',
            name: 'public',
            namespace: 'gw',
            sectionName: 'web',
          },
          controllerName: 'traefik.io/gateway-controller',
          conditions: [
            {
              type: 'Accepted',
              status: 'False',
              reason: 'NoMatchingParent',
              message: 'No matching parent',
              lastTransitionTime: new Date(),
            },
          ],
        },
      ],
    };
    const result = await solver.present(routed);
    const [objects] = [...store.objects.values()];
    expect(objects?.route?.spec?.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'public',
        namespace: 'gw',
        sectionName: 'web',
      },
    ]);
    expect(objects?.ingress).toBeUndefined();
    expect(result).toMatchObject({
      ready: false,
      failing: true,
      detail:
        `HTTPRoute web/${objects!.name} is not accepted by Gateway gw/public listener web: NoMatchingParent: No matching parent ` +
        '(no listener of the Gateway has that sectionName or port); AAAA [2001:db8::1]:80 connection refused; A 192.0.2.10:80 ok',
    });
  });
});
