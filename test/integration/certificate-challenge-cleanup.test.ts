// Challenge cleanup never asks the CA: a TXT record acme6 published is taken down from what status
// recorded, also when the CA is down by then, and a Certificate whose record cannot be removed (the
// DNS server refuses the update) stays, with a Warning, until removal succeeds. The issuer's
// self-check includes a nameserver that never answers, so the order stays pending with the record
// published at BIND and the CA never validates it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import { apply, certificate, certStatus, dns01Issuer } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

let ns: string;
let controller: ManagedProcess;
let pebble: OwnPebble | undefined;

/** Nothing listens here: the self-check never passes, so the CA is never asked to validate. */
const SILENT_NAMESERVER = '127.0.0.1:9';

/** An Issuer whose self-check waits for ever (10 min) on a silent nameserver. */
function stuckIssuer(name: string, server?: OwnPebble): object[] {
  const [secret, issuer] = dns01Issuer(name) as [
    object,
    { spec: { acme: { solvers: { dns01: { propagation: object } }[] } & Record<string, unknown> } },
  ];
  issuer.spec.acme.solvers[0]!.dns01.propagation = {
    nameservers: [testbed().dns!.primary, SILENT_NAMESERVER],
    interval: '1s',
    timeout: '10m',
  };
  if (server)
    Object.assign(issuer.spec.acme, { server: server.directoryUrl, caBundle: server.caBundleBase64 });
  return [secret, issuer];
}

/** The TXT values at BIND's primary for `_acme-challenge.<domain>`. */
const txtAtPrimary = (domain: string): Promise<string[]> =>
  digTxt(testbed().dns!.primary, `_acme-challenge.${domain}.`);

const exists = (name: string): Promise<boolean> =>
  kubectl('get', 'certificate', name, '-n', ns, '-o', 'name').then(
    () => true,
    (err: Error) => {
      if (/NotFound/.test(err.message)) return false;
      throw err;
    },
  );

/** Waits until the record is published at BIND (status recorded it before it was published). */
async function waitPublished(domain: string): Promise<string> {
  await expect.poll(() => txtAtPrimary(domain), { timeout: 60_000 }).toHaveLength(1);
  return (await txtAtPrimary(domain))[0]!;
}

beforeAll(async () => {
  ns = await createTestNamespace('cleanup');
  controller = await startController();
});
afterAll(async () => {
  await controller?.stop();
  await pebble?.stop();
});

describe('challenge cleanup from status', () => {
  it('removes the TXT record of a deleted Certificate while the CA is down', async () => {
    pebble = await startOwnPebble({});
    await apply(ns, ...stuckIssuer('gone-ca', pebble));
    await kubectl('wait', '--for=condition=Ready', 'issuer/gone-ca', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('orphan', 'gone-ca', ['orphan.example.test']));
    await waitPublished('orphan.example.test');

    await pebble.stop();
    pebble = undefined;
    await kubectl('delete', 'certificate', 'orphan', '-n', ns, '--wait=false');
    await expect.poll(() => exists('orphan'), { timeout: 60_000 }).toBe(false);
    expect(await txtAtPrimary('orphan.example.test')).toEqual([]);
    await expect
      .poll(() => digTxt(testbed().dns!.secondary, '_acme-challenge.orphan.example.test.'), {
        timeout: 10_000,
      })
      .toEqual([]);
  });

  it('keeps a Certificate whose record the DNS server refuses to remove, warns, and lets it go once removal works', async () => {
    await apply(ns, ...stuckIssuer('refusing'));
    await kubectl('wait', '--for=condition=Ready', 'issuer/refusing', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('held', 'refusing', ['held.example.test']));
    const value = await waitPublished('held.example.test');

    // A wrong TSIG secret: BIND refuses every update, so the record cannot be removed.
    const good = testbed().dns!.tsig.secret;
    const bad = Buffer.from('not the key, not the key, not it').toString('base64');
    await apply(ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'refusing-tsig' },
      stringData: { secret: bad },
    });
    await kubectl('delete', 'certificate', 'held', '-n', ns, '--wait=false');
    await expect
      .poll(async () => (await eventsOf(ns, 'held', { reason: 'CleanUpPending' })).map((e) => e.type), {
        timeout: 60_000,
      })
      .toContain('Warning');
    const [warning] = await eventsOf(ns, 'held', { reason: 'CleanUpPending' });
    expect(warning!.message).toMatch(/TXT record _acme-challenge\.held\.example\.test ".+"/);
    expect(await exists('held')).toBe(true);
    expect(await certStatus(ns, 'held', '{.metadata.finalizers}')).toContain('acme6.io/challenge-cleanup');
    expect(await txtAtPrimary('held.example.test')).toHaveLength(1);
    expect(await certStatus(ns, 'held', '{.status.presentedChallenges[*].value}')).toBe(value);

    await apply(ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'refusing-tsig' },
      stringData: { secret: good },
    });
    await expect.poll(() => exists('held'), { timeout: 120_000, interval: 1000 }).toBe(false);
    expect(await txtAtPrimary('held.example.test')).toEqual([]);
  });
});
