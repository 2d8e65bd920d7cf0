import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import { SecretNameIndex } from './secret-name-index.ts';

const cert = (name: string, secretName: string, namespace = 'team'): Certificate =>
  ({
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name, namespace },
    spec: { secretName, dnsNames: [`${name}.example.test`], issuerRef: { name: 'le', kind: 'Issuer' } },
  }) as Certificate;

const names = (certs: Certificate[]): string[] => certs.map((c) => c.metadata.name ?? '').sort();

describe('SecretNameIndex', () => {
  it('answers which cached Certificates of a namespace name one Secret, following adds, updates and deletes', () => {
    const index = new SecretNameIndex<Certificate>();
    const a = cert('a', 'shared-tls');
    const b = cert('b', 'shared-tls');
    index.onAdd(a);
    index.onAdd(b);
    index.onAdd(cert('c', 'c-tls'));
    index.onAdd(cert('a', 'shared-tls', 'other'));
    expect(names(index.claimants('team', 'shared-tls'))).toEqual(['a', 'b']);
    expect(names(index.claimants('other', 'shared-tls'))).toEqual(['a']);
    // b now names its own Secret.
    const b2 = cert('b', 'b-tls');
    index.onUpdate(b2, b);
    expect(names(index.claimants('team', 'shared-tls'))).toEqual(['a']);
    expect(index.claimants('team', 'b-tls')).toEqual([b2]);
    index.onDelete(a);
    expect(index.claimants('team', 'shared-tls')).toEqual([]);
  });

  it('forgets a deleted Certificate handed over as another object than the cached one', () => {
    const index = new SecretNameIndex<Certificate>();
    const cached = cert('a', 'shared-tls');
    index.onAdd(cached);
    index.onAdd(cert('b', 'shared-tls'));
    // A watch's DELETED event carries the object as it was deleted: equal, not the same instance.
    index.onDelete(structuredClone(cached));
    expect(names(index.claimants('team', 'shared-tls'))).toEqual(['b']);
  });

  it('keeps a re-created Certificate when the delete of its earlier incarnation comes late', () => {
    const index = new SecretNameIndex<Certificate>();
    const earlier = { ...cert('a', 'a-tls'), metadata: { name: 'a', namespace: 'team', uid: 'u1' } };
    const again = { ...cert('a', 'a-tls'), metadata: { name: 'a', namespace: 'team', uid: 'u2' } };
    index.onAdd(again);
    index.onDelete(earlier);
    expect(index.claimants('team', 'a-tls')).toEqual([again]);
  });
});
