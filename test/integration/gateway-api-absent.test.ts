// On an apiserver without the Gateway API CRDs (a testbed of this file's own, without Traefik), the
// controller starts, says once that the gateway-shim is off, and still issues for an annotated
// Ingress over dns-01.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import { ManagedProcess, waitUntil } from '../testbed/process.ts';
import { Testbed } from '../testbed/testbed.ts';
import { TEST_DEFAULTS } from './controller-process.ts';
import { ACME6_NAMESPACE } from './deploy-rbac.ts';

const run = promisify(execFile);
let tb: Testbed | undefined;
let controller: ManagedProcess | undefined;

async function kubectl(...args: string[]): Promise<string> {
  const info = tb!.info;
  try {
    return (await run(info.kubectl, ['--kubeconfig', info.kubeconfigFile, ...args])).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

async function apply(namespace: string, ...objects: object[]): Promise<void> {
  const file = join(tb!.info.dir, `apply-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await kubectl('apply', '-n', namespace, '-f', file);
}

beforeAll(async () => {
  tb = await Testbed.start({ gateway: false, ingress: false, podRunner: false });
}, 180_000);
afterAll(async () => {
  await controller?.stop();
  await tb?.stop();
});

describe('controller without the Gateway API', () => {
  it('starts, logs once that the gateway-shim is off, and issues for an annotated Ingress', async () => {
    const info = tb!.info;
    await expect(kubectl('get', 'crd', 'gateways.gateway.networking.k8s.io')).rejects.toThrow(/NotFound/);
    await kubectl('create', 'namespace', ACME6_NAMESPACE);
    await kubectl('create', 'namespace', 'app');
    const log = join(info.dir, 'controller.log');
    controller = new ManagedProcess(
      'acme6 controller',
      process.execPath,
      [
        join(repoRoot, 'src/cmd/acme6.ts'),
        'controller',
        '--kubeconfig',
        info.kubeconfigFile,
        ...TEST_DEFAULTS,
      ],
      log,
    );
    await waitUntil(
      'controller start',
      () => Promise.resolve(readFileSync(log, 'utf8').includes('"msg":"controllers started"')),
      {
        timeoutMs: 30_000,
        process: controller,
      },
    );
    const offLines = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('Gateway API not installed'));
    expect(offLines).toHaveLength(1);

    const dns = info.dns!;
    await apply(
      'app',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'tsig' },
        stringData: { secret: dns.tsig.secret },
      },
      {
        apiVersion: 'acme6.io/v1alpha1',
        kind: 'Issuer',
        metadata: { name: 'dns' },
        spec: {
          acme: {
            server: info.pebble!.directoryUrl,
            caBundle: readFileSync(info.pebble!.listenerCaFile).toString('base64'),
            privateKeySecretRef: { name: 'dns-account' },
            solvers: [
              {
                dns01: {
                  rfc2136: {
                    nameserver: dns.primary,
                    tsigKeyName: dns.tsig.keyName,
                    tsigAlgorithm: dns.tsig.algorithm,
                    tsigSecretSecretRef: { name: 'tsig', key: 'secret' },
                  },
                  propagation: { nameservers: [dns.primary, dns.secondary], interval: '1s', timeout: '2m' },
                },
              },
            ],
          },
        },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', annotations: { 'acme6.io/issuer': 'dns' } },
        spec: {
          tls: [{ hosts: ['web.example.test'], secretName: 'web-tls' }],
          rules: [
            {
              host: 'web.example.test',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    );
    await kubectl('wait', '--for=create', 'certificate.acme6.io/web-tls', '-n', 'app', '--timeout=60s');
    await kubectl(
      'wait',
      '--for=condition=Ready',
      'certificate.acme6.io/web-tls',
      '-n',
      'app',
      '--timeout=120s',
    );
    const secretType = await kubectl('get', 'secret', 'web-tls', '-n', 'app', '-o', 'jsonpath={.type}');
    expect(secretType).toBe('kubernetes.io/tls');
    // Still running, and no error about the missing resources since.
    expect(controller.running).toBe(true);
    expect(readFileSync(log, 'utf8')).not.toMatch(
      /gateway\.networking\.k8s\.io\/v1\/gateways.*"level":"(error|warn)"/,
    );
  });
});
