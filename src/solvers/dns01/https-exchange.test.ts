import { describe, expect, it } from 'vitest';
import { sendWithRetries, type Outcome, type RetryPlan, type Verdict } from './https-exchange.ts';
import { Dns01TerminalError, Dns01TransientError } from './provider.ts';

const plan = (over: Partial<RetryPlan> = {}): RetryPlan => ({
  what: 'TEST GET /x',
  attempts: 3,
  backoffMs: 1,
  retryWithoutAnswer: true,
  ...over,
});

/** A sender that plays the outcomes in order and counts the requests. */
function script(...outcomes: Outcome[]): { send: () => Promise<Outcome>; sent: () => number } {
  let n = 0;
  return { send: () => Promise.resolve(outcomes[Math.min(n++, outcomes.length - 1)]!), sent: () => n };
}

// 200 is a value; 503 is a retryable transient failure; 400 is terminal.
const judge = (status: number, text: string): Verdict<string> =>
  status === 200
    ? { value: text }
    : status === 503
      ? { kind: 'transient', message: `HTTP ${status}`, retry: true }
      : { kind: 'terminal', message: `HTTP ${status}: ${text}`, retry: false };

describe('sendWithRetries', () => {
  it('returns the first value after retryable answers', async () => {
    const s = script({ status: 503, text: '' }, { status: 200, text: 'ok' });
    await expect(sendWithRetries(plan(), s.send, judge)).resolves.toBe('ok');
    expect(s.sent()).toBe(2);
  });

  it('stops at a final verdict and names the request', async () => {
    const s = script({ status: 400, text: 'bad' });
    const error = await sendWithRetries(plan(), s.send, judge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Dns01TerminalError);
    expect((error as Error).message).toBe('TEST GET /x: HTTP 400: bad');
    expect(s.sent()).toBe(1);
  });

  it('gives up after the attempts with the last error', async () => {
    const s = script({ status: 503, text: '' });
    const error = await sendWithRetries(plan({ attempts: 3 }), s.send, judge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Dns01TransientError);
    expect(s.sent()).toBe(3);
  });

  it('never repeats a request that got no answer unless the plan allows it', async () => {
    const lost = script({ error: new Error('socket hang up') }, { status: 200, text: 'ok' });
    const error = await sendWithRetries(plan({ retryWithoutAnswer: false }), lost.send, judge).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Dns01TransientError);
    expect((error as Error).message).toBe('TEST GET /x failed: socket hang up');
    expect(lost.sent()).toBe(1);

    const again = script({ error: new Error('socket hang up') }, { status: 200, text: 'ok' });
    await expect(sendWithRetries(plan(), again.send, judge)).resolves.toBe('ok');
    expect(again.sent()).toBe(2);
  });
});
