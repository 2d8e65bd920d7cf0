import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineKubeConfig } from './kubeconfig.ts';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** A stand-in apiserver that starts an answer and then trickles it forever. */
async function tricklingApiserver(): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"kind":"Namespace",');
    const drip = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('DeadlineKubeConfig', () => {
  it('ends an apiserver request at its deadline even while bytes keep coming', async () => {
    const kc = new DeadlineKubeConfig(500);
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: await tricklingApiserver(), skipTLSVerify: true }],
      users: [{ name: 'nobody' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'nobody' }],
      currentContext: 'fake',
    });
    const started = Date.now();
    const error = await kc
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: 'default' })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toMatch(/TimeoutError|AbortError/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('DeadlineKubeConfig connections', () => {
  it('sends request after request over kept-alive connections, not one connection each', async () => {
    let connections = 0;
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"default"}}');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const kc = new DeadlineKubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 'fake',
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'nobody' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'nobody' }],
      currentContext: 'fake',
    });
    const api = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 10; i++) {
      expect((await api.readNamespace({ name: 'default' })).metadata?.name).toBe('default');
    }
    // undici may open a second one while the first is being handed back to its pool.
    expect(connections).toBeLessThanOrEqual(2);
  });
});
