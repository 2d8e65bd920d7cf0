// Two controller processes against the real apiserver: only the Lease holder places orders, a
// standby is hot (ready, caches synced, no controllers), killing the leader hands its pending work
// over within the lease duration, a leader whose Lease is taken exits, and SIGTERM hands over at once.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { ACME6_NAMESPACE } from './deploy-rbac.ts';
import { adminKubeConfig, createTestNamespace, kubectl } from './kube.ts';
import { endpointOf, get, sample, scrape } from './metrics-scrape.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

// controller-process.ts runs every test controller with a 6 s lease, 5 s renew deadline, 1 s retry.
const LEASE_MS = 6000;
const STANDBY = 'waiting to acquire the leader election lease';

let ns: string;
let pebble: OwnPebble;
const controllers: ManagedProcess[] = [];

const coordination = () => adminKubeConfig().makeApiClient(k8s.CoordinationV1Api);
const readLease = () =>
  coordination().readNamespacedLease({ name: 'acme6-controller', namespace: ACME6_NAMESPACE });

/** Starts a controller that must lead (`lead`) or wait as a hot standby. */
async function controller(role: 'lead' | 'standby'): Promise<ManagedProcess> {
  const proc = await startController(
    ['--failure-backoff-initial', '2s'],
    {},
    role === 'lead' ? 'controllers started' : STANDBY,
  );
  controllers.push(proc);
  if (role === 'standby') {
    // Hot: its caches have synced, so it reports ready before it leads.
    const probes = endpointOf(proc, 'serving health probes');
    await expect.poll(async () => (await get(`${probes}/readyz`)).status, { timeout: 30_000 }).toBe(200);
  }
  return proc;
}

const leads = (proc: ManagedProcess): boolean =>
  readFileSync(proc.logFile, 'utf8').includes('"msg":"controllers started"');
/** Orders pebble has accepted, from its log. */
const ordersPlaced = (): number =>
  readFileSync(pebble.process.logFile, 'utf8').split('Added order').length - 1;

beforeAll(async () => {
  ns = await createTestNamespace('ha');
  pebble = await startOwnPebble({});
});
afterAll(async () => {
  for (const c of controllers) await c.stop();
  await pebble?.stop();
});

/** The dns-01 Issuer for this file's own pebble (its log counts our orders only). */
function issuer(): object[] {
  const [secret, iss] = dns01Issuer('ha') as [object, { spec: { acme: Record<string, unknown> } }];
  Object.assign(iss.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
  return [secret, iss];
}

describe('leader election', () => {
  it('runs controllers in the leader only; a killed leader hands its pending Certificate over', async () => {
    const first = await controller('lead');
    const second = await controller('standby');
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toMatch(/_[0-9a-f]{8}$/);
    // MicroTime on the wire: six fractional digits.
    const raw = await kubectl(
      'get',
      'lease',
      'acme6-controller',
      '-n',
      ACME6_NAMESPACE,
      '-o',
      'jsonpath={.spec.renewTime}',
    );
    expect(raw).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(lease.spec?.leaseDurationSeconds).toBe(LEASE_MS / 1000);

    const standbyMetrics = await scrape(second);
    expect(sample(standbyMetrics, 'leader_election_master_status', { name: 'acme6-controller' })).toBe(0);

    await apply(ns, ...issuer());
    await kubectl('wait', '--for=condition=Ready', 'issuer/ha', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('calm', 'ha', ['calm.example.test']));
    await kubectl('wait', '--for=condition=Ready', 'certificate/calm', '-n', ns, '--timeout=120s');
    expect(ordersPlaced()).toBe(1);
    expect(leads(second)).toBe(false);
    // A standby reports no per-Certificate series, so alerts do not fire once per replica.
    expect((await scrape(second)).includes('name="calm"')).toBe(false);
    expect(
      sample(await scrape(first), 'certmanager_certificate_ready_status', {
        name: 'calm',
        condition: 'True',
      }),
    ).toBe(1);

    await apply(ns, certificate('handover', 'ha', ['handover.example.test']));
    await expect
      .poll(() => certStatus(ns, 'handover', '{.status.acme.orderURL}'), { timeout: 30_000, interval: 50 })
      .not.toBe('');
    const killedAt = Date.now();
    first.killNow();
    await expect.poll(() => leads(second), { timeout: LEASE_MS + 10_000, interval: 100 }).toBe(true);
    const takeoverMs = Date.now() - killedAt;
    console.log(`standby took over ${takeoverMs} ms after the leader was killed (lease ${LEASE_MS} ms)`);
    expect(takeoverMs).toBeLessThan(LEASE_MS + 3000);
    await kubectl('wait', '--for=condition=Ready', 'certificate/handover', '-n', ns, '--timeout=120s');
    console.log(`the pending Certificate was Ready ${Date.now() - killedAt} ms after the kill`);
    expect((await tlsSecret(ns, 'handover-tls', pebble.issuerRootFile)).chainVerdict).toEqual({
      valid: true,
    });
    // The new leader finished the order the old one placed: two Certificates, two orders, no duplicate.
    expect(ordersPlaced()).toBe(2);
    expect((await readLease()).spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  });

  it('exits when another holder takes the Lease', async () => {
    const leader = controllers.find((c) => c.running && leads(c))!;
    const lease = await readLease();
    const now = new k8s.V1MicroTime();
    await coordination().replaceNamespacedLease({
      name: 'acme6-controller',
      namespace: ACME6_NAMESPACE,
      body: {
        ...lease,
        spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: now, acquireTime: now },
      },
    });
    const exit = await Promise.race([
      leader.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
    ]);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(leader.tail()).toContain('"msg":"leader election lost"');
    // Free the Lease so the next controllers need not wait for the intruder's to run out.
    const taken = await readLease();
    await coordination().replaceNamespacedLease({
      name: 'acme6-controller',
      namespace: ACME6_NAMESPACE,
      body: { ...taken, spec: { ...taken.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
    });
  });

  it('hands the Lease over at once on SIGTERM', async () => {
    const leader = await controller('lead');
    const standby = await controller('standby');
    const stoppedAt = Date.now();
    await leader.stop();
    expect(await leader.exited).toEqual({ code: 0, signal: null });
    await expect.poll(() => leads(standby), { timeout: LEASE_MS, interval: 50 }).toBe(true);
    const handoverMs = Date.now() - stoppedAt;
    console.log(`standby took over ${handoverMs} ms after SIGTERM to the leader (lease ${LEASE_MS} ms)`);
    expect(handoverMs).toBeLessThan(LEASE_MS);
    expect((await readLease()).spec?.holderIdentity).not.toBe('');
  });
});
