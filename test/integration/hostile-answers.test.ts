// A CA that answers newOrder with a ~100 KB problem detail: the attempt is recorded as Failed with a
// truncated message and a backoff, and newOrder is not retried at workqueue speed. Before messages
// were bounded, the apiserver rejected the status write (422), the backoff was never stored and the
// controller hammered the CA.
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testbedBinaries } from '../testbed/binaries.ts';
import { startPebble, type Pebble } from '../testbed/pebble.ts';
import { createCertificateAuthority, issueCertificate } from '../testbed/pki.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { createWorkdir } from '../testbed/workdir.ts';
import { apply, certificate, certStatus, dns01Issuer } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

const HUGE_DETAIL = `order refused: ${'A'.repeat(100_000)} END-OF-DETAIL`;

let ns: string;
let dir: string;
let pebble: Pebble | undefined;
let ca: { certPem: string };
let controller: ManagedProcess | undefined;
let front: Server | undefined;
let newOrderRequests = 0;

/**
 * A CA front: serves pebble's directory with newOrder pointing here, and answers every newOrder
 * with a malformed problem whose detail is ~100 KB. Accounts and nonces stay with pebble.
 */
async function startHostileFront(authority: Awaited<ReturnType<typeof createCertificateAuthority>>) {
  const tls = await issueCertificate(authority, {
    kind: 'server',
    commonName: 'hostile-ca',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const self = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.method === 'GET' && req.url === '/dir') {
      pebbleDirectory().then(
        (dirBody) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ...dirBody, newOrder: `${self}/new-order` }));
        },
        () => res.writeHead(502).end(),
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/new-order') {
      newOrderRequests += 1;
      req.resume();
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({ type: 'urn:ietf:params:acme:error:malformed', detail: HUGE_DETAIL, status: 400 }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** pebble's directory, fetched with its listener CA. */
async function pebbleDirectory(): Promise<Record<string, unknown>> {
  return await new Promise((resolve, reject) => {
    request(pebble!.directoryUrl, { ca: ca.certPem, headers: { 'user-agent': 'acme6-test' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  ns = await createTestNamespace('hostile');
  dir = createWorkdir();
  const authority = await createCertificateAuthority('acme6 hostile CA test');
  ca = authority;
  pebble = await startPebble(testbedBinaries(), dir, authority, { dnsServer: testbed().dns!.primary });
  front = await startHostileFront(authority);
  controller = await startController();
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  front?.closeAllConnections();
  front?.close();
  await pebble?.process.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a CA with a huge problem detail', () => {
  it('records a Failed attempt with a truncated message and backs off instead of retrying newOrder', async () => {
    const [secret, issuer] = dns01Issuer('hostile') as [object, { spec: { acme: Record<string, unknown> } }];
    const port = (front!.address() as AddressInfo).port;
    Object.assign(issuer.spec.acme, {
      server: `https://127.0.0.1:${port}/dir`,
      caBundle: Buffer.from(readFileSync(pebble!.listenerCaFile)).toString('base64'),
    });
    await apply(ns, secret, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/hostile', '-n', ns, '--timeout=60s').catch(
      async (err: Error) => {
        const ready = await kubectl('get', 'issuer', 'hostile', '-n', ns, '-o', 'jsonpath={.status}');
        throw new Error(`${err.message}; issuer status: ${ready}`);
      },
    );
    await apply(ns, certificate('huge', 'hostile', ['huge.example.test']));

    const issuing = (field: string) =>
      certStatus(ns, 'huge', `{.status.conditions[?(@.type=="Issuing")].${field}}`);
    await vi.waitFor(
      async () => {
        expect({ reason: await issuing('reason'), newOrderRequests }).toMatchObject({ reason: 'Failed' });
      },
      { timeout: 60_000, interval: 500 },
    );
    const message = await issuing('message');
    expect(message.length).toBeLessThanOrEqual(4096);
    expect(message).toContain('malformed: order refused: AAAA');
    expect(message).toMatch(/\[truncated \d+ characters\]/);
    expect(message).toMatch(/next attempt at \S+ \(failure 1\)$/);
    expect(await certStatus(ns, 'huge', '{.status.failedIssuanceAttempts}')).toBe('1');
    expect(await certStatus(ns, 'huge', '{.status.nextAttemptTime}')).not.toBe('');

    // The backoff holds: no further newOrder for a while (the old code retried at workqueue speed).
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(newOrderRequests).toBe(1);

    const failed = await eventsOf(ns, 'huge', { reason: 'Failed' });
    expect(failed.length).toBeGreaterThan(0);
    for (const event of failed) expect(event.message!.length).toBeLessThanOrEqual(4096);
  });
});
