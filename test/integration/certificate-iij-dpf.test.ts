// Scenario S3: a wildcard and its apex in one certificate, through IIJ's DNS Platform Service API
// (the emulator, which publishes commits into the testbed's BIND), issued by the real controller.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { IijDpfEmulator } from '../emulators/iij-dpf/server.ts';
import { apply, certificate, challengeRecords, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

const TOKEN = `tok-${randomBytes(16).toString('hex')}`;
const SERVICE_CODE = 'dpm12345678';
let ns: string;
let emulator: IijDpfEmulator;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('dpf');
  emulator = await IijDpfEmulator.start({
    zones: [{ name: 'example.test.', serviceCode: SERVICE_CODE }],
    tokens: { [TOKEN]: 'SA0000001' },
    dns: testbed().dns!,
  });
  // The emulator's TLS certificate is trusted the way a private CA would be: NODE_EXTRA_CA_CERTS.
  const caFile = join(testbed().dir, `dpf-ca-${ns}.pem`);
  writeFileSync(caFile, emulator.caPem);
  controller = await startController(['--failure-backoff-initial', '2s'], { NODE_EXTRA_CA_CERTS: caFile });
});
afterAll(async () => {
  await controller?.stop();
  await emulator?.close();
});

function dpfIssuer(token: string): object[] {
  const tb = testbed();
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dpf-token' }, stringData: { token } },
    {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Issuer',
      metadata: { name: 'dpf' },
      spec: {
        acme: {
          server: tb.pebble!.directoryUrl,
          caBundle: readFileSync(tb.pebble!.listenerCaFile).toString('base64'),
          privateKeySecretRef: { name: 'dpf-account' },
          solvers: [
            {
              dns01: {
                iijDpf: {
                  tokenSecretRef: { name: 'dpf-token', key: 'token' },
                  serviceCode: SERVICE_CODE,
                  endpoint: emulator.endpoint,
                },
                propagation: {
                  nameservers: [tb.dns!.primary, tb.dns!.secondary],
                  interval: '1s',
                  timeout: '2m',
                },
              },
            },
          ],
        },
      },
    },
  ];
}

describe('certificate over dns-01 through IIJ DPF (S3)', () => {
  it('issues example + wildcard, then leaves no challenge record in the API or in DNS', async () => {
    await apply(ns, ...dpfIssuer(TOKEN));
    await kubectl('wait', '--for=condition=Ready', 'issuer/dpf', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('s3', 'dpf', ['dpf.example.test', '*.dpf.example.test']));
    await kubectl('wait', '--for=condition=Ready', 'certificate/s3', '-n', ns, '--timeout=120s');
    const tls = await tlsSecret(ns, 's3-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect([...tls.leaf.dnsNames].sort()).toEqual(['*.dpf.example.test', 'dpf.example.test']);
    const zone = [...emulator.state.zones.values()].find((z) => z.zone.name === 'example.test.')!;
    await expect
      .poll(() => zone.published.filter((r) => r.name.startsWith('_acme-challenge.')).map((r) => r.name), {
        timeout: 10_000,
      })
      .toEqual([]);
    await expect.poll(() => challengeRecords('dpf.example.test'), { timeout: 10_000 }).toEqual([]);
  });
});

describe('IIJ DPF failures seen through the Certificate', () => {
  const waitReady = (name: string) =>
    kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, '--timeout=120s');
  // Ready flips when the Secret is written; the issuance then cleans up (a commit) and only then
  // records the revision. Faults injected before that would hit the cleanup instead.
  const settled = (name: string) =>
    expect
      .poll(() => kubectl('get', 'certificate', name, '-n', ns, '-o', 'jsonpath={.status.revision}'), {
        timeout: 30_000,
      })
      .toBe('1');
  const readyMessage = (name: string) =>
    kubectl(
      'get',
      'certificate',
      name,
      '-n',
      ns,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].message}',
    );

  it('quotes the API on a wrong token, without a hot loop, and recovers when the Secret is fixed', async () => {
    const [, issuer] = dpfIssuer(TOKEN) as [
      object,
      { metadata: { name: string }; spec: { acme: Record<string, unknown> } },
    ];
    issuer.metadata.name = 'dpf-bad';
    const solvers = issuer.spec.acme.solvers as { dns01: { iijDpf: { tokenSecretRef: { name: string } } } }[];
    solvers[0]!.dns01.iijDpf.tokenSecretRef.name = 'dpf-bad-token';
    issuer.spec.acme.privateKeySecretRef = { name: 'dpf-bad-account' };
    const badToken = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'dpf-bad-token' },
      stringData: { token: 'not-a-token' },
    };
    await apply(ns, badToken, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/dpf-bad', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('badtoken', 'dpf-bad', ['badtoken.example.test']));
    await expect
      .poll(() => readyMessage('badtoken'), { timeout: 60_000 })
      .toMatch(/invalid\/access_token|access_token/);
    expect(await readyMessage('badtoken')).not.toContain('not-a-token');
    const attempts = Number(
      await kubectl(
        'get',
        'certificate',
        'badtoken',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.failedIssuanceAttempts}',
      ),
    );
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(3);
    expect(controller.running).toBe(true);
    await apply(ns, { ...badToken, stringData: { token: TOKEN } });
    await waitReady('badtoken');
  });

  it('completes through 503s, and through a failed job, saying so', async () => {
    emulator.faults.failRequests(3, 503);
    await apply(ns, certificate('flaky503', 'dpf', ['flaky503.example.test']));
    await waitReady('flaky503');
    await settled('flaky503');

    emulator.faults.failJobs(1);
    await apply(ns, certificate('failedjob', 'dpf', ['failedjob.example.test']));
    await waitReady('failedjob');
    const retries = await eventsOf(ns, 'failedjob', { reason: 'Retrying' });
    expect(retries.map((e) => e.message).join('\n')).toMatch(/FAILED/);
  });

  it("does not publish someone else's pending edit, explains the wait, and goes on once it is gone", async () => {
    await settled('failedjob');
    const zone = emulator.state.zoneByName('example.test.')!;
    const foreign = {
      id: 'rForeignEdit42',
      name: 'www.example.test.',
      ttl: 300,
      rrtype: 'A',
      rdata: [{ value: '192.0.2.42' }],
      labels: {},
      state: 1,
      description: 'half-finished',
      operator: 'SA0000002',
    };
    zone.editing.push(foreign);
    await apply(ns, certificate('foreign', 'dpf', ['foreign.example.test']));
    await expect
      .poll(() => readyMessage('foreign'), { timeout: 60_000 })
      .toContain("pending edit(s) that are not acme6's");
    expect(zone.published.find((row) => row.id === foreign.id)).toBeUndefined();
    zone.editing = zone.editing.filter((row) => row.id !== foreign.id); // its owner discards it
    await waitReady('foreign');
    expect(zone.published.find((row) => row.id === foreign.id)).toBeUndefined();
  });
});
