// The adapter against a scripted ACME server on loopback: the failure paths pebble cannot produce
// (rate limits, 5xx, endless badNonce, silence) and what each becomes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import { AcmeClientAdapter, type AcmeClientOptions } from './acme-client-adapter.ts';
import { AcmeError } from './errors.ts';
import { generatePrivateKey } from './keys.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Recorded {
  method: string;
  path: string;
  nonce?: string;
}

/** A minimal ACME server: a directory, nonces, and a scripted answer for newOrder. */
class ScriptedAcmeServer {
  readonly requests: Recorded[] = [];
  newOrder: Handler = (_req, res) => problem(res, 500, 'serverInternal', 'not scripted');
  renewalInfo = true;
  private nonce = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = req.url ?? '';
    const recorded: Recorded = { method: req.method ?? '', path };
    if (body) {
      const header = JSON.parse(
        Buffer.from((JSON.parse(body) as { protected: string }).protected, 'base64url').toString(),
      ) as {
        nonce?: string;
      };
      if (header.nonce) recorded.nonce = header.nonce;
    }
    this.requests.push(recorded);
    res.setHeader('Replay-Nonce', `nonce-${++this.nonce}`);
    if (path === '/dir') {
      const directory: Record<string, string> = {
        newNonce: `${this.url}/nonce`,
        newAccount: `${this.url}/account`,
        newOrder: `${this.url}/order`,
      };
      if (this.renewalInfo) directory.renewalInfo = `${this.url}/ari/`;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(directory));
    } else if (path === '/nonce') {
      res.end();
    } else if (path === '/order') {
      this.newOrder(req, res, body);
    } else {
      problem(res, 404, 'malformed', 'no such resource');
    }
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }
}

function problem(
  res: ServerResponse,
  status: number,
  type: string,
  detail: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'Content-Type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${type}`, detail, status }));
}

const now = new Date('2026-11-25T12:00:00Z');
let server: ScriptedAcmeServer;
let clock: FakeClock;
let accountKeyPem: string;
const adapters: AcmeClientAdapter[] = [];

function adapter(options: Partial<AcmeClientOptions> = {}): AcmeClientAdapter {
  const created = new AcmeClientAdapter({
    directoryUrl: `${server.url}/dir`,
    accountKeyPem,
    accountUrl: `${server.url}/account/1`,
    clock,
    ...options,
  });
  adapters.push(created);
  return created;
}

async function orderError(options: Partial<AcmeClientOptions> = {}): Promise<AcmeError> {
  const error = await adapter(options)
    .createOrder({ identifiers: [{ type: 'dns', value: 'acme6.test' }] })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AcmeError);
  return error as AcmeError;
}

beforeEach(async () => {
  server = new ScriptedAcmeServer();
  await server.start();
  clock = new FakeClock(now);
  accountKeyPem ??= await generatePrivateKey({ algorithm: 'ECDSA' });
});

afterEach(async () => {
  for (const a of adapters.splice(0)) a.close();
  await server.stop();
});

describe('AcmeClientAdapter failures', () => {
  it('reports a rate limit once, as transient with its Retry-After, without retrying on its own', async () => {
    server.newOrder = (_req, res) =>
      problem(res, 429, 'rateLimited', 'too many new orders recently', { 'Retry-After': '3600' });
    const error = await orderError();
    expect(error).toMatchObject({
      kind: 'problem',
      classification: 'transient',
      problemType: 'rateLimited',
      httpStatus: 429,
      retryAfter: new Date('2026-11-25T13:00:00Z'),
    });
    expect(error.message).toBe(
      `ACME server ${server.url}/dir rejected the order: rateLimited: too many new orders recently; ` +
        'retry after 2026-11-25T13:00:00.000Z',
    );
    expect(server.count('/order')).toBe(1);
  });

  it('reports a 5xx without a problem document once, as transient', async () => {
    server.newOrder = (_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/html' });
      res.end('<html>maintenance</html>');
    };
    const error = await orderError();
    expect(error).toMatchObject({ classification: 'transient', httpStatus: 503, problem: undefined });
    expect(error.message).toBe(`ACME server ${server.url}/dir rejected the order: HTTP 503`);
    expect(server.count('/order')).toBe(1);
  });

  it('retries badNonce a bounded number of times, each with a fresh nonce, then gives up transiently', async () => {
    server.newOrder = (_req, res) => problem(res, 400, 'badNonce', 'JWS has an invalid anti-replay nonce');
    const error = await orderError({ maxBadNonceRetries: 3 });
    expect(error).toMatchObject({ classification: 'transient', problemType: 'badNonce' });
    const nonces = server.requests.filter((r) => r.path === '/order').map((r) => r.nonce);
    expect(nonces).toHaveLength(4);
    expect(new Set(nonces).size).toBe(4);
  });

  it('signs each request with the Replay-Nonce of the previous answer, fetching a fresh one only once', async () => {
    server.newOrder = (_req, res) => problem(res, 403, 'rejectedIdentifier', 'not this name');
    const client = adapter();
    for (let i = 0; i < 3; i++) {
      await client
        .createOrder({ identifiers: [{ type: 'dns', value: 'acme6.test' }] })
        .catch(() => undefined);
    }
    expect(server.count('/nonce')).toBe(1);
    const nonces = server.requests.filter((r) => r.path === '/order').map((r) => r.nonce);
    expect(nonces).toHaveLength(3);
    expect(new Set(nonces).size).toBe(3);
  });

  it('gives up on a silent server at the deadline, transiently', async () => {
    server.newOrder = () => {
      // Never answers.
    };
    const error = await orderError({ timeoutMs: 200 });
    expect(error).toMatchObject({ kind: 'timeout', classification: 'transient' });
    expect(error.message).toBe(
      `ACME server ${server.url}/dir did not answer the order: no answer within 0.2 s`,
    );
  });

  it('reports an unreachable server as transient', async () => {
    const url = server.url;
    await server.stop();
    const error = await adapter({ directoryUrl: `${url}/dir` })
      .getDirectory()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network', classification: 'transient' });
    expect((error as Error).message).toMatch(
      new RegExp(`^ACME server ${url}/dir could not be reached for the directory request: .*ECONNREFUSED`),
    );
  });

  it('reports an answer that is not an ACME order as an invalid response', async () => {
    server.newOrder = (_req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json', Location: `${server.url}/order/1` });
      res.end(JSON.stringify({ status: 'pending' }));
    };
    const error = await orderError();
    expect(error).toMatchObject({ kind: 'invalid-response', classification: 'transient' });
    expect(error.message).toContain('sent an invalid answer to the order: expected an ACME order');
  });
});

describe('AcmeClientAdapter directory', () => {
  it('caches the directory for an hour of the injected clock', async () => {
    const acme = adapter();
    await acme.getDirectory();
    await acme.getDirectory();
    expect(server.count('/dir')).toBe(1);
    clock.advance(61 * 60_000);
    await acme.getDirectory();
    expect(server.count('/dir')).toBe(2);
  });

  it('answers undefined renewal information when the CA offers no ARI', async () => {
    server.renewalInfo = false;
    expect(await adapter().getRenewalInfo('not even read')).toBeUndefined();
  });
});

describe('AcmeClientAdapter construction', () => {
  it('refuses an account key acme-client cannot sign with', async () => {
    const ed25519 = await generatePrivateKey({ algorithm: 'Ed25519' });
    expect(() => adapter({ accountKeyPem: ed25519 })).toThrow(/must be RSA or ECDSA/);
  });
});
