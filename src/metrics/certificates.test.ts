import { afterEach, describe, expect, it } from 'vitest';
import type { Certificate } from '../api/certificate.ts';
import { setCertificateSource } from './certificates.ts';
import { registry } from './registry.ts';

function cert(name: string, status: Certificate['status'] = {}): Certificate {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name, namespace: 'shop' },
    spec: {
      secretName: `${name}-tls`,
      dnsNames: [`${name}.example.test`],
      issuerRef: { name: 'le', kind: 'ClusterIssuer', group: 'acme6.io' },
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
    },
    status,
  };
}

const lines = async (prefix: string): Promise<string[]> =>
  (await registry.metrics()).split('\n').filter((l) => l.startsWith(prefix));

afterEach(() => setCertificateSource(undefined));

describe('per-Certificate metrics', () => {
  it("reports cert-manager's series for each cached Certificate, with the issuer labels", async () => {
    const issued = cert('web', {
      notAfter: '2027-01-01T00:00:00Z',
      renewalTime: '2026-12-01T00:00:00Z',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: '',
          lastTransitionTime: '2026-11-01T00:00:00Z',
        },
      ],
      acme: {
        renewalInfo: {
          suggestedWindowStart: '2026-12-01T00:00:00Z',
          suggestedWindowEnd: '2026-12-03T00:00:00Z',
        },
      },
    });
    setCertificateSource(() => [issued, cert('new')]);
    const labels =
      'name="web",namespace="shop",issuer_name="le",issuer_kind="ClusterIssuer",issuer_group="acme6.io"';
    expect(await lines('certmanager_certificate_expiration_timestamp_seconds{')).toEqual([
      `certmanager_certificate_expiration_timestamp_seconds{${labels}} 1798761600`,
    ]);
    expect(await lines('certmanager_certificate_renewal_timestamp_seconds{')).toEqual([
      `certmanager_certificate_renewal_timestamp_seconds{${labels}} 1796083200`,
    ]);
    // One series per status; a Certificate with no Ready condition yet is Unknown.
    expect(await lines('certmanager_certificate_ready_status{')).toEqual([
      `certmanager_certificate_ready_status{${labels},condition="True"} 1`,
      `certmanager_certificate_ready_status{${labels},condition="False"} 0`,
      `certmanager_certificate_ready_status{${labels},condition="Unknown"} 0`,
      expect.stringContaining('name="new"') as string,
      expect.stringContaining('name="new"') as string,
      expect.stringMatching(/name="new".*condition="Unknown"\} 1$/) as string,
    ]);
    expect(await lines('acme6_certificate_ari_window_end_timestamp_seconds{')).toEqual([
      'acme6_certificate_ari_window_end_timestamp_seconds{name="web",namespace="shop"} 1796256000',
    ]);
  });

  it("drops a Certificate's series once it leaves the cache, and reports none without a source", async () => {
    let cached = [
      cert('a', { notAfter: '2027-01-01T00:00:00Z' }),
      cert('b', { notAfter: '2027-01-01T00:00:00Z' }),
    ];
    setCertificateSource(() => cached);
    expect(await lines('certmanager_certificate_expiration_timestamp_seconds{')).toHaveLength(2);
    cached = cached.slice(1);
    expect(await lines('certmanager_certificate_expiration_timestamp_seconds{')).toEqual([
      expect.stringContaining('name="b"') as string,
    ]);
    setCertificateSource(undefined);
    expect(await lines('certmanager_certificate_')).toEqual([]);
  });

  it('counts the challenges of in-flight orders by type and state, a bounded set', async () => {
    const challenges = (states: ('pending' | 'valid')[]) =>
      cert('c', {
        acme: {
          challenges: states.map((state, i) => ({
            dnsName: `n${i}.example.test`,
            type: 'dns-01' as const,
            state,
          })),
        },
      });
    setCertificateSource(() => [challenges(['pending', 'pending', 'valid']), challenges(['valid'])]);
    expect(await lines('acme6_challenges{')).toEqual([
      'acme6_challenges{type="dns-01",state="pending"} 2',
      'acme6_challenges{type="dns-01",state="valid"} 2',
    ]);
  });
});
