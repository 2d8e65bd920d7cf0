import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import {
  DEFAULT_LEADER_ELECTION_TIMINGS,
  LeaderElector,
  leaderElectionTimingsError,
  type LeaseStore,
  type LeaderElectorOptions,
} from './leader-election.ts';
import { settle } from './testing.ts';

// An in-memory Lease with the apiserver's optimistic concurrency: a write must carry the current
// resourceVersion or it fails with 409, and a create of an existing Lease fails with 409 too.
class FakeLeaseStore implements LeaseStore {
  readonly namespace = 'acme6';
  readonly name = 'acme6-controller';
  lease: V1Lease | undefined;
  namespaceExists = true;
  failing = false;
  writes: string[] = [];
  private version = 0;

  get(): Promise<V1Lease | undefined> {
    if (this.failing) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(this.lease && wire(this.lease));
  }

  create(lease: V1Lease): Promise<V1Lease> {
    if (this.failing) return Promise.reject(new Error('connection refused'));
    if (!this.namespaceExists) return Promise.reject(apiError(404, 'namespaces "acme6" not found'));
    if (this.lease) return Promise.reject(apiError(409, 'already exists'));
    return Promise.resolve(this.store(lease));
  }

  update(lease: V1Lease): Promise<V1Lease> {
    if (this.failing) return Promise.reject(new Error('connection refused'));
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      return Promise.reject(apiError(409, 'the object has been modified'));
    }
    return Promise.resolve(this.store(lease));
  }

  /** Another party (kubectl, a rogue replica) overwrites the holder. */
  steal(holder: string): void {
    this.store({ ...this.lease!, spec: { ...this.lease!.spec, holderIdentity: holder } });
  }

  private store(lease: V1Lease): V1Lease {
    const stored = wire(lease);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.version) };
    this.lease = stored;
    this.writes.push(stored.spec?.holderIdentity ?? '');
    return wire(stored);
  }
}

// What the apiserver would see and send back: JSON, MicroTimes as strings.
const wire = (lease: V1Lease): V1Lease => JSON.parse(JSON.stringify(lease)) as V1Lease;
const apiError = (code: number, message: string) =>
  new ApiException(code, message, JSON.stringify({ message }), {});

const start = new Date('2026-11-25T06:00:00.123Z');
// The tests of the algorithm use controller-runtime's timings, where the leader renews every retry.
const CLIENT_GO_TIMINGS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  renewPeriodMs: 2_000,
};

interface Candidate {
  elector: LeaderElector;
  events: string[];
  logs: string[];
}

function candidate(
  store: LeaseStore,
  clock: FakeClock,
  identity: string,
  extra: Partial<LeaderElectorOptions> = {},
): Candidate {
  const events: string[] = [];
  const logs: string[] = [];
  const log = (_fields: object, message?: string): void => {
    logs.push(message ?? '');
  };
  const elector = new LeaderElector({
    store,
    identity,
    clock,
    random: () => 0,
    timings: CLIENT_GO_TIMINGS,
    logger: { debug: () => {}, info: log, warn: log, error: log },
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: (reason) => events.push(`stopped: ${reason}`),
    ...extra,
  });
  return { elector, events, logs };
}

/** Advances the clock in steps, letting the store's promises settle between them. */
async function run(clock: FakeClock, ms: number, stepMs = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    clock.advance(Math.min(stepMs, ms - elapsed));
    await settle();
  }
}

describe('LeaderElector', () => {
  it('creates the Lease with MicroTime timestamps and keeps renewing it', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'pod-a_1');
    a.elector.start();
    clock.advance(0);
    await settle();

    expect(a.events).toEqual(['started']);
    expect(a.elector.isLeader()).toBe(true);
    expect(store.lease?.spec).toEqual({
      holderIdentity: 'pod-a_1',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-25T06:00:00.123000Z',
      renewTime: '2026-11-25T06:00:00.123000Z',
      leaseTransitions: 0,
    });
    await run(clock, 4000);
    expect(store.lease?.spec?.renewTime).toBe('2026-11-25T06:00:04.123000Z');
    expect(store.lease?.spec?.acquireTime).toBe('2026-11-25T06:00:00.123000Z');
    expect(a.events).toEqual(['started']);
  });

  it('keeps a standby waiting until the holder has not renewed for a lease duration', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    // a reaches the Lease through a link we can cut: a process killed with SIGKILL writes nothing.
    let aDead = false;
    const aStore: LeaseStore = {
      namespace: store.namespace,
      name: store.name,
      get: () => (aDead ? Promise.reject(new Error('dead')) : store.get()),
      create: (l) => (aDead ? Promise.reject(new Error('dead')) : store.create(l)),
      update: (l) => (aDead ? Promise.reject(new Error('dead')) : store.update(l)),
    };
    const a = candidate(aStore, clock, 'pod-a_1');
    const b = candidate(store, clock, 'pod-b_2');
    a.elector.start();
    await run(clock, 100);
    b.elector.start();
    await run(clock, 30_000);
    expect(b.events).toEqual([]);

    aDead = true;
    const diedAt = clock.now().getTime();
    const takeover = (async () => {
      while (b.events.length === 0) await run(clock, 100);
      return clock.now().getTime() - diedAt;
    })();
    const ms = await takeover;
    // b saw the last renewal at most one retry period before a died, and retries every 2 s.
    expect(ms).toBeGreaterThan(15_000 - 2_000);
    expect(ms).toBeLessThanOrEqual(15_000 + 2_000);
    expect(b.events).toEqual(['started']);
    expect(store.lease?.spec?.holderIdentity).toBe('pod-b_2');
    expect(store.lease?.spec?.leaseTransitions).toBe(1);
  });

  it('hands over at once when the leader releases the Lease', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'pod-a_1');
    const b = candidate(store, clock, 'pod-b_2');
    a.elector.start();
    await run(clock, 100);
    b.elector.start();
    await run(clock, 5000);
    await a.elector.release();
    expect(store.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(a.events).toEqual(['started']); // a release is not a loss

    await run(clock, 2000);
    expect(b.events).toEqual(['started']);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'pod-b_2', leaseTransitions: 1 });
  });

  it('lets exactly one of two candidates win a race for a new Lease', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'pod-a_1');
    const b = candidate(store, clock, 'pod-b_2');
    a.elector.start();
    b.elector.start();
    await run(clock, 10_000);
    expect([a.elector.isLeader(), b.elector.isLeader()].sort()).toEqual([false, true]);
    expect([...a.events, ...b.events]).toEqual(['started']);
  });

  it('loses at once when another holder overwrites the Lease', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'pod-a_1');
    a.elector.start();
    await run(clock, 100);
    store.steal('intruder_9');
    await run(clock, 2100);
    expect(a.events).toEqual(['started', 'stopped: another candidate holds the lease']);
    expect(a.elector.isLeader()).toBe(false);
    // A loser writes nothing more: the intruder keeps the Lease.
    const writes = store.writes.length;
    await run(clock, 10_000);
    expect(store.writes.length).toBe(writes);
  });

  it('gives up leadership when it cannot renew within the renew deadline', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    const leading: boolean[] = [];
    const a = candidate(store, clock, 'pod-a_1', { onLeadingChanged: (l) => leading.push(l) });
    a.elector.start();
    await run(clock, 100);
    store.failing = true;
    await run(clock, 9800);
    expect(a.events).toEqual(['started']);
    await run(clock, 400);
    expect(a.events).toEqual(['started', 'stopped: no renewal for 10s']);
    expect(leading).toEqual([true, false]);
  });

  it('says clearly that the Lease namespace is missing, once, and acquires when it appears', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    store.namespaceExists = false;
    const a = candidate(store, clock, 'pod-a_1');
    a.elector.start();
    await run(clock, 20_000);
    const complaints = a.logs.filter((l) => l.includes('namespace'));
    expect(complaints).toEqual([
      'the Lease namespace "acme6" does not exist: create it, or choose another with --leader-election-namespace',
    ]);
    store.namespaceExists = true;
    await run(clock, 2100);
    expect(a.events).toEqual(['started']);
  });

  it('renews a held Lease about every 10 s by default, and retries a failed renewal within the retry period', async () => {
    const clock = new FakeClock(start);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'pod-a_1', { timings: DEFAULT_LEADER_ELECTION_TIMINGS });
    a.elector.start();
    await run(clock, 100);
    expect(a.events).toEqual(['started']);
    const before = store.writes.length;
    await run(clock, 60_000, 500);
    // 60 s of healthy leadership: one write per 10 s, not one per 2 s.
    expect(store.writes.length - before).toBe(6);

    store.failing = true;
    await run(clock, 10_000, 500);
    store.failing = false;
    const afterFailure = store.writes.length;
    await run(clock, 3_000, 500);
    // The failed renewal was retried 2 s later, long before the renew deadline.
    expect(store.writes.length - afterFailure).toBe(1);
    expect(a.events).toEqual(['started']);
  });

  it('rejects timings that cannot work', () => {
    expect(
      leaderElectionTimingsError({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).toBeUndefined();
    expect(
      leaderElectionTimingsError({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).toMatch(/longer than the renew deadline/);
    expect(
      leaderElectionTimingsError({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
    ).toMatch(/1\.2 x the retry period/);
    expect(() =>
      candidate(new FakeLeaseStore(), new FakeClock(), 'x', {
        timings: { leaseDurationMs: 500, renewDeadlineMs: 400, retryPeriodMs: 100 },
      }),
    ).toThrow(/at least 1s/);
  });
});
