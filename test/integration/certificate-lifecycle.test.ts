// A Certificate's life beyond the first issuance: a controller killed mid-order resumes the same
// order, short-lived certificates renew by themselves with `replaces` (RFC 9773), a batch survives
// a CA that rejects half of all nonces, and failures of the CA and of DNS explain themselves.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AcmeClientAdapter } from '../../src/acme/acme-client-adapter.ts';
import { ariCertificateId } from '../../src/acme/ari.ts';
import { readCertificate } from '../../src/acme/certificate-info.ts';
import { AcmeError } from '../../src/acme/errors.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import {
  apply,
  certificate,
  certStatus,
  challengeRecords,
  dns01Issuer,
  tlsSecret,
} from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { adminKubeConfig, createTestNamespace, eventsOf, kubectl } from './kube.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

const controllerArgs = ['--failure-backoff-initial', '2s', '--failure-backoff-max', '10s', '--workers', '8'];
let ns: string;
let controller: ManagedProcess | undefined;
const pebbles: OwnPebble[] = [];

beforeAll(async () => {
  ns = await createTestNamespace('life');
  controller = await startController(controllerArgs);
});
afterAll(async () => {
  await controller?.stop();
  for (const p of pebbles) await p.stop();
});

/** dns01Issuer pointed at another pebble. */
function issuerFor(name: string, pebble: OwnPebble): object[] {
  const [secret, issuer] = dns01Issuer(name) as [object, { spec: { acme: Record<string, unknown> } }];
  Object.assign(issuer.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
  return [secret, issuer];
}

async function readyIssuer(name: string, pebble: OwnPebble): Promise<void> {
  await apply(ns, ...issuerFor(name, pebble));
  await kubectl('wait', '--for=condition=Ready', `issuer/${name}`, '-n', ns, '--timeout=60s');
}

/** An ACME client with the issuer's own account, to ask pebble about orders and replacements. */
async function accountClient(issuer: string, pebble: OwnPebble): Promise<AcmeClientAdapter> {
  const secret = await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedSecret({ namespace: ns, name: `${issuer}-account` });
  const accountUrl = await kubectl('get', 'issuer', issuer, '-n', ns, '-o', 'jsonpath={.status.acme.uri}');
  return new AcmeClientAdapter({
    directoryUrl: pebble.directoryUrl,
    accountKeyPem: Buffer.from(secret.data!['tls.key']!, 'base64').toString(),
    accountUrl,
    caBundlePem: Buffer.from(pebble.caBundleBase64, 'base64').toString(),
  });
}

const readyMessage = (name: string) =>
  certStatus(ns, name, '{.status.conditions[?(@.type=="Ready")].message}');
const waitReady = (name: string, timeout = '120s') =>
  kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, `--timeout=${timeout}`);

describe('certificate lifecycle', () => {
  it('resumes the same order after the controller is killed mid-order', async () => {
    const pebble = await startOwnPebble({});
    pebbles.push(pebble);
    await readyIssuer('resume', pebble);
    await apply(ns, certificate('resume', 'resume', ['resume.example.test']));
    // Keep the value the poll saw: a second read may already find it cleared (the order finished).
    const orderURL = await vi.waitFor(
      async () => {
        const url = await certStatus(ns, 'resume', '{.status.acme.orderURL}');
        expect(url).not.toBe('');
        return url;
      },
      { timeout: 30_000, interval: 50 },
    );
    controller!.killNow();
    controller = await startController(controllerArgs);
    await waitReady('resume');
    // The order we saw is the one that produced the Secret's certificate, and no other was placed.
    const client = await accountClient('resume', pebble);
    const order = await client.getOrder(orderURL);
    expect(order.status).toBe('valid');
    const issued = await client.downloadCertificate(order);
    expect((await tlsSecret(ns, 'resume-tls')).leaf.serialNumber).toBe(readCertificate(issued).serialNumber);
    // Every OrderCreated names the order we saw. The killed controller may die between recording
    // the order and posting its Event (Events are sent after the status write), so there may be none;
    // a second order, placed by the new controller, would name another URL.
    const created = await eventsOf(ns, 'resume', { reason: 'OrderCreated' });
    expect(created.length).toBeLessThanOrEqual(1);
    for (const event of created) expect(event.message).toContain(orderURL);
    client.close();
  });

  it('renews a short-lived certificate by itself, replacing the old one (ARI replaces)', async () => {
    const pebble = await startOwnPebble({ validitySeconds: 45 });
    pebbles.push(pebble);
    await readyIssuer('short', pebble);
    await apply(ns, certificate('short', 'short', ['short.example.test']));
    await waitReady('short');
    const first = await tlsSecret(ns, 'short-tls', pebble.issuerRootFile);
    const firstId = ariCertificateId(first.chain);
    // pebble's ARI window for a 45 s certificate spans its lifetime; renewal comes at a point in it.
    expect(await certStatus(ns, 'short', '{.status.acme.renewalInfo.suggestedWindowEnd}')).not.toBe('');
    await expect
      .poll(() => certStatus(ns, 'short', '{.status.revision}'), { timeout: 90_000, interval: 1000 })
      .toBe('2');
    await waitReady('short');
    const second = await tlsSecret(ns, 'short-tls', pebble.issuerRootFile);
    expect(second.leaf.serialNumber).not.toBe(first.leaf.serialNumber);
    expect(second.chainVerdict).toEqual({ valid: true });
    // pebble accepted our `replaces`: the first certificate cannot be replaced a second time.
    const client = await accountClient('short', pebble);
    const again = client.createOrder({
      identifiers: [{ type: 'dns', value: 'short.example.test' }],
      replaces: firstId,
    });
    await expect(again).rejects.toSatisfy(
      (e: unknown) => e instanceof AcmeError && e.problemType === 'alreadyReplaced',
    );
    client.close();
  });

  it('issues a batch of 20 while the CA rejects half of all nonces', async () => {
    const pebble = await startOwnPebble({ nonceRejectPercent: 50 });
    pebbles.push(pebble);
    await readyIssuer('flaky', pebble);
    const names = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
    await apply(ns, ...names.map((n) => certificate(n, 'flaky', [`${n}.example.test`])));
    const started = Date.now();
    for (const n of names) await waitReady(n, '240s');
    console.log(`20 certificates ready in ${Date.now() - started} ms with 50 % of nonces rejected`);
    for (const n of names) {
      expect((await tlsSecret(ns, `${n}-tls`, pebble.issuerRootFile)).chainVerdict).toEqual({ valid: true });
    }
  });

  it('says so when the DNS server is unreachable, and recovers when the issuer is fixed', async () => {
    const [secret, issuer] = dns01Issuer('nodns') as [
      object,
      { spec: { acme: { solvers: { dns01: { rfc2136: { nameserver: string } } }[] } } },
    ];
    issuer.spec.acme.solvers[0]!.dns01.rfc2136.nameserver = '127.0.0.1:9'; // nothing listens there
    await apply(ns, secret, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/nodns', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('nodns', 'nodns', ['nodns.example.test']));
    await expect.poll(() => readyMessage('nodns'), { timeout: 60_000 }).toMatch(/127\.0\.0\.1:9/);
    expect(controller!.running).toBe(true);
    await apply(ns, ...dns01Issuer('nodns'));
    await waitReady('nodns');
  });

  it('gives up after the propagation timeout, naming the server that lacks the record', async () => {
    type Dns01 = { propagation: { nameservers: string[]; timeout: string } };
    const [secret, issuer] = dns01Issuer('lagging') as [
      object,
      { spec: { acme: { solvers: { dns01: Dns01 }[] } } },
    ];
    const dns01 = issuer.spec.acme.solvers[0]!.dns01;
    dns01.propagation.nameservers.push('127.0.0.1:9'); // a "nameserver" that never answers
    dns01.propagation.timeout = '4s';
    await apply(ns, secret, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/lagging', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('lagging', 'lagging', ['lagging.example.test']));
    await expect
      .poll(() => certStatus(ns, 'lagging', '{.status.conditions[?(@.type=="Issuing")].reason}'), {
        timeout: 30_000,
      })
      .toBe('Failed');
    const message = await certStatus(ns, 'lagging', '{.status.conditions[?(@.type=="Issuing")].message}');
    expect(message).toMatch(
      /dns-01 challenge for lagging\.example\.test not visible after \d+s: .*2 of 3 nameservers.*127\.0\.0\.1:9 did not answer/,
    );
    // The attempt is cleaned up like any failure.
    await expect.poll(() => challengeRecords('lagging.example.test'), { timeout: 10_000 }).toEqual([]);
  });

  it('says so when the CA is down, and recovers when the issuer points at a working one', async () => {
    const [secret, issuer] = dns01Issuer('noca') as [object, { spec: { acme: { server: string } } }];
    issuer.spec.acme.server = 'https://127.0.0.1:9/dir';
    await apply(ns, secret, issuer);
    await apply(ns, certificate('noca', 'noca', ['noca.example.test']));
    await expect.poll(() => readyMessage('noca'), { timeout: 60_000 }).toMatch(/127\.0\.0\.1:9/);
    expect(await certStatus(ns, 'noca', '{.status.conditions[?(@.type=="Issuing")].reason}')).toBe(
      'IssuerNotReady',
    );
    await apply(ns, ...dns01Issuer('noca'));
    await waitReady('noca');
    await expect.poll(() => challengeRecords('noca.example.test'), { timeout: 10_000 }).toEqual([]);
  });

  it('reports configuration no solver can serve, without retrying hot', async () => {
    const [secret, issuer] = dns01Issuer('zoned') as [
      object,
      { spec: { acme: { solvers: Record<string, unknown>[] } } },
    ];
    issuer.spec.acme.solvers[0]!.selector = { dnsZones: ['other.test'] };
    issuer.spec.acme.solvers.push({ http01: { ingress: {} } });
    await apply(ns, secret, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/zoned', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('wild-http', 'zoned', ['*.example.test']));
    await expect
      .poll(() => certStatus(ns, 'wild-http', '{.status.conditions[?(@.type=="Issuing")].reason}'), {
        timeout: 30_000,
      })
      .toBe('NoSolver');
    expect(await certStatus(ns, 'wild-http', '{.status.conditions[?(@.type=="Issuing")].message}')).toContain(
      '*.example.test is a wildcard name, which only dns-01 can validate',
    );
    // No hot retries: one warning event, no order placed.
    await new Promise((r) => setTimeout(r, 3000));
    const describe = await kubectl('describe', 'certificate', 'wild-http', '-n', ns);
    expect(describe).toMatch(/Warning\s+BadConfig/);
    expect(describe).not.toMatch(/x[2-9] over/);
    expect(describe).not.toContain('OrderCreated');
  });
});
