import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { certificate, type Certificate } from '../api/certificate.ts';
import { ISSUANCE_FIELD_MANAGER, manualTrigger } from '../controllers/certificate/issuance-status.ts';
import { planRenewal, requestRenewal, type RenewalTarget } from './renew.ts';

const now = new Date('2026-11-25T12:00:00Z');

function cert(status: Certificate['status'] = {}, resourceVersion = '10'): Certificate {
  const metadata = { name: 'web', namespace: 'team', uid: 'u1', generation: 2, resourceVersion };
  const spec = { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'le' } };
  return certificate.parse({ apiVersion: 'acme6.io/v1alpha1', kind: 'Certificate', metadata, spec, status });
}

const backedOff: Certificate['status'] = {
  revision: 1,
  failedIssuanceAttempts: 3,
  nextAttemptTime: '2026-11-25T16:00:00Z',
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: '',
      lastTransitionTime: '2026-11-20T00:00:00Z',
    },
    {
      type: 'Issuing',
      status: 'False',
      reason: 'Failed',
      message: 'BADSIG',
      lastTransitionTime: '2026-11-25T08:00:00Z',
      observedGeneration: 2,
    },
  ],
  acme: { renewalInfo: { suggestedWindowStart: '2026-12-01T00:00:00Z' } },
};

describe('renew', () => {
  it("asks for a renewal in the issuance's own status, keeping the fields the issuance owns", () => {
    const plan = planRenewal(cert(backedOff), now);
    if (plan.action !== 'request') throw new Error(`expected a request, got: ${plan.why}`);
    expect(manualTrigger(plan.status)).toBeDefined();
    // Not the Ready condition nor the ARI data: those belong to other field managers.
    expect(plan.status.conditions?.map((c) => c.type)).toEqual(['Issuing']);
    expect(plan.status).toMatchObject({
      revision: 1,
      failedIssuanceAttempts: 3,
      nextAttemptTime: '2026-11-25T16:00:00Z',
    });
    expect(plan.status.acme).toBeUndefined();
  });

  it('leaves an order in flight, a request not yet acted on, and a deleted Certificate alone', () => {
    const inFlight = cert({ acme: { orderURL: 'https://ca.example.test/order/9' } });
    expect(planRenewal(inFlight, now)).toEqual({
      action: 'skip',
      why: 'it is being issued already (order https://ca.example.test/order/9)',
    });
    const requested = planRenewal(cert(backedOff), now);
    if (requested.action !== 'request') throw new Error('expected a request');
    expect(planRenewal(cert(requested.status as Certificate['status']), now)).toMatchObject({
      action: 'skip',
    });
    const deleting = cert();
    deleting.metadata.deletionTimestamp = '2026-11-25T11:00:00Z';
    expect(planRenewal(deleting, now)).toEqual({ action: 'skip', why: 'it is being deleted' });
  });

  it('writes on the version it read, and reads again when that version lost a race', async () => {
    const versions = ['10', '11'];
    const writes: { manager: string; version: string }[] = [];
    const target: RenewalTarget = {
      get: () => Promise.resolve(cert(backedOff, versions.shift() ?? '12')),
      applyStatus: (_n, _ns, _s, manager, version) => {
        writes.push({ manager, version });
        return version === '10'
          ? Promise.reject(new ApiException(409, 'Conflict', {}, {}))
          : Promise.resolve();
      },
    };
    expect(await requestRenewal(target, 'web', 'team', () => now)).toEqual({
      ok: true,
      line: 'certificates.acme6.io team/web: renewal requested',
    });
    expect(writes).toEqual([
      { manager: ISSUANCE_FIELD_MANAGER, version: '10' },
      { manager: ISSUANCE_FIELD_MANAGER, version: '11' },
    ]);
  });

  it('reports a missing Certificate and passes other errors on', async () => {
    const missing: RenewalTarget = {
      get: () => Promise.resolve(undefined),
      applyStatus: () => Promise.resolve(),
    };
    expect(await requestRenewal(missing, 'nope', 'team', () => now)).toEqual({
      ok: false,
      line: 'certificates.acme6.io team/nope: not found',
    });
    const forbidden: RenewalTarget = {
      get: () => Promise.resolve(cert()),
      applyStatus: () => Promise.reject(new ApiException(403, 'Forbidden', {}, {})),
    };
    await expect(requestRenewal(forbidden, 'web', 'team', () => now)).rejects.toMatchObject({ code: 403 });
  });
});
