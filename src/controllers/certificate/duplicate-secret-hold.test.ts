import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { standAsideForKeeper } from './duplicate-secret-hold.ts';
import { ownedStatus, type IssuanceStatus } from './issuance-status.ts';

const cert = (name: string, status: Certificate['status'] = {}): Certificate =>
  ({
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name, namespace: 'team', uid: name, generation: 2 },
    spec: { secretName: 'web-tls', dnsNames: ['a.test'], issuerRef: { name: 'le', kind: 'Issuer' } },
    status,
  }) as unknown as Certificate;

function harness() {
  const writes: IssuanceStatus[] = [];
  const warnings: string[][] = [];
  const deps = {
    writeStatus: (_c: Certificate, s: IssuanceStatus) => Promise.resolve(void writes.push(s)),
    recorder: {
      normal: () => {},
      warning: (_r: unknown, reason: string, m: string) => void warnings.push([reason, m]),
    },
    clock: new FakeClock(new Date('2026-11-25T12:00:00Z')),
  };
  return { deps, writes, warnings };
}

describe('standAsideForKeeper', () => {
  it('says Issuing=False DuplicateSecretName once, with a Warning naming the keeper', async () => {
    const h = harness();
    const younger = cert('second');
    await standAsideForKeeper(h.deps, younger, ownedStatus(younger.status), cert('first'));
    expect(h.writes.map((w) => w.conditions?.map((c) => [c.type, c.status, c.reason]))).toEqual([
      [['Issuing', 'False', 'DuplicateSecretName']],
    ]);
    expect(h.warnings).toEqual([['DuplicateSecretName', expect.stringContaining('Certificate first')]]);

    const said = cert('second', { conditions: h.writes[0]!.conditions! });
    await standAsideForKeeper(h.deps, said, ownedStatus(said.status), cert('first'));
    expect(h.writes).toHaveLength(1);
    expect(h.warnings).toHaveLength(1);
  });

  it('keeps an order already in flight recorded, so its challenges can still be cleaned up', async () => {
    const h = harness();
    const younger = cert('second', { acme: { orderURL: 'https://ca.test/order/1' } });
    await standAsideForKeeper(h.deps, younger, ownedStatus(younger.status), cert('first'));
    expect(h.writes[0]?.acme?.orderURL).toBe('https://ca.test/order/1');
  });
});
