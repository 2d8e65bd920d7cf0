// Scenario S3 through IIJ's older DNS Outsourcing DO-API (the emulator, which verifies request
// signatures and publishes commits into the testbed's BIND), issued by the real controller.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IijDoEmulator } from '../emulators/iij-do/server.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, challengeRecords, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, kubectl, testbed } from './kube.ts';

const SERVICE_CODE = 'do0000001';
const ACCESS_KEY = `AK${randomBytes(8).toString('hex')}`;
const SECRET_KEY = `sk-${randomBytes(16).toString('hex')}`;
let ns: string;
let emulator: IijDoEmulator;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('do');
  emulator = await IijDoEmulator.start({
    serviceCode: SERVICE_CODE,
    zones: ['example.test'],
    credentials: { [ACCESS_KEY]: SECRET_KEY },
    dns: testbed().dns!,
  });
  const caFile = join(testbed().dir, `do-ca-${ns}.pem`);
  writeFileSync(caFile, emulator.caPem);
  controller = await startController(['--failure-backoff-initial', '2s'], { NODE_EXTRA_CA_CERTS: caFile });
});
afterAll(async () => {
  await controller?.stop();
  await emulator?.close();
});

/** The key Secret and an Issuer named `name` whose dns01 solver uses the DO-API. */
function doIssuer(name: string, secretKey: string): object[] {
  const tb = testbed();
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-keys` },
      stringData: { access: ACCESS_KEY, secret: secretKey },
    },
    {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Issuer',
      metadata: { name },
      spec: {
        acme: {
          server: tb.pebble!.directoryUrl,
          caBundle: readFileSync(tb.pebble!.listenerCaFile).toString('base64'),
          privateKeySecretRef: { name: `${name}-account` },
          solvers: [
            {
              dns01: {
                iijDo: {
                  accessKeySecretRef: { name: `${name}-keys`, key: 'access' },
                  secretKeySecretRef: { name: `${name}-keys`, key: 'secret' },
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
const waitReady = (name: string) =>
  kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, '--timeout=120s');

describe('certificate over dns-01 through the IIJ DO-API (S3)', () => {
  it('issues example + wildcard, then leaves no challenge record in the API or in DNS', async () => {
    await apply(ns, ...doIssuer('do', SECRET_KEY));
    await kubectl('wait', '--for=condition=Ready', 'issuer/do', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('s3do', 'do', ['do.example.test', '*.do.example.test']));
    await waitReady('s3do');
    const tls = await tlsSecret(ns, 's3do-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect([...tls.leaf.dnsNames].sort()).toEqual(['*.do.example.test', 'do.example.test']);
    await expect
      .poll(
        () => emulator.state.published('example.test').filter((r) => r.Owner.startsWith('_acme-challenge')),
        {
          timeout: 10_000,
        },
      )
      .toEqual([]);
    await expect.poll(() => challengeRecords('do.example.test'), { timeout: 10_000 }).toEqual([]);
  });

  it('quotes the API on a wrong secret key, without a hot loop, and recovers when the Secret is fixed', async () => {
    await apply(ns, ...doIssuer('dobad', 'wrong-secret-key'));
    await kubectl('wait', '--for=condition=Ready', 'issuer/dobad', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('dobad', 'dobad', ['dobad.example.test']));
    // The emulator answers a bad signature as the service does: 401 with ErrorType AuthenticationError.
    await expect.poll(() => readyMessage('dobad'), { timeout: 60_000 }).toContain('AuthenticationError');
    const message = await readyMessage('dobad');
    expect(message).not.toContain('wrong-secret-key');
    expect(message).not.toContain(SECRET_KEY);
    const attempts = Number(
      await kubectl(
        'get',
        'certificate',
        'dobad',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.failedIssuanceAttempts}',
      ),
    );
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(3);
    await apply(ns, doIssuer('dobad', SECRET_KEY)[0]!);
    await waitReady('dobad');
  });

  it('completes through 503s', async () => {
    emulator.faults.failRequests(3, 503);
    await apply(ns, certificate('do503', 'do', ['do503.example.test']));
    await waitReady('do503');
  });
});
