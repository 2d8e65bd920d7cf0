import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration, parseGoDurationNanos } from './duration.ts';

describe('parseGoDuration', () => {
  it.each([
    ['2160h', 2160 * 3_600_000],
    ['90m', 90 * 60_000],
    ['1h30m', 90 * 60_000],
    ['1.5h', 90 * 60_000],
    ['.5h', 30 * 60_000],
    ['1.h', 3_600_000],
    ['59m60s', 3_600_000],
    ['1h0.5m', 3_630_000],
    ['500ms', 500],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['0', 0],
    ['-1h', -3_600_000],
    ['+1m', 60_000],
  ])('parses %s as Go does', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '1',
    '00',
    'h',
    '.h',
    '1d',
    '1H',
    '1hh',
    '1 h',
    ' 1h',
    '1h ',
    '1.5.5h',
    '1h-1m',
    '--1h',
    'constructor',
  ])('rejects %j like Go', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('rejects durations beyond int64 nanoseconds, as Go does', () => {
    expect(parseGoDurationNanos('2562047h')).toBe(2562047n * 3_600_000_000_000n);
    expect(parseGoDurationNanos('2562048h')).toBeUndefined();
    expect(parseGoDurationNanos('9223372036854775807ns')).toBe(9223372036854775807n);
    expect(parseGoDurationNanos('9223372036854775808ns')).toBeUndefined();
    expect(parseGoDurationNanos('-9223372036854775808ns')).toBe(-9223372036854775808n);
  });

  it('truncates fractions below a nanosecond', () => {
    expect(parseGoDurationNanos('1.9ns')).toBe(1n);
    expect(parseGoDurationNanos('0.0000000001s')).toBe(0n);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [90 * 60_000, '1h30m0s'],
    [2160 * 3_600_000, '2160h0m0s'],
    [-61_000, '-1m1s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips through parseGoDuration', () => {
    for (const ms of [1000, 61_000, 3_600_000, 5_400_500])
      expect(parseGoDuration(formatGoDuration(ms))).toBe(ms);
  });
});
