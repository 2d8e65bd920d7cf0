// Two Certificates naming one Secret: the older keeps it and issues, the younger stands aside with
// DuplicateSecretName (Ready and Issuing False, a Warning naming the older) and places no order at
// pebble until the older is gone; then it issues normally. Against this file's own pebble, whose
// log counts this file's orders only.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl } from './kube.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

let ns: string;
let controller: ManagedProcess;
let pebble: OwnPebble;

/** Orders pebble has accepted, from its log. */
const ordersPlaced = (): number =>
  readFileSync(pebble.process.logFile, 'utf8').split('Added order').length - 1;

const condition = (name: string, type: string): Promise<string> =>
  certStatus(
    ns,
    name,
    `{.status.conditions[?(@.type=="${type}")].status}/{.status.conditions[?(@.type=="${type}")].reason}`,
  );

beforeAll(async () => {
  ns = await createTestNamespace('dupsecret');
  pebble = await startOwnPebble({});
  controller = await startController();
  const [secret, issuer] = dns01Issuer('dup') as [object, { spec: { acme: Record<string, unknown> } }];
  Object.assign(issuer.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
  await apply(ns, secret, issuer);
  await kubectl('wait', '--for=condition=Ready', 'issuer/dup', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
  await pebble?.stop();
});

describe('two Certificates with one secretName', () => {
  it('lets the older keep the Secret, holds the younger without an order, and lets it issue once alone', async () => {
    const shared = { secretName: 'shared-tls' };
    await apply(ns, certificate('first', 'dup', ['first.example.test'], shared));
    // Creation times have one-second resolution: make sure "first" is the older.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await apply(ns, certificate('second', 'dup', ['second.example.test'], shared));

    await expect
      .poll(() => condition('second', 'Issuing'), { timeout: 30_000 })
      .toBe('False/DuplicateSecretName');
    await expect
      .poll(() => condition('second', 'Ready'), { timeout: 30_000 })
      .toBe('False/DuplicateSecretName');
    await kubectl('wait', '--for=condition=Ready', 'certificate/first', '-n', ns, '--timeout=120s');
    const tls = await tlsSecret(ns, 'shared-tls', pebble.issuerRootFile);
    expect(tls.leaf.dnsNames).toEqual(['first.example.test']);

    const warnings = await eventsOf(ns, 'second', { reason: 'DuplicateSecretName', kind: 'Certificate' });
    expect(warnings.map((e) => [e.type, e.message])).toEqual([
      ['Warning', expect.stringContaining('Certificate first')],
    ]);
    // Some seconds more for the younger to misbehave: still only the older's order at pebble.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(ordersPlaced()).toBe(1);
    expect(await certStatus(ns, 'second', '{.status.acme.orderURL}')).toBe('');
    expect(await condition('first', 'Ready')).toBe('True/Ready');
    expect(await eventsOf(ns, 'first', { reason: 'DuplicateSecretName' })).toEqual([]);

    await kubectl('delete', 'certificate', 'first', '-n', ns, '--timeout=60s');
    await kubectl('wait', '--for=condition=Ready', 'certificate/second', '-n', ns, '--timeout=120s');
    expect(ordersPlaced()).toBe(2);
    const issued = await tlsSecret(ns, 'shared-tls', pebble.issuerRootFile);
    expect(issued.leaf.dnsNames).toEqual(['second.example.test']);
    expect(issued.keyMatches).toBe(true);
    // Ready follows the Secret; the issuance drops its Issuing condition in its own write, after it.
    await expect
      .poll(() => certStatus(ns, 'second', '{.status.conditions[?(@.type=="Issuing")].reason}'), {
        timeout: 15_000,
      })
      .toBe('');
  });
});
