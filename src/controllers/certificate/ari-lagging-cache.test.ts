// ARI polling asks the CA once per certificate and Retry-After, even while the cache has not yet
// caught up with the status it wrote.
import { describe, expect, it } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import type { RenewalInfoStatus } from '../../api/certificate.ts';
import type { AcmePort } from '../../acme/port.ts';
import { mintChain } from '../../acme/testing.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { AriReconciler } from './ari.ts';
import { cert, now, readyIssuer } from './issuance-testing.ts';

const silent = { info: () => undefined, warn: () => undefined } as never;

async function setup() {
  const { leaf, intermediate } = await mintChain(['web.example.test']);
  const secret: V1Secret = {
    metadata: { name: 'web-tls', namespace: 'team' },
    data: { 'tls.crt': Buffer.from(leaf.pem + intermediate.pem).toString('base64') },
  };
  const asked: string[] = [];
  const written: (RenewalInfoStatus | undefined)[] = [];
  const acme: Partial<AcmePort> = {
    getRenewalInfo: (pem) => {
      asked.push(pem);
      return Promise.resolve({
        suggestedWindow: {
          start: new Date(now.getTime() + 86_400_000),
          end: new Date(now.getTime() + 2 * 86_400_000),
        },
        retryAfter: new Date(now.getTime() + 6 * 3_600_000),
      });
    },
  };
  // The cache never shows the write: every reconcile sees the Certificate as before it.
  const certificate = cert(1);
  const reconciler = new AriReconciler({
    getCertificate: () => certificate,
    getIssuer: () => readyIssuer,
    getSecret: () => Promise.resolve(secret),
    acmeClients: { forIssuer: () => Promise.resolve(acme as AcmePort) },
    writeRenewalInfo: (_c, info) => {
      written.push(info);
      return Promise.resolve();
    },
    clock: new FakeClock(now),
    logger: silent,
    clusterResourceNamespace: 'acme6',
  });
  return { reconciler, asked, written };
}

describe('ARI polling of a certificate', () => {
  it('asks the CA once, not again for each event that comes before the cache shows the answer', async () => {
    const t = await setup();
    const first = await t.reconciler.reconcile('team/web');
    const second = await t.reconciler.reconcile('team/web');
    expect(t.asked).toHaveLength(1);
    expect(t.written).toHaveLength(1);
    expect(t.written[0]?.suggestedWindowStart).toBeDefined();
    expect(second).toEqual(first);
    expect(first.requeueAfter).toBe(6 * 3_600_000);
  });
});
