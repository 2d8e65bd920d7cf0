// Fault injection for the emulator: answer the next requests with an error, or fail the next job.
import type { DpfApiError } from './errors.ts';
import { cannedError } from './errors.ts';

/** What goes wrong next; tests arm it, the server consumes it. */
export class Faults {
  private failures: { error: DpfApiError; method: string | undefined }[] = [];
  private failingJobs = 0;
  private afterWrite: (() => void) | undefined;
  /** Opt-in background failure rate (0 to 1): a flaky service rather than one armed error. */
  private failureRate = 0;
  private randomFailures = 0;

  /** The next `count` requests (of `method`, if given) get `status` instead of an answer. */
  failRequests(count: number, status: 406 | 429 | 500 | 503 | 504, method?: string): void {
    for (let i = 0; i < count; i++) this.failures.push({ error: cannedError(status), method });
  }

  /**
   * From now on, every request fails with probability `percent` / 100, alternately 500 and 503,
   * and changes nothing (0 switches it off). For soaks: the service is flaky, not broken.
   */
  failPercent(percent: number): void {
    this.failureRate = Math.min(Math.max(percent, 0), 100) / 100;
  }

  /** The next `count` jobs end FAILED and change nothing. */
  failJobs(count = 1): void {
    this.failingJobs += count;
  }

  /** The error for a `method` request, if one is armed. */
  takeRequestFailure(method: string): DpfApiError | undefined {
    const index = this.failures.findIndex((f) => f.method === undefined || f.method === method);
    if (index >= 0) return this.failures.splice(index, 1)[0]?.error;
    if (this.failureRate === 0 || Math.random() >= this.failureRate) return undefined;
    return cannedError(this.randomFailures++ % 2 === 0 ? 500 : 503);
  }

  /** Whether the job being created should fail. */
  takeJobFailure(): boolean {
    if (this.failingJobs === 0) return false;
    this.failingJobs -= 1;
    return true;
  }

  /**
   * Runs `fn` once, right after the next record write (POST, PATCH or DELETE under /records) was
   * served: tests use it to stage someone else's edit between acme6's write and its commit.
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

  /** Disarms everything. */
  reset(): void {
    this.failures = [];
    this.failingJobs = 0;
    this.afterWrite = undefined;
    this.failureRate = 0;
  }
}
