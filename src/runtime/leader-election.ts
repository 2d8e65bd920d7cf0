// Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm: a candidate takes the
// Lease when it is free or its holder stopped renewing for a whole lease duration (measured on OUR
// clock from when we last saw the record change, so clock skew between nodes does not matter), and
// every write carries the resourceVersion it read (409 = someone else won the race). A leader that
// cannot renew within the renew deadline, or sees another holder, has lost and must stop at once.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import { apiErrorMessage, isConflict, isNotFound } from '../kube/errors.ts';
import { realClock, type Cancel, type Clock } from './clock.ts';
import { silentLogger, type Logger } from './logger.ts';

/** Reads and writes the one Lease an election runs on; writes reject with the apiserver's error. */
export interface LeaseStore {
  /** Where the Lease lives, for messages. */
  readonly namespace: string;
  readonly name: string;
  /** The Lease, or undefined when it does not exist. */
  get(): Promise<V1Lease | undefined>;
  create(lease: V1Lease): Promise<V1Lease>;
  /** Replaces the Lease; the body's metadata.resourceVersion makes it conditional. */
  update(lease: V1Lease): Promise<V1Lease>;
}

/** A LeaseStore over the apiserver. */
export function kubeLeaseStore(kubeConfig: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  return {
    namespace,
    name,
    async get() {
      try {
        return await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (body) => api.createNamespacedLease({ namespace, body }),
    update: (body) => api.replaceNamespacedLease({ name, namespace, body }),
  };
}

/** Timings of an election, client-go's meaning. */
export interface LeaderElectionTimings {
  /** How long a standby waits, after the holder's last renewal it saw, before taking over. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leadership. */
  renewDeadlineMs: number;
  /** The wait between attempts to acquire, and after a failed renewal. */
  retryPeriodMs: number;
  /**
   * How often a leader renews while renewals succeed; default half the renew deadline. client-go
   * renews every retry period (2 s in controller-runtime: 30 writes a minute that say nothing new).
   */
  renewPeriodMs?: number;
}

/**
 * A leader renews every 10 s and retries a failed renewal every 2 s for up to 20 s; a standby takes
 * over 30 s after the last renewal it saw (cert-manager waits 60 s, controller-runtime 15 s).
 */
export const DEFAULT_LEADER_ELECTION_TIMINGS: LeaderElectionTimings = {
  leaseDurationMs: 30_000,
  renewDeadlineMs: 20_000,
  retryPeriodMs: 2_000,
};

/** How often the leader renews with these timings. */
export function renewPeriodOf(t: LeaderElectionTimings): number {
  if (t.renewPeriodMs !== undefined) return t.renewPeriodMs;
  // Half the deadline leaves room for retries; with a retry period too long for that, client-go's.
  return t.retryPeriodMs < t.renewDeadlineMs / 2 ? t.renewDeadlineMs / 2 : t.retryPeriodMs;
}

// client-go waits retryPeriod * (1 + rand * 0.2) between attempts, so candidates do not move in step.
const JITTER_FACTOR = 1.2;

/** Why the timings cannot work, or undefined; the same rules client-go enforces. */
export function leaderElectionTimingsError(t: LeaderElectionTimings): string | undefined {
  if (t.leaseDurationMs < 1000) return 'the lease duration must be at least 1s';
  if (t.leaseDurationMs <= t.renewDeadlineMs)
    return 'the lease duration must be longer than the renew deadline';
  if (t.retryPeriodMs <= 0) return 'the retry period must be positive';
  if (t.renewDeadlineMs <= JITTER_FACTOR * t.retryPeriodMs) {
    return `the renew deadline must be longer than ${JITTER_FACTOR} x the retry period`;
  }
  // A failed renewal must get at least one retry before the deadline ends leadership.
  if (t.renewPeriodMs !== undefined && t.renewPeriodMs + t.retryPeriodMs >= t.renewDeadlineMs) {
    return 'the renew period plus the retry period must be shorter than the renew deadline';
  }
  return undefined;
}

/** A holder identity that tells replicas (and restarts of one pod) apart: `<pod or host>_<random>`. */
export function defaultIdentity(): string {
  return `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
}

/** What an election reports to. */
export interface LeaderElectionCallbacks {
  /** This candidate now holds the Lease. */
  onStartedLeading(): void;
  /** This candidate held the Lease and lost it (not called after `release`). Exit the process. */
  onStoppedLeading(reason: string): void;
  /** Leadership changed (for the `leader_election_master_status` gauge). */
  onLeadingChanged?(leading: boolean): void;
}

/** How to build a LeaderElector. */
export interface LeaderElectorOptions extends LeaderElectionCallbacks {
  store: LeaseStore;
  identity: string;
  timings?: LeaderElectionTimings;
  clock?: Clock;
  logger?: Logger;
  /** 0..1, for jitter; tests pass a constant. */
  random?: () => number;
}

type Attempt = 'renewed' | 'held-by-other' | 'failed';
type State = 'idle' | 'candidate' | 'leading' | 'lost' | 'released';

// How often a repeated failure (say, a missing namespace) is logged again; every retry would be noise.
const REPEAT_LOG_MS = 60_000;

/** Campaigns for one Lease until it leads, then keeps it renewed until it loses or releases it. */
export class LeaderElector {
  private readonly o: LeaderElectorOptions;
  private readonly timings: LeaderElectionTimings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private state: State = 'idle';
  /** The record as last seen, and when (our clock) it last changed. */
  private observed: { key: string; atMs: number; durationMs: number } | undefined;
  private lastRenewMs = 0;
  private cancelNext: Cancel = () => {};
  private cancelDeadline: Cancel = () => {};
  private inFlight: Promise<void> = Promise.resolve();
  private lastFailure: { message: string; atMs: number } | undefined;

  constructor(options: LeaderElectorOptions) {
    this.o = options;
    this.timings = options.timings ?? DEFAULT_LEADER_ELECTION_TIMINGS;
    const problem = leaderElectionTimingsError(this.timings);
    if (problem) throw new Error(`invalid leader election timings: ${problem}`);
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
  }

  get identity(): string {
    return this.o.identity;
  }

  /** Whether this candidate currently holds the Lease. */
  isLeader(): boolean {
    return this.state === 'leading';
  }

  /** Starts campaigning at once. */
  start(): void {
    if (this.state !== 'idle') throw new Error(`leader election already ${this.state}`);
    this.state = 'candidate';
    this.logger.info(
      { lease: this.leaseName(), identity: this.o.identity },
      'waiting to acquire the leader election lease',
    );
    this.schedule(0);
  }

  /**
   * Stops campaigning; a leader hands the Lease back (holder cleared, duration 1 s) so a standby
   * takes over on its next attempt instead of after a whole lease duration. Call it only after the
   * work that needs leadership has stopped.
   */
  async release(): Promise<void> {
    const wasLeading = this.state === 'leading';
    // A candidate's last attempt may have taken the Lease while we were stopping: look too.
    const mayHold = wasLeading || this.state === 'candidate';
    if (this.state !== 'lost') this.state = 'released';
    this.cancelNext();
    this.cancelDeadline();
    await this.inFlight;
    if (!mayHold) return;
    if (wasLeading) this.o.onLeadingChanged?.(false);
    try {
      const current = await this.o.store.get();
      if (current?.spec?.holderIdentity !== this.o.identity) return;
      const now = new V1MicroTime(this.clock.now().getTime());
      await this.o.store.update({
        ...current,
        spec: {
          ...current.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
        },
      });
      this.logger.info({ lease: this.leaseName() }, 'released the leader election lease');
    } catch (err) {
      // The standby then waits out the lease duration: slower, never wrong.
      this.logger.warn({ lease: this.leaseName(), err: apiErrorMessage(err) }, 'could not release the lease');
    }
  }

  private leaseName(): string {
    return `${this.o.store.namespace}/${this.o.store.name}`;
  }

  private schedule(delayMs: number): void {
    this.cancelNext = this.clock.after(delayMs, () => {
      this.inFlight = this.attempt();
    });
  }

  private jittered(): number {
    return this.timings.retryPeriodMs * (1 + this.random() * (JITTER_FACTOR - 1));
  }

  private async attempt(): Promise<void> {
    const result = await this.tryAcquireOrRenew();
    if (this.state === 'candidate' && result === 'renewed') {
      this.state = 'leading';
      this.renewed();
      this.logger.info(
        { lease: this.leaseName(), identity: this.o.identity },
        'acquired the leader election lease',
      );
      this.o.onLeadingChanged?.(true);
      this.o.onStartedLeading();
      if (this.state === 'leading') this.schedule(renewPeriodOf(this.timings));
      return;
    } else if (this.state === 'leading' && result === 'renewed') {
      this.renewed();
      this.schedule(renewPeriodOf(this.timings));
      return;
    } else if (this.state === 'leading' && result === 'held-by-other') {
      this.lose('another candidate holds the lease');
      return;
    }
    // Still a candidate, or a leader whose renewal failed: try again soon.
    if (this.state === 'candidate') this.schedule(this.jittered());
    else if (this.state === 'leading') this.schedule(this.timings.retryPeriodMs);
  }

  private renewed(): void {
    this.lastRenewMs = this.nowMs();
    this.cancelDeadline();
    this.cancelDeadline = this.clock.after(this.timings.renewDeadlineMs, () => {
      if (this.state === 'leading') this.lose(`no renewal for ${this.timings.renewDeadlineMs / 1000}s`);
    });
  }

  private lose(reason: string): void {
    this.state = 'lost';
    this.cancelNext();
    this.cancelDeadline();
    this.logger.error({ lease: this.leaseName(), identity: this.o.identity, reason }, 'leader election lost');
    this.o.onLeadingChanged?.(false);
    this.o.onStoppedLeading(reason);
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const limitMs = this.timings.renewDeadlineMs;
    try {
      const current = await this.withTimeout(this.o.store.get(), limitMs);
      const nowMs = this.nowMs();
      if (!current) {
        await this.withTimeout(this.o.store.create(this.leaseFor(undefined, nowMs)), limitMs);
        return 'renewed';
      }
      const spec = current.spec ?? {};
      this.observe(spec, nowMs);
      const holder = spec.holderIdentity ?? '';
      if (holder !== '' && holder !== this.o.identity && this.observedStillValid(nowMs))
        return 'held-by-other';
      await this.withTimeout(this.o.store.update({ ...current, spec: this.specFor(spec, nowMs) }), limitMs);
      return 'renewed';
    } catch (err) {
      this.reportFailure(err);
      return 'failed';
    }
  }

  private leaseFor(previous: V1LeaseSpec | undefined, nowMs: number): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.store.name, namespace: this.o.store.namespace },
      spec: this.specFor(previous ?? {}, nowMs),
    };
  }

  private specFor(previous: V1LeaseSpec, nowMs: number): V1LeaseSpec {
    const now = new V1MicroTime(nowMs);
    const ours = previous.holderIdentity === this.o.identity;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      acquireTime: ours && previous.acquireTime ? new V1MicroTime(toMs(previous.acquireTime)) : now,
      renewTime: now,
      leaseTransitions:
        (previous.leaseTransitions ?? 0) + (ours || previous.holderIdentity === undefined ? 0 : 1),
    };
  }

  /** Remembers when (our clock) the record last changed: the only time a standby can trust. */
  private observe(spec: V1LeaseSpec, nowMs: number): void {
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ? toMs(spec.renewTime) : ''}`;
    if (this.observed?.key === key) return;
    this.observed = { key, atMs: nowMs, durationMs: (spec.leaseDurationSeconds ?? 0) * 1000 };
  }

  private observedStillValid(nowMs: number): boolean {
    return this.observed !== undefined && this.observed.atMs + this.observed.durationMs > nowMs;
  }

  private reportFailure(err: unknown): void {
    let message: string;
    if (isConflict(err)) {
      // Lost a race to another candidate's write: normal, and the next read shows who won.
      this.logger.debug({ lease: this.leaseName() }, 'lease changed under us; retrying');
      return;
    } else if (isNotFound(err)) {
      message = `the Lease namespace "${this.o.store.namespace}" does not exist: create it, or choose another with --leader-election-namespace`;
    } else {
      message = `could not acquire or renew the lease: ${apiErrorMessage(err)}`;
    }
    const nowMs = this.nowMs();
    const last = this.lastFailure;
    if (last && last.message === message && nowMs - last.atMs < REPEAT_LOG_MS) return;
    this.lastFailure = { message, atMs: nowMs };
    this.logger.error({ lease: this.leaseName() }, message);
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let cancel: Cancel = () => {};
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.clock.after(ms, () =>
        reject(new Error(`the apiserver did not answer within ${ms / 1000}s`)),
      );
    });
    return Promise.race([promise, timeout]).finally(cancel);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}

// client-node hands MicroTime fields back as the wire's strings although it types them as Dates.
function toMs(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}
