import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { Backoff } from './backoff.ts';
import { realClock } from './clock.ts';
import type { Cancel, Clock } from './clock.ts';
import { silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import type { InformerMetrics, InformerRestartReason } from './metrics.ts';
import { ObjectCache } from './object-cache.ts';
import type { CacheChange } from './object-cache.ts';

/** Lists every object the informer should hold (with the same selectors as the watch). */
export type ListFn<T extends KubernetesObject> = () => Promise<KubernetesListObject<T>>;

/** What an underlying list+watch reports (client-node ListWatch's verbs). */
export interface ListWatchEvents<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  connect(): void;
  error(error: unknown): void;
}

/** One underlying list+watch (a client-node ListWatch): started once, stopped once retired. */
export interface ListWatchRun {
  /** Lists (through the given ListFn), then opens the watch; resolves once the watch request is made. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds a fresh list+watch that lists through `list` and reports to `events`. */
export type ListWatchFactory<T extends KubernetesObject> = (
  list: ListFn<T>,
  events: ListWatchEvents<T>,
) => ListWatchRun;

/** Reactions to cache changes; each is optional. */
export interface InformerHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
}

/** How to build a ResilientInformer. */
export interface ResilientInformerOptions<T extends KubernetesObject> {
  /** Names the informer in logs and metrics, e.g. `certificates`. */
  name: string;
  list: ListFn<T>;
  listWatchFactory: ListWatchFactory<T>;
  clock?: Clock;
  logger?: Logger;
  metrics?: InformerMetrics;
  /** Full relist period (default 10 min; 0 disables). */
  relistIntervalMs?: number;
  /** Restart when nothing (event, connect, list) was seen for this long (default 5 min; 0 disables). */
  watchdogTimeoutMs?: number;
  /** First wait before restarting after an error (default 1 s); doubles per failure. */
  minBackoffMs?: number;
  /** Longest wait before restarting after an error (default 30 s). */
  maxBackoffMs?: number;
  /**
   * Trims each object in place before it is cached (e.g. `stripManagedFields`): the ListWatch keeps
   * the same references, so one trim frees the memory in both caches.
   */
  prune?: (obj: T) => void;
}

/** A prune that drops metadata.managedFields, which readers of most caches never look at. */
export function stripManagedFields(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
}

/**
 * A prune that keeps of metadata.managedFields only who owns which finalizer (what asking "does this
 * manager hold that finalizer?" needs); the rest, mostly status ownership, is dropped.
 */
export function keepFinalizerOwnership(obj: KubernetesObject): void {
  const managed = obj.metadata?.managedFields;
  if (!managed) return;
  obj.metadata!.managedFields = managed.flatMap((entry) => {
    const finalizers = (entry.fieldsV1 as { 'f:metadata'?: { 'f:finalizers'?: unknown } } | undefined)?.[
      'f:metadata'
    ]?.['f:finalizers'];
    if (finalizers === undefined) return [];
    return [
      {
        ...(entry.manager !== undefined ? { manager: entry.manager } : {}),
        ...(entry.operation !== undefined ? { operation: entry.operation } : {}),
        fieldsV1: { 'f:metadata': { 'f:finalizers': finalizers } },
      },
    ];
  });
}

interface ActiveRun {
  readonly generation: number;
  readonly reason: InformerRestartReason | 'start';
  run?: ListWatchRun;
}

const RETIRED = 'informer run was retired';

/**
 * A cache of one resource type kept current by client-node's ListWatch, made to survive its
 * failure modes (toolchain notes §2.2): the ListWatch stops on most errors, so any error leads to a
 * restart with backoff (1 s doubling to 30 s, reset once a restart lists and opens its watch); a
 * periodic relist repairs anything a watch missed; a watchdog restarts a watch that went quiet.
 *
 * Every (re)start builds a fresh ListWatch. Restarting the same one would not relist: in
 * client-node 2.0.1 `ListWatch.start()` lists only when its resourceVersion is empty, and `stop()`
 * keeps it, so it would just re-watch from the old resourceVersion. A fresh ListWatch has no
 * resourceVersion and an empty cache, so it lists and then watches from the list's version.
 *
 * The cache lives here, not in the ListWatch, so readers never see it empty during a restart. Each
 * successful list (ours, or the ListWatch's own after a 410) is diffed against it, which fires
 * onAdd / onUpdate (resourceVersion changed) / onDelete for exactly the differences; the ListWatch's
 * own add events for those same listed objects are then skipped.
 */
export class ResilientInformer<T extends KubernetesObject> {
  readonly name: string;
  private readonly listObjects: ListFn<T>;
  private readonly listWatchFactory: ListWatchFactory<T>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: InformerMetrics;
  private readonly relistIntervalMs: number;
  private readonly watchdogTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly prune: (obj: T) => void;
  private readonly cache = new ObjectCache<T>();
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly syncWaiters = new Set<(synced: boolean) => void>();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private synced = false;
  private generation = 0;
  private active: ActiveRun | undefined;
  private lastActivityMs = 0;
  /** Objects of the latest list, so the ListWatch's own add events for them can be recognised. */
  private latestListed = new WeakSet<T>();
  private cancelRestart: Cancel | undefined;
  private cancelWatchdog: Cancel | undefined;
  private cancelRelist: Cancel | undefined;

  constructor(options: ResilientInformerOptions<T>) {
    this.name = options.name;
    this.listObjects = options.list;
    this.listWatchFactory = options.listWatchFactory;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? {};
    this.relistIntervalMs = options.relistIntervalMs ?? 10 * 60_000;
    this.watchdogTimeoutMs = options.watchdogTimeoutMs ?? 5 * 60_000;
    this.backoff = new Backoff(options.minBackoffMs ?? 1000, options.maxBackoffMs ?? 30_000);
    this.prune = options.prune ?? ((): void => {});
  }

  /** Starts listing and watching; errors are handled internally. An informer runs once. */
  start(): void {
    if (this.state !== 'new') throw new Error(`informer ${this.name} cannot start: it is ${this.state}`);
    this.state = 'running';
    this.launch('start');
  }

  /** Stops the watch and all timers; the cache stays readable. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    for (const resolve of this.syncWaiters) resolve(false);
    this.syncWaiters.clear();
    await this.retire();
  }

  /** The cached object with this name (and namespace, for namespaced kinds). */
  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(name, namespace);
  }

  /** All cached objects, or those in one namespace. */
  list(namespace?: string): T[] {
    return this.cache.list(namespace);
  }

  /** Whether the first full list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if the informer stops or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.state === 'stopped' || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => settle(false);
      const settle = (synced: boolean): void => {
        this.syncWaiters.delete(settle);
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.add(settle);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Registers a handler and, like client-go, replays onAdd for objects already cached so a late
   * handler misses nothing. Returns a function that removes the handler.
   */
  addHandler(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    for (const obj of this.cache.list()) this.notify(handler, { type: 'add', obj });
    return () => {
      this.handlers.delete(handler);
    };
  }

  private launch(reason: ActiveRun['reason']): void {
    const active: ActiveRun = { generation: ++this.generation, reason };
    this.active = active;
    this.touch();
    this.armWatchdog(active.generation);
    let started: Promise<void>;
    try {
      const run = this.listWatchFactory(this.listFor(active.generation), this.eventsFor(active.generation));
      // Recorded before start() so an error reported during start() can still stop this run.
      active.run = run;
      started = run.start();
    } catch (error) {
      this.onRunError(active.generation, error);
      return;
    }
    started.then(
      () => this.onStarted(active),
      (error: unknown) => this.onRunError(active.generation, error),
    );
  }

  private onStarted(started: ActiveRun): void {
    if (!this.isActive(started.generation)) {
      // Retired while starting: ListWatch may have opened its watch after our stop() ran, so stop
      // it again now that the request exists.
      if (started.run) void this.stopRun(started.run);
      return;
    }
    this.backoff.reset();
    this.armRelist(started.generation);
    const fields = { informer: this.name, reason: started.reason, objects: this.cache.size };
    if (started.reason === 'relist') this.logger.debug(fields, 'informer relisted and watching');
    else this.logger.info(fields, 'informer listed and watching');
  }

  private onRunError(generation: number, error: unknown): void {
    // A retired run reports its own stop (an AbortError) and late failures: not our concern.
    if (!this.isActive(generation)) return;
    void this.retire();
    const delayMs = this.backoff.next();
    this.logger.warn({ informer: this.name, err: error, retryInMs: delayMs }, 'informer failed; restarting');
    this.cancelRestart = this.clock.after(delayMs, () => {
      this.cancelRestart = undefined;
      this.metrics.restarted?.('error');
      this.launch('error');
    });
  }

  private restartNow(reason: 'relist' | 'watchdog'): void {
    void this.retire();
    this.metrics.restarted?.(reason);
    this.launch(reason);
  }

  /** Detaches the active run (its later events are ignored), cancels its timers and stops it. */
  private retire(): Promise<void> {
    const run = this.active?.run;
    this.active = undefined;
    this.cancelWatchdog?.();
    this.cancelWatchdog = undefined;
    this.cancelRelist?.();
    this.cancelRelist = undefined;
    return run ? this.stopRun(run) : Promise.resolve();
  }

  private async stopRun(run: ListWatchRun): Promise<void> {
    try {
      await run.stop();
    } catch (error) {
      this.logger.debug({ informer: this.name, err: error }, 'stopping a retired list+watch failed');
    }
  }

  private listFor(generation: number): ListFn<T> {
    return async () => {
      if (!this.isActive(generation)) throw new Error(RETIRED);
      const listed = await this.listObjects();
      // Failing a retired run's list keeps its ListWatch from opening a watch nobody would stop.
      if (!this.isActive(generation)) throw new Error(RETIRED);
      this.touch();
      for (const obj of listed.items) this.prune(obj);
      this.latestListed = new WeakSet(listed.items);
      this.apply(this.cache.replaceAll(listed.items));
      this.metrics.listed?.(this.cache.size);
      this.markSynced();
      return listed;
    };
  }

  private eventsFor(generation: number): ListWatchEvents<T> {
    const ifActive =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A): void => {
        if (!this.isActive(generation)) return;
        this.touch();
        fn(...args);
      };
    // After a list, ListWatch reports the listed objects (the same references) as adds. The diff
    // already applied them, and a watch event may have superseded one since: skip these echoes.
    const upsert = (obj: T): void => {
      if (this.latestListed.has(obj)) return;
      this.prune(obj);
      this.apply([this.cache.upsert(obj)]);
    };
    return {
      add: ifActive(upsert),
      update: ifActive(upsert),
      delete: ifActive((obj: T) => this.apply([this.cache.remove(obj)])),
      connect: ifActive(() => {}),
      error: (error: unknown) => this.onRunError(generation, error),
    };
  }

  private armWatchdog(generation: number): void {
    if (this.watchdogTimeoutMs <= 0) return;
    const idleMs = this.nowMs() - this.lastActivityMs;
    this.cancelWatchdog?.();
    this.cancelWatchdog = this.clock.after(this.watchdogTimeoutMs - idleMs, () => {
      this.cancelWatchdog = undefined;
      if (!this.isActive(generation)) return;
      const quietMs = this.nowMs() - this.lastActivityMs;
      if (quietMs < this.watchdogTimeoutMs) {
        this.armWatchdog(generation);
        return;
      }
      this.logger.warn({ informer: this.name, quietMs }, 'informer saw nothing for too long; restarting');
      this.restartNow('watchdog');
    });
  }

  private armRelist(generation: number): void {
    if (this.relistIntervalMs <= 0) return;
    this.cancelRelist?.();
    this.cancelRelist = this.clock.after(this.relistIntervalMs, () => {
      this.cancelRelist = undefined;
      if (this.isActive(generation)) this.restartNow('relist');
    });
  }

  private apply(changes: readonly (CacheChange<T> | undefined)[]): void {
    for (const change of changes) {
      if (!change) continue;
      for (const handler of this.handlers) this.notify(handler, change);
    }
  }

  private notify(handler: InformerHandler<T>, change: CacheChange<T>): void {
    try {
      if (change.type === 'add') handler.onAdd?.(change.obj);
      else if (change.type === 'update') handler.onUpdate?.(change.obj, change.old);
      else handler.onDelete?.(change.obj);
    } catch (error) {
      // One broken handler must not corrupt the cache or starve the others.
      this.logger.error({ informer: this.name, err: error, change: change.type }, 'informer handler threw');
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const resolve of this.syncWaiters) resolve(true);
    this.syncWaiters.clear();
  }

  private isActive(generation: number): boolean {
    return this.state === 'running' && this.active?.generation === generation;
  }

  private touch(): void {
    this.lastActivityMs = this.nowMs();
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
