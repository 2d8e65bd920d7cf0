// The controller's /metrics, /healthz and /readyz, scraped over HTTP from a real controller process:
// an issued Certificate shows its expiration and ready series, which vanish when it is deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, dns01Issuer } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, kubectl } from './kube.ts';
import { endpointOf, get, sample, scrape } from './metrics-scrape.ts';

let ns: string;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('metrics');
  controller = await startController(['--failure-backoff-initial', '2s']);
  await apply(ns, ...dns01Issuer('pebble'));
  await kubectl('wait', '--for=condition=Ready', 'issuer/pebble', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller.stop();
});

describe('controller endpoints', () => {
  it('answers /healthz and /readyz, naming each check', async () => {
    const probes = endpointOf(controller, 'serving health probes');
    const healthz = await get(`${probes}/healthz`);
    expect(healthz).toEqual({ status: 200, body: '[+]event-loop ok\nhealthz check passed\n' });
    const readyz = await get(`${probes}/readyz`);
    expect(readyz.status).toBe(200);
    expect(readyz.body).toContain('[+]informers ok');
    expect((await get(`${probes}/metrics`)).status).toBe(404);
  });

  it('shows an issued certificate in /metrics and drops its series when it is deleted', async () => {
    await apply(ns, certificate('scraped', 'pebble', ['scraped.example.test']));
    await kubectl('wait', '--for=condition=Ready', 'certificate/scraped', '-n', ns, '--timeout=120s');
    const notAfter = Date.parse(await certStatus(ns, 'scraped', '{.status.notAfter}')) / 1000;
    const renewal = Date.parse(await certStatus(ns, 'scraped', '{.status.renewalTime}')) / 1000;
    const labels = {
      name: 'scraped',
      namespace: ns,
      issuer_name: 'pebble',
      issuer_kind: 'Issuer',
      issuer_group: 'acme6.io',
    };
    const text = await scrape(controller);
    expect(sample(text, 'certmanager_certificate_expiration_timestamp_seconds', labels)).toBe(notAfter);
    expect(sample(text, 'certmanager_certificate_renewal_timestamp_seconds', labels)).toBe(renewal);
    expect(sample(text, 'certmanager_certificate_ready_status', { ...labels, condition: 'True' })).toBe(1);
    expect(sample(text, 'certmanager_certificate_ready_status', { ...labels, condition: 'False' })).toBe(0);
    const notBefore = Date.parse(await certStatus(ns, 'scraped', '{.status.notBefore}')) / 1000;
    expect(sample(text, 'certmanager_certificate_not_after_timestamp_seconds', labels)).toBe(notAfter);
    expect(sample(text, 'certmanager_certificate_not_before_timestamp_seconds', labels)).toBe(notBefore);
    const issuer = { name: 'pebble', namespace: ns };
    expect(sample(text, 'certmanager_issuer_ready_status', { ...issuer, condition: 'True' })).toBe(1);
    expect(sample(text, 'certmanager_issuer_ready_status', { ...issuer, condition: 'Unknown' })).toBe(0);
    // The ACME traffic behind it, by logical action, and the runtime's own series.
    const pebbleHost = { scheme: 'https', action: 'new_order', method: 'POST', status: '201' };
    expect(sample(text, 'certmanager_http_acme_client_request_count', pebbleHost)).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'certmanager_http_acme_client_request_duration_seconds_count', { action: 'finalize' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'controller_runtime_reconcile_total', {
        controller: 'certificate-issuance',
        result: 'success',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'workqueue_adds_total', { name: 'certificate-issuance' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'leader_election_master_status', { name: 'acme6-controller' })).toBe(1);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    await kubectl('delete', 'certificate', 'scraped', '-n', ns, '--wait=true');
    await expect
      .poll(async () => (await scrape(controller)).split('\n').filter((l) => /[{,]name="scraped"/.test(l)), {
        timeout: 10_000,
      })
      .toEqual([]);
  });
});
