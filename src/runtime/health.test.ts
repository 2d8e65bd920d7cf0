import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthChecks, parseBindAddress, serveHttp, type HttpEndpoint } from './health.ts';

describe('parseBindAddress', () => {
  it.each([
    [':9402', { port: 9402 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9403', { host: '::1', port: 9403 }],
    ['0', 'disabled'],
  ])('reads %s', (value, expected) => {
    expect(parseBindAddress(value)).toEqual(expected);
  });

  it.each(['9402', 'localhost', ':99999', '::1:9402', ''])('rejects %j with the accepted forms', (value) => {
    expect(parseBindAddress(value)).toEqual({
      error: expect.stringContaining('HOST:PORT, :PORT, [IPv6]:PORT or 0') as string,
    });
  });
});

describe('HealthChecks over HTTP', () => {
  let endpoint: HttpEndpoint | undefined;
  const checks: HealthChecks[] = [];
  afterEach(async () => {
    await endpoint?.close();
    for (const c of checks.splice(0)) c.stop();
  });

  async function serve(): Promise<{
    health: HealthChecks;
    get: (path: string) => Promise<[number, string]>;
  }> {
    const health = new HealthChecks();
    checks.push(health);
    endpoint = await serveHttp({ host: '127.0.0.1', port: 0 }, (req: IncomingMessage, res: ServerResponse) =>
      health.handle(req, res),
    );
    const url = endpoint.url;
    return {
      health,
      get: async (path) => {
        const response = await fetch(`${url}${path}`);
        return [response.status, await response.text()];
      },
    };
  }

  it('is live while the loop runs, and ready only once every readiness check passes', async () => {
    const { health, get } = await serve();
    let synced = false;
    health.addReadinessCheck('informers', () =>
      synced ? undefined : 'the informer caches have not synced yet',
    );
    expect(await get('/healthz')).toEqual([200, '[+]event-loop ok\nhealthz check passed\n']);
    expect(await get('/readyz')).toEqual([
      500,
      '[+]shutdown ok\n[-]informers failed: the informer caches have not synced yet\nreadyz check failed\n',
    ]);
    synced = true;
    expect(await get('/readyz')).toEqual([200, '[+]shutdown ok\n[+]informers ok\nreadyz check passed\n']);
    health.markShuttingDown();
    expect((await get('/readyz'))[0]).toBe(500);
    expect((await get('/healthz'))[0]).toBe(200); // shutting down is not dead
    expect((await get('/nothing'))[0]).toBe(404);
  });

  it('reports a check that throws as failed instead of crashing', async () => {
    const { health, get } = await serve();
    health.addReadinessCheck('broken', () => {
      throw new Error('boom');
    });
    expect(await get('/readyz')).toEqual([
      500,
      '[+]shutdown ok\n[-]broken failed: boom\nreadyz check failed\n',
    ]);
  });
});
