import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock, realClock } from './clock.ts';

describe('FakeClock', () => {
  it('fires due timers in due-time order, at their due time, and ties in scheduling order', () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    const record = (name: string) => () => fired.push(`${name}@${clock.now().getTime()}`);
    clock.after(300, record('c'));
    clock.after(100, record('a'));
    clock.after(100, record('b'));
    clock.after(301, record('late'));
    clock.advance(300);
    expect(fired).toEqual(['a@1100', 'b@1100', 'c@1300']);
    expect(clock.now().getTime()).toBe(1300);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerIn()).toBe(1);
  });

  it('fires timers scheduled by a firing timer when they fall due within the same advance', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.after(10, () => {
      fired.push(clock.now().getTime());
      clock.after(10, () => fired.push(clock.now().getTime()));
      clock.after(100, () => fired.push(clock.now().getTime()));
    });
    clock.advance(50);
    expect(fired).toEqual([10, 20]);
    expect(clock.now().getTime()).toBe(50);
  });

  it('never fires a cancelled timer', () => {
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    let fired = false;
    const cancel = clock.after(10, () => (fired = true));
    cancel();
    cancel();
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.100Z');
  });
});

describe('realClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits out delays longer than the Node timer limit instead of firing at once', () => {
    vi.useFakeTimers();
    let fired = false;
    const sixtyDaysMs = 60 * 24 * 3600 * 1000;
    realClock.after(sixtyDaysMs, () => (fired = true));
    vi.advanceTimersByTime(sixtyDaysMs - 1);
    expect(fired).toBe(false);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(true);
  });

  it('cancels a chained long delay', () => {
    vi.useFakeTimers();
    let fired = false;
    const cancel = realClock.after(30 * 24 * 3600 * 1000, () => (fired = true));
    vi.advanceTimersByTime(25 * 24 * 3600 * 1000);
    cancel();
    vi.advanceTimersByTime(10 * 24 * 3600 * 1000);
    expect(fired).toBe(false);
  });
});
