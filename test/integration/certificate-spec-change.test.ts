// A spec change while an order is in flight starts over at once: the order, held pending by a
// dns-01 self-check that cannot pass, is abandoned when a name is removed or the issuerRef
// changes, its challenge records come down, and a new order for the new spec makes the
// Certificate Ready, with no Failed condition and no backoff (the controller runs with the
// default hour-long failure backoff, so a failed attempt could not recover within the test).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import {
  apply,
  certificate,
  certStatus,
  challengeRecords,
  dns01Issuer,
  tlsSecret,
} from './certificate-dns01.ts';
import { observeCertificates } from './certificate-observer.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl } from './kube.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

let ns: string;
let pebble: OwnPebble;
let controller: ManagedProcess;

interface Dns01Solver {
  selector?: { dnsNames: string[] };
  dns01: { propagation: { nameservers: string[] } };
}

/**
 * An Issuer for this file's pebble. Names in `held` get a solver whose propagation check also asks
 * a server that never answers, so their challenge stays up and unanswered, and the order pending.
 */
function issuer(name: string, held: string[] | 'all' = []): object[] {
  const [secret, iss] = dns01Issuer(name) as [
    object,
    { spec: { acme: Record<string, unknown> & { solvers: Dns01Solver[] } } },
  ];
  Object.assign(iss.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
  const working = iss.spec.acme.solvers[0]!;
  const stuck: Dns01Solver = structuredClone(working);
  stuck.dns01.propagation.nameservers.push('127.0.0.1:9');
  if (held === 'all') iss.spec.acme.solvers = [stuck];
  else if (held.length > 0) iss.spec.acme.solvers = [{ ...stuck, selector: { dnsNames: held } }, working];
  return [secret, iss];
}

/** Orders pebble has accepted, from its log (this file's own pebble, so ours only). */
const ordersPlaced = (): number =>
  readFileSync(pebble.process.logFile, 'utf8').split('Added order').length - 1;

/** Waits for Ready=True; a step backwards on the way ends the wait, and is what the failure shows. */
async function waitReady(name: string, watcher: ReturnType<typeof observeCertificates>): Promise<void> {
  const ready = () => certStatus(ns, name, '{.status.conditions[?(@.type=="Ready")].status}');
  await expect
    .poll(async () => (watcher.problems.size > 0 ? [...watcher.problems] : await ready()), {
      timeout: 90_000,
      interval: 500,
    })
    .toBe('True');
}

const orderURL = (name: string) => certStatus(ns, name, '{.status.acme.orderURL}');

beforeAll(async () => {
  ns = await createTestNamespace('respec');
  pebble = await startOwnPebble({});
  controller = await startController();
  await apply(
    ns,
    ...issuer('split', ['held.respec.example.test']),
    ...issuer('stuck', 'all'),
    ...issuer('good'),
  );
  for (const name of ['split', 'stuck', 'good'])
    await kubectl('wait', '--for=condition=Ready', `issuer/${name}`, '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
  await pebble?.stop();
});

describe('a spec change while an order is in flight', () => {
  it('removing a name abandons the order and issues for the remaining names at once', async () => {
    const names = ['keep.respec.example.test', 'held.respec.example.test'];
    const watcher = observeCertificates(ns);
    try {
      const before = ordersPlaced();
      await apply(ns, certificate('shrink', 'split', names));
      await expect.poll(() => orderURL('shrink'), { timeout: 30_000 }).not.toBe('');
      await expect.poll(() => challengeRecords(names[1]!), { timeout: 30_000 }).toHaveLength(2);
      const placed = await orderURL('shrink');

      await apply(ns, certificate('shrink', 'split', [names[0]!]));
      await waitReady('shrink', watcher);
      const tls = await tlsSecret(ns, 'shrink-tls', pebble.issuerRootFile);
      expect(tls.leaf.dnsNames).toEqual([names[0]]);
      expect(tls.chainVerdict).toEqual({ valid: true });
      await expect.poll(() => challengeRecords(names[1]!), { timeout: 10_000 }).toEqual([]);
      expect(ordersPlaced() - before).toBe(2); // the abandoned one and the one that issued
      expect(await certStatus(ns, 'shrink', '{.status.acme.orderURL}')).not.toBe(placed);
    } finally {
      await watcher.stop();
    }
    expect([...watcher.problems]).toEqual([]);
    expect(await eventsOf(ns, 'shrink', { reason: 'Failed' })).toEqual([]);
  });

  it('changing the issuerRef abandons the order and issues from the new issuer at once', async () => {
    const watcher = observeCertificates(ns);
    try {
      const before = ordersPlaced();
      await apply(ns, certificate('move', 'stuck', ['move.respec.example.test']));
      await expect.poll(() => orderURL('move'), { timeout: 30_000 }).not.toBe('');
      await expect
        .poll(() => challengeRecords('move.respec.example.test'), { timeout: 30_000 })
        .toHaveLength(2);

      await apply(ns, certificate('move', 'good', ['move.respec.example.test']));
      await waitReady('move', watcher);
      const tls = await tlsSecret(ns, 'move-tls', pebble.issuerRootFile);
      expect(tls.secret.metadata?.annotations?.['acme6.io/issuer-name']).toBe('good');
      expect(tls.chainVerdict).toEqual({ valid: true });
      expect(ordersPlaced() - before).toBe(2);
    } finally {
      await watcher.stop();
    }
    expect([...watcher.problems]).toEqual([]);
    expect(await eventsOf(ns, 'move', { reason: 'Failed' })).toEqual([]);
  });
});
