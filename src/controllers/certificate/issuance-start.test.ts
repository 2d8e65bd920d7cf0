// Starting an issuance: the failure backoff holds until a spec change or a manual renewal.
import { describe, expect, it } from 'vitest';
import { AcmeError } from '../../acme/errors.ts';
import type { AcmePort } from '../../acme/port.ts';
import { mintCertificate, mintChain } from '../../acme/testing.ts';
import { MANUAL_TRIGGER_REASON, withManualTrigger } from './issuance-status.ts';
import { cert, failedAt, now, setup } from './issuance-testing.ts';

describe('starting an issuance', () => {
  it('waits out the failure backoff while the spec is unchanged', async () => {
    const t = setup(cert(3, failedAt(3)), {
      createOrder: () => Promise.reject(new Error('must not order during backoff')),
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 3_600_000 });
    expect(t.writes).toEqual([]);
  });

  it('tries again at once after a spec change, which may be the fix', async () => {
    let ordered = 0;
    const t = setup(cert(4, failedAt(3)), {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => {
        ordered += 1;
        return Promise.resolve({
          url: 'https://ca.example.test/order/1',
          status: 'pending',
          identifiers: [],
          authorizations: [],
          finalize: '',
        });
      },
    });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(ordered).toBe(1);
    expect(t.writes[0]?.acme).toMatchObject({
      orderURL: 'https://ca.example.test/order/1',
      certificateRevision: 1,
    });
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      type: 'Issuing',
      status: 'True',
      reason: 'SecretMissing',
    });
  });

  it('records a placed order after a write conflict instead of placing it again', async () => {
    let ordered = 0;
    const acme: Partial<AcmePort> = {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => {
        ordered += 1;
        const url = `https://ca.example.test/order/${ordered}`;
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const t = setup(cert(1), acme, undefined, { conflicts: 2 });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(ordered).toBe(1);
    expect(t.writes.map((w) => w.acme?.orderURL)).toEqual(['https://ca.example.test/order/1']);
    expect(t.events.map((e) => e.reason)).toEqual(['OrderCreated']);
  });

  it('takes up a placed order whose record failed (apiserver away) instead of placing a second one', async () => {
    let ordered = 0;
    const acme: Partial<AcmePort> = {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => {
        ordered += 1;
        const url = `https://ca.example.test/order/${ordered}`;
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const t = setup(cert(1), acme, undefined, { unavailable: 1 });
    await expect(t.reconciler.reconcile('team/web')).rejects.toThrow();
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(ordered).toBe(1);
    // The failed attempt's own status write records no order; the retry records the first one.
    const recorded = t.writes.filter((w) => w.acme?.orderURL);
    expect(recorded.map((w) => w.acme?.orderURL)).toEqual(['https://ca.example.test/order/1']);
    expect(recorded[0]?.acme?.certificateRevision).toBe(1);
    expect(t.events.filter((e) => e.reason === 'OrderCreated')).toHaveLength(1);
  });

  it('places a new order after a failed record when the spec changed meanwhile', async () => {
    let ordered = 0;
    const acme: Partial<AcmePort> = {
      getDirectory: () =>
        Promise.resolve({ newNonce: '', newAccount: '', newOrder: '', meta: { profiles: {} } }),
      createOrder: () => {
        ordered += 1;
        const url = `https://ca.example.test/order/${ordered}`;
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const certificate = cert(1);
    const t = setup(certificate, acme, undefined, { unavailable: 1 });
    await expect(t.reconciler.reconcile('team/web')).rejects.toThrow();
    certificate.metadata.generation = 2;
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(ordered).toBe(2);
    expect(t.writes.filter((w) => w.acme?.orderURL).map((w) => w.acme?.orderURL)).toEqual([
      'https://ca.example.test/order/2',
    ]);
  });

  it('places an order at once for a manual renewal, even during the failure backoff', async () => {
    const failed = failedAt(3);
    const requested = withManualTrigger(failed, cert(3, failed), now);
    const orders: string[] = [];
    const acme: Partial<AcmePort> = {
      getDirectory: () => Promise.reject(new Error('a manual renewal names no replaced certificate')),
      createOrder: (request) => {
        orders.push(request.identifiers.map((i) => i.value).join(','));
        const url = 'https://ca.example.test/order/2';
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const t = setup(cert(3, { ...failed, ...requested }), acme);
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(orders).toEqual(['web.example.test']);
    expect(t.writes[0]?.conditions?.[0]).toMatchObject({
      type: 'Issuing',
      status: 'True',
      reason: MANUAL_TRIGGER_REASON,
    });
    expect(t.writes[0]?.acme?.orderURL).toBe('https://ca.example.test/order/2');
  });
});

describe('a renewal whose `replaces` the CA refuses', () => {
  it.each([
    ['alreadyReplaced', 'already replaced'],
    // pebble and CAs on a certificate they did not issue (a Secret from another CA, say).
    ['malformed', 'parsing ARI CertID failed: no known issuer matches the provided Authority Key Identifier'],
  ])('is ordered once more without `replaces` (%s)', async (type, detail) => {
    const { leaf } = await mintChain(['web.example.test']);
    const renewal = await mintCertificate({
      commonName: 'web.example.test',
      issuer: leaf,
      dnsNames: ['web.example.test'],
      notBefore: new Date('2026-10-01T00:00:00Z'),
      notAfter: new Date('2026-12-30T00:00:00Z'),
    });
    const secret = {
      metadata: { name: 'web-tls', namespace: 'team' },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(renewal.pem).toString('base64'),
        'tls.key': Buffer.from(renewal.keyPem).toString('base64'),
      },
    };
    const requests: (string | undefined)[] = [];
    const acme: Partial<AcmePort> = {
      getDirectory: () =>
        Promise.resolve({
          newNonce: '',
          newAccount: '',
          newOrder: '',
          renewalInfo: 'https://ca/ari',
          meta: { profiles: {} },
        }),
      createOrder: (request) => {
        requests.push(request.replaces);
        if (request.replaces) {
          return Promise.reject(
            new AcmeError(`ACME server rejected the order: ${type}`, {
              kind: 'problem',
              classification: 'terminal',
              server: 'https://ca.example.test/dir',
              operation: 'the order',
              problem: { type: `urn:ietf:params:acme:error:${type}`, detail },
            }),
          );
        }
        const url = 'https://ca.example.test/order/3';
        return Promise.resolve({ url, status: 'pending', identifiers: [], authorizations: [], finalize: '' });
      },
    };
    const due = { renewalTime: '2026-11-25T11:00:00Z' };
    const t = setup(cert(1, due), acme, undefined, { secrets: { 'web-tls': secret } });
    expect(await t.reconciler.reconcile('team/web')).toEqual({ requeueAfter: 0 });
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatch(/\./); // the ARI certificate ID: AKI.serial
    expect(requests[1]).toBeUndefined();
    expect(t.writes.at(-1)?.acme?.orderURL).toBe('https://ca.example.test/order/3');
    expect(t.writes.at(-1)?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Renewing' });
  });
});

describe('a next-key name taken by a Secret that is not ours', () => {
  it('fails the attempt before any order is placed', async () => {
    const foreign = {
      type: 'kubernetes.io/tls',
      metadata: {
        name: 'web-next-key',
        namespace: 'team',
        labels: { 'acme6.io/certificate-name': 'web-next-key' },
      },
      data: {},
    };
    let ordered = 0;
    const acme: Partial<AcmePort> = {
      createOrder: () => {
        ordered += 1;
        return Promise.reject(new Error('must not order'));
      },
    };
    const t = setup(cert(1), acme, undefined, { secrets: { 'web-next-key': foreign } });
    await t.reconciler.reconcile('team/web');
    expect(ordered).toBe(0);
    expect(t.writes.at(-1)?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(t.writes.at(-1)?.conditions?.[0]?.message).toContain(
      'Secret team/web-next-key exists and is not the next key of Certificate web',
    );
  });
});
