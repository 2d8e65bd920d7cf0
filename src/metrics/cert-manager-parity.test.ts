// The per-Certificate series cert-manager 1.18/1.19 added: validity timestamps and challenge status.
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

const ISSUER = 'issuer_name="le",issuer_kind="ClusterIssuer",issuer_group="acme6.io"';

describe("cert-manager's newer per-Certificate metrics", () => {
  it('reports notBefore and notAfter once a certificate is issued', async () => {
    setCertificateSource(() => [
      cert('web', { notBefore: '2026-11-01T00:00:00Z', notAfter: '2027-01-30T00:00:00Z' }),
      cert('new'),
    ]);
    expect(await lines('certmanager_certificate_not_after_timestamp_seconds{')).toEqual([
      `certmanager_certificate_not_after_timestamp_seconds{name="web",namespace="shop",${ISSUER}} 1801267200`,
    ]);
    expect(await lines('certmanager_certificate_not_before_timestamp_seconds{')).toEqual([
      `certmanager_certificate_not_before_timestamp_seconds{name="web",namespace="shop",${ISSUER}} 1793491200`,
    ]);
  });

  it('reports each challenge with 1 on its current status, as cert-manager does per Challenge', async () => {
    setCertificateSource(() => [
      cert('wild', {
        acme: {
          challenges: [
            { dnsName: '*.wild.example.test', wildcard: true, type: 'dns-01', state: 'processing' },
            { dnsName: 'wild.example.test', type: 'dns-01', state: 'invalid', reason: 'NXDOMAIN' },
          ],
        },
      }),
    ]);
    const series = await lines('certmanager_certificate_challenge_status{');
    expect(series.filter((l) => l.endsWith(' 1'))).toEqual([
      'certmanager_certificate_challenge_status{name="wild",namespace="shop",domain="wild.example.test",type="DNS-01",processing="true",reason="",status="processing"} 1',
      'certmanager_certificate_challenge_status{name="wild",namespace="shop",domain="wild.example.test",type="DNS-01",processing="false",reason="NXDOMAIN",status="invalid"} 1',
    ]);
    expect(series.length).toBe(16); // eight statuses per challenge
  });
});
