import { exponentialDelay } from './backoff.ts';
import type { Clock } from './clock.ts';

/** Decides how long a key must wait before it is retried (client-go's RateLimiter). */
export interface RateLimiter {
  /** The delay in ms before the key's next retry; records the retry. */
  when(key: string): number;
  /** Clears the key's retry history (after a success or a terminal failure). */
  forget(key: string): void;
  /** How many retries the key has had since it was last forgotten. */
  numRequeues(key: string): number;
}

/** Per-key exponential backoff: base, 2×base, 4×base, … capped at max. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly failures = new Map<string, number>();

  constructor(baseDelayMs: number, maxDelayMs: number) {
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
  }

  when(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return exponentialDelay(this.baseDelayMs, this.maxDelayMs, attempt);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * An overall token bucket shared by all keys (golang.org/x/time/rate's Reserve): `burst` retries
 * pass at once, then one every 1/qps seconds; each call reserves a token even if it must wait.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private lastRefillMs: number;

  constructor(qps: number, burst: number, clock: Clock) {
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.lastRefillMs = clock.now().getTime();
  }

  when(_key: string): number {
    const nowMs = this.clock.now().getTime();
    const refilled = ((nowMs - this.lastRefillMs) * this.qps) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + refilled);
    this.lastRefillMs = nowMs;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    // The small epsilon keeps float noise (e.g. 100.0000001 ms) from adding a whole millisecond.
    return Math.max(0, Math.ceil((-this.tokens * 1000) / this.qps - 1e-6));
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** Combines limiters: the delay is the longest any of them asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must record the retry, so no short-circuiting.
    return this.limiters.map((limiter) => limiter.when(key)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiters.map((limiter) => limiter.numRequeues(key)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/** Tuning for `defaultControllerRateLimiter`; every field has client-go's default. */
export interface ControllerRateLimiterOptions {
  /** First per-key retry delay (default 5 ms). */
  baseDelayMs?: number;
  /** Longest per-key retry delay (default 1000 s). */
  maxDelayMs?: number;
  /** Overall retries per second once the burst is used (default 10). */
  qps?: number;
  /** Retries allowed at once before qps applies (default 100). */
  burst?: number;
}

/** client-go's DefaultControllerRateLimiter: max of per-key exponential backoff and a shared token bucket. */
export function defaultControllerRateLimiter(
  clock: Clock,
  options: ControllerRateLimiterOptions = {},
): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new TokenBucketRateLimiter(options.qps ?? 10, options.burst ?? 100, clock),
  );
}
