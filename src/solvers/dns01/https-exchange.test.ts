import { Agent, createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mintCertificate } from '../../acme/testing.ts';
import {
  exchange,
  MAX_RESPONSE_BYTES,
  sendWithRetries,
  type Outcome,
  type RetryPlan,
  type Verdict,
} from './https-exchange.ts';
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

describe('exchange', () => {
  let server: Server | undefined;
  let agent: Agent | undefined;
  afterEach(() => {
    agent?.destroy();
    server?.closeAllConnections();
    server?.close();
  });

  /** An HTTPS server on localhost with a self-signed certificate, and an agent that trusts it. */
  async function serve(handler: (res: ServerResponse) => void): Promise<string> {
    const leaf = await mintCertificate({ commonName: 'localhost', dnsNames: ['localhost'], ca: true });
    server = createServer({ cert: leaf.pem, key: leaf.keyPem }, (_req, res) => handler(res));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    agent = new Agent({ ca: leaf.pem });
    return `https://localhost:${(server.address() as AddressInfo).port}/x`;
  }

  it('gives up at the deadline even while the server keeps trickling bytes', async () => {
    const url = await serve((res) => {
      res.writeHead(200);
      const drip = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(drip));
    });
    const started = Date.now();
    const outcome = await exchange({ url, method: 'GET', agent: agent!, headers: {}, timeoutMs: 600 });
    expect(outcome).toEqual({ error: new Error('no complete answer within 600 ms') });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an answer larger than MAX_RESPONSE_BYTES', async () => {
    const url = await serve((res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(MAX_RESPONSE_BYTES + 1024, 'a'));
    });
    const outcome = await exchange({ url, method: 'GET', agent: agent!, headers: {}, timeoutMs: 10_000 });
    expect(outcome).toEqual({ error: new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`) });
  });

  it('returns a complete answer', async () => {
    const url = await serve((res) => res.end('{"ok":true}'));
    const outcome = await exchange({ url, method: 'GET', agent: agent!, headers: {}, timeoutMs: 10_000 });
    expect(outcome).toEqual({ status: 200, text: '{"ok":true}' });
  });
});

describe('sendWithRetries bounds what the API said', () => {
  it('cuts a huge error body in the message', async () => {
    const s = script({ status: 400, text: 'e'.repeat(100_000) });
    const error = await sendWithRetries(plan(), s.send, judge).catch((e: unknown) => e);
    expect((error as Error).message.length).toBeLessThanOrEqual(1100);
    expect((error as Error).message).toMatch(
      /^TEST GET \/x: HTTP 400: e+ … \[truncated \d+ characters\] … e+$/,
    );
  });
});
