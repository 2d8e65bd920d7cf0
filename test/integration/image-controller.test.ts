// The controller itself from the image users deploy (make image), under runc with the shipped
// Deployment's security context (uid 65532, read-only root, no capabilities, no_new_privs) and
// under its ServiceAccount (a TokenRequest token for acme6/acme6-controller, bound by the shipped
// RBAC, in a kubeconfig mounted read-only as a Secret volume would be). It issues a Certificate
// over dns-01 (RFC 2136 to the testbed's BIND) to Ready. The container shares the test's network
// namespace: the testbed's apiserver, BIND and pebble listen on the host's loopback.
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadYaml, type V1Container, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_FILES, startImageContainer } from '../testbed/image-container.ts';
import type { OciContainer } from '../testbed/oci-runtime.ts';
import { repoRoot } from '../testbed/paths.ts';
import { waitUntil } from '../testbed/process.ts';
import { apply, certificate, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { TEST_DEFAULTS } from './controller-process.ts';
import { ACME6_NAMESPACE, SERVICE_ACCOUNTS, serviceAccountKubeconfig } from './deploy-rbac.ts';
import { createTestNamespace, kubectl } from './kube.ts';

const IMAGE_UID = 65532;

/** Uid, gid and capability sets from a /proc/PID/status text. */
function credentials(status: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of status.split('\n')) {
    const m = /^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs):\s+(.*)$/.exec(line);
    if (m) fields[m[1] as string] = (m[2] as string).trim();
  }
  return fields;
}

/** The shipped controller pod (deploy/kustomize/controller.yaml's template) in namespace acme6. */
function shippedControllerPod(): V1Pod {
  const deployment = loadYaml<V1Deployment>(
    readFileSync(join(repoRoot, 'deploy/kustomize/controller.yaml'), 'utf8').split(/^---$/m)[0] as string,
  );
  const template = deployment.spec?.template;
  return {
    metadata: {
      name: `acme6-controller-${randomBytes(3).toString('hex')}`,
      namespace: ACME6_NAMESPACE,
      uid: randomBytes(8).toString('hex'),
    },
    spec: template?.spec,
  };
}

describe('the acme6 controller from the image', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acme6-image-controller-'));
  let controller: OciContainer | undefined;
  let ns: string;

  beforeAll(async () => {
    ns = await createTestNamespace('image-ctrl');

    // The token as the pod would see it: readable by the image user only, mounted read-only.
    const secrets = join(dir, 'secret');
    mkdirSync(secrets, { mode: 0o755 });
    copyFileSync(await serviceAccountKubeconfig(SERVICE_ACCOUNTS.controller), join(secrets, 'kubeconfig'));
    chownSync(join(secrets, 'kubeconfig'), IMAGE_UID, IMAGE_UID);

    const pod = shippedControllerPod();
    const shipped = pod.spec?.containers[0] as V1Container;
    // The shipped args, with the testbed's own: free loopback ports, short lease timings, debug log.
    const container: V1Container = {
      ...shipped,
      args: [
        'controller',
        '--leader-elect',
        `--kubeconfig=${CONTAINER_FILES}/kubeconfig`,
        '--log-level=debug',
        ...TEST_DEFAULTS,
      ],
    };
    controller = await startImageContainer({
      pod,
      container,
      dir,
      logFile: join(dir, 'controller.log'),
      readOnlyBinds: [{ source: secrets, destination: CONTAINER_FILES }],
    });
    const running = controller;
    await waitUntil(
      'the controller from the image to start',
      () => Promise.resolve(readFileSync(running.logFile, 'utf8').includes('"msg":"controllers started"')),
      { timeoutMs: 60_000, process: running },
    );
  }, 180_000);

  afterAll(async () => {
    await controller?.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as the image user with no capabilities, a read-only root and only the ServiceAccount token', async () => {
    const running = controller as OciContainer;
    const inside = credentials(await running.exec(['cat', '/proc/1/status']));
    expect(inside.Uid).toBe(`${IMAGE_UID}\t${IMAGE_UID}\t${IMAGE_UID}\t${IMAGE_UID}`);
    expect(inside.Gid).toBe(`${IMAGE_UID}\t${IMAGE_UID}\t${IMAGE_UID}\t${IMAGE_UID}`);
    expect(BigInt(`0x${inside.CapEff}`)).toBe(0n);
    expect(BigInt(`0x${inside.CapBnd}`)).toBe(0n);
    expect(inside.NoNewPrivs).toBe('1');
    await expect(running.exec(['touch', '/app/written'])).rejects.toThrow(/Read-only file system/);
    const kubeconfig = await running.exec(['cat', `${CONTAINER_FILES}/kubeconfig`]);
    expect(kubeconfig).toContain(`system:serviceaccount:${ACME6_NAMESPACE}:${SERVICE_ACCOUNTS.controller}`);
    expect(kubeconfig).not.toMatch(/client-key|client-certificate/);
  });

  it('issues a Certificate over dns-01 (RFC 2136) to Ready', async () => {
    const domain = `${ns}.example.test`;
    await apply(ns, ...dns01Issuer('pebble'), certificate('web', 'pebble', [domain]));
    await kubectl('wait', '--for=condition=Ready', 'issuer/pebble', '-n', ns, '--timeout=60s');
    await kubectl('wait', '--for=condition=Ready', 'certificate/web', '-n', ns, '--timeout=180s').catch(
      (err: Error) => {
        throw new Error(`${err.message}\ncontroller log:\n${(controller as OciContainer).tail(40)}`);
      },
    );
    const tls = await tlsSecret(ns, 'web-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.keyMatches).toBe(true);
    expect([...tls.leaf.dnsNames]).toEqual([domain]);
    // The issuance was the container's: its log names the Certificate.
    expect(readFileSync((controller as OciContainer).logFile, 'utf8')).toContain(`${ns}/web`);
  });
});
