import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { RenewalInfoStatus } from '../../api/certificate.ts';
import { AcmeError } from '../../acme/errors.ts';
import type { AcmePort } from '../../acme/port.ts';
import { mintCertificate } from '../../acme/testing.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { AriReconciler, RETRY_ON_ERROR_MS, RETRY_WHEN_REFUSED_MS } from './ari.ts';
import { cert, now, readyIssuer, tlsSecretOf } from './issuance-testing.ts';

const HOUR_MS = 3600_000;

async function tlsSecret(name: string, serialNumber = '01'): Promise<V1Secret> {
  return tlsSecretOf(await mintCertificate({ commonName: name, dnsNames: [name], serialNumber }));
}

/** An AriReconciler whose CA answers every renewalInfo request with `answer`; counts the requests. */
function setup(secret: { current: V1Secret }, answer: () => Promise<never>) {
  const clock = new FakeClock(now);
  let requests = 0;
  const written: (RenewalInfoStatus | undefined)[] = [];
  const acme: Partial<AcmePort> = {
    getRenewalInfo: () => {
      requests++;
      return answer();
    },
  };
  const reconciler = new AriReconciler({
    getCertificate: () => cert(1),
    getIssuer: () => readyIssuer,
    getSecret: () => Promise.resolve(secret.current),
    acmeClients: { forIssuer: () => Promise.resolve(acme as AcmePort) },
    writeRenewalInfo: (_c, info) => {
      written.push(info);
      return Promise.resolve();
    },
    clock,
    logger: silentLogger,
    clusterResourceNamespace: 'acme6-system',
  });
  return { reconciler, clock, written, requests: () => requests };
}

const problem = (type: string, classification: 'terminal' | 'transient'): AcmeError =>
  new AcmeError(`ACME server rejected the renewal information request: ${type}`, {
    kind: 'problem',
    classification,
    server: 'https://ca.example.test/dir',
    operation: 'the renewal information request',
    problem: { type: `urn:ietf:params:acme:error:${type}`, detail: 'no known issuer matches the AKI' },
  });

describe('AriReconciler when the CA refuses or fails', () => {
  it('waits hours, not minutes, after a `malformed` for a certificate the CA did not issue, and does not ask again on every event', async () => {
    const secret = { current: await tlsSecret('web.example.test') };
    const t = setup(secret, () => Promise.reject(problem('malformed', 'terminal')));
    const first = await t.reconciler.reconcile('team/web');
    expect(first.requeueAfter).toBe(RETRY_WHEN_REFUSED_MS);
    expect(RETRY_WHEN_REFUSED_MS).toBeGreaterThanOrEqual(6 * HOUR_MS);
    // The Certificate changes (readiness writes its status): enqueued again, the CA is not asked.
    t.clock.advance(5 * 60_000);
    const again = await t.reconciler.reconcile('team/web');
    expect(t.requests()).toBe(1);
    expect(again.requeueAfter).toBe(RETRY_WHEN_REFUSED_MS - 5 * 60_000);
    expect(t.written).toEqual([]);
    // Once the wait is over, it asks again.
    t.clock.advance(RETRY_WHEN_REFUSED_MS);
    await t.reconciler.reconcile('team/web');
    expect(t.requests()).toBe(2);
  });

  it('asks at once for a new certificate in the Secret, however long the old one was refused', async () => {
    const secret = { current: await tlsSecret('web.example.test') };
    const t = setup(secret, () => Promise.reject(problem('malformed', 'terminal')));
    await t.reconciler.reconcile('team/web');
    secret.current = await tlsSecret('web.example.test', '02');
    await t.reconciler.reconcile('team/web');
    expect(t.requests()).toBe(2);
  });

  it('tries again within the hour after a failure that may pass (a 5xx)', async () => {
    const secret = { current: await tlsSecret('web.example.test') };
    const t = setup(secret, () => Promise.reject(problem('serverInternal', 'transient')));
    expect((await t.reconciler.reconcile('team/web')).requeueAfter).toBe(RETRY_ON_ERROR_MS);
    t.clock.advance(RETRY_ON_ERROR_MS);
    await t.reconciler.reconcile('team/web');
    expect(t.requests()).toBe(2);
  });
});
