import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.ts';

const now = new Date('2026-11-25T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds relative to now', () => {
    expect(parseRetryAfter('120', now)).toEqual(new Date('2026-11-25T12:02:00Z'));
    expect(parseRetryAfter(' 0 ', now)).toEqual(now);
  });

  it('reads an HTTP-date', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 18:00:00 GMT', now)).toEqual(new Date('2026-11-25T18:00:00Z'));
  });

  it('ignores what it cannot read', () => {
    for (const header of [undefined, '', 'soon', '-5', '1.5'])
      expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
