import { describe, expect, it } from 'vitest';
import { formatSpan, relative, when } from './time-text.ts';

const now = new Date('2026-11-25T12:00:00Z');

describe('time text', () => {
  it('shows the two largest units', () => {
    expect(formatSpan(0)).toBe('0s');
    expect(formatSpan(40_000)).toBe('40s');
    expect(formatSpan(12 * 60_000 + 5_000)).toBe('12m 5s');
    expect(formatSpan(3 * 86_400_000 + 4 * 3_600_000 + 59_000)).toBe('3d 4h');
    expect(formatSpan(86_400_000 + 30_000)).toBe('1d');
  });

  it('says "in" for the future and "ago" for the past', () => {
    expect(relative(new Date('2026-11-25T13:30:00Z'), now)).toBe('in 1h 30m');
    expect(relative(new Date('2026-11-25T11:59:00Z'), now)).toBe('1m ago');
  });

  it('prints RFC 3339 to the second with the relative time, and "-" for nothing', () => {
    expect(when('2026-11-26T12:00:00.123Z', now)).toBe('2026-11-26T12:00:00Z (in 1d)');
    expect(when(undefined, now)).toBe('-');
    expect(when('not a time', now)).toBe('not a time');
  });
});
