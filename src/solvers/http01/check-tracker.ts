// Runs each challenge's self-check in the background and remembers its latest result, so a
// reconcile never waits out a slow address: it starts a check when one is due, waits a moment for
// quick answers, and otherwise returns what the last check said. Counts consecutive passes.
import type { Clock } from '../../runtime/clock.ts';
import { selfCheckPassed, type SelfCheckReport } from './self-check.ts';

/** The latest finished check of one challenge. */
export interface CheckResult {
  report: SelfCheckReport;
  passed: boolean;
  /** Consecutive passes up to and including this one. */
  passes: number;
  /** When it finished (ms since the epoch). */
  at: number;
}

interface State {
  running?: Promise<void>;
  latest?: CheckResult;
  passes: number;
}

/** How long a reconcile waits for a check it started before answering with the previous result. */
export const QUICK_ANSWER_MS = 1500;

export class CheckTracker {
  private readonly states = new Map<string, State>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /**
   * Starts `check` for `key` unless one is running or the latest is younger than `intervalMs`, waits
   * up to QUICK_ANSWER_MS for it, and returns the latest finished result (undefined before the first).
   */
  async latest(
    key: string,
    intervalMs: number,
    check: () => Promise<SelfCheckReport>,
  ): Promise<CheckResult | undefined> {
    const state = this.states.get(key) ?? { passes: 0 };
    this.states.set(key, state);
    const due = !state.latest || this.clock.now().getTime() - state.latest.at >= intervalMs;
    if (!state.running && due) {
      const record = (report: SelfCheckReport): void => {
        const passed = selfCheckPassed(report);
        state.passes = passed ? state.passes + 1 : 0;
        state.latest = { report, passed, passes: state.passes, at: this.clock.now().getTime() };
      };
      const failed = (err: unknown): void =>
        record({ domain: '', results: [], lookupProblems: [`self-check failed: ${String(err)}`] });
      const run: Promise<void> = check().then(record, failed);
      state.running = run;
      void run.then(() => {
        if (state.running === run) delete state.running;
      });
    }
    if (state.running) {
      let cancel = (): void => {};
      const timer = new Promise<void>((resolve) => (cancel = this.clock.after(QUICK_ANSWER_MS, resolve)));
      await Promise.race([state.running, timer]);
      cancel();
    }
    return state.latest;
  }

  /** Whether the latest finished check of `key` passed. */
  passing(key: string): boolean {
    return this.states.get(key)?.latest?.passed ?? false;
  }

  /** Whether a check of `key` is in flight. */
  running(key: string): boolean {
    return this.states.get(key)?.running !== undefined;
  }

  forget(key: string): void {
    this.states.delete(key);
  }
}
