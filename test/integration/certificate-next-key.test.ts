// The `<name>-next-key` Secret is used only if its labels and owner say it is this Certificate's: a
// Certificate named `theft-next-key` (whose TLS Secret is `theft-next-key`) keeps its key and its
// Secret when a Certificate `theft` comes along, and `theft` says why it cannot issue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl } from './kube.ts';

let ns: string;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('nextkey');
  controller = await startController();
  await apply(ns, ...dns01Issuer('pebble'));
  await kubectl('wait', '--for=condition=Ready', 'issuer/pebble', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
});

describe("another Certificate's Secret named like a next key", () => {
  it('is neither used nor deleted', async () => {
    const victim = certificate('theft-next-key', 'pebble', ['victim.nextkey.example.test'], {
      secretName: 'theft-next-key',
    });
    await apply(ns, victim);
    await kubectl('wait', '--for=condition=Ready', 'certificate/theft-next-key', '-n', ns, '--timeout=120s');
    const before = await tlsSecret(ns, 'theft-next-key');

    await apply(ns, certificate('theft', 'pebble', ['theft.nextkey.example.test']));
    const outcome = () =>
      certStatus(
        ns,
        'theft',
        '{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Issuing")].reason}',
      );
    // Settled: issued (Ready) or given up (Failed).
    await expect.poll(outcome, { timeout: 120_000, interval: 500 }).toMatch(/^True\/|\/Failed$/);
    expect(await outcome()).toBe('False/Failed');
    expect(await certStatus(ns, 'theft', '{.status.conditions[?(@.type=="Issuing")].message}')).toContain(
      `Secret ${ns}/theft-next-key exists and is not the next key of Certificate theft`,
    );

    // Said before any order was placed.
    expect(await eventsOf(ns, 'theft', { reason: 'OrderCreated' })).toEqual([]);
    // The other Certificate's Secret is untouched and it did not have to issue again.
    const after = await tlsSecret(ns, 'theft-next-key');
    expect(after.secret.metadata?.resourceVersion).toBe(before.secret.metadata?.resourceVersion);
    expect(after.leaf.serialNumber).toBe(before.leaf.serialNumber);
    expect(await certStatus(ns, 'theft-next-key', '{.status.revision}')).toBe('1');
    expect(await kubectl('get', 'secret', 'theft-tls', '-n', ns, '--ignore-not-found', '-o', 'name')).toBe(
      '',
    );
  });
});
