import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../runtime/logger.ts';
import { KubeEventRecorder } from './events.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A stand-in apiserver that records the Events created through it. */
async function fakeApiserver(): Promise<{ config: KubeConfig; created: { message: string }[] }> {
  const created: { message: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const event = JSON.parse(body) as { message: string };
      created.push(event);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...event, metadata: { name: 'web.1', namespace: 'default' } }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const config = new KubeConfig();
  config.loadFromOptions({
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
  return { config, created };
}

describe('KubeEventRecorder', () => {
  it('cuts a huge message (a CA quoting 100 KB) before it is written', async () => {
    const { config, created } = await fakeApiserver();
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (o: unknown) => warnings.push(o) };
    const recorder = new KubeEventRecorder(config, { component: 'acme6-test', logger: logger });
    const ref = { apiVersion: 'acme6.io/v1alpha1', kind: 'Certificate', name: 'web', namespace: 'default' };
    recorder.warning(ref, 'Failed', `malformed: ${'y'.repeat(100_000)} end`);
    await recorder.flush();
    expect(warnings).toEqual([]);
    expect(created).toHaveLength(1);
    expect(created[0]!.message.length).toBeLessThanOrEqual(4096);
    expect(created[0]!.message).toMatch(/^malformed: y+ … \[truncated \d+ characters\] … y+ end$/);
  });
});
