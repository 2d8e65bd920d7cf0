import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { holdsFinalizer } from '../controllers/certificate/challenge-cleanup-plan.ts';
import { keepFinalizerOwnership, ResilientInformer, stripManagedFields } from './informer.ts';
import type { ListFn, ListWatchEvents, ListWatchRun, ResilientInformerOptions } from './informer.ts';
import type { InformerRestartReason } from './metrics.ts';
import { settle } from './testing.ts';

type Obj = KubernetesObject;

function obj(name: string, resourceVersion: string, namespace = 'default'): Obj {
  return { metadata: { name, namespace, resourceVersion } };
}

/** The objects "in the apiserver"; list() serves them, optionally failing or hanging. */
class FakeApiServer {
  readonly objects = new Map<string, Obj>();
  listError: Error | undefined;
  hangLists = false;
  listCalls = 0;

  put(...objects: Obj[]): void {
    for (const o of objects) this.objects.set(`${o.metadata?.namespace}/${o.metadata?.name}`, o);
  }

  remove(name: string, namespace = 'default'): void {
    this.objects.delete(`${namespace}/${name}`);
  }

  readonly list: ListFn<Obj> = () => {
    this.listCalls++;
    if (this.hangLists) return new Promise(() => {});
    if (this.listError) return Promise.reject(this.listError);
    const listed: KubernetesListObject<Obj> = {
      items: [...this.objects.values()],
      metadata: { resourceVersion: '1' },
    };
    return Promise.resolve(listed);
  };
}

/** Behaves like client-node's ListWatch as far as the informer can tell. */
class FakeListWatch implements ListWatchRun {
  readonly list: ListFn<Obj>;
  readonly events: ListWatchEvents<Obj>;
  readonly createdAtMs: number;
  stopCalls = 0;
  watching = false;
  openedWatch = false;
  refuseWatch: Error | undefined;

  constructor(list: ListFn<Obj>, events: ListWatchEvents<Obj>, createdAtMs: number, refuseWatch?: Error) {
    this.list = list;
    this.events = events;
    this.createdAtMs = createdAtMs;
    this.refuseWatch = refuseWatch;
  }

  async start(): Promise<void> {
    this.events.connect();
    let listed: KubernetesListObject<Obj>;
    try {
      listed = await this.list();
    } catch (error) {
      this.events.error(error);
      return;
    }
    // A fresh ListWatch's cache is empty, so it reports every listed object as added.
    for (const item of listed.items) this.events.add(item);
    if (this.refuseWatch) {
      this.events.error(this.refuseWatch);
      return;
    }
    this.watching = true;
    this.openedWatch = true;
  }

  stop(): Promise<void> {
    this.stopCalls++;
    this.watching = false;
    return Promise.resolve();
  }
}

function harness(options: Partial<ResilientInformerOptions<Obj>> = {}) {
  const clock = new FakeClock();
  const server = new FakeApiServer();
  const runs: FakeListWatch[] = [];
  const restarts: InformerRestartReason[] = [];
  const seen: string[] = [];
  let refuseWatch: Error | undefined;
  const informer = new ResilientInformer<Obj>({
    name: 'things',
    clock,
    list: server.list,
    listWatchFactory: (list, events) => {
      const run = new FakeListWatch(list, events, clock.now().getTime(), refuseWatch);
      runs.push(run);
      return run;
    },
    metrics: { restarted: (reason) => restarts.push(reason) },
    ...options,
  });
  informer.addHandler({
    onAdd: (o) => seen.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (o, old) =>
      seen.push(
        `update ${o.metadata?.name}@${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`,
      ),
    onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
  const latest = (): FakeListWatch => {
    const run = runs.at(-1);
    if (!run) throw new Error('no list+watch was created');
    return run;
  };
  const setRefuseWatch = (error: Error | undefined): void => {
    refuseWatch = error;
  };
  return { clock, server, runs, restarts, seen, informer, latest, setRefuseWatch };
}

/** Advances the fake clock in steps, letting the informer's promises run in between. */
async function advance(clock: FakeClock, ms: number, stepMs = 100): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await settle(3);
  }
}

const names = (objects: readonly Obj[]): string[] => objects.map((o) => o.metadata?.name ?? '').sort();

describe('ResilientInformer', () => {
  it('lists on start, fills the cache, reports adds and syncs', async () => {
    const { server, seen, informer } = harness();
    server.put(obj('a', '1'), obj('b', '1', 'other'), {
      metadata: { name: 'cluster-wide', resourceVersion: '1' },
    });
    informer.start();
    await expect(informer.waitForSync()).resolves.toBe(true);

    expect(informer.hasSynced()).toBe(true);
    expect(seen.sort()).toEqual(['add a@1', 'add b@1', 'add cluster-wide@1']);
    expect(informer.get('a', 'default')?.metadata?.resourceVersion).toBe('1');
    expect(informer.get('cluster-wide')?.metadata?.name).toBe('cluster-wide');
    expect(names(informer.list('other'))).toEqual(['b']);
    expect(names(informer.list())).toEqual(['a', 'b', 'cluster-wide']);
    await informer.stop();
  });

  it('applies watch events, ignoring updates that keep the resourceVersion', async () => {
    const { seen, informer, latest } = harness();
    informer.start();
    await settle();
    const run = latest();
    run.events.add(obj('a', '1'));
    run.events.update(obj('a', '1'));
    run.events.update(obj('a', '2'));
    run.events.delete(obj('a', '3'));
    run.events.delete(obj('never-seen', '1'));
    expect(seen).toEqual(['add a@1', 'update a@1->2', 'delete a']);
    expect(informer.list()).toEqual([]);
    await informer.stop();
  });

  it('does not let the late echo of a list overwrite a newer watch event', async () => {
    const clock = new FakeClock();
    const listed = obj('a', '1');
    let events: ListWatchEvents<Obj> | undefined;
    let echoListed: () => void = () => {};
    const informer = new ResilientInformer<Obj>({
      name: 'echo',
      clock,
      list: () => Promise.resolve({ items: [listed] }),
      listWatchFactory: (list, reported) => {
        events = reported;
        return {
          start: async () => {
            const result = await list();
            echoListed = () => result.items.forEach((item) => reported.add(item));
          },
          stop: () => Promise.resolve(),
        };
      },
    });
    informer.start();
    await informer.waitForSync();
    events?.update(obj('a', '2'));
    echoListed();
    expect(informer.get('a', 'default')?.metadata?.resourceVersion).toBe('2');
    await informer.stop();
  });

  it('restarts after any error with backoff doubling from 1 s to 30 s, reset by a successful connect', async () => {
    const { clock, server, runs, restarts, informer, latest } = harness({
      relistIntervalMs: 0,
      watchdogTimeoutMs: 0,
    });
    informer.start();
    await settle();
    server.listError = new Error('connection refused');
    latest().events.error(new Error('ECONNRESET'));
    await advance(clock, 95_000);
    const gaps = runs.slice(1).map((run, i) => run.createdAtMs - (runs[i]?.createdAtMs ?? 0));
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(runs.slice(0, -1).every((run) => run.stopCalls > 0)).toBe(true);
    expect(restarts.every((reason) => reason === 'error')).toBe(true);

    // The apiserver comes back: the next restart connects, which resets the backoff.
    server.listError = undefined;
    await advance(clock, 30_000);
    expect(latest().watching).toBe(true);
    const failedAtMs = clock.now().getTime();
    latest().events.error(new Error('ECONNRESET'));
    await advance(clock, 1000);
    expect(latest().createdAtMs - failedAtMs).toBe(1000);
    await informer.stop();
  });

  it('does not count a refused watch as a successful connect', async () => {
    const { clock, runs, informer, setRefuseWatch } = harness({ relistIntervalMs: 0, watchdogTimeoutMs: 0 });
    setRefuseWatch(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    informer.start();
    await settle();
    await advance(clock, 7000);
    expect(runs.map((run) => run.createdAtMs)).toEqual([0, 1000, 3000, 7000]);
    await informer.stop();
  });

  it('keeps serving the cache while down and reports what changed meanwhile once it relists', async () => {
    const { clock, server, seen, informer, latest } = harness();
    server.put(obj('a', '1'), obj('b', '1'), obj('c', '1'));
    informer.start();
    await settle();
    seen.length = 0;

    server.listError = new Error('connection refused');
    latest().events.error(new Error('ECONNRESET'));
    server.remove('b');
    server.put(obj('c', '2'), obj('d', '1'));
    await advance(clock, 1000);
    // The failed list neither emptied the cache nor reported deletions.
    expect(names(informer.list())).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual([]);

    server.listError = undefined;
    await advance(clock, 2000);
    expect(seen.sort()).toEqual(['add d@1', 'delete b', 'update c@1->2']);
    expect(names(informer.list())).toEqual(['a', 'c', 'd']);
    await informer.stop();
  });

  it('relists periodically with a fresh list+watch, reporting only differences', async () => {
    const { clock, server, runs, restarts, seen, informer } = harness({
      relistIntervalMs: 600_000,
      watchdogTimeoutMs: 0,
    });
    server.put(obj('a', '1'), obj('b', '1'));
    informer.start();
    await settle();
    seen.length = 0;

    // A change the watch missed.
    server.put(obj('b', '2'));
    server.remove('a');
    clock.advance(599_999);
    await settle();
    expect(runs).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[0]?.stopCalls).toBe(1);
    expect(seen.sort()).toEqual(['delete a', 'update b@1->2']);

    seen.length = 0;
    clock.advance(600_000);
    await settle();
    expect(runs).toHaveLength(3);
    expect(seen).toEqual([]);
    expect(restarts).toEqual(['relist', 'relist']);
    expect(server.listCalls).toBe(3);
    await informer.stop();
  });

  it('restarts a watch that has been quiet longer than the watchdog timeout', async () => {
    const { clock, runs, restarts, informer, latest } = harness({
      relistIntervalMs: 0,
      watchdogTimeoutMs: 60_000,
    });
    informer.start();
    await settle();
    clock.advance(30_000);
    latest().events.add(obj('a', '1'));
    clock.advance(59_999);
    await settle();
    expect(runs).toHaveLength(1);

    clock.advance(1);
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]?.createdAtMs).toBe(90_000);
    expect(runs[0]?.stopCalls).toBe(1);
    expect(restarts).toEqual(['watchdog']);
    expect(latest().watching).toBe(true);
    await informer.stop();
  });

  it('counts a reconnect as activity for the watchdog', async () => {
    const { clock, runs, informer, latest } = harness({ relistIntervalMs: 0, watchdogTimeoutMs: 60_000 });
    informer.start();
    await settle();
    for (let i = 0; i < 5; i++) {
      clock.advance(30_000);
      latest().events.connect();
    }
    expect(runs).toHaveLength(1);
    await informer.stop();
  });

  it('restarts a hanging list through the watchdog and stops the abandoned run again once it returns', async () => {
    const { clock, server, runs, informer } = harness({ relistIntervalMs: 0, watchdogTimeoutMs: 60_000 });
    server.hangLists = true;
    informer.start();
    await settle();
    clock.advance(60_000);
    await settle();
    expect(runs).toHaveLength(2);
    expect(informer.hasSynced()).toBe(false);

    server.hangLists = false;
    clock.advance(60_000);
    await settle();
    expect(runs).toHaveLength(3);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it('fails the list of a retired run so it never opens a watch, and stops that run again', async () => {
    const clock = new FakeClock();
    const server = new FakeApiServer();
    server.put(obj('a', '1'));
    let releaseFirstList: () => void = () => {};
    const firstListGate = new Promise<void>((resolve) => (releaseFirstList = resolve));
    let lists = 0;
    const runs: FakeListWatch[] = [];
    const informer = new ResilientInformer<Obj>({
      name: 'slow',
      clock,
      watchdogTimeoutMs: 60_000,
      relistIntervalMs: 0,
      list: async () => {
        if (++lists > 1) return server.list();
        const staleSnapshot = await server.list();
        await firstListGate;
        return staleSnapshot;
      },
      listWatchFactory: (list, events) => {
        const run = new FakeListWatch(list, events, clock.now().getTime());
        runs.push(run);
        return run;
      },
    });
    informer.start();
    await settle();
    clock.advance(60_000);
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]?.watching).toBe(true);
    server.put(obj('a', '2'));
    runs[1]?.events.update(obj('a', '2'));

    // The first run's list finally returns its stale snapshot, after the watchdog retired that run.
    releaseFirstList();
    await settle();
    expect(informer.get('a', 'default')?.metadata?.resourceVersion).toBe('2');
    expect(runs[0]?.openedWatch).toBe(false);
    expect(runs[0]?.stopCalls).toBe(2);
    expect(runs).toHaveLength(2);
    await informer.stop();
  });

  it('ignores events and errors from a run it has retired', async () => {
    const { clock, runs, seen, informer } = harness({ relistIntervalMs: 600_000, watchdogTimeoutMs: 0 });
    informer.start();
    await settle();
    clock.advance(600_000);
    await settle();
    const retired = runs[0];
    retired?.events.add(obj('ghost', '1'));
    retired?.events.error(new DOMException('This operation was aborted', 'AbortError'));
    clock.advance(60_000);
    await settle();
    expect(informer.get('ghost', 'default')).toBeUndefined();
    expect(seen).toEqual([]);
    expect(runs).toHaveLength(2);
    await informer.stop();
  });

  it('stops its run and timers, and reports an unsynced wait as false', async () => {
    const { clock, server, runs, informer, latest } = harness();
    server.listError = new Error('connection refused');
    informer.start();
    const synced = informer.waitForSync();
    await settle();
    await informer.stop();
    await expect(synced).resolves.toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    expect(latest().stopCalls).toBeGreaterThan(0);
    clock.advance(3_600_000);
    await settle();
    expect(runs).toHaveLength(1);
    await expect(informer.waitForSync()).resolves.toBe(false);
  });

  it('resolves waitForSync with false when its signal aborts', async () => {
    const { server, informer } = harness();
    server.hangLists = true;
    informer.start();
    const abort = new AbortController();
    const synced = informer.waitForSync(abort.signal);
    abort.abort();
    await expect(synced).resolves.toBe(false);
    await informer.stop();
  });

  it('replays cached objects to a handler added late, and can remove it', async () => {
    const { server, informer, latest } = harness();
    server.put(obj('a', '1'), obj('b', '1'));
    informer.start();
    await settle();
    const late: string[] = [];
    const remove = informer.addHandler({ onAdd: (o) => late.push(o.metadata?.name ?? '') });
    expect(late.sort()).toEqual(['a', 'b']);
    remove();
    latest().events.add(obj('c', '1'));
    expect(late).toHaveLength(2);
    await informer.stop();
  });

  it('keeps the cache and other handlers working when a handler throws', async () => {
    const { server, seen, informer } = harness();
    informer.addHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    server.put(obj('a', '1'));
    informer.start();
    await settle();
    expect(informer.get('a', 'default')).toBeDefined();
    expect(seen).toEqual(['add a@1']);
    await informer.stop();
  });

  it('retries with backoff when the factory itself throws', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const informer = new ResilientInformer<Obj>({
      name: 'broken',
      clock,
      list: () => Promise.resolve({ items: [] }),
      listWatchFactory: (list, events) => {
        attempts++;
        if (attempts < 3) throw new Error('No currently active cluster');
        return new FakeListWatch(list, events, clock.now().getTime());
      },
    });
    informer.start();
    await advance(clock, 3000);
    expect(attempts).toBe(3);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it('prunes every object before caching it, listed or watched, so only the trimmed copy is kept', async () => {
    const { server, informer, latest } = harness({ prune: stripManagedFields });
    const withFields = (name: string, rv: string): Obj => ({
      metadata: { ...obj(name, rv).metadata, managedFields: [{ manager: 'kubectl', fieldsV1: { big: 1 } }] },
    });
    server.put(withFields('listed', '1'));
    informer.start();
    await expect(informer.waitForSync()).resolves.toBe(true);
    latest().events.add(withFields('added', '2'));
    latest().events.update(withFields('listed', '3'));

    expect(informer.get('listed', 'default')?.metadata).toEqual(obj('listed', '3').metadata);
    expect(informer.get('added', 'default')?.metadata).toEqual(obj('added', '2').metadata);
    await informer.stop();
  });
});

describe('keepFinalizerOwnership', () => {
  const finalizer = 'acme6.io/challenges';
  const certificate = (): Obj => ({
    metadata: {
      name: 'c',
      finalizers: [finalizer],
      managedFields: [
        {
          manager: 'acme6-issuance',
          operation: 'Apply',
          fieldsV1: { 'f:metadata': { 'f:finalizers': { [`v:"${finalizer}"`]: {} } } },
        },
        {
          manager: 'acme6-issuance',
          operation: 'Apply',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"Ready"}': {} } } },
        },
        { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:dnsNames': {} } } },
      ],
    },
  });

  it('keeps who owns which finalizer and drops the rest', () => {
    const pruned = certificate();
    keepFinalizerOwnership(pruned);
    expect(pruned.metadata?.managedFields).toEqual([
      {
        manager: 'acme6-issuance',
        operation: 'Apply',
        fieldsV1: { 'f:metadata': { 'f:finalizers': { [`v:"${finalizer}"`]: {} } } },
      },
    ]);
    const holds = (o: Obj, manager: string): boolean =>
      holdsFinalizer(o.metadata as Record<string, unknown>, manager, finalizer);
    for (const manager of ['acme6-issuance', 'kubectl', 'other']) {
      expect(holds(pruned, manager)).toBe(holds(certificate(), manager));
    }
    expect(holds(pruned, 'acme6-issuance')).toBe(true);
  });

  it('leaves an object without managedFields as it is', () => {
    const bare = obj('a', '1');
    keepFinalizerOwnership(bare);
    expect(bare).toEqual(obj('a', '1'));
  });
});
