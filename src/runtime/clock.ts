/** Cancels a scheduled callback; calling it after the callback ran (or twice) does nothing. */
export type Cancel = () => void;

/** The runtime's only source of time: current time and one-shot timers. */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Runs `fn` once after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, fn: () => void): Cancel;
}

// Node's timers fire immediately (with a warning) for delays above 2^31-1 ms (~24.8 days), and
// requeueAfter for a certificate renewal is routinely longer, so long waits are chained.
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A Clock backed by the system time and Node timers. */
export const realClock: Clock = {
  now: () => new Date(),
  after(ms, fn) {
    let handle: NodeJS.Timeout | undefined;
    const schedule = (remainingMs: number): void => {
      const stepMs = Math.min(Math.max(0, remainingMs), MAX_TIMER_DELAY_MS);
      handle = setTimeout(() => {
        if (remainingMs > stepMs) schedule(remainingMs - stepMs);
        else fn();
      }, stepMs);
    };
    schedule(ms);
    return () => clearTimeout(handle);
  },
};

interface FakeTimer {
  readonly dueAtMs: number;
  readonly sequence: number;
  readonly fn: () => void;
}

/** A Clock for tests: time stands still until `advance` moves it and fires the timers that fall due. */
export class FakeClock implements Clock {
  private currentMs: number;
  private nextSequence = 0;
  private readonly timers = new Set<FakeTimer>();

  constructor(start: Date | number = 0) {
    this.currentMs = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  after(ms: number, fn: () => void): Cancel {
    const timer: FakeTimer = { dueAtMs: this.currentMs + Math.max(0, ms), sequence: this.nextSequence++, fn };
    this.timers.add(timer);
    return () => {
      this.timers.delete(timer);
    };
  }

  /**
   * Moves time forward by `ms`, firing due timers in due-time order (ties in scheduling order).
   * While a timer runs, `now()` is its due time; timers it schedules fire too if they fall due
   * before the target time.
   */
  advance(ms: number): void {
    const targetMs = this.currentMs + Math.max(0, ms);
    for (let timer = this.nextDue(targetMs); timer; timer = this.nextDue(targetMs)) {
      this.timers.delete(timer);
      this.currentMs = timer.dueAtMs;
      timer.fn();
    }
    this.currentMs = targetMs;
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Milliseconds until the next timer falls due, or undefined when none is scheduled. */
  nextTimerIn(): number | undefined {
    const next = this.nextDue(Infinity);
    return next ? next.dueAtMs - this.currentMs : undefined;
  }

  private nextDue(notAfterMs: number): FakeTimer | undefined {
    let earliest: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (timer.dueAtMs > notAfterMs) continue;
      if (
        !earliest ||
        timer.dueAtMs < earliest.dueAtMs ||
        (timer.dueAtMs === earliest.dueAtMs && timer.sequence < earliest.sequence)
      ) {
        earliest = timer;
      }
    }
    return earliest;
  }
}
