import { realClock } from './clock.ts';
import type { Cancel, Clock } from './clock.ts';
import { isTerminalError } from './errors.ts';
import { silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import type { ControllerMetrics, ReconcileOutcome } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

/** Longest run of back-to-back reconciles before a worker lets the event loop turn (real time). */
const YIELD_EVERY_MS = 50;

/** What a successful reconcile asks for next: nothing, or another run after `requeueAfter` ms. */
export interface Result {
  requeueAfter?: number;
}

/**
 * Brings the object named by `key` to its desired state. Throw to retry with backoff, throw a
 * TerminalError to give up, and return `requeueAfter` for planned future work. `signal` aborts
 * when the controller stops.
 */
export type Reconciler = (key: string, signal: AbortSignal) => Promise<Result>;

/** How to build a Controller. */
export interface ControllerOptions {
  /** Names the controller in logs and metrics, e.g. `certificate-issuing`. */
  name: string;
  reconcile: Reconciler;
  /** Parallel reconciles (of different keys); default 1. */
  workers?: number;
  /** The queue to drain; the controller shuts it down on stop. Default: a new WorkQueue on `clock`. */
  queue?: WorkQueue;
  clock?: Clock;
  logger?: Logger;
  metrics?: ControllerMetrics;
  /** How long `stop` waits for in-flight reconciles (default 30 s). */
  stopTimeoutMs?: number;
}

type ControllerState = 'new' | 'running' | 'stopped';

/**
 * Runs `workers` loops that take keys from a WorkQueue and reconcile them. The queue guarantees
 * one key is never reconciled twice at once. Errors are retried with the queue's rate limiter,
 * TerminalErrors are dropped, `requeueAfter` schedules the next run.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconcile: Reconciler;
  private readonly workers: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: ControllerMetrics;
  private readonly stopTimeoutMs: number;
  private readonly abortController = new AbortController();
  private state: ControllerState = 'new';
  private workerLoops: Promise<void>[] = [];
  private stopping: Promise<boolean> | undefined;
  private activeWorkers = 0;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.workers = Math.max(1, options.workers ?? 1);
    this.clock = options.clock ?? realClock;
    this.queue = options.queue ?? new WorkQueue({ clock: this.clock });
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? {};
    this.stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  }

  /** Starts the workers. A controller runs once: starting it again, or after stop, throws. */
  start(): void {
    if (this.state !== 'new') throw new Error(`controller ${this.name} cannot start: it is ${this.state}`);
    this.state = 'running';
    for (let worker = 0; worker < this.workers; worker++) this.workerLoops.push(this.runWorker());
    this.logger.info({ controller: this.name, workers: this.workers }, 'controller started');
  }

  /**
   * Stops taking keys, aborts the reconcile signal and waits (up to the stop timeout) for
   * in-flight reconciles to return. Resolves true if they all finished in time. Idempotent.
   */
  stop(): Promise<boolean> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<boolean> {
    this.state = 'stopped';
    this.abortController.abort(new Error(`controller ${this.name} is stopping`));
    this.queue.shutDown();
    let cancelTimeout: Cancel = () => {};
    const timedOut = new Promise<boolean>((resolve) => {
      cancelTimeout = this.clock.after(this.stopTimeoutMs, () => resolve(false));
    });
    const finished = Promise.all(this.workerLoops).then(() => true);
    const drained = await Promise.race([finished, timedOut]);
    cancelTimeout();
    if (drained) {
      this.logger.info({ controller: this.name }, 'controller stopped');
    } else {
      this.logger.warn(
        { controller: this.name, inFlight: this.activeWorkers, timeoutMs: this.stopTimeoutMs },
        'controller stopped with reconciles still running after the stop timeout',
      );
    }
    return drained;
  }

  private async runWorker(): Promise<void> {
    let yieldedAtMs = performance.now();
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        await this.reconcileKey(key);
      } catch (error) {
        // Only a throwing logger or metrics hook gets here; keep the worker alive regardless.
        this.logger.error({ controller: this.name, key, err: error }, 'worker failed outside reconcile');
      }
      // Keys handed out at once and reconciles answered from caches chain as microtasks: thousands
      // of them would hold the event loop (Lease renewals, watches, probes) for tens of seconds.
      if (performance.now() - yieldedAtMs > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        yieldedAtMs = performance.now();
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const startedMs = this.clock.now().getTime();
    this.changeActiveWorkers(+1);
    let outcome: ReconcileOutcome = 'error';
    try {
      const result = await this.reconcile(key, this.abortController.signal);
      const requeueAfter = validRequeueAfter(result);
      this.queue.forget(key);
      if (requeueAfter > 0) {
        this.queue.addAfter(key, requeueAfter);
        outcome = 'requeue_after';
      } else {
        outcome = 'success';
      }
      this.logger.debug({ controller: this.name, key, requeueAfter }, 'reconciled');
    } catch (error) {
      outcome = this.handleFailure(key, error);
    } finally {
      this.queue.done(key);
      this.changeActiveWorkers(-1);
      this.metrics.reconciled?.(outcome, (this.clock.now().getTime() - startedMs) / 1000);
    }
  }

  private handleFailure(key: string, error: unknown): ReconcileOutcome {
    if (isTerminalError(error)) {
      this.queue.forget(key);
      this.logger.error(
        { controller: this.name, key, err: error },
        'reconcile failed permanently; not retrying',
      );
      return 'terminal';
    }
    if (this.abortController.signal.aborted) {
      this.logger.info({ controller: this.name, key, err: error }, 'reconcile ended by controller stop');
      return 'error';
    }
    this.queue.addRateLimited(key);
    this.logger.warn(
      { controller: this.name, key, err: error, retries: this.queue.numRequeues(key) },
      'reconcile failed; retrying with backoff',
    );
    return 'error';
  }

  private changeActiveWorkers(delta: number): void {
    this.activeWorkers += delta;
    this.metrics.activeWorkers?.(this.activeWorkers);
  }
}

/** The result's requeueAfter as a number (0 = none); a reconciler bug (NaN, negative) is an error. */
function validRequeueAfter(result: Result | undefined): number {
  const requeueAfter = result?.requeueAfter ?? 0;
  if (!Number.isFinite(requeueAfter) || requeueAfter < 0) {
    throw new TypeError(`reconcile returned an invalid requeueAfter: ${String(requeueAfter)}`);
  }
  return requeueAfter;
}
