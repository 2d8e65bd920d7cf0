// When the agent syncs, kube-proxy's way: a burst of informer events collapses into one sync at most
// every `minIntervalMs`; a full resync runs every `resyncPeriodMs` anyway (repairs drift nobody told
// us about); a cheap canary check every `canaryPeriodMs` forces a full resync when our rules vanished.
// Syncs never overlap: a request during a sync runs once more after it. A failing sync is retried
// with exponential backoff (minIntervalMs, doubling, capped), so a broken node does not spin.
import type { Cancel, Clock } from '../runtime/clock.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';

/** Why a sync ran; `full` syncs also re-check every hook jump and chain. */
export type SyncReason = 'change' | 'resync' | 'canary';

/** Options of SyncLoop. */
export interface SyncLoopOptions {
  clock: Clock;
  /** Does one sync; a rejection is logged and retried with backoff (see maxBackoffMs). */
  sync: (reason: SyncReason) => Promise<void>;
  /** True while our rules are in place; false triggers an immediate full sync. */
  canary: () => Promise<boolean>;
  minIntervalMs: number;
  resyncPeriodMs: number;
  canaryPeriodMs: number;
  /** Longest wait between retries of a failing sync (default 5 minutes). */
  maxBackoffMs?: number;
  logger?: Logger;
}

const DEFAULT_MAX_BACKOFF_MS = 300_000;

/** Runs syncs on request, periodically, and when the canary is gone. */
export class SyncLoop {
  private readonly o: SyncLoopOptions;
  private readonly logger: Logger;
  private running = false;
  private stopped = false;
  private pending: SyncReason | undefined;
  private lastStartMs = -Infinity;
  /** Consecutive failed syncs, and when the next attempt may start after the last failure. */
  private failures = 0;
  private retryAtMs = -Infinity;
  private cancelDelayed: Cancel | undefined;
  private cancelResync: Cancel | undefined;
  private cancelCanary: Cancel | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: SyncLoopOptions) {
    this.o = options;
    this.logger = options.logger ?? silentLogger;
  }

  /** Starts the periodic timers and runs a first sync at once. */
  start(): void {
    this.scheduleResync();
    this.scheduleCanary();
    this.request('resync');
  }

  /** Asks for a sync; runs now, or once `minIntervalMs` has passed since the last one started. */
  request(reason: SyncReason = 'change'): void {
    if (this.stopped) return;
    // A full reason outranks a plain change when several requests collapse.
    this.pending = this.pending === undefined || this.pending === 'change' ? reason : this.pending;
    this.kick();
  }

  /** Stops all timers and waits for a running sync to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelDelayed?.();
    this.cancelResync?.();
    this.cancelCanary?.();
    await this.idle();
  }

  /** Resolves when no sync is running or waiting to run now. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.running || this.pending === undefined || this.stopped) return;
    const waitMs =
      Math.max(this.lastStartMs + this.o.minIntervalMs, this.retryAtMs) - this.o.clock.now().getTime();
    if (waitMs > 0) {
      this.cancelDelayed ??= this.o.clock.after(waitMs, () => {
        this.cancelDelayed = undefined;
        this.kick();
      });
      return;
    }
    const reason = this.pending;
    this.pending = undefined;
    this.running = true;
    this.lastStartMs = this.o.clock.now().getTime();
    void this.o
      .sync(reason)
      .then(() => {
        this.failures = 0;
        this.retryAtMs = -Infinity;
      })
      .catch((err: unknown) => {
        this.failures++;
        const backoffMs = Math.min(
          this.o.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
          Math.max(this.o.minIntervalMs, 1000) * 2 ** (this.failures - 1),
        );
        this.retryAtMs = this.o.clock.now().getTime() + backoffMs;
        this.logger.error(
          { err, reason, failures: this.failures, retryInMs: backoffMs },
          'sync failed; retrying',
        );
        this.pending ??= 'resync';
      })
      .finally(() => {
        this.running = false;
        if (reason !== 'change') this.scheduleResync();
        this.kick();
        if (!this.running) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private scheduleResync(): void {
    this.cancelResync?.();
    if (this.stopped) return;
    this.cancelResync = this.o.clock.after(this.o.resyncPeriodMs, () => this.request('resync'));
  }

  private scheduleCanary(): void {
    if (this.stopped) return;
    this.cancelCanary = this.o.clock.after(this.o.canaryPeriodMs, () => {
      void this.o
        .canary()
        .then((present) => {
          if (!present) {
            this.logger.warn({}, 'canary gone: our rules were flushed; resyncing');
            this.request('canary');
          }
        })
        .catch((err: unknown) => this.logger.warn({ err }, 'canary check failed'))
        .finally(() => this.scheduleCanary());
    });
  }
}
