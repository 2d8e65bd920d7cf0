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
import { createTestNamespace, kubectl, testbed } from './kube.ts';

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
