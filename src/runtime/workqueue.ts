import { realClock } from './clock.ts';
import type { Cancel, Clock } from './clock.ts';
import type { WorkQueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter } from './rate-limiter.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Collaborators of a WorkQueue; all optional. */
export interface WorkQueueOptions {
  /** Time source for delays, the token bucket and metrics (default: the real clock). */
  clock?: Clock;
  /** Decides retry delays for `addRateLimited` (default: `defaultControllerRateLimiter`). */
  rateLimiter?: RateLimiter;
  /** Receives depth, adds, retries, queue latency and work duration. */
  metrics?: WorkQueueMetrics;
  /**
   * Asked when a key is queued: an urgent key is handed out before every key that is not, e.g. a
   * Certificate someone is waiting for ahead of a thousand renewals that are due at once.
   */
  isUrgent?: (key: string) => boolean;
}

interface DelayedAdd {
  readonly readyAtMs: number;
  cancel: Cancel;
}

/**
 * A keyed work queue with client-go's semantics: a key is queued at most once however often it is
 * added, and a key handed to a worker is never handed to another until `done`; adding it meanwhile
 * marks it dirty so it is queued again on `done`. Delayed and rate-limited adds sit in a waiting
 * set (earliest delay wins) until their timer moves them to the queue.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics;

  // Invariants: every key in `ready` or `urgent` is in `dirty` and not in `processing`; a key in `dirty`
  // and `processing` is re-queued by `done`.
  /** Keys waiting for a worker, in arrival order, with the time they were queued. */
  private readonly ready = new Map<string, number>();
  /** The same for urgent keys, handed out first; a key is in at most one of the two. */
  private readonly urgent = new Map<string, number>();
  private readonly isUrgent: (key: string) => boolean;
  /** Keys that need (another) run: queued, or added again while being processed. */
  private readonly dirty = new Set<string>();
  /** Keys handed to a worker and not yet done, with the time they were handed out. */
  private readonly processing = new Map<string, number>();
  /** Keys scheduled by `addAfter`, not yet due. */
  private readonly delayed = new Map<string, DelayedAdd>();
  /** Workers blocked in `get`, oldest first. */
  private readonly idleWorkers: ((key: string | undefined) => void)[] = [];
  /** Callers of `shutDownWithDrain` waiting for `processing` to empty. */
  private readonly drainWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = options.metrics ?? {};
    this.isUrgent = options.isUrgent ?? (() => false);
  }

  /** Queues the key now, unless it is already queued; ignored after shutdown. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.added?.();
    this.dirty.add(key);
    // A key being processed is queued again by done(), never handed to a second worker.
    if (!this.processing.has(key)) this.enqueue(key);
  }

  /**
   * Queues the key after `delayMs`. If the key is already waiting, the earlier of the two times
   * wins. A delay of zero or less (or NaN) adds at once. Ignored after shutdown.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAtMs = this.nowMs() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.readyAtMs <= readyAtMs) return;
    existing?.cancel();
    const entry: DelayedAdd = { readyAtMs, cancel: () => {} };
    entry.cancel = this.clock.after(delayMs, () => {
      // A later, earlier-due addAfter may have replaced this entry; only the current one adds.
      if (this.delayed.get(key) !== entry) return;
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, entry);
  }

  /** Queues the key after the rate limiter's delay for it (a retry); ignored after shutdown. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.retried?.();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Resets the key's retry backoff; does not cancel an add already waiting. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** How many rate-limited retries the key has had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * Hands out the oldest queued key, waiting for one if none is queued. The caller owns the key
   * until it calls `done(key)`. Resolves undefined once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.takeNext();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.idleWorkers.push(resolve));
  }

  /** Marks the key as finished; if it was added meanwhile it is queued again. */
  done(key: string): void {
    const startedAtMs = this.processing.get(key);
    if (startedAtMs === undefined) return;
    this.processing.delete(key);
    this.metrics.workDuration?.((this.nowMs() - startedAtMs) / 1000);
    if (this.dirty.has(key)) this.enqueue(key);
    if (this.processing.size === 0) this.releaseDrainWaiters();
  }

  /**
   * Stops the queue: later adds are ignored, waiting delayed adds are dropped, queued keys are
   * discarded and every `get` resolves undefined. Keys being processed may still be marked done.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const entry of this.delayed.values()) entry.cancel();
    this.delayed.clear();
    this.ready.clear();
    this.urgent.clear();
    this.dirty.clear();
    this.metrics.depth?.(0);
    for (const resolve of this.idleWorkers.splice(0)) resolve(undefined);
    if (this.processing.size === 0) this.releaseDrainWaiters();
  }

  /** Shuts down, then resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Number of keys queued and ready for a worker (not counting delayed or in-process keys). */
  len(): number {
    return this.ready.size + this.urgent.size;
  }

  /** Whether `shutDown` has been called. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private enqueue(key: string): void {
    (this.isUrgent(key) ? this.urgent : this.ready).set(key, this.nowMs());
    this.metrics.depth?.(this.len());
    // Hand keys straight to idle workers: the key is owned (in `processing`) from this moment,
    // not from when the worker's continuation happens to run.
    while (this.idleWorkers.length > 0 && this.len() > 0) {
      const resolve = this.idleWorkers.shift();
      resolve?.(this.takeNext());
    }
  }

  private takeNext(): string | undefined {
    for (const lane of [this.urgent, this.ready]) {
      for (const [key, queuedAtMs] of lane) {
        const nowMs = this.nowMs();
        lane.delete(key);
        this.dirty.delete(key);
        this.processing.set(key, nowMs);
        this.metrics.depth?.(this.len());
        this.metrics.queueLatency?.((nowMs - queuedAtMs) / 1000);
        return key;
      }
    }
    return undefined;
  }

  private releaseDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
