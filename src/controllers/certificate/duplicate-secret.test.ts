import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import { duplicateSecretMessage, sameSecretKeys, secretKeeper } from './duplicate-secret.ts';

const cert = (
  name: string,
  created: string,
  extra: { secretName?: string; namespace?: string; deleting?: boolean } = {},
): Certificate =>
  ({
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      creationTimestamp: created,
      ...(extra.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}),
    },
    spec: {
      secretName: extra.secretName ?? 'web-tls',
      dnsNames: ['a.test'],
      issuerRef: { name: 'i', kind: 'Issuer' },
    },
  }) as unknown as Certificate;

describe('secretKeeper', () => {
  const older = cert('zeta', '2026-01-01T00:00:00Z');
  const younger = cert('alpha', '2026-01-01T00:00:05Z');

  it('lets the oldest keep the Secret and names it to every younger one', () => {
    const all = [younger, older];
    expect(secretKeeper(older, all)).toBeUndefined();
    expect(secretKeeper(younger, all)?.metadata.name).toBe('zeta');
  });

  it('breaks a tie of creation time by name', () => {
    const a = cert('a', '2026-01-01T00:00:00Z');
    const b = cert('b', '2026-01-01T00:00:00Z');
    expect(secretKeeper(a, [a, b])).toBeUndefined();
    expect(secretKeeper(b, [a, b])?.metadata.name).toBe('a');
  });

  it('names the oldest of several rivals', () => {
    const third = cert('mid', '2026-01-01T00:00:03Z');
    expect(secretKeeper(younger, [younger, third, older])?.metadata.name).toBe('zeta');
    expect(secretKeeper(third, [younger, third, older])?.metadata.name).toBe('zeta');
  });

  it('sees no conflict across namespaces, across Secrets, or with a Certificate being deleted', () => {
    expect(
      secretKeeper(younger, [younger, cert('x', '2020-01-01T00:00:00Z', { namespace: 'other' })]),
    ).toBeUndefined();
    expect(
      secretKeeper(younger, [younger, cert('x', '2020-01-01T00:00:00Z', { secretName: 'b' })]),
    ).toBeUndefined();
    expect(
      secretKeeper(younger, [younger, cert('x', '2020-01-01T00:00:00Z', { deleting: true })]),
    ).toBeUndefined();
  });

  it('treats a Certificate without a creation time as the youngest', () => {
    const unsaved = cert('new', '');
    expect(secretKeeper(unsaved, [unsaved, younger])?.metadata.name).toBe('alpha');
    expect(secretKeeper(younger, [unsaved, younger])).toBeUndefined();
  });

  it('says which Certificate keeps the Secret', () => {
    expect(duplicateSecretMessage(younger, older)).toMatch(
      /Secret web-tls .* Certificate zeta, which is older/,
    );
  });

  it('maps a Certificate to the others naming its Secret', () => {
    const elsewhere = cert('c', '2026-01-01T00:00:00Z', { secretName: 'other' });
    expect(sameSecretKeys(older, [older, younger, elsewhere])).toEqual(['default/alpha']);
  });
});
