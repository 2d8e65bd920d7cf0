import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import { SecretOwnerReconciler } from './secret-owner.ts';

function certificate(secretDeletionPolicy?: 'Retain' | 'Delete'): Certificate {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: 'team', uid: 'uid-web' },
    spec: {
      secretName: 'web-tls',
      dnsNames: ['web.example.test'],
      issuerRef: { name: 'ca', kind: 'Issuer', group: 'acme6.io' },
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
      ...(secretDeletionPolicy ? { secretDeletionPolicy } : {}),
    },
  };
}

function setup(cert: Certificate | undefined, defaultPolicy: 'Retain' | 'Delete', labelled = true) {
  let secret: V1Secret = {
    metadata: {
      name: 'web-tls',
      namespace: 'team',
      resourceVersion: '5',
      labels: labelled ? { 'acme6.io/certificate-name': 'web' } : {},
    },
    data: { 'tls.crt': 'eA==' },
  };
  let writes = 0;
  const reconciler = new SecretOwnerReconciler({
    getCertificate: () => cert,
    getSecret: () => secret,
    secrets: {
      replace: (s) => {
        writes++;
        secret = { ...s, metadata: { ...s.metadata, resourceVersion: String(6 + writes) } };
        return Promise.resolve(secret);
      },
    },
    defaultPolicy,
  });
  return {
    run: () => reconciler.reconcile('team/web'),
    owners: () => (secret.metadata?.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}/${r.uid}`),
    secret: () => secret,
    writes: () => writes,
  };
}

describe('certificate Secret ownership', () => {
  it('leaves the Secret ownerless by default (Retain)', async () => {
    const t = setup(certificate(), 'Retain');
    await t.run();
    expect(t.owners()).toEqual([]);
    expect(t.writes()).toBe(0);
  });

  it('makes the Certificate the owner under Delete, from the spec or the controller flag, once', async () => {
    for (const t of [setup(certificate('Delete'), 'Retain'), setup(certificate(), 'Delete')]) {
      await t.run();
      await t.run();
      expect(t.owners()).toEqual(['Certificate/web/uid-web']);
      expect(t.writes()).toBe(1);
      expect(t.secret().data).toEqual({ 'tls.crt': 'eA==' });
    }
  });

  it('releases the Secret when the policy turns to Retain', async () => {
    const t = setup(certificate('Delete'), 'Retain');
    await t.run();
    const retained = setup(certificate('Retain'), 'Delete');
    retained.secret().metadata!.ownerReferences = t.secret().metadata!.ownerReferences;
    await retained.run();
    expect(retained.owners()).toEqual([]);
  });

  it('never claims a Secret the Certificate did not write, nor acts without its Certificate', async () => {
    const foreign = setup(certificate('Delete'), 'Delete', false);
    await foreign.run();
    expect(foreign.writes()).toBe(0);
    const gone = setup(undefined, 'Delete');
    await gone.run();
    expect(gone.writes()).toBe(0);
  });
});
