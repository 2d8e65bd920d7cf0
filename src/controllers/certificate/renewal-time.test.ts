import { describe, expect, it } from 'vitest';
import { renewalTime } from './renewal-time.ts';

const cert = {
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2026-04-01T00:00:00Z'),
  serial: 'ab12',
};
const now = new Date('2026-01-02T00:00:00Z');
const window = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-03-03T00:00:00Z') };

describe('renewal time', () => {
  it('renews with a third of the lifetime left without ARI', () => {
    // 90 days of lifetime: renew 30 days before notAfter.
    expect(renewalTime({}, cert, now)).toEqual({ time: new Date('2026-03-02T00:00:00Z'), rule: 'lifetime' });
  });

  it('honours renewBefore and renewBeforePercentage', () => {
    expect(renewalTime({ renewBefore: '240h' }, cert, now).time).toEqual(new Date('2026-03-22T00:00:00Z'));
    expect(renewalTime({ renewBeforePercentage: 50 }, cert, now).time).toEqual(
      new Date('2026-02-15T00:00:00Z'),
    );
  });

  it('picks a stable point inside the ARI window', () => {
    const a = renewalTime({}, cert, now, window);
    expect(a.rule).toBe('ari');
    expect(a.time >= window.start && a.time < window.end).toBe(true);
    expect(renewalTime({}, cert, now, window)).toEqual(a);
    const other = renewalTime({}, { ...cert, serial: 'cd34' }, now, window);
    expect(other.time).not.toEqual(a.time); // spread across certificates
  });

  it('lets an explicit setting renew earlier than ARI, never later', () => {
    expect(renewalTime({ renewBeforePercentage: 50 }, cert, now, window).rule).toBe('lifetime');
    expect(renewalTime({ renewBefore: '24h' }, cert, now, window).rule).toBe('ari');
  });
});
