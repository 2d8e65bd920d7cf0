import { describe, expect, it } from 'vitest';
import type { Certificate } from '../api/certificate.ts';
import { formatCertificateStatus, MAX_EVENTS, type EventSummary } from './certificate-view.ts';
import type { SecretReport } from './secret-report.ts';

const now = new Date('2026-11-25T12:00:00Z');

function cert(status: Certificate['status']): Certificate {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: 'team', uid: 'u1', generation: 2 },
    spec: {
      secretName: 'web-tls',
      dnsNames: ['web.example.test', '*.web.example.test'],
      issuerRef: { name: 'le', kind: 'ClusterIssuer', group: 'acme6.io' },
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
    },
    status,
  };
}

const report: SecretReport = {
  name: 'web-tls',
  namespace: 'team',
  type: 'kubernetes.io/tls',
  chain: [
    {
      subject: 'CN=web.example.test',
      issuer: 'CN=Pebble Intermediate CA',
      serialNumber: '0a1b',
      notBefore: new Date('2026-11-20T12:00:00Z'),
      notAfter: new Date('2026-11-27T12:00:00Z'),
      dnsNames: ['web.example.test'],
      isCA: false,
      publicKey: 'ECDSA 256',
    },
  ],
  privateKey: 'ECDSA 256',
  keyMatches: true,
  problems: [],
};

describe('status certificate view', () => {
  it('shows an order in flight with each challenge and its self-check, and the backoff with a way out', () => {
    const text = formatCertificateStatus({
      certificate: cert({
        revision: 1,
        notBefore: '2026-11-20T12:00:00Z',
        notAfter: '2026-11-27T12:00:00Z',
        renewalTime: '2026-11-25T00:00:00Z',
        failedIssuanceAttempts: 2,
        lastFailureTime: '2026-11-25T11:00:00Z',
        nextAttemptTime: '2026-11-25T13:00:00Z',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'NamesMismatch',
            message: 'missing *.web.example.test',
            lastTransitionTime: '2026-11-25T11:50:00Z',
            observedGeneration: 1,
          },
        ],
        acme: {
          orderURL: 'https://ca.example.test/order/7',
          orderState: 'pending',
          orderCreatedTime: '2026-11-25T11:58:00Z',
          challenges: [
            {
              dnsName: 'web.example.test',
              wildcard: true,
              type: 'dns-01',
              state: 'pending',
              selfCheck: 'waiting for [::1]:5353: no TXT record yet',
            },
            { dnsName: 'web.example.test', type: 'dns-01', state: 'valid' },
          ],
          renewalInfo: {
            suggestedWindowStart: '2026-11-26T00:00:00Z',
            suggestedWindowEnd: '2026-11-26T06:00:00Z',
          },
        },
      }),
      secret: { kind: 'present', report },
      events: [
        {
          type: 'Normal',
          reason: 'OrderCreated',
          message: 'created ACME order',
          count: 1,
          last: new Date('2026-11-25T11:58:00Z'),
        },
      ],
      now,
    });
    expect(text).toContain('certificates.acme6.io team/web (generation 2)');
    expect(text).toMatch(/Private key: +ECDSA 256, rotation Always\n/); // the default size, spelled out
    expect(text).toContain('Ready=False  NamesMismatch  (since 10m ago) [for generation 1, spec is at 2]');
    expect(text).toContain('      missing *.web.example.test');
    expect(text).toMatch(
      /ARI window: +2026-11-26T00:00:00Z \(in 12h\)\n +to 2026-11-26T06:00:00Z \(in 18h\)/,
    );
    expect(text).toMatch(/Failed attempts: +2/);
    expect(text).toContain('(to try again now: kubectl acme6 renew web -n team)');
    expect(text).toContain('Secret web-tls: present (type kubernetes.io/tls)');
    expect(text).toMatch(/DNS names: +web\.example\.test {2}\(DIFFERENT from spec\.dnsNames\)/);
    expect(text).toMatch(/Key: +ECDSA 256, matches the certificate/);
    expect(text).toMatch(/URL: +https:\/\/ca\.example\.test\/order\/7/);
    expect(text).toContain(
      '    dns-01 *.web.example.test: pending\n      self-check:  waiting for [::1]:5353: no TXT record yet',
    );
    expect(text).toContain('    dns-01 web.example.test: valid');
    expect(text).toContain('2m ago     Normal   OrderCreated: created ACME order');
  });

  it('says plainly what is missing: conditions, Secret, order, Events', () => {
    const text = formatCertificateStatus({
      certificate: cert(undefined),
      secret: { kind: 'missing' },
      events: [],
      now,
    });
    expect(text).toContain('(none yet: the controller has not looked at this Certificate; is it running?)');
    expect(text).toMatch(/Current revision: +none issued yet/);
    expect(text).toContain('Secret web-tls: not found');
    expect(text).toContain('Order: none in flight');
    expect(text).toContain('Events: none');
    expect(text).not.toContain('Failures:');
    const unreadable = formatCertificateStatus({
      certificate: cert({}),
      secret: { kind: 'unreadable', error: 'secrets "web-tls" is forbidden' },
      events: { error: 'events is forbidden' },
      now,
    });
    expect(unreadable).toContain('Secret web-tls: could not be read: secrets "web-tls" is forbidden');
    expect(unreadable).toContain('Events: could not be read: events is forbidden');
  });

  it('keeps the challenges of a failed order and shows only the newest Events', () => {
    const events: EventSummary[] = Array.from({ length: MAX_EVENTS + 3 }, (_, i) => ({
      type: 'Warning',
      reason: `R${i}`,
      message: 'm',
      count: i === MAX_EVENTS + 2 ? 4 : 1,
      last: new Date(now.getTime() - (MAX_EVENTS + 3 - i) * 60_000),
    }));
    const text = formatCertificateStatus({
      certificate: cert({
        acme: {
          challenges: [
            { dnsName: 'web.example.test', type: 'dns-01', state: 'invalid', reason: 'incorrect TXT record' },
          ],
        },
      }),
      secret: { kind: 'missing' },
      events,
      now,
    });
    expect(text).toContain('Order: none in flight; challenges of the last failed order:');
    expect(text).toMatch(/CA says: +incorrect TXT record/);
    expect(text).toContain(`Events (newest last, ${MAX_EVENTS} of ${MAX_EVENTS + 3}):`);
    expect(text).not.toContain('R2:');
    expect(text).toContain('R12 (x4): m');
  });
});
