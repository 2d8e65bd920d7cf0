import { describe, expect, it } from 'vitest';
import type { CertificateSpec } from '../../api/certificate.ts';
import { buildTlsSecret, effectiveSecretDeletionPolicy, secretOwnerReferences } from './tls-secret.ts';

const spec: CertificateSpec = {
  secretName: 'web-tls',
  dnsNames: ['example.test'],
  issuerRef: { name: 'pebble', kind: 'ClusterIssuer', group: 'acme6.io' },
  privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
  secretTemplate: { labels: { app: 'web' }, annotations: { 'reflector/enabled': 'true' } },
};
const issued = {
  chainPem: 'CHAIN',
  keyPem: 'KEY',
  dnsNames: ['example.test'],
  notAfter: new Date('2027-01-01T00:00:00Z'),
  revision: 3,
};
const decode = (v?: string) => Buffer.from(v ?? '', 'base64').toString();

describe('TLS Secret', () => {
  it('holds chain, key, our annotations and the template', () => {
    const s = buildTlsSecret({ name: 'web', namespace: 'team', spec }, issued);
    expect(s.type).toBe('kubernetes.io/tls');
    expect(s.metadata).toMatchObject({ name: 'web-tls', namespace: 'team' });
    expect(decode(s.data?.['tls.crt'])).toBe('CHAIN');
    expect(decode(s.data?.['tls.key'])).toBe('KEY');
    expect(s.data).not.toHaveProperty('ca.crt');
    expect(s.metadata.labels).toEqual({
      app: 'web',
      'acme6.io/managed': 'true',
      'acme6.io/certificate-name': 'web',
    });
    expect(s.metadata.annotations).toEqual({
      'reflector/enabled': 'true',
      'acme6.io/issuer-name': 'pebble',
      'acme6.io/issuer-kind': 'ClusterIssuer',
      'acme6.io/revision': '3',
      'acme6.io/dns-names': 'example.test',
      'acme6.io/not-after': '2027-01-01T00:00:00.000Z',
    });
  });

  it('keeps what others put on an existing Secret but not a stale ca.crt, and updates optimistically', () => {
    const existing = {
      metadata: {
        name: 'web-tls',
        resourceVersion: '42',
        labels: { owner: 'x' },
        annotations: { note: 'keep' },
      },
      data: { 'tls.crt': 'b2xk', 'extra.pem': 'ZXh0cmE=', 'ca.crt': 'b2xk' },
    };
    const s = buildTlsSecret(
      { name: 'web', namespace: 'team', spec },
      { ...issued, caPem: 'ROOT' },
      existing,
    );
    expect(s.metadata.resourceVersion).toBe('42');
    expect(s.metadata.labels?.owner).toBe('x');
    expect(s.metadata.annotations?.note).toBe('keep');
    expect(decode(s.data?.['extra.pem'])).toBe('extra');
    expect(decode(s.data?.['ca.crt'])).toBe('ROOT');
    expect(decode(s.data?.['tls.crt'])).toBe('CHAIN');
    const without = buildTlsSecret({ name: 'web', namespace: 'team', spec }, issued, existing);
    expect(without.data).not.toHaveProperty('ca.crt');
  });
});

describe('Secret deletion policy', () => {
  const cert = { name: 'web', uid: 'uid-web' };
  const ours = {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    name: 'web',
    uid: 'uid-web',
    controller: true,
    blockOwnerDeletion: true,
  };
  const app = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'uid-x' };

  it('uses the Certificate policy, else the controller default', () => {
    expect(effectiveSecretDeletionPolicy({}, 'Retain')).toBe('Retain');
    expect(effectiveSecretDeletionPolicy({}, 'Delete')).toBe('Delete');
    expect(effectiveSecretDeletionPolicy({ secretDeletionPolicy: 'Retain' }, 'Delete')).toBe('Retain');
  });

  it('makes the Certificate the owner only under Delete, keeping other owners', () => {
    expect(secretOwnerReferences(cert, 'Delete', [app])).toEqual([app, ours]);
    expect(secretOwnerReferences(cert, 'Retain', [app, ours])).toEqual([app]);
    // A stale reference (an earlier Certificate of that name) is replaced, not duplicated.
    expect(secretOwnerReferences(cert, 'Delete', [{ ...ours, uid: 'old' }])).toEqual([ours]);
    // Another controller keeps control; ours is then a plain owner.
    const other = { ...app, controller: true };
    expect(secretOwnerReferences(cert, 'Delete', [other])).toEqual([other, { ...ours, controller: false }]);
  });

  it("keeps the Secret's owner references through a renewal", () => {
    const existing = { metadata: { name: 'web-tls', ownerReferences: [ours] }, data: {} };
    const s = buildTlsSecret({ name: 'web', namespace: 'team', spec }, issued, existing);
    expect(s.metadata.ownerReferences).toEqual([ours]);
    expect(buildTlsSecret({ name: 'web', namespace: 'team', spec }, issued).metadata).not.toHaveProperty(
      'ownerReferences',
    );
  });
});
