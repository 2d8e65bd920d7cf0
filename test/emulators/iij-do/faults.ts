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

  /** The failure for a `method` request, if one is armed: an error, or raw HTML for 502. */
  take(method: string): DoApiError | { status: 502; html: string } | undefined {
    const index = this.failures.findIndex((f) => f.method === undefined || f.method === method);
    if (index < 0) return undefined;
    const { status } = this.failures.splice(index, 1)[0]!;
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
  }
}
