// When the agent syncs, kube-proxy's way: a burst of informer events collapses into one sync at most
// every `minIntervalMs`; a full resync runs every `resyncPeriodMs` anyway (repairs drift nobody told
// us about); a cheap canary check every `canaryPeriodMs` forces a full resync when our rules vanished.
// Syncs never overlap: a request during a sync runs once more after it.
import type { Cancel, Clock } from '../runtime/clock.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';

/** Why a sync ran; `full` syncs also re-check every hook jump and chain. */
export type SyncReason = 'change' | 'resync' | 'canary';

/** Options of SyncLoop. */
export interface SyncLoopOptions {
  clock: Clock;
  /** Does one sync; a rejection is logged and retried after `minIntervalMs`. */
  sync: (reason: SyncReason) => Promise<void>;
  /** True while our rules are in place; false triggers an immediate full sync. */
  canary: () => Promise<boolean>;
  minIntervalMs: number;
  resyncPeriodMs: number;
  canaryPeriodMs: number;
  logger?: Logger;
}

/** Runs syncs on request, periodically, and when the canary is gone. */
export class SyncLoop {
  private readonly o: SyncLoopOptions;
  private readonly logger: Logger;
  private running = false;
  private stopped = false;
  private pending: SyncReason | undefined;
  private lastStartMs = -Infinity;
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
    const waitMs = this.lastStartMs + this.o.minIntervalMs - this.o.clock.now().getTime();
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
      .catch((err: unknown) => {
        this.logger.error({ err, reason }, 'sync failed; retrying');
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
