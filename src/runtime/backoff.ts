/** `baseMs * 2^attempt`, capped at `maxMs` (attempt 0 gives `baseMs`). */
export function exponentialDelay(baseMs: number, maxMs: number, attempt: number): number {
  if (baseMs <= 0) return 0;
  // 2 ** attempt reaches Infinity for large attempts; the cap still applies.
  return Math.min(maxMs, baseMs * 2 ** attempt);
}

/** A doubling delay sequence (first, 2×first, … up to max) that can be reset. */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private attempt = 0;

  constructor(initialMs: number, maxMs: number) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** The delay to wait now; each call doubles the next one. */
  next(): number {
    return exponentialDelay(this.initialMs, this.maxMs, this.attempt++);
  }

  /** Starts the sequence again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}
