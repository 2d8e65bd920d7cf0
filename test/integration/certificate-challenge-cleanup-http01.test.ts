// http-01 cleanup never asks the CA: the solver Pod, Service and Ingress of a pending order go when
// its Certificate is deleted while the CA is down. The host has no address in DNS, so the
// self-check never passes and the order stays pending with its solver objects in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate } from './certificate-dns01.ts';
import { http01Issuer, solverObjects, startHttp01Controller } from './http01-fixtures.ts';
import { createTestNamespace, kubectl } from './kube.ts';
import { startOwnPebble, type OwnPebble } from './own-pebble.ts';

let ns: string;
let controller: ManagedProcess;
let pebble: OwnPebble | undefined;

beforeAll(async () => {
  ns = await createTestNamespace('cleanup-h1');
  controller = await startHttp01Controller();
});
afterAll(async () => {
  await controller?.stop();
  await pebble?.stop();
});

const exists = (name: string): Promise<boolean> =>
  kubectl('get', 'certificate', name, '-n', ns, '-o', 'name').then(
    () => true,
    (err: Error) => {
      if (/NotFound/.test(err.message)) return false;
      throw err;
    },
  );

describe('http-01 challenge cleanup from status', () => {
  it('removes the solver Pod, Service and Ingress of a deleted Certificate while the CA is down', async () => {
    pebble = await startOwnPebble({});
    const issuer = http01Issuer('web', 'traefik', { timeout: '10m' }) as {
      spec: { acme: Record<string, unknown> };
    };
    Object.assign(issuer.spec.acme, { server: pebble.directoryUrl, caBundle: pebble.caBundleBase64 });
    await apply(ns, issuer);
    await kubectl('wait', '--for=condition=Ready', 'issuer/web', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('unrouted', 'web', ['unrouted.example.test']));
    await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toHaveLength(3);

    await pebble.stop();
    pebble = undefined;
    await kubectl('delete', 'certificate', 'unrouted', '-n', ns, '--wait=false');
    await expect.poll(() => exists('unrouted'), { timeout: 60_000 }).toBe(false);
    await expect.poll(() => solverObjects(ns), { timeout: 30_000 }).toEqual([]);
  });
});
