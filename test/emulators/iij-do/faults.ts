// Fault injection: answer the next requests with an error instead of serving them, or run the
// emulator's clock ahead so valid signatures look expired.
import { DoApiError } from './errors.ts';

/** A canned failure: a JSON ErrorResponse, or 502 with an HTML page as a proxy would send. */
export type FaultStatus = 429 | 500 | 502 | 503;

/** What goes wrong next; tests arm it, the server consumes it. */
export class Faults {
  private failures: { status: FaultStatus; method: string | undefined }[] = [];
  /** Added to the emulator's clock when checking x-iijapi-Expire. */
  clockAheadMs = 0;
  private afterWrite: (() => void) | undefined;
  /** Opt-in background failure rate (0 to 1): a flaky service rather than one armed error. */
  private failureRate = 0;
  private randomFailures = 0;

  /**
   * Runs `fn` once, right after the next record write (POST or DELETE of a record) was served:
   * tests use it to stage someone else's edit between acme6's write and its commit.
   */
  afterNextRecordWrite(fn: () => void): void {
    this.afterWrite = fn;
  }

  /** The armed after-write action, if any, disarming it. */
  takeAfterRecordWrite(): (() => void) | undefined {
    const fn = this.afterWrite;
    this.afterWrite = undefined;
    return fn;
  }

  /** The next `count` requests (of `method`, if given) get `status` and change nothing. */
  failRequests(count: number, status: FaultStatus, method?: string): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, method });
  }

  /**
   * From now on, every request fails with probability `percent` / 100, alternately 500 and 503,
   * and changes nothing (0 switches it off). For soaks: the service is flaky, not broken.
   */
  failPercent(percent: number): void {
    this.failureRate = Math.min(Math.max(percent, 0), 100) / 100;
  }

  /** The failure for a `method` request, if one is armed: an error, or raw HTML for 502. */
  take(method: string): DoApiError | { status: 502; html: string } | undefined {
    const index = this.failures.findIndex((f) => f.method === undefined || f.method === method);
    let status: FaultStatus;
    if (index >= 0) status = this.failures.splice(index, 1)[0]!.status;
    else if (this.failureRate > 0 && Math.random() < this.failureRate)
      status = this.randomFailures++ % 2 === 0 ? 500 : 503;
    else return undefined;
    switch (status) {
      case 429:
        return new DoApiError(429, 'TooManyRequests', 'Too many requests.');
      case 500:
        return new DoApiError(500, 'InternalServerError', 'System error occurred.');
      case 503:
        return new DoApiError(503, 'ServiceUnavailable', 'The service is temporarily unavailable.');
      case 502:
        return { status: 502, html: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    }
  }

  /** Disarms everything. */
  reset(): void {
    this.failures = [];
    this.clockAheadMs = 0;
    this.afterWrite = undefined;
    this.failureRate = 0;
  }
}
