// A stale cache never undoes a finished issuance: the controller runs behind a proxy that delivers
// its Certificate watch events seconds late, so the Secret events of a finished issuance arrive
// while its cache still shows the order in flight. A stale view may only cause a no-op or a
// conflict and a retry: no Failed condition, no revision going back, one order per revision.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { observeCertificates } from './certificate-observer.ts';
import { createTestNamespace, eventsOf, kubectl } from './kube.ts';
import { startLaggingApiserver, type LaggingApiserver } from './lagging-apiserver.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

const LAG_MS = 2500;

let ns: string;
let pebble: OwnPebble;
let proxy: LaggingApiserver;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('stale');
  pebble = await startOwnPebble({});
  proxy = await startLaggingApiserver('/certificates', LAG_MS);
  // The default failure backoff (an hour): a wrongly failed attempt stays visible.
  controller = await startController(['--kubeconfig', proxy.kubeconfigFile]);
  const [secret, issuer] = dns01Issuer('stale') as [object, { spec: { acme: Record<string, unknown> } }];
  Object.assign(issuer.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
  await apply(ns, secret, issuer);
  await kubectl('wait', '--for=condition=Ready', 'issuer/stale', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
  await proxy?.close();
  await pebble?.stop();
});

/** Orders pebble has accepted, from its log (this file's own pebble, so ours only). */
const ordersPlaced = (): number =>
  readFileSync(pebble.process.logFile, 'utf8').split('Added order').length - 1;

describe('a Certificate cache that lags the apiserver', () => {
  it('finishes each issuance once: no Failed condition, no revision going back, one order each', async () => {
    const names = ['lag-a', 'lag-b', 'lag-c'];
    const watcher = observeCertificates(ns);
    try {
      await apply(ns, ...names.map((n) => certificate(n, 'stale', [`${n}.example.test`])));
      for (const n of names)
        await kubectl('wait', '--for=condition=Ready', `certificate/${n}`, '-n', ns, '--timeout=180s');
      // Long enough for every late event of the finished issuances to be handled.
      await new Promise((r) => setTimeout(r, 4 * LAG_MS));
    } finally {
      await watcher.stop();
    }
    expect([...watcher.problems]).toEqual([]);
    for (const n of names) {
      expect(watcher.highest.get(n)).toBe(1);
      expect((await tlsSecret(ns, `${n}-tls`, pebble.issuerRootFile)).chainVerdict).toEqual({ valid: true });
      expect(await eventsOf(ns, n, { reason: 'Failed' })).toEqual([]);
    }
    expect(ordersPlaced()).toBe(names.length);
  });
});
